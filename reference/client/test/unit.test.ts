/**
 * The client's pure parts: verification [CLI-2]–[CLI-4] with every failure kind and mutated inputs,
 * the EDE table, message encoding (EDNS, EDE, truncation, BADVERS), the CNAME chase, the caches,
 * the token buckets and the config loader's errors.
 */
import dnsPacket from "dns-packet"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { hex } from "../../../spec/src/bytes.ts"
import { encodeRouteRecord, RECORD_TYPE, routeHash } from "../../../spec/src/objects.ts"
import { ConfigError, decodeClientConfig, parseClientConfig } from "../Config.ts"
import { encodeReply, negativeSoa, parseQuery, readEde, resourceRecord } from "../Dns.ts"
import { EDE, FAILURE_TABLE, failure, RCODE, VerificationFailure } from "../Failure.ts"
import { TokenBuckets } from "../RateLimit.ts"
import { chase } from "../Responder.ts"
import type { Resolution } from "../Resolver.ts"
import { encodePersisted, loadPersisted, LruTtl } from "../RouteCache.ts"
import { verifyRoute, type OnChainName, type VerifiedRoute } from "../Verify.ts"
import { owner, signRoute, testKey } from "./chain-world.ts"
import { HTTPS_RDATA, ROUTES } from "./world.ts"

const hello = ROUTES.hello
const account = (over: Partial<OnChainName> = {}): OnChainName => ({
  address: new Uint8Array(32).fill(9),
  owner: owner.publicKey,
  routeHash: routeHash(hello.record),
  serial: 1n,
  routeEpoch: 2n,
  slot: 100n,
  ...over
})
const published = (encoding = encodeRouteRecord(hello.record), signature = hello.signature) => ({ encoding, signature, miner: "http://m" })
const kindOf = (r: VerifiedRoute | VerificationFailure) => (r instanceof VerificationFailure ? r.kind : "verified")

describe("verification [CLI-2]–[CLI-4]", () => {
  it("accepts the canonical record signed by the on-chain owner", () => {
    const v = verifyRoute("hello.dns", account(), published(), 1_000)
    expect(kindOf(v)).toBe("verified")
    const ok = v as VerifiedRoute
    expect(ok.expiresAt).toBe(1_000 + 300_000)
    expect(hex(ok.routeHash)).toBe(hex(routeHash(hello.record)))
  })

  it("names the rule each failure breaks", () => {
    const cases: [string, VerifiedRoute | VerificationFailure, string][] = [
      ["does not decode", verifyRoute("hello.dns", account(), published(Uint8Array.of(1, 1, 0)), 0), "record-invalid"],
      ["another name", verifyRoute("other.dns", account(), published(), 0), "record-invalid"],
      ["bad signature", verifyRoute("hello.dns", account(), published(undefined, new Uint8Array(64)), 0), "signature"],
      ["other owner", verifyRoute("hello.dns", account({ owner: testKey("x").publicKey }), published(), 0), "owner-mismatch"],
      ["other route", verifyRoute("hello.dns", account({ routeHash: new Uint8Array(32).fill(1) }), published(), 0), "hash-mismatch"]
    ]
    for (const [what, r, kind] of cases) expect(kindOf(r), what).toBe(kind)
    // A record signed by someone other than the on-chain owner fails CLI-3, and says so.
    const notOwner = verifyRoute("hello.dns", account({ owner: testKey("x").publicKey }), published(), 0)
    expect((notOwner as VerificationFailure).extraText).toMatch(/^dotdns CLI-3/)
    const stale = signRoute({ ...hello.record, serial: 0n })
    const r = verifyRoute("hello.dns", account(), published(encodeRouteRecord(stale.record), stale.signature), 0)
    expect(r).toBeInstanceOf(VerificationFailure)
    expect((r as VerificationFailure).extraText).toMatch(/^dotdns CLI-4: route_hash [0-9a-f]{64} \(serial 0/)
  })

  it("rejects a record breaking a route rule (RTE-4: CNAME with other records)", () => {
    const bad = signRoute({ ...hello.record, records: [...hello.record.records, { type: RECORD_TYPE.CNAME, data: new TextEncoder().encode("x.dns") }] })
    const r = verifyRoute("hello.dns", account({ routeHash: routeHash(bad.record) }), published(encodeRouteRecord(bad.record), bad.signature), 0)
    expect((r as VerificationFailure).message).toMatch(/RTE-4/)
  })

  it("never verifies a mutated encoding or signature", () => {
    const enc = encodeRouteRecord(hello.record)
    fc.assert(
      fc.property(fc.boolean(), fc.nat(), fc.integer({ min: 1, max: 255 }), (inSig, at, x) => {
        const e = Uint8Array.from(enc)
        const s = Uint8Array.from(hello.signature)
        if (inSig) s[at % 64]! ^= x
        else e[at % e.length]! ^= x
        return verifyRoute("hello.dns", account(), published(e, s), 0) instanceof VerificationFailure
      }),
      { numRuns: 2000 }
    )
  })

  it("maps every failure to SERVFAIL's EDE by the spec 13 table", () => {
    expect(FAILURE_TABLE["hash-mismatch"]).toEqual({ rule: "CLI-4", ede: EDE.invalidData })
    expect(FAILURE_TABLE["rpc-disagree"]).toEqual({ rule: "CLI-5", ede: EDE.other })
    expect(FAILURE_TABLE["rpc-unreachable"]).toEqual({ rule: "CLI-5", ede: EDE.noReachableAuthority })
    expect(FAILURE_TABLE["no-miner"]).toEqual({ rule: "CLI-4", ede: EDE.noReachableAuthority })
    for (const { ede } of Object.values(FAILURE_TABLE)) expect(ede === 0 || ede > 12).toBe(true) // no DNSSEC codes
    expect(failure("signature", "x").extraText).toBe("dotdns CLI-2: x")
  })
})

describe("DNS messages", () => {
  const query = (name: string, type: string, opts: { edns?: number; version?: number } = {}) =>
    dnsPacket.encode({
      type: "query",
      id: 4242,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ name, type: type as "A" }],
      additionals:
        opts.edns === undefined ? [] : [{ name: ".", type: "OPT", udpPayloadSize: opts.edns, extendedRcode: 0, ednsVersion: opts.version ?? 0, flags: 0, flag_do: false, options: [] }]
    })

  it("parses a query and echoes it with EDNS and an EDE", () => {
    const p = parseQuery(query("Hello.DNS", "A", { edns: 4096 }))
    if (p.kind !== "query") throw new Error(p.kind)
    expect(p.query.question.name).toBe("Hello.DNS")
    expect(p.query.edns?.udpPayloadSize).toBe(4096)
    const b = encodeReply(p.query, { rcode: RCODE.SERVFAIL, answers: [], authorities: [], ede: { code: 24, text: "dotdns CLI-4: x" } }, { payloadSize: 1232, limit: 1232 })
    const r = dnsPacket.decode(b)
    expect(r.id).toBe(4242)
    expect(r.flag_ra && r.flag_rd && !r.flag_aa).toBe(true)
    expect(readEde(b)).toEqual({ code: 24, text: "dotdns CLI-4: x" })
    expect(r.questions?.[0]?.name).toBe("Hello.DNS")
  })

  it("truncates over the limit and keeps OPT; answers BADVERS to EDNS version 1", () => {
    const p = parseQuery(query("big.dns", "TXT", { edns: 1232 }))
    if (p.kind !== "query") throw new Error(p.kind)
    const answers = Array.from({ length: 8 }, () => resourceRecord("big.dns", { type: 16, data: new Uint8Array(250) }, 60))
    const b = encodeReply(p.query, { rcode: 0, answers, authorities: [] }, { payloadSize: 1232, limit: 1232 })
    const r = dnsPacket.decode(b)
    expect(r.flag_tc).toBe(true)
    expect(r.answers?.length).toBe(0)
    expect(r.additionals?.[0]?.type).toBe("OPT")
    const v1 = parseQuery(query("hello.dns", "A", { edns: 1232, version: 1 }))
    if (v1.kind !== "query") throw new Error(v1.kind)
    const bad = dnsPacket.decode(encodeReply(v1.query, { rcode: 0, answers, authorities: [] }, { payloadSize: 1232, limit: 65535 }))
    expect((bad.additionals?.[0] as dnsPacket.OptAnswer).extendedRcode).toBe(1) // 16 >> 4 = BADVERS
    expect(bad.answers?.length).toBe(0)
  })

  it("encodes HTTPS RDATA exactly as signed, and FORMERRs junk with a header", () => {
    const rr = resourceRecord("hello.dns", { type: 65, data: HTTPS_RDATA }, 5)
    const b = dnsPacket.encode({ type: "response", answers: [rr as unknown as dnsPacket.Answer] })
    expect(b.subarray(b.length - HTTPS_RDATA.length).equals(Buffer.from(HTTPS_RDATA))).toBe(true)
    const junk = Buffer.concat([query("hello.dns", "A").subarray(0, 12), Buffer.from([0xff, 0xff])])
    expect(parseQuery(junk)).toMatchObject({ kind: "error", rcode: RCODE.FORMERR })
    expect(parseQuery(Buffer.alloc(5))).toEqual({ kind: "drop" })
    expect(negativeSoa(30).type).toBe("SOA")
  })

  it("never throws on arbitrary bytes", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (b) => ["query", "drop", "error"].includes(parseQuery(Buffer.from(b)).kind)), { numRuns: 5000 })
  })
})

describe("CNAME chase", () => {
  const now = 1_000_000
  const routeRes = (name: string, records: VerifiedRoute["record"]["records"]): Resolution => ({
    kind: "route",
    fromCache: true,
    route: { name, record: { ...hello.record, name, records }, encoding: new Uint8Array(), signature: new Uint8Array(), routeHash: new Uint8Array(32), account: account(), miner: "m", verifiedAt: now - 100_500, expiresAt: now + 199_500 }
  })
  const cname = (t: string) => [{ type: RECORD_TYPE.CNAME, data: new TextEncoder().encode(t) }]

  it("follows .dns targets, asks for what it does not know, stops loops", () => {
    const known = new Map<string, Resolution>([
      ["a.dns", routeRes("a.dns", cname("b.dns"))],
      ["b.dns", routeRes("b.dns", [{ type: 1, data: Uint8Array.of(1, 2, 3, 4) }])],
      ["l1.dns", routeRes("l1.dns", cname("l2.dns"))],
      ["l2.dns", routeRes("l2.dns", cname("l1.dns"))]
    ])
    const r = chase("A.dns", "a.dns", 1, now, (n) => known.get(n))
    if (r.kind !== "reply") throw new Error("need")
    expect(r.reply.answers.map((a) => [a.name, a.type, a.ttl])).toEqual([["A.dns", "CNAME", 199], ["b.dns", "A", 199]])
    expect(r.validUntil).toBe(now + 199_500 - 199_000)
    expect(chase("x.dns", "x.dns", 1, now, () => undefined)).toEqual({ kind: "need", name: "x.dns" })
    const loop = chase("l1.dns", "l1.dns", 1, now, (n) => known.get(n))
    expect(loop.kind === "reply" && loop.reply.answers.length).toBe(2)
  })

  it("answers a failure anywhere in the chain with SERVFAIL and no records", () => {
    const f = failure("hash-mismatch", "x")
    const r = chase("a.dns", "a.dns", 1, now, (n) =>
      n === "a.dns" ? routeRes("a.dns", cname("b.dns")) : { kind: "failure", failure: f, expiresAt: now + 5000, fromCache: false }
    )
    if (r.kind !== "reply") throw new Error("need")
    expect(r.reply.rcode).toBe(RCODE.SERVFAIL)
    expect(r.reply.answers).toEqual([])
    expect(r.reply.ede).toEqual({ code: 24, text: "dotdns CLI-4: x" })
    expect(r.stored?.ede?.code).toBe(EDE.cachedError)
  })
})

describe("caches and limits", () => {
  it("LRU evicts the least recently used and expires by time", () => {
    const c = new LruTtl<{ expiresAt: number; v: number }>(2)
    c.set("a", { expiresAt: 100, v: 1 })
    c.set("b", { expiresAt: 100, v: 2 })
    c.get("a", 0)
    c.set("c", { expiresAt: 100, v: 3 })
    expect(c.peek("b")).toBeUndefined()
    expect(c.get("a", 99)?.v).toBe(1)
    expect(c.get("a", 100)).toBeUndefined()
  })

  it("persists verified routes and reloads only what still verifies and has time left", () => {
    const v = verifyRoute("hello.dns", account(), published(), 10_000) as VerifiedRoute
    const text = encodePersisted([v])
    expect(loadPersisted(text, 20_000).map((r) => r.name)).toEqual(["hello.dns"])
    expect(loadPersisted(text, 10_000 + 300_000)).toEqual([])
    const tampered = text.replace(hex(hello.signature).slice(0, 8), "00000000")
    expect(loadPersisted(tampered, 20_000)).toEqual([])
    expect(loadPersisted("{not json", 0)).toEqual([])
  })

  it("token buckets allow the burst, then the rate", () => {
    const b = new TokenBuckets(10, 5, 100)
    const ok = Array.from({ length: 8 }, () => b.take("1.2.3.4", 0)).filter(Boolean).length
    expect(ok).toBe(5)
    expect(b.take("1.2.3.4", 100)).toBe(true) // 0.1 s later: one token
    expect(b.take("1.2.3.4", 100)).toBe(false)
    expect(b.take("5.6.7.8", 100)).toBe(true)
  })
})

describe("config", () => {
  it("reports the field, the line and the environment variable", () => {
    const e = parseClientConfig("rpc:\n  urls: [http://a]\n  min_answers: 3\n", "/etc/c.yaml", {})
    expect(e).toBeInstanceOf(ConfigError)
    expect(String(e)).toMatch(/min_answers: 3 answers required but only 1/)
    const line = parseClientConfig("dns:\n  port: 99999\n", "/etc/c.yaml", {})
    expect(String(line)).toBe("/etc/c.yaml:2: dns.port: Expected a value between 0 and 65535")
    const env = parseClientConfig("", "/etc/c.yaml", { DOTDNS_CLIENT_DNS_PORT: "x" })
    expect(String(env)).toMatch(/^environment: dns\.port \(from DOTDNS_CLIENT_DNS_PORT\)/)
    expect(String(parseClientConfig("", "/etc/c.yaml", { DOTDNS_CLIENT_NOPE: "1" }))).toMatch(/unknown override/)
    expect(String(parseClientConfig("dns: {prot: 1}\n", "/etc/c.yaml", {}))).toMatch(/prot/)
    expect(String(parseClientConfig("receipts: {enabled: true}\n", "/etc/c.yaml", {}))).toMatch(/no witness key/)
    expect(String(parseClientConfig("cache: {negative_ttl_s: 61}\n", "/etc/c.yaml", {}))).toMatch(/negative_ttl_s/)
  })

  it("fills defaults, and environment overrides the file", () => {
    const s = decodeClientConfig({ dns: { port: 1053 } }, "defaults", { DOTDNS_CLIENT_MINERS: "http://m1, http://m2", DOTDNS_CLIENT_UPSTREAM: "127.0.0.1:5300" })
    if (s instanceof ConfigError) throw s
    expect(s.dns.port).toBe(1053)
    expect(s.miners.urls).toEqual(["http://m1", "http://m2"])
    expect(s.forward.upstream).toEqual({ host: "127.0.0.1", port: 5300 })
    expect(s.rpc.commitment).toBe("finalized")
    expect(s.receipts.enabled).toBe(false)
    expect(s.doh.https.port).toBe(8443)
    expect(s.doh.http.port).toBe(8053)
  })
})
