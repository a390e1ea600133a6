/**
 * What an op means to the lifecycle machines: the events it sends, and to which instances. Events
 * are derived from the op, the environment and the state *before* the op (never from its outcome), so
 * that checking `project(after) = transition(project(before), event)` tests the spec, not itself.
 *
 * The events are those the op sends if `apply` accepts it. For a rejected op they are the events it
 * tried to send; a machine must then refuse them when the rejection is for a rule it models.
 */
import { AGGREGATE_FLAG, MEMBER_FLAG, type AggregateAccount } from "../accounts.ts"
import { hex } from "../bytes.ts"
import type { LeafRef, Op, OpOf } from "../ops.ts"
import { BPS } from "../params.ts"
import { aggregateKey, committeeKey, findMiner, mulDiv, nameKey, p, pinKey, roundKey, type Env, type State } from "../state.ts"
import { memberIndex } from "../transition/epoch.ts"
import { governanceWeight } from "../transition/governance.ts"
import { challengeEnd } from "../transition/rounds.ts"
import type { MachineName } from "./common.ts"
import type { ChallengeEvent } from "./challenge.ts"
import type { MinerEvent, SlashCause } from "./miner.ts"
import { pendingProposalIds, projectRound } from "./project.ts"
import type { ProposalEvent } from "./proposal.ts"
import { quorumRoute, type RoundEvent } from "./round.ts"

export type InstanceEvent =
  | { readonly machine: "round"; readonly key: string; readonly event: RoundEvent }
  | { readonly machine: "challenge"; readonly key: string; readonly event: ChallengeEvent }
  | { readonly machine: "proposal"; readonly key: string; readonly event: ProposalEvent }
  | { readonly machine: "miner"; readonly key: string; readonly event: MinerEvent }

export type MachineEvent = InstanceEvent["event"]

const round = (epoch: bigint, nameHash: Uint8Array, event: RoundEvent): InstanceEvent => ({ machine: "round", key: roundKey(epoch, nameHash), event })
const challenge = (ref: LeafRef, event: ChallengeEvent): InstanceEvent => ({
  machine: "challenge",
  key: pinKey(ref.epoch, ref.nameHash, ref.miner, ref.index),
  event
})
const miner = (key: Uint8Array, event: MinerEvent): InstanceEvent => ({ machine: "miner", key: hex(key), event })

const submitted = (a: AggregateAccount | undefined): a is AggregateAccount => a !== undefined && (a.flags & AGGREGATE_FLAG.submitted) !== 0

/** A slash of the miner, if it has an entry to slash [EQV-8]. */
const slashOf = (s: State, key: Uint8Array, cause: SlashCause): InstanceEvent[] =>
  findMiner(s, key) === undefined ? [] : [miner(key, { type: "slash", cause, slashBps: p(s, "slashBps") })]

const aggregateOf = (s: State, ref: LeafRef): AggregateAccount | undefined => s.aggregates.get(aggregateKey(ref.epoch, ref.nameHash, ref.miner))

const submitEvents = (s: State, op: OpOf<"submitAggregate">): InstanceEvent[] => {
  const st = op.statement
  const committee = s.committees.get(committeeKey(st.epoch))
  if (committee === undefined) return []
  const m = memberIndex(committee, st.miner)
  if (m < 0) return []
  const existing = s.aggregates.get(aggregateKey(st.epoch, st.nameHash, st.miner))
  const event: RoundEvent = {
    type: "submitAggregate",
    member: m,
    stake: committee.members[m]!.stake,
    route: hex(st.routeHash),
    serial: op.auth?.serial ?? 0n,
    support: st.support,
    minSupport: p(s, "minSupport"),
    challengeEnd: challengeEnd(s, st.epoch),
    committeeStake: committee.totalStake
  }
  if (existing === undefined) return [round(st.epoch, st.nameHash, event)]
  // A second statement: equivocation [EQV-2]. The round strips only an aggregate that was counted in.
  return [...(submitted(existing) ? [round(st.epoch, st.nameHash, event)] : []), ...slashOf(s, st.miner, "submitAggregate")]
}

/**
 * A finalized round pays each supporting member its share of `miner_reward_bps` of the round reward
 * [RWD-2], [RWD-4]; computed here from the state before, as the program computes it.
 */
const rewardEvents = (s: State, op: OpOf<"finalizeRound">): InstanceEvent[] => {
  const r = s.rounds.get(roundKey(op.epoch, op.nameHash))
  const committee = s.committees.get(committeeKey(op.epoch))
  const name = s.names.get(nameKey(op.nameHash))
  if (r === undefined || committee === undefined || name === undefined) return []
  const projected = projectRound(s, op.epoch, op.nameHash).context
  const q = quorumRoute(projected, p(s, "quorumBps"))
  if (q < 0 || r.routes[q]!.serial <= name.serial) return []
  const pool = s.config!.rewardPool
  const reward = pool < p(s, "roundReward") ? pool : p(s, "roundReward")
  const minersPart = mulDiv(reward, p(s, "minerRewardBps"), BPS)
  const supporting = r.routes[q]!.weight
  const out: InstanceEvent[] = []
  for (let m = 0; m < committee.memberCount; m++) {
    if (r.memberRoute[m] !== q || (r.memberFlags[m]! & MEMBER_FLAG.counted) === 0) continue
    const key = committee.members[m]!.key
    const amount = mulDiv(minersPart, committee.members[m]!.stake, supporting)
    if (findMiner(s, key) !== undefined && amount > 0n) out.push(miner(key, { type: "finalizeRound", amount }))
  }
  return out
}

/** The events `op` sends, derived from the state before it. Never throws. */
export const opEvents = (s: State, op: Op, env: Env): InstanceEvent[] => {
  const config = s.config
  if (config === undefined || s.minerSet === undefined) return []
  switch (op.kind) {
    case "initialize":
    case "witnessBond":
    case "witnessUnbond":
    case "witnessWithdraw":
    case "fundPool":
    case "registerName":
    case "transferName":
    case "pinLeaf":
    case "claimWitnessReward":
      return []
    case "minerBond":
      return [miner(op.miner, { type: "minerBond", amount: op.amount, epoch: config.currentEpoch, minMinerStake: p(s, "minMinerStake") })]
    case "minerUnbond":
      return [miner(op.miner, { type: "minerUnbond", amount: op.amount, minMinerStake: p(s, "minMinerStake"), unbondingEpochs: p(s, "unbondingEpochs") })]
    case "minerWithdraw":
      return [miner(op.miner, { type: "minerWithdraw" })]
    case "unjail":
      return [miner(op.miner, { type: "unjail", jailEpochs: p(s, "jailEpochs"), minMinerStake: p(s, "minMinerStake") })]
    case "claim":
      return op.role === "miner" ? [miner(op.who, { type: "claim" })] : []
    case "advanceEpoch": {
      const next = config.currentEpoch + 1n
      const out: InstanceEvent[] = s.minerSet.entries
        .slice(0, s.minerSet.count)
        .map((e) => miner(e.key, { type: "advanceEpoch", epoch: next }))
      if (config.pendingCount > 0 && config.pendingActivationEpoch <= next)
        for (const id of pendingProposalIds(s)) out.push({ machine: "proposal", key: id.toString(), event: { type: "advanceEpoch", epoch: next } })
      return out
    }
    case "submitAggregate":
      return submitEvents(s, op)
    case "finalizeRound":
      return [
        round(op.epoch, op.nameHash, {
          type: "finalizeRound",
          slot: env.slot,
          quorumBps: p(s, "quorumBps"),
          canonicalSerial: s.names.get(nameKey(op.nameHash))?.serial ?? 0n
        }),
        ...rewardEvents(s, op)
      ]
    case "proveEquivocation": {
      const a = op.first.statement
      const onChain = s.aggregates.get(aggregateKey(a.epoch, a.nameHash, a.miner))
      return [
        ...(submitted(onChain) ? [round(a.epoch, a.nameHash, { type: "proveEquivocation", member: onChain.memberIndex })] : []),
        ...slashOf(s, a.miner, "proveEquivocation")
      ]
    }
    case "proveBadWeight":
    case "proveBadOrder":
    case "proveLeafMismatch": {
      const ref = op.leafRef
      const agg = aggregateOf(s, ref)
      if (!submitted(agg)) return []
      return [round(ref.epoch, ref.nameHash, { type: op.kind, member: agg.memberIndex, slot: env.slot }), ...slashOf(s, ref.miner, op.kind)]
    }
    case "openReveal": {
      const ref = op.leafRef
      const agg = aggregateOf(s, ref)
      if (!submitted(agg)) return []
      return [
        round(ref.epoch, ref.nameHash, { type: "openReveal", member: agg.memberIndex, slot: env.slot }),
        challenge(ref, { type: "openReveal", slot: env.slot, responseWindowSlots: p(s, "responseWindowSlots") })
      ]
    }
    case "respondReveal": {
      const ref = op.leafRef
      const agg = aggregateOf(s, ref)
      const c = s.challenges.get(pinKey(ref.epoch, ref.nameHash, ref.miner, ref.index))
      const bond = c?.bond ?? 0n
      return [
        challenge(ref, { type: "respondReveal", slot: env.slot }),
        ...(submitted(agg) ? [round(ref.epoch, ref.nameHash, { type: "respondReveal", member: agg.memberIndex })] : []),
        ...(findMiner(s, ref.miner) !== undefined && bond > 0n ? [miner(ref.miner, { type: "respondReveal", amount: bond })] : [])
      ]
    }
    case "resolveReveal": {
      const ref = op.leafRef
      const agg = aggregateOf(s, ref)
      if (!submitted(agg)) return [challenge(ref, { type: "resolveReveal", slot: env.slot, aggregateStripped: false })]
      const r = s.rounds.get(roundKey(ref.epoch, ref.nameHash))
      const stripped = r !== undefined && (r.memberFlags[agg.memberIndex]! & MEMBER_FLAG.stripped) !== 0
      return [
        challenge(ref, { type: "resolveReveal", slot: env.slot, aggregateStripped: stripped }),
        round(ref.epoch, ref.nameHash, { type: "resolveReveal", member: agg.memberIndex }),
        ...(stripped ? [] : slashOf(s, ref.miner, "resolveReveal"))
      ]
    }
    case "propose":
      return [
        {
          machine: "proposal",
          key: config.nextProposalId.toString(),
          event: { type: "propose", epoch: config.currentEpoch, etaEpoch: op.etaEpoch, stakeSnapshot: config.totalBonded }
        }
      ]
    case "veto":
      return [
        {
          machine: "proposal",
          key: op.proposalId.toString(),
          event: { type: "veto", epoch: config.currentEpoch, weight: governanceWeight(s, op.voter), vetoBps: p(s, "vetoBps") }
        }
      ]
    case "execute":
      return [
        {
          machine: "proposal",
          key: op.proposalId.toString(),
          event: { type: "execute", epoch: config.currentEpoch, pendingCount: config.pendingCount }
        }
      ]
  }
}

export const MACHINES_OF_OP: Readonly<Record<Op["kind"], readonly MachineName[]>> = {
  initialize: [],
  minerBond: ["miner"],
  minerUnbond: ["miner"],
  minerWithdraw: ["miner"],
  unjail: ["miner"],
  witnessBond: [],
  witnessUnbond: [],
  witnessWithdraw: [],
  claim: ["miner"],
  fundPool: [],
  registerName: [],
  transferName: [],
  advanceEpoch: ["miner", "proposal"],
  submitAggregate: ["round", "miner"],
  finalizeRound: ["round", "miner"],
  proveEquivocation: ["round", "miner"],
  pinLeaf: [],
  proveBadWeight: ["round", "miner"],
  proveBadOrder: ["round", "miner"],
  proveLeafMismatch: ["round", "miner"],
  openReveal: ["round", "challenge"],
  respondReveal: ["challenge", "round", "miner"],
  resolveReveal: ["challenge", "round", "miner"],
  propose: ["proposal"],
  veto: ["proposal"],
  execute: ["proposal"],
  claimWitnessReward: []
}
