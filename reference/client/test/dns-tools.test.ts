/**
 * The client against real DNS software over real sockets: `dig` (UDP, TCP, DoH over HTTPS and plain
 * HTTP), `kdig` (DoH over HTTP/2, POST and GET) and `curl --doh-url`, with the chain state built by
 * real dotdns transactions on a localnet and records served by the reference miner — and, for the
 * failures, a second client whose only miner is a lying test double.
 */
import { createSocket } from "node:dgram"
import { createServer, type Server } from "node:http"
import dnsPacket from "dns-packet"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startClient, type RunningClient } from "../Client.ts"
import { answerLines, dig, kdig, run, startWorld, statusOf, type TestWorld } from "./world.ts"

let world: TestWorld
let client: RunningClient
let port: number
/** A client whose only miner lies. */
let misled: RunningClient
let liarPort: number
const logs: string[] = []

beforeAll(async () => {
  world = await startWorld()
  client = await startClient(world.settings(), { log: (l) => logs.push(l) })
  port = client.endpoints.dns.port
  misled = await startClient(world.settings({ miners: { urls: [world.liar.url] } }), { log: (l) => logs.push(l) })
  liarPort = misled.endpoints.dns.port
})
afterAll(async () => {
  await client?.close()
  await misled?.close()
  await world?.close()
})

describe("dig over UDP", () => {
  it("gets the verified A record of hello.dns", async () => {
    const r = await dig(port, "hello.dns", "A")
    expect(r.code).toBe(0)
    expect(statusOf(r.stdout)).toBe("NOERROR")
    expect(r.stdout).toMatch(/flags: qr rd ra;/) // RA on, AA off (spec 13 "Local endpoints")
    const [line] = answerLines(r.stdout)
    expect(line).toMatch(/^hello\.dns\. (\d+) IN A 127\.0\.0\.1$/)
    const ttl = Number(line!.split(" ")[1])
    expect(ttl).toBeGreaterThan(250)
    expect(ttl).toBeLessThanOrEqual(300)
  })

  it("answers AAAA, TXT, HTTPS (type 65) and CNAME from the record bytes", async () => {
    expect(answerLines((await dig(port, "hello.dns", "AAAA")).stdout)).toEqual([expect.stringMatching(/^hello\.dns\. \d+ IN AAAA ::1$/)])
    expect(answerLines((await dig(port, "hello.dns", "TXT")).stdout)).toEqual([expect.stringMatching(/^hello\.dns\. \d+ IN TXT "hello from dotdns"$/)])
    expect(answerLines((await dig(port, "hello.dns", "HTTPS")).stdout)).toEqual([expect.stringMatching(/^hello\.dns\. \d+ IN HTTPS 1 \. alpn="h2"$/)])
    expect(answerLines((await dig(port, "alias.dns", "A")).stdout)).toEqual([
      expect.stringMatching(/^alias\.dns\. \d+ IN CNAME hello\.dns\.$/),
      expect.stringMatching(/^hello\.dns\. \d+ IN A 127\.0\.0\.1$/)
    ])
    expect(answerLines((await dig(port, "alias.dns", "CNAME")).stdout)).toEqual([expect.stringMatching(/IN CNAME hello\.dns\.$/)])
    // a type the route does not carry: NOERROR, no records
    const mx = await dig(port, "hello.dns", "MX")
    expect(statusOf(mx.stdout)).toBe("NOERROR")
    expect(answerLines(mx.stdout)).toEqual([])
  })

  it("echoes the question's case (0x20) and answers without EDNS", async () => {
    const r = await dig(port, "HeLLo.DnS", "A", "+noedns")
    expect(r.stdout).not.toMatch(/OPT PSEUDOSECTION/)
    expect(answerLines(r.stdout)).toEqual([expect.stringMatching(/^HeLLo\.DnS\. \d+ IN A 127\.0\.0\.1$/)])
  })

  it("answers SERVFAIL with EDE 24 when the served route is not the canonical one, and logs it", async () => {
    // the reference miner serves bad.dns's canonical record (serial 1)…
    expect(answerLines((await dig(port, "bad.dns", "A")).stdout)).toEqual([expect.stringMatching(/IN A 192\.0\.2\.1$/)])
    // …the lying miner serves serial 2, validly signed by the owner but never finalized
    const r = await dig(liarPort, "bad.dns", "A")
    expect(statusOf(r.stdout)).toBe("SERVFAIL")
    expect(answerLines(r.stdout)).toEqual([])
    expect(r.stdout).toMatch(/EDE: 24 \(Invalid Data\): \(dotdns CLI-4: route_hash [0-9a-f]{64} \(serial 2, from http:\/\/127\.0\.0\.1:\d+\) does not match the canonical route [0-9a-f]{64}\)/)
    expect(r.stdout).not.toMatch(/198\.51\.100\.66/)
    const event = logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((e) => e.name === "bad.dns")
    expect(event).toMatchObject({ level: "warn", message: "verification failure", rule: "CLI-4", ede: 24 })
    // asked again within the failure TTL: the cached failure, EDE 13, still never the record
    const again = await dig(liarPort, "bad.dns", "A")
    expect(statusOf(again.stdout)).toBe("SERVFAIL")
    expect(again.stdout).toMatch(/EDE: 13 \(Cached Error\): \(dotdns CLI-6: cached failure: CLI-4: route_hash/)
  })

  it("answers SERVFAIL with EDE 24 for a record whose owner signature does not verify", async () => {
    expect(answerLines((await dig(port, "sig.dns", "A")).stdout)).toEqual([expect.stringMatching(/IN A 192\.0\.2\.7$/)])
    const r = await dig(liarPort, "sig.dns", "A")
    expect(statusOf(r.stdout)).toBe("SERVFAIL")
    expect(r.stdout).toMatch(/EDE: 24 \(Invalid Data\): \(dotdns CLI-2: the owner signature over the RouteAuth of serial 1 from .* does not verify\)/)
  })

  it("answers NXDOMAIN for unregistered and invalid names, NODATA for a name without a route", async () => {
    const nx = await dig(port, "nope.dns", "A")
    expect(statusOf(nx.stdout)).toBe("NXDOMAIN")
    expect(nx.stdout).toMatch(/^dns\.\s+\d+\s+IN\s+SOA/m)
    expect(statusOf((await dig(port, "bad_name.dns", "A")).stdout)).toBe("NXDOMAIN")
    const nodata = await dig(port, "pending.dns", "A")
    expect(statusOf(nodata.stdout)).toBe("NOERROR")
    expect(answerLines(nodata.stdout)).toEqual([])
    expect(statusOf((await dig(port, "dns", "A")).stdout)).toBe("NOERROR")
  })

  it("answers REFUSED with EDE 20 for a name outside .dns", async () => {
    const r = await dig(port, "example.com", "A")
    expect(statusOf(r.stdout)).toBe("REFUSED")
    expect(r.stdout).toMatch(/EDE: 20 \(Not Authoritative\): \(dotdns CLI-7: not a \.dns name/)
  })

  it("sets TC on a UDP answer over the limit, and dig falls back to TCP", async () => {
    const r = await dig(port, "big.dns", "TXT")
    expect(r.stdout).toMatch(/Truncated, retrying in TCP mode/)
    expect(answerLines(r.stdout)).toHaveLength(7)
    expect(r.stdout).toMatch(/\(TCP\)/)
    const ignored = await dig(port, "big.dns", "TXT", "+ignore")
    expect(ignored.stdout).toMatch(/flags: qr tc rd ra;/)
    expect(answerLines(ignored.stdout)).toEqual([])
    // without EDNS the limit is 512 bytes
    const classic = await dig(port, "big.dns", "TXT", "+noedns", "+ignore")
    expect(classic.stdout).toMatch(/flags: qr tc rd ra;/)
    const tcp = await dig(port, "hello.dns", "A", "+tcp")
    expect(answerLines(tcp.stdout)).toHaveLength(1)
  })

  it("answers BADVERS to EDNS version 1", async () => {
    const r = await dig(port, "hello.dns", "A", "+edns=1", "+noednsnegotiation")
    expect(statusOf(r.stdout)).toBe("BADVERS")
  })
})

describe("DoH (RFC 8484)", () => {
  let web: Server
  let webPort: number
  beforeAll(async () => {
    web = createServer((req, res) => res.end(`hello from ${req.headers.host}\n`))
    await new Promise<void>((r) => web.listen(0, "127.0.0.1", r))
    webPort = (web.address() as { port: number }).port
  })
  afterAll(() => new Promise<void>((r) => web.close(() => r())))

  it("kdig over HTTPS with HTTP/2, POST and GET", async () => {
    const https = client.endpoints.https!
    for (const method of ["+https", "+https-get"]) {
      const r = await kdig("@127.0.0.1", "-p", String(https.port), method, "hello.dns", "A")
      expect(r.code).toBe(0)
      expect(r.stdout).toMatch(method === "+https" ? /HTTP\/2-POST/ : /HTTP\/2-GET/)
      expect(r.stdout).toMatch(/status: 200/)
      expect(r.stdout).toMatch(/hello\.dns\.\s+\d+\s+IN\s+A\s+127\.0\.0\.1/)
    }
    const fail = await kdig("@127.0.0.1", "-p", String(misled.endpoints.https!.port), "+https", "bad.dns", "A")
    expect(fail.stdout).toMatch(/status: SERVFAIL/)
    expect(fail.stdout).toMatch(/EDE: (13|24)/)
  })

  it("curl resolves hello.dns through DoH and fetches a page from the address it got", async () => {
    const r = await run("curl", ["-sS", "--max-time", "10", "--doh-url", client.endpoints.https!.url, "--doh-insecure", `http://hello.dns:${webPort}/`])
    expect(r.stderr).toBe("")
    expect(r.stdout).toBe(`hello from hello.dns:${webPort}\n`)
  })

  it("serves HTTP/1.1 over TLS and plain HTTP, and h2c for dig +http-plain", async () => {
    const q = dnsPacket.encode({ type: "query", id: 0, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name: "hello.dns", type: "A" }] }).toString("base64url")
    for (const url of [client.endpoints.https!.url, client.endpoints.http!.url]) {
      const r = await run("curl", ["-sS", "-k", "--http1.1", "-D", "-", "-o", "/dev/null", `${url}?dns=${q}`])
      expect(r.stdout).toMatch(/^HTTP\/1\.1 200/)
      expect(r.stdout).toMatch(/content-type: application\/dns-message/i)
      expect(r.stdout).toMatch(/cache-control: max-age=\d+/i)
    }
    const plain = await run("dig", ["@127.0.0.1", "-p", String(client.endpoints.http!.port), "+http-plain", "+tries=1", "+time=3", "hello.dns", "A"])
    expect(answerLines(plain.stdout)).toEqual([expect.stringMatching(/IN A 127\.0\.0\.1$/)])
    const viaDig = await run("dig", ["@127.0.0.1", "-p", String(client.endpoints.https!.port), "+https", "+tries=1", "+time=3", "alias.dns", "A"])
    expect(answerLines(viaDig.stdout)).toHaveLength(2)
  })

  it("rejects what RFC 8484 does not allow", async () => {
    const base = client.endpoints.http!.url
    const status = async (...args: string[]) => (await run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", ...args])).stdout
    expect(await status(`${base}?dns=***`)).toBe("400")
    expect(await status(base)).toBe("400")
    expect(await status("-X", "POST", "-H", "content-type: text/plain", "--data", "x", base)).toBe("415")
    expect(await status("-X", "PUT", base)).toBe("405")
    expect(await status(base.replace("/dns-query", "/other"))).toBe("404")
  })
})

describe("forwarding names outside .dns", () => {
  it("forwards to the configured upstream and relays its answer; .dns names are never forwarded", async () => {
    const upstream = createSocket("udp4")
    upstream.on("message", (msg, rinfo) => {
      const q = dnsPacket.decode(msg)
      const answers = q.questions![0]!.name === "example.com" ? [{ name: "example.com", type: "A" as const, ttl: 60, data: "93.184.215.14" }] : []
      upstream.send(dnsPacket.encode({ type: "response", id: q.id, flags: dnsPacket.RECURSION_AVAILABLE, questions: q.questions, answers }), rinfo.port, rinfo.address)
    })
    await new Promise<void>((r) => upstream.bind(0, "127.0.0.1", r))
    const fwd = await startClient(world.settings({ forward: { upstream: `127.0.0.1:${upstream.address().port}` }, doh: { https: { enabled: false }, http: { enabled: false } } }), { log: () => {} })
    try {
      const r = await dig(fwd.endpoints.dns.port, "example.com", "A")
      expect(answerLines(r.stdout)).toEqual(["example.com. 60 IN A 93.184.215.14"])
      const dotdns = await dig(fwd.endpoints.dns.port, "hello.dns", "A")
      expect(answerLines(dotdns.stdout)).toEqual([expect.stringMatching(/IN A 127\.0\.0\.1$/)])
      expect(fwd.responder.stats.forwarded).toBe(1)
    } finally {
      await fwd.close()
      upstream.close()
    }
  })
})
