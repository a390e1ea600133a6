/**
 * `npm run bench`: every benchmark of the project in one run, each figure beside a limit of this machine
 * measured in the same run, written to `bench/results/latest.md` and `latest.json`.
 *
 *   limits       node:crypto ed25519 verify/s per core, sha256 of 64–96 B, LiteSVM tx/s   bench/limits.ts
 *   merkle       Merkle-sum root of 2^20 leaves, fast path and reference                  bench/merkle.ts
 *   cu           compute units per instruction and per proof depth vs the budgets          bench/cu.ts
 *   ingest       miner ingest with 1 and 2 verify workers vs workers × verify/s            bench/miner-ingest.ts
 *   dns          cached UDP queries/s vs unbound, DoH p50/p99                              bench/client-dns.ts
 *   simulator    simulator tx/s vs raw SVM                                                 bench/simulator.ts
 *   conformance  the conformance suite's default profile, timed                            conformance/cli-main.ts
 *
 * Every group runs as its own child process (a fresh heap and JIT; nothing of one disturbs the next).
 * A figure whose goal is missed is run again with every Node thread under the V8 CPU profiler, and its
 * heaviest frames go into the report. A figure whose prerequisite is missing is "not measured", never met.
 *
 * Options: --only g1,g2   --quick (smaller counts, for a smoke run)   --no-profile   --readme (also
 * rewrite the README's `## Performance` section)   --out DIR (default bench/results)   --render (write
 * latest.md, and the README with --readme, again from latest.json without measuring).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { clientDns, conformance, minerIngest, runNode, simulator } from "./adapters.ts"
import { machine, machineLine, type Machine } from "./lib/machine.ts"
import { profileRun } from "./lib/profile.ts"
import { evaluate, fmt, goalText, lastJsonLine, notMeasured, shortfall, type BenchResult } from "./lib/result.ts"

const ROOT = fileURLToPath(new URL("../", import.meta.url))
const option = (name: string): string | undefined => {
  const i = process.argv.indexOf(name)
  return i >= 0 ? process.argv[i + 1] : undefined
}
const QUICK = process.argv.includes("--quick")
const PROFILE = !process.argv.includes("--no-profile")
const OUT = option("--out") ?? join(ROOT, "bench/results")
const log = (s: string) => process.stderr.write(`${s}\n`)

/** One of our own modules, as a child process printing `{"results": [...]}`. */
const own = (group: string, script: string, extra: readonly string[] = []) => async (): Promise<BenchResult[]> => {
  const out = await runNode([script, "--json", ...(QUICK ? ["--quick"] : []), ...extra], {}, 900_000)
  const j = lastJsonLine(out.stdout) as { results?: BenchResult[] } | undefined
  if (out.code !== 0 || j?.results === undefined) return [notMeasured(group, script, `${script} exited ${out.code}: ${out.stderr.trim().split("\n").slice(-3).join(" | ").slice(-400)}`)]
  return j.results
}

const GROUPS: Record<string, () => Promise<BenchResult[]>> = {
  limits: own("limits", "bench/limits.ts"),
  merkle: own("merkle", "bench/merkle.ts", QUICK ? ["--leaves", String(1 << 17)] : []),
  cu: own("cu", "bench/cu.ts"),
  ingest: () => minerIngest({ quick: QUICK }),
  dns: () => clientDns({ quick: QUICK }),
  simulator: () => simulator({ quick: QUICK }),
  conformance: () => conformance()
}

// ------------------------------------------------------------------------------------------ report

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ")

const valueText = (r: BenchResult): string =>
  (r.notMeasured !== undefined ? `not measured: ${r.notMeasured}` : r.value === null ? "—" : `${fmt(r.value)} ${r.unit}`) + (r.from ? ` (run of ${r.from.slice(0, 16).replace("T", " ")})` : "")
const limitText = (r: BenchResult): string => (r.limit === undefined ? "—" : `${fmt(r.limit.value)} ${r.limit.unit} (${r.limit.what})`)
const metText = (r: BenchResult): string => {
  if (r.notMeasured !== undefined) return "not measured"
  if (r.met === true) return "✓ met"
  if (r.met === false) return `✗ ${shortfall(r) ?? "missed"}`
  return r.id.startsWith("limit.") ? "(limit)" : "— (no goal)"
}

/** The figures table (markdown), limits first. */
export const table = (results: readonly BenchResult[]): string => {
  const rows = [
    "| figure | value | limit (same run) | ratio | goal | met? |",
    "| --- | --- | --- | --- | --- | --- |",
    ...results.map(
      (r) =>
        `| ${cell(r.figure)} | ${cell(valueText(r))} | ${cell(limitText(r))} | ${r.ratio === undefined ? "—" : `${fmt(r.ratio)}${r.ratioNote ? ` (${r.ratioNote})` : ""}`} | ${cell(goalText(r.goal, r.unit))} | ${cell(metText(r))} |`
    )
  ]
  return rows.join("\n")
}

const profileText = (results: readonly BenchResult[]): string => {
  const missed = results.filter((r) => r.met === false)
  if (missed.length === 0) return "Every measured goal is met: nothing to profile.\n"
  const parts: string[] = []
  for (const r of missed) {
    parts.push(`### ${r.figure}\n\n${shortfall(r) ?? "missed"}.${r.rerun ? ` Re-run profiled: \`node ${r.rerun.args.join(" ")}\`${r.rerun.env ? ` with ${Object.entries(r.rerun.env).map(([k, v]) => `${k}=${v}`).join(" ")}` : ""}.` : ""}\n`)
    const p = r.profile
    if (p === undefined) {
      parts.push("(not profiled in this run)\n")
      continue
    }
    if (p.note) parts.push(`${p.note}.\n`)
    for (const t of p.threads) {
      parts.push(`**${t.label}** — ${fmt(t.totalMs)} ms sampled${t.waitingMs ? ` (and ${fmt(t.waitingMs)} ms blocked in a native wait such as spawnSync, left out)` : ""}:\n`)
      parts.push("| self ms | self % | function | where |\n| ---: | ---: | --- | --- |")
      for (const f of t.top) parts.push(`| ${fmt(f.selfMs)} | ${f.selfPct.toFixed(1)} | \`${cell(f.fn)}\` | ${cell(f.where)} |`)
      parts.push("")
    }
  }
  return parts.join("\n")
}

export const markdown = (m: Machine, results: readonly BenchResult[], seconds: number, quick = QUICK): string => {
  const notes = results.filter((r) => r.detail !== undefined && r.notMeasured === undefined).map((r) => `- ${r.figure}: ${r.detail}`)
  const counts = {
    met: results.filter((r) => r.met === true).length,
    missed: results.filter((r) => r.met === false).length,
    notMeasured: results.filter((r) => r.notMeasured !== undefined).length
  }
  return [
    "# dotdns benchmarks — latest run",
    "",
    `${machineLine(m)}`,
    "",
    `\`npm run bench\` took ${Math.round(seconds)} s${quick ? " (--quick: smaller counts)" : ""}: ${counts.met} goals met, ${counts.missed} missed, ${counts.notMeasured} not measured. ` +
      "Each figure stands beside a limit of this machine measured in the same run; the ratio relates the two, and the goal is on the ratio " +
      "(or, where stated, on the value). Rates are the best of several rounds unless a note says otherwise.",
    "",
    table(results),
    "",
    "## Notes",
    "",
    ...notes,
    "",
    "## Where the time goes (missed goals, profiled)",
    "",
    profileText(results)
  ].join("\n")
}

/** Rewrites (or appends) the README's `## Performance` section, touching nothing else. */
export const updateReadme = (m: Machine, results: readonly BenchResult[]): void => {
  const path = join(ROOT, "README.md")
  const text = readFileSync(path, "utf8")
  // The README keeps the limits the figures use: raw ed25519, sha256 at 95 B (a Merkle node), both SVM rates.
  const rows = results.filter((r) => !r.id.startsWith("limit.") || r.id === "limit.ed25519.verify" || r.id.startsWith("limit.sha256.95.") || r.id.startsWith("limit.svm."))
  const section = [
    "## Performance",
    "",
    `Latest \`npm run bench\` (${m.date.slice(0, 10)}; ${m.nproc} CPUs by \`nproc\`, ${m.cpuModel}, Node ${m.node}; load average at start`,
    `${m.loadAverage.join(" ")}). Every figure is a ratio against a limit of this machine measured in the same run, never an absolute`,
    "timing test, and none of it runs in `npm test`. The full report, with the sha256 rates at 64–96 B, notes and the profiles of",
    "missed goals, is `bench/results/latest.md` (`npm run bench -- --readme` rewrites this section); the reliability harness is",
    "`npm run reliability` (`bench/results/reliability.md`). The DNS comparison needs Debian's `unbound` and `dnsperf`",
    "(`apt-get install -y unbound dnsperf`); without them its rows read \"not measured\".",
    "",
    table(rows),
    ""
  ].join("\n")
  const at = text.search(/^## Performance\s*$/m)
  let next: string
  if (at < 0) next = `${text.trimEnd()}\n\n${section}`
  else {
    const rest = text.slice(at + 1)
    const end = rest.search(/^## /m)
    next = `${text.slice(0, at)}${section}${end < 0 ? "" : `\n${rest.slice(end)}`}`
  }
  writeFileSync(path, next.endsWith("\n") ? next : `${next}\n`)
}

// ------------------------------------------------------------------------------------------ main

/** `--render`: the report and README again from latest.json, without measuring. */
const render = () => {
  const j = JSON.parse(readFileSync(join(OUT, "latest.json"), "utf8")) as { machine: Machine; seconds: number; quick: boolean; results: BenchResult[] }
  const results = j.results.map((r) => ({ ...evaluate(r), ...(r.profile ? { profile: r.profile } : {}) }))
  writeFileSync(join(OUT, "latest.md"), markdown(j.machine, results, j.seconds, j.quick))
  if (process.argv.includes("--readme")) updateReadme(j.machine, results)
  log(`rendered ${join(OUT, "latest.md")} from latest.json`)
}

const main = async () => {
  if (process.argv.includes("--render")) return render()
  const only = option("--only")?.split(",")
  const unknown = (only ?? []).filter((g) => !(g in GROUPS))
  if (unknown.length > 0) throw new Error(`unknown group ${unknown.join(", ")}; groups: ${Object.keys(GROUPS).join(", ")}`)
  const m = machine()
  log(`bench — ${machineLine(m)}`)
  const t0 = process.hrtime.bigint()
  let results: BenchResult[] = []
  for (const [group, f] of Object.entries(GROUPS)) {
    if (only !== undefined && !only.includes(group)) continue
    const t = process.hrtime.bigint()
    log(`▶ ${group}`)
    let rs: BenchResult[]
    try {
      rs = await f()
    } catch (e) {
      rs = [notMeasured(group, group, `the bench threw: ${e instanceof Error ? e.message : String(e)}`)]
    }
    rs = rs.map((r) => evaluate({ ...r, group }))
    for (const r of rs) log(`  ${r.figure.slice(0, 88).padEnd(88)} ${valueText(r).slice(0, 40).padStart(18)}  ${metText(r)}`)
    log(`  (${(Number(process.hrtime.bigint() - t) / 1e9).toFixed(0)} s)`)
    results = [...results, ...rs]
  }
  if (PROFILE) {
    // One profiled re-run per distinct command (several figures can come from one script).
    const done = new Map<string, Awaited<ReturnType<typeof profileRun>>>()
    const profiled: BenchResult[] = []
    for (const r of results) {
      if (r.met !== false || r.rerun === undefined) {
        profiled.push(r)
        continue
      }
      const key = JSON.stringify(r.rerun)
      if (!done.has(key)) {
        log(`⏱ profiling ${r.id}: node ${r.rerun.args.join(" ")}`)
        done.set(key, await profileRun(r.rerun.args, r.rerun.env ?? {}))
      }
      profiled.push({ ...r, profile: done.get(key)! })
    }
    results = profiled
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  mkdirSync(OUT, { recursive: true })
  // A partial run (--only) keeps the other groups' figures of the previous run, marked with its date.
  if (only !== undefined && existsSync(join(OUT, "latest.json"))) {
    const prev = JSON.parse(readFileSync(join(OUT, "latest.json"), "utf8")) as { machine: Machine; results: BenchResult[] }
    const kept = prev.results.filter((r) => r.group !== undefined && !only.includes(r.group)).map((r) => ({ ...r, from: r.from ?? prev.machine.date }))
    const order = Object.keys(GROUPS)
    results = [...results, ...kept].sort((a, b) => order.indexOf(a.group ?? "") - order.indexOf(b.group ?? ""))
  }
  writeFileSync(join(OUT, "latest.json"), `${JSON.stringify({ machine: m, seconds: Math.round(seconds), quick: QUICK, results }, null, 2)}\n`)
  writeFileSync(join(OUT, "latest.md"), markdown(m, results, seconds))
  if (process.argv.includes("--readme")) updateReadme(m, results)
  log(`wrote ${join(OUT, "latest.md")} and latest.json (${Math.round(seconds)} s)`)
}

if (import.meta.main) await main()
