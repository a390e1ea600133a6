/**
 * A miner an adversary drives. It is *not* the reference miner: it keeps what witnesses and owners send
 * it, builds whatever statements its strategy wants (with the spec's Merkle-sum tree, so the program
 * accepts them), and serves whatever its strategy publishes through its audit API — the `Peer` the
 * honest watchers audit.
 *
 * `follow` is the honest protocol in its simplest form (the spec's `buildAggregate` over the received
 * receipts, the best-supported authorized route, submit in the window, publish, answer reveals): what
 * the miner does while its strategy is stopped, and what a strategy calls for names it leaves alone.
 */
import { Effect } from "effect"
import { decodeAccount } from "../../programs/client/decode.ts"
import { buildAggregate, leafOf, type SignedReceipt } from "../../spec/src/aggregate.ts"
import { AGGREGATE_FLAG, CHALLENGE_STATUS, ACCOUNTS } from "../../spec/src/accounts.ts"
import { compare, equal, hex } from "../../spec/src/bytes.ts"
import { sign, type Keypair } from "../../spec/src/ed25519.ts"
import { buildLevels, inclusionPath, leafNode, rootChildren, type SumNode } from "../../spec/src/merkle.ts"
import { aggregateDigest, encodeAggregate as encodeStatement, type AggregateStatement, type Leaf } from "../../spec/src/objects.ts"
import type { LeafRef, Op, RootOpening, RouteAuthorization } from "../../spec/src/ops.ts"
import { param } from "../../spec/src/params.ts"
import { witnessStakeAt } from "../../spec/src/state.ts"
import { SPEC_VERSION } from "../../spec/src/version.ts"
import type { Peer, PeerLeaf } from "../../reference/miner/Watcher.ts"
import type { Action, ChainReader, NameInfo, PublishedRoute, Tick } from "./Strategy.ts"

/** A statement with everything needed to submit, publish, prove leaves and answer reveals. */
export interface Built {
  readonly statement: AggregateStatement
  readonly signature: Uint8Array
  readonly leaves: readonly Leaf[]
  /** The receipt behind each leaf (null where there is none: an invented leaf). */
  readonly receipts: readonly (SignedReceipt | null)[]
  readonly levels: readonly SumNode[][]
  readonly opening: RootOpening
  proof(index: number): SumNode[]
}

const roundKey = (epoch: bigint, nameHash: Uint8Array): string => `${epoch}/${hex(nameHash)}`
const CHALLENGE_SIZE = ACCOUNTS.Challenge.layout.size

export class AdversaryMiner {
  readonly label: string
  readonly keypair: Keypair
  /** Whether honest miners can reach its audit API at all. */
  readonly api: boolean
  readonly url: string
  private readonly chain: ChainReader
  private readonly namesOf: () => readonly NameInfo[]
  private readonly inbox = new Map<string, Map<string, SignedReceipt>>()
  /** What its API serves per round: every statement it published, newest last. */
  readonly published = new Map<string, Built[]>()
  /** What it submitted on chain per round (the first submission). */
  readonly submitted = new Map<string, Built>()
  withholding = false

  constructor(o: { label: string; keypair: Keypair; api: boolean; chain: ChainReader; names: () => readonly NameInfo[] }) {
    this.label = o.label
    this.keypair = o.keypair
    this.api = o.api
    this.url = `sim://adversary/${o.label}`
    this.chain = o.chain
    this.namesOf = o.names
  }

  get publicKey(): Uint8Array {
    return this.keypair.publicKey
  }

  // ---------------------------------------------------------------------------------- what it holds

  /** Receipts from witnesses; one per witness per (epoch, name), the first kept. */
  receive(receipts: readonly SignedReceipt[]): void {
    for (const r of receipts) {
      const k = roundKey(r.receipt.epoch, r.receipt.nameHash)
      let m = this.inbox.get(k)
      if (m === undefined) this.inbox.set(k, (m = new Map()))
      const w = hex(r.receipt.witness)
      if (!m.has(w)) m.set(w, r)
    }
  }

  /** Receipts it holds for (epoch, name), optionally for one route. */
  receipts(epoch: bigint, nameHash: Uint8Array, routeHash?: Uint8Array): SignedReceipt[] {
    const all = [...(this.inbox.get(roundKey(epoch, nameHash))?.values() ?? [])]
    return routeHash === undefined ? all : all.filter((r) => equal(r.receipt.routeHash, routeHash))
  }

  /** Names with receipts in an epoch. */
  namesWithReceipts(epoch: bigint): NameInfo[] {
    return this.namesOf().filter((n) => this.inbox.has(roundKey(epoch, n.nameHash)))
  }

  /** A witness's stake in an epoch, from its Witness account [STK-8]. */
  stakeAt(witness: Uint8Array, epoch: bigint): bigint {
    return witnessStakeAt(this.chain.witness(witness), epoch)
  }

  /** Route records its owner published for a name (every miner gets them). */
  routes(nameHash: Uint8Array): readonly PublishedRoute[] {
    return this.namesOf().find((n) => equal(n.nameHash, nameHash))?.routes ?? []
  }

  routeByHash(nameHash: Uint8Array, routeHash: Uint8Array): PublishedRoute | undefined {
    return this.routes(nameHash).find((r) => equal(r.routeHash, routeHash))
  }

  /** Seated on Committee(epoch) and not jailed now. */
  seated(epoch: bigint): boolean {
    const c = this.chain.committee(epoch)
    if (c === undefined) return false
    let member = false
    for (let i = 0; i < c.memberCount; i++) if (equal(c.members[i]!.key, this.publicKey)) member = true
    return member && !this.jailed()
  }

  jailed(): boolean {
    const set = this.chain.minerSet()
    if (set === undefined) return false
    for (let i = 0; i < set.count; i++) if (equal(set.entries[i]!.key, this.publicKey)) return set.entries[i]!.jailed !== 0
    return false
  }

  // ----------------------------------------------------------------------------------- building

  /** A signed statement over exactly these leaves, in this order (the program checks only the root). */
  fromLeaves(epoch: bigint, nameHash: Uint8Array, routeHash: Uint8Array, leaves: readonly Leaf[], receipts: readonly (SignedReceipt | null)[], batchCid: Uint8Array | null = null): Built {
    if (leaves.length === 0) throw new RangeError("an aggregate has at least one leaf")
    const levels = buildLevels(leaves.map(leafNode))
    const root = levels[levels.length - 1]![0]!
    const statement: AggregateStatement = { epoch, nameHash, routeHash, receiptRoot: root.hash, support: root.sum, receiptCount: leaves.length, miner: this.publicKey, batchCid }
    const opening: RootOpening = leaves.length === 1 ? { kind: "leaf", leaf: leaves[0]! } : { kind: "node", ...rootChildren(levels[0]!) }
    return { statement, signature: sign(this.keypair, aggregateDigest(statement)), leaves, receipts, levels, opening, proof: (i) => inclusionPath(levels, i) }
  }

  /** The honest aggregate of these receipts: weights are stakes in the epoch, leaves sorted by witness [AGG-5]. */
  build(epoch: bigint, nameHash: Uint8Array, routeHash: Uint8Array, receipts?: readonly SignedReceipt[]): Built | undefined {
    const staked = (receipts ?? this.receipts(epoch, nameHash, routeHash)).filter((r) => this.stakeAt(r.receipt.witness, epoch) > 0n)
    if (staked.length === 0) return undefined
    const b = buildAggregate(staked, (w) => this.stakeAt(w, epoch), this.publicKey)
    const statement = b.statement
    return { statement, signature: sign(this.keypair, aggregateDigest(statement)), leaves: b.leaves, receipts: b.receipts, levels: b.levels, opening: b.opening, proof: b.proof }
  }

  /** Leaves for receipts, with weights from `weight` (default: the true stake) — for crafted trees. */
  leavesFor(receipts: readonly SignedReceipt[], epoch: bigint, weight?: (r: SignedReceipt, i: number) => bigint): Leaf[] {
    return receipts.map((r, i) => leafOf(r, weight === undefined ? this.stakeAt(r.receipt.witness, epoch) : weight(r, i)))
  }

  /** Receipts sorted by witness key (leaf order [MRK-2]). */
  static sorted(receipts: readonly SignedReceipt[]): SignedReceipt[] {
    return [...receipts].sort((a, b) => compare(a.receipt.witness, b.receipt.witness))
  }

  /**
   * The route an honest miner would aggregate for (epoch, name): among routes the owner authorized above
   * the canonical serial (or already in the round), the one with the most staked support.
   */
  honestRoute(epoch: bigint, nameHash: Uint8Array): PublishedRoute | undefined {
    const name = this.chain.name(nameHash)
    const canonical = name?.serial ?? 0n
    const round = this.chain.round(epoch, nameHash)
    const inRound = (rh: Uint8Array) => round !== undefined && round.routes.slice(0, round.routeCount).some((r) => equal(r.routeHash, rh))
    let best: { route: PublishedRoute; support: bigint } | undefined
    for (const route of this.routes(nameHash)) {
      if (!inRound(route.routeHash) && (route.serial <= canonical || name === undefined || !equal(route.record.owner, name.owner))) continue
      const support = this.receipts(epoch, nameHash, route.routeHash).reduce((s, r) => s + this.stakeAt(r.receipt.witness, epoch), 0n)
      if (support === 0n) continue
      if (best === undefined || support > best.support || (support === best.support && route.serial > best.route.serial)) best = { route, support }
    }
    return best?.route
  }

  // ------------------------------------------------------------------------------------ actions

  /** The owner's authorization of the statement's route, when the route is not in the round yet [RND-5]. */
  authFor(statement: AggregateStatement): RouteAuthorization | null {
    const round = this.chain.round(statement.epoch, statement.nameHash)
    if (round !== undefined && round.routes.slice(0, round.routeCount).some((r) => equal(r.routeHash, statement.routeHash))) return null
    const route = this.routeByHash(statement.nameHash, statement.routeHash)
    return route === undefined ? null : { serial: route.serial, owner: route.record.owner, signature: route.signature }
  }

  submitOp(b: Built, auth: RouteAuthorization | null | "auto" = "auto"): Op {
    return { kind: "submitAggregate", statement: b.statement, opening: b.opening, auth: auth === "auto" ? this.authFor(b.statement) : auth }
  }

  /** Submit `b` (recorded as this round's submission, for answering reveals later). */
  submit(b: Built, note?: string, auth: RouteAuthorization | null | "auto" = "auto"): Action {
    const k = roundKey(b.statement.epoch, b.statement.nameHash)
    if (!this.submitted.has(k)) this.submitted.set(k, b)
    return { kind: "op", as: this.label, op: this.submitOp(b, auth), ...(note === undefined ? {} : { note }) }
  }

  publish(b: Built): Action {
    return { kind: "publish", miner: this.label, statement: { statement: b.statement, signature: b.signature }, leaves: b.leaves, receipts: b.receipts }
  }

  /** Called by the engine for a `publish` action. */
  applyPublish(b: Built): void {
    const k = roundKey(b.statement.epoch, b.statement.nameHash)
    const list = this.published.get(k) ?? []
    if (!list.some((x) => equal(aggregateDigest(x.statement), aggregateDigest(b.statement)))) list.push(b)
    this.published.set(k, list)
  }

  /** Whether its API serves a statement for (epoch, name). */
  hasPublished(epoch: bigint, nameHash: Uint8Array): boolean {
    return this.published.has(roundKey(epoch, nameHash))
  }

  /** Whether it already sent a submission for (epoch, name). */
  hasSubmitted(epoch: bigint, nameHash: Uint8Array): boolean {
    return this.submitted.has(roundKey(epoch, nameHash))
  }

  /** Open reveal challenges against this miner. */
  openChallenges(): { readonly ref: LeafRef; readonly deadline: bigint }[] {
    const out: { ref: LeafRef; deadline: bigint }[] = []
    for (const { account } of this.chain.programAccounts()) {
      if (account.data.length !== CHALLENGE_SIZE) continue
      const c = decodeAccount("Challenge", account.data)
      if (c === undefined || c.status !== CHALLENGE_STATUS.open || !equal(c.miner, this.publicKey)) continue
      out.push({ ref: { epoch: c.epoch, nameHash: c.nameHash, miner: c.miner, index: c.leafIndex }, deadline: c.deadline })
    }
    return out
  }

  /** Pins and answers every open reveal it can (a leaf of its submission with a genuine receipt) [RVL-6..9]. */
  answerReveals(slot: bigint): Action[] {
    const actions: Action[] = []
    for (const { ref, deadline } of this.openChallenges()) {
      if (slot >= deadline) continue
      const b = this.submitted.get(roundKey(ref.epoch, ref.nameHash))
      const receipt = b?.receipts[ref.index]
      if (b === undefined || receipt === undefined || receipt === null) continue
      if (this.chain.pin(ref) === undefined) actions.push({ kind: "op", as: this.label, op: { kind: "pinLeaf", leafRef: ref, leaf: b.leaves[ref.index]!, path: b.proof(ref.index) }, note: "pin to answer a reveal" })
      actions.push({ kind: "op", as: this.label, op: { kind: "respondReveal", leafRef: ref, receipt: receipt.receipt, signature: receipt.signature }, note: "answer a reveal" })
    }
    return actions
  }

  /**
   * The honest protocol for this tick: in the submit window of epoch E = tick.epoch − 1, an honest
   * aggregate for every name it holds receipts for (when seated), submitted and published; and answers
   * to reveal challenges. `skip` names it leaves to its strategy.
   */
  follow(tick: Tick, skip: (name: NameInfo) => boolean = () => false): Action[] {
    const actions: Action[] = []
    const E = tick.epoch - 1n
    if (E >= 0n && tick.offset < tick.submitWindow && this.seated(E)) {
      for (const name of this.namesWithReceipts(E)) {
        if (skip(name) || this.hasSubmitted(E, name.nameHash)) continue
        const agg = this.chain.aggregate(E, name.nameHash, this.publicKey)
        if (agg !== undefined && (agg.flags & AGGREGATE_FLAG.submitted) !== 0) continue
        const route = this.honestRoute(E, name.nameHash)
        if (route === undefined) continue
        const b = this.build(E, name.nameHash, route.routeHash)
        if (b === undefined) continue
        actions.push(this.submit(b), this.publish(b))
      }
    }
    actions.push(...this.answerReveals(tick.slot))
    return actions
  }

  // ---------------------------------------------------------------------------------------- API

  private latest(epoch: bigint, nameHash: Uint8Array): Built | undefined {
    const list = this.published.get(roundKey(epoch, nameHash))
    return list?.[list.length - 1]
  }

  /** Its audit API as honest watchers reach it. */
  peer(): Peer {
    const url = this.url
    const me = this.publicKey
    return {
      url,
      info: Effect.sync(() => ({ miner: me, programId: this.chain.programId, specVersion: SPEC_VERSION })),
      // The fields `GET /v1/roots/{epoch}` lists: the watcher fetches a statement when its digest is new.
      roots: (epoch) =>
        Effect.sync(() =>
          [...this.published.entries()]
            .filter(([k]) => k.startsWith(`${epoch}/`))
            .map(([, list]) => {
              const b = list[list.length - 1]!
              const s = b.statement
              return {
                nameHash: s.nameHash,
                routeHash: s.routeHash,
                receiptRoot: s.receiptRoot,
                support: s.support,
                receiptCount: s.receiptCount,
                miner: me,
                statementHash: aggregateDigest(s),
                signature: b.signature
              }
            })
        ),
      statement: (epoch, h, miner) =>
        Effect.sync(() => {
          if (!equal(miner, me)) return undefined
          const b = this.latest(epoch, h)
          if (b === undefined) return undefined
          return { statement: b.statement, encoding: encodeStatement(b.statement), signature: b.signature }
        }),
      leaves: (epoch, h, miner) =>
        Effect.sync(() => {
          const b = equal(miner, me) && !this.withholding ? this.latest(epoch, h) : undefined
          return b === undefined ? undefined : b.leaves.map((leaf, index): PeerLeaf => ({ index, leaf, receipt: b.receipts[index] ?? null }))
        }),
      proof: (epoch, h, miner, index) =>
        Effect.sync(() => {
          const b = equal(miner, me) && !this.withholding ? this.latest(epoch, h) : undefined
          if (b === undefined || index >= b.leaves.length) return undefined
          return { leaf: b.leaves[index]!, path: b.proof(index), receipt: b.receipts[index] ?? null }
        })
    }
  }
}

/** The submit window of epoch E's rounds, from the parameters in force. */
export const submitWindowOf = (params: readonly bigint[], epoch: bigint): { start: bigint; end: bigint } => {
  const L = param(params, "epochLengthSlots")
  const start = (epoch + 1n) * L
  return { start, end: start + param(params, "submitWindowSlots") }
}
