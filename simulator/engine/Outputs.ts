/**
 * What a run leaves in its output directory: `events.jsonl` (the deterministic event log),
 * `metrics.json` (the measurements and the expectations' results, also deterministic) and
 * `report.html` (plots; it also shows the wall-clock time, so it is not byte-stable).
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { runReport } from "../report/Html.ts"
import type { Scenario } from "../scenario/Scenario.ts"
import type { RunResult } from "./Run.ts"

export const metricsJson = (r: RunResult): string =>
  `${JSON.stringify({ ...r.metrics, status: r.status, ...(r.reason === undefined ? {} : { reason: r.reason }), expectations: r.expectations }, null, 2)}\n`

export const writeRunOutputs = (dir: string, r: RunResult, s: Scenario): { readonly events: string; readonly metrics: string; readonly report: string } => {
  mkdirSync(dir, { recursive: true })
  const paths = { events: join(dir, "events.jsonl"), metrics: join(dir, "metrics.json"), report: join(dir, "report.html") }
  writeFileSync(paths.events, r.events)
  writeFileSync(paths.metrics, metricsJson(r))
  writeFileSync(paths.report, runReport(r, s, { wallMs: r.wallMs }))
  return paths
}
