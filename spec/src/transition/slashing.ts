/** Slashing, jailing and stripping [SLS]: what every upheld challenge does to the miner and its aggregate. */
import { MEMBER_FLAG, type MinerEntry } from "../accounts.ts"
import { BPS } from "../params.ts"
import { add, committeeKey, configOf, ensure, mulDiv, p, payOut, roundKey, sub, type State } from "../state.ts"

// #region slash
/**
 * Slashes `slash_bps` of everything the miner has bonded — active, then pending, then unbonding —
 * pays `challenger_reward_bps` of it to the challenger and the rest to the reward pool [SLS-1], and
 * jails the miner [SLS-3]. Returns the amount slashed.
 */
export const slash = (s: State, entry: MinerEntry, challenger: Uint8Array | null): bigint => {
  const config = configOf(s)
  const total = add(add(entry.active, entry.pending), entry.unbonding)
  const amount = mulDiv(total, p(s, "slashBps"), BPS)
  let left = amount
  const take = (have: bigint): bigint => {
    const t = left < have ? left : have
    left -= t
    return t
  }
  const fromActive = take(entry.active)
  const fromPending = take(entry.pending)
  const fromUnbonding = take(entry.unbonding)
  entry.active -= fromActive
  entry.pending -= fromPending
  entry.unbonding -= fromUnbonding
  config.totalBonded = sub(config.totalBonded, fromActive + fromPending)

  const reward = challenger === null ? 0n : mulDiv(amount, p(s, "challengerRewardBps"), BPS)
  config.rewardPool = add(config.rewardPool, amount - reward)
  if (challenger !== null) payOut(s, challenger, reward)
  entry.jailed = 1
  entry.jailedEpoch = config.currentEpoch
  return amount
}
// #endregion slash

// #region strip
/** An upheld challenge strips the aggregate's support from its round [SLS-2]. */
export const strip = (s: State, epoch: bigint, nameHash: Uint8Array, member: number): void => {
  const round = s.rounds.get(roundKey(epoch, nameHash))
  ensure(round !== undefined, "ACC-7", "round missing for a submitted aggregate")
  const flags = round.memberFlags[member]!
  if ((flags & MEMBER_FLAG.counted) !== 0) {
    const committee = s.committees.get(committeeKey(epoch))
    ensure(committee !== undefined, "ACC-7", "committee missing for a submitted aggregate")
    const slot = round.routes[round.memberRoute[member]!]!
    slot.weight = sub(slot.weight, committee.members[member]!.stake)
  }
  round.memberFlags[member] = (flags & ~MEMBER_FLAG.counted) | MEMBER_FLAG.stripped
}
// #endregion strip
