/**
 * Compute units of every instruction, measured in lockstep on representative paths, and of a pin at
 * every proof depth 0..20, with the spec's budgets (spec/v1/12-accounts-and-instructions.md, "Compute
 * budgets"). Shared by the test that asserts the budgets (cu.test.ts) and the table writer
 * (programs/dotdns/bench/cu.ts → programs/dotdns/cu.md).
 */
import { CHANGE_KIND } from "../../../spec/src/accounts.ts"
import { nameHash as nameHashOf } from "../../../spec/src/name.ts"
import { H } from "../../../spec/src/hash.ts"
import { leafNode, parentNode, sortLeaves, splitPoint, verifyInclusion, MAX_PROOF_DEPTH, type SumNode } from "../../../spec/src/merkle.ts"
import { routeHash, type AggregateStatement, type Leaf } from "../../../spec/src/objects.ts"
import type { Op, OpKind, RootOpening } from "../../../spec/src/ops.ts"
import { PARAM } from "../../../spec/src/params.ts"
import { receipt, route } from "../../../spec/test/world.ts"
import {
  admin, aggregate, challenger, dishonest, helloRoute, leafFor, miners, NAME, NH, outsider, owner, pin, ref, roundOf, setup, signed, submit,
  submitAll, witnesses
} from "./fixture.ts"
import type { Lockstep } from "./lockstep.ts"

const [m1, m2, m3] = miners
const [w1, w2, w3] = witnesses

/** The spec's budgets, in compute units (the rest have measured, informative figures only). */
export const BUDGETS: Partial<Record<OpKind, number>> = {
  submitAggregate: 8000,
  finalizeRound: 8000,
  proveEquivocation: 12000,
  pinLeaf: 15000,
  proveBadWeight: 15000,
  proveBadOrder: 15000,
  proveLeafMismatch: 15000
}

/** One measured path: the instruction, what the path does, the units of each run. */
export interface CuPath {
  readonly kind: OpKind
  readonly path: string
  readonly units: readonly number[]
}

const of = (l: Lockstep, kind: OpKind, path: string): CuPath => ({ kind, path, units: l.units.get(kind) ?? [] })

/** Every instruction on its main (successful) path. */
export const mainPaths = (): CuPath[] => {
  const l = setup()
  const aggs = submitAll(l, 2n)
  const [first, ...later] = l.units.get("submitAggregate")!
  const out: CuPath[] = [
    { kind: "submitAggregate", path: "first of a round: creates the Round (route authorization checked)", units: [first!] },
    { kind: "submitAggregate", path: "later, same route", units: later }
  ]
  l.run({ kind: "openReveal", challenger: challenger.publicKey, leafRef: ref(2n, m1, 0) })
  l.run(pin(aggs[0]!, 0))
  l.run(pin(aggs[0]!, 1))
  const r0 = aggs[0]!.receipts[0]!
  l.run({ kind: "respondReveal", leafRef: ref(2n, m1, 0), receipt: r0.receipt, signature: r0.signature })
  l.warpTo(roundOf(l, 2n).challengeEnd)
  l.run({ kind: "finalizeRound", epoch: 2n, nameHash: NH })
  l.run({ kind: "claimWitnessReward", leafRef: ref(2n, m1, 0) })
  l.run({ kind: "claimWitnessReward", leafRef: ref(2n, m1, 1) })
  l.run({ kind: "claim", who: m1.publicKey, role: "miner" })
  l.run({ kind: "claim", who: w1.publicKey, role: "witness" })
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
  // the fixture's setup ran in the same lockstep: initialize, bonds, the name, the pool
  const paths: [OpKind, string][] = [
    ["openReveal", "opens a challenge (bond into the vault)"],
    ["respondReveal", "answered with the pinned receipt"],
    ["finalizeRound", "quorum reached: route, serial, digest, rewards"],
    ["claimWitnessReward", "one pinned leaf's share"],
    ["claim", "a miner's or a witness's claimable"],
    ["propose", "by the authority"],
    ["veto", "by a staked witness"],
    ["execute", "queues the change set"],
    ["advanceEpoch", "activation, seed, committee (allowlist mode, 3 miners)"],
    ["transferName", "to a new owner"],
    ["minerUnbond", "all of it"],
    ["witnessUnbond", "all of it"],
    ["minerWithdraw", "after unbonding_epochs"],
    ["witnessWithdraw", "after unbonding_epochs"]
  ]
  return [
    ...out,
    ...paths.map(([k, p]) => of(l, k, p)),
    of(l, "initialize", "3 allowlisted miners: Config, Vault, MinerSet, Committee"),
    of(l, "minerBond", "a new entry"),
    of(l, "witnessBond", "creates the Witness account"),
    of(l, "registerName", "creates the Name account"),
    of(l, "fundPool", "into the vault")
  ]
}

/** Every challenge: equivocation proofs, reveals upheld, and the three bad-leaf proofs, upheld. */
export const challengePaths = (): CuPath[] => {
  const out: CuPath[] = []
  const l = setup()
  submitAll(l, 2n)
  const other = (m: typeof m1, from: number) => signed(m, aggregate(l, m, 2n, helloRoute().record, witnesses.slice(from)).statement)
  l.run({ kind: "proveEquivocation", challenger: challenger.publicKey, first: other(m1, 1), second: null })
  l.run({ kind: "proveEquivocation", challenger: challenger.publicKey, first: other(m2, 1), second: other(m2, 2) })
  const [one, two] = l.units.get("proveEquivocation")!
  out.push({ kind: "proveEquivocation", path: "one statement against the on-chain aggregate: slashes, strips", units: [one!] })
  out.push({ kind: "proveEquivocation", path: "two statements, the on-chain aggregate exists", units: [two!] })
  l.run({ kind: "openReveal", challenger: challenger.publicKey, leafRef: ref(2n, m3, 0) })
  l.warpTo(l.slot + 10n)
  l.run({ kind: "resolveReveal", leafRef: ref(2n, m3, 0) })
  out.push(of(l, "resolveReveal", "unanswered: upheld, slashes, strips, bond back"))
  // m1, slashed and jailed above, tops its bond up and waits out jail_epochs
  l.run({ kind: "minerBond", miner: m1.publicKey, amount: 5_000_000_000n })
  l.toEpoch(l.state.config!.currentEpoch + l.world.params[PARAM.jailEpochs]! + 1n)
  l.run({ kind: "unjail", miner: m1.publicKey })
  out.push(of(l, "unjail", "after jail_epochs, the minimum stake active"))
  // two statements with no on-chain aggregate: a marker is created
  const l2 = setup()
  l2.toEpoch(3n, 1n)
  const a = signed(m1, aggregate(l2, m1, 2n).statement)
  const b = signed(m1, aggregate(l2, m1, 2n, helloRoute().record, witnesses.slice(1)).statement)
  l2.run({ kind: "proveEquivocation", challenger: challenger.publicKey, first: a, second: b })
  out.push(of(l2, "proveEquivocation", "two statements, none on chain: creates the marker"))
  // bad leaves, upheld
  const weight = dishonest(() => sortLeaves([leafFor(w1, 2n, 1_000_000_000n), leafFor(w2, 2n, 5n)]))
  const i = weight.bad.leaves.findIndex((x) => x.weight === 5n)
  weight.l.run(pin(weight.bad, i))
  weight.l.run({ kind: "proveBadWeight", challenger: challenger.publicKey, leafRef: ref(2n, m1, i) })
  out.push(of(weight.l, "proveBadWeight", "upheld: slashes, strips"))
  const x = sortLeaves([leafFor(w1, 2n, 1_000_000_000n), leafFor(w2, 2n, 2_000_000_000n)])
  const order = dishonest(() => [x[1]!, x[0]!])
  order.l.run(pin(order.bad, 0))
  order.l.run(pin(order.bad, 1))
  order.l.run({ kind: "proveBadOrder", challenger: challenger.publicKey, leafRef: ref(2n, m1, 0) })
  out.push(of(order.l, "proveBadOrder", "upheld: slashes, strips"))
  const stray = helloRoute(9n, "10.9.9.9").record
  const mismatch = dishonest(() => [leafFor(w3, 2n, 3_000_000_000n, stray)])
  mismatch.l.run(pin(mismatch.bad, 0))
  const r = receipt(w3, 2n, NAME, routeHash(stray))
  mismatch.l.run({ kind: "proveLeafMismatch", challenger: challenger.publicKey, leafRef: ref(2n, m1, 0), receipt: r.receipt, signature: r.signature })
  out.push(of(mismatch.l, "proveLeafMismatch", "upheld: slashes, strips"))
  return out
}

// ---------------------------------------------------------------------------------- pins by depth

/**
 * Trees of identical leaves: every perfect subtree of 2^k leaves has the same root, so the root of a
 * tree of n leaves and any leaf's inclusion path take O(log n) hashes, even at 2^19+ leaves. A pin
 * only proves inclusion (order and weights are for challenges), so identical leaves measure the same.
 */
const LEAF: Leaf = { receiptHash: H("dotdns/cu/receipt"), witness: H("dotdns/cu/witness"), weight: 1n }
const roots = new Map<number, SumNode>()
const rootOfN = (n: number): SumNode => {
  let r = roots.get(n)
  if (r === undefined) {
    const k = splitPoint(n)
    r = n === 1 ? leafNode(LEAF) : parentNode(rootOfN(k), rootOfN(n - k))
    roots.set(n, r)
  }
  return r
}
/** RFC 9162 inclusion path, siblings from the leaf up. */
const pathOf = (index: number, n: number): SumNode[] => {
  if (n === 1) return []
  const k = splitPoint(n)
  return index < k ? [...pathOf(index, k), rootOfN(n - k)] : [...pathOf(index - k, n - k), rootOfN(k)]
}

/**
 * Tree sizes whose leaves reach every depth 0..20: 2^19 + 2^17 + … + 2^1 (depths 20..12, 10),
 * 2^10 + 2^8 + … + 2^0 (11, 9..7, 5), 2^5 + 2^3 + 2^1 (6, 3), 9 (4), 3 (2, 1), 1 (0).
 */
export const DEPTH_TREES = [699_050, 1_365, 42, 9, 3, 1] as const

/** For each depth 0..20, a (tree, leaf index) whose path has that many siblings. */
export const depthPlan = (): Map<number, { tree: number; index: number }> => {
  const plan = new Map<number, { tree: number; index: number }>()
  DEPTH_TREES.forEach((n, tree) => {
    // the first leaf of each perfect block of the binary decomposition, and the last leaf
    const starts: number[] = []
    let at = 0
    for (let k = 20; k >= 0; k--) if (n & (1 << k)) (starts.push(at), (at += 1 << k))
    for (const index of [...starts, n - 1]) {
      const d = pathOf(index, n).length
      if (!plan.has(d)) plan.set(d, { tree, index })
    }
  })
  for (let d = 0; d <= MAX_PROOF_DEPTH; d++) if (!plan.has(d)) throw new Error(`no tree of ${DEPTH_TREES.join(", ")} has a leaf at depth ${d}`)
  return plan
}

/** Units of a pin at every proof depth 0..20: six aggregates (three miners × two names) of identical leaves. */
export const pinDepths = (): Map<number, number> => {
  const plan = depthPlan()
  const l = setup()
  const second = "depth.dns"
  l.run({ kind: "registerName", owner: owner.publicKey, name: second })
  l.toEpoch(3n, 1n)
  const names = [{ name: NAME, nh: NH, ...helloRoute() }, { name: second, nh: nameHashOf(second), ...route(second, 1n, owner) }]
  const slots = names.flatMap((nm) => miners.map((m) => ({ ...nm, miner: m })))
  const used = new Set<string>()
  DEPTH_TREES.forEach((n, t) => {
    const s = slots[t]!
    const root = rootOfN(n)
    const statement: AggregateStatement = {
      epoch: 2n,
      nameHash: s.nh,
      routeHash: routeHash(s.record),
      receiptRoot: root.hash,
      support: root.sum,
      receiptCount: n,
      miner: s.miner.publicKey,
      batchCid: null
    }
    const k = splitPoint(n)
    const opening: RootOpening = n === 1 ? { kind: "leaf", leaf: LEAF } : { kind: "node", left: rootOfN(k), right: rootOfN(n - k) }
    // the first aggregate of each name's round carries the owner's authorization
    const first = !used.has(s.name)
    used.add(s.name)
    l.run({ kind: "submitAggregate", statement, opening, auth: first ? { serial: 1n, owner: owner.publicKey, signature: s.signature } : null })
  })
  const units = new Map<number, number>()
  for (const [d, { tree, index }] of [...plan].sort((a, b) => a[0] - b[0])) {
    const n = DEPTH_TREES[tree]!
    const s = slots[tree]!
    const path = pathOf(index, n)
    if (!verifyInclusion(leafNode(LEAF), index, n, path, rootOfN(n))) throw new Error(`path of leaf ${index} of ${n} does not verify`)
    const op: Op = { kind: "pinLeaf", leafRef: { epoch: 2n, nameHash: s.nh, miner: s.miner.publicKey, index }, leaf: LEAF, path }
    units.set(d, l.run(op))
  }
  return units
}

export const span = (units: readonly number[]): string =>
  units.length === 0 ? "–" : Math.min(...units) === Math.max(...units) ? `${units[0]}` : `${Math.min(...units)}..${Math.max(...units)}`
