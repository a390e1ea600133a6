/**
 * The real miner process over real sockets (dev-fixed chain): receipt ingest in both formats and every
 * rejection, route records, feeds over WebSocket and SSE with resumption, the OpenAPI document,
 * metrics and health, and a graceful SIGTERM.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import WebSocket from "ws"
import { hex } from "../../../spec/src/bytes.ts"
import { nameHash } from "../../../spec/src/name.ts"
import { MinerApi } from "../Api.ts"
import { FRAME_SIZE } from "../Verifier.ts"
import { receiptHash } from "../../../spec/src/objects.ts"
import {
  encodeBinaryBatch, encodeFramedBatch, getJson, keypair, postBinary, postJson, receiptInput, removeDir, routeHashOf, routeOf, signedRoute, signReceipt,
  startMiner, witnesses, type MinerProcess
} from "./helpers.ts"

const EPOCH = 10n
const W = witnesses(40)
const unstaked = keypair("unstaked")
const owner = keypair("owner")
const owner2 = keypair("owner2")
const ROUTE_A = new Uint8Array(32).fill(0xa1)
const ROUTE_B = new Uint8Array(32).fill(0xb2)
/** example.dns's canonical route in the dev-fixed chain: serial 1 of `owner`. */
const CANONICAL = routeOf("example.dns", owner, 1n)
/** Five more names whose canonical routes become finalities as their records arrive. */
const FINAL = [0, 1, 2, 3, 4].map((i) => routeOf(`final${i}.dns`, owner, 3n, [10, 1, 0, i]))

let miner: MinerProcess

const head = async (): Promise<number> => Number((await getJson(`${miner.url}/v1/events?limit=1`)).body.head)
const stored = async (): Promise<number> =>
  (await getJson(`${miner.url}/v1/receipts?epoch=${EPOCH}&limit=10000`)).body.receipts.length +
  (await getJson(`${miner.url}/v1/receipts?epoch=${EPOCH - 1n}&limit=10000`)).body.receipts.length

beforeAll(async () => {
  miner = await startMiner({
    dev: {
      epoch: EPOCH,
      witnesses: W.map((w, i) => ({ key: w.publicKey, stake: BigInt(1000 + i) })),
      names: [
        { name: "example.dns", owner: owner.publicKey, serial: 1n, routeHash: routeHashOf(CANONICAL) },
        { name: "other.dns", owner: owner2.publicKey, serial: 5n },
        { name: "feed.dns", owner: owner.publicKey },
        ...FINAL.map((r) => ({ name: r.name, owner: owner.publicKey, serial: 3n, routeHash: routeHashOf(r) }))
      ]
    },
    http: { maxBodyBytes: 256 * 1024, maxBatch: 500 }
  })
})

afterAll(async () => {
  if (miner) {
    await miner.stop()
    removeDir(miner.dir)
  }
})

describe("POST /v1/receipts", () => {
  it("accepts a JSON batch and acknowledges each receipt with its receipt_hash", async () => {
    const signed = W.slice(0, 3).map((w) => signReceipt(w, EPOCH, "example.dns", ROUTE_A))
    const r = await postJson(`${miner.url}/v1/receipts`, { receipts: signed.map(receiptInput) })
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ accepted: 3, duplicate: 0, rejected: 0 })
    expect(r.body.results).toEqual(signed.map((x, index) => ({ index, receiptHash: hex(receiptHash(x.receipt, x.signature)), status: "accepted" })))
    expect(Number(r.body.cursor)).toBeGreaterThan(0)
    const list = await getJson(`${miner.url}/v1/receipts?epoch=${EPOCH}&nameHash=${hex(nameHash("example.dns"))}`)
    expect(list.body.receipts.map((x: { receipt: { witness: string } }) => x.receipt.witness).sort()).toEqual(W.slice(0, 3).map((w) => hex(w.publicKey)).sort())
    expect(list.body.receipts[0].weight).toMatch(/^10\d\d$/)
  })

  it("accepts binary batches in both framings, including the previous epoch", async () => {
    const framed = await postBinary(`${miner.url}/v1/receipts`, encodeFramedBatch([signReceipt(W[3]!, EPOCH, "example.dns", ROUTE_A)]), "application/vnd.dotdns.receipts")
    expect(framed.body.results).toMatchObject([{ index: 0, status: "accepted" }])
    const counted = await postBinary(`${miner.url}/v1/receipts`, encodeBinaryBatch([signReceipt(W[4]!, EPOCH - 1n, "example.dns", ROUTE_A)]))
    expect(counted.body.results).toMatchObject([{ index: 0, status: "accepted" }])
  })

  it("answers the same signed receipt as duplicate and another receipt of the witness as a rejection [RCP-5]", async () => {
    const same = signReceipt(W[0]!, EPOCH, "example.dns", ROUTE_A)
    const other = signReceipt(W[1]!, EPOCH, "example.dns", ROUTE_B)
    const fresh = signReceipt(W[5]!, EPOCH, "example.dns", ROUTE_A)
    const before = await head()
    const r = await postBinary(`${miner.url}/v1/receipts`, encodeBinaryBatch([same, other, fresh, fresh]))
    expect(r.body.results).toEqual([
      { index: 0, receiptHash: hex(receiptHash(same.receipt, same.signature)), status: "duplicate" },
      { index: 1, status: "rejected", rule: "RCP-5", message: expect.stringContaining("already accepted another receipt") },
      { index: 2, receiptHash: hex(receiptHash(fresh.receipt, fresh.signature)), status: "accepted" },
      { index: 3, receiptHash: hex(receiptHash(fresh.receipt, fresh.signature)), status: "duplicate" }
    ])
    expect(await head()).toBe(before + 1)
  })

  it("rejects bad signatures, unstaked witnesses, unknown names and wrong epochs, naming the rule [API-2]", async () => {
    const forged = signReceipt(W[6]!, EPOCH, "example.dns", ROUTE_A)
    forged.signature[10]! ^= 0xff
    const cases = [
      forged,
      signReceipt(unstaked, EPOCH, "example.dns", ROUTE_A),
      signReceipt(W[7]!, EPOCH, "unknown.dns", ROUTE_A),
      signReceipt(W[8]!, EPOCH + 1n, "example.dns", ROUTE_A),
      signReceipt(W[9]!, EPOCH - 2n, "example.dns", ROUTE_A)
    ]
    const before = { head: await head(), stored: await stored() }
    const r = await postJson(`${miner.url}/v1/receipts`, { receipts: cases.map(receiptInput) })
    expect(r.status).toBe(200)
    expect(r.body.results.map((x: { status: string; rule: string }) => [x.status, x.rule])).toEqual([
      ["rejected", "SIG-1"],
      ["rejected", "RCP-5"],
      ["rejected", "RCP-5"],
      ["rejected", "RCP-5"],
      ["rejected", "RCP-5"]
    ])
    expect(r.body.results[1].message).toContain("no stake")
    expect(r.body.results[2].message).toContain("not a registered name")
    expect(r.body.results[3].message).toContain("has not begun")
    expect(r.body.results[4].message).toContain("no longer aggregated")
    expect(r.body.cursor).toBeUndefined()
    expect({ head: await head(), stored: await stored() }).toEqual(before)
  })

  it("rejects a receipt with a bad encoding per receipt [ENC-5]", async () => {
    const bytes = encodeBinaryBatch([signReceipt(W[10]!, EPOCH, "example.dns", ROUTE_A), signReceipt(W[11]!, EPOCH, "example.dns", ROUTE_A)])
    bytes[4 + FRAME_SIZE] = 0x09 // the type tag of the second receipt
    const r = await postBinary(`${miner.url}/v1/receipts`, bytes)
    expect(r.body.results[0]).toMatchObject({ index: 0, status: "accepted" })
    expect(r.body.results[1]).toMatchObject({ index: 1, status: "rejected", rule: "ENC-5" })
  })

  it("answers malformed and oversized bodies with 4xx {error} and changes nothing", async () => {
    const before = { head: await head(), stored: await stored() }
    const ok = encodeBinaryBatch([signReceipt(W[12]!, EPOCH, "example.dns", ROUTE_A)])
    const cases: [string, () => Promise<{ status: number; body: { error: { message: string; rule?: string } } }>, number][] = [
      ["not JSON", () => postJson(`${miner.url}/v1/receipts`, "{receipts: nope"), 400],
      ["wrong shape", () => postJson(`${miner.url}/v1/receipts`, { receipts: [{ epoch: "10" }] }), 400],
      ["extra field", () => postJson(`${miner.url}/v1/receipts`, { receipts: [], extra: 1 }), 400],
      ["upper-case hex", () => postJson(`${miner.url}/v1/receipts`, { receipts: [{ ...receiptInput(signReceipt(W[12]!, EPOCH, "example.dns", ROUTE_A)), witness: "AB".repeat(32) }] }), 400],
      ["u64 overflow", () => postJson(`${miner.url}/v1/receipts`, { receipts: [{ ...receiptInput(signReceipt(W[12]!, EPOCH, "example.dns", ROUTE_A)), epoch: "18446744073709551616" }] }), 400],
      ["truncated binary", () => postBinary(`${miner.url}/v1/receipts`, ok.subarray(0, ok.length - 1)), 400],
      ["framed, not a multiple of 170", () => postBinary(`${miner.url}/v1/receipts`, ok.subarray(4, ok.length - 3), "application/vnd.dotdns.receipts"), 400],
      ["trailing bytes", () => postBinary(`${miner.url}/v1/receipts`, Uint8Array.from([...ok, 0])), 400],
      ["no count", () => postBinary(`${miner.url}/v1/receipts`, new Uint8Array(2)), 400],
      ["media type", () => postBinary(`${miner.url}/v1/receipts`, ok, "text/plain"), 415],
      ["batch over max_batch", () => postBinary(`${miner.url}/v1/receipts`, Uint8Array.from([0xf5, 0x01, 0, 0])), 413],
      ["body over max_body_bytes", () => postBinary(`${miner.url}/v1/receipts`, new Uint8Array(300 * 1024)), 413]
    ]
    for (const [what, send, status] of cases) {
      const r = await send()
      expect([what, r.status]).toEqual([what, status])
      expect(typeof r.body.error.message).toBe("string")
    }
    const trunc = await postBinary(`${miner.url}/v1/receipts`, ok.subarray(0, ok.length - 1))
    expect(trunc.body.error.rule).toBe("ENC-2")
    expect({ head: await head(), stored: await stored() }).toEqual(before)
  })
})

describe("route records", () => {
  it("serves the canonical record with its signature and Name account, once the miner holds it [API-3]", async () => {
    expect((await getJson(`${miner.url}/v1/routes/example.dns`)).status).toBe(404)
    const r = await postJson(`${miner.url}/v1/routes`, signedRoute(CANONICAL, owner))
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ status: "accepted", name: "example.dns", serial: "1", routeHash: hex(routeHashOf(CANONICAL)), canonical: true })
    expect((await postJson(`${miner.url}/v1/routes`, signedRoute(CANONICAL, owner))).body.status).toBe("duplicate")
    const got = await getJson(`${miner.url}/v1/routes/EXAMPLE.dns.`)
    expect(got.status).toBe(200)
    expect(got.body).toMatchObject({
      name: "example.dns",
      nameHash: hex(nameHash("example.dns")),
      routeHash: hex(routeHashOf(CANONICAL)),
      record: { name: "example.dns", serial: "1", ttl: 300, owner: hex(owner.publicKey), records: [{ type: 1, data: "0a000001" }] },
      encoding: signedRoute(CANONICAL, owner).encoding,
      signature: signedRoute(CANONICAL, owner).signature,
      routeEpoch: "0",
      canonical: { owner: hex(owner.publicKey), serial: "1", matches: true }
    })
    expect(got.body.nameAccount).toMatch(/^[0-9a-f]{64}$/)
  })

  it("takes newer records and serves the newest with ?latest=true, the canonical one otherwise", async () => {
    for (let s = 2n; s <= 4n; s++) {
      const r = await postJson(`${miner.url}/v1/routes`, signedRoute(routeOf("example.dns", owner, s), owner))
      expect([r.status, r.body.canonical]).toEqual([200, false])
    }
    expect((await getJson(`${miner.url}/v1/routes/example.dns`)).body.record.serial).toBe("1")
    const latest = await getJson(`${miner.url}/v1/routes/example.dns?latest=true`)
    expect(latest.body).toMatchObject({ record: { serial: "4" }, canonical: { serial: "1", matches: false } })
    expect(latest.body.routeEpoch).toBeUndefined()
  })

  it("rejects records the protocol forbids, naming the rule", async () => {
    const cases: [unknown, number, string][] = [
      [signedRoute(routeOf("example.dns", owner, 5n), owner2), 422, "RTE-8"],
      [signedRoute(routeOf("example.dns", owner2, 5n), owner2), 422, "RTE-8"],
      [signedRoute(routeOf("other.dns", owner2, 5n), owner2), 422, "RTE-6"],
      [signedRoute(routeOf("example.dns", owner, 1n, [9, 9, 9, 9]), owner), 422, "RTE-6"],
      [signedRoute(routeOf("nobody.dns", owner, 1n), owner), 422, "RND-6"],
      [signedRoute({ ...routeOf("example.dns", owner, 5n), ttl: 10_000_000 }, owner), 422, "RTE-5"],
      [signedRoute(routeOf("example.dns", owner, 2n, [10, 0, 0, 2]), owner), 409, "RTE-6"],
      [{ encoding: "0901", signature: "00".repeat(64) }, 400, "ENC-5"],
      [{ encoding: "0102", signature: "00".repeat(64) }, 400, "VER-2"],
      [{ encoding: "zz", signature: "00".repeat(64) }, 400, ""]
    ]
    const before = await head()
    for (const [body, status, rule] of cases) {
      const r = await postJson(`${miner.url}/v1/routes`, body)
      expect([r.status, r.body.error.rule ?? ""]).toEqual([status, rule])
    }
    expect(await head()).toBe(before)
    expect((await getJson(`${miner.url}/v1/routes/nobody.dns`)).status).toBe(404)
    expect((await getJson(`${miner.url}/v1/routes/bad_name.dns`)).body.error.rule).toBe("NAM-5")
  })

  it("pages finalities by cursor, each once, resuming without gaps [API-4]", async () => {
    for (const r of FINAL) expect((await postJson(`${miner.url}/v1/routes`, signedRoute(r, owner))).body.canonical).toBe(true)
    const seen: string[] = []
    let since = "0"
    for (let guard = 0; guard < 20; guard++) {
      const page = await getJson(`${miner.url}/v1/routes?since=${since}&limit=2`)
      for (const entry of page.body.routes) seen.push(`${entry.name}#${entry.record.serial}@${entry.routeEpoch}`)
      since = page.body.next
      if (page.body.complete) break
    }
    expect(seen).toEqual(["example.dns#1@0", ...FINAL.map((r) => `${r.name}#3@0`)])
    const rest = await getJson(`${miner.url}/v1/routes?since=${since}`)
    expect(rest.body).toMatchObject({ routes: [], complete: true, next: since })
  })
})

describe("feeds [API-6]", () => {
  const postFeedReceipts = async (from: number, to: number) => {
    for (let i = from; i < to; i++)
      expect((await postBinary(`${miner.url}/v1/receipts`, encodeBinaryBatch([signReceipt(W[i]!, EPOCH, "feed.dns", ROUTE_A)]))).body.accepted).toBe(1)
  }

  it("WebSocket: a subscriber that reconnects with its cursor gets exactly the events it missed", async () => {
    const start = await head()
    await postFeedReceipts(0, 5)
    const firstCursors: number[] = []
    // Connect, read three events, drop the connection mid-stream.
    await new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(`${miner.url.replace("http", "ws")}/v1/feed?since=${start}&types=receipts.accepted`)
      ws.on("message", (m) => {
        if (firstCursors.length === 3) return // already hung up; frames in flight are ignored
        firstCursors.push(Number(JSON.parse(String(m)).cursor))
        if (firstCursors.length === 3) {
          ws.terminate()
          resolve()
        }
      })
      ws.on("error", reject)
    })
    await postFeedReceipts(5, 9)
    const last = firstCursors[firstCursors.length - 1]!
    const expected = (await getJson(`${miner.url}/v1/events?since=${last}&types=receipts&limit=1000`)).body.events.map((e: { cursor: string }) => Number(e.cursor))
    expect(expected.length).toBe(6)
    const resumed: { cursor: number; type: string; data: { count: number } }[] = []
    await new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(`${miner.url.replace("http", "ws")}/v1/feed?since=${last}&types=receipts`)
      ws.on("message", (m) => {
        const e = JSON.parse(String(m))
        resumed.push({ ...e, cursor: Number(e.cursor) })
        if (resumed.length === expected.length) {
          ws.close()
          resolve()
        }
      })
      ws.on("error", reject)
    })
    expect(resumed.map((e) => e.cursor)).toEqual(expected)
    expect(resumed.every((e) => e.type === "receipts.accepted" && e.data.count === 1)).toBe(true)
    // Live: an event committed while connected arrives too.
    const live = new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${miner.url.replace("http", "ws")}/v1/feed?since=${expected[expected.length - 1]}&types=receipts`)
      ws.on("open", () => void postFeedReceipts(9, 10))
      ws.on("message", (m) => {
        ws.close()
        resolve(Number(JSON.parse(String(m)).cursor))
      })
      ws.on("error", reject)
    })
    expect(await live).toBeGreaterThan(expected[expected.length - 1])
  })

  it("SSE: Last-Event-ID resumes after the last event seen", async () => {
    const start = await head()
    await postFeedReceipts(10, 14)
    const read = async (path: string, headers: Record<string, string>, want: number) => {
      const ac = new AbortController()
      const res = await fetch(`${miner.url}${path}`, { headers, signal: ac.signal })
      expect(res.headers.get("content-type")).toContain("text/event-stream")
      const reader = res.body!.getReader()
      let text = ""
      const ids: number[] = []
      while (ids.length < want) {
        const { value, done } = await reader.read()
        if (done) break
        text += new TextDecoder().decode(value)
        const frames = text.split("\n\n")
        text = frames.pop()!
        for (const f of frames) {
          const id = /^id: (\d+)$/m.exec(f)
          if (id) ids.push(Number(id[1]))
        }
      }
      ac.abort()
      return ids.slice(0, want)
    }
    const first = await read("/v1/events?types=receipts", { accept: "text/event-stream", "last-event-id": String(start) }, 2)
    await postFeedReceipts(14, 16)
    const rest = await read("/v1/feed/sse?types=receipts.accepted", { "last-event-id": String(first[1]) }, 4)
    const all = (await getJson(`${miner.url}/v1/events?since=${start}&types=receipts`)).body.events.map((e: { cursor: string }) => Number(e.cursor))
    expect([...first, ...rest]).toEqual(all.slice(0, 6))
    expect(new Set([...first, ...rest]).size).toBe(6)
  })
})

describe("feeds: spec dialect and unknown cursors [API-6]", () => {
  it("/v1/ws: subscribes with a first message and replays from the cursor", async () => {
    const start = await head()
    const events: { cursor: string; type: string }[] = []
    await new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(`${miner.url.replace("http", "ws")}/v1/ws`)
      ws.on("open", () => ws.send(JSON.stringify({ subscribe: { since: String(start - 2), types: ["receipts"] } })))
      ws.on("message", (m) => {
        events.push(JSON.parse(String(m)))
        if (events.length === 2) {
          ws.close()
          resolve()
        }
      })
      ws.on("error", reject)
    })
    expect(events.every((e) => e.type === "receipts.accepted" && Number(e.cursor) > start - 2)).toBe(true)
    expect(Number(events[0]!.cursor)).toBeLessThan(Number(events[1]!.cursor))
  })

  it("says so when a cursor is unknown here: WebSocket close 4410, SSE reset", async () => {
    const ahead = (await head()) + 1000
    const code = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${miner.url.replace("http", "ws")}/v1/ws`)
      ws.on("open", () => ws.send(JSON.stringify({ subscribe: { since: String(ahead) } })))
      ws.on("close", (c) => resolve(c))
      ws.on("error", reject)
    })
    expect(code).toBe(4410)
    const res = await fetch(`${miner.url}/v1/events?since=${ahead}`, { headers: { accept: "text/event-stream" } })
    const text = await res.text()
    expect(text).toContain("event: reset")
    const bad = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${miner.url.replace("http", "ws")}/v1/ws`)
      ws.on("open", () => ws.send("hello"))
      ws.on("close", (c) => resolve(c))
    })
    expect(bad).toBe(1008)
  })
})

describe("operations", () => {
  it("serves an OpenAPI document that lists every endpoint", async () => {
    const r = await getJson(`${miner.url}/openapi.json`)
    expect(r.status).toBe(200)
    const doc = r.body as { openapi: string; paths: Record<string, Record<string, unknown>> }
    expect(doc.openapi).toMatch(/^3\./)
    const declared: string[] = []
    for (const group of Object.values(MinerApi.groups))
      for (const endpoint of Object.values(group.endpoints)) declared.push(`${endpoint.method.toLowerCase()} ${endpoint.path.replace(/:(\w+)/g, "{$1}")}`)
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`))
    expect(documented.sort()).toEqual(declared.sort())
    for (const p of [
      "/v1/receipts", "/v1/routes", "/v1/routes/{name}", "/v1/roots/{epoch}", "/v1/aggregates", "/v1/aggregates/{epoch}/{nameHash}",
      "/v1/aggregates/{epoch}/{nameHash}/{miner}", "/v1/aggregates/{epoch}/{nameHash}/{miner}/leaves", "/v1/aggregates/{epoch}/{nameHash}/{miner}/proofs/{index}",
      "/v1/aggregates/{epoch}/{nameHash}/proof/{index}", "/v1/batches/{cid}", "/v1/events", "/v1/ws", "/v1/feed", "/v1/feed/sse", "/metrics", "/healthz", "/readyz"
    ])
      expect(Object.keys(doc.paths)).toContain(p)
  })

  it("exposes metrics, health and readiness", async () => {
    const m = await fetch(`${miner.url}/metrics`)
    const text = await m.text()
    expect(m.headers.get("content-type")).toContain("text/plain")
    expect(text).toMatch(/dotdns_miner_receipts_total\{status="accepted"\} [1-9]/)
    expect(text).toMatch(/dotdns_miner_receipts_rejected_total\{rule="SIG-1"\} 1/)
    expect(text).toContain("dotdns_miner_verify_queue_depth")
    expect(text).toContain("dotdns_miner_submissions_pending")
    expect((await getJson(`${miner.url}/healthz`)).body.status).toBe("ok")
    const ready = await getJson(`${miner.url}/readyz`)
    expect(ready.body).toMatchObject({ status: "ready", checks: { storage: "ok", verifier: "ok", chain: `ok (epoch ${EPOCH}, slot ${EPOCH * 50n})` } })
    expect(text).toContain("dotdns_miner_current_epoch")
    const info = await getJson(`${miner.url}/v1/info`)
    expect(info.body).toMatchObject({ chainMode: "dev-fixed", storage: "sqlite", specVersion: "1.0.0", miner: expect.any(String) })
  })

  it("shuts down gracefully on SIGTERM, with feed subscribers connected", async () => {
    const other = await startMiner({ dev: { epoch: EPOCH, witnesses: [], names: [] } })
    const ws = new WebSocket(`${other.url.replace("http", "ws")}/v1/feed?since=0`)
    await new Promise((r) => ws.once("open", r))
    const sse = await fetch(`${other.url}/v1/feed/sse`)
    expect(sse.status).toBe(200)
    const t = Date.now()
    expect(await other.stop()).toBe(0)
    // Feeds end at once on shutdown; nothing waits for the HTTP server's grace period.
    expect(Date.now() - t).toBeLessThan(4_000)
    expect(other.output()).toContain("miner stopping")
    removeDir(other.dir)
  })
})
