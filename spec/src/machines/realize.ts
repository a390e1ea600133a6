/**
 * Realizing machine paths as concrete op traces: a recording driver over the spec's World, and the
 * fixtures every realizer shares (a cast of keys, parameter sets, aggregates with known defects).
 *
 * The World driver lives in `spec/test/world.ts` for now.
 */
import { CHANGE_KIND, type Change } from "../accounts.ts"
import { aggregateOver, leafOf } from "../aggregate.ts"
import { zeros } from "../bytes.ts"
import { sign, type Keypair } from "../ed25519.ts"
import { H } from "../hash.ts"
import { leafNode, type SumNode } from "../merkle.ts"
import { aggregateDigest, routeAuthDigest, routeAuthOf, type AggregateStatement, type Leaf, type Receipt, type RouteRecord } from "../objects.ts"
import type { LeafRef, Op, RootOpening } from "../ops.ts"
import { LOCALNET_PARAMS, PARAM, type ParamName, type Params } from "../params.ts"
import { roundKey, type State } from "../state.ts"
import { challengeEnd } from "../transition/rounds.ts"
import { key, nameHash, receipt, route, routeHash, World } from "../../test/world.ts"
import { stepMachine, type MachineName } from "./common.ts"
import { MACHINES } from "./consistency.ts"
import { opEvents } from "./events.ts"
import { project } from "./project.ts"

export interface TraceStep {
  readonly slot: bigint
  readonly op: Op
}

/** A concrete trace: ops with their slots, run from the empty state, that take `edges` on `instance`. */
export interface MachineTrace {
  readonly name: string
  readonly machine: MachineName
  /** The instance the path is about (its projection key). */
  readonly instance: string
  /** The path's edges, in order (one per reacting region for a parallel machine). */
  readonly edges: readonly string[]
  /** The subject's state value after each path step, as canonical text. */
  readonly states: readonly string[]
  readonly steps: readonly TraceStep[]
}

export const paramsWith = (base: Params, changes: Partial<Record<ParamName, bigint>>): Params => {
  const out = [...base]
  for (const [k, v] of Object.entries(changes) as [ParamName, bigint][]) out[PARAM[k]] = v
  return out
}

export const setParam = (param: ParamName, value: bigint): Change => ({ kind: CHANGE_KIND.setParam, param: PARAM[param], value, key: zeros(32) })

/** Records every op it runs, and the edges those ops take on one subject instance. */
export class Driver {
  readonly world: World
  readonly steps: TraceStep[] = []
  subject: { machine: MachineName; key: string } | undefined
  private taken: string[] = []

  constructor(params: Params) {
    this.world = new World(params)
  }
  get state(): State {
    return this.world.state
  }
  get slot(): bigint {
    return this.world.slot
  }
  get epoch(): bigint {
    return this.world.state.config!.currentEpoch
  }
  get L(): bigint {
    return this.world.L
  }
  run(op: Op): void {
    const before = this.world.state
    const env = { slot: this.world.slot }
    this.world.run(op)
    this.steps.push({ slot: env.slot, op })
    const subject = this.subject
    if (subject === undefined) return
    let p = project(subject.machine, before, subject.key)
    for (const e of opEvents(before, op, env)) {
      if (e.machine !== subject.machine || e.key !== subject.key) continue
      const step = stepMachine(MACHINES[e.machine], p, e.event)
      this.taken.push(...step.edges)
      p = step.next
    }
  }
  /** The subject's edges since the last call. */
  takeEdges(): string[] {
    const t = this.taken
    this.taken = []
    return t
  }
  warp(slot: bigint): void {
    if (slot < this.world.slot) throw new Error(`the clock cannot go back from ${this.world.slot} to ${slot}`)
    this.world.warpTo(slot)
  }
  warpAtLeast(slot: bigint): void {
    if (slot > this.world.slot) this.world.warpTo(slot)
  }
  advance(): void {
    this.warpAtLeast((this.epoch + 1n) * this.L)
    this.run({ kind: "advanceEpoch" })
  }
  toEpoch(epoch: bigint, offset = 0n): void {
    while (this.epoch < epoch) this.advance()
    this.warpAtLeast(epoch * this.L + offset)
  }
}

// ------------------------------------------------------------------------------------------------- cast

export const ADMIN = key("machines/admin")
export const OWNER = key("machines/owner")
export const CHALLENGER = key("machines/challenger")
/** Four equal members: three of them are a quorum, so a round can finalize with one of them out. */
export const MEMBERS: readonly Keypair[] = [key("machines/m1"), key("machines/m2"), key("machines/m3"), key("machines/m4")]
export const WITNESSES: readonly Keypair[] = Array.from({ length: 8 }, (_, i) => key(`machines/w${i + 1}`))
export const MEMBER_STAKE = 5_000_000_000n
export const witnessStake = (i: number): bigint => BigInt(i + 1) * 1_000_000_000n

/** 100-slot epochs: a 20-slot submit window, 20 slots of challenges, 5 slots to answer a reveal. */
export const ROUND_PARAMS: Params = paramsWith(LOCALNET_PARAMS, {
  epochLengthSlots: 100n,
  submitWindowSlots: 20n,
  challengeWindowSlots: 20n,
  responseWindowSlots: 5n
})

// ----------------------------------------------------------------------------------- defective aggregates

/**
 * One miner's aggregate of eight leaves with a known defect at known places:
 * 0, 1, 6, 7 good; 2 overweight (BLF-7); 3 a receipt for another route (BLF-10); 4, 5 good leaves in
 * decreasing witness order (BLF-8). Reveals answered on 0, 1, 4, 5, 6 or 7 are good answers.
 */
export interface Planted {
  readonly statement: AggregateStatement
  readonly opening: RootOpening
  readonly leaves: readonly Leaf[]
  readonly receipts: readonly { readonly receipt: Receipt; readonly signature: Uint8Array }[]
  proof(index: number): SumNode[]
  /** A different statement by the same miner about the same round: a one-leaf aggregate of leaf 0. */
  readonly other: { readonly statement: AggregateStatement; readonly opening: RootOpening }
}

export const GOOD_LEAVES: readonly number[] = [0, 1, 4, 5, 6, 7]
export const LEAF = { badWeight: 2, mismatch: 3, badOrder: 4 } as const

export const plantedAggregate = (
  miner: Uint8Array,
  epoch: bigint,
  name: string,
  record: RouteRecord,
  witnesses: readonly Keypair[],
  stakeOf: (w: Uint8Array) => bigint
): Planted => {
  const sorted = [...witnesses].sort((a, b) => Buffer.compare(Buffer.from(a.publicKey), Buffer.from(b.publicKey)))
  const rh = routeHash(record)
  const order = [0, 1, 2, 3, 5, 4, 6, 7].map((i) => sorted[i % sorted.length]!)
  const receipts = order.map((w, i) => receipt(w, epoch, name, i === LEAF.mismatch ? H("dotdns/test/other-route") : rh))
  const leaves: Leaf[] = receipts.map((r, i) => leafOf(r, stakeOf(r.receipt.witness) + (i === LEAF.badWeight ? 1n : 0n)))
  const { statement, opening, proof } = aggregateOver(leaves, { epoch, nameHash: nameHash(name), routeHash: rh, miner, batchCid: null })
  const single = leafNode(leaves[0]!)
  return {
    statement,
    opening,
    leaves,
    receipts,
    proof,
    other: {
      statement: { ...statement, receiptRoot: single.hash, support: single.sum, receiptCount: 1 },
      opening: { kind: "leaf", leaf: leaves[0]! }
    }
  }
}

export const signedStatement = (miner: Keypair, statement: AggregateStatement) => ({ statement, signature: sign(miner, aggregateDigest(statement)) })

/**
 * A round of epoch `epoch` for `name`, with the planted aggregates of its members: submitting,
 * equivocating, pinning, proving bad leaves and opening, answering and settling reveals.
 */
export class RoundFixture {
  readonly d: Driver
  readonly epoch: bigint
  readonly name: string
  readonly members: readonly Keypair[]
  readonly witnesses: readonly Keypair[]
  private readonly planted = new Map<string, Planted>()
  private readonly submitted = new Map<number, Planted>()
  private readonly pinned = new Set<string>()
  private readonly revealed = new Map<number, number>()
  /** Open reveal challenges by this fixture, oldest first. */
  readonly open: { ref: LeafRef; deadline: bigint }[] = []

  constructor(d: Driver, epoch: bigint, name: string, members: readonly Keypair[], witnesses: readonly Keypair[] = WITNESSES) {
    this.d = d
    this.epoch = epoch
    this.name = name
    this.members = members
    this.witnesses = witnesses
  }
  get key(): string {
    return roundKey(this.epoch, nameHash(this.name))
  }
  get challengeEnd(): bigint {
    return this.d.state.rounds.get(this.key)?.challengeEnd ?? challengeEnd(this.d.state, this.epoch)
  }
  aggregate(member: number, record: RouteRecord): Planted {
    const id = `${member}/${record.serial}`
    let a = this.planted.get(id)
    if (a === undefined) {
      a = plantedAggregate(this.members[member]!.publicKey, this.epoch, this.name, record, this.witnesses, (w) => this.d.world.stakeOf(w, this.epoch))
      this.planted.set(id, a)
    }
    return a
  }
  ref(member: number, index: number): LeafRef {
    return { epoch: this.epoch, nameHash: nameHash(this.name), miner: this.members[member]!.publicKey, index }
  }
  submit(member: number, record: RouteRecord, owner: Keypair = OWNER): void {
    const a = this.aggregate(member, record)
    const signature = sign(owner, routeAuthDigest(routeAuthOf(record)))
    this.d.run({ kind: "submitAggregate", statement: a.statement, opening: a.opening, auth: { serial: record.serial, owner: owner.publicKey, signature } })
    this.submitted.set(member, a)
  }
  /** The member's second, different statement, submitted on-chain [EQV-2]. */
  equivocate(member: number): void {
    const a = this.mustHave(member)
    this.d.run({ kind: "submitAggregate", statement: a.other.statement, opening: a.other.opening, auth: null })
  }
  proveEquivocation(member: number): void {
    const a = this.mustHave(member)
    this.d.run({ kind: "proveEquivocation", challenger: CHALLENGER.publicKey, first: signedStatement(this.members[member]!, a.other.statement), second: null })
  }
  pin(member: number, index: number): void {
    const id = `${member}/${index}`
    if (this.pinned.has(id)) return
    const a = this.mustHave(member)
    this.d.run({ kind: "pinLeaf", leafRef: this.ref(member, index), leaf: a.leaves[index]!, path: a.proof(index) })
    this.pinned.add(id)
  }
  proveBadWeight(member: number): void {
    this.pin(member, LEAF.badWeight)
    this.d.run({ kind: "proveBadWeight", challenger: CHALLENGER.publicKey, leafRef: this.ref(member, LEAF.badWeight) })
  }
  proveBadOrder(member: number): void {
    this.pin(member, LEAF.badOrder)
    this.pin(member, LEAF.badOrder + 1)
    this.d.run({ kind: "proveBadOrder", challenger: CHALLENGER.publicKey, leafRef: this.ref(member, LEAF.badOrder) })
  }
  proveLeafMismatch(member: number): void {
    const a = this.mustHave(member)
    this.pin(member, LEAF.mismatch)
    const r = a.receipts[LEAF.mismatch]!
    this.d.run({ kind: "proveLeafMismatch", challenger: CHALLENGER.publicKey, leafRef: this.ref(member, LEAF.mismatch), receipt: r.receipt, signature: r.signature })
  }
  /** Opens a reveal on the member's next good leaf, one slot after the last, so deadlines differ. */
  openReveal(member: number): LeafRef {
    const n = this.revealed.get(member) ?? 0
    if (n >= GOOD_LEAVES.length) throw new Error(`member ${member} has no unchallenged good leaf left`)
    this.revealed.set(member, n + 1)
    this.d.warp(this.d.slot + 1n)
    const ref = this.ref(member, GOOD_LEAVES[n]!)
    this.d.run({ kind: "openReveal", challenger: CHALLENGER.publicKey, leafRef: ref })
    this.open.push({ ref, deadline: this.d.slot + this.d.state.config!.params[PARAM.responseWindowSlots]! })
    return ref
  }
  /** Answers the newest open reveal (its deadline is the latest). */
  respond(): void {
    const c = this.open.pop()
    if (c === undefined) throw new Error("no open reveal to answer")
    const member = this.members.findIndex((m) => Buffer.from(m.publicKey).equals(Buffer.from(c.ref.miner)))
    const a = this.mustHave(member)
    this.pin(member, c.ref.index)
    const r = a.receipts[c.ref.index]!
    this.d.run({ kind: "respondReveal", leafRef: c.ref, receipt: r.receipt, signature: r.signature })
  }
  /** Settles the oldest open reveal at its deadline. */
  resolve(): void {
    const c = this.open.shift()
    if (c === undefined) throw new Error("no open reveal to settle")
    this.d.warpAtLeast(c.deadline)
    this.d.run({ kind: "resolveReveal", leafRef: c.ref })
  }
  finalize(): void {
    this.d.warpAtLeast(this.challengeEnd)
    this.d.run({ kind: "finalizeRound", epoch: this.epoch, nameHash: nameHash(this.name) })
  }
  private mustHave(member: number): Planted {
    const a = this.submitted.get(member)
    if (a === undefined) throw new Error(`member ${member} has no aggregate in round ${this.key}`)
    return a
  }
}

/** The route records the realizers use for `name`: A (serial 1), B (serial 2), and a rival's (serial 5). */
export const routesOf = (name: string) => ({
  A: route(name, 1n, OWNER, "10.0.0.1").record,
  B: route(name, 2n, OWNER, "10.0.0.2").record,
  R: route(name, 5n, OWNER, "10.0.0.5").record
})

export { key, nameHash, routeHash }
