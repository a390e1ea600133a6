/**
 * Compute units against the spec's budgets (spec/v1/12-accounts-and-instructions.md, "Compute
 * budgets"): submit_aggregate ≤ 8k (the first submission creates the Round too), finalize ≤ 8k, an
 * equivocation proof ≤ 12k, a pin at any depth up to 20 and a bad-leaf proof ≤ 15k. The paths live in
 * cu-paths.ts, which `npm run bench:cu` also runs to write programs/dotdns/cu.md. `DOTDNS_CU=1`
 * prints the table here.
 */
import { describe, expect, it } from "vitest"
import { MAX_PROOF_DEPTH } from "../../../spec/src/merkle.ts"
import type { OpKind } from "../../../spec/src/ops.ts"
import { BUDGETS, challengePaths, mainPaths, pinDepths, span, type CuPath } from "./cu-paths.ts"

const report = process.env["DOTDNS_CU"] === "1"
const all: CuPath[] = []

const withinBudget = (paths: readonly CuPath[]): void => {
  for (const p of paths) {
    expect(p.units.length, `${p.kind}: ${p.path} was measured`).toBeGreaterThan(0)
    const budget = BUDGETS[p.kind]
    if (budget !== undefined) for (const u of p.units) expect(u, `${p.kind}: ${p.path}`).toBeLessThanOrEqual(budget)
  }
  all.push(...paths)
}

describe("compute units", () => {
  it("of every instruction on its main path", () => {
    const paths = mainPaths()
    withinBudget(paths)
    const kinds = new Set(paths.map((p) => p.kind))
    for (const k of ["initialize", "submitAggregate", "finalizeRound", "claimWitnessReward", "execute", "advanceEpoch"] satisfies OpKind[]) expect(kinds).toContain(k)
  })

  it("of every challenge", () => {
    withinBudget(challengePaths())
  })

  it("of a pin at every proof depth 0..20", () => {
    const byDepth = pinDepths()
    expect([...byDepth.keys()]).toEqual(Array.from({ length: MAX_PROOF_DEPTH + 1 }, (_, d) => d))
    for (const [d, u] of byDepth) expect(u, `pin at depth ${d}`).toBeLessThanOrEqual(BUDGETS.pinLeaf!)
    // each level costs about the same: units grow with depth
    expect(byDepth.get(20)!).toBeGreaterThan(byDepth.get(0)!)
    all.push(...[...byDepth].map(([d, u]): CuPath => ({ kind: "pinLeaf", path: `depth ${d}`, units: [u] })))
    if (report) console.table(all.map((p) => ({ instruction: p.kind, path: p.path, units: span(p.units), budget: BUDGETS[p.kind] ?? "" })))
  })
})
