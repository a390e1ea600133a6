/**
 * What every lifecycle machine shares: a projection (state value plus key context fields, read off a
 * spec `State`), edges named by their transition definition, and a pure step that says which edges an
 * event takes from a projection.
 */
import { transition, type AnyStateMachine, type StateValue } from "xstate"
import { getStateNodes } from "xstate/graph"

/** A machine's view of one instance: its state value and the context its guards read. */
export interface Projection<C = unknown> {
  readonly value: StateValue
  readonly context: C
}

export type MachineName = "round" | "challenge" | "proposal" | "miner"
export const MACHINE_NAMES: readonly MachineName[] = ["round", "challenge", "proposal", "miner"]

/** A deterministic text form of any projection or event: object keys sorted, bigints as `123n`. */
export const canonical = (x: unknown): string => {
  if (typeof x === "bigint") return `${x}n`
  if (x === undefined) return "undefined"
  if (x === null || typeof x !== "object") return JSON.stringify(x)
  if (x instanceof Uint8Array) return `0x${Buffer.from(x).toString("hex")}`
  if (Array.isArray(x)) return `[${x.map(canonical).join(",")}]`
  const o = x as Record<string, unknown>
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
    .join(",")}}`
}

export const sameProjection = (a: Projection, b: Projection): boolean =>
  canonical({ value: a.value, context: a.context }) === canonical({ value: b.value, context: b.context })

// ------------------------------------------------------------------------------------------------- edges

interface GuardLike {
  readonly name?: string
  readonly type?: string
  readonly guards?: readonly unknown[]
}

/** `a ∧ ¬b` for `and(["a", not("b")])`; named guards print their name. */
export const guardLabel = (g: unknown): string => {
  if (g === undefined || g === null) return ""
  if (typeof g === "string") return g
  const x = g as GuardLike
  if (typeof g === "function" && x.guards !== undefined) {
    const parts = x.guards.map(guardLabel)
    if (x.name === "and") return parts.join(" ∧ ")
    if (x.name === "or") return parts.map((p) => (p.includes(" ") ? `(${p})` : p)).join(" ∨ ")
    if (x.name === "not") return `¬${parts[0]!.includes(" ") ? `(${parts[0]})` : parts[0]}`
  }
  if (typeof x.type === "string") return x.type
  return typeof x.name === "string" && x.name !== "" ? x.name : "guard"
}

/** The parts of an xstate transition definition an edge is named by. */
export interface TransitionLike {
  readonly source: { readonly path: readonly string[] }
  readonly target?: ReadonlyArray<{ readonly path: readonly string[] }> | undefined
  readonly eventType: string
  readonly guard?: unknown
}

export const nodeName = (path: readonly string[]): string => (path.length === 0 ? "(root)" : path.join("."))

export interface Edge {
  /** `source --event [guard]--> target`, unique within its machine. */
  readonly id: string
  readonly source: string
  readonly target: string
  readonly event: string
  readonly guard: string
  /** False for a transition without a target: it only updates the context. */
  readonly moves: boolean
}

export const edgeOf = (t: TransitionLike): Edge => {
  const source = nodeName(t.source.path)
  const target = t.target !== undefined && t.target.length > 0 ? nodeName(t.target[0]!.path) : source
  const guard = guardLabel(t.guard)
  return {
    id: `${source} --${t.eventType}${guard === "" ? "" : ` [${guard}]`}--> ${target}`,
    source,
    target,
    event: t.eventType,
    guard,
    moves: t.target !== undefined && t.target.length > 0
  }
}

/** Every transition the machine defines, in document order. */
export const machineEdges = (machine: AnyStateMachine): Edge[] => {
  const edges: Edge[] = []
  for (const node of [machine.root, ...getStateNodes(machine.root)])
    for (const ts of node.transitions.values()) for (const t of ts) edges.push(edgeOf(t))
  const ids = new Set<string>()
  for (const e of edges) {
    if (ids.has(e.id)) throw new Error(`machine ${machine.id} defines edge ${e.id} twice`)
    ids.add(e.id)
  }
  return edges
}

/** The machine snapshot a projection stands for. */
export const snapshotOf = (machine: AnyStateMachine, p: Projection) => machine.resolveState({ value: p.value, context: p.context as never })

export interface MachineStep {
  readonly next: Projection
  /** The edges the event takes (one per parallel region that reacts); empty if the machine refuses it. */
  readonly edges: readonly string[]
}

/** `transition(project(before), event)`: what the machine says the projection becomes. */
export const stepMachine = (machine: AnyStateMachine, from: Projection, event: { readonly type: string }): MachineStep => {
  const snapshot = snapshotOf(machine, from)
  const taken = machine.getTransitionData(snapshot, event as never)
  if (taken.length === 0) return { next: from, edges: [] }
  const [next] = transition(machine, snapshot, event as never)
  return { next: { value: next.value, context: next.context }, edges: taken.map((t) => edgeOf(t).id) }
}
