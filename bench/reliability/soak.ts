/**
 * Soak: a real miner process (dev-fixed chain, SQLite) takes receipts at a fixed rate for `minutes`,
 * while its main thread's memory (RSS, V8 heap used/total, external) is sampled every `sampleMs` from
 * inside it (`lib/mem-sampler-preload.ts`, loaded through NODE_OPTIONS: the miner's code is unchanged).
 * Every receipt is distinct (epoch × name × witness), signed as it is sent.
 *
 * Pass: every batch is answered 200 and every receipt accepted; the rate holds (≥ 95% of the target);
 * and memory does not grow without bound — after a warm-up (the first fifth of the run, at least 30 s),
 * the median of the last fifth of the samples exceeds the median of the first fifth after warm-up by at
 * most HEAP_BOUND_MIB of heap used and RSS_BOUND_MIB of RSS.
 */
import { createPrivateKey, sign as cSign, type KeyObject } from "node:crypto"
import { readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { nameHash } from "../../spec/src/name.ts"
import { receiptDigest } from "../../spec/src/objects.ts"
import { encodeBinaryBatch, keypair, removeDir, startMiner, witnesses } from "../../reference/miner/test/helpers.ts"

export const HEAP_BOUND_MIB = 32
export const RSS_BOUND_MIB = 64

const PRELOAD = fileURLToPath(new URL("../lib/mem-sampler-preload.ts", import.meta.url))
const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex")

export interface MemSample {
  readonly t: number
  readonly rss: number
  readonly heapUsed: number
  readonly heapTotal: number
  readonly external: number
}

export interface SoakReport {
  readonly pass: boolean
  readonly minutes: number
  readonly targetRate: number
  readonly achievedRate: number
  readonly sent: number
  readonly accepted: number
  readonly failedBatches: number
  readonly batchP99Ms: number
  readonly samples: number
  readonly warmupS: number
  /** MiB: median of the first fifth after warm-up, of the last fifth, and the growth. */
  readonly heapUsed: { readonly early: number; readonly late: number; readonly growth: number; readonly max: number }
  readonly rss: { readonly early: number; readonly late: number; readonly growth: number; readonly max: number }
  readonly bounds: { readonly heapMiB: number; readonly rssMiB: number }
  readonly series: readonly { t: number; rssMiB: number; heapUsedMiB: number }[]
}

const MiB = 1024 * 1024
const med = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? 0 : s[Math.floor(s.length / 2)]!
}

export const soak = async (opts: { minutes: number; rate?: number; sampleMs?: number; log?: (s: string) => void }): Promise<SoakReport> => {
  const log = opts.log ?? (() => {})
  const rate = opts.rate ?? 1000
  const sampleMs = opts.sampleMs ?? 3000
  const durationMs = opts.minutes * 60_000
  const tickMs = 100
  const perTick = Math.max(1, Math.round((rate * tickMs) / 1000))
  const total = Math.ceil((rate * durationMs) / 1000)
  const EPOCH = 30n
  const W = witnesses(500, "rel-soak")
  const names = Array.from({ length: Math.ceil(total / (2 * W.length)) + 1 }, (_, i) => `s${i}.dns`)
  const hashes = names.map((n) => nameHash(n))
  const priv: KeyObject[] = W.map((w) => createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, w.secretKey]), format: "der", type: "pkcs8" }))
  const route = new Uint8Array(32).fill(0x50)
  /** The k-th distinct receipt: witness-major within a name, both epochs. */
  const receiptAt = (k: number) => {
    const w = k % W.length
    const rest = Math.floor(k / W.length)
    const epoch = rest % 2 === 0 ? EPOCH : EPOCH - 1n
    const n = Math.floor(rest / 2)
    const receipt = { epoch, nameHash: hashes[n]!, routeHash: route, witness: W[w]!.publicKey }
    return { receipt, signature: new Uint8Array(cSign(null, receiptDigest(receipt), priv[w]!)) }
  }
  const memLog = join(tmpdir(), `dotdns-soak-mem-${process.pid}.jsonl`)
  rmSync(memLog, { force: true })
  const nodeOptions = [process.env["NODE_OPTIONS"] ?? "", `--import=${PRELOAD}`].join(" ").trim()
  const miner = await startMiner({
    dev: { epoch: EPOCH, witnesses: W.map((w) => ({ key: w.publicKey, stake: 7n })), names: names.map((name) => ({ name, owner: keypair("rel-soak-owner").publicKey })) },
    verifyWorkers: 1,
    env: { NODE_OPTIONS: nodeOptions, DOTDNS_MEM_LOG: memLog, DOTDNS_MEM_EVERY_MS: String(sampleMs) }
  })
  let sent = 0
  let accepted = 0
  let failedBatches = 0
  const latencies: number[] = []
  const t0 = Date.now()
  try {
    let lastLog = t0
    for (let tick = 0; sent < total; tick++) {
      // fixed rate: tick k is due at t0 + k·tickMs; a late tick is sent at once (and the rate shows it)
      const due = t0 + tick * tickMs
      const wait = due - Date.now()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
      const batch = Array.from({ length: Math.min(perTick, total - sent) }, (_, i) => receiptAt(sent + i))
      sent += batch.length
      const t = performance.now()
      try {
        const res = await fetch(`${miner.url}/v1/receipts`, { method: "POST", headers: { "content-type": "application/octet-stream" }, body: encodeBinaryBatch(batch) })
        const body = (await res.json()) as { accepted?: number }
        if (res.status !== 200) failedBatches++
        accepted += body.accepted ?? 0
      } catch {
        failedBatches++
      }
      latencies.push(performance.now() - t)
      if (Date.now() - lastLog > 60_000) {
        lastLog = Date.now()
        log(`soak: ${Math.round((Date.now() - t0) / 1000)} s, ${accepted} accepted`)
      }
    }
  } finally {
    await miner.stop()
    removeDir(miner.dir)
  }
  const elapsed = (Date.now() - t0) / 1000
  const samples = readFileSync(memLog, "utf8").trim().split("\n").map((l) => JSON.parse(l) as MemSample)
  rmSync(memLog, { force: true })
  const end = samples[samples.length - 1]?.t ?? 0
  const warmup = Math.max(30_000, end / 5)
  const after = samples.filter((s) => s.t >= warmup)
  const fifth = Math.max(1, Math.floor(after.length / 5))
  const early = after.slice(0, fifth)
  const late = after.slice(-fifth)
  const stat = (f: (s: MemSample) => number) => {
    const e = med(early.map(f)) / MiB
    const l = med(late.map(f)) / MiB
    return { early: Number(e.toFixed(1)), late: Number(l.toFixed(1)), growth: Number((l - e).toFixed(1)), max: Number((Math.max(...samples.map(f)) / MiB).toFixed(1)) }
  }
  const heapUsed = stat((s) => s.heapUsed)
  const rss = stat((s) => s.rss)
  const sorted = [...latencies].sort((a, b) => a - b)
  const achievedRate = accepted / elapsed
  return {
    pass: failedBatches === 0 && accepted === total && achievedRate >= 0.95 * rate && after.length >= 2 && heapUsed.growth <= HEAP_BOUND_MIB && rss.growth <= RSS_BOUND_MIB,
    minutes: opts.minutes,
    targetRate: rate,
    achievedRate: Math.round(achievedRate),
    sent,
    accepted,
    failedBatches,
    batchP99Ms: Number((sorted[Math.floor(0.99 * (sorted.length - 1))] ?? 0).toFixed(1)),
    samples: samples.length,
    warmupS: Math.round(warmup / 1000),
    heapUsed,
    rss,
    bounds: { heapMiB: HEAP_BOUND_MIB, rssMiB: RSS_BOUND_MIB },
    series: samples.map((s) => ({ t: Math.round(s.t / 1000), rssMiB: Number((s.rss / MiB).toFixed(1)), heapUsedMiB: Number((s.heapUsed / MiB).toFixed(1)) }))
  }
}
