/**
 * Gossip and audit: the miner keeps other miners honest without human action.
 *
 *   peers' /v1/info ─▶ which miner key each peer URL speaks for (peers of another program or
 *       major spec version are ignored)
 *   peers' /v1/roots listings ─▶ statement digests; a digest not seen before ─▶ the signed statement
 *       (verified: digest, ed25519 [AGG-1]) ─▶ Repository
 *   statements vs each other and vs on-chain Aggregate accounts ─▶ prove_equivocation [EQV-1..8]
 *   on-chain aggregates' leaves (peer audit endpoints) ─▶ weights vs StakeView, order, receipts
 *       ─▶ pin_leaf + prove_bad_weight / prove_bad_order / prove_leaf_mismatch [BLF-6..10]
 *   every submitted Aggregate account of the rounds still open to challenge (getProgramAccounts) that
 *       no listing covered ─▶ audited through its miner's peer; no peer for the miner, or leaves and
 *       proofs a peer will not serve (or a receipt it cannot show) ─▶ open_reveal on sampled leaves [RVL-1]
 *   this miner's reveal challenges past their deadline ─▶ resolve_reveal [RVL-10]
 *
 * Statements are compared by digest: a listing carries each statement's `statementHash`, which every
 * field — `batch_cid` included — changes, so a statement is fetched whenever its digest is new, and a
 * miner cannot slip a second statement past the watcher by changing only what a summary leaves out.
 *
 * Every action is recorded (Repository `chain_actions`, keyed by what it proves), so a proof is filed
 * once, a restart does not repeat it, and losing the race to another honest challenger (EQV-3, BLF-5,
 * RVL-3) is an expected outcome. Reveals cost a bond, so a miner gets `reveal_after_slots` after the
 * submit window to serve its leaves before one is opened; at most `reveal_leaves` leaves of one
 * aggregate are challenged, at most `reveal_budget` of this miner's reveals are open at once, and none
 * is opened that the miner's balance cannot bond. Which leaves are sampled comes from the injected seed,
 * never from a clock or `Math.random`.
 */
import { Context, Data, Effect, Layer, Schema } from "effect"
import { AGGREGATE_FLAG, AggregateLayout, MEMBER_FLAG, type AggregateAccount, type RoundAccount } from "../../spec/src/accounts.ts"
import { compare, equal, fromHex, hex, u32le, u64le } from "../../spec/src/bytes.ts"
import { verify } from "../../spec/src/ed25519.ts"
import { H } from "../../spec/src/hash.ts"
import { buildLevels, inclusionPath, leafNode, verifyInclusion, type SumNode } from "../../spec/src/merkle.ts"
import { aggregateDigest, decodeAggregate, receiptDigest, receiptHash, type AggregateStatement, type Leaf, type Receipt } from "../../spec/src/objects.ts"
import type { LeafRef, Op, SignedAggregate } from "../../spec/src/ops.ts"
import { param } from "../../spec/src/params.ts"
import { SPEC_VERSION } from "../../spec/src/version.ts"
import { fromBase58, toBase58 } from "../../programs/client/base58.ts"
import { ChainTx, minerEntryOf, type TxError } from "./Chain.ts"
import { MinerConfig } from "./Config.ts"
import { Identity } from "./Identity.ts"
import * as Metrics from "./Metrics.ts"
import { InfoJson, LeavesResponse, MinerAggregateResponse, ProofJson, RootsResponse } from "./schemas.ts"
import { StakeView } from "./StakeView.ts"
import { Repository, type ChainActionRow, type StorageError } from "./Storage.ts"

// ------------------------------------------------------------------------------------------- errors

/** A peer did not answer, or answered something that does not decode. */
export class PeerError extends Data.TaggedError("PeerError")<{ readonly url: string; readonly message: string }> {}
export class WatcherError extends Data.TaggedError("WatcherError")<{ readonly message: string }> {}

// ------------------------------------------------------------------------------------------ peers

export interface PeerStatement {
  readonly statement: AggregateStatement
  readonly encoding: Uint8Array
  readonly signature: Uint8Array
}

export interface PeerLeaf {
  readonly index: number
  readonly leaf: Leaf
  readonly receipt: { readonly receipt: Receipt; readonly signature: Uint8Array } | null
}

export interface PeerProof {
  readonly leaf: Leaf
  readonly path: readonly SumNode[]
  readonly receipt: { readonly receipt: Receipt; readonly signature: Uint8Array } | null
}

/** What a peer says of itself (`GET /v1/info`): a claim, checked only by what it serves. */
export interface PeerInfo {
  readonly miner: Uint8Array
  readonly programId: Uint8Array
  /** The spec version it implements [VER-1]. */
  readonly specVersion: string
}

/** One entry of a peer's `GET /v1/roots/{epoch}`: which statement it holds, by digest, and the signature over it. */
export interface PeerRoot {
  readonly nameHash: Uint8Array
  readonly miner: Uint8Array
  /** The statement digest [AGG-1]: any change to any field of the statement changes it. */
  readonly statementHash: Uint8Array
  readonly signature: Uint8Array
}

/** One other miner's API, as the watcher uses it. `undefined` answers mean 404 (the peer does not have it). */
export interface Peer {
  readonly url: string
  readonly info: Effect.Effect<PeerInfo, PeerError>
  roots(epoch: bigint): Effect.Effect<readonly PeerRoot[], PeerError>
  statement(epoch: bigint, nameHash: Uint8Array, miner: Uint8Array): Effect.Effect<PeerStatement | undefined, PeerError>
  leaves(epoch: bigint, nameHash: Uint8Array, miner: Uint8Array): Effect.Effect<readonly PeerLeaf[] | undefined, PeerError>
  proof(epoch: bigint, nameHash: Uint8Array, miner: Uint8Array, index: number): Effect.Effect<PeerProof | undefined, PeerError>
}

const PEER_TIMEOUT_MS = 5000
const LEAF_PAGE = 10_000

/** A peer over HTTP (`peers` in the config): the spec's audit endpoints [API-5]. */
export const httpPeer = (base: string): Peer => {
  const url = base.replace(/\/+$/, "")
  const get = <S extends Schema.Top & { readonly DecodingServices: never }>(path: string, schema: S) =>
    Effect.tryPromise({
      try: async (signal) => {
        const res = await fetch(`${url}${path}`, { signal: AbortSignal.any([signal, AbortSignal.timeout(PEER_TIMEOUT_MS)]) })
        if (res.status === 404) return undefined
        if (!res.ok) throw new Error(`HTTP ${res.status}`)
        return (await res.json()) as unknown
      },
      catch: (e) => new PeerError({ url, message: `GET ${path}: ${e instanceof Error ? e.message : String(e)}` })
    }).pipe(
      Effect.flatMap((json) =>
        json === undefined
          ? Effect.succeed(undefined)
          : Schema.decodeUnknownEffect(schema)(json).pipe(Effect.mapError((e) => new PeerError({ url, message: `GET ${path}: malformed answer: ${e.message}` })))
      )
    )
  return {
    url,
    info: get("/v1/info", InfoJson).pipe(
      Effect.flatMap((i) =>
        i === undefined
          ? Effect.fail(new PeerError({ url, message: "no /v1/info" }))
          : Effect.succeed({ miner: fromBase58(i.miner), programId: fromBase58(i.programId), specVersion: i.specVersion } satisfies PeerInfo)
      )
    ),
    roots: (epoch) => get(`/v1/roots/${epoch}`, RootsResponse).pipe(Effect.map((r) => r?.roots ?? [])),
    statement: (epoch, h, miner) =>
      get(`/v1/aggregates/${epoch}/${hex(h)}/${hex(miner)}`, MinerAggregateResponse).pipe(
        Effect.map((r) => (r === undefined ? undefined : { statement: r.statement, encoding: r.encoding, signature: r.signature }))
      ),
    leaves: (epoch, h, miner) =>
      Effect.gen(function* () {
        const out: PeerLeaf[] = []
        let offset: number | null = 0
        while (offset !== null) {
          const page: typeof LeavesResponse.Type | undefined = yield* get(`/v1/aggregates/${epoch}/${hex(h)}/${hex(miner)}/leaves?offset=${offset}&limit=${LEAF_PAGE}`, LeavesResponse)
          if (page === undefined) return undefined
          out.push(...page.leaves)
          offset = page.next
        }
        return out as readonly PeerLeaf[]
      }),
    proof: (epoch, h, miner, index) => get(`/v1/aggregates/${epoch}/${hex(h)}/${hex(miner)}/proofs/${index}`, ProofJson)
  }
}

/** The peers the watcher gossips with. Tests and the simulator swap in their own. */
export class Peers extends Context.Service<Peers, { readonly peers: readonly Peer[] }>()("dotdns/miner/Peers") {
  static readonly layer = Layer.effect(
    Peers,
    Effect.gen(function* () {
      const config = yield* MinerConfig
      return Peers.of({ peers: config.peers.map(httpPeer) })
    })
  )
  static readonly layerStatic = (peers: readonly Peer[]) => Layer.succeed(Peers, Peers.of({ peers }))
}

// ------------------------------------------------------------------------------------------ helpers

/** Keys remembered per epoch, forgotten once the epoch's rounds can no longer be challenged. */
class EpochKeys {
  private readonly byEpoch = new Map<bigint, Set<string>>()
  has(epoch: bigint, key: string): boolean {
    return this.byEpoch.get(epoch)?.has(key) === true
  }
  add(epoch: bigint, key: string): void {
    let keys = this.byEpoch.get(epoch)
    if (keys === undefined) this.byEpoch.set(epoch, (keys = new Set()))
    keys.add(key)
  }
  /** Forgets every epoch before `oldest`. */
  forgetBefore(oldest: bigint): void {
    for (const e of [...this.byEpoch.keys()]) if (e < oldest) this.byEpoch.delete(e)
  }
}

/** Aggregate account offsets used in getProgramAccounts filters (spec 12, AggregateAccount). */
export const AGGREGATE_OFFSET = { flags: AggregateLayout.offsets.flags, epoch: AggregateLayout.offsets.epoch } as const

/** Lamports kept aside for fees when deciding whether a reveal's bond is affordable. */
const FEE_RESERVE = 10_000_000n

/** Why a peer is not gossiped with: it acts on another program, or implements another major spec version. */
export const foreignPeer = (info: PeerInfo, programId: Uint8Array): string | undefined =>
  !equal(info.programId, programId)
    ? `it acts on program ${toBase58(info.programId)}, not ${toBase58(programId)}`
    : info.specVersion.split(".")[0] !== SPEC_VERSION.split(".")[0]
      ? `it implements spec ${info.specVersion}, not ${SPEC_VERSION.split(".")[0]}.x [VER-1]`
      : undefined

/** The seed behind every sampling choice: the configured one, or one derived from the identity. */
export const dutySeed = (configured: string | undefined, identity: Uint8Array): Uint8Array =>
  configured !== undefined ? fromHex(configured) : H("dotdns/miner/duty-seed", identity)

/** `k` distinct indices below `n`, drawn deterministically from the seed and the aggregate. */
export const sampleIndices = (seed: Uint8Array, epoch: bigint, nameHash: Uint8Array, miner: Uint8Array, n: number, k: number): number[] => {
  if (k >= n) return Array.from({ length: n }, (_, i) => i)
  const chosen = new Set<number>()
  for (let j = 0; chosen.size < k; j++) {
    const h = H("dotdns/miner/sample", seed, u64le(epoch), nameHash, miner, u32le(j))
    chosen.add(Number(new DataView(h.buffer, h.byteOffset, 8).getBigUint64(0, true) % BigInt(n)))
  }
  return [...chosen].sort((a, b) => a - b)
}

/** A statement a peer served, checked: it decodes to what it claims and the miner signed it [AGG-1]. */
export const checkStatement = (s: PeerStatement): SignedAggregate | undefined => {
  let decoded: AggregateStatement
  try {
    decoded = decodeAggregate(s.encoding)
  } catch {
    return undefined
  }
  const digest = aggregateDigest(decoded)
  if (!equal(digest, aggregateDigest(s.statement))) return undefined
  if (!verify(decoded.miner, digest, s.signature)) return undefined
  return { statement: decoded, signature: s.signature }
}

/** What is wrong with the leaves of an aggregate, provable from them alone (or undefined). */
export type LeafFault =
  | { readonly kind: "badWeight"; readonly index: number }
  | { readonly kind: "badOrder"; readonly index: number }
  | { readonly kind: "mismatch"; readonly index: number; readonly receipt: Receipt; readonly signature: Uint8Array }
  /** The receipt behind the leaf is missing, does not hash to it, or its signature does not verify. */
  | { readonly kind: "reveal"; readonly index: number }

export interface LeafAudit {
  readonly leaves: readonly Leaf[]
  readonly receipts: ReadonlyMap<number, { readonly receipt: Receipt; readonly signature: Uint8Array } | null>
  readonly stakes: readonly bigint[]
  readonly aggregate: AggregateAccount
  /** Leaves whose receipts are checked. */
  readonly sample: readonly number[]
}

/** The first provable fault of served leaves that rebuild the on-chain root: weight, order, receipt. */
export const findLeafFault = (a: LeafAudit): LeafFault | undefined => {
  for (let i = 0; i < a.leaves.length; i++) {
    const w = a.leaves[i]!.weight
    if (w === 0n || w !== a.stakes[i]) return { kind: "badWeight", index: i }
  }
  for (let i = 0; i + 1 < a.leaves.length; i++) if (compare(a.leaves[i]!.witness, a.leaves[i + 1]!.witness) >= 0) return { kind: "badOrder", index: i }
  for (const i of a.sample) {
    const r = a.receipts.get(i) ?? null
    const leaf = a.leaves[i]!
    if (r === null || !equal(receiptHash(r.receipt, r.signature), leaf.receiptHash)) return { kind: "reveal", index: i }
    const x = r.receipt
    const matches = equal(x.witness, leaf.witness) && x.epoch === a.aggregate.epoch && equal(x.nameHash, a.aggregate.nameHash) && equal(x.routeHash, a.aggregate.routeHash)
    if (!matches) return { kind: "mismatch", index: i, receipt: r.receipt, signature: r.signature }
    if (!verify(x.witness, receiptDigest(x), r.signature)) return { kind: "reveal", index: i }
  }
  return undefined
}

const rootOfLeaves = (leaves: readonly Leaf[]): { levels: SumNode[][]; root: SumNode } | undefined => {
  if (leaves.length === 0) return undefined
  const levels = buildLevels(leaves.map(leafNode))
  return { levels, root: levels[levels.length - 1]![0]! }
}

export interface ScanReport {
  /** Statements fetched and verified this pass. */
  readonly statements: number
  /** Actions filed this pass, by key (e.g. `equivocation/3/<name>/<miner>`). */
  readonly filed: readonly string[]
}

// ------------------------------------------------------------------------------------------ service

export class Watcher extends Context.Service<
  Watcher,
  {
    /**
     * Step: gossip with every peer, check what they signed and submitted, and audit every submitted
     * aggregate of the rounds still open to challenge — through its miner's peer, or, when no peer
     * serves it, with reveal challenges on sampled leaves; file what is provable.
     */
    readonly scan: Effect.Effect<ScanReport, WatcherError>
    /** The same against one peer only, and only the aggregates of the miner it speaks for (the CLI's `challenge --peer`). */
    scanPeer(peer: Peer): Effect.Effect<ScanReport, WatcherError>
  }
>()("dotdns/miner/Watcher") {
  static readonly layer = Layer.effect(
    Watcher,
    Effect.gen(function* () {
      const chain = yield* ChainTx
      const repo = yield* Repository
      const stakes = yield* StakeView
      const identity = yield* Identity
      const config = yield* MinerConfig
      const { peers } = yield* Peers
      const me = identity.publicKey
      const seed = dutySeed(config.duties.seed, me)
      /** Which miner each peer URL speaks for (`/v1/info`), or why it is ignored. */
      const peerIdentity = new Map<string, { readonly miner: Uint8Array } | { readonly foreign: string }>()
      /** Aggregates fully audited (`epoch/name/miner/digest`): nothing more to look at. */
      const audited = new EpochKeys()
      /**
       * Listing entries dealt with, by peer and statement digest (`url|epoch|name|miner|digest`): a
       * statement is fetched whenever a listing shows a digest not seen before — any change to any of
       * its fields, `batch_cid` included, is a new digest.
       */
      const fetched = new EpochKeys()
      /** Log lines said once per key (an unauditable aggregate, a spent budget), not at every scan. */
      const said = new EpochKeys()
      const once = (epoch: bigint, key: string, log: Effect.Effect<void>) => (said.has(epoch, key) ? Effect.void : Effect.andThen(Effect.sync(() => said.add(epoch, key)), log))

      const storage = (e: StorageError) => new WatcherError({ message: `storage: ${e.message}` })
      const chainDown = (e: { readonly message: string }) => new WatcherError({ message: `chain: ${e.message}` })

      /** Sends an action once per key; records the outcome. Returns true when this miner's transaction landed. */
      const file = Effect.fn("Watcher.file")(function* (
        key: string,
        base: Omit<ChainActionRow, "key" | "status" | "txSignature" | "error" | "attempts" | "createdAt" | "updatedAt">,
        op: Op,
        lostRules: readonly string[]
      ) {
        const prev = yield* Effect.mapError(repo.action(key), storage)
        if (prev !== undefined && prev.status !== "pending" && prev.status !== "sent") return false
        const record = (status: ChainActionRow["status"], extra: { txSignature?: string | null; error?: string | null } = {}) =>
          Effect.mapError(repo.recordAction({ key, ...base, status, ...extra }), storage)
        // Sent before a restart or an outage: if it landed, it is done — never send it twice.
        if (prev?.status === "sent" && prev.txSignature !== null) {
          const s = yield* Effect.mapError(chain.status(prev.txSignature), chainDown)
          if (s.status === "ok") {
            yield* record("confirmed", { error: null })
            return false
          }
        }
        yield* record("pending")
        const sent = yield* Effect.result(chain.send(op, { onSigned: (sig) => record("sent", { txSignature: sig }).pipe(Effect.asVoid) }))
        if (sent._tag === "Success") {
          yield* record("confirmed", { txSignature: sent.success.signature, error: null })
          yield* Metrics.count(Metrics.challengesTotal, 1, { outcome: `${base.kind}:filed` })
          yield* Effect.logInfo(`${base.kind} filed`).pipe(Effect.annotateLogs({ key, tx: sent.success.signature }))
          return true
        }
        const e: TxError | WatcherError = sent.failure
        if (e._tag === "WatcherError") return yield* e
        if (e._tag === "TxRejected") {
          const lost = e.rule !== undefined && lostRules.includes(e.rule)
          yield* record(lost ? "lost" : "failed", { error: `${e.rule ?? "rejected"}: ${e.message}` })
          yield* Metrics.count(Metrics.challengesTotal, 1, { outcome: `${base.kind}:${lost ? "lost" : "failed"}` })
          yield* (lost ? Effect.logDebug : Effect.logWarning)(`${base.kind} refused`).pipe(Effect.annotateLogs({ key, rule: e.rule ?? "?", message: e.message }))
          return false
        }
        yield* Effect.logWarning(`${base.kind} not confirmed`).pipe(Effect.annotateLogs({ key, error: e.message }))
        return false
      })

      /** Pins a leaf unless it is pinned (or gets pinned meanwhile by someone else) [BLF-3]. */
      const ensurePin = Effect.fn("Watcher.ensurePin")(function* (ref: LeafRef, leaf: Leaf, path: readonly SumNode[]) {
        const existing = yield* Effect.mapError(chain.leafPin(ref), chainDown)
        if (existing !== undefined) return true
        const r = yield* Effect.result(chain.send({ kind: "pinLeaf", leafRef: ref, leaf, path }))
        if (r._tag === "Success") return true
        return (yield* Effect.mapError(chain.leafPin(ref), chainDown)) !== undefined
      })

      /** The Aggregate account if it can still be challenged: submitted, not equivocated, not stripped. */
      const challengeable = Effect.fn("Watcher.challengeable")(function* (epoch: bigint, h: Uint8Array, miner: Uint8Array) {
        const agg = yield* Effect.mapError(chain.aggregate(epoch, h, miner), chainDown)
        if (agg === undefined || (agg.flags & AGGREGATE_FLAG.submitted) === 0 || (agg.flags & AGGREGATE_FLAG.equivocated) !== 0) return undefined
        const round = yield* Effect.mapError(chain.round(epoch, h), chainDown)
        if (round === undefined || (round.memberFlags[agg.memberIndex]! & MEMBER_FLAG.stripped) !== 0) return undefined
        return { agg, round }
      })

      const actionBase = (kind: string, epoch: bigint, h: Uint8Array, miner: Uint8Array, index: number | null) => ({ kind, epoch, nameHash: h, miner, index })

      /** Equivocation: two statements of one miner for one round, or one that differs from its submission. */
      const checkEquivocation = Effect.fn("Watcher.checkEquivocation")(function* (epoch: bigint, h: Uint8Array, miner: Uint8Array, slot: bigint, challengeEnd: bigint) {
        if (slot >= challengeEnd) return []
        const seen = yield* Effect.mapError(repo.peerStatements({ epoch, nameHash: h, miner }), storage)
        if (seen.length === 0) return []
        const onChain = yield* Effect.mapError(chain.aggregate(epoch, h, miner), chainDown)
        if (onChain !== undefined && (onChain.flags & AGGREGATE_FLAG.equivocated) !== 0) return []
        const entry = minerEntryOf(yield* Effect.mapError(chain.minerSet, chainDown), miner)
        if (entry === undefined) return [] // nothing to slash [EQV-8]
        const signed = (i: number): SignedAggregate => ({ statement: decodeAggregate(seen[i]!.encoding), signature: seen[i]!.signature })
        let op: Op | undefined
        if (onChain !== undefined && (onChain.flags & AGGREGATE_FLAG.submitted) !== 0) {
          const i = seen.findIndex((s) => !equal(s.digest, onChain.statementHash))
          if (i >= 0) op = { kind: "proveEquivocation", challenger: me, first: signed(i), second: null }
        }
        if (op === undefined) {
          const j = seen.findIndex((s) => !equal(s.digest, seen[0]!.digest))
          if (j > 0) op = { kind: "proveEquivocation", challenger: me, first: signed(0), second: signed(j) }
        }
        if (op === undefined) return []
        const key = `equivocation/${epoch}/${hex(h)}/${hex(miner)}`
        if (!config.duties.challenges) {
          yield* Effect.logWarning("peer equivocated (challenges disabled)").pipe(Effect.annotateLogs({ key }))
          return []
        }
        const landed = yield* file(key, actionBase("proveEquivocation", epoch, h, miner, null), op, ["EQV-3", "EQV-4"])
        if (landed)
          yield* Effect.mapError(
            repo.appendEvent("challenge.settled", key, { kind: "equivocation", epoch: String(epoch), nameHash: hex(h), miner: hex(miner), index: null, status: "upheld" }),
            storage
          )
        return [key]
      })

      /** Audits one on-chain aggregate through a peer that serves it; files the first provable fault. */
      const auditAggregate = Effect.fn("Watcher.auditAggregate")(function* (peer: Peer, epoch: bigint, h: Uint8Array, miner: Uint8Array, slot: bigint, revealFrom: bigint) {
        const target = yield* challengeable(epoch, h, miner)
        if (target === undefined) return []
        const { agg, round } = target
        if (slot >= round.challengeEnd) return []
        const doneKey = `${epoch}/${hex(h)}/${hex(miner)}/${hex(agg.statementHash)}`
        if (audited.has(epoch, doneKey)) return []
        const root: SumNode = { hash: agg.receiptRoot, sum: agg.support }
        const ref = (index: number): LeafRef => ({ epoch, nameHash: h, miner, index })

        const served = yield* Effect.result(peer.leaves(epoch, h, miner))
        const peerLeaves = served._tag === "Success" && served.success !== undefined && served.success.length === agg.receiptCount ? served.success : undefined
        const leaves = peerLeaves?.map((l) => l.leaf) ?? []
        const tree = peerLeaves === undefined ? undefined : rootOfLeaves(leaves)
        const intact = tree !== undefined && equal(tree.root.hash, root.hash) && tree.root.sum === root.sum

        let fault: LeafFault | undefined
        if (intact && peerLeaves !== undefined) {
          const sample = sampleIndices(seed, epoch, h, miner, leaves.length, config.duties.auditLeaves)
          const receipts = new Map<number, PeerLeaf["receipt"]>()
          for (const l of peerLeaves) if (sample.includes(l.index)) receipts.set(l.index, l.receipt)
          const amounts = yield* Effect.mapError(stakes.stakesAt(leaves.map((l) => l.witness), epoch), chainDown)
          fault = findLeafFault({ leaves, receipts, stakes: amounts, aggregate: agg, sample })
          if (fault === undefined) {
            audited.add(epoch, doneKey)
            yield* Effect.logInfo("peer aggregate audited: sound").pipe(
              Effect.annotateLogs({ epoch: String(epoch), nameHash: hex(h), miner: hex(miner), leaves: leaves.length, receiptsChecked: sample.length, peer: peer.url })
            )
            return []
          }
          yield* Effect.logWarning("peer aggregate is faulty").pipe(Effect.annotateLogs({ epoch: String(epoch), nameHash: hex(h), miner: hex(miner), fault: fault.kind, index: fault.index }))
        } else {
          // Withheld, or leaves that are not the tree under the on-chain root: ask for the sampled leaves' proofs.
          const unserved: number[] = []
          for (const index of sampleIndices(seed, epoch, h, miner, agg.receiptCount, config.duties.revealLeaves)) {
            const proof = yield* Effect.result(peer.proof(epoch, h, miner, index))
            const ok =
              proof._tag === "Success" &&
              proof.success !== undefined &&
              verifyInclusion(leafNode(proof.success.leaf), index, agg.receiptCount, proof.success.path, root) &&
              proof.success.receipt !== null &&
              equal(receiptHash(proof.success.receipt.receipt, proof.success.receipt.signature), proof.success.leaf.receiptHash)
            if (!ok) unserved.push(index)
          }
          if (unserved.length === 0) return [] // it serves proofs, just not whole leaf lists: nothing provable
          if (!config.duties.challenges) {
            yield* once(epoch, `disabled/${doneKey}`, Effect.logWarning("peer withholds leaves (challenges disabled)").pipe(Effect.annotateLogs({ epoch: String(epoch), nameHash: hex(h), miner: hex(miner), peer: peer.url })))
            return []
          }
          const r = yield* openReveals(target, unserved, slot, revealFrom, `peer ${peer.url} does not serve the leaves`)
          if (r.done) audited.add(epoch, doneKey)
          return r.filed
        }
        if (!config.duties.challenges) {
          yield* Effect.logWarning("peer aggregate is faulty (challenges disabled)").pipe(Effect.annotateLogs({ epoch: String(epoch), nameHash: hex(h), miner: hex(miner), fault: fault.kind }))
          return []
        }

        const pinFromTree = (index: number) => (tree !== undefined && intact ? ensurePin(ref(index), leaves[index]!, inclusionPath(tree.levels, index)) : Effect.succeed(false))
        const lost = ["BLF-3", "BLF-5", "EQV-3", "RVL-3"]
        switch (fault.kind) {
          case "badWeight": {
            if (!(yield* pinFromTree(fault.index))) return []
            const key = `badWeight/${epoch}/${hex(h)}/${hex(miner)}/${fault.index}`
            yield* file(key, actionBase("proveBadWeight", epoch, h, miner, fault.index), { kind: "proveBadWeight", challenger: me, leafRef: ref(fault.index) }, lost)
            audited.add(epoch, doneKey)
            return [key]
          }
          case "badOrder": {
            if (!(yield* pinFromTree(fault.index)) || !(yield* pinFromTree(fault.index + 1))) return []
            const key = `badOrder/${epoch}/${hex(h)}/${hex(miner)}/${fault.index}`
            yield* file(key, actionBase("proveBadOrder", epoch, h, miner, fault.index), { kind: "proveBadOrder", challenger: me, leafRef: ref(fault.index) }, lost)
            audited.add(epoch, doneKey)
            return [key]
          }
          case "mismatch": {
            if (!(yield* pinFromTree(fault.index))) return []
            const key = `mismatch/${epoch}/${hex(h)}/${hex(miner)}/${fault.index}`
            const op: Op = { kind: "proveLeafMismatch", challenger: me, leafRef: ref(fault.index), receipt: fault.receipt, signature: fault.signature }
            yield* file(key, actionBase("proveLeafMismatch", epoch, h, miner, fault.index), op, lost)
            audited.add(epoch, doneKey)
            return [key]
          }
          case "reveal": {
            const r = yield* openReveals(target, [fault.index], slot, revealFrom, "the peer cannot show a valid receipt for the leaf")
            if (r.done) audited.add(epoch, doneKey)
            return r.filed
          }
        }
      })

      /** This miner's reveal challenges open now (confirmed and not yet seen settled): what `reveal_budget` bounds. */
      let openRevealCount = 0

      /**
       * Opens reveal challenges on leaves of an aggregate nobody can audit [RVL-1]: a reveal costs a bond,
       * so not before `revealFrom` (the miner's time to serve), not past `challenge_end` [BLF-4], never on
       * a leaf already challenged [RVL-3], never beyond `reveal_budget` open at once, and never one the
       * balance cannot bond. `done` is false when something (budget, balance) deferred a leaf to a later scan.
       */
      const openReveals = Effect.fn("Watcher.openReveals")(function* (
        target: { readonly agg: AggregateAccount; readonly round: RoundAccount },
        indices: readonly number[],
        slot: bigint,
        revealFrom: bigint,
        why: string
      ) {
        const { agg, round } = target
        const { epoch, nameHash: h, miner } = agg
        const which = `${epoch}/${hex(h)}/${hex(miner)}`
        if (slot < revealFrom) return { filed: [] as string[], done: false }
        if (slot >= round.challengeEnd) return { filed: [] as string[], done: true }
        const config2 = yield* Effect.mapError(chain.config, chainDown)
        const bond = config2 === undefined ? 0n : param(config2.params, "challengeBond")
        const filed: string[] = []
        for (const index of indices) {
          const ref: LeafRef = { epoch, nameHash: h, miner, index }
          if ((yield* Effect.mapError(chain.challenge(ref), chainDown)) !== undefined) continue
          if (openRevealCount >= config.duties.revealBudget) {
            yield* once(epoch, `budget/${which}`, Effect.logWarning("reveal budget spent: the leaf waits for a reveal to settle").pipe(Effect.annotateLogs({ aggregate: which, index, open: openRevealCount, budget: config.duties.revealBudget })))
            return { filed, done: false }
          }
          const balance = yield* Effect.mapError(chain.balance(me), chainDown)
          if (balance < bond + FEE_RESERVE) {
            yield* once(epoch, `balance/${which}`, Effect.logWarning("cannot afford a reveal challenge bond").pipe(Effect.annotateLogs({ aggregate: which, bond: String(bond), balance: String(balance) })))
            return { filed, done: false }
          }
          const key = `reveal/${which}/${index}`
          const landed = yield* file(key, actionBase("openReveal", epoch, h, miner, index), { kind: "openReveal", challenger: me, leafRef: ref }, ["BLF-3", "BLF-5", "EQV-3", "RVL-3"])
          if (landed) {
            openRevealCount++
            const c = yield* Effect.mapError(chain.challenge(ref), chainDown)
            yield* Effect.logInfo("reveal challenge opened").pipe(Effect.annotateLogs({ aggregate: which, index, why }))
            yield* Effect.mapError(
              repo.appendEvent("challenge.opened", key, { epoch: String(epoch), nameHash: hex(h), miner: hex(miner), index, status: "open", deadline: String(c?.deadline ?? 0n) }),
              storage
            )
          }
          filed.push(key)
        }
        return { filed, done: true }
      })

      /**
       * An on-chain aggregate whose miner serves no API this miner knows: nothing can be fetched, so
       * sampled leaves get reveal challenges once the miner had its time to serve.
       */
      const auditUnreachable = Effect.fn("Watcher.auditUnreachable")(function* (epoch: bigint, h: Uint8Array, miner: Uint8Array, slot: bigint, revealFrom: bigint) {
        const target = yield* challengeable(epoch, h, miner)
        if (target === undefined) return []
        const doneKey = `${epoch}/${hex(h)}/${hex(miner)}/${hex(target.agg.statementHash)}`
        if (audited.has(epoch, doneKey) || slot >= target.round.challengeEnd) return []
        yield* once(
          epoch,
          `unreachable/${doneKey}`,
          Effect.logWarning("an aggregate no known peer serves: its leaves will be revealed").pipe(
            Effect.annotateLogs({ epoch: String(epoch), nameHash: hex(h), miner: hex(miner), revealFrom: String(revealFrom) })
          )
        )
        if (!config.duties.challenges) return []
        const sample = sampleIndices(seed, epoch, h, miner, target.agg.receiptCount, config.duties.revealLeaves)
        const r = yield* openReveals(target, sample, slot, revealFrom, "no known peer serves the miner's aggregates")
        if (r.done) audited.add(epoch, doneKey)
        return r.filed
      })

      /** This miner's open reveal challenges past their deadline: settle them [RVL-10]. */
      const resolveOwnReveals = Effect.fn("Watcher.resolveOwnReveals")(function* (slot: bigint) {
        const mine = yield* Effect.mapError(repo.actions({ kind: "openReveal", status: "confirmed" }), storage)
        const filed: string[] = []
        for (const a of mine) {
          if (a.index === null) continue
          const ref: LeafRef = { epoch: a.epoch, nameHash: a.nameHash, miner: a.miner, index: a.index }
          const c = yield* Effect.mapError(chain.challenge(ref), chainDown)
          if (c === undefined || c.status !== 0) {
            yield* Effect.mapError(repo.recordAction({ ...a, status: "settled" }), storage)
            continue
          }
          if (slot < c.deadline) continue
          const key = `resolve/${a.epoch}/${hex(a.nameHash)}/${hex(a.miner)}/${a.index}`
          const landed = yield* file(key, actionBase("resolveReveal", a.epoch, a.nameHash, a.miner, a.index), { kind: "resolveReveal", leafRef: ref }, ["RVL-4"])
          const after = yield* Effect.mapError(chain.challenge(ref), chainDown)
          if (after !== undefined && after.status !== 0) {
            yield* Effect.mapError(repo.recordAction({ ...a, status: "settled" }), storage)
            if (landed)
              yield* Effect.mapError(
                repo.appendEvent("challenge.settled", a.key, {
                  epoch: String(a.epoch),
                  nameHash: hex(a.nameHash),
                  miner: hex(a.miner),
                  index: a.index,
                  status: ["open", "upheld", "rejected", "moot"][after.status] ?? String(after.status)
                }),
                storage
              )
          }
          filed.push(key)
        }
        return filed
      })

      /**
       * One pass. `everyAggregate`: also the on-chain aggregates of miners none of `list` speaks for
       * (revealed blind); otherwise only those of the listed peers' miners.
       */
      const scanPeers = Effect.fn("Watcher.scanPeers")(function* (list: readonly Peer[], everyAggregate: boolean) {
        const config1 = yield* Effect.mapError(chain.config, chainDown)
        if (config1 === undefined) return { statements: 0, filed: [] } satisfies ScanReport
        const slot = yield* Effect.mapError(chain.slot, chainDown)
        const L = param(config1.params, "epochLengthSlots")
        const submit = param(config1.params, "submitWindowSlots")
        const challenge = param(config1.params, "challengeWindowSlots")
        const revealAfter = config.duties.revealAfterSlots ?? challenge / 2n
        const clockEpoch = slot / L
        // Rounds whose aggregates can still be challenged: E with (E+1)·L ≤ slot < challenge_end(E).
        const epochs: bigint[] = []
        for (let back = 1n; back <= 2n; back++) {
          if (clockEpoch < back) break
          const e = clockEpoch - back
          if (slot < (e + 1n) * L + submit + challenge) epochs.push(e)
        }
        // What is remembered of rounds that can no longer be challenged is of no use.
        const oldest = epochs.length > 0 ? epochs[epochs.length - 1]! : clockEpoch
        for (const keys of [audited, fetched, said]) keys.forgetBefore(oldest)
        let statements = 0
        const filed: string[] = []
        // Settle first: what settled frees its bond for the reveals this pass may open.
        filed.push(...(yield* resolveOwnReveals(slot)))
        openRevealCount = (yield* Effect.mapError(repo.actions({ kind: "openReveal", status: "confirmed" }), storage)).length
        const targets = new Map<string, { readonly peer: Peer; readonly epoch: bigint; readonly nameHash: Uint8Array; readonly miner: Uint8Array }>()
        /** The peers that speak for each miner key (hex), by their /v1/info. */
        const byMiner = new Map<string, Peer>()

        for (const peer of list) {
          if (!peerIdentity.has(peer.url)) {
            const info = yield* Effect.result(peer.info)
            if (info._tag === "Success") {
              const foreign = foreignPeer(info.success, config.programId)
              peerIdentity.set(peer.url, foreign === undefined ? { miner: info.success.miner } : { foreign })
              if (foreign !== undefined) yield* Effect.logWarning("peer ignored").pipe(Effect.annotateLogs({ peer: peer.url, reason: foreign }))
            }
          }
          const who = peerIdentity.get(peer.url)
          if (who !== undefined && "foreign" in who) continue
          if (who !== undefined && !byMiner.has(hex(who.miner))) byMiner.set(hex(who.miner), peer)
          for (const epoch of epochs) {
            const roots = yield* Effect.result(peer.roots(epoch))
            if (roots._tag === "Failure") {
              yield* Effect.logDebug("peer unavailable").pipe(Effect.annotateLogs({ peer: peer.url, error: roots.failure.message }))
              continue
            }
            for (const r of roots.success) {
              if (equal(r.miner, me)) continue
              targets.set(`${epoch}/${hex(r.nameHash)}/${hex(r.miner)}`, { peer, epoch, nameHash: r.nameHash, miner: r.miner })
              // Compared by digest: a statement is fetched when its digest is new to this miner.
              const listing = `${peer.url}|${epoch}|${hex(r.nameHash)}|${hex(r.miner)}|${hex(r.statementHash)}`
              if (fetched.has(epoch, listing)) continue
              const held = yield* Effect.mapError(repo.peerStatements({ epoch, nameHash: r.nameHash, miner: r.miner }), storage)
              if (held.some((x) => equal(x.digest, r.statementHash))) {
                fetched.add(epoch, listing)
                continue
              }
              const s = yield* Effect.result(peer.statement(epoch, r.nameHash, r.miner))
              if (s._tag === "Failure" || s.success === undefined) continue
              const checked = checkStatement(s.success)
              if (checked === undefined || checked.statement.epoch !== epoch || !equal(checked.statement.nameHash, r.nameHash) || !equal(checked.statement.miner, r.miner)) continue
              const digest = aggregateDigest(checked.statement)
              statements++
              // Served what it listed: done with this entry. Served another statement while listing one
              // its miner signed: keep what was served, and ask again next pass. A listed signature that
              // is not the miner's is a garbage entry: nothing to chase.
              if (equal(digest, r.statementHash) || !verify(r.miner, r.statementHash, r.signature)) fetched.add(epoch, listing)
              yield* Effect.mapError(
                repo.putPeerStatement({ epoch, nameHash: r.nameHash, miner: r.miner, digest, encoding: s.success.encoding, signature: s.success.signature, source: peer.url }),
                storage
              )
            }
          }
        }

        const rounds = new Map<string, RoundAccount | undefined>()
        const roundOf = Effect.fn("Watcher.roundOf")(function* (epoch: bigint, h: Uint8Array) {
          const k = `${epoch}/${hex(h)}`
          if (!rounds.has(k)) rounds.set(k, yield* Effect.mapError(chain.round(epoch, h), chainDown))
          return rounds.get(k)
        })

        for (const t of targets.values()) {
          const round = yield* roundOf(t.epoch, t.nameHash)
          const end = round?.challengeEnd ?? (t.epoch + 1n) * L + submit + challenge
          filed.push(...(yield* checkEquivocation(t.epoch, t.nameHash, t.miner, slot, end)))
          // Leaves are asked of the miner's own API when this miner knows it (it is the one bound to serve them).
          if (round !== undefined) filed.push(...(yield* auditAggregate(byMiner.get(hex(t.miner)) ?? t.peer, t.epoch, t.nameHash, t.miner, slot, round.submitEnd + revealAfter)))
        }

        // Every submitted aggregate of those rounds, read from the chain (flags = submitted and not
        // equivocated, and the epoch): one no listing covered is audited through the peer of its miner,
        // and one whose miner no known peer speaks for is revealed — silence is no cover.
        for (const epoch of epochs) {
          const onChain = yield* Effect.mapError(
            chain.programAccounts("Aggregate", [
              { offset: AGGREGATE_OFFSET.flags, bytes: Uint8Array.of(AGGREGATE_FLAG.submitted) },
              { offset: AGGREGATE_OFFSET.epoch, bytes: u64le(epoch) }
            ]),
            chainDown
          )
          const aggregates = onChain.map((x) => x.account).sort((a, b) => compare(a.nameHash, b.nameHash) || compare(a.miner, b.miner))
          for (const a of aggregates) {
            if (equal(a.miner, me) || targets.has(`${epoch}/${hex(a.nameHash)}/${hex(a.miner)}`)) continue
            const peer = byMiner.get(hex(a.miner))
            if (peer === undefined && !everyAggregate) continue
            const round = yield* roundOf(epoch, a.nameHash)
            if (round === undefined) continue
            filed.push(...(yield* checkEquivocation(epoch, a.nameHash, a.miner, slot, round.challengeEnd)))
            const revealFrom = round.submitEnd + revealAfter
            filed.push(...(yield* (peer !== undefined ? auditAggregate(peer, epoch, a.nameHash, a.miner, slot, revealFrom) : auditUnreachable(epoch, a.nameHash, a.miner, slot, revealFrom))))
          }
        }
        return { statements, filed } satisfies ScanReport
      })

      return Watcher.of({ scan: scanPeers(peers, true), scanPeer: (peer) => scanPeers([peer], false) })
    })
  )
}
