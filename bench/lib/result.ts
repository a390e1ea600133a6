/**
 * The common result format of every benchmark under `bench/`.
 *
 * A bench module either exports `run(options): Promise<BenchResult[]>`, or — a script run on its own —
 * prints, as the last line of its stdout when given `--json`, one JSON object `{"results": BenchResult[]}`.
 * `bench/run.ts` aggregates both kinds (and adapts the older scripts' own output in `bench/adapters.ts`).
 *
 * A figure is a value measured beside a *limit* of this machine measured in the same run; the *ratio*
 * relates the two (how it does is said in `ratioNote`), and the *goal* is on the ratio or on the value.
 * A figure that could not be measured carries `notMeasured` (why) and is never counted as met.
 */

export interface Goal {
  /** What the goal is about: the ratio, or the value itself. */
  readonly on: "ratio" | "value"
  readonly op: ">=" | "<="
  readonly target: number
}

export interface Limit {
  /** What the limit is: "node:crypto ed25519 verify, 1 core × 2 workers". */
  readonly what: string
  readonly value: number
  readonly unit: string
}

export interface BenchResult {
  /** Stable id, `group.figure` (e.g. `merkle.leafNodes`). */
  readonly id: string
  /** The runner's group (limits, merkle, …), set by `bench/run.ts`. */
  readonly group?: string
  /** Set by `bench/run.ts` on a figure kept from an earlier run (`--only` measured the others). */
  readonly from?: string
  /** What is measured, for the table. */
  readonly figure: string
  readonly value: number | null
  readonly unit: string
  readonly limit?: Limit
  readonly ratio?: number
  /** How the ratio is formed ("figure / limit", "limit / figure"). */
  readonly ratioNote?: string
  readonly goal?: Goal
  /** Filled by `evaluate`. */
  readonly met?: boolean | null
  /** Why the figure was not measured (a prerequisite missing); never met. */
  readonly notMeasured?: string
  /** A short note shown under the table. */
  readonly detail?: string
  /**
   * How to run only this figure again, to profile it where the goal is missed: a script and its
   * arguments, run by `process.execPath` from the repository root.
   */
  readonly rerun?: { readonly args: readonly string[]; readonly env?: Readonly<Record<string, string>> }
  /** Set by the runner for a missed goal: where the time goes. */
  readonly profile?: ProfileSummary
  /** Anything else worth keeping in the JSON. */
  readonly data?: unknown
}

export interface ProfileFrame {
  readonly fn: string
  readonly where: string
  readonly selfMs: number
  readonly selfPct: number
}

export interface ProfileSummary {
  /** One entry per profiled thread, heaviest first. */
  readonly threads: readonly { readonly label: string; readonly totalMs: number; readonly waitingMs?: number; readonly top: readonly ProfileFrame[] }[]
  readonly note?: string
}

export const notMeasured = (id: string, figure: string, why: string, extra: Partial<BenchResult> = {}): BenchResult => ({
  id,
  figure,
  value: null,
  unit: "",
  ...extra,
  notMeasured: why
})

/** How far a missed goal is: "short by 63% (0.300 vs ≥ 0.800)", "over by 4% (2.08 vs ≤ 2.00)". */
export const shortfall = (r: BenchResult): string | undefined => {
  if (r.goal === undefined || r.met !== false) return undefined
  const x = r.goal.on === "ratio" ? r.ratio : r.value
  if (x === undefined || x === null || x === 0) return undefined
  const t = r.goal.target
  return r.goal.op === ">="
    ? `short by ${((1 - x / t) * 100).toFixed(0)}% (${fmt(x)} vs ≥ ${fmt(t)})`
    : `over by ${((x / t - 1) * 100).toFixed(0)}% (${fmt(x)} vs ≤ ${fmt(t)})`
}

export const evaluate = (r: BenchResult): BenchResult => {
  if (r.notMeasured !== undefined || r.value === null) return { ...r, met: null }
  if (r.goal === undefined) return { ...r, met: null }
  const x = r.goal.on === "ratio" ? r.ratio : r.value
  if (x === undefined || x === null || !Number.isFinite(x)) return { ...r, met: null }
  return { ...r, met: r.goal.op === ">=" ? x >= r.goal.target : x <= r.goal.target }
}

export const goalText = (g: Goal | undefined, unit = ""): string =>
  g === undefined ? "—" : `${g.on === "ratio" ? "ratio" : "value"} ${g.op === ">=" ? "≥" : "≤"} ${fmt(g.target)}${g.on === "value" && unit ? ` ${unit}` : ""}`

/** Three significant figures, thousands separated. */
export const fmt = (x: number): string => {
  if (!Number.isFinite(x)) return String(x)
  const a = Math.abs(x)
  if (a >= 1000) return Math.round(x).toLocaleString("en-US")
  if (a >= 100) return x.toFixed(0)
  if (a >= 10) return x.toFixed(1)
  if (a >= 1) return x.toFixed(2)
  if (a === 0) return "0"
  return x.toPrecision(3)
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

/** Runs `f` and returns seconds of wall time. */
export const time = (f: () => unknown): number => {
  const t = process.hrtime.bigint()
  f()
  return Number(process.hrtime.bigint() - t) / 1e9
}

/** Writes `{"results": [...]}` as the last stdout line: the contract of a bench script run with `--json`. */
export const printJsonResults = (results: readonly BenchResult[]): void => {
  process.stdout.write(`${JSON.stringify({ results })}\n`)
}

/** The last stdout line that parses as a JSON object, or undefined. */
export const lastJsonLine = (stdout: string): unknown => {
  const lines = stdout.split("\n").map((l) => l.trim()).filter((l) => l.startsWith("{") || l.startsWith("["))
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      return JSON.parse(lines[i]!)
    } catch {
      /* not JSON */
    }
  }
  return undefined
}
