/**
 * Challenges [EQV], [BLF], [RVL]. Anyone may prove that a miner equivocated or that a leaf of its
 * aggregate is bad; what cannot be shown without the miner's data is asked for by a reveal challenge,
 * which the miner must answer in time or be treated as guilty.
 */
import {
  AGGREGATE_FLAG, CHALLENGE_STATUS, DISCRIMINATORS, MEMBER_FLAG, NO_ROUTE, type AggregateAccount, type LeafPinAccount,
  type MinerEntry, type RoundAccount
} from "../accounts.ts"
import { compare, equal, zeros } from "../bytes.ts"
import { leafNode, verifyInclusion } from "../merkle.ts"
import { aggregateDigest, receiptHash, type Receipt } from "../objects.ts"
import type { LeafRef, OpOf } from "../ops.ts"
import {
  add, aggregateKey, configOf, deposit, ensure, findMiner, p, payOut, pinKey, roundKey, witnessKey, witnessStakeAt,
  type Env, type State
} from "../state.ts"
import { LAYOUT_VERSION } from "../version.ts"
import { challengeEnd, NO_MEMBER } from "./rounds.ts"
import { slash, strip } from "./slashing.ts"


// ------------------------------------------------------------------------------------------ equivocation

// #region prove-equivocation
export const processProveEquivocation = (s: State, op: OpOf<"proveEquivocation">, env: Env): void => {
  configOf(s)
  const a = op.first.statement
  // Equivocation about epoch E is provable while E's aggregates can be challenged: until the round's
  // stored challenge_end, or for a round never opened, the end computed from the parameters [EQV-4].
  const end = s.rounds.get(roundKey(a.epoch, a.nameHash))?.challengeEnd ?? challengeEnd(s, a.epoch)
  ensure(env.slot < end, "EQV-4", "the challenge window of that epoch is over")
  // Each statement carries the miner's signature, verified before any rule [SIG-1].
  const digestA = aggregateDigest(a)
  const key = aggregateKey(a.epoch, a.nameHash, a.miner)
  const onChain = s.aggregates.get(key)
  let other: Uint8Array
  if (op.second !== null) {
    const b = op.second.statement
    // Two statements by one miner about one (epoch, name) [EQV-5] ...
    ensure(equal(b.miner, a.miner) && b.epoch === a.epoch && equal(b.nameHash, a.nameHash), "EQV-5", "the statements are not by one miner about one round")
    other = aggregateDigest(b)
  } else {
    // ... or one signed statement against the miner's own on-chain aggregate [EQV-7].
    ensure(onChain !== undefined && (onChain.flags & AGGREGATE_FLAG.submitted) !== 0, "EQV-7", "the miner has no on-chain aggregate in this round")
    other = onChain.statementHash
  }
  // ... with different contents [EQV-6].
  ensure(!equal(digestA, other), "EQV-6", "the statements are identical")
  ensure(onChain === undefined || (onChain.flags & AGGREGATE_FLAG.equivocated) === 0, "EQV-3", "equivocation by this miner in this round is already proven")
  const entry = findMiner(s, a.miner)
  ensure(entry !== undefined, "EQV-8", "the miner has no stake to slash")

  slash(s, entry, op.challenger)
  if (onChain !== undefined) {
    if ((onChain.flags & AGGREGATE_FLAG.submitted) !== 0) strip(s, a.epoch, a.nameHash, onChain.memberIndex)
    onChain.flags |= AGGREGATE_FLAG.equivocated
  } else {
    // A marker in the aggregate's place stops a second proof and any later submission [EQV-3].
    s.aggregates.set(key, {
      disc: DISCRIMINATORS.Aggregate,
      version: LAYOUT_VERSION,
      flags: AGGREGATE_FLAG.equivocated,
      memberIndex: NO_MEMBER,
      routeIndex: NO_ROUTE,
      cidLen: 0,
      epoch: a.epoch,
      nameHash: new Uint8Array(a.nameHash),
      routeHash: zeros(32),
      receiptRoot: zeros(32),
      miner: new Uint8Array(a.miner),
      support: 0n,
      receiptCount: 0,
      batchCid: zeros(64),
      statementHash: zeros(32)
    })
  }
}
// #endregion prove-equivocation

// ------------------------------------------------------------------------------------------------ pins

// #region submitted-aggregate
const submittedAggregate = (s: State, ref: LeafRef): AggregateAccount => {
  const agg = s.aggregates.get(aggregateKey(ref.epoch, ref.nameHash, ref.miner))
  ensure(agg !== undefined && (agg.flags & AGGREGATE_FLAG.submitted) !== 0, "BLF-1", "no submitted aggregate by this miner in this round")
  return agg
}
// #endregion submitted-aggregate

// #region pin-leaf
/** Anyone may pin a leaf by proving its inclusion in a submitted aggregate [BLF-2], [MRK-5]. */
export const processPinLeaf = (s: State, op: OpOf<"pinLeaf">, _env: Env): void => {
  const ref = op.leafRef
  const agg = submittedAggregate(s, ref)
  ensure(ref.index < agg.receiptCount, "BLF-2", `leaf ${ref.index} is outside a tree of ${agg.receiptCount}`)
  ensure(!s.pins.has(pinKey(ref.epoch, ref.nameHash, ref.miner, ref.index)), "BLF-3", "this leaf is already pinned")
  ensure(
    verifyInclusion(leafNode(op.leaf), ref.index, agg.receiptCount, op.path, { hash: agg.receiptRoot, sum: agg.support }),
    "MRK-5",
    "the inclusion proof does not verify against the aggregate's root and support"
  )
  const pin: LeafPinAccount = {
    disc: DISCRIMINATORS.LeafPin,
    version: LAYOUT_VERSION,
    index: ref.index,
    epoch: ref.epoch,
    nameHash: new Uint8Array(ref.nameHash),
    miner: new Uint8Array(ref.miner),
    receiptHash: new Uint8Array(op.leaf.receiptHash),
    witness: new Uint8Array(op.leaf.witness),
    weight: op.leaf.weight
  }
  s.pins.set(pinKey(ref.epoch, ref.nameHash, ref.miner, ref.index), pin)
}
// #endregion pin-leaf

// #region pin-of
const pinOf = (s: State, ref: LeafRef, index: number): LeafPinAccount => {
  const pin = s.pins.get(pinKey(ref.epoch, ref.nameHash, ref.miner, index))
  ensure(pin !== undefined, "BLF-6", `leaf ${index} is not pinned`)
  return pin
}
// #endregion pin-of

interface Target {
  agg: AggregateAccount
  round: RoundAccount
  entry: MinerEntry
}

// #region challengeable
/** A challenge targets a submitted, not yet stripped aggregate, inside the challenge window [BLF-4], [BLF-5]. */
const challengeable = (s: State, ref: LeafRef, env: Env): Target => {
  const agg = submittedAggregate(s, ref)
  const round = s.rounds.get(roundKey(ref.epoch, ref.nameHash))
  ensure(round !== undefined, "ACC-7", "round missing for a submitted aggregate")
  ensure(env.slot < round.challengeEnd, "BLF-4", `the challenge window ended at slot ${round.challengeEnd}`)
  ensure((round.memberFlags[agg.memberIndex]! & MEMBER_FLAG.stripped) === 0, "BLF-5", "the aggregate is already stripped")
  const entry = findMiner(s, ref.miner)
  ensure(entry !== undefined, "EQV-8", "the miner has no stake to slash")
  return { agg, round, entry }
}

const uphold = (s: State, t: Target, ref: LeafRef, challenger: Uint8Array): void => {
  slash(s, t.entry, challenger)
  strip(s, ref.epoch, ref.nameHash, t.agg.memberIndex)
}
// #endregion challengeable

// #region prove-bad-weight
/** A leaf's weight must be its witness's stake in the epoch, and not zero [BLF-7]. */
export const processProveBadWeight = (s: State, op: OpOf<"proveBadWeight">, env: Env): void => {
  const t = challengeable(s, op.leafRef, env)
  const pin = pinOf(s, op.leafRef, op.leafRef.index)
  const stake = witnessStakeAt(s.witnesses.get(witnessKey(pin.witness)), op.leafRef.epoch)
  ensure(pin.weight !== stake || pin.weight === 0n, "BLF-7", `the leaf's weight ${pin.weight} equals the witness's stake`)
  uphold(s, t, op.leafRef, op.challenger)
}
// #endregion prove-bad-weight

// #region prove-bad-order
/** Adjacent leaves must have strictly increasing witness keys: no duplicate, no disorder [BLF-8]. */
export const processProveBadOrder = (s: State, op: OpOf<"proveBadOrder">, env: Env): void => {
  const t = challengeable(s, op.leafRef, env)
  const left = pinOf(s, op.leafRef, op.leafRef.index)
  const right = pinOf(s, op.leafRef, op.leafRef.index + 1)
  ensure(compare(left.witness, right.witness) >= 0, "BLF-8", "the two leaves are in strictly increasing witness order")
  uphold(s, t, op.leafRef, op.challenger)
}
// #endregion prove-bad-order

// #region prove-leaf-mismatch
/** A revealed receipt that hashes to the leaf must agree with the leaf and the aggregate [BLF-9], [BLF-10]. */
export const processProveLeafMismatch = (s: State, op: OpOf<"proveLeafMismatch">, env: Env): void => {
  const t = challengeable(s, op.leafRef, env)
  const pin = pinOf(s, op.leafRef, op.leafRef.index)
  ensure(equal(receiptHash(op.receipt, op.signature), pin.receiptHash), "BLF-9", "the receipt does not hash to the leaf's receipt_hash")
  ensure(!receiptMatches(op.receipt, pin, t.agg), "BLF-10", "the receipt agrees with the leaf and the aggregate")
  uphold(s, t, op.leafRef, op.challenger)
}

const receiptMatches = (r: Receipt, pin: LeafPinAccount, agg: AggregateAccount): boolean =>
  equal(r.witness, pin.witness) && r.epoch === agg.epoch && equal(r.nameHash, agg.nameHash) && equal(r.routeHash, agg.routeHash)
// #endregion prove-leaf-mismatch

// ---------------------------------------------------------------------------------------------- reveal

// #region open-reveal
export const processOpenReveal = (s: State, op: OpOf<"openReveal">, env: Env): void => {
  const ref = op.leafRef
  const t = challengeable(s, ref, env)
  ensure(ref.index < t.agg.receiptCount, "RVL-2", `leaf ${ref.index} is outside a tree of ${t.agg.receiptCount}`)
  // One reveal challenge per leaf [RVL-3].
  ensure(!s.challenges.has(pinKey(ref.epoch, ref.nameHash, ref.miner, ref.index)), "RVL-3", "this leaf is already challenged")

  // The challenger bonds, so that reveal challenges cost something to spam [RVL-1].
  const bond = p(s, "challengeBond")
  deposit(s, op.challenger, bond)
  s.challenges.set(pinKey(ref.epoch, ref.nameHash, ref.miner, ref.index), {
    disc: DISCRIMINATORS.Challenge,
    version: LAYOUT_VERSION,
    status: CHALLENGE_STATUS.open,
    leafIndex: ref.index,
    epoch: ref.epoch,
    nameHash: new Uint8Array(ref.nameHash),
    miner: new Uint8Array(ref.miner),
    challenger: new Uint8Array(op.challenger),
    bond,
    deadline: add(env.slot, p(s, "responseWindowSlots"))
  })
  ensure(t.round.openChallenges < 0xffff, "ACC-6", "open_challenges is a u16")
  t.round.openChallenges += 1
}
// #endregion open-reveal

// #region open-challenge
const openChallenge = (s: State, ref: LeafRef) => {
  const c = s.challenges.get(pinKey(ref.epoch, ref.nameHash, ref.miner, ref.index))
  ensure(c !== undefined && c.status === CHALLENGE_STATUS.open, "RVL-4", "no open reveal challenge on this leaf")
  const round = s.rounds.get(roundKey(ref.epoch, ref.nameHash))
  ensure(round !== undefined, "ACC-7", "round missing for a challenge")
  return { c, round }
}
// #endregion open-challenge

// #region respond-reveal
/**
 * The miner answers with the pinned leaf's receipt and the witness's valid signature on it; the leaf's
 * weight must also be right [RVL-5..8]. A good answer rejects the challenge and the bond goes to the
 * miner [RVL-9].
 */
export const processRespondReveal = (s: State, op: OpOf<"respondReveal">, env: Env): void => {
  const ref = op.leafRef
  const { c, round } = openChallenge(s, ref)
  ensure(env.slot < c.deadline, "RVL-5", `the response window ended at slot ${c.deadline}`)
  const pin = s.pins.get(pinKey(ref.epoch, ref.nameHash, ref.miner, ref.index))
  ensure(pin !== undefined, "RVL-6", "pin the challenged leaf first")
  const agg = submittedAggregate(s, ref)
  ensure(equal(receiptHash(op.receipt, op.signature), pin.receiptHash), "RVL-7", "the receipt does not hash to the leaf")
  ensure(receiptMatches(op.receipt, pin, agg), "RVL-7", "the receipt does not match the leaf and the aggregate")
  const stake = witnessStakeAt(s.witnesses.get(witnessKey(pin.witness)), ref.epoch)
  ensure(pin.weight === stake && stake > 0n, "RVL-8", "the leaf's weight is not the witness's stake")

  c.status = CHALLENGE_STATUS.rejected
  round.openChallenges -= 1
  const entry = findMiner(s, ref.miner)
  if (entry !== undefined) entry.claimable = add(entry.claimable, c.bond)
  else configOf(s).rewardPool = add(configOf(s).rewardPool, c.bond)
}
// #endregion respond-reveal

// #region resolve-reveal
/**
 * After the deadline anyone settles an unanswered challenge: upheld, the miner is slashed, its
 * aggregate stripped and the bond returned [RVL-10]; if the aggregate was stripped meanwhile, the
 * challenge is moot and only the bond returns [RVL-11].
 */
export const processResolveReveal = (s: State, op: OpOf<"resolveReveal">, env: Env): void => {
  const ref = op.leafRef
  const { c, round } = openChallenge(s, ref)
  ensure(env.slot >= c.deadline, "RVL-10", `the miner may answer until slot ${c.deadline}`)
  const agg = submittedAggregate(s, ref)
  round.openChallenges -= 1
  payOut(s, c.challenger, c.bond)
  const entry = findMiner(s, ref.miner)
  if ((round.memberFlags[agg.memberIndex]! & MEMBER_FLAG.stripped) !== 0) {
    c.status = CHALLENGE_STATUS.moot
    return
  }
  c.status = CHALLENGE_STATUS.upheld
  if (entry !== undefined) slash(s, entry, c.challenger)
  strip(s, ref.epoch, ref.nameHash, agg.memberIndex)
}
// #endregion resolve-reveal

