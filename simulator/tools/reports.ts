/**
 * `npm run sim:reports`: runs every scenario in scenarios/ on LiteSVM and saves its report under
 * `scenarios/reports/<scenario>/` — `report.html` (plots) and `metrics.json` — plus the coalition sweep's
 * phase plot and an index (`scenarios/reports/README.md`) that the spec site's researchers page lists.
 * Wall-clock times are left out, so regenerating an unchanged scenario changes no byte. The full
 * `events.jsonl` is not kept (it is large, and deterministic: `dotdns sim run` gives it back).
 *
 * Options: --no-sweep (skip the sweep, ~2 minutes on 2 cores), --only name1,name2
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { metricsJson } from "../engine/Outputs.ts"
import { runScenario } from "../engine/Run.ts"
import { runReport, sweepReport } from "../report/Html.ts"
import { loadScenario } from "../scenario/Scenario.ts"
import { runSweep } from "../sweep/Sweep.ts"

const DIR = fileURLToPath(new URL("../../scenarios/", import.meta.url))
const OUT = join(DIR, "reports")
const only = process.argv.includes("--only") ? (process.argv[process.argv.indexOf("--only") + 1] ?? "").split(",") : undefined
const withSweep = !process.argv.includes("--no-sweep") && (only === undefined || only.includes("sweep-coalition"))

for (const file of readdirSync(DIR).filter((f) => f.endsWith(".yaml")).sort()) {
  const scenario = loadScenario(join(DIR, file))
  if (scenario.sweep !== undefined || (only !== undefined && !only.includes(scenario.name))) continue
  process.stderr.write(`${scenario.name} … `)
  const r = await runScenario(scenario, { backend: "litesvm" })
  const dir = join(OUT, scenario.name)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, "report.html"), runReport(r, scenario))
  writeFileSync(join(dir, "metrics.json"), metricsJson(r))
  process.stderr.write(`${r.status} (${r.expectations.filter((e) => e.ok).length}/${r.expectations.length})\n`)
}

if (withSweep) {
  const scenario = loadScenario(join(DIR, "sweep-coalition.yaml"))
  process.stderr.write(`${scenario.name}: sweeping …\n`)
  const result = await runSweep(scenario, { backend: "litesvm" })
  const dir = join(OUT, scenario.name)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, "report.html"), sweepReport({ scenario, grid: result.grid, x: result.x, y: result.y, cells: result.cells, backend: "litesvm" }))
  const cells = result.cells.map(({ wallMs: _ignored, ...c }) => c)
  writeFileSync(join(dir, "sweep.json"), `${JSON.stringify({ scenario: scenario.name, backend: "litesvm", grid: result.grid, x: result.x, y: result.y ?? null, cells }, null, 2)}\n`)
}

// The index, from whatever reports are there now.
const rows: string[] = []
for (const file of readdirSync(DIR).filter((f) => f.endsWith(".yaml")).sort()) {
  const scenario = loadScenario(join(DIR, file))
  const dir = join(OUT, scenario.name)
  const first = (scenario.description.trim().split(/(?<=\.)\s/)[0] ?? "").replace(/\|/g, "\\|")
  if (scenario.sweep !== undefined) {
    if (!existsSync(join(dir, "sweep.json"))) continue
    const sweep = JSON.parse(readFileSync(join(dir, "sweep.json"), "utf8")) as { cells: unknown[] }
    rows.push(`| [${scenario.name}](${scenario.name}/report.html) | sweep | ${sweep.cells.length} runs | ${first} |`)
    continue
  }
  if (!existsSync(join(dir, "metrics.json"))) continue
  const m = JSON.parse(readFileSync(join(dir, "metrics.json"), "utf8")) as { status: string; expectations: { ok: boolean }[] }
  rows.push(`| [${scenario.name}](${scenario.name}/report.html) | ${m.status} | ${m.expectations.filter((e) => e.ok).length}/${m.expectations.length} | ${first} |`)
}
writeFileSync(
  join(OUT, "README.md"),
  [
    "# Simulation reports",
    "",
    "The latest report of every scenario in `scenarios/`, run on LiteSVM by `npm run sim:reports` (each",
    "`report.html` is self-contained: inline SVG, no scripts). `dotdns sim run scenarios/<name>.yaml` gives",
    "the same run back, with its byte-identical `events.jsonl`.",
    "",
    "| scenario | status | expectations | what it shows |",
    "| --- | --- | --- | --- |",
    ...rows,
    ""
  ].join("\n")
)
