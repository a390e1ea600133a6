/**
 * The lifecycle machines are consistent with `apply`, both ways:
 *
 * 1. every transition `apply` makes is a machine transition: over op sequences from any source (the
 *    shared generator, a generator of mutated and interleaved machine traces, the traces themselves),
 *    after every accepted op each touched instance's projection is the machine's transition of its
 *    projection before, untouched instances keep theirs, and a rejection for a rule a machine models
 *    is refused by that machine;
 * 2. every machine transition is taken by `apply`: the traces of `machinePaths()` are run from the
 *    empty state and take every edge of every machine.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { apply, isError } from "../src/apply.ts"
import { canonical, MACHINE_NAMES, machineEdges, type MachineName } from "../src/machines/common.ts"
import { checkStep, MACHINES } from "../src/machines/consistency.ts"
import { toMermaid } from "../src/machines/mermaid.ts"
import { machinePaths, type MachineTrace, type TraceStep } from "../src/machines/paths.ts"
import {
  ADMIN, Driver, key, MEMBER_STAKE, OWNER, paramsWith, ROUND_PARAMS, RoundFixture, WITNESSES, witnessStake
} from "../src/machines/realize.ts"
import { opEvents } from "../src/machines/events.ts"
import { project } from "../src/machines/project.ts"
import type { Op } from "../src/ops.ts"
import { PARAM, type Params } from "../src/params.ts"
import { emptyState, pinKey, proposalKey, roundKey, type State } from "../src/state.ts"
import { challengeEnd, submitWindow } from "../src/transition/rounds.ts"
import { route } from "./world.ts"

// ------------------------------------------------------------------------------------------ the checker

interface Outcome {
  readonly problems: string[]
  readonly accepted: number
  readonly rejected: number
  /** Edges taken, per machine, with how often. */
  readonly edges: Map<string, number>
  /** Edges taken by one instance, in order. */
  readonly of: (machine: MachineName, key: string) => string[]
}

/** The projections of the instances an op addresses. */
const digest = (s: State, op: Op, slot: bigint): string =>
  opEvents(s, op, { slot })
    .map((e) => `${e.machine}:${e.key}=${canonical(project(e.machine, s, e.key))}`)
    .join("\n")

/**
 * Runs any op sequence from the empty state, checking every step. The chain's clock never goes back,
 * so a step whose slot is below the last one runs at the last one.
 */
const runSequence = (steps: Iterable<TraceStep>): Outcome => {
  let state = emptyState()
  let last = 0n
  const problems: string[] = []
  const edges = new Map<string, number>()
  const byInstance = new Map<string, string[]>()
  let accepted = 0
  let rejected = 0
  for (const step of steps) {
    const slot = step.slot < last ? last : step.slot
    last = slot
    const before = state
    const was = digest(before, step.op, slot)
    const result = apply(before, step.op, { slot })
    // apply is pure: whatever the outcome, no projection of the state before has moved. For a rejected
    // op that state is the state after, so a rejection moves nothing.
    if (digest(before, step.op, slot) !== was) problems.push(`${step.op.kind} at slot ${slot} mutated the state it was applied to`)
    if (isError(result)) {
      rejected++
    } else {
      accepted++
      state = result
    }
    const check = checkStep(before, step.op, { slot }, result)
    problems.push(...check.problems)
    for (const t of check.taken) {
      for (const e of t.edges) edges.set(`${t.machine}: ${e}`, (edges.get(`${t.machine}: ${e}`) ?? 0) + 1)
      const id = `${t.machine}:${t.key}`
      byInstance.set(id, [...(byInstance.get(id) ?? []), ...t.edges])
    }
    if (problems.length > 0) break
  }
  return { problems, accepted, rejected, edges, of: (m, k) => byInstance.get(`${m}:${k}`) ?? [] }
}

const allEdges = (): string[] => MACHINE_NAMES.flatMap((m) => machineEdges(MACHINES[m]).map((e) => `${m}: ${e.id}`))

// ---------------------------------------------------------------------------------- realized paths

describe("every machine transition is realized by the spec", () => {
  it("the graph search reaches every edge of every machine", () => {
    const cover = machinePaths()
    for (const m of MACHINE_NAMES) expect(cover[m].unreachable, m).toEqual([])
  })

  for (const m of MACHINE_NAMES) {
    it(`${m}: each trace runs from the empty state and takes its path's edges`, () => {
      for (const trace of machinePaths()[m].traces) {
        const out = runSequence(trace.steps)
        expect(out.problems, trace.name).toEqual([])
        expect(out.rejected, trace.name).toBe(0)
        expect(out.of(trace.machine, trace.instance), trace.name).toEqual(trace.edges)
      }
    })
  }

  it("the traces together take every edge", () => {
    const taken = new Set<string>()
    const cover = machinePaths()
    for (const m of MACHINE_NAMES) for (const t of cover[m].traces) for (const e of t.edges) taken.add(`${m}: ${e}`)
    expect(allEdges().filter((e) => !taken.has(e))).toEqual([])
  })
})

// --------------------------------------------------------------------------------------- generators

/**
 * Our generator: one or two machine traces, interleaved by slot, then mutated (steps dropped,
 * repeated, delayed, epochs advanced in between). The ops were built for lifecycle states, so the
 * mutants reach those states and then go wrong in the ways that matter: too early, too late, twice,
 * out of order, against a state another trace changed.
 */
const traceMutants = (traces: readonly MachineTrace[]): fc.Arbitrary<TraceStep[]> => {
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant("drop" as const), at: fc.nat() }),
    fc.record({ kind: fc.constant("repeat" as const), at: fc.nat() }),
    fc.record({ kind: fc.constant("delay" as const), at: fc.nat(), by: fc.integer({ min: 1, max: 60 }) }),
    fc.record({ kind: fc.constant("advance" as const), at: fc.nat() })
  )
  return fc
    .record({
      picks: fc.array(fc.nat({ max: traces.length - 1 }), { minLength: 1, maxLength: 2 }),
      mutations: fc.array(mutation, { maxLength: 8 })
    })
    .map(({ picks, mutations }) => {
      const tagged = picks.flatMap((p, j) => traces[p]!.steps.map((s, i) => ({ ...s, order: i * 2 + j })))
      let steps: TraceStep[] = tagged.sort((a, b) => (a.slot === b.slot ? a.order - b.order : a.slot < b.slot ? -1 : 1))
      for (const m of mutations) {
        const at = m.at % steps.length
        const s = steps[at]!
        if (m.kind === "drop") steps = [...steps.slice(0, at), ...steps.slice(at + 1)]
        else if (m.kind === "repeat") steps = [...steps.slice(0, at + 1), s, ...steps.slice(at + 1)]
        else if (m.kind === "delay") steps = [...steps.slice(0, at), ...steps.slice(at).map((x) => ({ ...x, slot: x.slot + BigInt(m.by) }))]
        else steps = [...steps.slice(0, at), { slot: s.slot, op: { kind: "advanceEpoch" } satisfies Op }, ...steps.slice(at)]
        if (steps.length === 0) break
      }
      return steps
    })
}

/** The shared generator (spec/test/arbitrary-ops.ts), when it is there and has the expected shape. */
interface SharedGenerator {
  readonly opSequence: (opts?: { minLength?: number; maxLength?: number; params?: Params }) => fc.Arbitrary<TraceStep[]>
  readonly GENERATOR_PARAMS?: Params
  readonly STAKE_MODE_PARAMS?: Params
}
const shared: SharedGenerator | undefined = await import("./arbitrary-ops.ts").then(
  (m: Partial<SharedGenerator>) => (typeof m.opSequence === "function" ? (m as SharedGenerator) : undefined),
  () => undefined
)

const check = (name: string, arb: fc.Arbitrary<TraceStep[]>, numRuns: number, seen: Map<string, number>): void => {
  let accepted = 0
  let rejected = 0
  fc.assert(
    fc.property(arb, (steps) => {
      const out = runSequence(steps)
      if (out.problems.length > 0) throw new Error(`${name}:\n${out.problems.join("\n")}`)
      accepted += out.accepted
      rejected += out.rejected
      for (const [e, n] of out.edges) seen.set(e, (seen.get(e) ?? 0) + n)
    }),
    { numRuns, seed: 20_260_101, endOnFailure: true }
  )
  expect(accepted).toBeGreaterThan(0)
  expect(rejected).toBeGreaterThan(0)
}

describe("every apply transition is a machine transition", () => {
  const seen = new Map<string, number>()

  it("over mutated and interleaved machine traces", () => {
    const traces = MACHINE_NAMES.flatMap((m) => machinePaths()[m].traces)
    check("trace mutants", traceMutants(traces), 120, seen)
  })

  it.runIf(shared !== undefined)("over the shared op-sequence generator", () => {
    const g = shared!
    check("shared generator", g.opSequence({ params: g.GENERATOR_PARAMS }), 60, seen)
    if (g.STAKE_MODE_PARAMS !== undefined) check("shared generator, stake mode", g.opSequence({ params: g.STAKE_MODE_PARAMS }), 30, seen)
  })

  it("the random sequences take most edges", () => {
    const missed = allEdges().filter((e) => !seen.has(e))
    // Informational: which edges only the directed traces reach.
    if (missed.length > 0) console.info(`edges no random sequence took:\n  ${missed.join("\n  ")}`)
    expect(seen.size).toBeGreaterThan(allEdges().length / 2)
  })
})

// ---------------------------------------------------------------------------------------- targeted

describe("machines refuse what the spec rejects", () => {
  it("a rejected op with a modeled rule takes no edge, and projections stay", () => {
    const round = machinePaths().round.traces.find((t) => t.edges.some((e) => e.includes("--> finalized")))!
    // Finalize too early: replace the finalize op's slot by one before the window ends.
    const i = round.steps.findIndex((s) => s.op.kind === "finalizeRound")
    const early: TraceStep[] = [...round.steps.slice(0, i), { ...round.steps[i]!, slot: round.steps[i - 1]!.slot }, ...round.steps.slice(i)]
    const out = runSequence(early)
    expect(out.problems).toEqual([])
    expect(out.rejected).toBe(1)
    expect(out.of("round", round.instance)).toEqual(round.edges)
  })
})

describe("an op whose carried signature does not verify", () => {
  const BAD = new Uint8Array(64)
  const corrupt = (op: Op): Op | undefined => {
    switch (op.kind) {
      case "submitAggregate":
        return op.auth === null ? undefined : { ...op, auth: { ...op.auth, signature: BAD } }
      case "proveEquivocation":
        return { ...op, first: { ...op.first, signature: BAD } }
      case "respondReveal":
        return { ...op, signature: BAD }
      default:
        return undefined
    }
  }

  it("is rejected first [SIG-1] and moves no machine", () => {
    const seen = new Set<string>()
    for (const trace of [...machinePaths().round.traces, ...machinePaths().challenge.traces, ...machinePaths().miner.traces])
      trace.steps.forEach((step, i) => {
        const bad = corrupt(step.op)
        if (bad === undefined || seen.has(`${trace.machine}/${step.op.kind}`)) return
        seen.add(`${trace.machine}/${step.op.kind}`)
        let state = emptyState()
        for (const s of trace.steps.slice(0, i)) {
          const r = apply(state, s.op, { slot: s.slot })
          if (!isError(r)) state = r
        }
        const verdict = apply(state, bad, { slot: step.slot })
        expect(isError(verdict) && verdict.rule, `${trace.name} step ${i}`).toBe("SIG-1")
        const out = runSequence([...trace.steps.slice(0, i), { slot: step.slot, op: bad }, ...trace.steps.slice(i)])
        expect(out.problems, trace.name).toEqual([])
        expect(out.rejected, trace.name).toBe(1)
        expect(out.of(trace.machine, trace.instance), trace.name).toEqual(trace.edges)
      })
    expect([...new Set([...seen].map((k) => k.split("/")[1]))].sort()).toEqual(["proveEquivocation", "respondReveal", "submitAggregate"])
  })
})

/**
 * The state each step of a trace runs in, and the slots (or epochs) where its rules switch: the op is
 * replayed just before and at each, alone, from the state the trace reached.
 */
type Variant = { readonly advances: number; readonly slot: bigint }

const boundaries = (s: State, step: TraceStep): Variant[] => {
  const config = s.config
  if (config === undefined) return []
  const L = config.params[PARAM.epochLengthSlots]!
  const at = (...slots: bigint[]): Variant[] => slots.map((slot) => ({ advances: 0, slot }))
  const epochs = (n: number): Variant[] => Array.from({ length: n + 1 }, (_, k) => ({ advances: k, slot: step.slot }))
  const op = step.op
  switch (op.kind) {
    case "respondReveal":
    case "resolveReveal": {
      const c = s.challenges.get(pinKey(op.leafRef.epoch, op.leafRef.nameHash, op.leafRef.miner, op.leafRef.index))
      return c === undefined ? [] : at(c.deadline - 1n, c.deadline)
    }
    case "finalizeRound": {
      const r = s.rounds.get(roundKey(op.epoch, op.nameHash))
      return r === undefined ? [] : at(r.challengeEnd - 1n, r.challengeEnd)
    }
    case "openReveal":
    case "proveBadWeight":
    case "proveBadOrder":
    case "proveLeafMismatch": {
      const r = s.rounds.get(roundKey(op.leafRef.epoch, op.leafRef.nameHash))
      return r === undefined ? [] : at(r.challengeEnd - 1n, r.challengeEnd)
    }
    case "proveEquivocation": {
      const a = op.first.statement
      const end = s.rounds.get(roundKey(a.epoch, a.nameHash))?.challengeEnd ?? challengeEnd(s, a.epoch)
      return at(end - 1n, end)
    }
    case "submitAggregate": {
      // An existing round's stored submit_end ends the window [RND-1].
      const w = submitWindow(s, op.statement.epoch)
      const end = s.rounds.get(roundKey(op.statement.epoch, op.statement.nameHash))?.submitEnd ?? w.end
      return at(w.start - 1n, w.start, end - 1n, end)
    }
    case "execute":
    case "veto": {
      const p = s.proposals.get(proposalKey(op.proposalId))
      if (p === undefined) return []
      // One epoch past the expiry, which the proposal's own timelock sets [GOV-17].
      const last = p.etaEpoch + (p.etaEpoch - p.createdEpoch) + 1n
      return epochs(Number(last > config.currentEpoch ? last - config.currentEpoch : 0n))
    }
    case "minerWithdraw":
    case "unjail":
    case "minerUnbond":
    case "claim":
      return epochs(4)
    case "advanceEpoch":
      return at((config.currentEpoch + 1n) * L - 1n, (config.currentEpoch + 1n) * L)
    default:
      return []
  }
}

describe("machines refuse what the spec rejects, at every boundary", () => {
  it("each time-bound step of each trace, replayed alone just before and at its boundaries", () => {
    let variants = 0
    const problems: string[] = []
    for (const m of MACHINE_NAMES)
      for (const trace of machinePaths()[m].traces) {
        let state = emptyState()
        let last = 0n
        for (const step of trace.steps) {
          for (const v of boundaries(state, step)) {
            let s = state
            let slot = v.slot < last ? last : v.slot
            for (let k = 0; k < v.advances; k++) {
              const L = s.config!.params[PARAM.epochLengthSlots]!
              const t = (s.config!.currentEpoch + 1n) * L
              if (t > slot) slot = t
              const r = apply(s, { kind: "advanceEpoch" }, { slot })
              problems.push(...checkStep(s, { kind: "advanceEpoch" }, { slot }, r).problems)
              if (!isError(r)) s = r
            }
            problems.push(...checkStep(s, step.op, { slot }, apply(s, step.op, { slot })).problems.map((x) => `${trace.name}: ${x}`))
            variants++
          }
          const r = apply(state, step.op, { slot: step.slot })
          if (!isError(r)) state = r
          last = step.slot
        }
      }
    expect(problems).toEqual([])
    expect(variants).toBeGreaterThan(100)
  })
})

describe("corners the generators do not reach", () => {
  /** A round of epoch 2 for `name`, `n` equal allowlisted members, their aggregates not yet in. */
  const world = (n: number, minSupport: bigint) => {
    const params = paramsWith(ROUND_PARAMS, { minSupport })
    const d = new Driver(params)
    const members = Array.from({ length: n }, (_, i) => key(`machines/corner-m${i}`))
    d.run({ kind: "initialize", authority: ADMIN.publicKey, params, allowlist: members.map((m) => m.publicKey) })
    for (const m of members) d.run({ kind: "minerBond", miner: m.publicKey, amount: MEMBER_STAKE })
    WITNESSES.forEach((w, i) => d.run({ kind: "witnessBond", witness: w.publicKey, amount: witnessStake(i) }))
    d.run({ kind: "registerName", owner: OWNER.publicKey, name: "corner.dns" })
    d.toEpoch(3n, 1n)
    return { d, f: new RoundFixture(d, 2n, "corner.dns", members) }
  }

  it("a fifth route is refused by the program and by the machine (RND-9)", () => {
    const { d, f } = world(5, 1n)
    for (let i = 0; i < 4; i++) f.submit(i, route("corner.dns", BigInt(i + 1), OWNER, `10.0.0.${i + 1}`).record)
    const fifth = f.aggregate(4, route("corner.dns", 5n, OWNER, "10.0.0.5").record)
    const auth = { serial: 5n, owner: OWNER.publicKey, signature: route("corner.dns", 5n, OWNER, "10.0.0.5").signature }
    const steps = [...d.steps, { slot: d.slot, op: { kind: "submitAggregate", statement: fifth.statement, opening: fifth.opening, auth } satisfies Op }]
    const out = runSequence(steps)
    expect(out.problems).toEqual([])
    expect(out.rejected).toBe(1)
    const last = apply(d.state, steps[steps.length - 1]!.op, { slot: d.slot })
    expect(isError(last) && last.rule).toBe("RND-9")
  })

  it("aggregates below min_support enter the round uncounted; stripping them removes no weight", () => {
    const { d, f } = world(3, 1_000_000_000_000n)
    const A = route("corner.dns", 1n, OWNER).record
    for (let i = 0; i < 3; i++) f.submit(i, A)
    f.proveBadWeight(0)
    f.finalize()
    const out = runSequence(d.steps)
    expect(out.problems).toEqual([])
    expect(out.of("round", f.key)).toEqual([
      "absent --submitAggregate--> open",
      "open --submitAggregate [routeAvailable]--> open",
      "open --submitAggregate [routeAvailable]--> open",
      "open --proveBadWeight [challengeable]--> open",
      "open --finalizeRound [windowOver ∧ noOpenChallenges ∧ ¬quorum]--> failed"
    ])
  })
})

// ------------------------------------------------------------------------------------------ diagrams

const statesOf = (machine: (typeof MACHINES)[MachineName]): string[] => {
  const out: string[] = []
  const walk = (n: { key: string; states: Record<string, unknown> }, top: boolean): void => {
    if (!top) out.push(n.key)
    for (const c of Object.values(n.states)) walk(c as { key: string; states: Record<string, unknown> }, false)
  }
  walk(machine.root as unknown as { key: string; states: Record<string, unknown> }, true)
  return out
}

describe("diagrams", () => {
  for (const m of MACHINE_NAMES) {
    it(`${m} renders as a state diagram naming every state and edge`, async () => {
      const text = toMermaid(MACHINES[m])
      expect(text.startsWith("stateDiagram-v2\n")).toBe(true)
      for (const s of statesOf(MACHINES[m])) expect(text).toContain(`"${s}"`)
      for (const e of machineEdges(MACHINES[m])) expect(text).toContain(`: ${e.event}${e.guard === "" ? "" : ` [${e.guard}]`}`)
      // Mermaid parses the whole text before its DOM-only steps, so a syntax error shows even in Node.
      const { default: mermaid } = await import("mermaid")
      const error = await mermaid.parse(text).then(
        () => "",
        (e: unknown) => String(e)
      )
      expect(error).not.toMatch(/Parse error|Lexical error|Syntax error/)
    })
  }

  it("a broken diagram is caught by that parse", async () => {
    const { default: mermaid } = await import("mermaid")
    const error = await mermaid.parse("stateDiagram-v2\n  a --> b : x\n  a -> : ?").then(
      () => "",
      (e: unknown) => String(e)
    )
    expect(error).toMatch(/Parse error/)
  })
})
