/**
 * The bridge between `apply` and the lifecycle machines, checked one op at a time:
 *
 * - accepted op: for every instance the op sends events to, `project(after)` equals the machine's
 *   transition from `project(before)` under those events (each of which must take an edge); every
 *   other instance's projection is unchanged;
 * - rejected op: the state is unchanged, and a machine that models the broken rule refuses the event.
 */
import { isError } from "../apply.ts"
import type { ProtocolError } from "../errors.ts"
import type { Op } from "../ops.ts"
import type { Env, State } from "../state.ts"
import { canonical, MACHINE_NAMES, stepMachine, type MachineName, type Projection } from "./common.ts"
import { CHALLENGE_RULES, challengeMachine } from "./challenge.ts"
import { opEvents, type InstanceEvent } from "./events.ts"
import { MINER_RULES, minerMachine } from "./miner.ts"
import { instancesOf, project, proposalAmbiguous } from "./project.ts"
import { PROPOSAL_RULES, proposalMachine } from "./proposal.ts"
import { ROUND_RULES, roundMachine } from "./round.ts"

export const MACHINES = {
  round: roundMachine,
  challenge: challengeMachine,
  proposal: proposalMachine,
  miner: minerMachine
} as const

/** The rules each machine's guards stand for: a rejection for one of them must take no edge. */
export const MODELED_RULES: Readonly<Record<MachineName, readonly string[]>> = {
  round: ROUND_RULES,
  challenge: CHALLENGE_RULES,
  proposal: PROPOSAL_RULES,
  miner: MINER_RULES
}

export interface TakenEdges {
  readonly machine: MachineName
  readonly key: string
  readonly edges: readonly string[]
}

export interface StepCheck {
  /** The edges each touched instance took, in event order. */
  readonly taken: readonly TakenEdges[]
  /** Empty when `apply` and the machines agree. */
  readonly problems: readonly string[]
}

/** A proposal whose executed/active split the state cannot tell is compared as `active` [see pendingProposalIds]. */
const comparable = (machine: MachineName, key: string, p: Projection, states: readonly State[]): string => {
  if (machine === "proposal" && p.value === "executed" && states.some((s) => proposalAmbiguous(s, BigInt(key))))
    return canonical({ value: "active", context: p.context })
  return canonical({ value: p.value, context: p.context })
}

const groupByInstance = (events: readonly InstanceEvent[]): Map<string, { machine: MachineName; key: string; events: InstanceEvent[] }> => {
  const out = new Map<string, { machine: MachineName; key: string; events: InstanceEvent[] }>()
  for (const e of events) {
    const id = `${e.machine}:${e.key}`
    const g = out.get(id) ?? { machine: e.machine, key: e.key, events: [] }
    g.events.push(e)
    out.set(id, g)
  }
  return out
}

export const checkStep = (before: State, op: Op, env: Env, result: State | ProtocolError): StepCheck => {
  const events = opEvents(before, op, env)
  const problems: string[] = []
  const taken: TakenEdges[] = []
  const at = `${op.kind} at slot ${env.slot}`

  if (isError(result)) {
    for (const e of events) {
      if (!MODELED_RULES[e.machine].includes(result.rule)) continue
      const step = stepMachine(MACHINES[e.machine], project(e.machine, before, e.key), e.event)
      if (step.edges.length > 0)
        problems.push(`${at} was rejected [${result.rule}] but ${e.machine} ${e.key} takes ${step.edges.join(", ")} on ${canonical(e.event)}`)
    }
    return { taken, problems }
  }

  const after = result
  const groups = groupByInstance(events)
  for (const g of groups.values()) {
    const machine = MACHINES[g.machine]
    let p = project(g.machine, before, g.key)
    const edges: string[] = []
    for (const e of g.events) {
      const step = stepMachine(machine, p, e.event)
      if (step.edges.length === 0) problems.push(`${at}: ${g.machine} ${g.key} refuses ${canonical(e.event)} from ${canonical(p)}`)
      edges.push(...step.edges)
      p = step.next
    }
    taken.push({ machine: g.machine, key: g.key, edges })
    const actual = project(g.machine, after, g.key)
    if (comparable(g.machine, g.key, p, [before, after]) !== comparable(g.machine, g.key, actual, [before, after]))
      problems.push(
        `${at}: ${g.machine} ${g.key} under ${g.events.map((e) => canonical(e.event)).join(" then ")}\n` +
          `  from    ${canonical(project(g.machine, before, g.key))}\n` +
          `  machine ${canonical(p)}\n` +
          `  spec    ${canonical(actual)}`
      )
  }

  // Every instance the op sends nothing to keeps its projection.
  const ib = instancesOf(before)
  const ia = instancesOf(after)
  for (const m of MACHINE_NAMES) {
    for (const key of new Set([...ib[m], ...ia[m]])) {
      if (groups.has(`${m}:${key}`)) continue
      const x = comparable(m, key, project(m, before, key), [before, after])
      const y = comparable(m, key, project(m, after, key), [before, after])
      if (x !== y) problems.push(`${at}: ${m} ${key} moved without an event\n  before ${x}\n  after  ${y}`)
    }
  }
  return { taken, problems }
}
