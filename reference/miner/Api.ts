/**
 * The miner's HTTP API as one `HttpApi` definition: the server is built from it (each feature file
 * implements its group), `/openapi.json` is generated from it, and clients can derive a typed client
 * from it. Every error answer is `{error: {rule?, message}}` with the status its class names.
 */
import { Effect, Schema, SchemaGetter } from "effect"
import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiMiddleware, HttpApiSchema, OpenApi } from "effect/http-api"
import { SPEC_VERSION } from "../../spec/src/version.ts"
import {
  AggregateListResponse, Cursor, ErrorBody, EventPage, FeedEventJson, HealthJson, Hex32, Index, InfoJson, IngestResponse, LeavesResponse, Limit,
  MinerAggregateResponse, ProofJson, ReceiptBatchJson, ReceiptPage, RootsResponse, RoundAggregatesResponse, RouteLookupResponse, RoutePage,
  RouteSubmission, RouteSubmitResponse, U64
} from "./schemas.ts"

// ------------------------------------------------------------------------------------------- errors

const errorFields = { rule: Schema.optionalKey(Schema.String), message: Schema.String }
type ErrorFields = { readonly rule?: string; readonly message: string }

/** `{error: {rule?, message}}` on the wire, the tagged error class in handlers, `status` on the response. */
const asErrorBody = <C extends Schema.Top & (new (fields: ErrorFields) => ErrorFields & Schema.Top["Type"])>(cls: C, status: number) =>
  ErrorBody.pipe(
    Schema.decodeTo(cls, {
      decode: SchemaGetter.transform((e: ErrorBody) => new cls(e.error) as C["Encoded"]),
      encode: SchemaGetter.transform((e: C["Encoded"]) => {
        const x = e as ErrorFields
        return { error: x.rule === undefined ? { message: x.message } : { rule: x.rule, message: x.message } }
      })
    }),
    HttpApiSchema.status(status)
  )

/** Malformed input: not JSON, a field of the wrong shape, truncated bytes. Nothing was changed. */
export class BadRequest extends Schema.TaggedError<BadRequest>()("BadRequest", errorFields) {}
export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", errorFields) {}
/** The request conflicts with what is stored (e.g. another record at the same serial). */
export class Conflict extends Schema.TaggedError<Conflict>()("Conflict", errorFields) {}
export class PayloadTooLarge extends Schema.TaggedError<PayloadTooLarge>()("PayloadTooLarge", errorFields) {}
export class UnsupportedMediaType extends Schema.TaggedError<UnsupportedMediaType>()("UnsupportedMediaType", errorFields) {}
/** Well formed, but the protocol rejects it; `rule` names the rule. */
export class Unprocessable extends Schema.TaggedError<Unprocessable>()("Unprocessable", errorFields) {}
/** The miner cannot answer now (overloaded, chain or storage unreachable); retry later. */
export class Unavailable extends Schema.TaggedError<Unavailable>()("Unavailable", errorFields) {}

export const BadRequestJson = asErrorBody(BadRequest, 400)
export const NotFoundJson = asErrorBody(NotFound, 404)
export const ConflictJson = asErrorBody(Conflict, 409)
export const PayloadTooLargeJson = asErrorBody(PayloadTooLarge, 413)
export const UnsupportedMediaTypeJson = asErrorBody(UnsupportedMediaType, 415)
export const UnprocessableJson = asErrorBody(Unprocessable, 422)
export const UnavailableJson = asErrorBody(Unavailable, 503)

/** Turns the framework's request-decoding failures into our 400 body. */
export class RequestErrors extends HttpApiMiddleware.Service<RequestErrors>()("dotdns/miner/Api/RequestErrors", {
  error: BadRequestJson
}) {}

export const RequestErrorsLayer = HttpApiMiddleware.layerSchemaErrorTransform(RequestErrors, (e) =>
  Effect.fail(new BadRequest({ message: `invalid ${e.kind.toLowerCase()}: ${e.cause.message.replace(/\n\s*/g, " ")}` }))
)

/** 503 from /readyz: the failing checks, and the usual error body. */
export class NotReady extends Schema.TaggedError<NotReady>()("NotReady", { message: Schema.String, checks: Schema.Record(Schema.String, Schema.String) }) {}
const NotReadyBody = Schema.Struct({
  status: Schema.Literal("not-ready"),
  checks: Schema.Record(Schema.String, Schema.String),
  error: Schema.Struct({ message: Schema.String })
})
export const NotReadyJson = NotReadyBody.pipe(
  Schema.decodeTo(NotReady, {
    decode: SchemaGetter.transform((b: typeof NotReadyBody.Type) => new NotReady({ message: b.error.message, checks: b.checks })),
    encode: SchemaGetter.transform((e: typeof NotReady.Encoded) => ({ status: "not-ready" as const, checks: e.checks, error: { message: e.message } }))
  }),
  HttpApiSchema.status(503)
)

// ----------------------------------------------------------------------------------------- groups

const CarBytes = Schema.Uint8Array.pipe(HttpApiSchema.asUint8Array({ contentType: "application/vnd.ipld.car" }))
const PrometheusText = Schema.String.pipe(HttpApiSchema.asText({ contentType: "text/plain; version=0.0.4; charset=utf-8" }))
/** A key in a path or query: 64 hex digits or base58. */
const KeyText = Schema.String.pipe(Schema.annotate({ description: "a 32-byte key: 64 lowercase hex digits or base58" }))
const FeedQuery = {
  since: Schema.optionalKey(Cursor),
  /** Comma-separated event types; an entry without a dot selects a family (`route` = route.*). All when absent. */
  types: Schema.optionalKey(Schema.String),
  /** Alias of `types`. */
  kinds: Schema.optionalKey(Schema.String)
}
const FeedEventsSse = HttpApiSchema.StreamSse({ data: FeedEventJson })

export class ReceiptsGroup extends HttpApiGroup.make("receipts")
  .add(
    HttpApiEndpoint.post("submit", "/v1/receipts", {
      payload: [
        ReceiptBatchJson,
        Schema.Uint8Array.pipe(HttpApiSchema.asUint8Array({ contentType: "application/vnd.dotdns.receipts" })),
        Schema.Uint8Array.pipe(HttpApiSchema.asUint8Array({ contentType: "application/octet-stream" }))
      ],
      success: IngestResponse,
      error: [BadRequestJson, PayloadTooLargeJson, UnsupportedMediaTypeJson, UnavailableJson]
    }).annotate(
      OpenApi.Description,
      "Submit signed receipts: JSON `{receipts: [{receipt, signature}]}`; `application/vnd.dotdns.receipts`, 170-byte frames (106-byte receipt encoding ‖ 64-byte signature) back to back; or `application/octet-stream`, the same frames after a u32 little-endian count. Answered only once accepted receipts are durable [API-1], with one result per receipt in request order; rejected ones name the rule they broke [API-2]. More than max_batch receipts (default 10 000) or a body above max_body_bytes (default 2 MiB) is refused with 413."
    ),
    HttpApiEndpoint.get("list", "/v1/receipts", {
      query: { epoch: U64, nameHash: Schema.optionalKey(Hex32), routeHash: Schema.optionalKey(Hex32), after: Schema.optionalKey(Hex32), limit: Schema.optionalKey(Limit(10_000)) },
      success: ReceiptPage,
      error: [BadRequestJson, UnavailableJson]
    }).annotate(OpenApi.Description, "Extension: stored receipts of an epoch (optionally one name and route) in (name, witness) order; `after` is the last witness of the previous page.")
  ) {}

export class RoutesGroup extends HttpApiGroup.make("routes")
  .add(
    HttpApiEndpoint.post("submit", "/v1/routes", {
      payload: RouteSubmission,
      success: RouteSubmitResponse,
      error: [BadRequestJson, UnprocessableJson, ConflictJson, UnavailableJson]
    }).annotate(
      OpenApi.Description,
      "Extension: publish an owner-signed route record. Checked with the spec (RTE-1..8), against the name's on-chain owner, and above the canonical serial (or equal to the canonical route); published on the feed as `route.published`, and as `route.finalized` when it is the canonical route already."
    ),
    HttpApiEndpoint.get("lookup", "/v1/routes/:name", {
      params: { name: Schema.String },
      query: { latest: Schema.optionalKey(Schema.Literals(["true", "false"])) },
      success: RouteLookupResponse,
      error: [BadRequestJson, NotFoundJson, UnavailableJson]
    }).annotate(
      OpenApi.Description,
      "The canonical record of a name — its route_hash is the Name account's — with the owner signature and the Name account address [API-3]; 404 when the miner holds none. `latest=true`: the newest verified record instead, canonical or not. `canonical` (extension) is the Name account as read now."
    ),
    HttpApiEndpoint.get("list", "/v1/routes", {
      query: { since: Schema.optionalKey(Cursor), limit: Schema.optionalKey(Limit(1000)) },
      success: RoutePage,
      error: [BadRequestJson, UnavailableJson]
    }).annotate(OpenApi.Description, "Reconciliation: one entry per finality, in the order the miner observed them; resume from `next`, which yields every later entry exactly once [API-4].")
  ) {}

export class AuditGroup extends HttpApiGroup.make("audit")
  .add(
    HttpApiEndpoint.get("roots", "/v1/roots/:epoch", {
      params: { epoch: U64 },
      success: RootsResponse,
      error: [BadRequestJson, UnavailableJson]
    }).annotate(
      OpenApi.Description,
      "The miner's aggregates for an epoch, each with its statementHash — the statement digest, which every field (batchCid included) changes — and the miner's signature over it: auditors fetch a statement whenever its digest is new to them [AGG-1, EQV-1]."
    ),
    HttpApiEndpoint.get("list", "/v1/aggregates", {
      query: { epoch: Schema.optionalKey(U64), name: Schema.optionalKey(Schema.String), miner: Schema.optionalKey(KeyText), limit: Schema.optionalKey(Limit(1000)) },
      success: AggregateListResponse,
      error: [BadRequestJson, UnavailableJson]
    }).annotate(OpenApi.Description, "Extension: aggregates the miner holds; `name` is a name or a 64-hex name hash."),
    HttpApiEndpoint.get("round", "/v1/aggregates/:epoch/:nameHash", {
      params: { epoch: U64, nameHash: Hex32 },
      success: RoundAggregatesResponse,
      error: [BadRequestJson, UnavailableJson]
    }).annotate(OpenApi.Description, "Every aggregate of the round the miner knows, with its statement digest, the miner's signature, and whether it is on-chain."),
    HttpApiEndpoint.get("get", "/v1/aggregates/:epoch/:nameHash/:miner", {
      params: { epoch: U64, nameHash: Hex32, miner: KeyText },
      success: MinerAggregateResponse,
      error: [BadRequestJson, NotFoundJson, UnavailableJson]
    }).annotate(OpenApi.Description, "One miner's signed statement [AGG-1]."),
    HttpApiEndpoint.get("leaves", "/v1/aggregates/:epoch/:nameHash/:miner/leaves", {
      params: { epoch: U64, nameHash: Hex32, miner: KeyText },
      query: { offset: Schema.optionalKey(Index), limit: Schema.optionalKey(Limit(10_000)) },
      success: LeavesResponse,
      error: [BadRequestJson, NotFoundJson, UnavailableJson]
    }).annotate(OpenApi.Description, "The leaves in leaf order, each with the signed receipt behind it [API-5]."),
    HttpApiEndpoint.get("proof", "/v1/aggregates/:epoch/:nameHash/:miner/proofs/:index", {
      params: { epoch: U64, nameHash: Hex32, miner: KeyText, index: Index },
      success: ProofJson,
      error: [BadRequestJson, NotFoundJson, UnavailableJson]
    }).annotate(OpenApi.Description, "A leaf and its RFC 9162 inclusion path with sums: verifies against the on-chain root and support, and is what pin_leaf takes [MRK-5, API-5]."),
    HttpApiEndpoint.get("ownProof", "/v1/aggregates/:epoch/:nameHash/proof/:index", {
      params: { epoch: U64, nameHash: Hex32, index: Index },
      success: ProofJson,
      error: [BadRequestJson, NotFoundJson, UnavailableJson]
    }).annotate(OpenApi.Description, "Extension: the proof of a leaf of this miner's own aggregate (…/{miner}/proofs/{index} with the miner's key)."),
    HttpApiEndpoint.get("batch", "/v1/batches/:cid", {
      params: { cid: Schema.String },
      success: CarBytes,
      error: [BadRequestJson, NotFoundJson, UnavailableJson]
    }).annotate(OpenApi.Description, "An aggregate's receipt batch as a CARv1 file of DAG-CBOR blocks; the CID is the statement's batch_cid [AGG-6].")
  ) {}

export class FeedGroup extends HttpApiGroup.make("feed")
  .add(
    HttpApiEndpoint.get("events", "/v1/events", {
      query: { ...FeedQuery, limit: Schema.optionalKey(Limit(1000)) },
      headers: { "last-event-id": Schema.optionalKey(Cursor), accept: Schema.optionalKey(Schema.String) },
      success: [EventPage, FeedEventsSse],
      error: [BadRequestJson, UnavailableJson]
    }).annotate(
      OpenApi.Description,
      "With `Accept: text/event-stream`: Server-Sent Events of the event log after `since` (or Last-Event-ID); each event's id is its cursor [API-6]; an event `reset` says the cursor is unknown here. Otherwise one JSON page of events (polling)."
    ),
    HttpApiEndpoint.get("ws", "/v1/ws", {
      success: HttpApiSchema.Empty(101),
      error: BadRequestJson
    }).annotate(
      OpenApi.Description,
      "WebSocket feed. The client's first message is `{subscribe: {since: cursor | null, types: [...]}}`; the server then sends one event per message, every event after `since` in order [API-6]. Close code 4410: the cursor is unknown here; reconcile with /v1/routes."
    ),
    HttpApiEndpoint.get("websocket", "/v1/feed", {
      query: FeedQuery,
      success: HttpApiSchema.Empty(101),
      error: BadRequestJson
    }).annotate(OpenApi.Description, "Extension: the WebSocket feed subscribed by the query (`since`, `types`) instead of a first message."),
    HttpApiEndpoint.get("sse", "/v1/feed/sse", {
      query: FeedQuery,
      headers: { "last-event-id": Schema.optionalKey(Cursor) },
      success: FeedEventsSse,
      error: BadRequestJson
    }).annotate(OpenApi.Description, "Extension: Server-Sent Events without content negotiation (as /v1/events with Accept: text/event-stream).")
  ) {}

export class OpsGroup extends HttpApiGroup.make("ops")
  .add(
    HttpApiEndpoint.get("healthz", "/healthz", { success: HealthJson }).annotate(OpenApi.Description, "Liveness: 200 while the process serves requests."),
    HttpApiEndpoint.get("readyz", "/readyz", { success: HealthJson, error: NotReadyJson }).annotate(
      OpenApi.Description,
      "Readiness: 200 `{status: ready, checks}` when storage answers, verify workers run and the chain answers with the current epoch; 503 with the failing checks otherwise."
    ),
    HttpApiEndpoint.get("metrics", "/metrics", { success: PrometheusText }).annotate(OpenApi.Description, "Prometheus text exposition."),
    HttpApiEndpoint.get("info", "/v1/info", { success: InfoJson }).annotate(
      OpenApi.Description,
      "Who this miner is: `miner` (its identity key), `programId` (the program it acts on), both base58, and `specVersion` (the spec version it implements) [VER-1] — what auditors map a peer URL to. `chainMode`, `storage`, `headCursor` and `peers` are extensions."
    )
  ) {}

export class MinerApi extends HttpApi.make("dotdns-miner")
  .add(ReceiptsGroup, RoutesGroup, AuditGroup, FeedGroup, OpsGroup)
  .middleware(RequestErrors)
  .annotateMerge(
    OpenApi.annotations({
      title: "dotdns miner",
      version: SPEC_VERSION,
      description:
        "Reference miner of the dotdns protocol (spec v1, chapter 14 \"Miner APIs\"): receipt ingest, route records, audit data and feeds. Values use the spec's JSON mapping: bytes as lowercase hex, u64 as decimal strings. Errors are `{error: {rule?, message}}`."
    })
  ) {}
