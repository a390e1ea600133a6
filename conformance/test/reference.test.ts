/**
 * The suite against the unmodified reference adapter (the executable spec) passes: every vector file
 * consumed, every property, every model-based trace — and the command line writes its reports.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { PROPERTIES } from "../suite/properties.ts"
import { REPO_ROOT, runConformance } from "../suite/run.ts"
import { loadVectors, vectorDir } from "../suite/vectors.ts"

describe("the reference adapter", () => {
  it("passes every part of the suite (properties with few cases)", async () => {
    const r = await runConformance({ spec: "v1", only: [], profile: "default", seed: 42, runs: 20, timeoutMs: 10_000, log: () => undefined })
    expect(r.report.checks.filter((c) => c.status !== "passed").map((c) => `${c.part}/${c.area}/${c.name}: ${c.reason}`)).toEqual([])
    expect(r.exitCode).toBe(0)
    expect(r.summary).toMatch(/verdict: PASS$/)
    const files = loadVectors(vectorDir("v1")).vectors.length
    expect(files).toBeGreaterThan(700)
    expect(r.report.checks.find((c) => c.area === "consumption")?.details).toEqual([`${files} of ${files} vector files consumed`])
    expect(r.report.checks.filter((c) => c.part === "vectors" && c.area !== "consumption")).toHaveLength(files)
    expect(r.report.checks.filter((c) => c.part === "properties").map((c) => c.name)).toEqual(PROPERTIES.map((p) => p.name))
    const machines = r.report.checks.filter((c) => c.part === "machines")
    expect(machines.filter((c) => c.name === "every transition covered").map((c) => c.area).sort()).toEqual(["challenge", "miner", "proposal", "round"])
    expect(machines.length).toBeGreaterThan(10)
  }, 120_000)

  it("runs from the command line and writes JUnit XML and JSON", () => {
    const dir = mkdtempSync(join(tmpdir(), "dotdns-conformance-"))
    try {
      const junit = join(dir, "report.xml")
      const json = join(dir, "report.json")
      const r = spawnSync(process.execPath, ["conformance/cli-main.ts", "run", "--only", "vectors,merkle", "--seed", "3", "--junit", junit, "--json", json], { cwd: REPO_ROOT, encoding: "utf8" })
      expect(r.status, r.stderr).toBe(0)
      expect(r.stdout).toMatch(/verdict: PARTIAL — restricted to vectors,merkle/)
      const report = JSON.parse(readFileSync(json, "utf8")) as { verdict: string; seed: number; checks: { status: string }[] }
      expect(report.verdict).toBe("partial")
      expect(report.seed).toBe(3)
      const xml = readFileSync(junit, "utf8")
      expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="dotdns conformance run" tests="(\d+)"/)
      expect(Number(/tests="(\d+)"/.exec(xml)![1])).toBe(report.checks.length)
      expect((xml.match(/<testcase /g) ?? []).length).toBe(report.checks.length)
      expect((xml.match(/<skipped /g) ?? []).length).toBe(report.checks.filter((c) => c.status === "not-run").length)
      expect(xml).toContain('<testsuite name="vectors.merkle"')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("refuses an unknown --only token as a usage error", () => {
    const r = spawnSync(process.execPath, ["conformance/cli-main.ts", "run", "--only", "nonsense"], { cwd: REPO_ROOT, encoding: "utf8" })
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/--only: "nonsense" is not a part/)
  })
})
