/**
 * One conformance run: start the adapter, check its hello [CNF-1], run the vectors (with the
 * consumption check [CNF-3]), the differential properties and the model-based traces, and put it all
 * in one report. The caller renders it; the exit code is 1 when anything failed.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs"
import { dirname } from "node:path"
import { fileURLToPath } from "node:url"
import { OPERATION_NAMES } from "../../spec/src/conformance.ts"
import { SPEC_VERSION } from "../../spec/src/version.ts"
import { Adapter, AdapterStartError } from "./adapter.ts"
import { isFiltered, parseOnly, type Filter } from "./filter.ts"
import { runMachines } from "./machines.ts"
import { PROPERTY_NAMES, runProperties, type Profile } from "./properties.ts"
import { versionCompatible } from "./protocol.ts"
import { renderHuman, renderJson, renderJunit, verdictOf, type Check, type Report } from "./report.ts"
import { loadVectors, runVectors, vectorDir } from "./vectors.ts"

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url))
const REFERENCE = fileURLToPath(new URL("../adapters/reference.ts", import.meta.url))

/** The default target: the executable spec, run by this same Node. */
export const referenceCommand = (mutant?: string): string =>
  `${JSON.stringify(process.execPath)} ${JSON.stringify(REFERENCE)}${mutant !== undefined ? ` --mutant ${mutant}` : ""}`

export interface RunOptions {
  /** A shell command line; the reference adapter when absent. */
  readonly adapter?: string
  /** The spec directory whose vectors are run: `v1`. */
  readonly spec: string
  readonly only: readonly string[]
  readonly profile: Profile
  readonly seed: number
  /** Overrides the number of cases of every property. */
  readonly runs?: number
  /** Deadline of one request. */
  readonly timeoutMs: number
  /** Time limit of one property, shrinking included (default: 20 s, thorough 120 s). */
  readonly propertyTimeLimitMs?: number
  readonly junit?: string
  readonly json?: string
  /** Progress lines (stderr); the summary is returned. */
  readonly log: (line: string) => void
  /** The adapter's stderr, when wanted. */
  readonly onAdapterStderr?: (text: string) => void
}

export interface RunResult {
  readonly report: Report
  readonly summary: string
  readonly exitCode: number
}

/** A non-negative 31-bit seed, so that it can be passed back as `--seed N`. */
export const randomSeed = (): number => (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) & 0x7fffffff

export class UsageError extends Error {
  override readonly name = "UsageError"
}

/** Parses `--only` (usage errors become UsageError). */
export const filterOf = (only: readonly string[]): Filter => {
  try {
    return parseOnly(only, PROPERTY_NAMES)
  } catch (e) {
    throw new UsageError((e as Error).message)
  }
}

const writeOut = (path: string, text: string): void => {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, text)
}

/** Writes the JUnit and JSON files asked for and renders the summary. */
export const finish = (report: Report, o: { readonly junit?: string; readonly json?: string }): RunResult => {
  if (o.junit !== undefined) writeOut(o.junit, renderJunit(report))
  if (o.json !== undefined) writeOut(o.json, renderJson(report))
  return { report, summary: renderHuman(report), exitCode: verdictOf(report) === "fail" ? 1 : 0 }
}

export const runConformance = async (o: RunOptions): Promise<RunResult> => {
  const started = performance.now()
  const startedAt = new Date().toISOString()
  const filter = filterOf(o.only)
  const dir = vectorDir(o.spec)
  if (!/^v\d+$/.test(o.spec) || !existsSync(dir)) throw new UsageError(`--spec ${o.spec}: this suite has no vectors for it (spec/${o.spec}/vectors)`)
  const command = o.adapter ?? referenceCommand()
  const checks: Check[] = []
  const notes: string[] = []
  const header = {
    title: "dotdns conformance run",
    target: o.adapter === undefined ? "reference adapter (the executable spec)" : command,
    spec: `${o.spec} (suite ${SPEC_VERSION})`,
    profile: o.profile,
    seed: o.seed,
    ...(isFiltered(filter) ? { only: filter.tokens } : {}),
    startedAt
  }
  const done = (implementation?: string): RunResult =>
    finish({ ...header, ...(implementation !== undefined ? { implementation } : {}), ms: performance.now() - started, checks, notes }, o)

  // #region hello
  o.log(`starting adapter: ${command}`)
  let adapter: Adapter
  try {
    adapter = await Adapter.start({ command, cwd: REPO_ROOT, timeoutMs: o.timeoutMs, ...(o.onAdapterStderr !== undefined ? { onStderr: o.onAdapterStderr } : {}) })
  } catch (e) {
    if (!(e instanceof AdapterStartError)) throw e
    checks.push({ part: "suite", area: "adapter", name: "hello", status: "failed", ms: performance.now() - started, rules: ["CNF-1"], reason: `the adapter did not start: ${e.message.split("\n")[0]}`, details: e.message.split("\n").slice(1) })
    return done()
  }
  const hello = adapter.hello
  const implementation = `${hello.implementation} (spec ${hello.spec}, ${hello.ops.length} operations)`
  if (!versionCompatible(hello.spec, SPEC_VERSION) || hello.spec.split(".")[0] !== o.spec.slice(1)) {
    checks.push({ part: "suite", area: "adapter", name: "hello", status: "failed", ms: 0, rules: ["CNF-1", "VER-3"], reason: `the adapter states spec ${hello.spec}; this suite has vectors for ${SPEC_VERSION} (spec/${o.spec}) and refuses to run it` })
    await adapter.close()
    return done(implementation)
  }
  const unknown = hello.ops.filter((op) => !(OPERATION_NAMES as readonly string[]).includes(op))
  if (unknown.length > 0) notes.push(`hello lists operations spec ${SPEC_VERSION} does not define (never sent): ${unknown.join(", ")}`)
  const missing = OPERATION_NAMES.filter((op) => !adapter.supports(op))
  if (missing.length > 0) notes.push(`operations the adapter does not offer (${missing.length} of ${OPERATION_NAMES.length}): ${missing.join(", ")}`)
  checks.push({ part: "suite", area: "adapter", name: "hello", status: "passed", ms: 0, rules: ["CNF-1"], details: [implementation] })
  o.log(`adapter: ${implementation}`)
  // #endregion hello

  try {
    const t0 = performance.now()
    const vectors = await runVectors(adapter, loadVectors(dir), filter)
    checks.push(...vectors.checks)
    notes.push(...vectors.notes)
    o.log(`vectors: ${vectors.checks.filter((c) => c.status === "passed").length} passed, ${vectors.checks.filter((c) => c.status === "failed").length} failed in ${((performance.now() - t0) / 1000).toFixed(1)} s`)

    o.log(`properties (profile ${o.profile}, seed ${o.seed}):`)
    checks.push(
      ...(await runProperties(adapter, filter, {
        profile: o.profile,
        seed: o.seed,
        ...(o.runs !== undefined ? { runs: o.runs } : {}),
        timeLimitMs: o.propertyTimeLimitMs ?? (o.profile === "thorough" ? 120_000 : 20_000),
        log: o.log
      }))
    )

    if (filter.parts.size === 0 || filter.parts.has("machines")) {
      const t1 = performance.now()
      const machineChecks = await runMachines(adapter, filter)
      checks.push(...machineChecks)
      if (machineChecks.length > 0) o.log(`machines: ${machineChecks.filter((c) => c.status === "passed").length} passed, ${machineChecks.filter((c) => c.status === "failed").length} failed in ${((performance.now() - t1) / 1000).toFixed(1)} s`)
    }
  } finally {
    await adapter.close()
  }

  const violations = adapter.incidents.filter((i) => i.startsWith("protocol violation"))
  checks.push(
    violations.length === 0
      ? { part: "suite", area: "adapter", name: "protocol", status: "passed", ms: 0, rules: ["CNF-2"] }
      : { part: "suite", area: "adapter", name: "protocol", status: "failed", ms: 0, rules: ["CNF-2"], reason: `${violations.length} protocol violations`, details: violations.slice(0, 10) }
  )
  if (adapter.incidents.length > 0) notes.push(`adapter incidents (${adapter.incidents.length}, ${adapter.restartCount} restarts):`, ...adapter.incidents.slice(0, 15).map((i) => `  ${i}`))
  return done(implementation)
}
