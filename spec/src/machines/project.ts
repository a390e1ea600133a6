/**
 * Projections: each lifecycle machine's state value and context, read off a spec `State`. They are the
 * bridge the consistency tests cross: for every op `apply` accepts, the projection after equals the
 * machine's transition from the projection before, under the events `opEvents` derives.
 */
import { CHALLENGE_STATUS, MEMBER_FLAG, NO_ROUTE, PROPOSAL_STATUS, ROUND_STATUS, type ProposalAccount } from "../accounts.ts"
import { equal, fromHex, hex } from "../bytes.ts"
import type { LeafRef } from "../ops.ts"
import { committeeKey, findMiner, pinKey, proposalKey, roundKey, type State } from "../state.ts"
import type { MachineName, Projection } from "./common.ts"
import { EMPTY_CHALLENGE, type ChallengeContext, type ChallengeState } from "./challenge.ts"
import { EMPTY_MINER, minerValueOf, type MinerContext } from "./miner.ts"
import { EMPTY_PROPOSAL, type ProposalContext, type ProposalState } from "./proposal.ts"
import { EMPTY_ROUND, type MemberCtx, type RoundContext, type RoundState } from "./round.ts"

// ------------------------------------------------------------------------------------------------ round

const ROUND_VALUE: Record<number, RoundState> = {
  [ROUND_STATUS.open]: "open",
  [ROUND_STATUS.finalized]: "finalized",
  [ROUND_STATUS.failed]: "failed"
}

export const projectRound = (s: State, epoch: bigint, nameHash: Uint8Array): Projection<RoundContext> => {
  const round = s.rounds.get(roundKey(epoch, nameHash))
  if (round === undefined) return { value: "absent", context: EMPTY_ROUND }
  const committee = s.committees.get(committeeKey(epoch))
  const members: Record<string, MemberCtx> = {}
  round.memberFlags.forEach((flags, m) => {
    if ((flags & MEMBER_FLAG.submitted) === 0) return
    members[String(m)] = {
      route: round.memberRoute[m]!,
      counted: (flags & MEMBER_FLAG.counted) !== 0,
      stripped: (flags & MEMBER_FLAG.stripped) !== 0,
      stake: committee?.members[m]?.stake ?? 0n
    }
  })
  return {
    value: ROUND_VALUE[round.status] ?? `status ${round.status}`,
    context: {
      challengeEnd: round.challengeEnd,
      committeeStake: committee?.totalStake ?? 0n,
      openChallenges: round.openChallenges,
      routes: round.routes.slice(0, round.routeCount).map((r) => ({ hash: hex(r.routeHash), serial: r.serial, weight: r.weight })),
      members,
      finalizedRoute: round.finalizedRoute === NO_ROUTE ? null : round.finalizedRoute
    }
  }
}

// -------------------------------------------------------------------------------------------- challenge

const CHALLENGE_VALUE: Record<number, ChallengeState> = {
  [CHALLENGE_STATUS.open]: "open",
  [CHALLENGE_STATUS.rejected]: "rejected",
  [CHALLENGE_STATUS.upheld]: "upheld",
  [CHALLENGE_STATUS.moot]: "moot"
}

export const projectChallenge = (s: State, ref: LeafRef): Projection<ChallengeContext> => {
  const c = s.challenges.get(pinKey(ref.epoch, ref.nameHash, ref.miner, ref.index))
  if (c === undefined) return { value: "absent", context: EMPTY_CHALLENGE }
  return { value: CHALLENGE_VALUE[c.status] ?? `status ${c.status}`, context: { deadline: c.deadline } }
}

// --------------------------------------------------------------------------------------------- proposal

const sameChanges = (p: ProposalAccount, s: State): boolean => {
  const config = s.config!
  if (p.changeCount !== config.pendingCount) return false
  for (let i = 0; i < p.changeCount; i++) {
    const a = p.changes[i]!
    const b = config.pending[i]!
    if (a.kind !== b.kind || a.param !== b.param || a.value !== b.value || !equal(a.key, b.key)) return false
  }
  return true
}

/**
 * The executed proposals whose change set is the one waiting in Config for the next boundary. Config
 * records the changes but not which proposal they came from, so when an earlier executed proposal
 * carried the very same changes both are listed: the state alone cannot tell which is waiting.
 */
export const pendingProposalIds = (s: State): bigint[] => {
  if (s.config === undefined || s.config.pendingCount === 0) return []
  const ids: bigint[] = []
  for (const p of s.proposals.values()) if (p.status === PROPOSAL_STATUS.executed && sameChanges(p, s)) ids.push(p.id)
  return ids
}

/** True when the state cannot tell whether executed proposal `id` is still waiting or already active. */
export const proposalAmbiguous = (s: State, id: bigint): boolean => {
  const ids = pendingProposalIds(s)
  return ids.length > 1 && ids.includes(id)
}

export const projectProposal = (s: State, id: bigint): Projection<ProposalContext> => {
  const p = s.proposals.get(proposalKey(id))
  if (p === undefined) return { value: "absent", context: EMPTY_PROPOSAL }
  const context = { createdEpoch: p.createdEpoch, etaEpoch: p.etaEpoch, vetoStake: p.vetoStake, stakeSnapshot: p.stakeSnapshot }
  const value: ProposalState =
    p.status === PROPOSAL_STATUS.queued
      ? "queued"
      : p.status === PROPOSAL_STATUS.vetoed
        ? "vetoed"
        : pendingProposalIds(s).includes(id)
          ? "executed"
          : "active"
  return { value, context }
}

// ------------------------------------------------------------------------------------------------ miner

export const minerContextOf = (s: State, key: Uint8Array): MinerContext | undefined => {
  if (s.minerSet === undefined) return undefined
  const e = findMiner(s, key)
  if (e === undefined) return undefined
  return {
    active: e.active,
    pending: e.pending,
    unbonding: e.unbonding,
    unbondReadyEpoch: e.unbondReadyEpoch,
    claimable: e.claimable,
    jailed: e.jailed !== 0,
    jailedEpoch: e.jailedEpoch,
    epoch: s.config!.currentEpoch
  }
}

export const projectMiner = (s: State, key: Uint8Array): Projection<MinerContext> => {
  const c = minerContextOf(s, key)
  return { value: minerValueOf(c), context: c ?? EMPTY_MINER }
}

// ---------------------------------------------------------------------------------------- by instance

/**
 * Instance keys: a round is `epoch/name_hash`, a challenge `epoch/name_hash/miner/index` (its PDA seeds,
 * hex), a proposal its id, a miner its key in hex — the keys `State` files the accounts under.
 */
export const roundInstance = (epoch: bigint, nameHash: Uint8Array): string => roundKey(epoch, nameHash)
export const challengeInstance = (ref: LeafRef): string => pinKey(ref.epoch, ref.nameHash, ref.miner, ref.index)
export const proposalInstance = (id: bigint): string => proposalKey(id)
export const minerInstance = (key: Uint8Array): string => hex(key)

const parts = (key: string, n: number): string[] => {
  const p = key.split("/")
  if (p.length !== n) throw new RangeError(`instance key ${key} has ${p.length} parts, not ${n}`)
  return p
}

export const leafRefOf = (key: string): LeafRef => {
  const [epoch, name, miner, index] = parts(key, 4)
  return { epoch: BigInt(epoch!), nameHash: fromHex(name!), miner: fromHex(miner!), index: Number(index) }
}

export const project = (machine: MachineName, s: State, key: string): Projection => {
  switch (machine) {
    case "round": {
      const [epoch, name] = parts(key, 2)
      return projectRound(s, BigInt(epoch!), fromHex(name!))
    }
    case "challenge":
      return projectChallenge(s, leafRefOf(key))
    case "proposal":
      return projectProposal(s, BigInt(key))
    case "miner":
      return projectMiner(s, fromHex(key))
  }
}

/** Every instance the state holds an account for (a miner that left the set is `none`, so absent here). */
export const instancesOf = (s: State): Record<MachineName, string[]> => ({
  round: [...s.rounds.keys()],
  challenge: [...s.challenges.keys()],
  proposal: [...s.proposals.keys()],
  miner: s.minerSet === undefined ? [] : s.minerSet.entries.slice(0, s.minerSet.count).map((e) => hex(e.key))
})
