/**
 * Compute units of every instruction, measured in lockstep on representative paths, against the
 * budgets: submit_aggregate ≤ 8k (the first submission creates the Round too), finalize ≤ 8k, an
 * equivocation proof ≤ 12k, a pin at depth 20 ≤ 15k. `DOTDNS_CU=1` prints the table.
 */
import { describe, expect, it } from "vitest"
import { CHANGE_KIND } from "../../../spec/src/accounts.ts"
import { u32le } from "../../../spec/src/bytes.ts"
import { H } from "../../../spec/src/hash.ts"
import { buildLevels, inclusionPath, leafNode, sortLeaves } from "../../../spec/src/merkle.ts"
import { routeHash, type AggregateStatement, type Leaf } from "../../../spec/src/objects.ts"
import type { Op, OpKind, RootOpening } from "../../../spec/src/ops.ts"
import { PARAM } from "../../../spec/src/params.ts"
import { receipt } from "../../../spec/test/world.ts"
import {
  admin, aggregate, challenger, dishonest, helloRoute, leafFor, miners, NAME, NH, outsider, owner, pin, ref, roundOf, setup, signed, submit,
  submitAll, witnesses
} from "./fixture.ts"
import type { Lockstep } from "./lockstep.ts"

const [m1, m2, m3] = miners
const [w1, w2, w3] = witnesses
const report = process.env["DOTDNS_CU"] === "1"
const units = new Map<string, number[]>()
const collect = (l: Lockstep, prefix = "", only?: readonly OpKind[]): void => {
  for (const [k, v] of l.units) if (only === undefined || only.includes(k)) units.set(prefix + k, [...(units.get(prefix + k) ?? []), ...v])
}
const max = (l: Lockstep, k: OpKind): number => Math.max(...(l.units.get(k) ?? [0]))

describe("compute units", () => {
  it("of every instruction on its main path", () => {
    const l = setup()
    const aggs = submitAll(l, 2n)
    const [first, ...later] = l.units.get("submitAggregate")!
    units.set("submitAggregate (first: creates the Round)", [first!])
    units.set("submitAggregate (later)", later)
    expect(first).toBeLessThanOrEqual(8000)
    for (const v of later) expect(v).toBeLessThanOrEqual(8000)
    l.run({ kind: "openReveal", challenger: challenger.publicKey, leafRef: ref(2n, m1, 0) })
    l.run(pin(aggs[0]!, 0))
    l.run(pin(aggs[0]!, 1))
    const r0 = aggs[0]!.receipts[0]!
    l.run({ kind: "respondReveal", leafRef: ref(2n, m1, 0), receipt: r0.receipt, signature: r0.signature })
    l.warpTo(roundOf(l, 2n).challengeEnd)
    l.run({ kind: "finalizeRound", epoch: 2n, nameHash: NH })
    expect(max(l, "finalizeRound")).toBeLessThanOrEqual(8000)
    l.run({ kind: "claimWitnessReward", leafRef: ref(2n, m1, 0) })
    l.run({ kind: "claimWitnessReward", leafRef: ref(2n, m1, 1) })
    l.run({ kind: "claim", who: m1.publicKey, role: "miner" })
    l.run({ kind: "claim", who: witnesses[0].publicKey, role: "witness" })
    const now = l.state.config!.currentEpoch
    l.run({ kind: "propose", proposer: admin.publicKey, changes: [{ kind: CHANGE_KIND.setParam, param: PARAM.roundReward, value: 7n, key: new Uint8Array(32) }], etaEpoch: now + 2n })
    l.run({ kind: "veto", voter: w1.publicKey, proposalId: 0n })
    l.toEpoch(now + 2n)
    l.run({ kind: "execute", proposalId: 0n })
    l.toEpoch(now + 3n)
    l.run({ kind: "transferName", owner: owner.publicKey, nameHash: NH, newOwner: outsider.publicKey })
    l.run({ kind: "minerUnbond", miner: m3.publicKey, amount: 5_000_000_000n })
    l.run({ kind: "witnessUnbond", witness: w3.publicKey, amount: 3_000_000_000n })
    l.toEpoch(now + 6n)
    l.run({ kind: "minerWithdraw", miner: m3.publicKey })
    l.run({ kind: "witnessWithdraw", witness: w3.publicKey })
    collect(l, "", [...l.units.keys()].filter((k) => k !== "submitAggregate"))
  })

  it("of every challenge", () => {
    const l = setup()
    const aggs = submitAll(l, 2n)
    const other = (m: typeof m1, from: number) => signed(m, aggregate(l, m, 2n, helloRoute().record, witnesses.slice(from)).statement)
    l.run({ kind: "proveEquivocation", challenger: challenger.publicKey, first: other(m1, 1), second: null })
    l.run({ kind: "proveEquivocation", challenger: challenger.publicKey, first: other(m2, 1), second: other(m2, 2) })
    units.set("proveEquivocation (one statement vs on-chain: strips)", [l.units.get("proveEquivocation")![0]!])
    units.set("proveEquivocation (two statements, on-chain exists)", [l.units.get("proveEquivocation")![1]!])
    l.run({ kind: "openReveal", challenger: challenger.publicKey, leafRef: ref(2n, m3, 0) })
    l.warpTo(l.slot + 10n)
    l.run({ kind: "resolveReveal", leafRef: ref(2n, m3, 0) })
    units.set("resolveReveal (upheld: slashes, strips)", l.units.get("resolveReveal")!)
    expect(aggs.length).toBe(3)
    // two statements with no on-chain aggregate: a marker is created
    const l2 = setup()
    l2.toEpoch(3n, 1n)
    const a = signed(m1, aggregate(l2, m1, 2n).statement)
    const b = signed(m1, aggregate(l2, m1, 2n, helloRoute().record, witnesses.slice(1)).statement)
    l2.run({ kind: "proveEquivocation", challenger: challenger.publicKey, first: a, second: b })
    units.set("proveEquivocation (two statements: creates the marker)", l2.units.get("proveEquivocation")!)
    for (const v of [...l.units.get("proveEquivocation")!, ...l2.units.get("proveEquivocation")!]) expect(v).toBeLessThanOrEqual(12000)
    // bad leaves, upheld
    const weight = dishonest(() => sortLeaves([leafFor(w1, 2n, 1_000_000_000n), leafFor(w2, 2n, 5n)]))
    const i = weight.bad.leaves.findIndex((x) => x.weight === 5n)
    weight.l.run(pin(weight.bad, i))
    weight.l.run({ kind: "proveBadWeight", challenger: challenger.publicKey, leafRef: ref(2n, m1, i) })
    const x = sortLeaves([leafFor(w1, 2n, 1_000_000_000n), leafFor(w2, 2n, 2_000_000_000n)])
    const order = dishonest(() => [x[1]!, x[0]!])
    order.l.run(pin(order.bad, 0))
    order.l.run(pin(order.bad, 1))
    order.l.run({ kind: "proveBadOrder", challenger: challenger.publicKey, leafRef: ref(2n, m1, 0) })
    const stray = helloRoute(9n, "10.9.9.9").record
    const mismatch = dishonest(() => [leafFor(w3, 2n, 3_000_000_000n, stray)])
    mismatch.l.run(pin(mismatch.bad, 0))
    const r = receipt(w3, 2n, NAME, routeHash(stray))
    mismatch.l.run({ kind: "proveLeafMismatch", challenger: challenger.publicKey, leafRef: ref(2n, m1, 0), receipt: r.receipt, signature: r.signature })
    for (const c of [weight.l, order.l, mismatch.l]) collect(c, "", ["proveBadWeight", "proveBadOrder", "proveLeafMismatch"])
  })

  it("of a pin, by proof depth", () => {
    const l = setup()
    // One tree of 2^19 + 2^16 + 2^12 + 2^8 + 2^4 + 2 + 1 leaves, whose blocks give proofs of many depths.
    const n = (1 << 19) + (1 << 16) + (1 << 12) + (1 << 8) + (1 << 4) + 2 + 1
    const leaves: Leaf[] = Array.from({ length: n }, (_, i) => ({ receiptHash: H("cu/receipt", u32le(i)), witness: H("cu/witness", u32le(i)), weight: 1n }))
    const levels = buildLevels(leaves.map(leafNode))
    const top = levels[levels.length - 2]!
    const statement: AggregateStatement = {
      epoch: 2n,
      nameHash: NH,
      routeHash: routeHash(helloRoute().record),
      receiptRoot: levels[levels.length - 1]![0]!.hash,
      support: BigInt(n),
      receiptCount: n,
      miner: m1.publicKey,
      batchCid: null
    }
    const opening: RootOpening = { kind: "node", left: top[0]!, right: top[1]! }
    l.toEpoch(3n, 1n)
    l.run(submit({ statement, opening }, { serial: 1n, signature: helloRoute().signature }))
    const byDepth = new Map<number, number>()
    const starts = [0, 1 << 19, (1 << 19) + (1 << 16), (1 << 19) + (1 << 16) + (1 << 12), n - 19, n - 3, n - 1]
    for (const index of starts) {
      const path = inclusionPath(levels, index)
      const op: Op = { kind: "pinLeaf", leafRef: ref(2n, m1, index), leaf: leaves[index]!, path }
      byDepth.set(path.length, l.run(op))
    }
    // a one-leaf aggregate: depth 0
    const single = aggregate(l, m2, 2n, helloRoute().record, witnesses.slice(0, 1))
    l.run(submit(single, null))
    byDepth.set(0, l.run(pin(single, 0)))
    for (const [d, cu] of [...byDepth].sort((p, q) => p[0] - q[0])) units.set(`pinLeaf depth ${d}`, [cu])
    expect(byDepth.get(20)!).toBeLessThanOrEqual(15000)
    if (report) console.table(Object.fromEntries([...units].map(([k, v]) => [k, v.length === 1 ? `${v[0]}` : `${Math.min(...v)}..${Math.max(...v)}`])))
  })
})
