/**
 * Part (b): differential properties. For every operation, fast-check generates inputs; each one goes
 * to the adapter and to the executable spec (in this process, while the adapter works), and the two
 * answers must agree exactly. On a disagreement fast-check shrinks the input — every shrink step is
 * one more round trip to the adapter — and the report prints the smallest input that still disagrees,
 * with the seed and path that reproduce it.
 */
import fc from "fast-check"
import { runOperation, type OperationName } from "../../spec/src/conformance.ts"
import { Hex, Hex32, toJson, U64 } from "../../spec/src/json.ts"
import * as A from "../../spec/test/support/arbitraries.ts"
import type { Adapter } from "./adapter.ts"
import { judge, type Difference, type Expected } from "./compare.ts"
import { selects, type Area, type Filter } from "./filter.ts"
import * as G from "./generators.ts"
import { NOT_OFFERED, type Check } from "./report.ts"
import { stateAccounts } from "../../spec/src/json.ts"
import { applyInput, badOrderScenario, compactTrace, preStateScenario, quorumScenario, sequenceScenario, timelockScenario, type Scenario } from "./scenarios.ts"

export type Profile = "default" | "thorough"

export interface Property {
  /** The operation's name, or `apply/<scenario>`. */
  readonly name: string
  readonly op: OperationName
  readonly area: Area
  /** The rules a failure most likely breaks. */
  readonly rules: readonly string[]
  readonly description: string
  readonly runs: { readonly [P in Profile]: number }
  readonly cases: (profile: Profile) => fc.Arbitrary<Case>
}

/** One generated case: the request's input, and what a counterexample shows a human (default: the input). */
export interface Case {
  readonly input: unknown
  readonly shown?: unknown
}

const hex = (b: Uint8Array): string => toJson(Hex, b)
const key = (b: Uint8Array): string => toJson(Hex32, b)

const CHEAP = { default: 1000, thorough: 20_000 }
const SIGNED = { default: 500, thorough: 10_000 }

const objectProperty = (name: OperationName, area: Area, rules: string[], description: string, input: fc.Arbitrary<unknown>, runs = CHEAP): Property => ({
  name, op: name, area, rules, description, runs, cases: () => input.map((i) => ({ input: i }))
})

const scenarioCases = (arb: fc.Arbitrary<Scenario>): fc.Arbitrary<Case> =>
  arb.map(({ scenario, steps }) => ({ input: applyInput(steps), shown: { scenario, trace: compactTrace(steps) } }))

// #region properties
export const PROPERTIES: readonly Property[] = [
  // ------------------------------------------------------------------------------------------ encoding
  objectProperty("encode_route_record", "encoding", ["ENC-1", "RTE-1"], "random route records", G.routeRecord.map((r) => ({ record: G.recordJson(r) }))),
  objectProperty("decode_route_record", "encoding", ["ENC-2", "ENC-3", "ENC-5", "VER-2"], "valid and broken route record encodings", G.bytesInput(G.ENCODINGS.routeRecord)),
  objectProperty("encode_route_auth", "encoding", ["ENC-1"], "random route authorizations", A.routeAuth.map((a) => ({ auth: G.json.routeAuth(a) }))),
  objectProperty("decode_route_auth", "encoding", ["ENC-2", "ENC-5", "VER-2"], "valid and broken route authorization encodings", G.bytesInput(G.ENCODINGS.routeAuth)),
  objectProperty("encode_receipt", "encoding", ["ENC-1", "RCP-1"], "random receipts", A.receipt.map((r) => ({ receipt: G.json.receipt(r) }))),
  objectProperty("decode_receipt", "encoding", ["ENC-2", "ENC-5", "VER-2"], "valid and broken receipt encodings", G.bytesInput(G.ENCODINGS.receipt)),
  objectProperty("encode_leaf", "encoding", ["ENC-1"], "random leaves", A.leaf.map((l) => ({ leaf: G.leafJson(l) }))),
  objectProperty("decode_leaf", "encoding", ["ENC-2", "ENC-5", "VER-2"], "valid and broken leaf encodings", G.bytesInput(G.ENCODINGS.leaf)),
  objectProperty("encode_aggregate", "encoding", ["ENC-1", "AGG-1"], "random aggregate statements", A.statement.map((s) => ({ statement: G.json.statement(s) }))),
  objectProperty("decode_aggregate", "encoding", ["ENC-2", "ENC-3", "ENC-4", "AGG-6"], "valid and broken aggregate encodings", G.bytesInput(G.ENCODINGS.aggregate)),
  objectProperty("decode_account", "encoding", ["ENC-2", "ENC-6", "ACC-1", "VER-2"], "account bytes of every kind, valid and broken", G.accountInput, SIGNED),
  objectProperty("decode_instruction", "encoding", ["ENC-2", "ACC-10"], "instruction data of every op, valid and broken", G.bytesInput(G.instructionBytes)),

  // ------------------------------------------------------------------------------------------- hashing
  objectProperty("hash", "hashing", ["HSH-1"], "tags of every length and bytes", G.hashInput),
  objectProperty("name_hash", "hashing", ["NAM-6"], "name-shaped and arbitrary text", fc.oneof(G.nameText, A.utf8(80)).map((name) => ({ name }))),
  objectProperty("route_hash", "hashing", ["RTE-7"], "random route records", G.routeRecord.map((r) => ({ record: G.recordJson(r) }))),
  objectProperty("route_auth_digest", "hashing", ["RTE-8"], "random route authorizations", A.routeAuth.map((a) => ({ auth: G.json.routeAuth(a) }))),
  objectProperty("receipt_digest", "hashing", ["RCP-2"], "random receipts", A.receipt.map((r) => ({ receipt: G.json.receipt(r) }))),
  objectProperty("receipt_hash", "hashing", ["RCP-3"], "random receipts and signatures", fc.tuple(A.receipt, A.sig).map(([r, s]) => ({ receipt: G.json.receipt(r), signature: hex(s) }))),
  objectProperty("aggregate_digest", "hashing", ["AGG-1"], "random aggregate statements", A.statement.map((s) => ({ statement: G.json.statement(s) }))),
  objectProperty("leaf_hash", "hashing", ["MRK-1", "HSH-1"], "random leaves", A.leaf.map((l) => ({ leaf: G.leafJson(l) }))),
  objectProperty("node_hash", "hashing", ["MRK-3", "MRK-4"], "sum nodes, some whose sums overflow", fc.tuple(G.sumNode, G.sumNode).map(([l, r]) => ({ left: G.nodeJson(l), right: G.nodeJson(r) }))),

  // --------------------------------------------------------------------------------------------- names
  objectProperty("normalize_name", "names", ["NAM-1", "NAM-2", "NAM-3", "NAM-4", "NAM-5"], "labels in every case and script, empty, long and misplaced", G.nameText.map((input) => ({ input }))),

  // -------------------------------------------------------------------------------------------- routes
  objectProperty("check_route_record", "routes", ["RTE-2", "RTE-3", "RTE-4", "RTE-5", "RTE-6", "NAM-4"], "mostly valid records, each broken at most one way", G.checkRouteInput),

  // ---------------------------------------------------------------------------------------- signatures
  objectProperty("verify", "signatures", ["SIG-1"], "signatures valid, flipped, truncated, non-canonical, small-order", G.verifyInput, SIGNED),

  // -------------------------------------------------------------------------------------------- merkle
  objectProperty("merkle_root", "merkle", ["MRK-1", "MRK-3", "MRK-4", "AGG-2"], "0–40 leaves, some weights near 2^64", G.leavesInput(0, 40)),
  objectProperty("inclusion_proof", "merkle", ["MRK-5"], "trees and indices, some outside", G.inclusionProofInput),
  objectProperty("verify_inclusion", "merkle", ["MRK-5"], "spec proofs with one part changed", G.verifyInclusionInput),
  objectProperty("root_children", "merkle", ["AGG-3"], "0–40 leaves", G.leavesInput(0, 40)),

  // ----------------------------------------------------------------------------------------- aggregate
  objectProperty("build_aggregate", "aggregate", ["AGG-5", "MRK-2", "MRK-4"], "receipts of one round, repeated witnesses, missing weights", G.buildAggregateInput, SIGNED),

  // ----------------------------------------------------------------------------------------- committee
  objectProperty("select_committee", "committee", ["CMT-2", "CMT-3", "CMT-4", "CMT-5", "GOV-8"], "miner sets in both modes", G.selectCommitteeInput),
  objectProperty("next_seed", "committee", ["CMT-1"], "random seeds, epochs and digests", fc.record({ prev: A.key, epoch: A.u64, digest: A.key }).map((x) => ({ prev: key(x.prev), epoch: toJson(U64, x.epoch), digest: key(x.digest) }))),

  // ---------------------------------------------------------------------------------------- transition
  {
    name: "apply/sequence",
    op: "apply",
    area: "transition",
    rules: [],
    description: "random op sequences from the empty state, valid and deliberately invalid, both committee modes",
    runs: { default: 120, thorough: 1500 },
    cases: (p) =>
      sequenceScenario(p === "default" ? { minLength: 20, maxLength: 50 } : { minLength: 20, maxLength: 120 }).map((steps) => ({ input: applyInput(steps), shown: { trace: compactTrace(steps) } }))
  },
  {
    name: "apply/pre-state",
    op: "apply",
    area: "transition",
    rules: ["ACC-1", "VER-2"],
    description: "the second half of a random sequence, from the state the first half reached",
    runs: { default: 50, thorough: 600 },
    cases: (p) =>
      preStateScenario(p === "default" ? { minLength: 20, maxLength: 40 } : { minLength: 20, maxLength: 100 }).map(({ pre, steps }) => ({
        input: applyInput(steps, pre),
        shown: { pre: `a state of ${stateAccounts(pre).length} accounts (in the JSON report)`, trace: compactTrace(steps) }
      }))
  },
  {
    name: "apply/quorum",
    op: "apply",
    area: "transition",
    rules: ["QRM-1", "QRM-8"],
    description: "finalizing a round whose support is at, just under or just over quorum",
    runs: { default: 200, thorough: 2000 },
    cases: () => scenarioCases(quorumScenario())
  },
  {
    name: "apply/timelock",
    op: "apply",
    area: "transition",
    rules: ["GOV-4", "GOV-15", "GOV-17"],
    description: "executing a proposal before, at and after its eta",
    runs: { default: 120, thorough: 1500 },
    cases: () => scenarioCases(timelockScenario())
  },
  {
    name: "apply/bad-order",
    op: "apply",
    area: "transition",
    rules: ["BLF-8", "MRK-2"],
    description: "proving bad order on each adjacent leaf pair of a planted aggregate",
    runs: { default: 60, thorough: 400 },
    cases: () => scenarioCases(badOrderScenario())
  }
]
// #endregion properties

export const PROPERTY_NAMES: readonly string[] = PROPERTIES.map((p) => p.name)

/** The executable spec's answer, or what it threw (a bug in the spec, reported as such). */
export const specAnswer = (op: string, input: unknown): Expected | { readonly thrown: Error } => {
  try {
    return runOperation(op, input)
  } catch (e) {
    return { thrown: e as Error }
  }
}

class Disagreement extends Error {
  override readonly name = "Disagreement"
  readonly difference: Difference
  constructor(d: Difference) {
    super(d.summary)
    this.difference = d
  }
}

export interface PropertyOptions {
  readonly profile: Profile
  readonly seed: number
  /** Overrides every property's number of cases. */
  readonly runs?: number
  /** A property stops generating (and shrinking) after this long. */
  readonly timeLimitMs: number
  readonly log?: (line: string) => void
}

/** Runs one property against the adapter. */
export const runProperty = async (adapter: Adapter, p: Property, o: PropertyOptions): Promise<Check> => {
  const base = { part: "properties", area: p.area, name: p.name, rules: p.rules }
  if (!adapter.supports(p.op)) return { ...base, status: "not-run", ms: 0, reason: `${NOT_OFFERED}${p.op}` }
  let cases = 0
  let declined = 0
  let failing = false
  const started = performance.now()
  const property = fc.asyncProperty(p.cases(o.profile), async ({ input }) => {
    const pending = adapter.request(p.op, input)
    const expected = specAnswer(p.op, input)
    const reply = await pending
    if (!failing) cases++
    if ("thrown" in expected) {
      failing = true
      throw new Disagreement({ summary: `the executable spec threw (a spec bug): ${expected.thrown.message}`, details: [expected.thrown.stack ?? ""], rules: [] })
    }
    const v = judge(p.op, input, expected, reply)
    if (v.kind === "declined") {
      if (!failing) declined++
      return
    }
    if (v.kind === "fail") {
      failing = true
      throw new Disagreement(v.difference)
    }
  })
  const numRuns = o.runs ?? p.runs[o.profile]
  const details = await fc.check(property, { seed: o.seed, numRuns, interruptAfterTimeLimit: o.timeLimitMs, markInterruptAsFailure: false })
  const ms = performance.now() - started
  if (details.failed) {
    const error = details.errorInstance
    const d: Difference = error instanceof Disagreement ? error.difference : { summary: String(error), details: [], rules: [] }
    return {
      ...base,
      rules: [...new Set([...p.rules, ...d.rules])],
      status: "failed",
      ms,
      reason: d.summary,
      details: [...d.details, ...(details.interrupted ? [`shrinking stopped after ${Math.round(o.timeLimitMs / 1000)} s; the counterexample may not be minimal`] : [])],
      counterexample: {
        input: details.counterexample?.[0]?.input,
        ...(details.counterexample?.[0]?.shown !== undefined ? { shown: details.counterexample[0].shown } : {}),
        seed: details.seed,
        path: details.counterexamplePath ?? "",
        shrinks: details.numShrinks,
        runsBeforeFailure: Math.max(0, details.numRuns - 1)
      },
      cases: details.numRuns,
      declined
    }
  }
  if (cases > 0 && declined === cases) return { ...base, status: "not-run", ms, reason: `the adapter declined (CNF-2) every one of ${cases} cases`, cases, declined }
  const notes = [`${details.numRuns} cases`, ...(declined > 0 ? [`${declined} declined by the adapter (CNF-2), not counted`] : []), ...(details.interrupted ? [`stopped by the time limit`] : [])]
  return { ...base, status: "passed", ms, details: [notes.join(", ")], cases: details.numRuns, declined }
}

/**
 * Part (b): every property the filter selects, in order. Generated cases the adapter declined (CNF-2)
 * are not counted as passed: if there were any, a not-run check says so and the run is partial.
 */
export const runProperties = async (adapter: Adapter, filter: Filter, o: PropertyOptions): Promise<Check[]> => {
  const out: Check[] = []
  for (const p of PROPERTIES) {
    if (!selects(filter, "properties", p.area, p.op, p.name)) continue
    const c = await runProperty(adapter, p, o)
    const declined = c.declined !== undefined && c.declined > 0 ? `, ${c.declined} declined` : ""
    o.log?.(
      c.status === "not-run"
        ? `  - ${p.name}: not run (${c.reason})`
        : `  ${c.status === "passed" ? "✓" : "✗"} ${p.name} (${c.cases ?? 0} cases${declined}, ${(c.ms / 1000).toFixed(1)} s)${c.status === "failed" ? `: ${c.reason}` : ""}`
    )
    out.push(c)
  }
  const declining = out.filter((c) => c.status === "passed" && (c.declined ?? 0) > 0)
  if (declining.length > 0)
    out.push({
      part: "properties",
      area: "declined",
      name: "every generated case answered",
      status: "not-run",
      ms: 0,
      rules: ["CNF-2"],
      reason: `the adapter declined (CNF-2) ${declining.reduce((a, c) => a + c.declined!, 0)} generated cases`,
      details: declining.map((c) => `${c.name}: ${c.declined} of ${c.cases}`)
    })
  return out
}
