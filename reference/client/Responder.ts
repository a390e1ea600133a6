/**
 * From query bytes to answer bytes, for every transport. The hot path is an answer cache keyed by the
 * query's bytes after the id (flags, question, EDNS) and the transport class: a hit copies the stored
 * encoded response and patches only the id. An entry is stored only while every TTL in it is exactly
 * the remaining lifetime in whole seconds [CLI-1] — at most one second — and is dropped as soon as the
 * route cache changes the name. Misses decode the query (`dns-packet`), resolve — synchronously from
 * the route cache when possible — chase `.dns` CNAMEs (≤ 8 hops), and encode.
 */
import { Context, Effect, Layer } from "effect"
import { checkNormalized } from "../../spec/src/name.ts"
import { RECORD_TYPE } from "../../spec/src/objects.ts"
import { ClientConfig } from "./Config.ts"
import { cachedExtraText, EDE, failure, RATE_LIMITED_TEXT, RCODE, REFUSED_TEXT } from "./Failure.ts"
import { encodeReply, isDotDns, matches, negativeSoa, parseQuery, resourceRecord, udpLimit, type Query, type Reply } from "./Dns.ts"
import { Forwarder } from "./Forwarder.ts"
import { TokenBuckets } from "./RateLimit.ts"
import { Resolver, type Resolution } from "./Resolver.ts"
import { RouteCache } from "./RouteCache.ts"

export type Transport = "udp" | "tcp" | "doh"

/** Most `.dns` CNAME hops followed (spec 13). */
export const CNAME_HOPS = 8
const STREAM_LIMIT = 65535

interface AnswerEntry {
  readonly bytes: Buffer
  readonly validUntil: number
  /** The `.dns` names the answer depends on. */
  readonly names: readonly string[]
}

/** Encoded responses by query bytes; bounded, invalidated by name. */
export class AnswerCache {
  private readonly map = new Map<string, AnswerEntry>()
  private readonly byName = new Map<string, Set<string>>()
  private readonly max: number
  constructor(max: number) {
    this.max = max
  }
  get size(): number {
    return this.map.size
  }
  get(key: string): AnswerEntry | undefined {
    return this.map.get(key)
  }
  set(key: string, e: AnswerEntry): void {
    this.drop(key)
    this.map.set(key, e)
    for (const n of e.names) {
      let s = this.byName.get(n)
      if (s === undefined) this.byName.set(n, (s = new Set()))
      s.add(key)
    }
    while (this.map.size > this.max) this.drop(this.map.keys().next().value!)
  }
  private drop(key: string): void {
    const e = this.map.get(key)
    if (e === undefined) return
    this.map.delete(key)
    for (const n of e.names) {
      const s = this.byName.get(n)
      s?.delete(key)
      if (s?.size === 0) this.byName.delete(n)
    }
  }
  invalidate(name: string): void {
    const s = this.byName.get(name)
    if (s === undefined) return
    for (const k of [...s]) this.drop(k)
  }
  clear(): void {
    this.map.clear()
    this.byName.clear()
  }
}

type Chased =
  | { readonly kind: "need"; readonly name: string }
  | {
      readonly kind: "reply"
      readonly reply: Reply
      /** When the reply stops being exact (its TTLs would exceed what remains). 0 = do not cache. */
      readonly validUntil: number
      /** What to store instead of `reply` (a fresh failure is stored as its EDE 13 form). */
      readonly stored?: Reply
      readonly names: readonly string[]
    }

const secondsLeft = (expiresAt: number, now: number): number => Math.max(0, Math.floor((expiresAt - now) / 1000))
/** The instant a TTL of `ttl` seconds (floored at `now`) stops being exact. */
const exactUntil = (expiresAt: number, ttl: number): number => expiresAt - ttl * 1000

/**
 * The answer for `qname` (as asked) of type `qtype`, starting at the normalized `first`; `get` gives
 * what is known about a name, or undefined when it must be resolved first.
 */
export const chase = (qname: string, first: string, qtype: number, now: number, get: (name: string) => Resolution | undefined): Chased => {
  const answers: ReturnType<typeof resourceRecord>[] = []
  const names: string[] = []
  let validUntil = Number.POSITIVE_INFINITY
  let owner = qname
  let name = first
  for (let hop = 0; ; hop++) {
    const r = get(name)
    if (r === undefined) return { kind: "need", name }
    names.push(name)
    switch (r.kind) {
      case "failure": {
        // no record of any route in the chain is served [CLI-6]
        const f = r.failure
        const cached: Reply = { rcode: RCODE.SERVFAIL, answers: [], authorities: [], ede: { code: EDE.cachedError, text: cachedExtraText(f) } }
        const reply: Reply = r.fromCache ? cached : { rcode: RCODE.SERVFAIL, answers: [], authorities: [], ede: { code: f.ede, text: f.extraText } }
        return { kind: "reply", reply, stored: cached, validUntil: Math.min(validUntil, r.expiresAt), names }
      }
      case "nxdomain":
      case "nodata": {
        const ttl = secondsLeft(r.expiresAt, now)
        const reply: Reply = { rcode: r.kind === "nxdomain" ? RCODE.NXDOMAIN : RCODE.NOERROR, answers, authorities: [negativeSoa(ttl)] }
        return { kind: "reply", reply, validUntil: Math.min(validUntil, exactUntil(r.expiresAt, ttl)), names }
      }
      case "route": {
        const route = r.route
        const ttl = secondsLeft(route.expiresAt, now)
        validUntil = Math.min(validUntil, exactUntil(route.expiresAt, ttl))
        const cname = route.record.records.find((x) => x.type === RECORD_TYPE.CNAME)
        if (cname !== undefined && qtype !== RECORD_TYPE.CNAME && qtype !== 255) {
          answers.push(resourceRecord(owner, cname, ttl))
          const target = Buffer.from(cname.data).toString("ascii")
          // a non-.dns target, a loop or a long chain is left to the stub
          if (!target.endsWith(".dns") || checkNormalized(target) !== undefined || names.includes(target) || hop + 1 >= CNAME_HOPS)
            return { kind: "reply", reply: { rcode: RCODE.NOERROR, answers, authorities: [] }, validUntil, names }
          owner = target
          name = target
          continue
        }
        for (const rec of route.record.records) if (matches(rec, qtype)) answers.push(resourceRecord(owner, rec, ttl))
        const authorities = answers.length === 0 ? [negativeSoa(ttl)] : []
        return { kind: "reply", reply: { rcode: RCODE.NOERROR, answers, authorities }, validUntil, names }
      }
    }
  }
}

export interface ResponderStats {
  queries: number
  cacheHits: number
  misses: number
  dropped: number
  formErrors: number
  rateLimited: number
  forwarded: number
}

export class Responder extends Context.Service<
  Responder,
  {
    /** The answer to `query`, synchronously when possible; undefined = send nothing. Never throws. */
    respond(query: Buffer, transport: Transport): Buffer | Promise<Buffer | undefined> | undefined
    /** Gateway mode: whether `source` may ask now (always true in client mode). */
    allow(source: string): boolean
    /** REFUSED with EDE 18 for a rate-limited stream query. */
    refuseRateLimited(query: Buffer): Buffer | undefined
    readonly stats: ResponderStats
    readonly answers: AnswerCache
  }
>()("dotdns/client/Responder") {
  static readonly make = Effect.gen(function* () {
    const config = yield* ClientConfig
    const resolver = yield* Resolver
    const routeCache = yield* RouteCache
    const forwarder = yield* Forwarder
    const ctx = yield* Effect.context<never>()
    const runPromise = Effect.runPromiseWith(ctx)
    const gateway = config.mode === "gateway"
    const answers = new AnswerCache(config.cache.answerEntries)
    routeCache.onChange((name) => answers.invalidate(name))
    const buckets = new TokenBuckets(config.gateway.rateQps, config.gateway.rateBurst, config.gateway.maxSources)
    const stats: ResponderStats = { queries: 0, cacheHits: 0, misses: 0, dropped: 0, formErrors: 0, rateLimited: 0, forwarded: 0 }
    const payload = config.dns.udpPayloadSize
    const negativeTtl = config.cache.negativeTtlS

    const limitFor = (q: Pick<Query, "edns">, transport: Transport): number =>
      transport === "udp"
        ? gateway
          ? Math.min(udpLimit(q.edns, payload), config.gateway.maxUdpResponse)
          : udpLimit(q.edns, payload)
        : gateway
          ? config.gateway.maxResponse
          : STREAM_LIMIT

    const store = (key: string, bytes: Buffer, validUntil: number, names: readonly string[], now: number) => {
      if (validUntil > now + 5) answers.set(key, { bytes, validUntil, names })
    }

    const finish = (q: Query, transport: Transport, key: string, c: Extract<Chased, { kind: "reply" }>, now: number): Buffer => {
      const o = { payloadSize: payload, limit: limitFor(q, transport) }
      const bytes = encodeReply(q, c.reply, o)
      store(key, c.stored === undefined ? bytes : encodeReply(q, c.stored, o), c.validUntil, c.names, now)
      return bytes
    }

    /** Resolves every name the chase needs, then answers. */
    const resolveAndFinish = async (q: Query, transport: Transport, key: string, normalized: string): Promise<Buffer | undefined> => {
      const known = new Map<string, Resolution>()
      for (let i = 0; i <= CNAME_HOPS; i++) {
        const now = Date.now()
        const c = chase(q.question.name, normalized, q.qtype, now, (n) => known.get(n) ?? resolver.peek(n, now))
        if (c.kind === "reply") return finish(q, transport, key, c, now)
        known.set(c.name, await runPromise(resolver.resolve(c.name)))
      }
      const f = failure("internal", "CNAME chase did not converge")
      return encodeReply(q, { rcode: RCODE.SERVFAIL, answers: [], authorities: [], ede: { code: f.ede, text: f.extraText } }, { payloadSize: payload, limit: limitFor(q, transport) })
    }

    const slow = (query: Buffer, transport: Transport, key: string): Buffer | Promise<Buffer | undefined> | undefined => {
      const parsed = parseQuery(query)
      if (parsed.kind === "drop") {
        stats.dropped++
        return undefined
      }
      if (parsed.kind === "error") {
        stats.formErrors++
        return encodeReply({ ...parsed, cd: false }, { rcode: parsed.rcode, answers: [], authorities: [] }, { payloadSize: payload, limit: limitFor(parsed, transport) })
      }
      const q = parsed.query
      const now = Date.now()
      const o = { payloadSize: payload, limit: limitFor(q, transport) }
      const refuse = (code: number, text: string): Buffer => {
        const bytes = encodeReply(q, { rcode: RCODE.REFUSED, answers: [], authorities: [], ede: { code, text } }, o)
        store(key, bytes, Number.POSITIVE_INFINITY, [], now)
        return bytes
      }
      let lower = q.question.name.toLowerCase()
      if (lower.endsWith(".")) lower = lower.slice(0, -1)
      if (!isDotDns(lower)) {
        if (forwarder.enabled) {
          stats.forwarded++
          return forwarder.forward(query, transport !== "udp").then((a) => {
            if (a !== undefined && a.length <= o.limit) return a
            if (a !== undefined) return encodeReply(q, { rcode: RCODE.NOERROR, answers: [], authorities: [] }, { ...o, limit: 0 })
            const f = failure("upstream", "the upstream resolver did not answer")
            return encodeReply(q, { rcode: RCODE.SERVFAIL, answers: [], authorities: [], ede: { code: f.ede, text: f.extraText } }, o)
          })
        }
        return refuse(EDE.notAuthoritative, REFUSED_TEXT)
      }
      if (q.question.class !== "IN" && q.question.class !== "ANY") return refuse(EDE.notAuthoritative, "dotdns CLI-7: .dns names exist in class IN only")
      if (q.qtype === 252 || q.qtype === 251) return refuse(EDE.prohibited, "dotdns: zone transfers are not offered")
      if (lower === "dns") {
        // the apex exists (every .dns name is below it) but holds no data
        const bytes = encodeReply(q, { rcode: RCODE.NOERROR, answers: [], authorities: [negativeSoa(negativeTtl)] }, o)
        store(key, bytes, now + 1000, [], now)
        return bytes
      }
      if (checkNormalized(lower) !== undefined) {
        // not a valid .dns name: it cannot be registered [CLI-7]
        const bytes = encodeReply(q, { rcode: RCODE.NXDOMAIN, answers: [], authorities: [negativeSoa(negativeTtl)] }, o)
        store(key, bytes, now + 1000, [], now)
        return bytes
      }
      const c = chase(q.question.name, lower, q.qtype, now, (n) => resolver.peek(n, now))
      if (c.kind === "reply") return finish(q, transport, key, c, now)
      return resolveAndFinish(q, transport, key, lower).catch(() => undefined)
    }

    const respond = (query: Buffer, transport: Transport): Buffer | Promise<Buffer | undefined> | undefined => {
      stats.queries++
      if (query.length < 12) {
        stats.dropped++
        return undefined
      }
      const key = (transport === "udp" ? "u" : "s") + query.toString("latin1", 2)
      const hit = answers.get(key)
      if (hit !== undefined && hit.validUntil > Date.now()) {
        stats.cacheHits++
        const out = Buffer.allocUnsafe(hit.bytes.length)
        hit.bytes.copy(out)
        out[0] = query[0]!
        out[1] = query[1]!
        return out
      }
      stats.misses++
      try {
        return slow(query, transport, key)
      } catch {
        stats.dropped++
        return undefined
      }
    }

    const allow = (source: string): boolean => {
      if (!gateway) return true
      const ok = buckets.take(source, Date.now())
      if (!ok) stats.rateLimited++
      return ok
    }

    const refuseRateLimited = (query: Buffer): Buffer | undefined => {
      const p = parseQuery(query)
      if (p.kind !== "query") return undefined
      return encodeReply(
        p.query,
        { rcode: RCODE.REFUSED, answers: [], authorities: [], ede: { code: EDE.prohibited, text: RATE_LIMITED_TEXT } },
        { payloadSize: payload, limit: STREAM_LIMIT }
      )
    }

    return Responder.of({ respond, allow, refuseRateLimited, stats, answers })
  })

  static readonly layer = Layer.effect(Responder, Responder.make)
}
