/**
 * Rounds, quorum and finality [RND], [QRM]. Per (epoch, name) a round collects one aggregate from each
 * committee member during the submit window of the next epoch; a route the owner authorized that holds
 * `quorum_bps` of committee stake is finalized once the challenge window has passed.
 */
import {
  AGGREGATE_FLAG, DISCRIMINATORS, MAX_ROUTES, MEMBER_FLAG, NO_ROUTE, ROUND_STATUS, type RoundAccount
} from "../accounts.ts"
import { MAX_COMMITTEE } from "../params.ts"
import { equal, u64le, zeros } from "../bytes.ts"
import { H, TAGS } from "../hash.ts"
import { leafNode, MAX_LEAVES, parentNode, SumOverflow } from "../merkle.ts"
import { aggregateDigest } from "../objects.ts"
import type { OpOf } from "../ops.ts"
import { BPS } from "../params.ts"
import {
  add, aggregateKey, committeeKey, configOf, ensure, epochStart, fail, findMiner, mulDiv, nameKey, p, roundKey, type Env,
  type State
} from "../state.ts"
import { LAYOUT_VERSION } from "../version.ts"
import { memberIndex } from "./epoch.ts"
import { slash, strip } from "./slashing.ts"

export const NO_MEMBER = 0xff

// #region submit-window
/** The submit window of epoch E's round is the first `submit_window_slots` of epoch E+1 [RND-1]. */
export const submitWindow = (s: State, epoch: bigint): { start: bigint; end: bigint } => {
  const start = epochStart(s, epoch + 1n)
  return { start, end: start + p(s, "submitWindowSlots") }
}
// #endregion submit-window

// #region challenge-end
/** Challenges of epoch E's aggregates are accepted until `challenge_end` [BLF-4]. */
export const challengeEnd = (s: State, epoch: bigint): bigint => submitWindow(s, epoch).end + p(s, "challengeWindowSlots")
// #endregion challenge-end

// #region new-round
const newRound = (s: State, epoch: bigint, nameHash: Uint8Array): RoundAccount => ({
  disc: DISCRIMINATORS.Round,
  version: LAYOUT_VERSION,
  status: ROUND_STATUS.open,
  routeCount: 0,
  finalizedRoute: NO_ROUTE,
  openChallenges: 0,
  epoch,
  nameHash: new Uint8Array(nameHash),
  submitEnd: submitWindow(s, epoch).end,
  challengeEnd: challengeEnd(s, epoch),
  routes: Array.from({ length: MAX_ROUTES }, () => ({ routeHash: zeros(32), serial: 0n, weight: 0n })),
  memberRoute: new Array<number>(MAX_COMMITTEE).fill(NO_ROUTE),
  memberFlags: new Array<number>(MAX_COMMITTEE).fill(0),
  supportingStake: 0n,
  witnessPool: 0n,
  witnessPoolRemaining: 0n
})
// #endregion new-round

// #region check-opening
/** The submitted root must open to the two children given (or be the single leaf given) [AGG-3]. */
const checkOpening = (op: OpOf<"submitAggregate">): void => {
  const st = op.statement
  try {
    const root = op.opening.kind === "leaf" ? leafNode(op.opening.leaf) : parentNode(op.opening.left, op.opening.right)
    ensure((op.opening.kind === "leaf") === (st.receiptCount === 1), "AGG-3", "a one-receipt aggregate opens to its leaf, others to two children")
    ensure(equal(root.hash, st.receiptRoot), "AGG-3", "the root does not open to the given children")
    ensure(root.sum === st.support, "AGG-4", `support ${st.support} is not the sum of the root's children (${root.sum})`)
  } catch (e) {
    if (e instanceof SumOverflow) fail("AGG-4", "the children's sums overflow u64")
    throw e
  }
}
// #endregion check-opening

// #region submit-aggregate
export const processSubmitAggregate = (s: State, op: OpOf<"submitAggregate">, env: Env): void => {
  const st = op.statement
  configOf(s)
  // Aggregates for epoch E arrive in the submit window at the start of epoch E+1 [RND-1]; once the
  // round exists its stored submit_end rules, so a later change of the window never reopens it.
  const window = submitWindow(s, st.epoch)
  const end = s.rounds.get(roundKey(st.epoch, st.nameHash))?.submitEnd ?? window.end
  ensure(env.slot >= window.start && env.slot < end, "RND-1", `slot ${env.slot} is outside the submit window [${window.start}, ${end})`)
  // ... from a member of epoch E's committee [RND-2], [RND-3] ...
  const committee = s.committees.get(committeeKey(st.epoch))
  ensure(committee !== undefined, "RND-2", `no committee for epoch ${st.epoch}`)
  const m = memberIndex(committee, st.miner)
  ensure(m >= 0, "RND-3", "the submitter is not on the epoch's committee")
  // ... that is not jailed: jailing voids the seat [RND-4].
  const entry = findMiner(s, st.miner)
  ensure(entry !== undefined && entry.jailed === 0, "RND-4", "a jailed miner has no seat")
  const name = s.names.get(nameKey(st.nameHash))
  ensure(name !== undefined, "RND-6", "the name is not registered")

  const key = aggregateKey(st.epoch, st.nameHash, st.miner)
  const existing = s.aggregates.get(key)
  if (existing !== undefined) {
    // A member submits once per round [RND-7]. A different second statement is itself the proof of
    // equivocation, signed by the miner's own transaction: slash at once, count neither [EQV-2].
    ensure((existing.flags & AGGREGATE_FLAG.equivocated) === 0, "EQV-3", "equivocation by this miner in this round is already proven")
    const digest = aggregateDigest(st)
    ensure(!equal(digest, existing.statementHash), "RND-7", "this member already submitted this aggregate")
    slash(s, entry, null)
    if ((existing.flags & AGGREGATE_FLAG.submitted) !== 0) strip(s, st.epoch, st.nameHash, existing.memberIndex)
    existing.flags |= AGGREGATE_FLAG.equivocated
    return
  }

  // A tree holds 1..2^20 receipts [AGG-2].
  ensure(st.receiptCount >= 1 && st.receiptCount <= MAX_LEAVES, "AGG-2", `receipt_count ${st.receiptCount} is not in 1..${MAX_LEAVES}`)
  checkOpening(op)

  const round = s.rounds.get(roundKey(st.epoch, st.nameHash)) ?? newRound(s, st.epoch, st.nameHash)
  let r = round.routes.slice(0, round.routeCount).findIndex((x) => equal(x.routeHash, st.routeHash))
  if (r < 0) {
    // A route enters a round only with its owner's signature over (name_hash, serial, route_hash),
    // checked against the Name account's current owner [RND-5], at a serial above the canonical one [RND-8].
    ensure(op.auth !== null, "RND-5", "the first aggregate naming a route carries the owner's authorization")
    ensure(op.auth.serial > name.serial, "RND-8", `serial ${op.auth.serial} does not exceed the canonical serial ${name.serial}`)
    // The carried signature verified already [SIG-1]; it must be the current owner's [SIG-2].
    ensure(equal(op.auth.owner, name.owner), "SIG-2", "the route authorization is not signed by the name's owner")
    ensure(round.routeCount < MAX_ROUTES, "RND-9", `a round holds at most ${MAX_ROUTES} routes`)
    r = round.routeCount
    round.routes[r] = { routeHash: new Uint8Array(st.routeHash), serial: op.auth.serial, weight: 0n }
    round.routeCount += 1
  }

  // Only aggregates with support ≥ min_support count toward quorum [QRM-2].
  const counted = st.support >= p(s, "minSupport")
  round.memberRoute[m] = r
  round.memberFlags[m] = MEMBER_FLAG.submitted | (counted ? MEMBER_FLAG.counted : 0)
  if (counted) round.routes[r]!.weight = add(round.routes[r]!.weight, committee.members[m]!.stake)
  s.rounds.set(roundKey(st.epoch, st.nameHash), round)

  const cid = zeros(64)
  if (st.batchCid !== null) cid.set(st.batchCid)
  s.aggregates.set(key, {
    disc: DISCRIMINATORS.Aggregate,
    version: LAYOUT_VERSION,
    flags: AGGREGATE_FLAG.submitted,
    memberIndex: m,
    routeIndex: r,
    cidLen: st.batchCid?.length ?? 0,
    epoch: st.epoch,
    nameHash: new Uint8Array(st.nameHash),
    routeHash: new Uint8Array(st.routeHash),
    receiptRoot: new Uint8Array(st.receiptRoot),
    miner: new Uint8Array(st.miner),
    support: st.support,
    receiptCount: st.receiptCount,
    batchCid: cid,
    statementHash: aggregateDigest(st)
  })
}
// #endregion submit-aggregate

// #region has-quorum
/** `weight · 10000 ≥ quorum_bps · committee stake`, with some weight [QRM-1]. */
export const hasQuorum = (weight: bigint, committeeStake: bigint, quorumBps: bigint): boolean =>
  weight > 0n && weight * BPS >= quorumBps * committeeStake
// #endregion has-quorum

// #region next-digest
/** `digest' = H("dotdns/v1/digest", digest ‖ u64(epoch) ‖ name_hash ‖ route_hash)` [QRM-10]. */
export const nextDigest = (digest: Uint8Array, epoch: bigint, nameHash: Uint8Array, routeHash: Uint8Array): Uint8Array =>
  H(TAGS.digest, digest, u64le(epoch), nameHash, routeHash)
// #endregion next-digest

// #region finalize-round
export const processFinalizeRound = (s: State, op: OpOf<"finalizeRound">, env: Env): void => {
  const config = configOf(s)
  const round = s.rounds.get(roundKey(op.epoch, op.nameHash))
  ensure(round !== undefined, "QRM-4", "no round for this epoch and name")
  ensure(round.status === ROUND_STATUS.open, "QRM-5", "the round is already closed")
  // Only after the challenge window [QRM-6], and with no reveal challenge still open [QRM-7].
  ensure(env.slot >= round.challengeEnd, "QRM-6", `the challenge window ends at slot ${round.challengeEnd}`)
  ensure(round.openChallenges === 0, "QRM-7", `${round.openChallenges} reveal challenges are still open`)
  const committee = s.committees.get(committeeKey(op.epoch))
  ensure(committee !== undefined, "ACC-7", "committee missing for an open round")
  const name = s.names.get(nameKey(op.nameHash))
  ensure(name !== undefined, "ACC-7", "name missing for an open round")

  const r = round.routes.slice(0, round.routeCount).findIndex((x) => hasQuorum(x.weight, committee.totalStake, p(s, "quorumBps")))
  // Without quorum the round fails [QRM-8]; a route no newer than the canonical one fails too,
  // which is what stops a late round from rolling a name back [QRM-9].
  if (r < 0 || round.routes[r]!.serial <= name.serial) {
    round.status = ROUND_STATUS.failed
    return
  }
  const route = round.routes[r]!
  name.routeHash = new Uint8Array(route.routeHash)
  name.serial = route.serial
  name.routeEpoch = op.epoch
  round.status = ROUND_STATUS.finalized
  round.finalizedRoute = r
  config.stateDigest = nextDigest(config.stateDigest, op.epoch, op.nameHash, route.routeHash)
  distributeRoundReward(s, round, r)
}
// #endregion finalize-round

// #region distribute-round-reward
/**
 * Rewards of a finalized round [RWD-2..4]: `min(pool, round_reward)` leaves the pool; the miners'
 * share goes to supporting members by committee stake, the rest waits in the round for witnesses.
 * Rounding dust returns to the pool, so no lamport is created or lost.
 */
const distributeRoundReward = (s: State, round: RoundAccount, r: number): void => {
  const config = configOf(s)
  const committee = s.committees.get(committeeKey(round.epoch))!
  const reward = config.rewardPool < p(s, "roundReward") ? config.rewardPool : p(s, "roundReward")
  config.rewardPool -= reward
  const minersPart = mulDiv(reward, p(s, "minerRewardBps"), BPS)
  const supporting = round.routes[r]!.weight
  let paid = 0n
  for (let m = 0; m < committee.memberCount; m++) {
    if (round.memberRoute[m] !== r || (round.memberFlags[m]! & MEMBER_FLAG.counted) === 0) continue
    const entry = findMiner(s, committee.members[m]!.key)
    if (entry === undefined) continue
    const share = mulDiv(minersPart, committee.members[m]!.stake, supporting)
    entry.claimable = add(entry.claimable, share)
    paid += share
  }
  config.rewardPool = add(config.rewardPool, minersPart - paid)
  round.supportingStake = supporting
  round.witnessPool = reward - minersPart
  round.witnessPoolRemaining = reward - minersPart
}
// #endregion distribute-round-reward
