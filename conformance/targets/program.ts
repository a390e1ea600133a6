/**
 * The program target: the suite's `apply` traces run against the compiled on-chain program
 * (programs/dotdns/dotdns.so) in LiteSVM, in lockstep with the executable spec. The harness is the
 * program's own (`programs/dotdns/test/lockstep.ts` over `programs/client/svm.ts`): every op is sent
 * as a real transaction and applied by the spec at the same slot, and the two must agree on the rule
 * of a rejection, on every account's bytes after a success, on the vault balance and on every actor's
 * lamports. Traces come from three sources:
 *
 *   vectors    every transition vector of spec/v1 (pre-state loaded account by account)
 *   machines   the model-based traces of the xstate lifecycles (every transition)
 *   generated  random op sequences (fast-check, shrunk on a divergence)
 */
import fc from "fast-check"
import { opFromJson, stateFromJson } from "../../spec/src/json.ts"
import type { Op, OpKind } from "../../spec/src/ops.ts"
import type { Params } from "../../spec/src/params.ts"
import { emptyState, type State } from "../../spec/src/state.ts"
import { SPEC_VERSION } from "../../spec/src/version.ts"
import { GENERATOR_PARAMS, opSequence, POPULATION, STAKE_MODE_PARAMS } from "../../spec/test/arbitrary-ops.ts"
import { Divergence, Lockstep, specAccounts, Unencodable } from "../../programs/dotdns/test/lockstep.ts"
import { toBase58 } from "../../programs/client/base58.ts"
import { equal, hex } from "../../spec/src/bytes.ts"
import { accountFields } from "../suite/compare.ts"
import { loadTraces } from "../suite/machines.ts"
import type { Profile } from "../suite/properties.ts"
import type { Check, Report } from "../suite/report.ts"
import { finish, UsageError, type RunResult } from "../suite/run.ts"
import { applyInput, badOrderScenario, compactTrace, quorumScenario, timelockScenario, type Step } from "../suite/scenarios.ts"
import { loadVectors, vectorDir } from "../suite/vectors.ts"

export const SOURCES = ["vectors", "machines", "generated"] as const
export type Source = (typeof SOURCES)[number]

/** How one trace went in lockstep. */
export type Replay =
  | { readonly ok: true; readonly steps: number; readonly unencodable: number; readonly undecoded: number }
  | { readonly ok: false; readonly step: number; readonly kind: OpKind; readonly message: string; readonly accounts: readonly string[] }

export interface ReplayOptions {
  /** Generated sequences know their signers: real keys, signatures verified. Otherwise keys are impersonated. */
  readonly actors?: boolean
  readonly params?: Params
}

/** Every spec account the chain holds differently, field by field (decoded with the spec's layouts). */
export const accountDiffs = (l: Lockstep): string[] => {
  const out: string[] = []
  for (const a of specAccounts(l.state, (x) => l.pda(x))) {
    if (a.kind === "Vault") continue
    const key = `${a.kind}/${toBase58(a.address)}`
    const raw = l.chain.raw(a.address)
    if (raw === undefined) out.push(`${key}: held by the spec, missing on chain`)
    else if (!equal(raw.data, a.bytes)) out.push(...accountFields(key, hex(a.bytes), hex(raw.data)).map((d) => d.replace(/implementation/g, "program")))
  }
  return out
}

// #region replay
/**
 * Replays a trace on spec and program side by side from `pre`. The first disagreement ends it, with
 * the step and the harness's account-level description. Ops the client cannot encode as an instruction
 * (a field beyond its wire range) never reach a chain and are counted, not compared.
 */
export const replayTrace = (pre: State, steps: readonly Step[], o: ReplayOptions = {}): Replay => {
  const l = new Lockstep({ sigverify: o.actors === true, ...(o.params !== undefined ? { params: o.params } : {}) })
  if (o.actors === true) for (const k of [POPULATION.admin, ...POPULATION.miners, ...POPULATION.witnesses, ...POPULATION.owners, POPULATION.outsider]) l.actor(k)
  l.load(pre, steps[0]?.slot ?? 0n)
  let unencodable = 0
  for (let i = 0; i < steps.length; i++) {
    const { slot, op } = steps[i]!
    l.warpTo(slot)
    try {
      if (o.actors !== true) l.impersonate(op)
      l.step(op)
    } catch (e) {
      if (e instanceof Unencodable) {
        unencodable++
        continue
      }
      const message = e instanceof Divergence ? e.message : `the harness failed: ${(e as Error).stack ?? String(e)}`
      return { ok: false, step: i, kind: op.kind, message, accounts: e instanceof Divergence ? accountDiffs(l) : [] }
    }
  }
  return { ok: true, steps: steps.length, unencodable, undecoded: l.undecoded.length }
}
// #endregion replay

const MAX_LOG_LINES = 25

const failure = (r: Extract<Replay, { ok: false }>, steps: readonly Step[]): Pick<Check, "reason" | "details" | "rules"> => {
  const [first, ...rest] = r.message.split("\n")
  const rules = [...new Set([...(first ?? "").matchAll(/\[([A-Z]{3}-\d+)\]/g)].map((m) => m[1]!))]
  return {
    reason: `step ${r.step} (${r.kind}): ${first}`,
    rules,
    details: [
      ...(r.accounts.length > 0 ? ["accounts, spec vs program:", ...r.accounts.slice(0, 16).map((a) => `  ${a}`)] : []),
      ...rest.slice(0, MAX_LOG_LINES),
      ...(rest.length > MAX_LOG_LINES ? [`… ${rest.length - MAX_LOG_LINES} more log lines`] : []),
      "trace:",
      ...compactTrace(steps).map((l) => `  ${l}`)
    ]
  }
}

const notes = (r: Extract<Replay, { ok: true }>): string[] =>
  r.unencodable + r.undecoded > 0 ? [`${r.steps} steps; ${r.unencodable} not encodable as an instruction, ${r.undecoded} rejected by the instruction decoder`] : [`${r.steps} steps`]

export interface ProgramOptions {
  readonly only: readonly string[]
  readonly profile: Profile
  readonly seed: number
  readonly runs?: number
  readonly junit?: string
  readonly json?: string
  readonly log: (line: string) => void
}

interface Trace {
  readonly pre: unknown
  readonly steps: readonly { readonly slot: string; readonly op: unknown }[]
}

export const runProgramTarget = async (o: ProgramOptions): Promise<RunResult> => {
  const started = performance.now()
  const startedAt = new Date().toISOString()
  const only = o.only.flatMap((s) => s.split(",")).map((s) => s.trim()).filter((s) => s !== "")
  for (const s of only) if (!(SOURCES as readonly string[]).includes(s)) throw new UsageError(`--only: "${s}" is not a trace source (${SOURCES.join(", ")})`)
  const wanted = (s: Source) => only.length === 0 || only.includes(s)
  const checks: Check[] = []
  const diverging = new Map<string, number>()
  const record = (c: Check, kind?: OpKind) => {
    checks.push(c)
    if (kind !== undefined) diverging.set(kind, (diverging.get(kind) ?? 0) + 1)
  }

  // ---------------------------------------------------------------------------------------- vectors
  if (wanted("vectors")) {
    const t0 = performance.now()
    const loaded = loadVectors(vectorDir("v1"))
    for (const v of loaded.vectors.filter((x) => x.op === "apply")) {
      const input = v.input as Trace
      const name = v.path.replace(/^transition\//, "")
      const t = performance.now()
      let steps: Step[]
      let pre: State
      try {
        pre = stateFromJson(input.pre)
        steps = input.steps.map((s) => ({ slot: BigInt(s.slot), op: opFromJson(s.op) as Op }))
      } catch (e) {
        record({ part: "program", area: "vectors", name, status: "failed", ms: 0, reason: `the vector does not decode: ${(e as Error).message}` })
        continue
      }
      const r = replayTrace(pre, steps)
      const base = { part: "program", area: "vectors", name, ms: performance.now() - t }
      if (r.ok) record({ ...base, status: "passed", details: notes(r), rules: v.rules })
      else record({ ...base, status: "failed", ...failure(r, steps) }, r.kind)
    }
    o.log(`vectors: ${checks.filter((c) => c.area === "vectors" && c.status === "passed").length} traces agree, ${checks.filter((c) => c.area === "vectors" && c.status === "failed").length} diverge (${((performance.now() - t0) / 1000).toFixed(1)} s)`)
  }

  // --------------------------------------------------------------------------------------- machines
  if (wanted("machines")) {
    const t0 = performance.now()
    const traces = await loadTraces()
    if (!traces.ok) record({ part: "program", area: "machines", name: "machinePaths()", status: traces.absent ? "not-run" : "failed", ms: 0, reason: traces.message })
    else
      for (const m of traces.coverage)
        for (const t of m.traces) {
          const steps = t.steps as readonly Step[]
          const s = performance.now()
          const r = replayTrace(emptyState(), steps)
          const base = { part: "program", area: "machines", name: t.name, ms: performance.now() - s }
          if (r.ok) record({ ...base, status: "passed", details: notes(r) })
          else record({ ...base, status: "failed", ...failure(r, steps) }, r.kind)
        }
    o.log(`machines: ${checks.filter((c) => c.area === "machines" && c.status === "passed").length} traces agree, ${checks.filter((c) => c.area === "machines" && c.status === "failed").length} diverge (${((performance.now() - t0) / 1000).toFixed(1)} s)`)
  }

  // -------------------------------------------------------------------------------------- generated
  if (wanted("generated")) {
    const long = o.profile === "thorough"
    const generated: readonly { name: string; traces: fc.Arbitrary<{ steps: Step[]; shown: unknown }>; replay: ReplayOptions; runs: number }[] = [
      ...([["allowlist mode", GENERATOR_PARAMS], ["stake mode", STAKE_MODE_PARAMS]] as const).map(([label, params]) => ({
        name: `op sequences, ${label}`,
        traces: opSequence({ params, minLength: 20, maxLength: long ? 100 : 50 }).map((steps) => ({ steps, shown: { trace: compactTrace(steps) } })),
        replay: { actors: true, params },
        runs: long ? 400 : 20
      })),
      ...([["quorum", quorumScenario], ["timelock", timelockScenario], ["bad-order", badOrderScenario]] as const).map(([name, scenario]) => ({
        name: `scenario ${name}`,
        traces: scenario().map(({ scenario: sc, steps }) => ({ steps: [...steps], shown: { scenario: sc, trace: compactTrace(steps) } })),
        replay: {},
        runs: long ? 200 : 15
      }))
    ]
    for (const g of generated) {
      const t0 = performance.now()
      const details = fc.check(
        fc.property(g.traces, ({ steps }) => replayTrace(emptyState(), steps, g.replay).ok),
        { seed: o.seed, numRuns: o.runs ?? g.runs, interruptAfterTimeLimit: long ? 600_000 : 120_000, markInterruptAsFailure: false }
      )
      const base = { part: "program", area: "generated", name: g.name, ms: performance.now() - t0 }
      if (!details.failed) record({ ...base, status: "passed", details: [`${details.numRuns} traces`] })
      else {
        const { steps, shown } = details.counterexample![0]
        const r = replayTrace(emptyState(), steps, g.replay)
        const f = r.ok ? { reason: `diverged while shrinking, agrees on the shrunk trace: ${String(details.errorInstance ?? "")}` } : failure(r, steps)
        record(
          {
            ...base,
            status: "failed",
            ...f,
            counterexample: {
              input: applyInput(steps),
              shown,
              seed: details.seed,
              path: details.counterexamplePath ?? "",
              shrinks: details.numShrinks,
              runsBeforeFailure: Math.max(0, details.numRuns - 1)
            }
          },
          r.ok ? undefined : r.kind
        )
      }
      o.log(`generated (${g.name}): ${details.failed ? "diverges" : `${details.numRuns} traces agree`} (${((performance.now() - t0) / 1000).toFixed(1)} s)`)
    }
  }

  const report: Report = {
    title: "dotdns conformance program",
    target: "programs/dotdns/dotdns.so in LiteSVM, in lockstep with the executable spec (programs/dotdns/test/lockstep.ts)",
    spec: `v1 (suite ${SPEC_VERSION})`,
    profile: o.profile,
    seed: o.seed,
    ...(only.length > 0 ? { only } : {}),
    startedAt,
    ms: performance.now() - started,
    checks,
    notes: diverging.size === 0 ? [] : [`diverging ops (first divergence of each failing trace): ${[...diverging].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ×${n}`).join(", ")}`]
  }
  return finish(report, o)
}
