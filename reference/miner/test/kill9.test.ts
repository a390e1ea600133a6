/**
 * Durability under kill -9 [API-1]: batches are posted concurrently, the miner is SIGKILLed at a random
 * moment, restarted on the same data, and every receipt it acknowledged must be there — several rounds.
 * After the last round the event log must hold exactly the stored receipts, and a feed read from
 * cursor 0 must replay them all in order [API-6].
 */
import { afterAll, describe, expect, it } from "vitest"
import WebSocket from "ws"
import type { SignedReceipt } from "../../../spec/src/aggregate.ts"
import { hex } from "../../../spec/src/bytes.ts"
import { nameHash } from "../../../spec/src/name.ts"
import { decodeReceipt } from "../../../spec/src/objects.ts"
import { FRAME_SIZE } from "../Verifier.ts"
import { encodeBinaryBatch, getJson, keypair, removeDir, signReceipt, startMiner, witnesses, type MinerOptions, type MinerProcess } from "./helpers.ts"
import { findPostgresBin, startPostgres, warnNoPostgres, type TestPostgres } from "./postgres.ts"

const EPOCH = 20n
const NAMES = Array.from({ length: 24 }, (_, i) => `n${i}.dns`)
const W = witnesses(250, "k9")
const ROUTE = new Uint8Array(32).fill(0x5e)
const ROUNDS = 4

/** A seeded PRNG, so a failing round can be replayed (the seed is printed). */
const rng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const key = (r: SignedReceipt) => `${r.receipt.epoch}/${hex(r.receipt.nameHash)}/${hex(r.receipt.witness)}`

const storedKeys = async (url: string): Promise<Set<string>> => {
  const out = new Set<string>()
  for (const epoch of [EPOCH, EPOCH - 1n])
    for (const n of NAMES) {
      const page = await getJson(`${url}/v1/receipts?epoch=${epoch}&nameHash=${hex(nameHash(n))}&limit=10000`)
      for (const r of page.body.receipts as { receipt: { epoch: string; nameHash: string; witness: string } }[]) out.add(`${r.receipt.epoch}/${r.receipt.nameHash}/${r.receipt.witness}`)
    }
  return out
}

const runRounds = async (label: string, base: Omit<MinerOptions, "dev" | "dir" | "identity">) => {
  const seed = Number(process.env.DOTDNS_KILL9_SEED ?? Date.now() % 1_000_000)
  const random = rng(seed)
  console.log(`[kill -9 ${label}] seed ${seed} (DOTDNS_KILL9_SEED to replay)`)
  // Every (epoch, name, witness) once: 2 × 24 × 250 = 12,000 distinct receipts, posted in pool order.
  const pool: SignedReceipt[] = []
  for (const epoch of [EPOCH, EPOCH - 1n]) for (const n of NAMES) for (const w of W) pool.push(signReceipt(w, epoch, n, ROUTE))
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[pool[i], pool[j]] = [pool[j]!, pool[i]!]
  }
  const dev = { epoch: EPOCH, witnesses: W.map((w) => ({ key: w.publicKey, stake: 5n })), names: NAMES.map((name) => ({ name, owner: keypair("k9-owner").publicKey })) }
  const identity = keypair("k9-miner")
  const acknowledged = new Set<string>()
  let next = 0
  let dir: string | undefined
  let miner: MinerProcess | undefined
  for (let round = 0; round < ROUNDS; round++) {
    miner = await startMiner({ ...base, dev, dir, identity })
    dir = miner.dir
    // Everything acknowledged so far survived the previous kill.
    const present = await storedKeys(miner.url)
    const lost = [...acknowledged].filter((k) => !present.has(k))
    expect(lost, `round ${round}: acknowledged receipts lost after kill -9`).toEqual([])
    const killAfter = 40 + Math.floor(random() * 400)
    let stop = false
    const m = miner
    const sender = async () => {
      while (!stop && next < pool.length) {
        const size = 20 + Math.floor(random() * 180)
        const batch = pool.slice(next, next + size)
        next += batch.length
        // Some receipts again, acknowledged or not: they must come back as duplicates or be stored now.
        if (random() < 0.3 && next > size) batch.push(pool[Math.floor(random() * (next - size))]!)
        try {
          const res = await fetch(`${m.url}/v1/receipts`, { method: "POST", headers: { "content-type": "application/octet-stream" }, body: encodeBinaryBatch(batch) })
          if (res.status !== 200) continue
          const body = (await res.json()) as { results: { index: number; status: string }[] }
          for (const r of body.results) if (r.status === "accepted" || r.status === "duplicate") acknowledged.add(key(batch[r.index]!))
        } catch {
          return // the process died under us
        }
      }
    }
    const senders = Array.from({ length: 4 }, sender)
    await new Promise((r) => setTimeout(r, killAfter))
    stop = true
    await miner.kill9()
    await Promise.all(senders)
    console.log(`[kill -9 ${label}] round ${round}: killed after ${killAfter} ms; ${acknowledged.size} acknowledged, ${next}/${pool.length} sent`)
  }
  // Final restart: nothing acknowledged is missing, and the log replays exactly what is stored.
  miner = await startMiner({ ...base, dev, dir, identity })
  try {
    const present = await storedKeys(miner.url)
    expect([...acknowledged].filter((k) => !present.has(k))).toEqual([])
    expect(acknowledged.size).toBeGreaterThan(0)
    const head = Number((await getJson(`${miner.url}/v1/events?limit=1`)).body.head)
    const fromFeed = new Set<string>()
    const cursors: number[] = []
    await new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(`${miner!.url.replace("http", "ws")}/v1/feed?since=0&types=receipts.accepted`)
      ws.on("message", (msg) => {
        const e = JSON.parse(String(msg)) as { cursor: string; data: { batch: string; count: number } }
        cursors.push(Number(e.cursor))
        const bytes = Buffer.from(e.data.batch, "base64")
        expect(bytes.length).toBe(e.data.count * FRAME_SIZE)
        for (let i = 0; i < e.data.count; i++) {
          const r = decodeReceipt(bytes.subarray(i * FRAME_SIZE, i * FRAME_SIZE + FRAME_SIZE - 64))
          const k = `${r.epoch}/${hex(r.nameHash)}/${hex(r.witness)}`
          if (fromFeed.has(k)) reject(new Error(`receipt ${k} in two events`))
          fromFeed.add(k)
        }
        if (Number(e.cursor) === head) {
          ws.close()
          resolve()
        }
      })
      ws.on("error", reject)
    })
    expect(cursors).toEqual([...cursors].sort((a, b) => a - b))
    expect(fromFeed).toEqual(present)
  } finally {
    await miner.stop()
    removeDir(dir!)
  }
}

describe("graceful shutdown", () => {
  it("SIGTERM mid-ingest: batches in flight are answered and stored, then the process exits 0", async () => {
    const dev = { epoch: EPOCH, witnesses: W.map((w) => ({ key: w.publicKey, stake: 5n })), names: NAMES.map((name) => ({ name, owner: keypair("k9-owner").publicKey })) }
    const pool: SignedReceipt[] = []
    for (const n of NAMES.slice(0, 8)) for (const w of W) pool.push(signReceipt(w, EPOCH, n, ROUTE))
    const identity = keypair("term-miner")
    let miner = await startMiner({ dev, identity })
    const dir = miner.dir
    const acknowledged = new Set<string>()
    let next = 0
    let answered = 0
    const m = miner
    const sender = async () => {
      while (next < pool.length) {
        const batch = pool.slice(next, next + 250)
        next += batch.length
        try {
          const res = await fetch(`${m.url}/v1/receipts`, { method: "POST", headers: { "content-type": "application/octet-stream" }, body: encodeBinaryBatch(batch) })
          if (res.status !== 200) continue
          answered++
          const body = (await res.json()) as { results: { index: number; status: string }[] }
          for (const r of body.results) if (r.status === "accepted" || r.status === "duplicate") acknowledged.add(key(batch[r.index]!))
        } catch {
          return // refused: the server stopped accepting
        }
      }
    }
    const senders = Array.from({ length: 4 }, sender)
    await new Promise((r) => setTimeout(r, 150))
    const t = Date.now()
    const code = await miner.stop()
    await Promise.all(senders)
    expect(code).toBe(0)
    expect(Date.now() - t).toBeLessThan(10_000)
    expect(answered).toBeGreaterThan(0)
    miner = await startMiner({ dev, dir, identity })
    try {
      const present = await storedKeys(miner.url)
      expect([...acknowledged].filter((k) => !present.has(k))).toEqual([])
    } finally {
      await miner.stop()
      removeDir(dir)
    }
  }, 60_000)
})

describe("kill -9 durability [API-1]", () => {
  it(`SQLite: every acknowledged receipt survives ${ROUNDS} SIGKILLs`, async () => {
    await runRounds("sqlite", {})
  }, 180_000)

  describe("PostgreSQL", () => {
    const available = findPostgresBin() !== undefined
    if (!available) warnNoPostgres("kill -9 durability against PostgreSQL")
    let pg: TestPostgres | undefined
    afterAll(() => pg?.stop())
    it.skipIf(!available)(`PostgreSQL: every acknowledged receipt survives ${ROUNDS} SIGKILLs`, async () => {
      pg = await startPostgres()
      const url = await pg.createDatabase("kill9")
      await runRounds("postgres", { storage: { kind: "postgres", url } })
    }, 180_000)
  })
})
