/**
 * Receipts [RCP-1]–[RCP-4] and gateway mode. What reaches a miner is checked byte by byte: 170-byte
 * signed receipts and nothing else, posted only when opted in, only for verified routes, sampled once
 * per (epoch, name), in one batch per epoch at a slot inside the spec's delay window. Gateways witness
 * everything they serve, publish periodically, and rate-limit and size-limit per source.
 */
import { createSocket } from "node:dgram"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import dnsPacket from "dns-packet"
import { Effect, Logger } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { hex } from "../../../spec/src/bytes.ts"
import { verify } from "../../../spec/src/ed25519.ts"
import { nameHash } from "../../../spec/src/name.ts"
import { decodeReceipt, encodeRouteRecord, RECEIPT_SIZE, receiptDigest, routeHash } from "../../../spec/src/objects.ts"
import type { Chain } from "../Chain.ts"
import { startClient, type RunningClient } from "../Client.ts"
import type { Miners } from "../Miners.ts"
import { clientSettings } from "../Config.ts"
import { batchWindow, publishedFrom, Receipts } from "../Receipts.ts"
import type { VerifiedRoute } from "../Verify.ts"
import { owner, signRoute, witnesses } from "./chain-world.ts"
import { StandInMiner } from "./stand-in-miner.ts"
import { answerLines, dig, HONEST, run, ROUTES, startWorld, tempDir, type TestWorld } from "./world.ts"

let world: TestWorld
const clients: RunningClient[] = []
const miners: StandInMiner[] = []
const witness = witnesses[0]
let keyFile: string

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const waitFor = async (cond: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out waiting")
    await sleep(50)
  }
}

/**
 * A stand-in miner of its own, so each client's posts are recorded separately: it serves the canonical
 * records, except bad.dns's unfinalized serial 2 (which fails verification, so earns no receipt).
 */
const ownMiner = async () => {
  const m = await StandInMiner.start()
  for (const r of HONEST) m.serve(r)
  m.serve(ROUTES.badServed)
  miners.push(m)
  return m
}

const start = async (miner: StandInMiner, over: Parameters<TestWorld["settings"]>[0] = {}) => {
  const c = await startClient(
    world.settings({ miners: { urls: [miner.url] }, doh: { https: { enabled: false }, http: { enabled: false } }, ...over }),
    { log: () => {} }
  )
  clients.push(c)
  return c
}

/** Warps the chain to the first slot of the next protocol epoch; returns that epoch. */
const nextEpoch = async (): Promise<bigint> => {
  const E = world.chain.slot / world.chain.L + 1n
  await world.chain.warpTo(E * world.chain.L)
  return E
}

const splitReceipts = (body: Buffer) => {
  expect(body.length % 170).toBe(0)
  return Array.from({ length: body.length / 170 }, (_, i) => {
    const chunk = body.subarray(i * 170, (i + 1) * 170)
    const receipt = decodeReceipt(chunk.subarray(0, RECEIPT_SIZE))
    return { receipt, signature: chunk.subarray(RECEIPT_SIZE) }
  })
}

beforeAll(async () => {
  world = await startWorld()
  const dir = tempDir("keys")
  world.dataDirs.push(dir)
  keyFile = join(dir, "witness.json")
  writeFileSync(keyFile, JSON.stringify([...witness.secretKey, ...witness.publicKey]))
})
afterAll(async () => {
  for (const c of clients) await c.close()
  for (const m of miners) await m.close()
  await world?.close()
})

describe("client receipts (opt-in)", () => {
  it("emits nothing by default [RCP-4]", async () => {
    const m = await ownMiner()
    const c = await start(m)
    await dig(c.endpoints.dns.port, "hello.dns", "A")
    await nextEpoch()
    await nextEpoch()
    await sleep(300)
    expect(m.posts).toEqual([])
    expect(c.receipts.status().enabled).toBe(false)
  })

  it("posts one delayed batch per epoch: exactly 170-byte signed receipts of verified routes, nothing else", async () => {
    const m = await ownMiner()
    const E = await nextEpoch()
    const c = await start(m, { receipts: { enabled: true, witness_key: keyFile, sample_rate: 1, poll_ms: 100 } })
    await waitFor(() => c.receipts.status().epoch === E)
    const port = c.endpoints.dns.port
    for (const n of ["hello.dns", "alias.dns", "bad.dns", "pending.dns", "nope.dns", "hello.dns", "hello.dns"]) await dig(port, n, "A")
    // not as names are resolved: nothing before the window [E·L + ¾L, (E+1)·L + ¼W]
    await sleep(500)
    expect(m.posts).toEqual([])
    const [pending] = c.receipts.status().pending
    expect(pending).toMatchObject({ epoch: E, receipts: 2 })
    const w = batchWindow(E, { epochLength: world.chain.L, submitWindow: 20n })
    expect(pending!.sendSlot! >= w.from && pending!.sendSlot! <= w.to).toBe(true)
    await world.chain.warpTo(w.to)
    await waitFor(() => m.posts.length > 0)
    await sleep(400)
    expect(m.posts).toHaveLength(1)
    const post = m.posts[0]!
    expect(Object.keys(post.headers).sort()).toEqual(["connection", "content-length", "content-type", "host"])
    expect(post.headers["content-type"]).toBe("application/vnd.dotdns.receipts")
    expect(post.body.length).toBe(2 * (RECEIPT_SIZE + 64))
    const got = splitReceipts(post.body)
    const canonical = new Map([
      [hex(nameHash("hello.dns")), hex(routeHash(ROUTES.hello.record))],
      [hex(nameHash("alias.dns")), hex(routeHash(ROUTES.alias.record))]
    ])
    for (const { receipt, signature } of got) {
      // exactly (epoch, name_hash, route_hash, witness) [RCP-1]
      expect(Object.keys(receipt).sort()).toEqual(["epoch", "nameHash", "routeHash", "witness"])
      expect(receipt.epoch).toBe(E)
      expect(hex(receipt.witness)).toBe(hex(witness.publicKey))
      expect(canonical.get(hex(receipt.nameHash))).toBe(hex(receipt.routeHash))
      expect(verify(witness.publicKey, receiptDigest(receipt), signature)).toBe(true)
    }
    expect(new Set(got.map((r) => hex(r.receipt.nameHash))).size).toBe(2)
    // the next epochs: nothing resolved there, nothing posted
    await nextEpoch()
    await nextEpoch()
    await sleep(400)
    expect(m.posts).toHaveLength(1)
    expect(c.receipts.status().posted).toBe(2)
  })

  it("samples once per (epoch, name), independently, at the configured rate", async () => {
    let slot = 1000n
    const posted: Uint8Array[] = []
    const chain = { epochInfo: Effect.sync(() => ({ slot, epoch: slot / 100n, epochLength: 100n, submitWindow: 20n })) } as unknown as Chain["Service"]
    const miners = { postReceipts: (b: Uint8Array) => Effect.sync(() => (posted.push(b), [{ miner: "m", status: 200, accepted: 0, rejected: 0 }])) } as unknown as Miners["Service"]
    const r = Receipts.make({ witness, sampleRate: 0.25, role: "client", chain, miners })
    await Effect.runPromise(r.tick)
    const fake = (i: number): VerifiedRoute => ({ ...({} as VerifiedRoute), name: `n${i}.dns`, routeHash: new Uint8Array(32).fill(i % 256) })
    for (let round = 0; round < 5; round++) for (let i = 0; i < 4000; i++) r.witnessed(fake(i))
    const taken = r.status().pending[0]!.receipts
    expect(taken).toBeGreaterThan(4000 * 0.2)
    expect(taken).toBeLessThan(4000 * 0.3)
    slot = 1105n // (E+1)·L + ¼W: the window's last slot, the batch is due
    await Effect.runPromise(Effect.provide(r.tick, Logger.layer([])))
    expect(posted).toHaveLength(1)
    expect(posted[0]!.length).toBe(taken * 170)
    const none = Receipts.make({ witness, sampleRate: 0, role: "client", chain, miners })
    await Effect.runPromise(none.tick)
    for (let i = 0; i < 1000; i++) none.witnessed(fake(i))
    expect(none.status().pending[0]?.receipts ?? 0).toBe(0)
  })
})

describe("operator witness of published routes (receipts.routes: published)", () => {
  it("is for gateways only [RCP-4]", () => {
    expect(() => clientSettings({ receipts: { enabled: true, witness_key: keyFile, routes: "published" } })).toThrow(/published routes are witnessed by operators only/)
    expect(clientSettings({ mode: "gateway", receipts: { witness_key: keyFile, routes: "published" } }).receipts.routes).toBe("published")
  })

  it("witnesses the newest record above the canonical serial, once the previous round has closed; never the canonical route", async () => {
    let slot = 1000n // epoch 10 of 100-slot epochs; the batch is due from slot 1075 (¾·L, past submit + challenge + 2 = 62)
    const info = () => ({ slot, epoch: slot / 100n, epochLength: 100n, submitWindow: 20n, challengeWindow: 40n })
    const account = (serial: bigint, routeHash: Uint8Array) => ({ address: new Uint8Array(32), owner: owner.publicKey, routeHash, serial, routeEpoch: 9n, slot })
    const canonical = signRoute({ name: "hello.dns", serial: 1n, ttl: 60, records: [{ type: 1, data: Uint8Array.of(10, 0, 0, 1) }], owner: owner.publicKey })
    const newer = signRoute({ ...canonical.record, serial: 2n, records: [{ type: 1, data: Uint8Array.of(10, 0, 0, 2) }] })
    const stale = signRoute({ name: "alias.dns", serial: 3n, ttl: 60, records: [{ type: 5, data: new TextEncoder().encode("hello.dns") }], owner: owner.publicKey })
    const onChain: Record<string, ReturnType<typeof account>> = {
      "hello.dns": account(1n, routeHash(canonical.record)),
      "pending.dns": account(0n, new Uint8Array(32)),
      "alias.dns": account(3n, routeHash(stale.record))
    }
    const served: Record<string, ReturnType<typeof signRoute>> = { "hello.dns": newer, "pending.dns": signRoute({ ...canonical.record, name: "pending.dns" }), "alias.dns": stale }
    const asked: { name: string; latest: boolean | undefined }[] = []
    const posted: Buffer[] = []
    const chain = {
      epochInfo: Effect.sync(info),
      readName: (name: string) => Effect.succeed({ state: { kind: "registered", account: onChain[name]! }, observations: [] })
    } as unknown as Chain["Service"]
    const miners = {
      fetchRoute: (name: string, check: (p: { encoding: Uint8Array; signature: Uint8Array; miner: string }) => unknown, o?: { latest?: boolean }) => {
        asked.push({ name, latest: o?.latest })
        const r = served[name]!
        const v = check({ encoding: encodeRouteRecord(r.record), signature: r.signature, miner: "m" })
        return v instanceof Error ? Effect.fail(v) : Effect.succeed({ route: v, attempts: [] })
      },
      postReceipts: (b: Uint8Array) => Effect.sync(() => (posted.push(Buffer.from(b)), [{ miner: "m", status: 200, accepted: 0, rejected: 0 }]))
    } as unknown as Miners["Service"]
    const r = Receipts.make({ witness, sampleRate: 1, role: "operator", publishIntervalMs: 0, routes: "published", chain, miners })
    const tick = () => Effect.runPromise(Effect.provide(r.tick, Logger.layer([])))
    await tick()
    r.witnessed({ ...({} as VerifiedRoute), name: "hello.dns", routeHash: routeHash(canonical.record) }) // answered with serial 1
    r.served("pending.dns") // NODATA: no route is canonical yet
    r.served("alias.dns")
    slot = 1074n
    await tick()
    expect([posted, asked]).toEqual([[], []]) // not before the batch is due
    slot = 1075n
    await tick()
    expect(asked.map((a) => [a.name, a.latest]).sort()).toEqual([["alias.dns", true], ["hello.dns", true], ["pending.dns", true]])
    expect(posted).toHaveLength(1)
    const got = splitReceipts(posted[0]!)
    expect(new Map(got.map((x) => [hex(x.receipt.nameHash), hex(x.receipt.routeHash)]))).toEqual(
      new Map([
        [hex(nameHash("hello.dns")), hex(routeHash(newer.record))],
        [hex(nameHash("pending.dns")), hex(routeHash(served["pending.dns"]!.record))]
      ])
    ) // alias.dns's newest record is its canonical route: no receipt
    for (const x of got) expect([x.receipt.epoch, verify(witness.publicKey, receiptDigest(x.receipt), x.signature)]).toEqual([10n, true])
  })

  it("uses ¾·L, or the end of the previous round's challenge window when later", () => {
    expect(publishedFrom({ epochLength: 50n, submitWindow: 20n, challengeWindow: 20n })).toBe(42n) // LOCALNET
    expect(publishedFrom({ epochLength: 9000n, submitWindow: 1500n, challengeWindow: 4500n })).toBe(6750n) // MAINNET
    expect(publishedFrom({ epochLength: 40n, submitWindow: 40n, challengeWindow: 40n })).toBe(39n)
  })
})

describe("gateway mode", () => {
  it("witnesses every name it serves and publishes its batches periodically", async () => {
    const m = await ownMiner()
    const E = await nextEpoch()
    const c = await start(m, { mode: "gateway", receipts: { witness_key: keyFile, poll_ms: 100 }, gateway: { publish_interval_ms: 200, rate_burst: 1000 } })
    await waitFor(() => c.receipts.status().epoch === E)
    const port = c.endpoints.dns.port
    for (const n of ["hello.dns", "alias.dns", "big.dns", "hello.dns"]) await dig(port, n, "A")
    const count = () => m.posts.reduce((n, p) => n + p.body.length / 170, 0)
    await waitFor(() => count() >= 3)
    const first = splitReceipts(Buffer.concat(m.posts.map((p) => p.body)))
    expect(first.map((r) => r.receipt.epoch)).toEqual([E, E, E])
    expect(new Set(first.map((r) => hex(r.receipt.nameHash)))).toEqual(new Set(["hello.dns", "alias.dns", "big.dns"].map((n) => hex(nameHash(n)))))
    // served again in the same epoch: no second receipt (one per witness per (epoch, name))
    await dig(port, "hello.dns", "A")
    await sleep(600)
    expect(count()).toBe(3)
  })

  it("rate-limits per source (UDP dropped, TCP REFUSED EDE 18, DoH 429) and truncates large UDP answers", async () => {
    const m = await ownMiner()
    const c = await start(m, {
      mode: "gateway",
      gateway: { rate_qps: 1, rate_burst: 5, max_udp_response: 600 },
      doh: { http: { enabled: true, port: 0 } }
    })
    const port = c.endpoints.dns.port
    const sock = createSocket("udp4")
    let answered = 0
    sock.on("message", () => answered++)
    await new Promise<void>((r) => sock.bind(0, "127.0.0.1", r))
    const q = dnsPacket.encode({ type: "query", id: 1, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name: "hello.dns", type: "A" }] })
    for (let i = 0; i < 30; i++) sock.send(q, port, "127.0.0.1")
    await sleep(500)
    sock.close()
    expect(answered).toBeGreaterThanOrEqual(5)
    expect(answered).toBeLessThanOrEqual(6)
    const tcp = await dig(port, "hello.dns", "A", "+tcp")
    expect(tcp.stdout).toMatch(/status: REFUSED/)
    expect(tcp.stdout).toMatch(/EDE: 18 \(Prohibited\): \(dotdns gateway: per-source rate limit exceeded\)/)
    const codes = await run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}\\n", ...Array.from({ length: 8 }, () => `${c.endpoints.http!.url}?dns=${q.toString("base64url")}`)])
    expect(codes.stdout.trim().split("\n")).toContain("429")
    // a fresh gateway: big.dns over UDP with a 4096-byte EDNS buffer is still cut at 600 bytes
    const g = await start(m, { mode: "gateway", gateway: { max_udp_response: 600 } })
    const big = await dig(g.endpoints.dns.port, "big.dns", "TXT", "+bufsize=4096", "+ignore")
    expect(big.stdout).toMatch(/flags: qr tc rd ra;/)
    expect(answerLines((await dig(g.endpoints.dns.port, "big.dns", "TXT", "+bufsize=4096")).stdout)).toHaveLength(7)
  })
})
