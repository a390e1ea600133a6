/**
 * Protocol parameters [GOV]. They live in `Config.params` as one u64 array indexed by `ParamId`, so a
 * governance change is always "set parameter i to v" and the program needs no per-parameter code.
 */
import { reject, type ProtocolError } from "./errors.ts"

// #region param-ids
export const PARAM = {
  epochLengthSlots: 0,
  submitWindowSlots: 1,
  challengeWindowSlots: 2,
  responseWindowSlots: 3,
  unbondingEpochs: 4,
  jailEpochs: 5,
  minTimelockEpochs: 6,
  quorumBps: 7,
  vetoBps: 8,
  slashBps: 9,
  challengerRewardBps: 10,
  minerRewardBps: 11,
  minSupport: 12,
  minMinerStake: 13,
  minWitnessStake: 14,
  challengeBond: 15,
  registrationFee: 16,
  roundReward: 17,
  proposalThreshold: 18,
  committeeMode: 19,
  committeeSize: 20
} as const
export type ParamName = keyof typeof PARAM
export const PARAM_COUNT = 21
/** Config reserves this many slots so v1.x can add parameters without a layout change [ACC-3]. */
export const PARAM_SLOTS = 24
// #endregion param-ids

export const COMMITTEE_MODE = { allowlist: 0n, stake: 1n } as const
export const MAX_COMMITTEE = 32
export const BPS = 10_000n

/** Parameters that governance may not change in v1 [GOV-7]: the epoch length fixes `epoch = ⌊slot / L⌋`. */
export const FIXED_PARAMS: readonly number[] = [PARAM.epochLengthSlots]

export type Params = readonly bigint[]

export const param = (p: Params, name: ParamName): bigint => p[PARAM[name]]!

export const paramsOf = (values: Record<ParamName, bigint>): bigint[] => {
  const out = new Array<bigint>(PARAM_SLOTS).fill(0n)
  for (const [k, v] of Object.entries(values) as [ParamName, bigint][]) out[PARAM[k]] = v
  return out
}

/** Mainnet-suggested values: 9000-slot (≈1 h) epochs, a 10-minute submit window, 30-minute challenges. */
export const MAINNET_PARAMS: Params = paramsOf({
  epochLengthSlots: 9000n,
  submitWindowSlots: 1500n,
  challengeWindowSlots: 4500n,
  responseWindowSlots: 1500n,
  unbondingEpochs: 24n,
  jailEpochs: 24n,
  minTimelockEpochs: 48n,
  quorumBps: 6667n,
  vetoBps: 3334n,
  slashBps: 1000n,
  challengerRewardBps: 5000n,
  minerRewardBps: 7000n,
  minSupport: 1_000_000_000n,
  minMinerStake: 100_000_000_000n,
  minWitnessStake: 1_000_000_000n,
  challengeBond: 1_000_000_000n,
  registrationFee: 100_000_000n,
  roundReward: 10_000_000n,
  proposalThreshold: 0n,
  committeeMode: COMMITTEE_MODE.allowlist,
  committeeSize: 7n
})

/** Fast values for localnet, tests and the simulator: 50-slot epochs (20 s at 400 ms a slot). */
export const LOCALNET_PARAMS: Params = paramsOf({
  epochLengthSlots: 50n,
  submitWindowSlots: 20n,
  challengeWindowSlots: 20n,
  responseWindowSlots: 10n,
  unbondingEpochs: 3n,
  jailEpochs: 2n,
  minTimelockEpochs: 2n,
  quorumBps: 6667n,
  vetoBps: 3334n,
  slashBps: 1000n,
  challengerRewardBps: 5000n,
  minerRewardBps: 7000n,
  minSupport: 1n,
  minMinerStake: 1_000_000_000n,
  minWitnessStake: 100_000_000n,
  challengeBond: 100_000_000n,
  registrationFee: 10_000_000n,
  roundReward: 1_000_000n,
  proposalThreshold: 0n,
  committeeMode: COMMITTEE_MODE.allowlist,
  committeeSize: 3n
})

// #region check-params
/**
 * Whether a parameter set is one the protocol can run under [GOV-8]. Checked at initialization, when a
 * proposal is made and when it is executed, so a set that reaches activation is always valid.
 */
export const checkParams = (p: Params): ProtocolError | undefined => {
  if (p.length !== PARAM_SLOTS) return reject("GOV-8", `params has ${p.length} slots, not ${PARAM_SLOTS}`)
  for (let i = PARAM_COUNT; i < PARAM_SLOTS; i++) if (p[i] !== 0n) return reject("GOV-8", `reserved parameter slot ${i} is not zero`)
  const v = (n: ParamName) => param(p, n)
  const L = v("epochLengthSlots")
  if (L < 1n) return reject("GOV-8", "epoch_length_slots ≥ 1")
  if (v("submitWindowSlots") < 1n || v("submitWindowSlots") > L) return reject("GOV-8", "1 ≤ submit_window_slots ≤ epoch_length_slots")
  if (v("challengeWindowSlots") < 1n) return reject("GOV-8", "challenge_window_slots ≥ 1")
  if (v("responseWindowSlots") < 1n) return reject("GOV-8", "response_window_slots ≥ 1")
  // Every challenge of epoch E's aggregates settles before epoch E+3 starts, so witness stake history
  // of three epochs suffices and unbonding of three epochs outlasts every challenge [STK-7].
  if (v("submitWindowSlots") + v("challengeWindowSlots") + v("responseWindowSlots") > 2n * L)
    return reject("GOV-8", "submit + challenge + response windows ≤ 2 × epoch_length_slots")
  if (v("unbondingEpochs") < 3n) return reject("GOV-8", "unbonding_epochs ≥ 3")
  if (v("jailEpochs") < 1n) return reject("GOV-8", "jail_epochs ≥ 1")
  if (v("minTimelockEpochs") < 1n) return reject("GOV-8", "min_timelock_epochs ≥ 1")
  if (v("quorumBps") <= 5000n || v("quorumBps") > BPS) return reject("GOV-8", "5000 < quorum_bps ≤ 10000")
  if (v("vetoBps") < 1n || v("vetoBps") > BPS) return reject("GOV-8", "1 ≤ veto_bps ≤ 10000")
  for (const n of ["slashBps", "challengerRewardBps", "minerRewardBps"] as const)
    if (v(n) > BPS) return reject("GOV-8", `${n} ≤ 10000`)
  if (v("minMinerStake") < 1n || v("minWitnessStake") < 1n) return reject("GOV-8", "minimum stakes ≥ 1")
  if (v("committeeMode") > 1n) return reject("GOV-8", "committee_mode is 0 (allowlist) or 1 (stake)")
  if (v("committeeSize") < 1n || v("committeeSize") > BigInt(MAX_COMMITTEE)) return reject("GOV-8", `1 ≤ committee_size ≤ ${MAX_COMMITTEE}`)
  return undefined
}
// #endregion check-params
