/**
 * Witness rewards [RWD]. A finalized round keeps its witnesses' share; each witness in a supporting
 * aggregate claims, by a pinned leaf, the part of that aggregate's share its weight earns.
 */
import { AGGREGATE_FLAG, DISCRIMINATORS, MEMBER_FLAG, ROUND_STATUS } from "../accounts.ts"
import type { OpOf } from "../ops.ts"
import {
  add, aggregateKey, claimKey, committeeKey, ensure, mulDiv, pinKey, roundKey, sub, witnessKey, type Env, type State
} from "../state.ts"
import { LAYOUT_VERSION } from "../version.ts"

// #region witness-share
/**
 * `amount = ⌊⌊pool · stake_m / S⌋ · weight / support⌋` where S is the round's supporting committee
 * stake, stake_m the aggregate's miner's committee stake, and support the aggregate's [RWD-5].
 */
export const witnessShare = (pool: bigint, memberStake: bigint, supporting: bigint, weight: bigint, support: bigint): bigint =>
  mulDiv(mulDiv(pool, memberStake, supporting), weight, support)
// #endregion witness-share

// #region claim-witness-reward
export const processClaimWitnessReward = (s: State, op: OpOf<"claimWitnessReward">, _env: Env): void => {
  const ref = op.leafRef
  const round = s.rounds.get(roundKey(ref.epoch, ref.nameHash))
  ensure(round !== undefined && round.status === ROUND_STATUS.finalized, "RWD-3", "the round is not finalized")
  const agg = s.aggregates.get(aggregateKey(ref.epoch, ref.nameHash, ref.miner))
  ensure(agg !== undefined && (agg.flags & AGGREGATE_FLAG.submitted) !== 0, "BLF-1", "no submitted aggregate by this miner in this round")
  // Only leaves of counted, unstripped aggregates of the finalized route earn [RWD-4].
  const flags = round.memberFlags[agg.memberIndex]!
  ensure(
    round.memberRoute[agg.memberIndex] === round.finalizedRoute && (flags & MEMBER_FLAG.counted) !== 0 && (flags & MEMBER_FLAG.stripped) === 0,
    "RWD-4",
    "the aggregate did not support the finalized route"
  )
  const pin = s.pins.get(pinKey(ref.epoch, ref.nameHash, ref.miner, ref.index))
  ensure(pin !== undefined, "BLF-6", `leaf ${ref.index} is not pinned`)
  const witness = s.witnesses.get(witnessKey(pin.witness))
  ensure(witness !== undefined, "STK-4", "no stake account for this witness")
  // One claim per witness per aggregate [RWD-8].
  const key = claimKey(ref.epoch, ref.nameHash, ref.miner, pin.witness)
  ensure(!s.claims.has(key), "RWD-8", "this witness already claimed from this aggregate")
  const committee = s.committees.get(committeeKey(ref.epoch))
  ensure(committee !== undefined, "ACC-7", "committee missing for a finalized round")

  const amount = witnessShare(round.witnessPool, committee.members[agg.memberIndex]!.stake, round.supportingStake, pin.weight, agg.support)
  round.witnessPoolRemaining = sub(round.witnessPoolRemaining, amount)
  witness.claimable = add(witness.claimable, amount)
  s.claims.set(key, {
    disc: DISCRIMINATORS.Claim,
    version: LAYOUT_VERSION,
    epoch: ref.epoch,
    nameHash: new Uint8Array(ref.nameHash),
    miner: new Uint8Array(ref.miner),
    witness: new Uint8Array(pin.witness),
    amount
  })
}
// #endregion claim-witness-reward
