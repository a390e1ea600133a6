/**
 * Generated `apply` traces. Random op sequences (spec/test/arbitrary-ops.ts) find what nobody thought
 * of; they rarely land exactly on a boundary. The scenarios here are small worlds built to sit on one:
 * a round whose support is within a basis point of quorum, a proposal executed around its eta, a bad-order
 * proof on every adjacent pair of a planted aggregate. Each is a few parameters fast-check shrinks, so a
 * counterexample reads as "one member, quorum 10000 bps" rather than a hundred ops.
 */
import fc from "fast-check"
import { opToJson, stateToJson, U64, toJson } from "../../spec/src/json.ts"
import {
  ADMIN, CHALLENGER, Driver, MEMBER_STAKE, MEMBERS, OWNER, paramsWith, ROUND_PARAMS, RoundFixture, routesOf, setParam, WITNESSES, witnessStake
} from "../../spec/src/machines/realize.ts"
import type { Op } from "../../spec/src/ops.ts"
import { LOCALNET_PARAMS, param, type Params } from "../../spec/src/params.ts"
import type { State } from "../../spec/src/state.ts"
import { GENERATOR_PARAMS, intents, opSequence, play, STAKE_MODE_PARAMS } from "../../spec/test/arbitrary-ops.ts"

export interface Step {
  readonly slot: bigint
  readonly op: Op
}

/** The `apply` request for a trace: `{ pre, steps: [{ slot, op }] }` in the protocol's JSON. */
export const applyInput = (steps: readonly Step[], pre: State | null = null) => ({
  pre: pre === null ? null : stateToJson(pre),
  steps: steps.map((s) => ({ slot: toJson(U64, s.slot), op: opToJson(s.op) }))
})

/** A generated trace and the few parameters it was built from (what a counterexample shows). */
export interface Scenario {
  readonly scenario: Record<string, unknown>
  readonly steps: readonly Step[]
}

/**
 * A trace for a human: one line per slot, its steps' op kinds with repeats counted, e.g.
 * `steps 0–11 at slot 0: initialize, minerBond, witnessBond ×8, registerName, fundPool`.
 */
export const compactTrace = (steps: readonly Step[]): string[] => {
  const lines: string[] = []
  let i = 0
  while (i < steps.length) {
    const slot = steps[i]!.slot
    let j = i
    while (j < steps.length && steps[j]!.slot === slot) j++
    const kinds: string[] = []
    for (let k = i; k < j; ) {
      let r = k
      while (r < j && steps[r]!.op.kind === steps[k]!.op.kind) r++
      kinds.push(r - k > 1 ? `${steps[k]!.op.kind} ×${r - k}` : steps[k]!.op.kind)
      k = r
    }
    lines.push(`${j - i > 1 ? `steps ${i}–${j - 1}` : `step ${i}`} at slot ${slot}: ${kinds.join(", ")}`)
    i = j
  }
  return lines
}

/** Runs an op that may be rejected: recorded as a step of the trace either way. */
const probe = (d: Driver, op: Op): void => {
  d.steps.push({ slot: d.slot, op })
  d.world.try(op)
}

const SOL = 1_000_000_000n
const ROUND_EPOCH = 3n
const NAME = "boundary.dns"

/** A world with `stakes[i]` SOL bonded by member i, eight witnesses and a name, at round `ROUND_EPOCH`'s submit window. */
const roundWorld = (params: Params, members: readonly typeof MEMBERS[number][], stakes: readonly bigint[]): Driver => {
  const d = new Driver(params)
  d.run({ kind: "initialize", authority: ADMIN.publicKey, params, allowlist: members.map((m) => m.publicKey) })
  members.forEach((m, i) => d.run({ kind: "minerBond", miner: m.publicKey, amount: stakes[i]! }))
  WITNESSES.forEach((w, i) => d.run({ kind: "witnessBond", witness: w.publicKey, amount: witnessStake(i) }))
  d.run({ kind: "registerName", owner: OWNER.publicKey, name: NAME })
  d.run({ kind: "fundPool", funder: ADMIN.publicKey, amount: SOL })
  d.toEpoch(ROUND_EPOCH)
  d.warpAtLeast((ROUND_EPOCH + 1n) * d.L + 1n)
  return d
}

// #region quorum-boundary
/**
 * Quorum at the boundary [QRM-1]: 1–4 members with 1–4 SOL each, a non-empty subset of them submits
 * the same route, and quorum_bps is either arbitrary or exactly (rounded up) the share they hold; then
 * the round is finalized.
 */
export const quorumScenario = (): fc.Arbitrary<Scenario> =>
  fc
    .record({
      stakes: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
      voters: fc.nat({ max: 14 }),
      quorum: fc.oneof(fc.constant("exact" as const), fc.integer({ min: 5001, max: 10_000 }))
    })
    .map(({ stakes, voters, quorum }) => {
      const n = stakes.length
      const mask = (voters % ((1 << n) - 1)) + 1
      const voting = stakes.map((_, i) => i).filter((i) => ((mask >> i) & 1) === 1)
      const total = stakes.reduce((a, s) => a + BigInt(s), 0n)
      const weight = voting.reduce((a, i) => a + BigInt(stakes[i]!), 0n)
      const exact = (weight * 10_000n + total - 1n) / total
      const q = quorum === "exact" ? (exact < 5001n ? 5001n : exact) : BigInt(quorum)
      const params = paramsWith(ROUND_PARAMS, { quorumBps: q, committeeSize: BigInt(n) })
      const members = MEMBERS.slice(0, n)
      const d = roundWorld(params, members, stakes.map((s) => BigInt(s) * SOL))
      const f = new RoundFixture(d, ROUND_EPOCH, NAME, members)
      for (const i of voting) f.submit(i, routesOf(NAME).A)
      d.warpAtLeast(f.challengeEnd)
      probe(d, { kind: "finalizeRound", epoch: ROUND_EPOCH, nameHash: d.state.rounds.get(f.key)!.nameHash })
      return { scenario: { stakesSol: stakes, voting, quorumBps: Number(q) }, steps: d.steps }
    })
// #endregion quorum-boundary

// #region timelock-boundary
/**
 * The timelock [GOV-4], [GOV-15], [GOV-17]: a proposal with eta one epoch short of the minimum up to
 * three past it, then `wait` epochs, then execute — before, at, and after its window.
 */
export const timelockScenario = (): fc.Arbitrary<Scenario> =>
  fc
    .record({ start: fc.nat({ max: 2 }), extra: fc.integer({ min: -1, max: 3 }), wait: fc.nat({ max: 9 }) })
    .map(({ start, extra, wait }) => {
      const d = new Driver(LOCALNET_PARAMS)
      d.run({ kind: "initialize", authority: ADMIN.publicKey, params: LOCALNET_PARAMS, allowlist: [] })
      d.toEpoch(BigInt(start))
      const minTimelock = param(LOCALNET_PARAMS, "minTimelockEpochs")
      const proposedAt = d.epoch
      const id = d.state.config!.nextProposalId
      const eta = proposedAt + minTimelock + BigInt(extra)
      probe(d, { kind: "propose", proposer: ADMIN.publicKey, changes: [setParam("jailEpochs", 3n)], etaEpoch: eta })
      for (let i = 0; i < wait; i++) d.advance()
      const executedAt = d.epoch
      probe(d, { kind: "execute", proposalId: id })
      d.advance()
      return { scenario: { proposedAtEpoch: Number(proposedAt), etaEpoch: Number(eta), executeAtEpoch: Number(executedAt) }, steps: d.steps }
    })
// #endregion timelock-boundary

// #region bad-order
/**
 * Leaf order [BLF-8], [MRK-2]: one member submits the planted aggregate (leaves 4 and 5 in decreasing
 * witness order), then a challenger pins leaves i and i+1 and proves bad order on i.
 */
export const badOrderScenario = (): fc.Arbitrary<Scenario> =>
  fc.record({ member: fc.nat({ max: MEMBERS.length - 1 }), index: fc.nat({ max: 6 }) }).map(({ member, index }) => {
    const d = roundWorld(ROUND_PARAMS, MEMBERS, MEMBERS.map(() => MEMBER_STAKE))
    const f = new RoundFixture(d, ROUND_EPOCH, NAME, MEMBERS)
    f.submit(member, routesOf(NAME).A)
    f.pin(member, index)
    f.pin(member, index + 1)
    probe(d, { kind: "proveBadOrder", challenger: CHALLENGER.publicKey, leafRef: f.ref(member, index) })
    return { scenario: { member, leaves: [index, index + 1], plantedDisorderAt: [4, 5] }, steps: d.steps }
  })
// #endregion bad-order

// ------------------------------------------------------------------------------------------ sequences

export interface SequenceOptions {
  readonly minLength: number
  readonly maxLength: number
}

/** Random op sequences from the empty state, in allowlist and in stake mode. */
export const sequenceScenario = (o: SequenceOptions): fc.Arbitrary<Step[]> =>
  fc.oneof(opSequence({ ...o, params: GENERATOR_PARAMS }), opSequence({ ...o, params: STAKE_MODE_PARAMS }))

/** A random sequence cut in two: the state after the first part is the `pre` of the request. */
export const preStateScenario = (o: SequenceOptions): fc.Arbitrary<{ pre: State; steps: Step[] }> =>
  fc.tuple(intents(o), fc.nat(), fc.constantFrom(GENERATOR_PARAMS, STAKE_MODE_PARAMS)).map(([xs, cut, params]) => {
    const played = play(xs, params).steps
    const k = 1 + (cut % Math.max(1, played.length - 1))
    return { pre: played[Math.min(k, played.length - 1)]!.pre, steps: played.slice(k).map(({ slot, op }) => ({ slot, op })) }
  })
