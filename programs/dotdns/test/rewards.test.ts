import { describe, expect, it } from "vitest"
import { ROUND_STATUS } from "../../../spec/src/accounts.ts"
import { hex } from "../../../spec/src/bytes.ts"
import { sortLeaves } from "../../../spec/src/merkle.ts"
import type { Op } from "../../../spec/src/ops.ts"
import { LOCALNET_PARAMS, PARAM } from "../../../spec/src/params.ts"
import { key } from "../../../spec/test/world.ts"
import {
  admin, aggregate, challenger, customAggregate, helloRoute, leafFor, miners, NAME, NH, outsider, owner, pin, ref, roundOf, setup, signed,
  submit, witnesses
} from "./fixture.ts"
import { Lockstep } from "./lockstep.ts"

const [m1, m2, m3] = miners
const [w1, w2, w3, w4] = witnesses
const claimOf = (E: bigint, m: typeof m1, i: number): Op => ({ kind: "claimWitnessReward", leafRef: ref(E, m, i) })
const set = (over: Partial<Record<keyof typeof PARAM, bigint>>) =>
  LOCALNET_PARAMS.map((v, i) => {
    const k = (Object.keys(PARAM) as (keyof typeof PARAM)[]).find((n) => PARAM[n] === i)!
    return k !== undefined && over[k] !== undefined ? over[k]! : v
  })

describe("witness rewards", () => {
  it("pays each pinned leaf of a supporting aggregate its share once", () => {
    const params = set({ minSupport: 5_000_000_000n })
    const l = new Lockstep({ params })
    const ghost = key("ghost")
    for (const k of [admin, ...miners, ...witnesses, owner, challenger, outsider]) l.actor(k)
    l.run({ kind: "initialize", authority: admin.publicKey, params, allowlist: miners.map((m) => m.publicKey) })
    for (const [m, amount] of [[m1, 10_000_000_000n], [m2, 10_000_000_000n], [m3, 5_000_000_000n]] as const)
      l.run({ kind: "minerBond", miner: m.publicKey, amount })
    witnesses.forEach((x, i) => l.run({ kind: "witnessBond", witness: x.publicKey, amount: BigInt(i + 1) * 1_000_000_000n }))
    l.run({ kind: "registerName", owner: owner.publicKey, name: NAME })
    l.run({ kind: "fundPool", funder: admin.publicKey, amount: 10_000_000n })
    l.toEpoch(3n, 1n)
    const { record, signature } = helloRoute()
    const a1 = customAggregate(
      sortLeaves([leafFor(w1, 2n, 1_000_000_000n), leafFor(w2, 2n, 2_000_000_000n), leafFor(w3, 2n, 3_000_000_000n), leafFor(ghost, 2n, 5n)]),
      2n,
      m1,
      record
    )
    l.run(submit(a1, { serial: 1n, signature }))
    const a2 = aggregate(l, m2, 2n, record)
    l.run(submit(a2, null))
    const b = helloRoute(2n, "10.2.2.2")
    const a3 = aggregate(l, m3, 2n, b.record, [w4])
    l.run(submit(a3, { serial: 2n, signature: b.signature }))
    l.expectError(claimOf(2n, m1, 0), "RWD-3")
    l.expectError(claimOf(3n, m1, 0), "RWD-3")
    l.warpTo(roundOf(l, 2n).challengeEnd)
    l.run({ kind: "finalizeRound", epoch: 2n, nameHash: NH })
    expect(roundOf(l, 2n).status).toBe(ROUND_STATUS.finalized)
    l.expectError(claimOf(2n, outsider, 0), "BLF-1")
    l.expectError(claimOf(2n, m3, 0), "RWD-4")
    l.expectError(claimOf(2n, m1, 0), "BLF-6")
    a1.leaves.forEach((_, i) => l.run(pin(a1, i)))
    a2.leaves.forEach((_, i) => l.run(pin(a2, i)))
    const ghostAt = a1.leaves.findIndex((x) => hex(x.witness) === hex(ghost.publicKey))
    l.expectError(claimOf(2n, m1, ghostAt), "STK-4")
    for (let i = 0; i < a1.leaves.length; i++) if (i !== ghostAt) l.run(claimOf(2n, m1, i))
    l.expectError(claimOf(2n, m1, ghostAt === 0 ? 1 : 0), "RWD-8")
    for (let i = 0; i < a2.leaves.length; i++) l.run(claimOf(2n, m2, i))
    for (const w of [w1, w2, w3, w4]) l.run({ kind: "claim", who: w.publicKey, role: "witness" })
    for (const m of [m1, m2]) l.run({ kind: "claim", who: m.publicKey, role: "miner" })
    l.expectError({ kind: "claim", who: m3.publicKey, role: "miner" }, "RWD-6")
    expect(roundOf(l, 2n).witnessPoolRemaining).toBeGreaterThan(0n)
  })

  it("pays nothing to a stripped aggregate's leaves", () => {
    const l = setup({ params: set({ quorumBps: 6000n }) })
    const { record, signature } = helloRoute()
    l.toEpoch(3n, 1n)
    const aggs = miners.map((m, i) => {
      const a = aggregate(l, m, 2n, record)
      l.run(submit(a, i === 0 ? { serial: 1n, signature } : null))
      return a
    })
    const other = signed(m3, aggregate(l, m3, 2n, record, witnesses.slice(1)).statement)
    l.run({ kind: "proveEquivocation", challenger: challenger.publicKey, first: other, second: null })
    l.warpTo(roundOf(l, 2n).challengeEnd)
    l.run({ kind: "finalizeRound", epoch: 2n, nameHash: NH })
    l.run(pin(aggs[2]!, 0))
    l.expectError(claimOf(2n, m3, 0), "RWD-4")
    l.run(pin(aggs[0]!, 3))
    l.run(claimOf(2n, m1, 3))
  })
})
