/**
 * Scenario files: the schema, the resolution step, and errors that point at the line and column of
 * the offending node.
 */
import { readdirSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { PARAM } from "../../spec/src/params.ts"
import { loadScenario, parseScenario, ScenarioErrors, withPath, resolveScenario } from "../scenario/Scenario.ts"
import { SCENARIO_DIR } from "./scenarios.ts"

const VALID = `name: t
seed: 3
epochs: 4
parameters:
  quorum_bps: 7000
  min_support: "0.5 SOL"
population:
  miners:
    - { id: m, count: 3, stake: 10 }
    - { id: bad, stake: 5, adversary: eq }
  witnesses:
    - { id: w, count: 4, total_stake: 10, distribution: linear }
  names:
    - { name: Hello.DNS, updates: { every: 2 } }
adversaries:
  - id: eq
    strategy: equivocator
timeline:
  - at: { epoch: 2, offset: 10 }
    stop_adversary: eq
expectations:
  - route_finalized: { name: hello.dns, serial: 2 }
  - miner: bad
    slashed_by_epoch: 3
`

/** The errors of a file, as their messages. */
const errorsOf = (text: string): string[] => {
  try {
    parseScenario(text, "t.yaml")
  } catch (e) {
    if (e instanceof ScenarioErrors) return e.errors.map((x) => x.message)
    throw e
  }
  throw new Error("expected the file to be rejected")
}

const replace = (from: string, to: string): string => {
  if (!VALID.includes(from)) throw new Error(`fixture has no ${from}`)
  return VALID.replace(from, to)
}

describe("scenario files", () => {
  it("resolves a valid file: groups expanded, SOL in lamports, parameters overridden, names normalized", () => {
    const s = parseScenario(VALID, "t.yaml")
    expect(s.miners.map((m) => m.label)).toEqual(["m1", "m2", "m3", "bad"])
    expect(s.miners[0]!.stake).toBe(10_000_000_000n)
    expect(s.params[PARAM.quorumBps]).toBe(7000n)
    expect(s.params[PARAM.minSupport]).toBe(500_000_000n)
    expect(s.witnesses.map((w) => w.stake)).toEqual([1_000_000_000n, 2_000_000_000n, 3_000_000_000n, 4_000_000_000n])
    expect(s.names[0]!.name).toBe("hello.dns")
    expect(s.names[0]!.owner).toBe("owner-hello")
    expect(s.timeline[0]).toMatchObject({ epoch: 2n, offset: 10n, line: 19 })
    expect(s.expectations.map((x) => x.line)).toEqual([22, 23])
  })

  it("scales adversary stake to adversary_share of all miner stake", () => {
    const s = parseScenario(replace("  witnesses:", "  adversary_share: 0.4\n  witnesses:"), "t.yaml")
    const adv = s.miners.find((m) => m.label === "bad")!.stake
    const honest = s.miners.filter((m) => m.adversary === undefined).reduce((a, m) => a + m.stake, 0n)
    expect(Number(adv) / Number(adv + honest)).toBeCloseTo(0.4, 6)
  })

  it("points YAML syntax errors at their line", () => {
    expect(errorsOf(replace("epochs: 4", "epochs: [4"))[0]).toMatch(/^t\.yaml:\d+:\d+: YAML: /)
  })

  it("points type errors at the value", () => {
    expect(errorsOf(replace("epochs: 4", 'epochs: "four"'))).toEqual(["t.yaml:3:9: epochs: Expected number"])
    expect(errorsOf(replace("epochs: 4", "epochs: 4.5"))).toEqual(["t.yaml:3:9: epochs: Expected an integer"])
    expect(errorsOf(replace("{ id: m, count: 3, stake: 10 }", "{ id: m, count: 3, stake: -1 }"))).toEqual([
      "t.yaml:9:33: population.miners[0].stake: Expected a value greater than or equal to 0"
    ])
  })

  it("names unknown keys", () => {
    expect(errorsOf(replace("{ id: bad, stake: 5, adversary: eq }", "{ id: bad, stak: 5, adversary: eq }")).sort()).toEqual([
      "t.yaml:10:18: population.miners[1].stak: unknown key \"stak\"",
      "t.yaml:10:7: population.miners[1].stake: required key is missing"
    ])
  })

  it("checks references between sections, at the line of the reference", () => {
    expect(errorsOf(replace("stop_adversary: eq", "stop_adversary: nobody"))).toEqual(["t.yaml:20:21: timeline[0].stop_adversary: no adversary nobody"])
    expect(errorsOf(replace("  - miner: bad\n", "  - miner: ghost\n"))).toEqual(["t.yaml:23:12: expectations[1].miner: no miner ghost"])
    expect(errorsOf(replace("name: hello.dns, serial: 2", "name: other.dns, serial: 2"))[0]).toBe("t.yaml:22:30: expectations[0].route_finalized.name: no name other.dns in population.names")
  })

  it("refuses ambiguous timeline events and expectations", () => {
    expect(errorsOf(replace("    stop_adversary: eq", "    stop_adversary: eq\n    start_adversary: eq"))[0]).toMatch(/^t\.yaml:19:5: timeline\[0\]: an event has exactly one action/)
    expect(errorsOf(replace("    slashed_by_epoch: 3", "    slashed_by_epoch: 3\n    no_noncanonical_route_finalized: true"))[0]).toMatch(/^t\.yaml:23:5: expectations\[1\]: an expectation has exactly one kind/)
  })

  it("checks parameters by name and against the spec's checkParams", () => {
    expect(errorsOf(replace("quorum_bps: 7000", "quorum_bsp: 7000"))[0]).toMatch(/^t\.yaml:5:3: parameters\.quorum_bsp: unknown parameter; known: epoch_length_slots/)
    expect(errorsOf(replace("quorum_bps: 7000", "quorum_bps: 5000"))).toEqual(["t.yaml:4:1: parameters: [GOV-8] 5000 < quorum_bps ≤ 10000"])
  })

  it("reports every problem at once", () => {
    const text = replace("epochs: 4", 'epochs: "x"').replace("stake: 10 }", "stake: -2 }")
    expect(errorsOf(text)).toHaveLength(2)
  })

  it("lets a sweep set any path, and re-validates", () => {
    const s = parseScenario(VALID, "t.yaml")
    expect(resolveScenario(withPath(s.raw, "parameters.quorum_bps", 9000), { source: "t.yaml" }).params[PARAM.quorumBps]).toBe(9000n)
    expect(() => resolveScenario(withPath(s.raw, "epochs", 0), { source: "t.yaml" })).toThrow(/epochs: Expected a value greater than or equal to 1/)
  })

  it("every scenario in scenarios/ is valid", () => {
    const files = readdirSync(SCENARIO_DIR).filter((f) => f.endsWith(".yaml"))
    expect(files.length).toBeGreaterThan(15)
    for (const f of files) expect(() => loadScenario(`${SCENARIO_DIR}${f}`), f).not.toThrow()
  })
})
