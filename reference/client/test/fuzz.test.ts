/**
 * Malformed input never crashes the server: 12 000 random and mutated DNS messages over UDP, a
 * thousand over TCP (with broken length prefixes) and DoH, and twenty thousand more straight into the
 * responder; afterwards valid queries still get verified answers.
 */
import { createSocket } from "node:dgram"
import { connect } from "node:net"
import dnsPacket from "dns-packet"
import fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startClient, type RunningClient } from "../Client.ts"
import { answerLines, dig, startWorld, type TestWorld } from "./world.ts"

let world: TestWorld
let client: RunningClient

beforeAll(async () => {
  world = await startWorld()
  client = await startClient(world.settings({ cache: { negative_ttl_s: 60 } }), { log: () => {} })
})
afterAll(async () => {
  await client?.close()
  await world?.close()
})

/** Deterministic xorshift32. */
const rng = (seed: number) => {
  let x = seed >>> 0 || 1
  return (n: number): number => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x % n
  }
}

const seeds: Buffer[] = [
  dnsPacket.encode({ type: "query", id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name: "hello.dns", type: "A" }] }),
  dnsPacket.encode({
    type: "query",
    id: 8,
    questions: [{ name: "alias.dns", type: "AAAA" }],
    additionals: [{ name: ".", type: "OPT", udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [{ code: 10, data: Buffer.alloc(8, 1) } as unknown as dnsPacket.PacketOpt] }]
  }),
  dnsPacket.encode({ type: "query", id: 9, questions: [{ name: "big.dns", type: "TXT" }, { name: "x.dns", type: "A" }] }),
  dnsPacket.encode({ type: "query", id: 10, questions: [{ name: "example.com", type: "MX" }] })
]

/** Random bytes, or a seed query with one of several structural mutations. */
const packets = (count: number, seed: number): Buffer[] => {
  const r = rng(seed)
  const out: Buffer[] = []
  for (let i = 0; i < count; i++) {
    if (i % 3 === 0) {
      out.push(Buffer.from(Array.from({ length: r(700) }, () => r(256))))
      continue
    }
    const b = Buffer.from(seeds[r(seeds.length)]!)
    switch (r(8)) {
      case 0: // bit flips
        for (let k = 0, n = 1 + r(6); k < n; k++) b[r(b.length)]! ^= 1 << r(8)
        out.push(b)
        break
      case 1: // truncation
        out.push(b.subarray(0, r(b.length)))
        break
      case 2: // absurd section counts
        b.writeUInt16BE(r(65536), 4 + 2 * r(4))
        out.push(b)
        break
      case 3: // a compression pointer to itself, or forward
        b[12] = 0xc0
        b[13] = r(2) === 0 ? 12 : r(256)
        out.push(b)
        break
      case 4: // label length beyond the message
        b[12] = 63 + r(192)
        out.push(b)
        break
      case 5: // trailing junk
        out.push(Buffer.concat([b, Buffer.from(Array.from({ length: 1 + r(300) }, () => r(256)))]))
        break
      case 6: // QR set (a response: must not be answered), or another opcode
        b[2] = r(2) === 0 ? b[2]! | 0x80 : (b[2]! & 0x87) | (r(16) << 3)
        out.push(b)
        break
      default: // overwrite a random run
        for (let k = r(b.length), n = 0; n < 8 && k < b.length; k++, n++) b[k] = r(256)
        out.push(b)
    }
  }
  return out
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe("fuzzing the endpoints", () => {
  it("survives 12 000 malformed UDP packets and still answers", async () => {
    const port = client.endpoints.dns.port
    const sock = createSocket("udp4")
    let replies = 0
    sock.on("message", () => replies++)
    await new Promise<void>((r) => sock.bind(0, "127.0.0.1", r))
    const all = packets(12_000, 0xd07d45)
    for (let i = 0; i < all.length; i += 50) {
      for (const p of all.slice(i, i + 50)) sock.send(p, port, "127.0.0.1")
      await sleep(4)
    }
    await sleep(500)
    sock.close()
    expect(replies).toBeGreaterThan(1000) // FORMERR and friends were answered, not just dropped
    expect(answerLines((await dig(port, "hello.dns", "A")).stdout)).toEqual([expect.stringMatching(/IN A 127\.0\.0\.1$/)])
    // UDP may drop a few under load; at least 10 000 reached the server
    expect(client.responder.stats.queries).toBeGreaterThanOrEqual(10_000)
  })

  it("survives malformed TCP frames and DoH bodies", async () => {
    const port = client.endpoints.dns.port
    const frames = packets(1000, 0xfeed)
    for (let c = 0; c < 10; c++) {
      await new Promise<void>((resolve) => {
        const s = connect(port, "127.0.0.1")
        s.on("error", () => resolve())
        s.on("close", () => resolve())
        s.on("data", () => {})
        s.on("connect", () => {
          for (const f of frames.slice(c * 100, (c + 1) * 100)) {
            const len = Buffer.alloc(2)
            // now and then a length prefix that lies
            len.writeUInt16BE(f.length % 7 === 0 ? (f.length + 3) & 0xffff : f.length)
            s.write(Buffer.concat([len, f]))
          }
          setTimeout(() => s.destroy(), 300)
        })
      })
    }
    const url = client.endpoints.http!.url
    const results = await Promise.all(
      frames.slice(0, 300).map((f) =>
        fetch(url, { method: "POST", headers: { "content-type": "application/dns-message" }, body: f }).then(async (r) => (await r.arrayBuffer(), r.status))
      )
    )
    expect(results.every((s) => s === 200 || s === 400)).toBe(true)
    const h = await fetch(`${url}?dns=${seeds[0]!.toString("base64url")}`)
    expect(h.status).toBe(200)
    expect(answerLines((await dig(port, "hello.dns", "A", "+tcp")).stdout)).toHaveLength(1)
  })

  it("the responder never throws on 20 000 arbitrary messages", async () => {
    const arb = fc.oneof(
      fc.uint8Array({ maxLength: 600 }),
      fc.tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 })).map(([s, edits]) => {
        const b = Uint8Array.from(s)
        for (const [at, v] of edits) b[at % b.length] = v
        return b
      })
    )
    const pending: Promise<unknown>[] = []
    fc.assert(
      fc.property(arb, fc.constantFrom("udp" as const, "tcp" as const, "doh" as const), (b, transport) => {
        const r = client.responder.respond(Buffer.from(b), transport)
        if (r instanceof Promise) pending.push(r)
        return r === undefined || r instanceof Promise || Buffer.isBuffer(r)
      }),
      { numRuns: 20_000, seed: 42 }
    )
    const settled = await Promise.allSettled(pending)
    expect(settled.every((s) => s.status === "fulfilled")).toBe(true)
    expect(answerLines((await dig(client.endpoints.dns.port, "alias.dns", "A")).stdout)).toHaveLength(2)
  })
})
