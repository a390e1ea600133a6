/**
 * Addresses someone funded before the program created them: create_account refuses an address that
 * holds lamports, so the program tops it up, allocates and assigns instead. The vault keeps exactly
 * its rent reserve above the protocol's balance (the excess goes back to the payer).
 */
import { describe, expect, it } from "vitest"
import { LOCALNET_PARAMS } from "../../../spec/src/params.ts"
import { nameHash } from "../../../spec/test/world.ts"
import { seeds } from "../../client/pda.ts"
import type { Op } from "../../../spec/src/ops.ts"
import { admin, aggregate, challenger, helloRoute, miners, NH, owner, setup, signed, submit, witnesses } from "./fixture.ts"
import { Lockstep } from "./lockstep.ts"

describe("pre-funded addresses", () => {
  it("are created all the same, and the vault holds exactly rent + balance", () => {
    const l = new Lockstep()
    l.actor(admin)
    for (const [s, amount] of [[seeds.vault(), 10_000_000_000n], [seeds.config(), 1n], [seeds.committee(0n), 5_000_000_000n]] as const)
      l.fund(l.pda(s), amount)
    l.run({ kind: "initialize", authority: admin.publicKey, params: LOCALNET_PARAMS, allowlist: [miners[0].publicKey] })
    expect(l.chain.raw(l.pda(seeds.config()))!.lamports).toBe(l.runtime.rentExemptMinimum(l.chain.raw(l.pda(seeds.config()))!.data.length))
  })

  it("for names, rounds and aggregates", () => {
    const l = setup({ bare: true })
    l.fund(l.pda(seeds.name(nameHash("grief.dns"))), 7n)
    l.run({ kind: "registerName", owner: owner.publicKey, name: "grief.dns" })
    l.run({ kind: "registerName", owner: owner.publicKey, name: "hello.dns" })
    l.toEpoch(3n, 1n)
    l.fund(l.pda(seeds.round(2n, NH)), 1_000_000_000n)
    l.fund(l.pda(seeds.aggregate(2n, NH, miners[0].publicKey)), 3n)
    const { record, signature } = helloRoute()
    l.run(submit(aggregate(l, miners[0], 2n, record), { serial: 1n, signature }))
  })

  it("pays a challenger who also pays the rent, with the vault and the payer synced apart", () => {
    const l = setup()
    l.toEpoch(3n, 1n)
    const a = signed(miners[0], aggregate(l, miners[0], 2n).statement)
    const b = signed(miners[0], aggregate(l, miners[0], 2n, helloRoute().record, witnesses.slice(1)).statement)
    const op: Op = { kind: "proveEquivocation", challenger: challenger.publicKey, first: a, second: b }
    const payerAt = [...l.accountsOf(op).keys()].indexOf("payer")
    l.runAltered(op, (ix) => ({ ...ix, keys: ix.keys.map((k, i) => (i === payerAt ? { ...k, pubkey: challenger.publicKey } : k)) }), [challenger.publicKey])
  })
})
