/**
 * Compute units of the on-chain program (programs/dotdns/dotdns.so on LiteSVM, in lockstep with the
 * executable spec) per instruction and per proof depth 0..20, against the spec's budgets: submit_aggregate
 * ≤ 8k (the first one creates the Round), finalize_round ≤ 8k, an equivocation proof ≤ 12k, a pin and a
 * bad-leaf proof ≤ 15k (the pin at depth 20, the deepest a tree of 2^20 leaves has). The limit is the
 * budget; the ratio is units / budget (goal ≤ 1).
 *
 * The paths are the program tests' own (programs/dotdns/test/cu-paths.ts, which cu.test.ts asserts and
 * `npm run bench:cu` tabulates in programs/dotdns/cu.md); this reads them into the common result format.
 *
 * `node bench/cu.ts [--json]`
 */
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { notMeasured, printJsonResults, type BenchResult } from "./lib/result.ts"

const CU_PATHS = fileURLToPath(new URL("../programs/dotdns/test/cu-paths.ts", import.meta.url))

export const run = async (): Promise<BenchResult[]> => {
  if (!existsSync(CU_PATHS)) return [notMeasured("cu", "compute units per instruction", "programs/dotdns/test/cu-paths.ts is not there")]
  const { BUDGETS, challengePaths, mainPaths, pinDepths } = await import("../programs/dotdns/test/cu-paths.ts")
  const rerun = { args: ["bench/cu.ts", "--json"] }
  const out: BenchResult[] = []
  const others: string[] = []
  for (const p of [...mainPaths(), ...challengePaths()]) {
    if (p.units.length === 0) continue
    const max = Math.max(...p.units)
    const budget = p.kind === "pinLeaf" ? undefined : BUDGETS[p.kind]
    if (budget === undefined) {
      others.push(`${p.kind} (${p.path}) ${max}`)
      continue
    }
    out.push({
      id: `cu.${p.kind}.${p.path.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 40)}`,
      figure: `CU: ${p.kind} — ${p.path}`,
      value: max,
      unit: "CU",
      limit: { what: `spec budget of ${p.kind}`, value: budget, unit: "CU" },
      ratio: Number((max / budget).toFixed(3)),
      ratioNote: "figure / budget",
      goal: { on: "ratio", op: "<=", target: 1 },
      ...(p.units.length > 1 ? { detail: `max of ${p.units.length}: ${p.units.join(", ")}` } : {}),
      rerun
    })
  }
  const depths = [...pinDepths()].sort((a, b) => a[0] - b[0])
  const d20 = depths.find(([d]) => d === 20)?.[1]
  const pinBudget = BUDGETS.pinLeaf ?? 15000
  const [d0, dMax] = [depths[0]!, depths[depths.length - 1]!]
  out.push({
    id: "cu.pinLeaf.depth-20",
    figure: "CU: pinLeaf at proof depth 20 (the deepest path of a tree of up to 2^20 leaves)",
    value: d20 ?? null,
    unit: "CU",
    limit: { what: "spec budget of pinLeaf", value: pinBudget, unit: "CU" },
    ...(d20 !== undefined ? { ratio: Number((d20 / pinBudget).toFixed(3)) } : {}),
    ratioNote: "figure / budget",
    goal: { on: "ratio", op: "<=", target: 1 },
    detail: `by depth: ${depths.map(([d, c]) => `d${d} ${c}`).join(", ")}; ≈ ${Math.round((dMax[1] - d0[1]) / Math.max(1, dMax[0] - d0[0]))} CU per level`,
    rerun,
    data: Object.fromEntries(depths)
  })
  out.push({
    id: "cu.other",
    figure: "CU: every other instruction, main path (no budget)",
    value: Math.max(...others.map((s) => Number(s.split(" ").pop()))),
    unit: "CU (max)",
    detail: others.join("; "),
    rerun
  })
  return out
}

if (import.meta.main) {
  const results = await run()
  if (process.argv.includes("--json")) printJsonResults(results)
  else for (const x of results) console.log(`${x.figure.padEnd(100)} ${String(x.value).padStart(6)} ${x.limit ? `/ ${x.limit.value}` : ""}  ${x.detail ?? ""}`)
}
