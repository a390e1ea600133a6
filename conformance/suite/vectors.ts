/**
 * Part (a): every committed vector of the spec version, sent to the adapter and compared exactly —
 * outputs as canonical JSON, rejections by rule [CNF-2] — and the check that every vector file was
 * consumed [CNF-3]. A file the adapter was not asked (its operation is not in `hello.ops`, `--only`
 * left it out) or declined (CNF-2) is not consumed; a run with any such file fails unless `--only`
 * narrowed it, and then it is reported as partial.
 */
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import type { Adapter } from "./adapter.ts"
import { judge, type Expected } from "./compare.ts"
import { isFiltered, selects, type Filter } from "./filter.ts"
import { versionAtMost } from "./protocol.ts"
import { LEFT_OUT, NOT_OFFERED, type Check } from "./report.ts"

export interface Vector {
  /** Path under the vectors directory, e.g. `merkle/verify_inclusion-flipped-path.json`. */
  readonly path: string
  readonly spec: string
  readonly area: string
  readonly op: string
  readonly rules: readonly string[]
  readonly description: string
  readonly input: unknown
  readonly expected: Expected
}

/** `spec/<version>/vectors/`, e.g. `spec/v1/vectors/`. */
export const vectorDir = (spec: string): string => fileURLToPath(new URL(`../../spec/${spec}/vectors/`, import.meta.url))

export interface Loaded {
  readonly vectors: readonly Vector[]
  /** Files that are not vectors (other than README.md) or do not parse: each fails the run. */
  readonly broken: readonly { readonly path: string; readonly problem: string }[]
}

/** Reads every file of the directory; anything that is not a well-formed vector is reported, not skipped. */
export const loadVectors = (dir: string): Loaded => {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name).slice(dir.length).replace(/^\/+/, ""))
    .sort()
  const vectors: Vector[] = []
  const broken: { path: string; problem: string }[] = []
  for (const path of files) {
    if (path === "README.md") continue
    if (!path.endsWith(".json")) {
      broken.push({ path, problem: "not a .json vector file" })
      continue
    }
    try {
      const v = JSON.parse(readFileSync(join(dir, path), "utf8")) as Record<string, unknown>
      const ok =
        typeof v["spec"] === "string" && typeof v["area"] === "string" && typeof v["op"] === "string" && Array.isArray(v["rules"]) &&
        "input" in v && ("output" in v) !== ("error" in v)
      if (!ok) throw new Error("missing spec, area, op, rules or input, or not exactly one of output and error")
      const expected: Expected = "output" in v ? { output: v["output"] } : { error: v["error"] as { rule: string } }
      vectors.push({
        path,
        spec: v["spec"] as string,
        area: v["area"] as string,
        op: v["op"] as string,
        rules: v["rules"] as string[],
        description: typeof v["description"] === "string" ? v["description"] : "",
        input: v["input"],
        expected
      })
    } catch (e) {
      broken.push({ path, problem: (e as Error).message })
    }
  }
  return { vectors, broken }
}

/** The check's name: the path without its area directory (the check's area says it). */
const fileName = (v: Vector): string => (v.path.startsWith(`${v.area}/`) ? v.path.slice(v.area.length + 1) : v.path)

export interface VectorRun {
  readonly checks: Check[]
  readonly notes: string[]
}

/**
 * Runs the vectors through the adapter, `window` requests in flight (1 by default, so that each
 * check's time is its own).
 */
export const runVectors = async (adapter: Adapter, loaded: Loaded, filter: Filter, window = 1): Promise<VectorRun> => {
  const stated = adapter.hello.spec
  const checks: Check[] = []
  const notes: string[] = []
  const applicable = loaded.vectors.filter((v) => versionAtMost(v.spec, stated))
  const newer = loaded.vectors.length - applicable.length
  if (newer > 0) notes.push(`${newer} vectors of versions after ${stated} do not apply to this adapter [VER-3]`)
  const consumed = new Set<string>()
  const unconsumed: { path: string; why: string }[] = []
  const results = new Array<Check | undefined>(applicable.length)

  const todo: number[] = []
  applicable.forEach((v, i) => {
    const base = { part: "vectors", area: v.area, name: fileName(v), ms: 0, rules: v.rules }
    if (!selects(filter, "vectors", v.area, v.op)) {
      results[i] = { ...base, status: "not-run", reason: LEFT_OUT }
      unconsumed.push({ path: v.path, why: "--only" })
    } else if (!adapter.supports(v.op)) {
      results[i] = { ...base, status: "not-run", reason: `${NOT_OFFERED}${v.op}` }
      unconsumed.push({ path: v.path, why: `op ${v.op} not offered` })
    } else todo.push(i)
  })

  let next = 0
  const worker = async (): Promise<void> => {
    while (next < todo.length) {
      const i = todo[next++]!
      const v = applicable[i]!
      const started = performance.now()
      const reply = await adapter.request(v.op, v.input)
      const verdict = judge(v.op, v.input, v.expected, reply)
      const base = { part: "vectors", area: v.area, name: fileName(v), ms: reply.kind === "answer" ? reply.ms : performance.now() - started, rules: v.rules }
      if (verdict.kind === "pass") {
        results[i] = { ...base, status: "passed" }
        consumed.add(v.path)
      } else if (verdict.kind === "declined") {
        results[i] = { ...base, status: "not-run", reason: `declined by the adapter (CNF-2): ${verdict.message}` }
        unconsumed.push({ path: v.path, why: "declined" })
      } else {
        results[i] = { ...base, status: "failed", reason: verdict.difference.summary, details: [`vector: ${v.description}`, ...verdict.difference.details] }
        consumed.add(v.path)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, window) }, worker))
  checks.push(...(results as Check[]))

  for (const b of loaded.broken) checks.push({ part: "vectors", area: "files", name: b.path, status: "failed", ms: 0, reason: `unreadable vector file: ${b.problem}` })

  // #region cnf-3
  const total = applicable.length
  const cnf3 = { part: "vectors", area: "consumption", name: "every vector file consumed", ms: 0, rules: ["CNF-3"] }
  if (unconsumed.length === 0 && loaded.broken.length === 0) checks.push({ ...cnf3, status: "passed", details: [`${consumed.size} of ${total} vector files consumed`] })
  else {
    const why = new Map<string, number>()
    for (const u of unconsumed) why.set(u.why, (why.get(u.why) ?? 0) + 1)
    const details = [...why].map(([w, n]) => `${n} not consumed: ${w}`)
    if (isFiltered(filter) && loaded.broken.length === 0)
      checks.push({ ...cnf3, status: "not-run", reason: `partial run (--only): ${total - consumed.size} of ${total} vector files not consumed`, details })
    else
      checks.push({ ...cnf3, status: "failed", reason: `${total - consumed.size} of ${total} vector files were not consumed`, details: [...details, ...unconsumed.slice(0, 10).map((u) => `${u.path} (${u.why})`)] })
  }
  // #endregion cnf-3
  return { checks, notes }
}
