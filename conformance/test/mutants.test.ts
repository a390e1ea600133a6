/**
 * The suite against mutants: the reference adapter with one spec function swapped for a subtly
 * wrong one (conformance/adapters/mutants.ts). Against each the run must fail, with a shrunk
 * counterexample that names the broken rule — evidence that the suite would catch the same bug in an
 * outside implementation. Each run is narrowed to the property that catches the mutant, to stay quick.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { MUTANTS, patchSource } from "../adapters/mutants.ts"
import { referenceCommand, REPO_ROOT, runConformance } from "../suite/run.ts"

describe("mutants", () => {
  it("each patches exactly one place of today's spec", () => {
    for (const m of MUTANTS) expect(() => patchSource(m, readFileSync(join(REPO_ROOT, m.module), "utf8")), m.name).not.toThrow()
  })

  it.each(MUTANTS.map((m) => [m.name, m] as const))("%s fails the run with a shrunk counterexample naming its rule", async (_name, m) => {
    const r = await runConformance({
      adapter: referenceCommand(m.name),
      spec: "v1",
      only: [m.property],
      profile: "default",
      seed: 20_260_101,
      runs: m.property.startsWith("apply/") ? 60 : 300,
      timeoutMs: 10_000,
      log: () => undefined
    })
    expect(r.exitCode).toBe(1)
    expect(r.report.implementation).toContain(`mutant ${m.name}`)
    const failed = r.report.checks.filter((c) => c.status === "failed")
    // The property fails (vectors of the same operation may fail too, without a counterexample).
    const c = failed.find((x) => x.part === "properties" && x.name === m.property)!
    expect(c, `properties/${m.property} failed`).toBeDefined()
    expect(failed.every((x) => x === c || x.part === "vectors")).toBe(true)
    expect(c.rules).toContain(m.rule)
    expect(c.counterexample).toBeDefined()
    expect(c.counterexample!.input).toBeDefined()
    expect(r.summary).toMatch(new RegExp(`✗ properties/\\w+/${m.property.replace("/", "\\/")} \\[[^\\]]*${m.rule}`))
    expect(r.summary).toMatch(/counterexample after \d+ passing cases?, shrunk \d+ times? \(seed 20260101, path "[\d:]+"\)/)
    expect(r.summary).toMatch(/verdict: FAIL/)
  })
})
