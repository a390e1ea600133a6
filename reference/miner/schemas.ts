/**
 * Boundary schemas of the miner's HTTP API. They follow the spec's JSON mapping (`spec/src/json.ts`):
 * bytes are lowercase hex, u64 values decimal strings, fields keep the TypeScript names, and spec
 * objects (receipts, route records, leaves, statements, tree nodes) are the spec's own codecs. What is
 * added here is only the API's envelopes: batches, per-receipt results, pages, cursors, views.
 * Field shapes follow spec chapter 14 (`spec/v1/14-miner-apis.md`); fields beyond it are marked as
 * extensions. The miner's identity and program id in /v1/info are also given in base58.
 */
import { Schema, SchemaGetter } from "effect"
import {
  AggregateStatementJson, Hex, Hex32, Hex64, LeafJson, RouteRecordJson, SignedReceiptJson, SumNodeJson, U64
} from "../../spec/src/json.ts"

export { Hex, Hex32, Hex64, U64 } from "../../spec/src/json.ts"

// ------------------------------------------------------------------------------------------- scalars

const numberFromDecimal = {
  decode: SchemaGetter.transform((s: string) => Number(s)),
  encode: SchemaGetter.transform((n: number) => String(n))
}

/** A position in the event log: a decimal string of a safe integer; `0` is before the first event. */
export const Cursor = Schema.String.pipe(
  Schema.check(Schema.isPattern(/^(?:0|[1-9][0-9]{0,15})$/, { message: "Expected a decimal cursor" })),
  Schema.decodeTo(Schema.Number.pipe(Schema.check(Schema.isLessThanOrEqualTo(Number.MAX_SAFE_INTEGER))), numberFromDecimal),
  Schema.annotate({ description: "event-log cursor, decimal string; 0 = before the first event" })
)

/** A positive integer given as a decimal string (query parameters), at most `max`. */
export const Limit = (max: number) =>
  Schema.String.pipe(
    Schema.check(Schema.isPattern(/^[1-9][0-9]{0,6}$/, { message: "Expected a positive decimal integer" })),
    Schema.decodeTo(Schema.Number.pipe(Schema.check(Schema.isLessThanOrEqualTo(max, { message: `Expected at most ${max}` }))), numberFromDecimal),
    Schema.annotate({ description: `1..${max}` })
  )

/** A u32 index given as a decimal string (path parameters). */
export const Index = Schema.String.pipe(
  Schema.check(Schema.isPattern(/^(?:0|[1-9][0-9]{0,9})$/, { message: "Expected a decimal index" })),
  Schema.decodeTo(Schema.Number.pipe(Schema.check(Schema.isLessThanOrEqualTo(0xffff_ffff))), numberFromDecimal)
)

/** A Solana address (base58 text). */
export const Base58 = Schema.String.pipe(Schema.check(Schema.isPattern(/^[1-9A-HJ-NP-Za-km-z]{32,44}$/, { message: "Expected a base58 Solana address" })))

// ------------------------------------------------------------------------------------------ receipts

/** A JSON batch of signed receipts ([14] "Receipts"). */
export const ReceiptBatchJson = Schema.Struct({ receipts: Schema.Array(SignedReceiptJson) })
export type ReceiptBatchJson = typeof ReceiptBatchJson.Type

export const ReceiptStatus = Schema.Literals(["accepted", "duplicate", "rejected"])
export type ReceiptStatus = typeof ReceiptStatus.Type

/** The outcome of one receipt, in request order [API-2]: rejected receipts name the rule they broke. */
export const ReceiptResult = Schema.Struct({
  index: Schema.Int,
  /** receipt_hash [RCP-3] of an accepted or duplicate receipt. */
  receiptHash: Schema.optionalKey(Hex32),
  status: ReceiptStatus,
  rule: Schema.optionalKey(Schema.String),
  message: Schema.optionalKey(Schema.String)
})
export type ReceiptResult = typeof ReceiptResult.Type

export const IngestResponse = Schema.Struct({
  results: Schema.Array(ReceiptResult),
  accepted: Schema.Int,
  duplicate: Schema.Int,
  rejected: Schema.Int,
  /** The cursor of the batch's `receipts.accepted` event, when something was accepted. */
  cursor: Schema.optionalKey(Cursor)
})
export type IngestResponse = typeof IngestResponse.Type

/** A stored receipt: the signed receipt, its receipt_hash [RCP-3] and the weight it was accepted with. */
export const StoredReceiptJson = Schema.Struct({ ...SignedReceiptJson.fields, receiptHash: Hex32, weight: U64 })

export const ReceiptPage = Schema.Struct({
  receipts: Schema.Array(StoredReceiptJson),
  /** Pass as `after` for the next page (within one name), or null at the end. */
  next: Schema.NullOr(Hex32)
})

// -------------------------------------------------------------------------------------------- routes

export const RouteSubmission = Schema.Struct({
  /** The RouteRecord encoding [RTE-1]; at most 2048 bytes. */
  encoding: Hex.pipe(Schema.check(Schema.isMaxLength(4096, { message: "a route record encodes to at most 2048 bytes" }))),
  /** The owner's ed25519 signature over the record's RouteAuth digest [RTE-8]. */
  signature: Hex64
})
export type RouteSubmission = typeof RouteSubmission.Type

export const RouteSubmitResponse = Schema.Struct({
  status: Schema.Literals(["accepted", "duplicate"]),
  name: Schema.String,
  nameHash: Hex32,
  serial: U64,
  routeHash: Hex32,
  /** Whether the record is the name's canonical route on-chain already. */
  canonical: Schema.Boolean,
  cursor: Cursor
})
export type RouteSubmitResponse = typeof RouteSubmitResponse.Type

/** A route lookup entry ([14] "Routes"): the data of `route.published` and `route.finalized` events. */
export const RouteEntryJson = Schema.Struct({
  name: Schema.String,
  nameHash: Hex32,
  /** The address of the name's `Name` account, which the client reads to verify [API-3]. */
  nameAccount: Hex32,
  record: RouteRecordJson,
  /** The bytes the owner's RouteAuth commits to. */
  encoding: Hex,
  /** route_hash = H("dotdns/v1/route", encoding) [RTE-7]. */
  routeHash: Hex32,
  signature: Hex64,
  /** The epoch the route was finalized in, for a canonical entry. */
  routeEpoch: Schema.optionalKey(U64)
})
export type RouteEntryJson = typeof RouteEntryJson.Type

/** The name's `Name` account as read now (an extension: lets a caller see why an entry is or is not canonical). */
export const CanonicalJson = Schema.Struct({
  owner: Hex32,
  routeHash: Hex32,
  serial: U64,
  routeEpoch: U64,
  /** Whether the served entry is the canonical route. */
  matches: Schema.Boolean
})

export const RouteLookupResponse = Schema.Struct({
  ...RouteEntryJson.fields,
  canonical: Schema.NullOr(CanonicalJson),
  /** Why `canonical` is null: the RPC endpoint failed. */
  canonicalError: Schema.optionalKey(Schema.String)
})
export type RouteLookupResponse = typeof RouteLookupResponse.Type

export const RoutePage = Schema.Struct({
  /** One entry per finality, in the order the miner observed them. */
  routes: Schema.Array(Schema.Struct({ ...RouteEntryJson.fields, cursor: Cursor })),
  /** Pass as `since` to resume: every later finality, each once [API-4]. */
  next: Cursor,
  /** True when the page reached the present. */
  complete: Schema.Boolean
})
export type RoutePage = typeof RoutePage.Type

// ----------------------------------------------------------------------------------------- aggregates

/**
 * One of the miner's aggregates, summarized (`GET /v1/roots/{epoch}`). `statementHash` is the statement
 * digest [AGG-1] — every field of the statement, `batchCid` included, changes it — and `signature` the
 * miner's signature over it: a watcher compares digests, never the summary fields, to notice a new
 * statement.
 */
export const RootJson = Schema.Struct({
  nameHash: Hex32,
  routeHash: Hex32,
  receiptRoot: Hex32,
  support: U64,
  receiptCount: Schema.Int,
  miner: Hex32,
  /** H("dotdns/v1/aggregate", encoding): the on-chain statement_hash [AGG-1]. */
  statementHash: Hex32,
  /** The miner's ed25519 signature over `statementHash`. */
  signature: Hex64
})
export type RootJson = typeof RootJson.Type
export const RootsResponse = Schema.Struct({ roots: Schema.Array(RootJson) })

export const AggregateSummaryJson = Schema.Struct({
  epoch: U64,
  ...RootJson.fields,
  /** Text form of the batch CID (fetch it at /v1/batches/{cid}), or null. */
  batchCid: Schema.NullOr(Schema.String),
  cursor: Cursor
})
export type AggregateSummaryJson = typeof AggregateSummaryJson.Type
export const AggregateListResponse = Schema.Struct({ aggregates: Schema.Array(AggregateSummaryJson) })

/** Every aggregate of a round the miner knows, with what the chain says of it. */
export const RoundAggregatesResponse = Schema.Struct({
  aggregates: Schema.Array(
    Schema.Struct({
      statement: AggregateStatementJson,
      statementHash: Hex32,
      /** The statement miner's signature over `statementHash`. */
      signature: Hex64,
      /** Whether an `Aggregate` account holds this statement on-chain (false when unknown). */
      onChain: Schema.Boolean,
      /** The `Aggregate` account's flags (submitted 1, equivocated 2); 0 when not on-chain. */
      flags: Schema.Int
    })
  )
})

export const MinerAggregateResponse = Schema.Struct({
  statement: AggregateStatementJson,
  signature: Hex64,
  statementHash: Hex32,
  /** The Aggregate encoding the miner signed. */
  encoding: Hex,
  batchCid: Schema.NullOr(Schema.String)
})
export type MinerAggregateResponse = typeof MinerAggregateResponse.Type

export const LeavesResponse = Schema.Struct({
  leaves: Schema.Array(Schema.Struct({ index: Schema.Int, leaf: LeafJson, receipt: Schema.NullOr(SignedReceiptJson) })),
  next: Schema.NullOr(Schema.Int)
})
export type LeavesResponse = typeof LeavesResponse.Type

/** A leaf with its RFC 9162 inclusion path: exactly what `pin_leaf` needs [MRK-5, API-5]. */
export const ProofJson = Schema.Struct({
  index: Schema.Int,
  size: Schema.Int,
  leaf: LeafJson,
  path: Schema.Array(SumNodeJson),
  root: SumNodeJson,
  /** H("dotdns/v1/leaf", leaf) with its weight: the node the path starts from. */
  leafNode: SumNodeJson,
  /** The witness's signed receipt behind the leaf, when the miner holds it. */
  receipt: Schema.NullOr(SignedReceiptJson)
})
export type ProofJson = typeof ProofJson.Type

// ------------------------------------------------------------------------------------------- feed

export const FeedEventJson = Schema.Struct({
  cursor: Cursor,
  /** route.published, route.finalized, receipts.accepted, aggregate.stored, submission.updated, … */
  type: Schema.String,
  /** Unix milliseconds of the commit. */
  at: Schema.Number,
  data: Schema.Unknown
})
export type FeedEventJson = typeof FeedEventJson.Type

export const EventPage = Schema.Struct({ events: Schema.Array(FeedEventJson), next: Cursor, head: Cursor })

/** The WebSocket client's first message on /v1/ws. */
export const SubscribeMessage = Schema.Struct({
  subscribe: Schema.Struct({
    since: Schema.NullOr(Cursor),
    types: Schema.optionalKey(Schema.Array(Schema.String))
  })
})

// ------------------------------------------------------------------------------------------ operations

export const HealthJson = Schema.Struct({ status: Schema.Literals(["ok", "ready"]), checks: Schema.Record(Schema.String, Schema.String) })

/**
 * `GET /v1/info` ([14] "Operations"): who the miner says it is — its key, the program it acts on and
 * the spec version it implements [VER-1]. A watcher maps a peer's URL to a miner key with it; it is a
 * claim, not an authentication (everything else a peer serves is checked against the chain).
 */
export const InfoJson = Schema.Struct({
  miner: Base58,
  programId: Base58,
  specVersion: Schema.String,
  chainMode: Schema.String,
  storage: Schema.String,
  headCursor: Cursor,
  peers: Schema.Array(Schema.String)
})

/** The body of every 4xx/5xx answer: `{error: {rule?, message}}`. */
export const ErrorBody = Schema.Struct({
  error: Schema.Struct({ rule: Schema.optionalKey(Schema.String), message: Schema.String })
})
export type ErrorBody = typeof ErrorBody.Type
