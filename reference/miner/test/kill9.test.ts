/**
 * Durability under kill -9 [API-1]: batches are posted concurrently, the miner is SIGKILLed at a random
 * moment, restarted on the same data, and every receipt it acknowledged must be there — several rounds
 * (the loop is `kill9-loop.ts`, which the reliability harness runs with more kills).
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
import { kill9Loops, receiptKey } from "./kill9-loop.ts"
import { findPostgresBin, startPostgres, warnNoPostgres, type TestPostgres } from "./postgres.ts"

const EPOCH = 20n
const NAMES = Array.from({ length: 24 }, (_, i) => `n${i}.dns`)
const W = witnesses(250, "k9")
const ROUTE = new Uint8Array(32).fill(0x5e)
const ROUNDS = 4

const key = receiptKey

const storedKeys = async (url: string): Promise<Set<string>> => {
  const out = new Set<string>()
  for (const epoch of [EPOCH, EPOCH - 1n])
    for (const n of NAMES) {
      const page = await getJson(`${url}/v1/receipts?epoch=${epoch}&nameHash=${hex(nameHash(n))}&limit=10000`)
      for (const r of page.body.receipts as { receipt: { epoch: string; nameHash: string; witness: string } }[]) out.add(`${r.receipt.epoch}/${r.receipt.nameHash}/${r.receipt.witness}`)
    }
  return out
}

/** The event log replays exactly what is stored, in cursor order, each receipt once [API-6]. */
const feedReplaysStored = async (miner: MinerProcess, stored: ReadonlySet<string>): Promise<void> => {
  const head = Number((await getJson(`${miner.url}/v1/events?limit=1`)).body.head)
  const fromFeed = new Set<string>()
  const cursors: number[] = []
  await new Promise<void>((resolve, reject) => {
    const ws = new WebSocket(`${miner.url.replace("http", "ws")}/v1/feed?since=0&types=receipts.accepted`)
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
  expect(fromFeed).toEqual(stored)
}

const runRounds = async (label: string, base: Omit<MinerOptions, "dev" | "dir" | "identity">) => {
  const seed = Number(process.env.DOTDNS_KILL9_SEED ?? Date.now() % 1_000_000)
  console.log(`[kill -9 ${label}] seed ${seed} (DOTDNS_KILL9_SEED to replay)`)
  let feedChecked = false
  const r = await kill9Loops({
    kills: ROUNDS,
    seed,
    label: `k9-${label}`,
    names: 24,
    base,
    log: (line) => console.log(`[kill -9 ${label}] ${line}`),
    atEnd: async (miner, stored) => {
      await feedReplaysStored(miner, stored)
      feedChecked = true
    }
  })
  expect(r.rounds.map((x) => x.lost), "acknowledged receipts lost after each kill -9").toEqual(Array(ROUNDS).fill(0))
  expect(r.lost).toBe(0)
  expect(r.acknowledged).toBeGreaterThan(0)
  expect(r.duplicatesStored).toBe(0)
  expect(feedChecked).toBe(true)
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
