/**
 * The kill -9 loop [API-1], shared by the test (a few kills, both stores) and the reliability harness
 * (`npm run reliability`, more kills): a real miner process takes concurrent binary batches, is
 * SIGKILLed at a random moment while a batch is in flight, and is restarted on the same data directory.
 * After every restart each receipt it ever acknowledged ("accepted" or "duplicate") must be served
 * back; at the end every stored receipt is stored once. Seeded, so a failing run is replayed by its seed.
 */
import type { SignedReceipt } from "../../../spec/src/aggregate.ts"
import { hex } from "../../../spec/src/bytes.ts"
import { nameHash } from "../../../spec/src/name.ts"
import { encodeBinaryBatch, getJson, keypair, removeDir, signReceipt, startMiner, witnesses, type MinerOptions, type MinerProcess } from "./helpers.ts"

export interface Kill9Round {
  readonly killAfterMs: number
  readonly acknowledged: number
  readonly sent: number
  readonly inFlightAtKill: number
  /** Acknowledged receipts missing after the restart that followed this kill. */
  readonly lost: number
}

export interface Kill9Report {
  readonly pass: boolean
  readonly seed: number
  readonly kills: number
  readonly rounds: readonly Kill9Round[]
  readonly acknowledged: number
  readonly storedAtEnd: number
  readonly lost: number
  readonly duplicatesStored: number
  readonly seconds: number
}

export interface Kill9Options {
  readonly kills: number
  readonly seed: number
  /** Names the keypairs (witnesses, owner, miner) derive from. */
  readonly label: string
  /** Distinct receipts: 2 epochs × `names` × 250 witnesses. */
  readonly names: number
  /** Store and other miner options; `dev`, `dir` and `identity` are the loop's. */
  readonly base?: Omit<MinerOptions, "dev" | "dir" | "identity">
  readonly log?: (line: string) => void
  /** Runs against the miner restarted after the last kill, before it stops, with what it stores. */
  readonly atEnd?: (miner: MinerProcess, stored: ReadonlySet<string>) => Promise<void>
}

/** mulberry32: small and seedable. */
const rng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const EPOCH = 20n
const ROUTE = new Uint8Array(32).fill(0x5e)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export const receiptKey = (r: SignedReceipt): string => `${r.receipt.epoch}/${hex(r.receipt.nameHash)}/${hex(r.receipt.witness)}`

export const kill9Loops = async (o: Kill9Options): Promise<Kill9Report> => {
  const t0 = Date.now()
  const log = o.log ?? (() => {})
  const random = rng(o.seed)
  const names = Array.from({ length: o.names }, (_, i) => `${o.label}-${i}.dns`)
  const W = witnesses(250, o.label)
  const pool: SignedReceipt[] = []
  for (const epoch of [EPOCH, EPOCH - 1n]) for (const n of names) for (const w of W) pool.push(signReceipt(w, epoch, n, ROUTE))
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[pool[i], pool[j]] = [pool[j]!, pool[i]!]
  }
  const stored = async (url: string): Promise<{ keys: Set<string>; rows: number }> => {
    const keys = new Set<string>()
    let rows = 0
    for (const epoch of [EPOCH, EPOCH - 1n])
      for (const n of names) {
        const page = await getJson(`${url}/v1/receipts?epoch=${epoch}&nameHash=${hex(nameHash(n))}&limit=10000`)
        for (const r of page.body.receipts as { receipt: { epoch: string; nameHash: string; witness: string } }[]) {
          rows++
          keys.add(`${r.receipt.epoch}/${r.receipt.nameHash}/${r.receipt.witness}`)
        }
      }
    return { keys, rows }
  }
  const dev = { epoch: EPOCH, witnesses: W.map((w) => ({ key: w.publicKey, stake: 5n })), names: names.map((name) => ({ name, owner: keypair(`${o.label}-owner`).publicKey })) }
  const identity = keypair(`${o.label}-miner`)
  const acknowledged = new Set<string>()
  const rounds: Kill9Round[] = []
  const missing = (present: Set<string>) => [...acknowledged].filter((k) => !present.has(k)).length
  let next = 0
  let sentTotal = 0
  let dir: string | undefined
  let miner: MinerProcess | undefined
  let lostTotal = 0
  try {
    for (let round = 0; round < o.kills; round++) {
      miner = await startMiner({ ...o.base, dev, dir, identity })
      dir = miner.dir
      if (round > 0) {
        const lost = missing((await stored(miner.url)).keys)
        lostTotal += lost
        rounds[round - 1] = { ...rounds[round - 1]!, lost }
      }
      const killAfter = 40 + Math.floor(random() * 400)
      let stop = false
      let inFlight = 0
      const m = miner
      const sender = async () => {
        while (!stop) {
          if (next >= pool.length) next = 0 // the pool is spent: send it again (duplicates now)
          const size = 20 + Math.floor(random() * 180)
          const batch = pool.slice(next, next + size)
          next += batch.length
          sentTotal += batch.length
          // Some receipts again, acknowledged or not: they must come back as duplicates or be stored now.
          if (random() < 0.3 && next > size) batch.push(pool[Math.floor(random() * (next - size))]!)
          inFlight++
          try {
            const res = await fetch(`${m.url}/v1/receipts`, { method: "POST", headers: { "content-type": "application/octet-stream" }, body: encodeBinaryBatch(batch) })
            if (res.status !== 200) continue
            const body = (await res.json()) as { results: { index: number; status: string }[] }
            for (const r of body.results) if (r.status === "accepted" || r.status === "duplicate") acknowledged.add(receiptKey(batch[r.index]!))
          } catch {
            return // the process died under us
          } finally {
            inFlight--
          }
        }
      }
      const senders = Array.from({ length: 4 }, sender)
      await sleep(killAfter)
      // mid-ingest: a batch is on its way when the kill comes
      for (let i = 0; i < 200 && inFlight === 0; i++) await sleep(5)
      const atKill = inFlight
      stop = true
      await miner.kill9()
      await Promise.all(senders)
      rounds.push({ killAfterMs: killAfter, acknowledged: acknowledged.size, sent: sentTotal, inFlightAtKill: atKill, lost: 0 })
      log(`kill -9 ${round + 1}/${o.kills}: after ${killAfter} ms, ${atKill} batches in flight; ${acknowledged.size} acknowledged so far`)
    }
    miner = await startMiner({ ...o.base, dev, dir, identity })
    const end = await stored(miner.url)
    const lost = missing(end.keys)
    lostTotal += lost
    if (rounds.length > 0) rounds[rounds.length - 1] = { ...rounds[rounds.length - 1]!, lost }
    await o.atEnd?.(miner, end.keys)
    await miner.stop()
    return {
      pass: lostTotal === 0 && acknowledged.size > 0 && end.rows === end.keys.size,
      seed: o.seed,
      kills: o.kills,
      rounds,
      acknowledged: acknowledged.size,
      storedAtEnd: end.keys.size,
      lost: lostTotal,
      duplicatesStored: end.rows - end.keys.size,
      seconds: Math.round((Date.now() - t0) / 1000)
    }
  } finally {
    if (miner !== undefined && miner.proc.exitCode === null && miner.proc.signalCode === null) await miner.kill9()
    if (dir !== undefined) removeDir(dir)
  }
}
