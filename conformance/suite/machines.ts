/**
 * Part (c): model-based traces. The xstate lifecycles (round, challenge, proposal, miner) are
 * explored so that their paths together take every transition; each path is realized as a concrete op
 * trace (`machinePaths()` in spec/src/machines/paths.ts). Each trace goes to the adapter as one `apply`
 * request and is compared with the spec step by step (rule or post_root per step), then the final
 * state. The suite also checks that the traces take every edge, so a silently shrinking model is seen.
 */
import type { Adapter } from "./adapter.ts"
import { judge } from "./compare.ts"
import { selects, type Filter } from "./filter.ts"
import { specAnswer } from "./properties.ts"
import { NOT_OFFERED, type Check } from "./report.ts"
import { applyInput } from "./scenarios.ts"

/** A trace as `apply` takes it, with what the model says about it. */
export interface ModelTrace {
  readonly machine: string
  readonly name: string
  readonly edges: readonly string[]
  readonly steps: readonly { readonly slot: bigint; readonly op: unknown }[]
}

export interface ModelCoverage {
  readonly machine: string
  readonly edges: readonly string[]
  readonly unreachable: readonly string[]
  readonly traces: readonly ModelTrace[]
}

export type Traces = { readonly ok: true; readonly coverage: readonly ModelCoverage[] } | { readonly ok: false; readonly absent: boolean; readonly message: string }

/** Loads `machinePaths()`; its module may not have landed, or may not build. */
export const loadTraces = async (): Promise<Traces> => {
  let mod: { machinePaths: () => Record<string, ModelCoverage> }
  try {
    mod = (await import("../../spec/src/machines/paths.ts")) as unknown as typeof mod
  } catch (e) {
    const absent = (e as { code?: string }).code === "ERR_MODULE_NOT_FOUND"
    return { ok: false, absent, message: `spec/src/machines/paths.ts ${absent ? "is not there" : `does not load: ${(e as Error).message}`}` }
  }
  try {
    return { ok: true, coverage: Object.values(mod.machinePaths()) }
  } catch (e) {
    return { ok: false, absent: false, message: `machinePaths() threw: ${(e as Error).message}` }
  }
}

export const traceInput = (t: ModelTrace): unknown => applyInput(t.steps as Parameters<typeof applyInput>[0])

/** Runs every trace through the adapter and checks coverage; the traces are built only when they will be sent. */
export const runMachines = async (adapter: Adapter, filter: Filter, load: () => Promise<Traces> = loadTraces): Promise<Check[]> => {
  if (!selects(filter, "machines", "transition", "apply")) return []
  const base = { part: "machines", rules: [] as string[] }
  if (!adapter.supports("apply")) return [{ ...base, area: "paths", name: "model-based traces", status: "not-run", ms: 0, reason: `${NOT_OFFERED}apply` }]
  const traces = await load()
  if (!traces.ok)
    return [
      traces.absent
        ? { ...base, area: "paths", name: "machinePaths()", status: "not-run", ms: 0, reason: traces.message }
        : { ...base, area: "paths", name: "machinePaths()", status: "failed", ms: 0, reason: `the model-based traces could not be built (a spec problem, not the adapter's): ${traces.message}` }
    ]
  const out: Check[] = []
  for (const m of traces.coverage) {
    const taken = new Set(m.traces.flatMap((t) => t.edges))
    const missing = m.edges.filter((e) => !taken.has(e))
    out.push({
      ...base,
      area: m.machine,
      name: "every transition covered",
      ms: 0,
      ...(missing.length === 0
        ? { status: "passed" as const, details: [`${m.edges.length} edges, ${m.traces.length} traces`] }
        : { status: "failed" as const, reason: `${missing.length} of ${m.edges.length} transitions are taken by no trace (a spec-side gap)`, details: missing.slice(0, 12) })
    })
    for (const t of m.traces) {
      const input = traceInput(t)
      const started = performance.now()
      const pending = adapter.request("apply", input)
      const expected = specAnswer("apply", input)
      const reply = await pending
      const ms = performance.now() - started
      if ("thrown" in expected) {
        out.push({ ...base, area: m.machine, name: t.name, status: "failed", ms, reason: `the executable spec threw: ${expected.thrown.message}` })
        continue
      }
      const v = judge("apply", input, expected, reply)
      if (v.kind === "pass") out.push({ ...base, area: m.machine, name: t.name, status: "passed", ms })
      else if (v.kind === "declined") out.push({ ...base, area: m.machine, name: t.name, status: "not-run", ms, reason: `declined by the adapter (CNF-2): ${v.message}` })
      else
        out.push({
          ...base,
          area: m.machine,
          name: t.name,
          status: "failed",
          ms,
          rules: v.difference.rules,
          reason: v.difference.summary,
          details: [`edges: ${t.edges.join(" → ")}`, ...v.difference.details]
        })
    }
  }
  return out
}
