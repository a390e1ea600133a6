/**
 * Model-based traces for conformance. For each machine, `xstate/graph` explores the machine under a
 * small alphabet of abstract events (chosen so that every guard outcome occurs), the shortest paths it
 * finds are narrowed to a set that takes every edge, and each path is realized as a concrete trace of
 * ops from the empty state. Every realized step is checked to take exactly the path's edges on the
 * subject instance, so a trace is evidence that the spec takes those transitions.
 */
import { initialTransition, transition, type AnyStateMachine, type EventFromLogic, type SnapshotFrom, type StateValue } from "xstate"
import { getAdjacencyMap, getShortestPaths } from "xstate/graph"
import { hex } from "../bytes.ts"
import type { Keypair } from "../ed25519.ts"
import { H } from "../hash.ts"
import type { AggregateStatement } from "../objects.ts"
import { LOCALNET_PARAMS, type Params } from "../params.ts"
import { aggregateKey, pinKey, proposalKey } from "../state.ts"
import { canonical, edgeOf, machineEdges, type MachineName } from "./common.ts"
import { challengeMachine, type ChallengeEvent } from "./challenge.ts"
import { minerMachine, type MinerContext, type MinerEvent } from "./miner.ts"
import { proposalMachine, type ProposalEvent } from "./proposal.ts"
import {
  ADMIN, CHALLENGER, Driver, GOOD_LEAVES, key, MEMBER_STAKE, MEMBERS, nameHash, OWNER, paramsWith, ROUND_PARAMS, RoundFixture, routeHash,
  routesOf, setParam, signedStatement, WITNESSES, witnessStake, type MachineTrace
} from "./realize.ts"
import { roundMachine, type RoundContext, type RoundEvent } from "./round.ts"

export type { MachineTrace, TraceStep } from "./realize.ts"

// ------------------------------------------------------------------------------------ graph coverage

export interface AbstractStep<E> {
  readonly event: E
  readonly edges: readonly string[]
  readonly from: StateValue
  readonly to: StateValue
}

export interface Cover<E> {
  /** Paths from the initial state that together take every edge in `reachable` not excluded. */
  readonly paths: readonly (readonly AbstractStep<E>[])[]
  /** Every edge some abstract transition takes. */
  readonly reachable: ReadonlySet<string>
}

const replay = <M extends AnyStateMachine>(machine: M, events: readonly EventFromLogic<M>[]): AbstractStep<EventFromLogic<M>>[] => {
  let snap = initialTransition(machine as AnyStateMachine)[0] as SnapshotFrom<M>
  return events.map((event) => {
    const edges = machine.getTransitionData(snap as never, event).map((t) => edgeOf(t).id)
    const from = (snap as { value: StateValue }).value
    snap = transition(machine, snap, event)[0] as SnapshotFrom<M>
    return { event, edges, from, to: (snap as { value: StateValue }).value }
  })
}

/**
 * Shortest paths (xstate/graph) to every abstract state, extended by one step for each edge; then
 * greedily the longest first, dropping paths whose edges are already taken by chosen ones.
 */
export const coverEdges = <M extends AnyStateMachine>(
  machine: M,
  events: (s: SnapshotFrom<M>) => EventFromLogic<M>[],
  serialize: (s: SnapshotFrom<M>) => string,
  exclude: ReadonlySet<string> = new Set()
): Cover<EventFromLogic<M>> => {
  type E = EventFromLogic<M>
  const options = { events, serializeState: (s: SnapshotFrom<M>) => serialize(s), serializeEvent: (e: E) => canonical(e) }
  const adjacency = getAdjacencyMap(machine, options as never) as unknown as Record<string, { state: SnapshotFrom<M>; transitions: Record<string, { event: E }> }>
  const shortest = new Map<string, E[]>()
  for (const path of getShortestPaths(machine, options as never))
    shortest.set(serialize(path.state as SnapshotFrom<M>), path.steps.slice(1).map((s) => s.event as E))

  const best = new Map<string, E[]>()
  for (const [stateKey, { state, transitions }] of Object.entries(adjacency)) {
    const prefix = shortest.get(stateKey)
    if (prefix === undefined) continue
    for (const { event } of Object.values(transitions)) {
      for (const t of machine.getTransitionData(state as never, event)) {
        const id = edgeOf(t).id
        const known = best.get(id)
        if (known === undefined || known.length > prefix.length + 1) best.set(id, [...prefix, event])
      }
    }
  }
  const order = [...best.entries()].filter(([id]) => !exclude.has(id)).sort((a, b) => b[1].length - a[1].length)
  const covered = new Set<string>()
  const paths: AbstractStep<E>[][] = []
  for (const [id, events] of order) {
    if (covered.has(id)) continue
    const steps = replay(machine, events)
    for (const s of steps) for (const e of s.edges) covered.add(e)
    paths.push(steps)
  }
  return { paths, reachable: new Set(best.keys()) }
}

const sameEdges = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i])

/** Runs `act` for each path step and checks the subject took exactly that step's edges. */
const realizeSteps = <E extends { type: string }>(
  d: Driver,
  name: string,
  steps: readonly AbstractStep<E>[],
  act: (e: E, i: number, step: AbstractStep<E>) => void
): { edges: string[]; states: string[] } => {
  d.takeEdges()
  steps.forEach((step, i) => {
    act(step.event, i, step)
    const got = d.takeEdges()
    if (!sameEdges(got, step.edges))
      throw new Error(`${name}: step ${i} (${step.event.type}) took [${got.join(", ")}], the path takes [${step.edges.join(", ")}]`)
  })
  return { edges: steps.flatMap((s) => [...s.edges]), states: steps.map((s) => canonical(s.to)) }
}

const traceName = (machine: MachineName, i: number, steps: readonly AbstractStep<unknown>[]): string =>
  `${machine}/${i + 1}: ${steps.map((s) => (s.event as { type: string }).type).join(" → ")}`

// ------------------------------------------------------------------------------------------------ round

const ROUND_EPOCH = 3n
const ROUND_NAME = "round.dns"
const ROUND_ROUTES = routesOf(ROUND_NAME)
const ROUTE_A = hex(routeHash(ROUND_ROUTES.A))
const ROUTE_B = hex(routeHash(ROUND_ROUTES.B))
const L_ROUND = ROUND_PARAMS[0]!
const ROUND_CHALLENGE_END = (ROUND_EPOCH + 1n) * L_ROUND + 40n

const abstractSubmit = (member: number, route: string): RoundEvent => ({
  type: "submitAggregate",
  member,
  stake: MEMBER_STAKE,
  route,
  serial: route === ROUTE_A ? 1n : 2n,
  support: 1n,
  minSupport: 1n,
  challengeEnd: ROUND_CHALLENGE_END,
  committeeStake: BigInt(MEMBERS.length) * MEMBER_STAKE
})

const roundAlphabet = (s: SnapshotFrom<typeof roundMachine>): RoundEvent[] => {
  const c: RoundContext = s.context
  // A closed round takes no event (its submit window ended before finalization [RND-1]).
  if (s.value !== "absent" && s.value !== "open") return []
  const out: RoundEvent[] = []
  const live = (i: number) => c.members[String(i)] !== undefined && !c.members[String(i)]!.stripped
  for (let i = 0; i < MEMBERS.length; i++) {
    const m = c.members[String(i)]
    if (m?.stripped === true) continue
    if (m !== undefined) out.push(abstractSubmit(i, ROUTE_A))
    else {
      out.push(abstractSubmit(i, ROUTE_A))
      if (i === 2) out.push(abstractSubmit(i, ROUTE_B))
    }
    if (live(i) && i < 3) out.push({ type: "proveEquivocation", member: i })
  }
  if (s.value !== "open") return out
  const slot = ROUND_CHALLENGE_END - 1n
  for (const i of [0, 1])
    if (live(i))
      out.push({ type: "proveBadWeight", member: i, slot }, { type: "proveBadOrder", member: i, slot }, { type: "proveLeafMismatch", member: i, slot })
  if (live(0) && c.openChallenges < 2) out.push({ type: "openReveal", member: 0, slot })
  if (c.openChallenges > 0) out.push({ type: "respondReveal", member: 0 }, { type: "resolveReveal", member: 0 })
  if (c.openChallenges === 0)
    for (const canonicalSerial of [0n, 5n]) out.push({ type: "finalizeRound", slot: ROUND_CHALLENGE_END, quorumBps: 6667n, canonicalSerial })
  return out
}

const setupRoundWorld = (d: Driver, params: Params, opts: { rival?: RoundFixture | undefined } = {}): void => {
  d.run({ kind: "initialize", authority: ADMIN.publicKey, params, allowlist: MEMBERS.map((m) => m.publicKey) })
  for (const m of MEMBERS) d.run({ kind: "minerBond", miner: m.publicKey, amount: MEMBER_STAKE })
  WITNESSES.forEach((w, i) => d.run({ kind: "witnessBond", witness: w.publicKey, amount: witnessStake(i) }))
  d.run({ kind: "registerName", owner: OWNER.publicKey, name: ROUND_NAME })
  d.run({ kind: "fundPool", funder: ADMIN.publicKey, amount: 1_000_000_000n })
  d.toEpoch(ROUND_EPOCH - 1n)
  if (opts.rival !== undefined) {
    // A round of the epoch before, for a newer serial, finalized later: it makes round 3's route stale.
    d.warpAtLeast(ROUND_EPOCH * d.L + 1n)
    for (let i = 0; i < MEMBERS.length; i++) opts.rival.submit(i, ROUND_ROUTES.R)
  }
  d.toEpoch(ROUND_EPOCH)
  // The crank stays at epoch 3 while round 3's submit window opens in epoch 4.
  d.warpAtLeast((ROUND_EPOCH + 1n) * d.L + 1n)
}

const realizeRound = (steps: readonly AbstractStep<RoundEvent>[], name: string): MachineTrace => {
  const stale = steps.some((s) => s.event.type === "finalizeRound" && s.event.canonicalSerial > 0n)
  const d = new Driver(ROUND_PARAMS)
  const rival = stale ? new RoundFixture(d, ROUND_EPOCH - 1n, ROUND_NAME, MEMBERS) : undefined
  setupRoundWorld(d, ROUND_PARAMS, { rival })
  const f = new RoundFixture(d, ROUND_EPOCH, ROUND_NAME, MEMBERS)
  d.subject = { machine: "round", key: f.key }
  let rivalDone = false
  const { edges, states } = realizeSteps(d, name, steps, (e, i) => {
    switch (e.type) {
      case "submitAggregate": {
        const miner = MEMBERS[e.member]!.publicKey
        if (d.state.aggregates.has(aggregateKey(ROUND_EPOCH, nameHash(ROUND_NAME), miner))) f.equivocate(e.member)
        else f.submit(e.member, e.route === ROUTE_B ? ROUND_ROUTES.B : ROUND_ROUTES.A)
        break
      }
      case "proveEquivocation":
        f.proveEquivocation(e.member)
        break
      case "proveBadWeight":
        f.proveBadWeight(e.member)
        break
      case "proveBadOrder":
        f.proveBadOrder(e.member)
        break
      case "proveLeafMismatch":
        f.proveLeafMismatch(e.member)
        break
      case "openReveal":
        f.openReveal(e.member)
        break
      case "respondReveal":
        f.respond()
        break
      case "resolveReveal":
        f.resolve()
        break
      case "finalizeRound":
        if (e.canonicalSerial > 0n && rival !== undefined && !rivalDone) {
          rival.finalize()
          rivalDone = true
        }
        f.finalize()
        break
    }
    // Once the round is open the crank catches up.
    if (i === 0) d.advance()
  })
  return { name, machine: "round", instance: f.key, edges, states, steps: d.steps }
}

// -------------------------------------------------------------------------------------------- challenge

const CHALLENGE_OPEN_SLOT = (ROUND_EPOCH + 1n) * L_ROUND + 2n

const challengeAlphabet = (s: SnapshotFrom<typeof challengeMachine>): ChallengeEvent[] => {
  if (s.value === "absent") return [{ type: "openReveal", slot: CHALLENGE_OPEN_SLOT, responseWindowSlots: 5n }]
  if (s.value !== "open") return []
  const deadline = s.context.deadline
  return [
    { type: "respondReveal", slot: deadline - 1n },
    { type: "resolveReveal", slot: deadline, aggregateStripped: false },
    { type: "resolveReveal", slot: deadline, aggregateStripped: true }
  ]
}

const realizeChallenge = (steps: readonly AbstractStep<ChallengeEvent>[], name: string): MachineTrace => {
  const d = new Driver(ROUND_PARAMS)
  setupRoundWorld(d, ROUND_PARAMS)
  const f = new RoundFixture(d, ROUND_EPOCH, ROUND_NAME, MEMBERS)
  f.submit(0, ROUND_ROUTES.A)
  const ref = f.ref(0, GOOD_LEAVES[0]!)
  const instance = pinKey(ref.epoch, ref.nameHash, ref.miner, ref.index)
  d.subject = { machine: "challenge", key: instance }
  const { edges, states } = realizeSteps(d, name, steps, (e) => {
    switch (e.type) {
      case "openReveal":
        f.openReveal(0)
        break
      case "respondReveal":
        f.respond()
        break
      case "resolveReveal":
        // A strip in the meantime makes the challenge moot [RVL-11].
        if (e.aggregateStripped) f.proveBadWeight(0)
        f.resolve()
        break
    }
  })
  return { name, machine: "challenge", instance, edges, states, steps: d.steps }
}

// --------------------------------------------------------------------------------------------- proposal

const VOTERS: readonly { key: Keypair; stake: bigint }[] = [
  { key: key("machines/voter-small"), stake: 1_000_000_000n },
  { key: key("machines/voter-large"), stake: 3_000_000_000n }
]
const TOTAL_VOTING = VOTERS.reduce((a, v) => a + v.stake, 0n)

const proposalAlphabet = (s: SnapshotFrom<typeof proposalMachine>): ProposalEvent[] => {
  const c = s.context
  switch (s.value) {
    case "absent":
      return [{ type: "propose", epoch: 1n, etaEpoch: 3n, stakeSnapshot: TOTAL_VOTING }]
    case "queued":
      return [
        ...VOTERS.filter((_, i) => c.vetoStake === 0n || (i === 1 && c.vetoStake === VOTERS[0]!.stake)).map(
          (v): ProposalEvent => ({ type: "veto", epoch: 1n, weight: v.stake, vetoBps: 3334n })
        ),
        { type: "execute", epoch: c.etaEpoch, pendingCount: 0 }
      ]
    case "executed":
      return [{ type: "advanceEpoch", epoch: c.etaEpoch + 1n }]
    default:
      return []
  }
}

const realizeProposal = (steps: readonly AbstractStep<ProposalEvent>[], name: string): MachineTrace => {
  const d = new Driver(LOCALNET_PARAMS)
  d.run({ kind: "initialize", authority: ADMIN.publicKey, params: LOCALNET_PARAMS, allowlist: [] })
  for (const v of VOTERS) d.run({ kind: "witnessBond", witness: v.key.publicKey, amount: v.stake })
  // Witness stake counts from the next epoch, so vetoes happen at epoch 1.
  d.toEpoch(1n)
  const id = d.state.config!.nextProposalId
  d.subject = { machine: "proposal", key: proposalKey(id) }
  let eta = 0n
  const { edges, states } = realizeSteps(d, name, steps, (e) => {
    switch (e.type) {
      case "propose":
        eta = d.epoch + 2n
        d.run({ kind: "propose", proposer: ADMIN.publicKey, changes: [setParam("jailEpochs", 2n)], etaEpoch: eta })
        break
      case "veto":
        d.run({ kind: "veto", voter: VOTERS.find((v) => v.stake === e.weight)!.key.publicKey, proposalId: id })
        break
      case "execute":
        d.toEpoch(eta)
        d.run({ kind: "execute", proposalId: id })
        break
      case "advanceEpoch":
        d.advance()
        break
    }
  })
  return { name, machine: "proposal", instance: proposalKey(id), edges, states, steps: d.steps }
}

// ------------------------------------------------------------------------------------------------ miner

const M = 1_000_000_000n
const MINER = key("machines/miner")
const REWARD_SHARE = 700_000n
const CHALLENGE_BOND = 100_000_000n
const minerParams = (slashBps: bigint): Params =>
  paramsWith(ROUND_PARAMS, { slashBps, unbondingEpochs: 3n, jailEpochs: 1n, minMinerStake: M, challengeBond: CHALLENGE_BOND, roundReward: 1_000_000n })

/** Whether the miner has sat on the current committee since it last became active, never jailed. */
const seated = (c: MinerContext): boolean => !c.jailed && c.jailedEpoch === 0n && c.active >= M

const minerAlphabet =
  (slashBps: bigint) =>
  (s: SnapshotFrom<typeof minerMachine>): MinerEvent[] => {
    const c = s.context
    // Entries appear at epoch 1 at the earliest, so a jailed_epoch of 0 means "never slashed".
    if (s.value === "none") return [{ type: "minerBond", amount: M, epoch: c.epoch === 0n ? 1n : c.epoch, minMinerStake: M }]
    const bonded = c.active + c.pending
    const total = bonded + c.unbonding
    const out: MinerEvent[] = [{ type: "advanceEpoch", epoch: c.epoch + 1n }]
    if (total < 4n * M) out.push({ type: "minerBond", amount: M, epoch: c.epoch, minMinerStake: M })
    if (bonded > 0n) out.push({ type: "minerUnbond", amount: bonded, minMinerStake: M, unbondingEpochs: 3n })
    if (bonded >= 2n * M) out.push({ type: "minerUnbond", amount: M, minMinerStake: M, unbondingEpochs: 3n })
    if (c.unbonding > 0n && c.epoch >= c.unbondReadyEpoch) out.push({ type: "minerWithdraw" })
    if (c.jailed) out.push({ type: "unjail", jailEpochs: 1n, minMinerStake: M })
    // One slash with stake at risk per path keeps the amounts on a lattice of M/2; a jailed, empty entry can be slashed again.
    if ((c.jailedEpoch === 0n && !c.jailed) || total === 0n) out.push({ type: "slash", cause: "proveEquivocation", slashBps })
    if (c.claimable > 0n) out.push({ type: "claim" })
    else if (seated(c)) out.push({ type: "finalizeRound", amount: REWARD_SHARE }, { type: "respondReveal", amount: CHALLENGE_BOND })
    return out
  }

/** Epochs only matter relative to the deadlines they are compared with. */
const serializeMiner = (s: SnapshotFrom<typeof minerMachine>): string => {
  const c = s.context
  const clip = (x: bigint, hi: bigint): bigint => (x < 0n ? 0n : x > hi ? hi : x)
  return canonical({
    value: s.value,
    active: c.active,
    pending: c.pending,
    unbonding: c.unbonding,
    ready: c.unbonding > 0n ? clip(c.unbondReadyEpoch - c.epoch, 3n) : 0n,
    jail: c.jailed ? clip(c.jailedEpoch + 1n - c.epoch, 1n) : -1n,
    claimable: c.claimable > 0n,
    seated: seated(c)
  })
}

const realizeMiner = (slashBps: bigint) => (steps: readonly AbstractStep<MinerEvent>[], name: string): MachineTrace => {
  const params = minerParams(slashBps)
  const d = new Driver(params)
  d.run({ kind: "initialize", authority: ADMIN.publicKey, params, allowlist: [MINER.publicKey] })
  WITNESSES.slice(0, 2).forEach((w, i) => d.run({ kind: "witnessBond", witness: w.publicKey, amount: witnessStake(i) }))
  d.run({ kind: "fundPool", funder: ADMIN.publicKey, amount: 1_000_000_000n })
  d.toEpoch(1n)
  d.subject = { machine: "miner", key: hex(MINER.publicKey) }
  let slashes = 0
  let rounds = 0
  /** A round of the current epoch with the miner alone on the committee and its aggregate in. */
  const rewardRound = (): RoundFixture => {
    const name = `reward-${rounds++}.dns`
    d.run({ kind: "registerName", owner: OWNER.publicKey, name })
    const f = new RoundFixture(d, d.epoch, name, [MINER], WITNESSES.slice(0, 2))
    const start = (d.epoch + 1n) * d.L
    if (d.slot >= start + 20n) throw new Error(`${name}: the submit window of epoch ${d.epoch} is over`)
    d.warpAtLeast(start)
    f.submit(0, routesOf(name).A)
    return f
  }
  const { edges, states } = realizeSteps(d, name, steps, (e) => {
    const miner = MINER.publicKey
    switch (e.type) {
      case "minerBond":
        d.run({ kind: "minerBond", miner, amount: e.amount })
        break
      case "minerUnbond":
        d.run({ kind: "minerUnbond", miner, amount: e.amount })
        break
      case "minerWithdraw":
        d.run({ kind: "minerWithdraw", miner })
        break
      case "unjail":
        d.run({ kind: "unjail", miner })
        break
      case "claim":
        d.run({ kind: "claim", who: miner, role: "miner" })
        break
      case "advanceEpoch":
        d.advance()
        break
      case "slash": {
        // Two different statements about a round of the clock's epoch: provable equivocation [EQV-1].
        const epoch = d.slot / d.L
        const statement: AggregateStatement = {
          epoch,
          nameHash: H("dotdns/test/slash", Uint8Array.of(slashes++)),
          routeHash: H("dotdns/test/route"),
          receiptRoot: H("dotdns/test/root"),
          support: 1n,
          receiptCount: 1,
          miner,
          batchCid: null
        }
        d.run({
          kind: "proveEquivocation",
          challenger: CHALLENGER.publicKey,
          first: signedStatement(MINER, statement),
          second: signedStatement(MINER, { ...statement, support: 2n })
        })
        break
      }
      case "finalizeRound":
        rewardRound().finalize()
        break
      case "respondReveal": {
        const f = rewardRound()
        f.openReveal(0)
        f.respond()
        break
      }
    }
  })
  return { name, machine: "miner", instance: hex(MINER.publicKey), edges, states, steps: d.steps }
}

// ----------------------------------------------------------------------------------------------- entry

export interface MachineCoverage {
  readonly machine: MachineName
  /** Every edge the machine defines. */
  readonly edges: readonly string[]
  /** Edges no abstract path reaches (expected empty). */
  readonly unreachable: readonly string[]
  readonly traces: readonly MachineTrace[]
}

const realizeAll = <E>(machine: MachineName, cover: Cover<E>, realize: (steps: readonly AbstractStep<E>[], name: string) => MachineTrace, offset = 0) =>
  cover.paths.map((steps, i) => realize(steps, traceName(machine, i + offset, steps as readonly AbstractStep<unknown>[])))

const compute = (): Record<MachineName, MachineCoverage> => {
  const roundCover = coverEdges(roundMachine, roundAlphabet, (s) => canonical({ value: s.value, context: s.context }))
  const challengeCover = coverEdges(challengeMachine, challengeAlphabet, (s) => canonical({ value: s.value, context: s.context }))
  const proposalCover = coverEdges(proposalMachine, proposalAlphabet, (s) => canonical({ value: s.value, context: s.context }))
  // Half of all stake per slash leaves something in each bucket; a full slash empties unbonding too.
  const minerHalf = coverEdges(minerMachine, minerAlphabet(5000n), serializeMiner)
  const minerFull = coverEdges(minerMachine, minerAlphabet(10_000n), serializeMiner, minerHalf.reachable)

  const entry = (machine: MachineName, m: AnyStateMachine, reachable: ReadonlySet<string>, traces: MachineTrace[]): MachineCoverage => {
    const edges = machineEdges(m).map((e) => e.id)
    return { machine, edges, unreachable: edges.filter((e) => !reachable.has(e)), traces }
  }
  const minerTraces = [
    ...realizeAll("miner", minerHalf, realizeMiner(5000n)),
    ...realizeAll("miner", minerFull, realizeMiner(10_000n), minerHalf.paths.length)
  ]
  return {
    round: entry("round", roundMachine, roundCover.reachable, realizeAll("round", roundCover, realizeRound)),
    challenge: entry("challenge", challengeMachine, challengeCover.reachable, realizeAll("challenge", challengeCover, realizeChallenge)),
    proposal: entry("proposal", proposalMachine, proposalCover.reachable, realizeAll("proposal", proposalCover, realizeProposal)),
    miner: entry("miner", minerMachine, new Set([...minerHalf.reachable, ...minerFull.reachable]), minerTraces)
  }
}

let cached: Record<MachineName, MachineCoverage> | undefined

/**
 * For each machine, realized traces whose paths together take every edge. Computed once (a second or
 * two: graph search plus signing), then shared.
 */
export const machinePaths = (): Record<MachineName, MachineCoverage> => (cached ??= compute())


/** Markdown: each edge of each machine and the traces that take it. */
export const coverageTable = (cover: Record<MachineName, MachineCoverage> = machinePaths()): string => {
  const rows = ["| machine | edge | taken by |", "| --- | --- | --- |"]
  for (const m of Object.keys(cover) as MachineName[])
    for (const edge of cover[m].edges) {
      const by = cover[m].traces.filter((t) => t.edges.includes(edge)).map((t) => `\`${t.name.split(":")[0]}\``)
      rows.push(`| ${m} | \`${edge.replace(/\|/g, "\\|")}\` | ${by.length > 0 ? by.join(", ") : "**none**"} |`)
    }
  return rows.join("\n")
}
