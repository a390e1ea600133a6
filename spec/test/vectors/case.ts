/**
 * Test vectors as data [VER-3], produced by these generators (one module per area) and written by
 * `npm run vectors`. A case names the conformance operation, its input JSON and what the generator
 * expects; the output is computed by the executable spec (`runOperation`), and the generator fails if
 * the spec does not do what the case expects — so a vector is never silently wrong.
 */
import { runOperation, type OperationName } from "../../src/conformance.ts"
import type { RuleId } from "../../src/rules.ts"
import { SPEC_VERSION } from "../../src/version.ts"

export const AREAS = ["encoding", "hashing", "names", "routes", "signatures", "merkle", "aggregate", "committee", "transition"] as const
export type Area = (typeof AREAS)[number]

export interface VectorCase {
  readonly area: Area
  /** File name without `.json`: lowercase, digits, `-` and `_`. */
  readonly name: string
  readonly op: OperationName
  readonly rules: readonly RuleId[]
  readonly description: string
  readonly input: unknown
  /** The rule the spec must reject with; absent for a positive case. */
  readonly error?: RuleId
  /** For `apply` traces: each step's expected outcome, `null` for success. */
  readonly expectSteps?: readonly (RuleId | null)[]
}

export interface VectorFile {
  readonly spec: string
  readonly area: Area
  readonly op: OperationName
  readonly rules: readonly RuleId[]
  readonly description: string
  readonly input: unknown
  readonly output?: unknown
  readonly error?: { readonly rule: RuleId }
}

/** Runs a case through the spec and checks the outcome is the one it expects. */
export const realize = (c: VectorCase): VectorFile => {
  const answer = runOperation(c.op, c.input)
  const head = { spec: SPEC_VERSION, area: c.area, op: c.op, rules: c.rules, description: c.description, input: c.input }
  if ("error" in answer) {
    if (c.error === undefined) throw new Error(`${c.area}/${c.name}: expected success, got [${answer.error.rule}] ${answer.error.message}`)
    if (answer.error.rule !== c.error) throw new Error(`${c.area}/${c.name}: expected ${c.error}, got [${answer.error.rule}] ${answer.error.message}`)
    return { ...head, error: { rule: answer.error.rule } }
  }
  if (c.error !== undefined) throw new Error(`${c.area}/${c.name}: expected ${c.error}, but the spec accepted it`)
  if (c.expectSteps !== undefined) {
    const got = (answer.output as { steps: { error?: { rule: RuleId } }[] }).steps.map((s) => s.error?.rule ?? null)
    if (JSON.stringify(got) !== JSON.stringify(c.expectSteps))
      throw new Error(`${c.area}/${c.name}: step outcomes ${JSON.stringify(got)}, expected ${JSON.stringify(c.expectSteps)}`)
  }
  return { ...head, output: answer.output }
}

export const render = (f: VectorFile): string => `${JSON.stringify(f, null, 2)}\n`

/** Collects cases of one area, refusing duplicate names. */
export class Cases {
  readonly list: VectorCase[] = []
  private readonly names = new Set<string>()
  readonly area: Area
  constructor(area: Area) {
    this.area = area
  }
  add(name: string, op: OperationName, rules: readonly RuleId[], description: string, input: unknown, error?: RuleId, expectSteps?: readonly (RuleId | null)[]): void {
    if (!/^[a-z0-9_-]+$/.test(name)) throw new Error(`bad vector name ${name}`)
    if (this.names.has(name)) throw new Error(`duplicate vector ${this.area}/${name}`)
    this.names.add(name)
    this.list.push({
      area: this.area, name, op, rules, description, input,
      ...(error === undefined ? {} : { error }),
      ...(expectSteps === undefined ? {} : { expectSteps })
    })
  }
  ok(name: string, op: OperationName, rules: readonly RuleId[], description: string, input: unknown): void {
    this.add(name, op, rules, description, input)
  }
  fail(name: string, op: OperationName, rule: RuleId, description: string, input: unknown, more: readonly RuleId[] = []): void {
    this.add(name, op, [rule, ...more.filter((r) => r !== rule)], description, input, rule)
  }
}
