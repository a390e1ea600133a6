/**
 * Resolution of one `.dns` name, spec 13 steps 3–8: cache first [CLI-1]; otherwise the `Name` account
 * from every RPC endpoint [CLI-5], NXDOMAIN when there is none and NODATA while no route is canonical;
 * then the record from the miners, hedged, verified [CLI-2]–[CLI-4]; then the cache. A failure is
 * logged, cached for the failure TTL and returned — it is never turned into an answer [CLI-6].
 *
 * Entries are kept fresh without waiting for a query: a used entry nearing expiry is re-verified in the
 * background (a chain read suffices while the canonical route is unchanged), and a `route.finalized`
 * event from a miner's feed re-verifies the name at once.
 */
import { Context, Deferred, Effect, Layer, Schedule, Semaphore } from "effect"
import { equal, hex } from "../../spec/src/bytes.ts"
import { toBase58 } from "../../programs/client/base58.ts"
import { Chain } from "./Chain.ts"
import { ClientConfig } from "./Config.ts"
import { failure, VerificationFailure } from "./Failure.ts"
import { Miners } from "./Miners.ts"
import { Receipts } from "./Receipts.ts"
import { RouteCache, type CacheEntry } from "./RouteCache.ts"
import { isZero, verifyRoute, type OnChainName, type PublishedRoute, type VerifiedRoute } from "./Verify.ts"

export type Resolution =
  | { readonly kind: "route"; readonly route: VerifiedRoute; readonly fromCache: boolean }
  | { readonly kind: "nxdomain"; readonly expiresAt: number; readonly fromCache: boolean }
  | { readonly kind: "nodata"; readonly expiresAt: number; readonly account: OnChainName; readonly fromCache: boolean }
  | { readonly kind: "failure"; readonly failure: VerificationFailure; readonly expiresAt: number; readonly fromCache: boolean }

/** One step of a resolution, as `dotdns resolve --trace` prints it. */
export interface TraceStep {
  readonly step: string
  readonly ok: boolean
  readonly detail: string
}

export interface ResolveOptions {
  /** Collect every step (and do not join a resolution already in flight). */
  readonly trace?: TraceStep[]
  /** Skip the cache (the result is still cached). */
  readonly fresh?: boolean
}

const fromEntry = (e: CacheEntry): Resolution => {
  switch (e.kind) {
    case "route":
      return { kind: "route", route: e.route, fromCache: true }
    case "nxdomain":
      return { kind: "nxdomain", expiresAt: e.expiresAt, fromCache: true }
    case "nodata":
      return { kind: "nodata", expiresAt: e.expiresAt, account: e.account, fromCache: true }
    case "failure":
      return { kind: "failure", failure: e.failure, expiresAt: e.expiresAt, fromCache: true }
  }
}

export class Resolver extends Context.Service<
  Resolver,
  {
    /** `name` must be normalized (spec 13 step 2). Never fails: failures are a Resolution. */
    resolve(name: string, options?: ResolveOptions): Effect.Effect<Resolution>
    /** A fresh cache entry, synchronously (the DNS hot path); undefined on a miss. */
    peek(name: string, now: number): Resolution | undefined
    /** Re-verifies a cached name now (a feed event, or a test); `hint` is a record to try first. */
    refresh(name: string, hint?: PublishedRoute): Effect.Effect<void>
    /** Re-verifies every used entry that is within `refresh_fraction` of its TTL (the background loop). */
    readonly refreshDue: Effect.Effect<number>
  }
>()("dotdns/client/Resolver") {
  static readonly make = Effect.gen(function* () {
    const config = yield* ClientConfig
    const chain = yield* Chain
    const miners = yield* Miners
    const cache = yield* RouteCache
    const receipts = yield* Receipts
    const inflight = new Map<string, Deferred.Deferred<Resolution>>()
    /** Names served from the cache since they were last verified: the ones worth refreshing. */
    const used = new Set<string>()
    const refreshing = new Set<string>()
    /** Upstream work (RPC reads, miner lookups) in flight at once; more waits its turn. */
    const upstream = Semaphore.makeUnsafe(256)

    const negativeUntil = (now: number) => now + config.cache.negativeTtlS * 1000
    const failureUntil = (now: number) => now + config.cache.failureTtlS * 1000

    const fail = (name: string, f: VerificationFailure, trace: TraceStep[] | undefined) =>
      Effect.gen(function* () {
        const now = Date.now()
        trace?.push({ step: "verification", ok: false, detail: f.extraText })
        // the event is logged, the record is not cached, and the failure is remembered briefly [CLI-6]
        yield* Effect.logWarning("verification failure", { name, rule: f.rule, ede: f.ede, text: f.extraText, ...(f.miner ? { miner: f.miner } : {}) })
        const expiresAt = failureUntil(now)
        cache.put(name, { kind: "failure", failure: f, expiresAt })
        return { kind: "failure", failure: f, expiresAt, fromCache: false } satisfies Resolution
      })

    const verifyFromMiners = (name: string, account: OnChainName, trace: TraceStep[] | undefined, hint?: PublishedRoute) =>
      Effect.gen(function* () {
        if (hint !== undefined) {
          const v = verifyRoute(name, account, hint, Date.now())
          if (!(v instanceof VerificationFailure)) {
            trace?.push({ step: "miner", ok: true, detail: `${hint.miner}: record from its feed` })
            return v
          }
        }
        const r = yield* miners.fetchRoute(name, (p) => verifyRoute(name, account, p, Date.now())).pipe(Effect.result)
        if (r._tag === "Failure") return r.failure
        for (const a of r.success.attempts) trace?.push({ step: "miner", ok: a.outcome === "verified", detail: `${a.miner} (${a.ms} ms): ${a.outcome}` })
        return r.success.route
      })

    const lookup = (name: string, trace: TraceStep[] | undefined, hint?: PublishedRoute) =>
      Effect.gen(function* () {
        const read = yield* chain.readName(name).pipe(Effect.result)
        if (read._tag === "Failure") return yield* fail(name, read.failure, trace)
        for (const o of read.success.observations) trace?.push({ step: "rpc", ok: o.ok, detail: `${o.url}${o.slot ? ` @${o.slot}` : ""}: ${o.detail}` })
        const state = read.success.state
        const now = Date.now()
        if (state.kind === "absent") {
          trace?.push({ step: "chain", ok: true, detail: `${name} is not registered (no Name account at ${toBase58(chain.nameAddress(name))})` })
          const expiresAt = negativeUntil(now)
          cache.put(name, { kind: "nxdomain", expiresAt })
          return { kind: "nxdomain", expiresAt, fromCache: false } satisfies Resolution
        }
        const account = state.account
        trace?.push({
          step: "chain",
          ok: true,
          detail: `Name account ${toBase58(account.address)}: owner ${toBase58(account.owner)}, route_hash ${hex(account.routeHash)}, serial ${account.serial}, route epoch ${account.routeEpoch}`
        })
        if (isZero(account.routeHash)) {
          trace?.push({ step: "chain", ok: true, detail: "registered, no canonical route yet: NODATA" })
          const expiresAt = negativeUntil(now)
          cache.put(name, { kind: "nodata", expiresAt, account })
          receipts.served(name)
          return { kind: "nodata", expiresAt, account, fromCache: false } satisfies Resolution
        }
        const v = yield* verifyFromMiners(name, account, trace, hint)
        if (v instanceof VerificationFailure) return yield* fail(name, v, trace)
        trace?.push({ step: "signature", ok: true, detail: `owner signature over RouteAuth(serial ${v.record.serial}) verifies` })
        trace?.push({ step: "owner", ok: true, detail: `record owner ${toBase58(v.record.owner)} = on-chain owner` })
        trace?.push({ step: "route_hash", ok: true, detail: `${hex(v.routeHash)} = canonical route_hash` })
        cache.put(name, { kind: "route", route: v, expiresAt: v.expiresAt })
        used.delete(name)
        receipts.witnessed(v)
        return { kind: "route", route: v, fromCache: false } satisfies Resolution
      }).pipe(
        Semaphore.withPermit(upstream),
        Effect.catchCause((cause) => fail(name, failure("internal", `internal error: ${String(cause).split("\n")[0]}`), trace)),
        Effect.withSpan("Resolver.lookup", { attributes: { name } })
      )

    const peek = (name: string, now: number): Resolution | undefined => {
      const e = cache.get(name, now)
      if (e === undefined) return undefined
      if (e.kind === "route") {
        used.add(name)
        receipts.witnessed(e.route)
      } else if (e.kind === "nodata") receipts.served(name)
      return fromEntry(e)
    }

    const resolve = (name: string, options: ResolveOptions = {}): Effect.Effect<Resolution> =>
      Effect.suspend(() => {
        const trace = options.trace
        if (options.fresh !== true) {
          const hit = peek(name, Date.now())
          if (hit !== undefined) {
            trace?.push({ step: "cache", ok: true, detail: `hit (${hit.kind}${hit.kind === "route" ? `, ${Math.max(0, Math.floor((hit.route.expiresAt - Date.now()) / 1000))} s left` : ""})` })
            return Effect.succeed(hit)
          }
          trace?.push({ step: "cache", ok: true, detail: "miss" })
        }
        if (trace !== undefined) return lookup(name, trace)
        const running = inflight.get(name)
        if (running !== undefined) return Deferred.await(running)
        const d = Deferred.makeUnsafe<Resolution>()
        inflight.set(name, d)
        return lookup(name, undefined).pipe(
          // waiters get the same exit, interruption included: none is left hanging
          Effect.onExit((exit) => Deferred.done(d, exit)),
          Effect.ensuring(Effect.sync(() => inflight.delete(name)))
        )
      })

    /** Keeps a cached route when the chain still names it; otherwise verifies anew. */
    const refresh = (name: string, hint?: PublishedRoute): Effect.Effect<void> =>
      Effect.gen(function* () {
        if (refreshing.has(name)) return
        refreshing.add(name)
        yield* Effect.gen(function* () {
          const current = cache.peek(name)
          if (current?.kind === "route") {
            const read = yield* chain.readName(name).pipe(Effect.result)
            if (read._tag === "Success" && read.success.state.kind === "registered") {
              const a = read.success.state.account
              const r = current.route
              if (equal(a.owner, r.account.owner) && equal(a.routeHash, r.routeHash)) {
                // the canonical route is still the record we hold: verified again at this instant
                const now = Date.now()
                const renewed: VerifiedRoute = { ...r, account: a, verifiedAt: now, expiresAt: now + r.record.ttl * 1000 }
                cache.put(name, { kind: "route", route: renewed, expiresAt: renewed.expiresAt })
                used.delete(name)
                return
              }
            }
          }
          // the chain moved (or we were told it did): what we hold may no longer be canonical
          if (current?.kind === "route") cache.delete(name)
          yield* lookup(name, undefined, hint)
        }).pipe(Effect.ensuring(Effect.sync(() => refreshing.delete(name))))
      })

    const refreshDue = Effect.gen(function* () {
      const now = Date.now()
      const due = cache
        .routes(now)
        .filter((r) => used.has(r.name) && r.expiresAt - now <= r.record.ttl * 1000 * config.cache.refreshFraction)
      yield* Effect.forEach(due, (r) => refresh(r.name), { concurrency: 4, discard: true })
      return due.length
    })

    return Resolver.of({ resolve, peek, refresh, refreshDue })
  })

  /** The resolver with its background work: periodic re-verification and the miners' feeds. */
  static readonly layer = Layer.effect(
    Resolver,
    Effect.gen(function* () {
      const config = yield* ClientConfig
      const miners = yield* Miners
      const cache = yield* RouteCache
      const resolver = yield* Resolver.make
      yield* Effect.forkScoped(resolver.refreshDue.pipe(Effect.repeat(Schedule.spaced(config.cache.refreshIntervalMs))))
      if (config.miners.feeds && miners.urls.length > 0) {
        const ctx = yield* Effect.context<never>()
        const run = Effect.runForkWith(ctx)
        yield* miners.follow({
          finalized: (name, published) => {
            if (cache.peek(name) !== undefined) run(resolver.refresh(name, published))
          },
          reset: () => {
            for (const r of cache.routes(Date.now())) run(resolver.refresh(r.name))
          }
        })
      }
      return resolver
    })
  )
}
