/**
 * The bench scripts other parts of the project own, run as child processes and read into the common
 * result format (`lib/result.ts`). A script that prints `{"results": [...]}` as its last stdout line
 * (given `--json`) is taken as is; the thin adapters below read the older shapes:
 *
 *   bench/miner-ingest.ts  text lines "N worker(s): verify …/s per core … ingest …/s … ratio …"
 *   bench/client-dns.ts    `--json`: one object { udp: {clientQps, unboundQps, ratio, …}, doh: {…}, … }
 *   bench/simulator.ts     `--json`: `{"results": [...]}` expected; or { simTxPerSecond, rawSvmTxPerSecond }
 *
 * Plus the conformance suite's default profile, timed end to end.
 */
import { spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { has } from "./lib/machine.ts"
import { lastJsonLine, notMeasured, type BenchResult } from "./lib/result.ts"

const ROOT = fileURLToPath(new URL("../", import.meta.url))

export interface Spawned {
  readonly code: number | string
  readonly stdout: string
  readonly stderr: string
  readonly seconds: number
}

/** Runs `node <args>` from the repository root, bounded by `timeoutMs` (SIGTERM, then SIGKILL). */
export const runNode = (args: readonly string[], env: Readonly<Record<string, string>> = {}, timeoutMs = 600_000): Promise<Spawned> =>
  new Promise((resolve) => {
    const t = process.hrtime.bigint()
    const child = spawn(process.execPath, [...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d) => (stdout += d))
    child.stderr.on("data", (d) => (stderr += d))
    const timer = setTimeout(() => {
      child.kill("SIGTERM")
      setTimeout(() => child.kill("SIGKILL"), 10_000).unref()
    }, timeoutMs)
    child.once("exit", (code, signal) => {
      clearTimeout(timer)
      resolve({ code: code ?? signal ?? -1, stdout, stderr, seconds: Number(process.hrtime.bigint() - t) / 1e9 })
    })
  })

const tail = (s: string, n = 400): string => s.trim().split("\n").slice(-4).join(" | ").slice(-n)

const commonResults = (out: Spawned): BenchResult[] | undefined => {
  const j = lastJsonLine(out.stdout)
  if (typeof j === "object" && j !== null && "results" in j && Array.isArray(j.results)) return j.results as BenchResult[]
  return undefined
}

const num = (s: string | undefined): number => Number((s ?? "NaN").replace(/,/g, ""))

// ------------------------------------------------------------------------------------------ miner ingest

export const minerIngest = async (opts: { quick?: boolean } = {}): Promise<BenchResult[]> => {
  const id = "ingest"
  if (!existsSync(`${ROOT}bench/miner-ingest.ts`)) return [notMeasured(id, "miner ingest receipts/s", "bench/miner-ingest.ts is not there yet")]
  const env: Record<string, string> = opts.quick ? { BENCH_RECEIPTS: "30000" } : {}
  const args = ["bench/miner-ingest.ts", "--json"]
  const out = await runNode(args, env, 900_000)
  const common = commonResults(out)
  if (common) return common
  const WORKER_LINE = /(\d+) workers?\s*: verify ([\d,]+)\/s per core.*?ingest ([\d,]+) receipts\/s \(([\d,]+) in ([\d.]+) s\)\s+ratio ([\d.]+)/
  const text = out.stdout.split("\n")
  const lines = text.flatMap((l, i) => {
    const m = WORKER_LINE.exec(l)
    // the line after a worker line may account for the CPU time ("CPU: miner … s (verification alone …)")
    return m === null ? [] : [{ m, cpu: /CPU:\s*(.*)$/.exec(text[i + 1] ?? "")?.[1]?.trim() }]
  })
  if (out.code !== 0 || lines.length === 0) return [notMeasured(id, "miner ingest receipts/s", `bench/miner-ingest.ts exited ${out.code}: ${tail(out.stderr || out.stdout)}`)]
  return lines.map(({ m, cpu }) => {
    const workers = Number(m[1])
    const verify = num(m[2])
    const rate = num(m[3])
    return {
      id: `ingest.workers-${workers}`,
      figure: `miner ingest, ${workers} verify worker${workers > 1 ? "s" : ""} (real miner process, HTTP binary batches, SQLite synchronous=FULL)`,
      value: Math.round(rate),
      unit: "receipts/s",
      limit: { what: `${workers} × single-core spec ed25519 verify (${verify.toLocaleString("en-US")}/s, mean of before and after)`, value: workers * verify, unit: "verify/s" },
      ratio: num(m[6]),
      ratioNote: "figure / limit",
      goal: { on: "ratio", op: ">=", target: 0.8 },
      detail: `${num(m[4]).toLocaleString("en-US")} receipts in ${m[5]} s${cpu ? `; CPU: ${cpu}` : ""}`,
      rerun: { args, env: { ...env, BENCH_WORKERS: String(workers) } }
    }
  })
}

// ------------------------------------------------------------------------------------------ client DNS

interface DnsJson {
  readonly udp: { clientQps: number; unboundQps: number; ratio: number; roundRatios: number[]; nodeFloorQps: number; ratioToNodeFloor: number; goal: number }
  readonly doh: Record<string, { p50: number; p99: number }>
  readonly dohP99GoalMs: number
  readonly pinned: boolean
  readonly loadAverage: { start: number[]; end: number[] }
}

export const clientDns = async (opts: { quick?: boolean } = {}): Promise<BenchResult[]> => {
  const id = "dns"
  const figure = "cached .dns over UDP and DoH"
  if (!existsSync(`${ROOT}bench/client-dns.ts`)) return [notMeasured(id, figure, "bench/client-dns.ts is not there yet")]
  const missing = ["dnsperf", "unbound", "dig"].filter((t) => !has(t))
  if (missing.length > 0) return [notMeasured(id, figure, `${missing.join(", ")} not installed (apt-get install dnsperf unbound dnsutils)`)]
  const args = ["bench/client-dns.ts", "--json", ...(opts.quick ? ["--rounds", "3", "--seconds", "2", "--doh", "1000"] : ["--rounds", "6", "--seconds", "3"])]
  const out = await runNode(args, {}, 900_000)
  const common = commonResults(out)
  if (common) return common
  const j = lastJsonLine(out.stdout) as DnsJson | undefined
  if (out.code !== 0 || j === undefined || j.udp === undefined) return [notMeasured(id, figure, `bench/client-dns.ts exited ${out.code}: ${tail(out.stderr || out.stdout)}`)]
  const rerun = { args }
  const results: BenchResult[] = [
    {
      id: "dns.udp",
      figure: "cached .dns A over UDP, dotdns client (one Node process) vs unbound (1 thread, local-data), dnsperf",
      value: j.udp.clientQps,
      unit: "q/s",
      limit: { what: "unbound, same machine, same run", value: j.udp.unboundQps, unit: "q/s" },
      ratio: j.udp.ratio,
      ratioNote: "figure / limit (median of per-round ratios)",
      goal: { on: "ratio", op: ">=", target: j.udp.goal ?? 1 },
      detail: `per-round ratios ${j.udp.roundRatios.join(", ")}; CPUs pinned: ${j.pinned}; load ${j.loadAverage.start.join(" ")} → ${j.loadAverage.end.join(" ")}`,
      rerun
    },
    {
      id: "dns.udp.nodeFloor",
      figure: "cached .dns A over UDP, dotdns client vs a bare Node UDP responder (the ceiling of any Node program)",
      value: j.udp.clientQps,
      unit: "q/s",
      limit: { what: "bare Node dgram responder, same run", value: j.udp.nodeFloorQps, unit: "q/s" },
      ratio: j.udp.ratioToNodeFloor,
      ratioNote: "figure / limit",
      detail: "for scale: no goal",
      rerun
    }
  ]
  for (const [series, v] of Object.entries(j.doh))
    results.push({
      id: `dns.doh.${series}`,
      figure: `DoH on loopback, ${series} (sequential), p99 (p50 ${v.p50.toFixed(3)} ms)`,
      value: Number(v.p99.toFixed(3)),
      unit: "ms",
      goal: { on: "value", op: "<=", target: j.dohP99GoalMs ?? 2 },
      detail: `p50 ${v.p50.toFixed(3)} ms, p99 ${v.p99.toFixed(3)} ms (median of 3 series)`,
      rerun
    })
  return results
}

// ------------------------------------------------------------------------------------------ simulator

export const simulator = async (opts: { quick?: boolean } = {}): Promise<BenchResult[]> => {
  const id = "simulator"
  const figure = "simulator tx/s against raw SVM"
  if (!existsSync(`${ROOT}bench/simulator.ts`)) return [notMeasured(id, figure, "bench/simulator.ts is not there yet (the simulator is being built)")]
  const args = ["bench/simulator.ts", "--json", ...(opts.quick ? ["--quick"] : [])]
  const out = await runNode(args, {}, 900_000)
  const common = commonResults(out)
  if (common) return common
  const j = lastJsonLine(out.stdout) as Record<string, unknown> | undefined
  const sim = Number(j?.["simTxPerSecond"] ?? j?.["txPerSecond"])
  const raw = Number(j?.["rawSvmTxPerSecond"] ?? j?.["rawTxPerSecond"])
  if (out.code !== 0 || !Number.isFinite(sim) || !Number.isFinite(raw))
    return [notMeasured(id, figure, `bench/simulator.ts exited ${out.code} without {"results": [...]} or {simTxPerSecond, rawSvmTxPerSecond}: ${tail(out.stderr || out.stdout)}`)]
  const goal = Number(j?.["goal"])
  return [
    {
      id: "simulator.tx",
      figure,
      value: Math.round(sim),
      unit: "tx/s",
      limit: { what: "raw LiteSVM, same run", value: Math.round(raw), unit: "tx/s" },
      ratio: Number((sim / raw).toFixed(3)),
      ratioNote: "figure / limit",
      ...(Number.isFinite(goal) ? { goal: { on: "ratio", op: ">=", target: goal } } : {}),
      rerun: { args }
    }
  ]
}

// ------------------------------------------------------------------------------------------ conformance

/** The conformance suite's documented bound for the default profile (conformance/README.md: "under 60 s"). */
export const CONFORMANCE_BUDGET_S = 60

export const conformance = async (): Promise<BenchResult[]> => {
  const id = "conformance.default"
  const figure = "conformance suite, default profile, reference adapter (`node conformance/cli-main.ts run`)"
  if (!existsSync(`${ROOT}conformance/cli-main.ts`)) return [notMeasured(id, figure, "conformance/cli-main.ts is not there")]
  const args = ["conformance/cli-main.ts", "run"]
  const out = await runNode(args, {}, 600_000)
  if (out.code !== 0) return [notMeasured(id, figure, `the suite exited ${out.code}: ${tail(out.stderr || out.stdout)}`)]
  const lines = out.stdout.split("\n").map((l) => l.trim())
  const summary = [lines.find((l) => /^total\s/.test(l))?.replace(/\s+/g, " "), lines.find((l) => /^verdict:/.test(l))].filter((x) => x !== undefined).join(" · ")
  return [
    {
      id,
      figure,
      value: Number(out.seconds.toFixed(1)),
      unit: "s",
      limit: { what: "documented bound for the default profile on two cores", value: CONFORMANCE_BUDGET_S, unit: "s" },
      ratio: Number((out.seconds / CONFORMANCE_BUDGET_S).toFixed(3)),
      ratioNote: "figure / bound",
      goal: { on: "ratio", op: "<=", target: 1 },
      ...(summary ? { detail: `${summary} (passed, failed, not run, time inside the suite)` } : {}),
      rerun: { args }
    }
  ]
}
