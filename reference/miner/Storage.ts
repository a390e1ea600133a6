/**
 * The miner's storage: one `Repository` service over two engines (SqliteRepository.ts,
 * PostgresRepository.ts) that pass the same test suite. It holds
 *
 * - receipts, deduplicated by (epoch, name_hash, witness) [RCP-5];
 * - owners' route records, verified, ordered by serial per name, and the finalities the miner observed;
 * - the miner's aggregates with their leaves (proofs are recomputed from them) and CAR batches;
 * - submission bookkeeping, so a restarted miner never submits twice;
 * - an append-only event log whose cursor orders feeds and reconciliation [API-4, API-6].
 *
 * Every write that changes what a feed would show appends its event in the same transaction, so an
 * event exists exactly when its data does. Writes return only once committed durably [API-1].
 */
import { Context, Data, Effect, Layer, PubSub, Schema, type Scope } from "effect"
import { hex } from "../../spec/src/bytes.ts"
import { decodeRouteRecord, encodeReceipt, type Leaf } from "../../spec/src/objects.ts"
import { MinerConfig } from "./Config.ts"
import { RouteEntryJson } from "./schemas.ts"

export class StorageError extends Data.TaggedError("StorageError")<{ readonly op: string; readonly message: string; readonly cause?: unknown }> {}

// --------------------------------------------------------------------------------------------- rows

export interface ReceiptRow {
  readonly epoch: bigint
  readonly nameHash: Uint8Array
  readonly routeHash: Uint8Array
  readonly witness: Uint8Array
  readonly signature: Uint8Array
  /** `receipt_hash` [RCP-3]. */
  readonly receiptHash: Uint8Array
  /** The witness's stake in the epoch when accepted: the leaf weight it will get [AGG-5]. */
  readonly weight: bigint
  /** The 106-byte receipt encoding, when the caller already has it (saves re-encoding for the event). */
  readonly encoding?: Uint8Array
}

export interface StoredReceipt extends ReceiptRow {
  readonly receivedAt: number
}

/** `duplicate`: the same signed receipt again; `conflict`: the witness already has another receipt for (epoch, name). */
export type ReceiptOutcome = "accepted" | "duplicate" | "conflict"

export interface InsertReceiptsResult {
  readonly outcomes: readonly ReceiptOutcome[]
  /** Cursor of the `receipts.accepted` event of this batch, when anything was accepted. */
  readonly cursor: number | undefined
}

export interface ReceiptQuery {
  readonly epoch: bigint
  readonly nameHash?: Uint8Array
  readonly routeHash?: Uint8Array
  /** Keyset paging within (epoch, name): rows with a witness key after this one. */
  readonly afterWitness?: Uint8Array
  readonly limit?: number
}

export interface ReceiptGroup {
  readonly nameHash: Uint8Array
  readonly routeHash: Uint8Array
  readonly count: number
}

export interface RouteRecordRow {
  readonly name: string
  readonly nameHash: Uint8Array
  /** The name's `Name` account address (PDA "name", name_hash). */
  readonly nameAccount: Uint8Array
  readonly serial: bigint
  /** The RouteRecord encoding. */
  readonly record: Uint8Array
  /** Owner signature over the RouteAuth digest. */
  readonly signature: Uint8Array
  readonly routeHash: Uint8Array
  readonly owner: Uint8Array
}

export interface StoredRouteRecord extends RouteRecordRow {
  readonly cursor: number
  readonly receivedAt: number
}

export type RouteOutcome =
  | { readonly _tag: "accepted"; readonly stored: StoredRouteRecord }
  | { readonly _tag: "duplicate"; readonly stored: StoredRouteRecord }
  /** Another record holds this (name, serial). */
  | { readonly _tag: "conflict"; readonly existing: StoredRouteRecord }

/** A finality the miner observed: the name's canonical route became (serial, routeHash) in routeEpoch. */
export interface FinalityRow {
  readonly nameHash: Uint8Array
  readonly serial: bigint
  readonly routeHash: Uint8Array
  readonly routeEpoch: bigint
}

export interface StoredFinality extends FinalityRow {
  readonly cursor: number
  readonly observedAt: number
  /** The owner-signed record of the route. */
  readonly route: StoredRouteRecord
}

export type FinalityOutcome =
  | { readonly _tag: "recorded"; readonly stored: StoredFinality }
  | { readonly _tag: "exists"; readonly stored: StoredFinality }
  /** The miner holds no record of that (name, serial, route): it cannot serve the finality. */
  | { readonly _tag: "missing" }

export interface AggregateRow {
  readonly epoch: bigint
  readonly nameHash: Uint8Array
  readonly routeHash: Uint8Array
  readonly miner: Uint8Array
  /** The Aggregate encoding the miner signed. */
  readonly encoding: Uint8Array
  /** `H("dotdns/v1/aggregate", encoding)` [AGG-1]. */
  readonly digest: Uint8Array
  readonly signature: Uint8Array
  readonly receiptRoot: Uint8Array
  readonly support: bigint
  readonly receiptCount: number
  /** Text form of the batch CID, when the aggregate carries one. */
  readonly batchCid: string | null
}

export interface StoredAggregate extends AggregateRow {
  readonly cursor: number
  readonly createdAt: number
}

export type AggregateOutcome =
  | { readonly _tag: "stored"; readonly stored: StoredAggregate }
  /** The same statement was stored before. */
  | { readonly _tag: "exists"; readonly stored: StoredAggregate }
  /** A different statement for the same (epoch, name, miner): storing it would be equivocation [EQV-1]. */
  | { readonly _tag: "conflict"; readonly existing: StoredAggregate }

export interface AggregateQuery {
  readonly epoch?: bigint
  readonly nameHash?: Uint8Array
  readonly miner?: Uint8Array
  readonly limit?: number
}

export interface BatchRow {
  readonly cid: string
  readonly epoch: bigint
  readonly nameHash: Uint8Array
  /** Absolute path of the CAR file. */
  readonly path: string
  readonly size: number
}

export type SubmissionStatus = "prepared" | "sent" | "confirmed" | "finalized" | "failed"
export const SUBMISSION_STATUSES: readonly SubmissionStatus[] = ["prepared", "sent", "confirmed", "finalized", "failed"]

export interface SubmissionRow {
  readonly epoch: bigint
  readonly nameHash: Uint8Array
  /** Digest of the statement this miner committed to submit for (epoch, name). */
  readonly digest: Uint8Array
  readonly status: SubmissionStatus
  /** base58 transaction signature, once sent. */
  readonly txSignature: string | null
  readonly error: string | null
  readonly attempts: number
  readonly createdAt: number
  readonly updatedAt: number
}

export type ClaimOutcome =
  /** No submission existed: this one is now recorded as `prepared`. */
  | { readonly _tag: "claimed"; readonly row: SubmissionRow }
  /** The same statement was claimed before (a restart): continue from `row.status`, never resubmit blindly. */
  | { readonly _tag: "existing"; readonly row: SubmissionRow }
  /** A different statement was claimed for (epoch, name): submitting it would equivocate [EQV-2]. */
  | { readonly _tag: "conflict"; readonly row: SubmissionRow }

export interface SubmissionPatch {
  readonly status: SubmissionStatus
  readonly txSignature?: string | null
  readonly error?: string | null
  readonly incrementAttempts?: boolean
}

/** Another miner's signed statement as the watcher fetched it; several per round when it equivocates. */
export interface PeerStatementRow {
  readonly epoch: bigint
  readonly nameHash: Uint8Array
  readonly miner: Uint8Array
  /** `H("dotdns/v1/aggregate", encoding)` [AGG-1]. */
  readonly digest: Uint8Array
  readonly encoding: Uint8Array
  readonly signature: Uint8Array
  /** The peer URL it came from. */
  readonly source: string
}

export interface StoredPeerStatement extends PeerStatementRow {
  readonly observedAt: number
}

/**
 * `pending` → `sent` → `confirmed`; `lost` when another challenger got there first, `failed` when the
 * program refused it, `settled` when a challenge this miner opened has closed.
 */
export type ChainActionStatus = "pending" | "sent" | "confirmed" | "lost" | "failed" | "settled"

/** An action the chain half took against a round (a proof, a reveal, an answer), keyed by what it proves. */
export interface ChainActionInput {
  /** e.g. `equivocation/7/<name_hash>/<miner>`, `reveal/7/<name_hash>/<miner>/3`. */
  readonly key: string
  /** The op kind: proveEquivocation, proveBadWeight, openReveal, respondReveal, … */
  readonly kind: string
  readonly epoch: bigint
  readonly nameHash: Uint8Array
  /** The miner the action is about. */
  readonly miner: Uint8Array
  /** The leaf, for leaf proofs and reveals. */
  readonly index: number | null
  readonly status: ChainActionStatus
  /** Kept when undefined. */
  readonly txSignature?: string | null
  /** Kept when undefined. */
  readonly error?: string | null
}

export interface ChainActionRow extends ChainActionInput {
  readonly txSignature: string | null
  readonly error: string | null
  /** Times it was sent. */
  readonly attempts: number
  readonly createdAt: number
  readonly updatedAt: number
}

export interface StoredEvent {
  readonly cursor: number
  /** `receipts.accepted`, `route.published`, `route.finalized`, `aggregate.stored`, `submission.updated`, … */
  readonly type: string
  readonly key: string
  readonly at: number
  readonly data: unknown
}

export interface EventQuery {
  /** Events with a cursor strictly greater than this. */
  readonly since: number
  readonly limit: number
  readonly types?: readonly string[]
}

// ------------------------------------------------------------------------------------------ service

export interface RepositoryShape {
  /** "sqlite" or "postgres". */
  readonly engine: string

  /**
   * Inserts a batch atomically, one receipt per (epoch, name_hash, witness) [RCP-5]: the first wins,
   * within the batch too. Accepted receipts are published as one `receipts.accepted` event in the same
   * transaction. Returns after the commit is durable [API-1].
   */
  insertReceipts(rows: readonly ReceiptRow[]): Effect.Effect<InsertReceiptsResult, StorageError>
  /** Ordered by (name_hash, witness): within one (epoch, name, route) that is leaf order [MRK-2]. */
  receipts(q: ReceiptQuery): Effect.Effect<readonly StoredReceipt[], StorageError>
  receipt(epoch: bigint, nameHash: Uint8Array, witness: Uint8Array): Effect.Effect<StoredReceipt | undefined, StorageError>
  /** (name, route) pairs with receipts in an epoch: what the aggregator builds at cut-off. */
  receiptGroups(epoch: bigint): Effect.Effect<readonly ReceiptGroup[], StorageError>
  countReceipts(epoch?: bigint): Effect.Effect<number, StorageError>

  /** Stores a verified record and its `route.published` event; (name, serial) is unique. */
  putRouteRecord(row: RouteRecordRow): Effect.Effect<RouteOutcome, StorageError>
  /** The record with the highest serial for a name. */
  latestRouteRecord(nameHash: Uint8Array): Effect.Effect<StoredRouteRecord | undefined, StorageError>
  routeRecord(nameHash: Uint8Array, serial: bigint): Effect.Effect<StoredRouteRecord | undefined, StorageError>
  /** The record of a name with this route_hash (the owner's authorization the chain half submits with), if held. */
  routeRecordByHash(nameHash: Uint8Array, routeHash: Uint8Array): Effect.Effect<StoredRouteRecord | undefined, StorageError>
  /** Records with cursor > since, in cursor order. */
  routeRecordsSince(since: number, limit: number): Effect.Effect<readonly StoredRouteRecord[], StorageError>
  /**
   * Records an observed finality and its `route.finalized` event, once per (name, serial). The record
   * itself must be stored already (it is what the event and reconciliation serve).
   */
  putFinality(row: FinalityRow): Effect.Effect<FinalityOutcome, StorageError>
  /** Finalities with cursor > since, in the order observed [API-4]. */
  finalitiesSince(since: number, limit: number): Effect.Effect<readonly StoredFinality[], StorageError>
  /** The finality with the highest serial for a name. */
  latestFinality(nameHash: Uint8Array): Effect.Effect<StoredFinality | undefined, StorageError>

  /** Stores an aggregate, its leaves (in leaf order) and its `aggregate.stored` event atomically. */
  putAggregate(row: AggregateRow, leaves: readonly Leaf[]): Effect.Effect<AggregateOutcome, StorageError>
  aggregate(epoch: bigint, nameHash: Uint8Array, miner?: Uint8Array): Effect.Effect<StoredAggregate | undefined, StorageError>
  aggregates(q: AggregateQuery): Effect.Effect<readonly StoredAggregate[], StorageError>
  leaves(epoch: bigint, nameHash: Uint8Array, miner: Uint8Array): Effect.Effect<readonly Leaf[], StorageError>
  putBatch(row: BatchRow): Effect.Effect<void, StorageError>
  batch(cid: string): Effect.Effect<BatchRow | undefined, StorageError>

  /** Records the intent to submit `digest` for (epoch, name) before anything is sent. */
  claimSubmission(epoch: bigint, nameHash: Uint8Array, digest: Uint8Array): Effect.Effect<ClaimOutcome, StorageError>
  updateSubmission(epoch: bigint, nameHash: Uint8Array, patch: SubmissionPatch): Effect.Effect<SubmissionRow, StorageError>
  submission(epoch: bigint, nameHash: Uint8Array): Effect.Effect<SubmissionRow | undefined, StorageError>
  submissions(q: { readonly status?: SubmissionStatus; readonly epoch?: bigint }): Effect.Effect<readonly SubmissionRow[], StorageError>

  /** Appends an event of the caller's own type (the chain half: `round.failed`, `challenge.opened`, …). */
  appendEvent(type: string, key: string, data: unknown): Effect.Effect<number, StorageError>
  events(q: EventQuery): Effect.Effect<readonly StoredEvent[], StorageError>
  /** The newest cursor, 0 when the log is empty. */
  readonly head: Effect.Effect<number, StorageError>
  /**
   * A subscription to head changes: it yields a cursor after every commit that appended events. It is
   * a wake-up signal only (it may skip values); read `events` for the data.
   */
  readonly heads: Effect.Effect<PubSub.Subscription<number>, never, Scope.Scope>
  /** Cheap liveness probe for /readyz. */
  readonly ping: Effect.Effect<void, StorageError>

  // ---------------------------------------------------------------------------------- chain half
  /** Stores a peer's verified statement once per (epoch, name, miner, digest). */
  putPeerStatement(row: PeerStatementRow): Effect.Effect<"stored" | "exists", StorageError>
  /** Statements of a round (optionally one miner's), oldest first. */
  peerStatements(q: { readonly epoch: bigint; readonly nameHash?: Uint8Array; readonly miner?: Uint8Array }): Effect.Effect<readonly StoredPeerStatement[], StorageError>
  /** Creates or updates an action by key; `attempts` counts the moves to `sent`. */
  recordAction(input: ChainActionInput): Effect.Effect<ChainActionRow, StorageError>
  action(key: string): Effect.Effect<ChainActionRow | undefined, StorageError>
  /** Actions in key order. */
  actions(q: { readonly kind?: string; readonly status?: ChainActionStatus; readonly epoch?: bigint }): Effect.Effect<readonly ChainActionRow[], StorageError>
}

export class Repository extends Context.Service<Repository, RepositoryShape>()("dotdns/miner/Repository") {
  /** SQLite or PostgreSQL, as the config says. */
  static readonly layerFromConfig: Layer.Layer<Repository, StorageError, MinerConfig> = Layer.unwrap(
    Effect.gen(function* () {
      const config = yield* MinerConfig
      if (config.storage.kind === "sqlite") {
        const { SqliteRepository } = yield* Effect.promise(() => import("./SqliteRepository.ts"))
        return SqliteRepository.layer(config.storage.path)
      }
      const { PostgresRepository } = yield* Effect.promise(() => import("./PostgresRepository.ts"))
      return PostgresRepository.layer(config.storage.url)
    })
  )
}

/**
 * The storage schema's version, kept in the `meta` table. A database of another version is refused
 * with a clear message rather than half-used; there are no migrations before the v1 release.
 */
export const SCHEMA_VERSION = "2"

export const schemaMismatch = (found: string): string =>
  `the database has schema version ${found}, this miner needs ${SCHEMA_VERSION}; move the old database away (there are no migrations before the v1 release)`

/** Event types the off-chain half appends (the chain half adds its own: route.finalized, round.failed, …). */
export const EVENT = {
  receiptsAccepted: "receipts.accepted",
  routePublished: "route.published",
  routeFinalized: "route.finalized",
  aggregateStored: "aggregate.stored",
  submissionUpdated: "submission.updated"
} as const

// ------------------------------------------------------------------------------ shared pure helpers

export const receiptKey = (epoch: bigint, nameHash: Uint8Array, witness: Uint8Array): string => `${epoch}/${hex(nameHash)}/${hex(witness)}`

/**
 * First-wins classification of a batch against itself: `unique` are the rows to insert, `later[i]` is
 * the index of the earlier row that row i repeats.
 */
export const dedupeBatch = (rows: readonly ReceiptRow[]): { unique: number[]; earlier: (number | undefined)[] } => {
  const seen = new Map<string, number>()
  const unique: number[] = []
  const earlier: (number | undefined)[] = new Array(rows.length)
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!
    const k = receiptKey(r.epoch, r.nameHash, r.witness)
    const first = seen.get(k)
    if (first === undefined) {
      seen.set(k, i)
      unique.push(i)
    } else earlier[i] = first
  }
  return { unique, earlier }
}

export const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0

/** A serial as a fixed-width decimal string, so text order is numeric order (u64 has 20 digits). */
export const serialKey = (serial: bigint): string => serial.toString().padStart(20, "0")

/** The `receipts.accepted` event: the accepted receipts as an `application/vnd.dotdns.receipts` body, base64. */
export const receiptsEventData = (rows: readonly ReceiptRow[]): unknown => {
  const parts: Uint8Array[] = []
  const epochs = new Set<string>()
  for (const r of rows) {
    parts.push(r.encoding ?? encodeReceipt(r), r.signature)
    epochs.add(r.epoch.toString())
  }
  return { count: rows.length, epochs: [...epochs], batch: Buffer.concat(parts).toString("base64") }
}

/** A stored record as a route lookup entry ([14] "Routes"), decoded with the spec; `routeEpoch` when canonical. */
export const routeEntry = (row: RouteRecordRow, routeEpoch?: bigint): RouteEntryJson => ({
  name: row.name,
  nameHash: row.nameHash,
  nameAccount: row.nameAccount,
  record: decodeRouteRecord(row.record),
  encoding: row.record,
  routeHash: row.routeHash,
  signature: row.signature,
  ...(routeEpoch === undefined ? {} : { routeEpoch })
})

const encodeRouteEntry = Schema.encodeSync(RouteEntryJson)

/** The data of `route.published` (no routeEpoch) and `route.finalized` events: the entry in JSON form. */
export const routeEventData = (row: RouteRecordRow, routeEpoch?: bigint): unknown => encodeRouteEntry(routeEntry(row, routeEpoch))

/** The `aggregate.stored` event's data: the summary fields, the signed encoding and its signature. */
export const aggregateEventData = (row: AggregateRow) => ({
  epoch: row.epoch.toString(),
  nameHash: hex(row.nameHash),
  routeHash: hex(row.routeHash),
  miner: hex(row.miner),
  receiptRoot: hex(row.receiptRoot),
  support: row.support.toString(),
  receiptCount: row.receiptCount,
  statementHash: hex(row.digest),
  batchCid: row.batchCid,
  encoding: hex(row.encoding),
  signature: hex(row.signature)
})

/** The `submission.updated` event's data (chain half bookkeeping). */
export const submissionEventData = (row: SubmissionRow) => ({
  epoch: row.epoch.toString(),
  nameHash: hex(row.nameHash),
  digest: hex(row.digest),
  status: row.status,
  txSignature: row.txSignature,
  error: row.error,
  attempts: row.attempts
})

/** The row an upsert of `input` over `prev` (if any) writes, at `now`. */
export const nextAction = (input: ChainActionInput, prev: ChainActionRow | undefined, now: number): ChainActionRow => ({
  key: input.key,
  kind: input.kind,
  epoch: input.epoch,
  nameHash: input.nameHash,
  miner: input.miner,
  index: input.index,
  status: input.status,
  txSignature: input.txSignature === undefined ? (prev?.txSignature ?? null) : input.txSignature,
  error: input.error === undefined ? (prev?.error ?? null) : input.error,
  attempts: (prev?.attempts ?? 0) + (input.status === "sent" && prev?.status !== "sent" ? 1 : 0),
  createdAt: prev?.createdAt ?? now,
  updatedAt: now
})

/** The hub every engine publishes head cursors to after a commit. */
export const makeHeadHub = Effect.gen(function* () {
  const hub = yield* PubSub.sliding<number>(1)
  return {
    publish: (cursor: number) => PubSub.publishUnsafe(hub, cursor),
    subscribe: PubSub.subscribe(hub),
    shutdown: PubSub.shutdown(hub)
  }
})
