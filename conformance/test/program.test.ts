/**
 * The program target: the suite's apply traces against the compiled program in LiteSVM, in lockstep
 * with the spec. It passes today; and a spec/program disagreement (here the spec side carries a
 * mutant, installed in the target's process by support/mutate.ts) is found, shrunk and reported with
 * the diverging op and the accounts that differ, field by field.
 */
import { spawnSync } from "node:child_process"
import { describe, expect, it } from "vitest"
import { runProgramTarget } from "../targets/program.ts"
import { REPO_ROOT } from "../suite/run.ts"

describe("the program target", () => {
  it("agrees with the spec on every transition vector, every machine trace and generated traces", async () => {
    const r = await runProgramTarget({ only: [], profile: "default", seed: 5, runs: 3, log: () => undefined })
    const bad = r.report.checks.filter((c) => c.status !== "passed")
    expect(bad.map((c) => `${c.area}/${c.name}: ${c.reason}\n${(c.details ?? []).join("\n")}`)).toEqual([])
    expect(r.exitCode).toBe(0)
    const areas = new Set(r.report.checks.map((c) => c.area))
    expect([...areas].sort()).toEqual(["generated", "machines", "vectors"])
    expect(r.report.checks.filter((c) => c.area === "vectors").length).toBeGreaterThan(190)
  }, 120_000)

  it("reports a divergence with the op, the differing account fields and a shrunk trace", () => {
    const r = spawnSync(
      process.execPath,
      ["--import", "./conformance/test/support/mutate.ts", "conformance/cli-main.ts", "program", "--only", "generated", "--runs", "10", "--seed", "3"],
      { cwd: REPO_ROOT, encoding: "utf8", env: { ...process.env, DOTDNS_MUTANT: "quorum-off-by-one" } }
    )
    expect(r.status, r.stderr).toBe(1)
    expect(r.stdout).toMatch(/✗ program\/generated\/scenario quorum/)
    expect(r.stdout).toMatch(/step \d+ \(finalizeRound\)/)
    expect(r.stdout).toMatch(/Round\/\w+\.status: spec 2, program 1/)
    expect(r.stdout).toMatch(/counterexample after \d+ passing cases?, shrunk \d+ times?/)
    expect(r.stdout).toMatch(/diverging ops \(first divergence of each failing trace\): finalizeRound/)
  }, 120_000)
})
