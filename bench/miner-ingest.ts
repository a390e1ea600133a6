/**
 * Miner ingest throughput, end to end, against the single-core cost of what dominates it.
 *
 *   1. node:crypto ed25519 verify/s on one core (spec `verify`, warm key cache) — the ceiling per worker;
 *   2. the real miner process (SQLite, synchronous=FULL, dev-fixed chain) ingesting binary batches over
 *      HTTP with 1 and then 2 verify workers: accepted receipts/s from first request to last answer;
 *   3. the ratio of (2) to workers × (1). Goal ≥ 0.8: verification, not the rest of the pipeline,
 *      bounds ingest.
 *
 * Run: npm run bench:ingest  (BENCH_RECEIPTS, BENCH_BATCH, BENCH_CONCURRENCY, BENCH_WORKERS=1,2 to change)
 */
import { readFileSync } from "node:fs"
import { cpus, loadavg } from "node:os"
import type { SignedReceipt } from "../spec/src/aggregate.ts"
import { verify } from "../spec/src/ed25519.ts"
import { receiptDigest } from "../spec/src/objects.ts"
import { encodeBinaryBatch, keypair, removeDir, signReceipt, startMiner } from "../reference/miner/test/helpers.ts"

const RECEIPTS = Number(process.env.BENCH_RECEIPTS ?? 120_000)
const BATCH = Number(process.env.BENCH_BATCH ?? 1000)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 6)
const WORKER_COUNTS = (process.env.BENCH_WORKERS ?? "1,2").split(",").map(Number)
const WITNESSES = 2000
const EPOCH = 5n

const fmt = (n: number) => Math.round(n).toLocaleString("en-US")

// ------------------------------------------------------------------------------------------ receipts

const log = (s: string) => console.log(s)
log(`miner ingest bench — ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), load average ${loadavg().map((x) => x.toFixed(2)).join(" ")}`)
log(`signing ${fmt(RECEIPTS)} receipts from ${WITNESSES} witnesses …`)
const W = Array.from({ length: WITNESSES }, (_, i) => keypair("bench-witness", i))
const names = Array.from({ length: Math.ceil(RECEIPTS / WITNESSES) }, (_, i) => `bench${i}.dns`)
const receipts: SignedReceipt[] = []
for (let n = 0; receipts.length < RECEIPTS; n++) for (let w = 0; w < WITNESSES && receipts.length < RECEIPTS; w++) receipts.push(signReceipt(W[w]!, EPOCH, names[n]!, new Uint8Array(32).fill(7)))
const batches: Uint8Array[] = []
for (let i = 0; i < receipts.length; i += BATCH) batches.push(encodeBinaryBatch(receipts.slice(i, i + BATCH)))

// ------------------------------------------------------------------------------- 1. single core

const singleCore = (): number => {
  const sample = receipts.slice(0, Math.min(40_000, receipts.length))
  const digests = sample.map((r) => receiptDigest(r.receipt))
  for (let i = 0; i < Math.min(WITNESSES, sample.length); i++) verify(sample[i]!.receipt.witness, digests[i]!, sample[i]!.signature) // warm the key cache
  const t = performance.now()
  let ok = 0
  for (let i = 0; i < sample.length; i++) if (verify(sample[i]!.receipt.witness, digests[i]!, sample[i]!.signature)) ok++
  const s = (performance.now() - t) / 1000
  if (ok !== sample.length) throw new Error("a bench receipt failed to verify")
  return sample.length / s
}

// ------------------------------------------------------------------------------------ 2. end to end

/** CPU seconds (user + system, all threads) a process has used so far, from /proc. */
const processCpu = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
  return (Number(fields[11]) + Number(fields[12])) / 100 // utime, stime in clock ticks (USER_HZ = 100)
}

interface IngestRun {
  readonly rate: number
  readonly seconds: number
  readonly accepted: number
  /** CPU seconds of the miner process (main thread + workers) and of this client during the run. */
  readonly minerCpu: number
  readonly clientCpu: number
}

const ingest = async (workers: number): Promise<IngestRun> => {
  const miner = await startMiner({
    dev: { epoch: EPOCH, witnesses: W.map((w) => ({ key: w.publicKey, stake: 1_000_000_000n })), names: names.map((name) => ({ name, owner: W[0]!.publicKey })) },
    verifyWorkers: workers,
    http: { maxBatch: Math.max(BATCH, 20_000), maxBodyBytes: 64 * 1024 * 1024 }
  })
  try {
    let next = 0
    let accepted = 0
    const cpu0 = { miner: processCpu(miner.proc.pid!), client: process.cpuUsage() }
    const t = performance.now()
    const client = async () => {
      while (next < batches.length) {
        const body = batches[next++]!
        const res = await fetch(`${miner.url}/v1/receipts`, { method: "POST", headers: { "content-type": "application/octet-stream" }, body })
        const json = (await res.json()) as { accepted?: number; error?: { message: string } }
        if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${json.error?.message}`)
        accepted += json.accepted ?? 0
      }
    }
    await Promise.all(Array.from({ length: CONCURRENCY }, client))
    const seconds = (performance.now() - t) / 1000
    const clientUsage = process.cpuUsage(cpu0.client)
    const minerCpu = processCpu(miner.proc.pid!) - cpu0.miner
    if (accepted !== receipts.length) throw new Error(`accepted ${accepted} of ${receipts.length}`)
    return { rate: accepted / seconds, seconds, accepted, minerCpu, clientCpu: (clientUsage.user + clientUsage.system) / 1e6 }
  } finally {
    await miner.stop()
    removeDir(miner.dir)
  }
}

log(`\n1. node:crypto ed25519 verify, one core (spec verify over receipt digests, warm key cache)`)
log(`2. miner ingest over HTTP (binary batches of ${BATCH}, ${CONCURRENCY} concurrent requests, SQLite synchronous=FULL)`)
log(`   The single-core rate is measured right before and after each ingest run, and the ratio uses their mean,`)
log(`   so a machine shared with other work skews both sides alike.\n`)
for (const workers of WORKER_COUNTS) {
  const before = singleCore()
  const r = await ingest(workers)
  const after = singleCore()
  const baseline = (before + after) / 2
  const ratio = r.rate / (workers * baseline)
  const verifyCpu = r.accepted / baseline
  log(
    `   ${workers} worker${workers === 1 ? " " : "s"}: verify ${fmt(baseline)}/s per core (${fmt(before)} before, ${fmt(after)} after)  ` +
      `ingest ${fmt(r.rate)} receipts/s (${fmt(r.accepted)} in ${r.seconds.toFixed(2)} s)  ratio ${ratio.toFixed(2)} ${ratio >= 0.8 ? "≥ 0.8 ✓" : "< 0.8 ✗"}`
  )
  log(
    `              CPU: miner ${r.minerCpu.toFixed(2)} s (verification alone ≈ ${verifyCpu.toFixed(2)} s, the rest ≈ ${(r.minerCpu - verifyCpu).toFixed(2)} s = ` +
      `${(((r.minerCpu - verifyCpu) * 1e6) / r.accepted).toFixed(1)} µs/receipt), client ${r.clientCpu.toFixed(2)} s; ` +
      `${((r.minerCpu + r.clientCpu) / r.seconds).toFixed(2)} of ${cpus().length} cores busy`
  )
}
log(`\nload average after: ${loadavg().map((x) => x.toFixed(2)).join(" ")}`)
