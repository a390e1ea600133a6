/** Strategy modules: the built-ins instantiate and check their options; a researcher's module loads. */
import { describe, expect, it } from "vitest"
import example from "../../scenarios/strategies/example-strategy.ts"
import { BUILTIN, loadStrategy } from "../adversaries/index.ts"
import { SCENARIO_DIR } from "./scenarios.ts"

describe("strategies", () => {
  it("every built-in has a description and refuses bad options", () => {
    for (const [name, factory] of Object.entries(BUILTIN)) expect(factory({ names: ["a.dns"] }).description.length, name).toBeGreaterThan(10)
    expect(() => BUILTIN["equivocator"]!({ mode: "sideways" })).toThrow(/option mode must be one of onchain, offchain, offchain-pair, offchain-switch/)
    expect(() => BUILTIN["equivocator"]!({ vary: "route" })).toThrow(/option vary must be one of tree, batch_cid/)
    expect(() => BUILTIN["censor"]!({})).toThrow(/names/)
    expect(() => BUILTIN["inflator"]!({ factor: "ten" })).toThrow(/option factor must be a number/)
  })

  it("loads a module by path, default-exporting a factory", async () => {
    const s = await loadStrategy({ id: "x", strategy: undefined, module: `${SCENARIO_DIR}strategies/example-strategy.ts`, keys: [], active: true, options: { keep: 0.25 } })
    expect(s.description).toMatch(/under-reports/)
    expect(() => example({ keep: 2 })).toThrow(/keep is a fraction/)
    await expect(loadStrategy({ id: "x", strategy: "nope", module: undefined, keys: [], active: true, options: {} })).rejects.toThrow(/no built-in strategy "nope"/)
  })
})
