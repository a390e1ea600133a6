/**
 * Stake [STK]. Miners and witnesses bond lamports into the vault. New stake is active from the next
 * epoch; unbonded stake waits `unbonding_epochs`, longer than any challenge of the epochs it backed,
 * so no stake leaves before it can be slashed.
 */
import { DISCRIMINATORS, MAX_MINERS, WITNESS_CHECKPOINTS, type MinerEntry, type WitnessAccount } from "../accounts.ts"
import type { OpOf } from "../ops.ts"
import {
  add, configOf, deposit, ensure, findMiner, minerSetOf, p, payOut, sub, witnessBonded, witnessKey, type Env, type State
} from "../state.ts"
import { LAYOUT_VERSION } from "../version.ts"
import { equal } from "../bytes.ts"
import { COMMITTEE_MODE } from "../params.ts"

const isAllowlisted = (s: State, key: Uint8Array): boolean => {
  const config = configOf(s)
  return config.allowlist.slice(0, config.allowlistCount).some((k) => equal(k, key))
}
import { emptyMinerEntry } from "./init.ts"

// #region check-minimum
/** Bonded stake after a change is zero or at least the minimum [STK-3]. */
const checkMinimum = (bonded: bigint, min: bigint, who: string): void =>
  ensure(bonded === 0n || bonded >= min, "STK-3", `${who} bonded stake ${bonded} is below the minimum ${min}`)
// #endregion check-minimum

const minerOf = (s: State, key: Uint8Array): MinerEntry => {
  const e = findMiner(s, key)
  ensure(e !== undefined, "STK-4", "no stake account for this miner")
  return e
}

// #region miner-bond
export const processMinerBond = (s: State, op: OpOf<"minerBond">, _env: Env): void => {
  const config = configOf(s)
  const set = minerSetOf(s)
  ensure(op.amount >= 1n, "STK-1", "bond at least one lamport")
  let entry = findMiner(s, op.miner)
  // The MinerSet has fixed capacity, so committee sampling needs no account lists [STK-2].
  ensure(entry !== undefined || set.count < MAX_MINERS, "STK-2", `the miner set is full (${MAX_MINERS})`)
  // In allowlist mode only allowlisted keys open an entry, so strangers cannot fill the set [STK-11].
  ensure(
    entry !== undefined || p(s, "committeeMode") !== COMMITTEE_MODE.allowlist || isAllowlisted(s, op.miner),
    "STK-11",
    "in allowlist mode only allowlisted miners may bond"
  )
  checkMinimum(add(add(entry?.active ?? 0n, entry?.pending ?? 0n), op.amount), p(s, "minMinerStake"), "miner")

  if (entry === undefined) {
    entry = { ...emptyMinerEntry(), key: new Uint8Array(op.miner) }
    set.entries[set.count] = entry
    set.count += 1
  }
  deposit(s, op.miner, op.amount)
  // Pending until the next epoch boundary [STK-9].
  entry.pending = add(entry.pending, op.amount)
  config.totalBonded = add(config.totalBonded, op.amount)
}
// #endregion miner-bond

// #region miner-unbond
export const processMinerUnbond = (s: State, op: OpOf<"minerUnbond">, _env: Env): void => {
  const config = configOf(s)
  const entry = minerOf(s, op.miner)
  const bonded = add(entry.active, entry.pending)
  ensure(op.amount >= 1n && op.amount <= bonded, "STK-5", `unbond 1..${bonded} lamports`)
  checkMinimum(bonded - op.amount, p(s, "minMinerStake"), "miner")

  // Pending stake is released first: it never backed a committee seat.
  const fromPending = op.amount < entry.pending ? op.amount : entry.pending
  entry.pending -= fromPending
  entry.active = sub(entry.active, op.amount - fromPending)
  entry.unbonding = add(entry.unbonding, op.amount)
  // A new unbond restarts the wait for the whole unbonding balance [STK-6].
  entry.unbondReadyEpoch = add(config.currentEpoch, p(s, "unbondingEpochs"))
  config.totalBonded = sub(config.totalBonded, op.amount)
}
// #endregion miner-unbond

// #region miner-withdraw
export const processMinerWithdraw = (s: State, op: OpOf<"minerWithdraw">, _env: Env): void => {
  const config = configOf(s)
  const entry = minerOf(s, op.miner)
  // Only unbonded stake whose wait is over leaves the vault [STK-6].
  ensure(entry.unbonding > 0n, "STK-6", "nothing is unbonding")
  ensure(config.currentEpoch >= entry.unbondReadyEpoch, "STK-6", `unbonding ends at epoch ${entry.unbondReadyEpoch}`)

  payOut(s, op.miner, entry.unbonding)
  entry.unbonding = 0n
  entry.unbondReadyEpoch = 0n
  // An empty, unjailed entry frees its seat in the set; a jailed one stays so the jail cannot be shed.
  if (entry.active === 0n && entry.pending === 0n && entry.claimable === 0n && entry.jailed === 0) removeMiner(s, entry)
}

const removeMiner = (s: State, entry: MinerEntry): void => {
  const set = minerSetOf(s)
  const i = set.entries.indexOf(entry)
  set.entries.splice(i, 1)
  set.entries.push(emptyMinerEntry())
  set.count -= 1
}
// #endregion miner-withdraw

// #region unjail
export const processUnjail = (s: State, op: OpOf<"unjail">, _env: Env): void => {
  const config = configOf(s)
  const entry = minerOf(s, op.miner)
  // Unjail after jail_epochs, with at least the minimum stake still active [SLS-4].
  ensure(entry.jailed === 1, "SLS-4", "the miner is not jailed")
  ensure(config.currentEpoch >= entry.jailedEpoch + p(s, "jailEpochs"), "SLS-4", `jailed until epoch ${entry.jailedEpoch + p(s, "jailEpochs")}`)
  ensure(entry.active >= p(s, "minMinerStake"), "SLS-4", "active stake is below the minimum")
  entry.jailed = 0
}
// #endregion unjail

// ------------------------------------------------------------------------------------------- witnesses

// #region set-next-stake
/**
 * Records the stake a witness will hold from the next epoch on [STK-10]. At most one checkpoint per
 * epoch; when all four are used the oldest goes, which is safe because at most one checkpoint exists
 * per epoch up to now, so the second-oldest is at least two epochs old and answers every epoch a
 * challenge can still ask about [STK-7].
 */
export const setNextStake = (w: WitnessAccount, currentEpoch: bigint, amount: bigint): void => {
  const next = currentEpoch + 1n
  const last = w.checkpointCount === 0 ? undefined : w.checkpoints[w.checkpointCount - 1]!
  if (last !== undefined && last.epoch === next) {
    last.amount = amount
    return
  }
  if (w.checkpointCount === WITNESS_CHECKPOINTS) {
    w.checkpoints.shift()
    w.checkpoints.push({ epoch: 0n, amount: 0n })
    w.checkpointCount -= 1
  }
  w.checkpoints[w.checkpointCount] = { epoch: next, amount }
  w.checkpointCount += 1
}
// #endregion set-next-stake

const witnessOf = (s: State, key: Uint8Array): WitnessAccount => {
  const w = s.witnesses.get(witnessKey(key))
  ensure(w !== undefined, "STK-4", "no stake account for this witness")
  return w
}

// #region witness-bond
export const processWitnessBond = (s: State, op: OpOf<"witnessBond">, _env: Env): void => {
  const config = configOf(s)
  ensure(op.amount >= 1n, "STK-1", "bond at least one lamport")
  const existing = s.witnesses.get(witnessKey(op.witness))
  const bonded = add(existing === undefined ? 0n : witnessBonded(existing), op.amount)
  checkMinimum(bonded, p(s, "minWitnessStake"), "witness")

  const w: WitnessAccount = existing ?? {
    disc: DISCRIMINATORS.Witness,
    version: LAYOUT_VERSION,
    checkpointCount: 0,
    key: new Uint8Array(op.witness),
    checkpoints: Array.from({ length: WITNESS_CHECKPOINTS }, () => ({ epoch: 0n, amount: 0n })),
    unbonding: 0n,
    unbondReadyEpoch: 0n,
    claimable: 0n
  }
  s.witnesses.set(witnessKey(op.witness), w)
  deposit(s, op.witness, op.amount)
  setNextStake(w, config.currentEpoch, bonded)
  config.totalBonded = add(config.totalBonded, op.amount)
}
// #endregion witness-bond

// #region witness-unbond
export const processWitnessUnbond = (s: State, op: OpOf<"witnessUnbond">, _env: Env): void => {
  const config = configOf(s)
  const w = witnessOf(s, op.witness)
  const bonded = witnessBonded(w)
  ensure(op.amount >= 1n && op.amount <= bonded, "STK-5", `unbond 1..${bonded} lamports`)
  checkMinimum(bonded - op.amount, p(s, "minWitnessStake"), "witness")

  // The weight of the current epoch stays: receipts already signed this epoch remain true.
  setNextStake(w, config.currentEpoch, bonded - op.amount)
  w.unbonding = add(w.unbonding, op.amount)
  w.unbondReadyEpoch = add(config.currentEpoch, p(s, "unbondingEpochs"))
  config.totalBonded = sub(config.totalBonded, op.amount)
}
// #endregion witness-unbond

// #region witness-withdraw
export const processWitnessWithdraw = (s: State, op: OpOf<"witnessWithdraw">, _env: Env): void => {
  const config = configOf(s)
  const w = witnessOf(s, op.witness)
  ensure(w.unbonding > 0n, "STK-6", "nothing is unbonding")
  ensure(config.currentEpoch >= w.unbondReadyEpoch, "STK-6", `unbonding ends at epoch ${w.unbondReadyEpoch}`)
  payOut(s, op.witness, w.unbonding)
  w.unbonding = 0n
  w.unbondReadyEpoch = 0n
}
// #endregion witness-withdraw

// --------------------------------------------------------------------------------------- pool & claims

// #region claim
export const processClaim = (s: State, op: OpOf<"claim">, _env: Env): void => {
  const account = op.role === "miner" ? minerOf(s, op.who) : witnessOf(s, op.who)
  // A claim pays out the whole recorded balance, and there must be one [RWD-6].
  ensure(account.claimable > 0n, "RWD-6", "nothing to claim")
  payOut(s, op.who, account.claimable)
  account.claimable = 0n
}
// #endregion claim

// #region fund-pool
export const processFundPool = (s: State, op: OpOf<"fundPool">, _env: Env): void => {
  const config = configOf(s)
  // Tolls and donations fund the reward pool [RWD-7].
  ensure(op.amount >= 1n, "RWD-7", "fund at least one lamport")
  deposit(s, op.funder, op.amount)
  config.rewardPool = add(config.rewardPool, op.amount)
}
// #endregion fund-pool

