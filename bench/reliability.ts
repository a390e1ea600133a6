/**
 * `npm run reliability`: the reliability harness, bounded and on loopback only. Writes
 * `bench/results/reliability.md` and `reliability.json`.
 *
 *   kill9        N kills -9 of a real miner process mid-ingest; no acknowledged receipt lost  reference/miner/test/kill9-loop.ts
 *   rpc          RPC outages (port dropped, answers swallowed, flapping) under running miners;
 *                retries with backoff, one submission per epoch, rounds finalize            reliability/rpc-outage.ts
 *   soak         a miner at a fixed ingest rate for 10 minutes, RSS and heap sampled         reliability/soak.ts
 *   fuzz         the spec's decoders, ≥ 1M cases each                                        bench/fuzz-decoders.ts
 *   program      random and mutated instructions against the program; a rejection changes
 *                nothing, lamports conserved                                                 reliability/program-fuzz.ts
 *
 * Options: --only a,b (the other parts of the previous run are kept, marked with its date)   --kills N (10)   --outage-ms N (2500)   --soak-minutes N (10)   --soak-rate N
 * receipts/s (1000)   --fuzz-cases N per decoder (1000000)   --program-cases N (20000)   --seed N.
 * A part whose prerequisite is missing (the program not built, a module absent) is "not measured".
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { runNode } from "./adapters.ts"
import { machine, machineLine } from "./lib/machine.ts"

const ROOT = fileURLToPath(new URL("../", import.meta.url))
const option = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name)
  return i >= 0 && process.argv[i + 1] !== undefined ? Number(process.argv[i + 1]) : fallback
}
const log = (s: string) => process.stderr.write(`${s}\n`)
const SEED = option("--seed", Date.now() % 1_000_000)

export interface PartReport {
  readonly id: string
  readonly title: string
  /** true: passed; false: failed; null: not measured. */
  readonly pass: boolean | null
  readonly summary: string
  readonly notMeasured?: string
  readonly seconds: number
  readonly data?: unknown
  /** Set on a part kept from an earlier run (`--only` ran the others): that run's date. */
  readonly from?: string
}

const PROGRAM_SO = join(ROOT, "programs/dotdns/dotdns.so")
const MINER = join(ROOT, "reference/miner/cli-main.ts")

const part = async (id: string, title: string, needs: readonly [string, string][], f: () => Promise<Omit<PartReport, "id" | "title" | "seconds">>): Promise<PartReport> => {
  const t = Date.now()
  const missing = needs.filter(([path]) => !existsSync(path))
  if (missing.length > 0) return { id, title, pass: null, summary: "", notMeasured: missing.map(([, why]) => why).join("; "), seconds: 0 }
  try {
    return { id, title, ...(await f()), seconds: Math.round((Date.now() - t) / 1000) }
  } catch (e) {
    return { id, title, pass: false, summary: `threw: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`, seconds: Math.round((Date.now() - t) / 1000) }
  }
}

const PARTS: Record<string, () => Promise<PartReport>> = {
  kill9: () =>
    part("kill9", "Miner kill -9 loops (SQLite)", [[MINER, "the miner is not there"]], async () => {
      const { kill9Loops } = await import("../reference/miner/test/kill9-loop.ts")
      const r = await kill9Loops({ kills: option("--kills", 10), seed: SEED, label: "rel-k9", names: 64, log })
      return {
        pass: r.pass,
        summary:
          `${r.kills} SIGKILLs mid-ingest (after ${r.rounds.map((x) => x.killAfterMs).join(", ")} ms; batches in flight at each kill: ${r.rounds.map((x) => x.inFlightAtKill).join(", ")}); ` +
          `${r.acknowledged.toLocaleString("en-US")} receipts acknowledged, ${r.lost} lost, ${r.storedAtEnd.toLocaleString("en-US")} stored at the end, ${r.duplicatesStored} stored twice; seed ${r.seed}`,
        data: r
      }
    }),
  rpc: () =>
    part("rpc", "RPC outages under running miners", [[MINER, "the miner is not there"], [PROGRAM_SO, "the program is not built (npm run build:programs)"]], async () => {
      const { rpcOutages } = await import("./reliability/rpc-outage.ts")
      const r = await rpcOutages({ outageMs: option("--outage-ms", 2500), log })
      return {
        pass: r.pass,
        summary: r.epochs
          .map(
            (e) =>
              `epoch ${e.epoch} ${e.kind} ${e.outageMs} ms: landed after ${e.landedAfterMs ?? "—"} ms, ${e.distinctSignaturesFromA} distinct submission(s) from the miner (${e.sendsFromA} sends reached the chain), finalized ${e.finalized ? "yes" : "no"}${e.error ? ` — ${e.error}` : ""}`
          )
          .join("; ") + `; miner healthy at the end: ${r.healthyAtEnd}`,
        data: r
      }
    }),
  soak: () =>
    part("soak", "Soak at a fixed ingest rate, memory sampled", [[MINER, "the miner is not there"]], async () => {
      const { soak } = await import("./reliability/soak.ts")
      const minutes = option("--soak-minutes", 10)
      const r = await soak({ minutes, rate: option("--soak-rate", 1000), sampleMs: minutes <= 2 ? 1000 : 3000, log })
      return {
        pass: r.pass,
        summary:
          `${r.minutes} min at ${r.targetRate}/s target: ${r.achievedRate}/s achieved, ${r.accepted.toLocaleString("en-US")} of ${r.sent.toLocaleString("en-US")} accepted, ${r.failedBatches} failed batches, batch p99 ${r.batchP99Ms} ms; ` +
          `${r.samples} samples, warm-up ${r.warmupS} s; heap used ${r.heapUsed.early} → ${r.heapUsed.late} MiB (growth ${r.heapUsed.growth}, bound ${r.bounds.heapMiB}; max ${r.heapUsed.max}); ` +
          `RSS ${r.rss.early} → ${r.rss.late} MiB (growth ${r.rss.growth}, bound ${r.bounds.rssMiB}; max ${r.rss.max})`,
        data: r
      }
    }),
  fuzz: () =>
    part("fuzz", "Decoder fuzzing", [[join(ROOT, "bench/fuzz-decoders.ts"), "bench/fuzz-decoders.ts is not there"]], async () => {
      const n = option("--fuzz-cases", 1_000_000)
      const out = await runNode(["bench/fuzz-decoders.ts", String(n), String(SEED)], {}, 1_800_000)
      const lines = [...out.stdout.matchAll(/^(\S+)\s+(\d+) decoded\s+(\d+) rejected\s+([\d.]+) s/gm)]
      const decoders = lines.map((m) => ({ decoder: m[1]!, decoded: Number(m[2]), rejected: Number(m[3]), seconds: Number(m[4]) }))
      const total = decoders.reduce((s, d) => s + d.decoded + d.rejected, 0)
      const finding = out.code !== 0 ? (out.stderr.trim().split("\n").find((l) => /Error|finding/i.test(l)) ?? out.stderr.trim().split("\n").slice(-1)[0]) : undefined
      return {
        pass: out.code === 0 && decoders.length > 0 && decoders.every((d) => d.decoded + d.rejected >= n),
        summary: `${decoders.length} decoders × ${n.toLocaleString("en-US")} cases = ${total.toLocaleString("en-US")} cases in ${Math.round(out.seconds)} s, seed ${SEED}; ${finding ? `finding: ${finding}` : "no finding (every input decoded and re-encoded to itself, or was rejected with its typed error)"}`,
        data: { seed: SEED, casesPerDecoder: n, decoders, exit: out.code }
      }
    }),
  program: () =>
    part("program", "Random instruction fuzzing against the program", [[PROGRAM_SO, "the program is not built (npm run build:programs)"]], async () => {
      const { programFuzz } = await import("./reliability/program-fuzz.ts")
      const r = await programFuzz({ cases: option("--program-cases", 20_000), maxSeconds: 240, seed: SEED, log })
      return {
        pass: r.pass,
        summary:
          `${r.cases.toLocaleString("en-US")} transactions (${r.accepted} accepted, ${r.rejected} rejected) in ${r.seconds} s, seed ${r.seed}; ` +
          `${r.violations.length === 0 ? "every rejection left every account as it was (the payer's fee aside) and lamports were conserved in every case" : `${r.violations.length} violations: ${r.violations.slice(0, 3).join("; ")}`}; ` +
          `by mutation: ${Object.entries(r.byMutation).map(([k, v]) => `${k} ${v.cases} (${v.accepted} accepted)`).join(", ")}`,
        data: r
      }
    })
}

const markdown = (m: ReturnType<typeof machine>, parts: readonly PartReport[], seconds: number): string => {
  const verdict = (p: PartReport) => (p.pass === null ? "not measured" : p.pass ? "✓ pass" : "✗ FAIL")
  return [
    "# dotdns reliability — latest run",
    "",
    machineLine(m),
    "",
    `\`npm run reliability\` took ${Math.round(seconds)} s. Loopback only; every loop is bounded in count and time.`,
    "",
    "| part | result | what was seen | time |",
    "| --- | --- | --- | --- |",
    ...parts.map((p) => `| ${p.title}${p.from ? ` (run of ${p.from.slice(0, 16).replace("T", " ")})` : ""} | ${verdict(p)} | ${(p.notMeasured !== undefined ? `not measured: ${p.notMeasured}` : p.summary).replace(/\|/g, "\\|")} | ${p.seconds} s |`),
    "",
    "## Criteria",
    "",
    "- **kill -9**: after every restart, each receipt the miner ever answered \"accepted\" or \"duplicate\" is served back by `GET /v1/receipts`; at the end no receipt is stored twice.",
    "- **RPC outages**: for each outage kind, the miner behind the failing RPC gets its aggregate on-chain, the round finalizes, and the proxy saw exactly one distinct `submit_aggregate` signature from it for that epoch (retries re-send the same bytes).",
    "- **soak**: every batch answered and every receipt accepted at ≥ 95% of the target rate; after a warm-up (a fifth of the run, at least 30 s) the median heap used of the last fifth of samples exceeds that of the first fifth by ≤ 32 MiB, RSS by ≤ 64 MiB.",
    "- **decoder fuzzing**: every decoder meets ≥ 1M random and mutated inputs; each decodes and re-encodes to exactly its input, or is rejected with its typed error.",
    "- **program fuzzing**: a rejected transaction changes no account (data, lamports) except the fee payer's fee; over every known account and every key of the transaction, lamports fall by exactly the fee, accepted or not.",
    "",
    ...soakSeries(parts.find((p) => p.id === "soak"))
  ].join("\n")
}

/** The soak's memory over time, one row per sixth of the run (from the samples in the JSON). */
const soakSeries = (p: PartReport | undefined): string[] => {
  const series = (p?.data as { series?: { t: number; rssMiB: number; heapUsedMiB: number }[] } | undefined)?.series
  if (series === undefined || series.length < 2) return []
  const step = Math.max(1, Math.floor(series.length / 6))
  const rows = series.filter((_, i) => i % step === 0 || i === series.length - 1)
  return [
    "## Soak: the miner's memory",
    "",
    "| t (s) | RSS (MiB) | heap used (MiB) |",
    "| ---: | ---: | ---: |",
    ...rows.map((x) => `| ${x.t} | ${x.rssMiB} | ${x.heapUsedMiB} |`),
    ""
  ]
}

const main = async () => {
  const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1]!.split(",") : undefined
  const m = machine()
  log(`reliability — ${machineLine(m)}`)
  const t0 = Date.now()
  const parts: PartReport[] = []
  for (const [id, f] of Object.entries(PARTS)) {
    if (only !== undefined && !only.includes(id)) continue
    log(`▶ ${id}`)
    const p = await f()
    log(`  ${p.pass === null ? "not measured" : p.pass ? "pass" : "FAIL"}: ${p.notMeasured ?? p.summary}`)
    parts.push(p)
  }
  const seconds = (Date.now() - t0) / 1000
  const out = join(ROOT, "bench/results")
  mkdirSync(out, { recursive: true })
  // A partial run (--only) keeps the other parts of the previous run, marked with its date.
  if (only !== undefined && existsSync(join(out, "reliability.json"))) {
    const prev = JSON.parse(readFileSync(join(out, "reliability.json"), "utf8")) as { machine: { date: string }; parts: PartReport[] }
    const order = Object.keys(PARTS)
    for (const p of prev.parts) if (!only.includes(p.id)) parts.push({ ...p, from: p.from ?? prev.machine.date })
    parts.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id))
  }
  writeFileSync(join(out, "reliability.json"), `${JSON.stringify({ machine: m, seconds: Math.round(seconds), parts }, null, 2)}\n`)
  writeFileSync(join(out, "reliability.md"), markdown(m, parts, seconds))
  log(`wrote bench/results/reliability.md and reliability.json (${Math.round(seconds)} s)`)
  if (parts.some((p) => p.pass === false)) process.exitCode = 1
}

if (import.meta.main) await main()
