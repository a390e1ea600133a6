/**
 * The client's cache [CLI-1]: verified routes until `verified_at + ttl`, NXDOMAIN and NODATA for the
 * negative TTL (≤ 60 s) and verification failures for the failure TTL (1–30 s, answered with EDE 13).
 * Size-bounded LRU. Verified routes are persisted to `<data_dir>/route-cache.json` (written atomically,
 * periodically and on shutdown) and reloaded on start; a reloaded entry is served only for what is
 * left of its TTL, and only after its record and signature check again [CLI-2] against the stored
 * chain state it was verified with.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Context, Effect, Layer, Schedule, Schema } from "effect"
import { equal } from "../../spec/src/bytes.ts"
import { Hex, Hex32, Hex64, U64 } from "../../spec/src/json.ts"
import { ClientConfig } from "./Config.ts"
import type { VerificationFailure } from "./Failure.ts"
import { checkPublished, type OnChainName, type VerifiedRoute } from "./Verify.ts"

export type CacheEntry =
  | { readonly kind: "route"; readonly route: VerifiedRoute; readonly expiresAt: number }
  | { readonly kind: "nxdomain"; readonly expiresAt: number }
  | { readonly kind: "nodata"; readonly expiresAt: number; readonly account: OnChainName }
  | { readonly kind: "failure"; readonly failure: VerificationFailure; readonly expiresAt: number }

/** LRU over a Map (insertion order = recency) with per-entry expiry. */
export class LruTtl<V extends { readonly expiresAt: number }> {
  private readonly map = new Map<string, V>()
  readonly max: number
  constructor(max: number) {
    this.max = max
  }
  get size(): number {
    return this.map.size
  }
  /** A fresh entry, moved to most recently used; expired entries are dropped. */
  get(key: string, now: number): V | undefined {
    const v = this.map.get(key)
    if (v === undefined) return undefined
    if (v.expiresAt <= now) {
      this.map.delete(key)
      return undefined
    }
    this.map.delete(key)
    this.map.set(key, v)
    return v
  }
  /** Without touching recency or expiry. */
  peek(key: string): V | undefined {
    return this.map.get(key)
  }
  set(key: string, v: V): void {
    this.map.delete(key)
    this.map.set(key, v)
    while (this.map.size > this.max) this.map.delete(this.map.keys().next().value!)
  }
  delete(key: string): boolean {
    return this.map.delete(key)
  }
  entries(): IterableIterator<[string, V]> {
    return this.map.entries()
  }
  clear(): void {
    this.map.clear()
  }
}

// ------------------------------------------------------------------------------------------ persistence

const PersistedAccount = Schema.Struct({ address: Hex32, owner: Hex32, routeHash: Hex32, serial: U64, routeEpoch: U64, slot: U64 })
const PersistedRoute = Schema.Struct({
  name: Schema.String,
  encoding: Hex,
  signature: Hex64,
  miner: Schema.String,
  verifiedAt: Schema.Int,
  account: PersistedAccount
})
export const PersistedCache = Schema.Struct({ version: Schema.Literal(1), entries: Schema.Array(PersistedRoute) })

export const CACHE_FILE = "route-cache.json"

/** Routes from a persisted file that may still be served at `now`, re-checked [CLI-2]. */
export const loadPersisted = (text: string, now: number): VerifiedRoute[] => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return []
  }
  const decoded = Schema.decodeUnknownExit(PersistedCache)(json)
  if (decoded._tag === "Failure") return []
  const out: VerifiedRoute[] = []
  for (const e of decoded.value.entries) {
    const checked = checkPublished(e.name, { encoding: e.encoding, signature: e.signature, miner: e.miner })
    if (!("record" in checked)) continue
    if (!equal(checked.record.owner, e.account.owner) || !equal(checked.routeHash, e.account.routeHash)) continue
    const expiresAt = e.verifiedAt + checked.record.ttl * 1000
    if (expiresAt <= now || e.verifiedAt > now) continue
    out.push({ name: e.name, record: checked.record, encoding: e.encoding, signature: e.signature, routeHash: checked.routeHash, account: e.account, miner: e.miner, verifiedAt: e.verifiedAt, expiresAt })
  }
  return out
}

export const encodePersisted = (routes: readonly VerifiedRoute[]): string =>
  JSON.stringify(
    Schema.encodeSync(PersistedCache)({
      version: 1,
      entries: routes.map((r) => ({ name: r.name, encoding: r.encoding, signature: r.signature, miner: r.miner, verifiedAt: r.verifiedAt, account: r.account }))
    })
  )

// ------------------------------------------------------------------------------------------ service

export class RouteCache extends Context.Service<
  RouteCache,
  {
    get(name: string, now: number): CacheEntry | undefined
    peek(name: string): CacheEntry | undefined
    put(name: string, entry: CacheEntry): void
    delete(name: string): void
    /** Fresh verified routes, oldest-used first. */
    routes(now: number): VerifiedRoute[]
    /** Called with the name whenever its entry changes or goes. */
    onChange(listener: (name: string) => void): void
    readonly size: () => number
    readonly save: Effect.Effect<void>
  }
>()("dotdns/client/RouteCache") {
  static readonly make = (options: { readonly maxEntries: number; readonly file: string | undefined }) =>
    Effect.gen(function* () {
      const lru = new LruTtl<CacheEntry>(options.maxEntries)
      const listeners: ((name: string) => void)[] = []
      let dirty = false
      const changed = (name: string) => {
        for (const l of listeners) l(name)
      }
      if (options.file !== undefined) {
        let text: string | undefined
        try {
          text = readFileSync(options.file, "utf8")
        } catch {
          text = undefined
        }
        if (text !== undefined) {
          const routes = loadPersisted(text, Date.now())
          for (const r of routes) lru.set(r.name, { kind: "route", route: r, expiresAt: r.expiresAt })
          yield* Effect.logDebug(`route cache: ${routes.length} verified routes reloaded from ${options.file}`)
        }
      }
      const routes = (now: number): VerifiedRoute[] => {
        const out: VerifiedRoute[] = []
        for (const [, e] of lru.entries()) if (e.kind === "route" && e.expiresAt > now) out.push(e.route)
        return out
      }
      const save = Effect.sync(() => {
        if (options.file === undefined || !dirty) return
        dirty = false
        const tmp = `${options.file}.${process.pid}.tmp`
        try {
          writeFileSync(tmp, encodePersisted(routes(Date.now())), { mode: 0o600 })
          renameSync(tmp, options.file)
        } catch {
          dirty = true
        }
      })
      return RouteCache.of({
        get: (name, now) => {
          const e = lru.peek(name)
          const v = lru.get(name, now)
          if (e !== undefined && v === undefined) changed(name)
          return v
        },
        peek: (name) => lru.peek(name),
        put: (name, entry) => {
          lru.set(name, entry)
          if (entry.kind === "route") dirty = true
          changed(name)
        },
        delete: (name) => {
          if (lru.delete(name)) {
            dirty = true
            changed(name)
          }
        },
        routes,
        onChange: (l) => void listeners.push(l),
        size: () => lru.size,
        save
      })
    })

  /** With persistence: the file is saved every 30 s when changed, and when the layer closes. */
  static readonly layer = Layer.effect(
    RouteCache,
    Effect.gen(function* () {
      const c = yield* ClientConfig
      let file: string | undefined
      if (c.cache.persist) {
        mkdirSync(c.dataDir, { recursive: true, mode: 0o700 })
        file = join(c.dataDir, CACHE_FILE)
      }
      const cache = yield* RouteCache.make({ maxEntries: c.cache.maxEntries, file })
      yield* Effect.addFinalizer(() => cache.save)
      yield* Effect.forkScoped(cache.save.pipe(Effect.repeat(Schedule.spaced(30_000))))
      return cache
    })
  )
}
