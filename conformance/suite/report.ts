/**
 * What a conformance run found, and its three renderings: a human summary (per part and area: passed,
 * failed, not run, time; then every failure with its counterexample; then why anything was not run),
 * JUnit XML for CI, and JSON. A check that was not run is never counted as passed [CNF-3].
 */

export type Status = "passed" | "failed" | "not-run"

/** A shrunk counterexample of a property. */
export interface Counterexample {
  /** The request's input, as sent. */
  readonly input: unknown
  /** What a human reads instead when the input is long: a scenario's parameters and its trace, one line per op. */
  readonly shown?: unknown
  readonly seed: number
  /** fast-check's replay path. */
  readonly path: string
  readonly shrinks: number
  /** The property held this many times before it failed. */
  readonly runsBeforeFailure: number
}

export interface Check {
  /** `vectors`, `properties`, `machines`, `program`, `miner`, or `suite` for the run's own checks. */
  readonly part: string
  /** Vector area, machine, or miner concern. */
  readonly area: string
  readonly name: string
  readonly status: Status
  readonly ms: number
  /** Why it failed (one line) or why it was not run. */
  readonly reason?: string
  readonly details?: readonly string[]
  /** The rules the check is about. */
  readonly rules?: readonly string[]
  readonly counterexample?: Counterexample
  /** Property cases run, and how many the adapter declined (CNF-2). */
  readonly cases?: number
  readonly declined?: number
}

export type Verdict = "pass" | "partial" | "fail"

export interface Report {
  readonly title: string
  readonly target: string
  readonly implementation?: string
  readonly spec: string
  readonly profile?: string
  readonly seed?: number
  readonly only?: readonly string[]
  readonly startedAt: string
  readonly ms: number
  readonly checks: readonly Check[]
  /** Things worth knowing that are not checks: adapter restarts, timeouts, versions. */
  readonly notes: readonly string[]
}

export const verdictOf = (r: Pick<Report, "checks" | "only">): Verdict => {
  if (r.checks.some((c) => c.status === "failed")) return "fail"
  if (r.checks.some((c) => c.status === "not-run") || (r.only !== undefined && r.only.length > 0)) return "partial"
  return "pass"
}

// ------------------------------------------------------------------------------------------------ human

/** The reasons the summary groups: an operation not in `hello.ops`, a check `--only` excluded. */
export const NOT_OFFERED = "the adapter does not offer "
export const LEFT_OUT = "left out by --only"

const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? "" : "s"}`

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`

interface Row {
  readonly part: string
  readonly area: string
  passed: number
  failed: number
  notRun: number
  ms: number
}

/** Rows of the table; checks `--only` left out are counted under NOT RUN instead. */
const rows = (checks: readonly Check[]): Row[] => {
  const by = new Map<string, Row>()
  for (const c of checks) {
    if (c.reason === LEFT_OUT) continue
    const k = `${c.part}\u0000${c.area}`
    let r = by.get(k)
    if (r === undefined) by.set(k, (r = { part: c.part, area: c.area, passed: 0, failed: 0, notRun: 0, ms: 0 }))
    if (c.status === "passed") r.passed++
    else if (c.status === "failed") r.failed++
    else r.notRun++
    r.ms += c.ms
  }
  return [...by.values()]
}

const indent = (lines: readonly string[], pad = "    "): string[] => lines.flatMap((l) => l.split("\n")).map((l) => `${pad}${l}`)

/** The counterexample as JSON, shortened where a value is long (hex of accounts, signatures). */
export const renderInput = (input: unknown, max = 2400): string => {
  const text = JSON.stringify(input, (_k, v: unknown) => (typeof v === "string" && v.length > 400 ? `${v.slice(0, 256)}…${v.slice(-64)} (${v.length} chars)` : v), 2)
  return text.length > max ? `${text.slice(0, max)}\n… (${text.length} chars; the JSON report has it in full)` : text
}

export const renderFailure = (c: Check): string[] => {
  const out = [`✗ ${c.part}/${c.area}/${c.name}${c.rules !== undefined && c.rules.length > 0 ? ` [${c.rules.join(", ")}]` : ""}`]
  if (c.reason !== undefined) out.push(`    ${c.reason}`)
  if (c.details !== undefined && c.details.length > 0) out.push(...indent(c.details.slice(0, 30)))
  const x = c.counterexample
  if (x !== undefined) {
    out.push(
      `    counterexample after ${plural(x.runsBeforeFailure, "passing case")}, shrunk ${plural(x.shrinks, "time")} (seed ${x.seed}, path "${x.path}"):`,
      ...indent(renderInput(x.shown ?? x.input).split("\n"), "      "),
      ...(x.shown !== undefined ? ["    (the request itself is in the JSON report)"] : [])
    )
  }
  return out
}


/**
 * Groups not-run checks by reason: "12 × vectors/names: declined by the adapter (CNF-2): …"; checks
 * of operations the adapter does not offer collapse into one line per part, listing the operations.
 */
const notRunLines = (checks: readonly Check[]): string[] => {
  const by = new Map<string, number>()
  const missing = new Map<string, Map<string, number>>()
  for (const c of checks) {
    if (c.status !== "not-run") continue
    const reason = c.reason ?? "not run"
    if (reason.startsWith(NOT_OFFERED)) {
      const ops = missing.get(c.part) ?? new Map<string, number>()
      const op = reason.slice(NOT_OFFERED.length)
      ops.set(op, (ops.get(op) ?? 0) + 1)
      missing.set(c.part, ops)
      continue
    }
    const k = reason === LEFT_OUT ? `${c.part}: ${reason}` : `${c.part}/${c.area}: ${reason}`
    by.set(k, (by.get(k) ?? 0) + 1)
  }
  const lines = [...by].map(([k, n]) => `  ${String(n).padStart(4)} × ${k}`)
  for (const [part, ops] of missing) {
    const n = [...ops.values()].reduce((a, b) => a + b, 0)
    lines.push(`  ${String(n).padStart(4)} × ${part}: operations the adapter does not offer: ${[...ops].map(([op, k]) => (k > 1 ? `${op} (${k})` : op)).join(", ")}`)
  }
  return lines
}

export const renderHuman = (r: Report): string => {
  const out: string[] = [r.title, `target: ${r.target}`]
  if (r.implementation !== undefined) out.push(`implementation: ${r.implementation}`)
  const meta = [`spec ${r.spec}`, ...(r.profile !== undefined ? [`profile ${r.profile}`] : []), ...(r.seed !== undefined ? [`seed ${r.seed}`] : [])]
  if (r.only !== undefined && r.only.length > 0) meta.push(`only ${r.only.join(",")}`)
  out.push(meta.join(", "), "")
  const table = rows(r.checks)
  const head = `${"part".padEnd(11)}${"area".padEnd(22)}${"passed".padStart(7)}${"failed".padStart(8)}${"not run".padStart(9)}${"time".padStart(9)}`
  out.push(head, "─".repeat(head.length))
  for (const row of table)
    out.push(`${row.part.padEnd(11)}${row.area.padEnd(22)}${String(row.passed).padStart(7)}${String(row.failed).padStart(8)}${String(row.notRun).padStart(9)}${seconds(row.ms).padStart(9)}`)
  const sum = (f: (x: Row) => number) => table.reduce((a, x) => a + f(x), 0)
  out.push("─".repeat(head.length), `${"total".padEnd(33)}${String(sum((x) => x.passed)).padStart(7)}${String(sum((x) => x.failed)).padStart(8)}${String(sum((x) => x.notRun)).padStart(9)}${seconds(r.ms).padStart(9)}`)
  const failures = r.checks.filter((c) => c.status === "failed")
  if (failures.length > 0) {
    out.push("", `FAILURES (${failures.length})`)
    for (const c of failures.slice(0, 40)) out.push(...renderFailure(c))
    if (failures.length > 40) out.push(`  … ${failures.length - 40} more (see the JSON or JUnit report)`)
  }
  const notRun = notRunLines(r.checks)
  if (notRun.length > 0) out.push("", "NOT RUN (never counted as passed)", ...notRun)
  if (r.notes.length > 0) out.push("", "NOTES", ...r.notes.map((n) => `  ${n}`))
  const v = verdictOf(r)
  out.push(
    "",
    v === "pass"
      ? "verdict: PASS"
      : v === "partial"
        ? `verdict: PARTIAL — ${r.only !== undefined && r.only.length > 0 ? `restricted to ${r.only.join(",")}; ` : ""}not a conformance pass [CNF-3]`
        : `verdict: FAIL — ${failures.length} check${failures.length === 1 ? "" : "s"} failed`
  )
  return out.join("\n")
}

// ------------------------------------------------------------------------------------------------ junit

const xml = (s: string): string =>
  // Characters XML 1.0 cannot carry at all are dropped; the rest escaped.
  s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, "").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

export const renderJunit = (r: Report): string => {
  const suites = new Map<string, Check[]>()
  for (const c of r.checks) {
    const k = `${c.part}.${c.area}`
    suites.set(k, [...(suites.get(k) ?? []), c])
  }
  const count = (cs: readonly Check[], s: Status) => cs.filter((c) => c.status === s).length
  const t = (ms: number) => (ms / 1000).toFixed(3)
  const lines = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="${xml(r.title)}" tests="${r.checks.length}" failures="${count(r.checks, "failed")}" skipped="${count(r.checks, "not-run")}" time="${t(r.ms)}">`
  ]
  for (const [name, cs] of suites) {
    lines.push(`  <testsuite name="${xml(name)}" tests="${cs.length}" failures="${count(cs, "failed")}" skipped="${count(cs, "not-run")}" time="${t(cs.reduce((a, c) => a + c.ms, 0))}">`)
    for (const c of cs) {
      const open = `    <testcase classname="${xml(name)}" name="${xml(c.name)}" time="${t(c.ms)}"`
      if (c.status === "passed") lines.push(`${open}/>`)
      else if (c.status === "not-run") lines.push(`${open}>`, `      <skipped message="${xml(c.reason ?? "not run")}"/>`, "    </testcase>")
      else lines.push(`${open}>`, `      <failure message="${xml(c.reason ?? "failed")}">${xml(renderFailure(c).join("\n"))}</failure>`, "    </testcase>")
    }
    lines.push("  </testsuite>")
  }
  lines.push("</testsuites>")
  return lines.join("\n") + "\n"
}

export const renderJson = (r: Report): string => JSON.stringify({ ...r, verdict: verdictOf(r) }, null, 2) + "\n"
