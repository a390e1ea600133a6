import { describe, expect, it } from "vitest"
import { aggregateDigest } from "../src/objects.ts"
import { sign } from "../src/ed25519.ts"
import { ROUND_STATUS } from "../src/accounts.ts"
import { equal } from "../src/bytes.ts"
import { LOCALNET_PARAMS } from "../src/params.ts"
import { aggregateFor, key, nameHash, route, routeHash, World } from "./world.ts"

const admin = key("admin")
const miners = [key("m1"), key("m2"), key("m3")]
const witnesses = [key("w1"), key("w2"), key("w3"), key("w4")]
const owner = key("owner")
const NAME = "hello.dns"

/** Initialized world at epoch 2 with three bonded allowlisted miners, four witnesses and hello.dns. */
const setup = (): World => {
  const w = new World(LOCALNET_PARAMS)
  w.run({ kind: "initialize", authority: admin.publicKey, params: LOCALNET_PARAMS, allowlist: miners.map((m) => m.publicKey) })
  for (const m of miners) w.run({ kind: "minerBond", miner: m.publicKey, amount: 5_000_000_000n })
  witnesses.forEach((x, i) => w.run({ kind: "witnessBond", witness: x.publicKey, amount: BigInt(i + 1) * 1_000_000_000n }))
  w.run({ kind: "registerName", owner: owner.publicKey, name: NAME })
  w.run({ kind: "fundPool", funder: admin.publicKey, amount: 10_000_000n })
  w.toEpoch(2n)
  return w
}

describe("one route from receipts to a canonical name", () => {
  it("finalizes a route held by a quorum of the committee, and pays out", () => {
    const w = setup()
    const committee = w.state.committees.get("2")!
    expect(committee.memberCount).toBe(3)
    const { record, signature } = route(NAME, 1n, owner)
    const E = 2n
    w.toEpoch(3n, 1n)
    for (const m of miners) {
      const agg = aggregateFor(w, m, witnesses, E, NAME, record)
      expect(agg.statement.support).toBe(10_000_000_000n)
      w.run({ kind: "submitAggregate", statement: agg.statement, opening: agg.opening, auth: { serial: 1n, owner: owner.publicKey, signature } })
    }
    const round = w.state.rounds.get(`2/${Buffer.from(nameHash(NAME)).toString("hex")}`)!
    expect(round.routes[0]!.weight).toBe(15_000_000_000n)
    w.expectError({ kind: "finalizeRound", epoch: E, nameHash: nameHash(NAME) }, "QRM-6")
    w.warpTo(round.challengeEnd)
    w.run({ kind: "finalizeRound", epoch: E, nameHash: nameHash(NAME) })
    const n = w.state.names.get(Buffer.from(nameHash(NAME)).toString("hex"))!
    expect(equal(n.routeHash, routeHash(record))).toBe(true)
    expect(n.serial).toBe(1n)
    expect(w.state.rounds.get(`2/${Buffer.from(nameHash(NAME)).toString("hex")}`)!.status).toBe(ROUND_STATUS.finalized)
    const claimable = w.state.minerSet!.entries.slice(0, 3).map((e) => e.claimable)
    expect(claimable.every((c) => c > 0n)).toBe(true)
  })

  it("slashes a miner who submits two different aggregates", () => {
    const w = setup()
    const { record, signature } = route(NAME, 1n, owner)
    w.toEpoch(3n, 1n)
    const m = miners[0]!
    const a = aggregateFor(w, m, witnesses, 2n, NAME, record)
    w.run({ kind: "submitAggregate", statement: a.statement, opening: a.opening, auth: { serial: 1n, owner: owner.publicKey, signature } })
    const b = aggregateFor(w, m, witnesses.slice(0, 3), 2n, NAME, record)
    const before = w.state.minerSet!.entries[0]!.active
    w.run({ kind: "submitAggregate", statement: b.statement, opening: b.opening, auth: null })
    const e = w.state.minerSet!.entries[0]!
    expect(e.jailed).toBe(1)
    expect(e.active).toBe(before - before / 10n)
    // an off-chain statement about the same round is now moot: already proven
    const c = aggregateFor(w, m, witnesses.slice(0, 2), 2n, NAME, record)
    w.expectError(
      { kind: "proveEquivocation", challenger: admin.publicKey, first: { statement: c.statement, signature: sign(m, aggregateDigest(c.statement)) }, second: null },
      "EQV-3"
    )
  })
})
