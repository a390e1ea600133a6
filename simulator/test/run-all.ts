/** Shared body of the per-backend scenario suites. */
import { describe, expect, it } from "vitest"
import { runScenario } from "../engine/Run.ts"
import { loadScenario } from "../scenario/Scenario.ts"
import type { Backend } from "../world/Svm.ts"
import { NEEDS_SIGNATURE_CHECKS, REQUIRED_SCENARIOS, SCENARIO_DIR } from "./scenarios.ts"

export const scenarioSuite = (backend: Backend): void => {
  describe(`scenarios on ${backend}`, () => {
    for (const name of REQUIRED_SCENARIOS)
      it(name, async () => {
        const scenario = loadScenario(`${SCENARIO_DIR}${name}.yaml`)
        const r = await runScenario(scenario, { backend })
        if (backend === "bankrun" && NEEDS_SIGNATURE_CHECKS.has(name)) {
          expect(r.status).toBe("not-applicable")
          expect(r.reason).toMatch(/signature-checks/)
          return
        }
        const failed = r.expectations.filter((e) => !e.ok).map((e) => `line ${e.line}: ${e.text} — ${e.detail}`)
        expect(failed, `${name} on ${backend}`).toEqual([])
        expect(r.status).toBe("passed")
        expect(r.expectations.length).toBeGreaterThan(0)
      }, 120_000)
  })
}
