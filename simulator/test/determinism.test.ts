/**
 * Same scenario + seed + backend → byte-identical events.jsonl and metrics.json, run after run; a
 * different seed gives a different log.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { writeRunOutputs } from "../engine/Outputs.ts"
import { runScenario } from "../engine/Run.ts"
import { loadScenario } from "../scenario/Scenario.ts"
import type { Backend } from "../world/Svm.ts"
import { SCENARIO_DIR } from "./scenarios.ts"

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

const runs = async (name: string, backend: Backend, n: number, seed?: number) => {
  const out: { events: string; metrics: string }[] = []
  for (let i = 0; i < n; i++) {
    const scenario = loadScenario(`${SCENARIO_DIR}${name}.yaml`, seed === undefined ? {} : { seed })
    const dir = mkdtempSync(join(tmpdir(), "dotdns-sim-det-"))
    dirs.push(dir)
    const paths = writeRunOutputs(dir, await runScenario(scenario, { backend }), scenario)
    out.push({ events: readFileSync(paths.events, "utf8"), metrics: readFileSync(paths.metrics, "utf8") })
  }
  return out
}

describe("determinism", () => {
  it("an adversarial scenario gives byte-identical events.jsonl and metrics.json on litesvm", async () => {
    const [a, b] = await runs("withheld-reveal", "litesvm", 2)
    expect(a!.events.length).toBeGreaterThan(1000)
    expect(b!.events).toBe(a!.events)
    expect(b!.metrics).toBe(a!.metrics)
  }, 120_000)

  it("and on bankrun, whose blockhashes and clock differ between runs", async () => {
    const [a, b] = await runs("equivocation-offchain", "bankrun", 2)
    expect(b!.events).toBe(a!.events)
    expect(b!.metrics).toBe(a!.metrics)
  }, 120_000)

  it("another seed changes the log", async () => {
    const [a] = await runs("fraud-leaf-mismatch", "litesvm", 1)
    const [c] = await runs("fraud-leaf-mismatch", "litesvm", 1, 999)
    expect(c!.events).not.toBe(a!.events)
  }, 120_000)
})
