/**
 * Feeds of the event log [API-6]:
 *
 *   GET /v1/events   Server-Sent Events when asked for `text/event-stream` (resuming after `since` or
 *                    Last-Event-ID; each event's id is its cursor), else one JSON page of events
 *   GET /v1/ws       WebSocket; the client's first message is {subscribe: {since, types}}
 *   GET /v1/feed     WebSocket subscribed by the query (?since=&types=)     } extensions, same feed
 *   GET /v1/feed/sse Server-Sent Events without content negotiation         }
 *
 * A subscriber gets every event after its cursor, in cursor order, then new ones as they commit. Events
 * are always read from storage — commits only wake the reader — so a slow or reconnecting subscriber can
 * skip nothing and see nothing twice. A cursor the miner never issued (beyond its head) is answered with
 * a `reset` SSE event or WebSocket close code 4410, never silently.
 */
import { Context, Data, Deferred, Effect, Layer, Metric, PubSub, Schedule, Schema, Stream } from "effect"
import { HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { CloseEvent, type Socket } from "effect/socket/Socket"
import { MinerApi, Unavailable } from "./Api.ts"
import * as Metrics from "./Metrics.ts"
import { SubscribeMessage, type FeedEventJson } from "./schemas.ts"
import { Repository, type StorageError, type StoredEvent } from "./Storage.ts"

/** Events read from storage per query while catching up. */
const PAGE = 500
const SSE_KEEPALIVE = "15 seconds"
/** WebSocket close code: the resume cursor is unknown here [API-6]. */
export const CLOSE_RESET = 4410

/** The resume cursor is beyond anything this miner issued (another miner's, or storage was reset). */
export class UnknownCursor extends Data.TaggedError("UnknownCursor")<{ readonly since: number; readonly head: number }> {}

// ------------------------------------------------------------------------------------------ helpers

/** A type filter: exact types, and families (`route` selects `route.*`). Undefined selects everything. */
export interface TypeFilter {
  readonly exact: readonly string[]
  readonly families: readonly string[]
}

export const parseTypes = (...lists: (string | readonly string[] | undefined)[]): TypeFilter | undefined => {
  const all = lists.flatMap((l) => (l === undefined ? [] : typeof l === "string" ? l.split(",") : [...l])).map((t) => t.trim()).filter((t) => t.length > 0)
  if (all.length === 0) return undefined
  return { exact: all.filter((t) => t.includes(".")), families: all.filter((t) => !t.includes(".")) }
}

const matches = (f: TypeFilter | undefined, type: string): boolean =>
  f === undefined || f.exact.includes(type) || f.families.some((fam) => type === fam || type.startsWith(`${fam}.`))

/** The wire form (cursor as a decimal string, like every cursor in the API). */
export const eventWire = (e: StoredEvent) => ({ cursor: String(e.cursor), type: e.type, at: e.at, data: e.data })

export const eventJson = (e: StoredEvent): FeedEventJson => ({ cursor: e.cursor, type: e.type, at: e.at, data: e.data })

export const sseFrame = (e: StoredEvent): string => `id: ${e.cursor}\nevent: ${e.type}\ndata: ${JSON.stringify(eventWire(e))}\n\n`

// ------------------------------------------------------------------------------------------ service

export class Feed extends Context.Service<
  Feed,
  {
    /** Every event after `since` (matching `types`), then live ones, in cursor order. Never ends. */
    stream(since: number, types?: TypeFilter): Stream.Stream<StoredEvent, StorageError | UnknownCursor>
    page(since: number, limit: number, types?: TypeFilter): Effect.Effect<{ readonly events: readonly StoredEvent[]; readonly head: number }, StorageError>
    /** Ends every open stream (the miner is stopping), so the HTTP server need not wait for them. */
    readonly shutdown: Effect.Effect<void>
  }
>()("dotdns/miner/Feed") {
  static readonly layer = Layer.effect(
    Feed,
    Effect.gen(function* () {
      const repo = yield* Repository
      const closing = yield* Deferred.make<void>()

      /**
       * One storage read. `scanned` is every event read (the cursor moves past all of them), `kept` those
       * the filter selects: with only exact types the database filters, with families we do.
       */
      const read = (since: number, limit: number, types?: TypeFilter) =>
        types !== undefined && types.families.length === 0
          ? Effect.map(repo.events({ since, limit, types: types.exact }), (es) => ({ scanned: es, kept: es }))
          : Effect.map(repo.events({ since, limit }), (es) => ({ scanned: es, kept: types === undefined ? es : es.filter((e) => matches(types, e.type)) }))

      const stream = (since: number, types?: TypeFilter): Stream.Stream<StoredEvent, StorageError | UnknownCursor> =>
        Stream.unwrap(
          Effect.gen(function* () {
            // Subscribe before the first read, so a commit racing the read still wakes us.
            const wake = yield* repo.heads
            const head = yield* repo.head
            if (since > head) return yield* new UnknownCursor({ since, head })
            let last = since
            const next = Effect.gen(function* () {
              while (true) {
                const { scanned, kept } = yield* read(last, PAGE, types)
                if (scanned.length > 0) last = scanned[scanned.length - 1]!.cursor
                if (kept.length > 0) return kept
                if (scanned.length < PAGE) yield* PubSub.take(wake)
              }
            })
            return Stream.fromEffectRepeat(next).pipe(Stream.flattenIterable)
          })
        ).pipe(Stream.interruptWhen(Deferred.await(closing)))

      const page = Effect.fn("Feed.page")(function* (since: number, limit: number, types?: TypeFilter) {
        const head = yield* repo.head
        const { kept } = yield* read(since, limit, types)
        return { events: kept, head }
      })

      return Feed.of({ stream, page, shutdown: Effect.asVoid(Deferred.succeed(closing, undefined)) })
    })
  )
}

// --------------------------------------------------------------------------------------------- HTTP

const subscribed = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Metric.modify(Metrics.feedSubscribers, 1),
    () => self,
    () => Metric.modify(Metrics.feedSubscribers, -1)
  )

const decodeSubscribe = Schema.decodeUnknownResult(Schema.fromJsonString(SubscribeMessage))

/** The SSE response of a feed from `since`. */
const sseResponse = (feed: Feed["Service"], since: number, types: TypeFilter | undefined) => {
  const encoder = new TextEncoder()
  const events = feed.stream(since, types).pipe(
    Stream.map(sseFrame),
    Stream.catchTag("UnknownCursor", (e: UnknownCursor) =>
      Stream.succeed(`event: reset\ndata: ${JSON.stringify({ since: String(e.since), head: String(e.head), message: "cursor unknown here; reconcile with /v1/routes" })}\n\n`)
    ),
    Stream.orDie
  )
  const keepalive = Stream.fromSchedule(Schedule.spaced(SSE_KEEPALIVE)).pipe(Stream.map(() => ": keepalive\n\n"))
  const body = Stream.concat(Stream.succeed("retry: 1000\n\n"), Stream.merge(events, keepalive, { haltStrategy: "left" })).pipe(
    Stream.map((s) => encoder.encode(s)),
    Stream.onStart(Metric.modify(Metrics.feedSubscribers, 1)),
    Stream.ensuring(Metric.modify(Metrics.feedSubscribers, -1))
  )
  return HttpServerResponse.stream(body, { contentType: "text/event-stream", headers: { "cache-control": "no-cache", "x-accel-buffering": "no" } })
}

export const FeedHttp = HttpApiBuilder.group(MinerApi, "feed", (handlers) =>
  Effect.gen(function* () {
    const feed = yield* Feed

    /** Serves a WebSocket: `first` decides the subscription (from the query, or the client's first message). */
    const serveSocket = (
      upgrade: Effect.Effect<Socket, unknown>,
      first: "message" | { readonly since: number; readonly types: TypeFilter | undefined }
    ) =>
      Effect.gen(function* () {
        const socket = yield* Effect.orDie(upgrade)
        const reader = yield* Effect.orDie(socket.reader)
        const writer = yield* socket.writer
        let sub = first
        if (sub === "message") {
          const chunks = yield* Effect.orDie(reader.pull)
          const text = chunks.map((c) => (typeof c === "string" ? c : new TextDecoder().decode(c))).join("")
          const m = decodeSubscribe(text)
          if (m._tag === "Failure") {
            yield* Effect.ignore(writer.write(new CloseEvent(1008, "expected {subscribe: {since, types}}")))
            return HttpServerResponse.empty()
          }
          sub = { since: m.success.subscribe.since ?? 0, types: parseTypes(m.success.subscribe.types) }
        }
        const send = feed.stream(sub.since, sub.types).pipe(
          Stream.runForEach((e) => writer.write(JSON.stringify(eventWire(e)))),
          // The stream ends only when the miner stops.
          Effect.andThen(writer.write(new CloseEvent(1001, "miner shutting down"))),
          Effect.catchTag("UnknownCursor", () => writer.write(new CloseEvent(CLOSE_RESET, "cursor unknown here; reconcile with /v1/routes")))
        )
        // Reading fails once the client closes the socket, which ends the feed; later messages are ignored.
        const untilClosed = Effect.ignore(Effect.forever(reader.pull))
        yield* subscribed(Effect.raceFirst(Effect.ignore(send), untilClosed))
        return HttpServerResponse.empty()
      }).pipe(Effect.scoped)

    return handlers
      .handle("events", ({ query, headers }) =>
        Effect.gen(function* () {
          const since = headers["last-event-id"] ?? query.since ?? 0
          const types = parseTypes(query.types, query.kinds)
          if ((headers.accept ?? "").includes("text/event-stream")) return sseResponse(feed, since, types)
          const { events, head } = yield* feed.page(since, query.limit ?? 100, types).pipe(Effect.mapError((e) => new Unavailable({ message: e.message })))
          return { events: events.map(eventJson), next: events.length > 0 ? events[events.length - 1]!.cursor : since, head }
        })
      )
      .handle("sse", ({ query, headers }) => Effect.sync(() => sseResponse(feed, headers["last-event-id"] ?? query.since ?? 0, parseTypes(query.types, query.kinds))))
      .handle("ws", ({ request }) => serveSocket(request.upgrade, "message"))
      .handle("websocket", ({ request, query }) => serveSocket(request.upgrade, { since: query.since ?? 0, types: parseTypes(query.types, query.kinds) }))
  })
)
