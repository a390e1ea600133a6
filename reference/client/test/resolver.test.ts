/**
 * Resolution under adversity, over real sockets: RPC endpoints that lie or are down [CLI-5], miners
 * that are slow, down, or serve the wrong record (hedging and failover), the cache across a restart
 * and at expiry [CLI-1], background re-verification, and a miner feed announcing a new finalized route.
 */
import { createServer, type Server } from "node:http"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { encodeAccount } from "../../../spec/src/json.ts"
import { decodeAccount } from "../../../programs/client/decode.ts"
import { RECORD_TYPE } from "../../../spec/src/objects.ts"
import { startClient, type RunningClient } from "../Client.ts"
import { Resolver, type TraceStep } from "../Resolver.ts"
import { buildChainWorld, owner, signRoute, type ChainWorld } from "./chain-world.ts"
import { StandInMiner } from "./stand-in-miner.ts"
import { answerLines, dig, ROUTES, startWorld, statusOf, tempDir, type TestWorld } from "./world.ts"

let world: TestWorld
const clients: RunningClient[] = []
const start = async (over: Parameters<TestWorld["settings"]>[0] = {}) => {
  const c = await startClient(world.settings({ doh: { https: { enabled: false }, http: { enabled: false } }, ...over }), { log: () => {} })
  clients.push(c)
  return c
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const waitFor = async (cond: () => boolean | Promise<boolean>, ms = 10_000) => {
  const end = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("timed out waiting")
    await sleep(50)
  }
}

/** A JSON-RPC endpoint that relays to the localnet but reports another route_hash in every Name account. */
const lyingRpc = async (target: string): Promise<{ url: string; close: () => Promise<void> }> => {
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const up = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body: Buffer.concat(chunks) })
    const body = (await up.json()) as { result?: { value?: { data?: [string, string] } | null } }
    const data = body.result?.value?.data
    if (data !== undefined) {
      const name = decodeAccount("Name", new Uint8Array(Buffer.from(data[0], "base64")))
      if (name !== undefined) data[0] = Buffer.from(encodeAccount("Name", { ...name, routeHash: new Uint8Array(32).fill(0xee) })).toString("base64")
    }
    res.writeHead(200, { "content-type": "application/json" })
    res.end(JSON.stringify(body))
  })
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r())))
  }
}

const traceOf = async (c: RunningClient, name: string, fresh = true): Promise<TraceStep[]> => {
  const trace: TraceStep[] = []
  await c.run(Resolver.use((r) => r.resolve(name, { trace, fresh })))
  return trace
}

beforeAll(async () => {
  world = await startWorld()
})
afterAll(async () => {
  for (const c of clients) await c.close()
  await world?.close()
})

describe("RPC endpoints [CLI-5]", () => {
  it("turns a disagreement into SERVFAIL with EDE 0", async () => {
    const liar = await lyingRpc(world.chain.rpcUrl)
    try {
      const c = await start({ rpc: { urls: [world.chain.rpcUrl, liar.url], min_answers: 2 } })
      const r = await dig(c.endpoints.dns.port, "hello.dns", "A")
      expect(statusOf(r.stdout)).toBe("SERVFAIL")
      expect(r.stdout).toMatch(/EDE: 0 \(Other\): \(dotdns CLI-5: RPC endpoints disagree about hello\.dns: .* route_hash eeee/)
      // an honest endpoint alone would have answered; with only the liar, the miner's record fails CLI-4
      const lone = await start({ rpc: { urls: [liar.url] } })
      const l = await dig(lone.endpoints.dns.port, "hello.dns", "A")
      expect(l.stdout).toMatch(/EDE: 24 \(Invalid Data\): \(dotdns CLI-4: route_hash/)
    } finally {
      await liar.close()
    }
  })

  it("requires min_answers endpoints to answer (EDE 22), and tolerates a dead one above that", async () => {
    const dead = "http://127.0.0.1:9"
    const strict = await start({ rpc: { urls: [world.chain.rpcUrl, dead], min_answers: 2, timeout_ms: 1000 } })
    const r = await dig(strict.endpoints.dns.port, "hello.dns", "A")
    expect(statusOf(r.stdout)).toBe("SERVFAIL")
    expect(r.stdout).toMatch(/EDE: 22 \(No Reachable Authority\): \(dotdns CLI-5: 1 of 2 RPC endpoints answered, 2 required/)
    const lenient = await start({ rpc: { urls: [dead, world.chain.rpcUrl], min_answers: 1, timeout_ms: 1000 } })
    expect(answerLines((await dig(lenient.endpoints.dns.port, "hello.dns", "A")).stdout)).toHaveLength(1)
  })
})

describe("miners: failover and hedging", () => {
  let slow: StandInMiner
  let wrong: StandInMiner
  beforeAll(async () => {
    slow = await StandInMiner.start()
    slow.serve(ROUTES.hello)
    slow.delayMs = 2000
    wrong = await StandInMiner.start()
    wrong.serve(ROUTES.badServed)
    wrong.serve(signRoute({ ...ROUTES.hello.record, serial: 5n }))
  })
  afterAll(async () => {
    await slow.close()
    await wrong.close()
  })

  it("hedges a slow miner: the second request answers long before the first", async () => {
    const c = await start({ miners: { urls: [slow.url, world.miner.url], hedge_delay_ms: 50, spread: false } })
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now()
      const trace = await traceOf(c, "hello.dns")
      expect(performance.now() - t0).toBeLessThan(1000)
      // the slow miner was asked first; the hedge went to the next after 50 ms and won
      expect(trace.filter((s) => s.step === "miner")).toEqual([{ step: "miner", ok: true, detail: expect.stringMatching(new RegExp(`^${world.miner.url} \\(\\d+ ms\\): verified$`)) }])
    }
    expect(slow.lookups).toEqual(["hello.dns", "hello.dns", "hello.dns"])
  })

  it("fails over past a dead miner and past one serving a record that does not verify", async () => {
    const c = await start({ miners: { urls: ["http://127.0.0.1:9", wrong.url, world.miner.url], hedge_delay_ms: 2000, spread: false } })
    const trace = await traceOf(c, "hello.dns")
    expect(trace.filter((s) => s.step === "miner").map((s) => [s.ok, s.detail.replace(/ \(\d+ ms\)/, "")])).toEqual([
      [false, expect.stringMatching(/^http:\/\/127\.0\.0\.1:9: error: /)],
      [false, expect.stringMatching(new RegExp(`^${wrong.url}: dotdns CLI-4: route_hash [0-9a-f]{64} \\(serial 5`))],
      [true, `${world.miner.url}: verified`]
    ])
    expect(answerLines((await dig(c.endpoints.dns.port, "hello.dns", "A")).stdout)).toHaveLength(1)
  })

  it("answers EDE 22 when no miner has a record", async () => {
    const none = await StandInMiner.start()
    try {
      const c = await start({ miners: { urls: [none.url] } })
      const r = await dig(c.endpoints.dns.port, "hello.dns", "A")
      expect(r.stdout).toMatch(/EDE: 22 \(No Reachable Authority\): \(dotdns CLI-4: no miner returned a record for hello\.dns \(.*: not found\)\)/)
    } finally {
      await none.close()
    }
  })
})

describe("the cache [CLI-1]", () => {
  it("survives a restart, serving what is left of the TTL", async () => {
    const dir = tempDir("persist")
    world.dataDirs.push(dir)
    const first = await startClient(world.settings({ data_dir: dir, doh: { https: { enabled: false }, http: { enabled: false } } }), { log: () => {} })
    expect(answerLines((await dig(first.endpoints.dns.port, "hello.dns", "A")).stdout)).toHaveLength(1)
    await first.close()
    const broken = await StandInMiner.start()
    broken.failWith = 503
    try {
      const second = await start({ data_dir: dir, rpc: { urls: ["http://127.0.0.1:9"], timeout_ms: 500 }, miners: { urls: [broken.url] } })
      const trace: TraceStep[] = []
      const r = await second.run(Resolver.use((x) => x.resolve("hello.dns", { trace })))
      expect(r.kind).toBe("route")
      expect(trace).toEqual([{ step: "cache", ok: true, detail: expect.stringMatching(/^hit \(route, \d+ s left\)$/) }])
      expect(answerLines((await dig(second.endpoints.dns.port, "hello.dns", "A")).stdout)).toHaveLength(1)
      expect(broken.lookups).toEqual([])
    } finally {
      await broken.close()
    }
  })

  it("never serves an entry past its TTL", async () => {
    const flaky = await StandInMiner.start()
    flaky.serve(ROUTES.short)
    try {
      const c = await start({ miners: { urls: [flaky.url] }, cache: { refresh_fraction: 0 } })
      const ok = await dig(c.endpoints.dns.port, "short.dns", "A")
      const ttl = Number(answerLines(ok.stdout)[0]!.split(" ")[1])
      expect(ttl).toBeLessThanOrEqual(3)
      flaky.failWith = 503
      await sleep(3200)
      const late = await dig(c.endpoints.dns.port, "short.dns", "A")
      expect(statusOf(late.stdout)).toBe("SERVFAIL")
      expect(late.stdout).toMatch(/EDE: 22/)
    } finally {
      await flaky.close()
    }
  })

  it("re-verifies a used entry before it expires, from the chain alone while the route is unchanged", async () => {
    const m = await StandInMiner.start()
    m.serve(ROUTES.short)
    try {
      const c = await start({ miners: { urls: [m.url] }, cache: { refresh_fraction: 0.7, refresh_interval_ms: 100 } })
      await dig(c.endpoints.dns.port, "short.dns", "A")
      await dig(c.endpoints.dns.port, "short.dns", "A") // a cache hit marks it used
      const first = c.cache.peek("short.dns")
      expect(first?.kind).toBe("route")
      await waitFor(() => {
        const e = c.cache.peek("short.dns")
        return e?.kind === "route" && first?.kind === "route" && e.route.verifiedAt > first.route.verifiedAt
      })
      expect(m.lookups).toEqual(["short.dns"]) // renewed without asking a miner
      m.failWith = 503
      for (let i = 0; i < 8; i++) {
        await dig(c.endpoints.dns.port, "short.dns", "A")
        await sleep(500)
      }
      expect(statusOf((await dig(c.endpoints.dns.port, "short.dns", "A")).stdout)).toBe("NOERROR")
    } finally {
      await m.close()
    }
  })

  it("bounds its size", async () => {
    const c = await start({ cache: { max_entries: 3 } })
    for (const n of ["hello.dns", "alias.dns", "pending.dns", "nope.dns", "x1.dns", "x2.dns"]) await dig(c.endpoints.dns.port, n, "A")
    expect(c.cache.size()).toBe(3)
  })
})

describe("miner feeds", () => {
  let own: ChainWorld
  let feed: StandInMiner
  beforeAll(async () => {
    own = await buildChainWorld({ register: ["hello.dns"], finalize: [ROUTES.hello] })
    feed = await StandInMiner.start() // a miner whose events the test controls
    feed.serve(ROUTES.hello)
  })
  afterAll(async () => {
    await feed?.close()
    await own?.net.close()
  })

  it("a route.finalized event re-verifies the name at once, long before its TTL", async () => {
    const c = await start({ rpc: { urls: [own.rpcUrl] }, miners: { urls: [feed.url], feeds: true } })
    const port = c.endpoints.dns.port
    expect(answerLines((await dig(port, "hello.dns", "A")).stdout)[0]).toMatch(/127\.0\.0\.1$/)
    await waitFor(() => feed.subscriberCount === 1)
    const v2 = signRoute({ name: "hello.dns", serial: 2n, ttl: 300, records: [{ type: RECORD_TYPE.A, data: Uint8Array.of(127, 0, 0, 2) }], owner: owner.publicKey })
    // the miner announces v2 before the chain finalizes it: verified against the chain, it is refused
    feed.publishFinalized(v2)
    await sleep(300)
    expect(answerLines((await dig(port, "hello.dns", "A")).stdout)[0]).toMatch(/127\.0\.0\.1$/)
    await own.finalize([v2])
    feed.serve(v2)
    feed.publishFinalized(v2)
    await waitFor(async () => /127\.0\.0\.2$/.test(answerLines((await dig(port, "hello.dns", "A")).stdout)[0] ?? ""))
    // a feed reset (close 4410) makes the client re-verify everything it caches
    const v3 = signRoute({ ...v2.record, serial: 3n, records: [{ type: RECORD_TYPE.A, data: Uint8Array.of(127, 0, 0, 3) }] })
    await own.finalize([v3])
    feed.serve(v3)
    feed.resetFeeds()
    await waitFor(async () => /127\.0\.0\.3$/.test(answerLines((await dig(port, "hello.dns", "A")).stdout)[0] ?? ""))
    await waitFor(() => feed.subscriberCount === 1)
  })
})
