/**
 * Miners as the client uses them ([14] "Routes", "Receipts", "Feeds"): route lookups with failover
 * and hedging, receipt batches posted as binary, and WebSocket feeds that announce finalized routes.
 * Nothing a miner says is trusted: a lookup is handed to the caller's verifier, and only a record that
 * passes it ends the search; one that fails is discarded and the next miner tried [CLI-6 step 6].
 */
import { request as httpRequest } from "node:http"
import { request as httpsRequest } from "node:https"
import { Context, Effect, Fiber, Layer, Option, Queue, Schema, type Scope } from "effect"
import { WebSocket } from "ws"
import { Hex, Hex32, Hex64 } from "../../spec/src/json.ts"
import { ClientConfig } from "./Config.ts"
import { failure, VerificationFailure } from "./Failure.ts"
import type { PublishedRoute, VerifiedRoute } from "./Verify.ts"

// ------------------------------------------------------------------------------------------ schemas

/**
 * A route lookup entry: spec 14's shape (`GET /v1/routes/{name}`, feeds, reconciliation) and the
 * reference miner's (which has no top-level `name`, a base58 `nameAccount` and a `canonical` summary).
 * Only `encoding` and `signature` matter — they are what the owner signed and what gets verified; the
 * name comes from `name` or `record.name` and must be the one asked for.
 */
export const RouteEntryJson = Schema.Struct({
  name: Schema.optionalKey(Schema.String),
  record: Schema.optionalKey(Schema.Struct({ name: Schema.String })),
  encoding: Hex,
  signature: Hex64,
  nameHash: Schema.optionalKey(Hex32),
  routeHash: Schema.optionalKey(Hex32),
  nameAccount: Schema.optionalKey(Schema.String)
})

/** A feed event: spec 14 names its kind `type`; the reference miner names it `kind`. */
const FeedEvent = Schema.Struct({
  cursor: Schema.Union([Schema.String, Schema.Number]),
  type: Schema.optionalKey(Schema.String),
  kind: Schema.optionalKey(Schema.String),
  data: Schema.Unknown
})

/**
 * Events that may change what a name resolves to. Each is only a hint to re-verify the name against
 * the chain: `route.finalized` (spec), `route.published`/`route` (a new owner-signed record, not yet
 * canonical — the client keeps what the chain names) and `finality` (the reference miner's chain half).
 */
const ROUTE_EVENTS = new Set(["route.finalized", "route.published", "route", "finality"])

const ReceiptResults = Schema.Struct({
  results: Schema.Array(Schema.Struct({ index: Schema.Int, status: Schema.String, rule: Schema.optionalKey(Schema.String) }))
})

const toPublished = (e: typeof RouteEntryJson.Type, miner: string): { name: string | undefined; published: PublishedRoute } => ({
  name: e.name ?? e.record?.name,
  published: { encoding: e.encoding, signature: e.signature, miner }
})

// ------------------------------------------------------------------------------------------ types

/** One miner's part in a lookup, for traces. */
export interface MinerAttempt {
  readonly miner: string
  readonly ms: number
  /** "verified", "not found", "error: …" or the verification failure's text. */
  readonly outcome: string
}

export interface RouteFetch {
  readonly route: VerifiedRoute
  readonly attempts: readonly MinerAttempt[]
}

export interface ReceiptPost {
  readonly miner: string
  readonly status: number
  readonly accepted: number
  readonly rejected: number
}

export interface FeedHandlers {
  /** A `route.finalized` event: a record the miner says is now canonical (to be verified). */
  readonly finalized: (name: string, published: PublishedRoute) => void
  /** The feed lost events (close code 4410 or a reconnect): every cached name should be re-verified. */
  readonly reset: () => void
}

interface FeedState {
  cursor: string | null
  dialect: "spec" | "miner"
}

export interface FetchOptions {
  /** Ask for the newest record each miner verified (`?latest=true`), canonical or not — for witnesses only. */
  readonly latest?: boolean
}

type LookupResult = { readonly kind: "found"; readonly published: PublishedRoute } | { readonly kind: "missing" }

// ------------------------------------------------------------------------------------------ service

export class Miners extends Context.Service<
  Miners,
  {
    readonly urls: readonly string[]
    /**
     * Asks miners for the name's record, hedged: the first miner at once, the next after
     * `hedge_delay_ms` or as soon as one fails; the first record that passes `verify` wins and the
     * other requests are cancelled.
     */
    fetchRoute(
      name: string,
      verify: (p: PublishedRoute) => VerifiedRoute | VerificationFailure,
      options?: FetchOptions
    ): Effect.Effect<RouteFetch, VerificationFailure>
    /** Posts a binary receipt batch (`application/vnd.dotdns.receipts`) to every miner. */
    postReceipts(body: Uint8Array): Effect.Effect<readonly ReceiptPost[]>
    /** Follows every miner's WebSocket feed until the scope closes. */
    follow(handlers: FeedHandlers): Effect.Effect<void, never, Scope.Scope>
  }
>()("dotdns/client/Miners") {
  static readonly make = (options: {
    readonly urls: readonly string[]
    readonly hedgeDelayMs: number
    readonly timeoutMs: number
    readonly spread?: boolean
  }) => {
    const base = (u: string) => u.replace(/\/+$/, "")

    const lookup = (miner: string, name: string, latest: boolean) =>
      Effect.tryPromise({
        try: async (signal): Promise<LookupResult | string> => {
          const res = await fetch(`${base(miner)}/v1/routes/${encodeURIComponent(name)}${latest ? "?latest=true" : ""}`, {
            headers: { accept: "application/json" },
            signal: AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)])
          })
          if (res.status === 404) {
            await res.body?.cancel()
            return { kind: "missing" }
          }
          if (!res.ok) {
            await res.body?.cancel()
            return `HTTP ${res.status}`
          }
          const json = (await res.json()) as unknown
          const decoded = Schema.decodeUnknownExit(RouteEntryJson)(json)
          if (decoded._tag === "Failure") return "malformed route entry"
          const { name: entryName, published } = toPublished(decoded.value, miner)
          if (entryName !== undefined && entryName !== name) return `answered for ${JSON.stringify(entryName)}`
          return { kind: "found", published }
        },
        catch: (e) => (e instanceof Error ? (e.name === "TimeoutError" ? `timed out after ${options.timeoutMs} ms` : (e.cause as Error | undefined)?.message ?? e.message) : String(e))
      }).pipe(Effect.flatMap((r) => (typeof r === "string" ? Effect.fail(r) : Effect.succeed(r))))

    type Done = { readonly i: number; readonly ms: number; readonly result: VerifiedRoute | VerificationFailure | string | "missing" }

    const fetchRoute = Effect.fn("Miners.fetchRoute")(function* (
      name: string,
      verify: (p: PublishedRoute) => VerifiedRoute | VerificationFailure,
      fetchOptions: FetchOptions = {}
    ) {
      const n = options.urls.length
      if (n === 0) return yield* failure("no-miner", "no miner is configured")
      // spread lookups over miners: start at a random one [13 Privacy]
      const start = options.spread === false ? 0 : Math.floor(Math.random() * n)
      const order = Array.from({ length: n }, (_, k) => options.urls[(start + k) % n]!)
      const done = yield* Queue.unbounded<Done>()
      const fibers: Fiber.Fiber<void>[] = []
      const attempts: MinerAttempt[] = []
      let launched = 0
      let running = 0
      const launch = Effect.gen(function* () {
        const i = launched++
        running++
        const t0 = performance.now()
        const task = lookup(order[i]!, name, fetchOptions.latest === true).pipe(
          Effect.map((r): Done["result"] => (r.kind === "missing" ? "missing" : verify(r.published))),
          Effect.catch((e: string) => Effect.succeed(`error: ${e}`)),
          Effect.flatMap((result) => Queue.offer(done, { i, ms: Math.round(performance.now() - t0), result })),
          Effect.asVoid
        )
        fibers.push(yield* Effect.forkDetach(task))
      })
      const finish = Effect.suspend(() => Fiber.interruptAll(fibers))
      return yield* Effect.gen(function* () {
        yield* launch
        let firstFailure: VerificationFailure | undefined
        for (;;) {
          const next =
            launched < n ? yield* Queue.take(done).pipe(Effect.timeoutOption(options.hedgeDelayMs)) : Option.some(yield* Queue.take(done))
          if (Option.isNone(next)) {
            yield* launch // hedge: the miners in flight are slow
            continue
          }
          running--
          const d = next.value
          const miner = order[d.i]!
          const r = d.result
          if (r instanceof VerificationFailure) {
            attempts.push({ miner, ms: d.ms, outcome: r.extraText })
            firstFailure ??= r
          } else if (typeof r === "string") attempts.push({ miner, ms: d.ms, outcome: r === "missing" ? "not found" : r })
          else {
            attempts.push({ miner, ms: d.ms, outcome: "verified" })
            return { route: r, attempts }
          }
          if (launched < n) yield* launch
          else if (running === 0) {
            if (firstFailure !== undefined) return yield* firstFailure
            return yield* failure("no-miner", `no miner returned a record for ${name} (${attempts.map((a) => `${a.miner}: ${a.outcome}`).join("; ")})`)
          }
        }
      }).pipe(Effect.ensuring(finish))
    })

    const postOne = (miner: string, contentType: string, body: Uint8Array) =>
      Effect.callback<ReceiptPost>((resume) => {
        const url = new URL(`${base(miner)}/v1/receipts`)
        const req = (url.protocol === "https:" ? httpsRequest : httpRequest)(
          url,
          {
            method: "POST",
            // only what HTTP needs: no user agent, no identifiers
            headers: { "content-type": contentType, "content-length": String(body.length) },
            timeout: options.timeoutMs
          },
          (res) => {
            const chunks: Buffer[] = []
            res.on("data", (c: Buffer) => chunks.push(c))
            res.on("end", () => {
              let accepted = 0
              let rejected = 0
              try {
                const parsed = Schema.decodeUnknownExit(ReceiptResults)(JSON.parse(Buffer.concat(chunks).toString("utf8")))
                if (parsed._tag === "Success")
                  for (const r of parsed.value.results) r.status === "rejected" ? rejected++ : accepted++
              } catch {
                // a non-JSON answer counts nothing
              }
              resume(Effect.succeed({ miner, status: res.statusCode ?? 0, accepted, rejected }))
            })
            res.on("error", () => resume(Effect.succeed({ miner, status: 0, accepted: 0, rejected: 0 })))
          }
        )
        req.on("timeout", () => req.destroy(new Error("timeout")))
        req.on("error", () => resume(Effect.succeed({ miner, status: 0, accepted: 0, rejected: 0 })))
        req.end(Buffer.from(body.buffer, body.byteOffset, body.byteLength))
      })

    /**
     * Spec 14's binary batch; a miner that refuses the media type (415) gets the reference miner's
     * `application/octet-stream` framing instead: the same frames behind a u32 count.
     */
    const postTo = (miner: string, body: Uint8Array) =>
      postOne(miner, "application/vnd.dotdns.receipts", body).pipe(
        Effect.flatMap((r) => {
          if (r.status !== 415) return Effect.succeed(r)
          const framed = new Uint8Array(4 + body.length)
          new DataView(framed.buffer).setUint32(0, body.length / 170, true)
          framed.set(body, 4)
          return postOne(miner, "application/octet-stream", framed)
        })
      )

    const postReceipts = (body: Uint8Array) => Effect.forEach(options.urls, (m) => postTo(m, body), { concurrency: "unbounded" })

    /**
     * One WebSocket session; resolves with the close code (1006 when the upgrade was refused). Two
     * dialects: spec 14's `/v1/ws` with a `subscribe` message, and the reference miner's extension
     * `/v1/feed?since=&types=`; `state.dialect` switches when a connection never opens.
     */
    const session = (miner: string, state: FeedState, handlers: FeedHandlers) =>
      Effect.callback<number>((resume, signal) => {
        const root = base(miner).replace(/^http/, "ws")
        const ws =
          state.dialect === "spec"
            ? new WebSocket(`${root}/v1/ws`)
            : new WebSocket(`${root}/v1/feed?types=route${state.cursor === null ? "" : `&since=${encodeURIComponent(state.cursor)}`}`)
        let opened = false
        ws.on("open", () => {
          opened = true
          if (state.dialect === "spec") ws.send(JSON.stringify({ subscribe: { since: state.cursor, types: ["route.finalized", "route.published"] } }))
        })
        ws.on("unexpected-response", () => ws.terminate())
        ws.on("message", (data) => {
          let ev: typeof FeedEvent.Type
          try {
            const d = Schema.decodeUnknownExit(FeedEvent)(JSON.parse(String(data)))
            if (d._tag === "Failure") return
            ev = d.value
          } catch {
            return
          }
          state.cursor = String(ev.cursor)
          if (!ROUTE_EVENTS.has(ev.type ?? ev.kind ?? "")) return
          const entry = Schema.decodeUnknownExit(RouteEntryJson)(ev.data)
          if (entry._tag === "Failure") return
          const { name, published } = toPublished(entry.value, miner)
          if (name !== undefined) handlers.finalized(name, published)
        })
        ws.on("error", () => {})
        ws.on("close", (code) => {
          // never opened (refused upgrade, or no such path): try the other dialect next time
          if (!opened) state.dialect = state.dialect === "spec" ? "miner" : "spec"
          resume(Effect.succeed(opened ? code : 1006))
        })
        signal.addEventListener("abort", () => ws.terminate())
      })

    const followOne = (miner: string, handlers: FeedHandlers) =>
      Effect.gen(function* () {
        const state: FeedState = { cursor: null, dialect: "spec" }
        let backoffMs = 500
        for (;;) {
          const t0 = Date.now()
          const code = yield* session(miner, state, handlers)
          if (code === 4410) {
            // the miner no longer holds our cursor: start over and re-verify what we cache [API-6]
            state.cursor = null
            handlers.reset()
          }
          backoffMs = Date.now() - t0 > 10_000 ? 500 : Math.min(backoffMs * 2, 30_000)
          yield* Effect.sleep(backoffMs)
        }
      })

    const follow = (handlers: FeedHandlers) =>
      Effect.forEach(options.urls, (m) => Effect.forkScoped(followOne(m, handlers)), { discard: true })

    return Miners.of({ urls: options.urls, fetchRoute, postReceipts, follow })
  }

  static readonly layer = Layer.effect(
    Miners,
    Effect.gen(function* () {
      const c = yield* ClientConfig
      return Miners.make(c.miners)
    })
  )
}
