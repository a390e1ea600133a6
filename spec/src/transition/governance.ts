/**
 * Governance [GOV]: parameters change only through a proposal that waits out a timelock, survives a
 * stake-weighted veto, is executed after its eta, and takes effect at the next epoch boundary.
 */
import { CHANGE_KIND, DISCRIMINATORS, MAX_ALLOWLIST, MAX_CHANGES, PROPOSAL_STATUS, type Change, type ConfigAccount } from "../accounts.ts"
import { equal } from "../bytes.ts"
import type { OpOf } from "../ops.ts"
import { BPS, checkParams, FIXED_PARAMS, PARAM, PARAM_COUNT } from "../params.ts"
import {
  add, configOf, ensure, findMiner, p, proposalKey, vetoKey, witnessKey, witnessStakeAt, type Env, type State
} from "../state.ts"
import { LAYOUT_VERSION } from "../version.ts"
import { padKeys, zeroChange } from "./init.ts"

const isZero = (b: Uint8Array): boolean => b.every((x) => x === 0)

// #region check-change
/** A change names one thing and leaves every unused field zero [GOV-3]. */
export const checkChange = (c: Change): void => {
  switch (c.kind) {
    case CHANGE_KIND.setParam:
      ensure(c.param < PARAM_COUNT, "GOV-3", `parameter ${c.param} does not exist`)
      ensure(!FIXED_PARAMS.includes(c.param), "GOV-7", `parameter ${c.param} cannot change in v1`)
      ensure(isZero(c.key), "GOV-3", "a parameter change carries no key")
      return
    case CHANGE_KIND.allowlistAdd:
    case CHANGE_KIND.allowlistRemove:
    case CHANGE_KIND.setAuthority:
      ensure(c.param === 0 && c.value === 0n, "GOV-3", "a key change carries no parameter or value")
      ensure(!isZero(c.key), "GOV-3", "a key change names a non-zero key")
      return
    default:
      ensure(false, "GOV-3", `change kind ${c.kind} does not exist`)
  }
}
// #endregion check-change

export interface Governed {
  params: bigint[]
  allowlist: Uint8Array[]
  authority: Uint8Array
}

// #region apply-changes-to
/** What a change set would make of the governed part of Config, in order [GOV-6]. */
export const applyChangesTo = (config: ConfigAccount, changes: readonly Change[]): Governed => {
  const out: Governed = {
    params: [...config.params],
    allowlist: config.allowlist.slice(0, config.allowlistCount).map((k) => new Uint8Array(k)),
    authority: new Uint8Array(config.authority)
  }
  for (const c of changes) {
    switch (c.kind) {
      case CHANGE_KIND.setParam:
        out.params[c.param] = c.value
        break
      case CHANGE_KIND.allowlistAdd:
        if (!out.allowlist.some((k) => equal(k, c.key))) out.allowlist.push(new Uint8Array(c.key))
        break
      case CHANGE_KIND.allowlistRemove:
        out.allowlist = out.allowlist.filter((k) => !equal(k, c.key))
        break
      case CHANGE_KIND.setAuthority:
        out.authority = new Uint8Array(c.key)
        break
    }
  }
  return out
}
// #endregion apply-changes-to

// #region check-outcome
/** The result of a change set must be a valid configuration [GOV-8] with an allowlist that fits [GOV-9]. */
const checkOutcome = (g: Governed): void => {
  const bad = checkParams(g.params)
  if (bad) throw bad
  ensure(g.allowlist.length <= MAX_ALLOWLIST, "GOV-9", `the allowlist would hold ${g.allowlist.length} > ${MAX_ALLOWLIST} keys`)
}
// #endregion check-outcome

// #region governance-weight
/** Voting and proposing weight: active miner stake plus the witness stake of the current epoch. */
export const governanceWeight = (s: State, key: Uint8Array): bigint =>
  add(findMiner(s, key)?.active ?? 0n, witnessStakeAt(s.witnesses.get(witnessKey(key)), configOf(s).currentEpoch))
// #endregion governance-weight

// #region propose
export const processPropose = (s: State, op: OpOf<"propose">, _env: Env): void => {
  const config = configOf(s)
  // The governance authority proposes; so may any key whose stake reaches a non-zero threshold [GOV-1].
  const threshold = p(s, "proposalThreshold")
  ensure(
    equal(op.proposer, config.authority) || (threshold > 0n && governanceWeight(s, op.proposer) >= threshold),
    "GOV-1",
    "only the governance authority or a key holding proposal_threshold stake may propose"
  )
  // One to MAX_CHANGES changes, each well formed [GOV-2], [GOV-3].
  ensure(op.changes.length >= 1 && op.changes.length <= MAX_CHANGES, "GOV-2", `a proposal carries 1..${MAX_CHANGES} changes`)
  op.changes.forEach(checkChange)
  // eta ≥ now + min_timelock; a change of the timelock itself waits the longer of old and new [GOV-4].
  let delay = p(s, "minTimelockEpochs")
  for (const c of op.changes) if (c.kind === CHANGE_KIND.setParam && c.param === PARAM.minTimelockEpochs && c.value > delay) delay = c.value
  ensure(op.etaEpoch >= config.currentEpoch + delay, "GOV-4", `eta ${op.etaEpoch} is before epoch ${config.currentEpoch + delay}`)
  checkOutcome(applyChangesTo(config, op.changes))

  const id = config.nextProposalId
  config.nextProposalId = add(id, 1n)
  s.proposals.set(proposalKey(id), {
    disc: DISCRIMINATORS.Proposal,
    version: LAYOUT_VERSION,
    status: PROPOSAL_STATUS.queued,
    changeCount: op.changes.length,
    id,
    proposer: new Uint8Array(op.proposer),
    createdEpoch: config.currentEpoch,
    etaEpoch: op.etaEpoch,
    vetoStake: 0n,
    stakeSnapshot: config.totalBonded,
    changes: [...op.changes.map((c) => ({ ...c, key: new Uint8Array(c.key) })), ...Array.from({ length: MAX_CHANGES - op.changes.length }, zeroChange)]
  })
}
// #endregion propose

// #region veto
export const processVeto = (s: State, op: OpOf<"veto">, _env: Env): void => {
  const config = configOf(s)
  const proposal = s.proposals.get(proposalKey(op.proposalId))
  ensure(proposal !== undefined, "GOV-10", `proposal ${op.proposalId} does not exist`)
  ensure(proposal.status === PROPOSAL_STATUS.queued, "GOV-11", `proposal ${op.proposalId} is not queued`)
  // A veto counts only during the timelock [GOV-12].
  ensure(config.currentEpoch < proposal.etaEpoch, "GOV-12", "the timelock is over")
  // Each key vetoes a proposal once [GOV-13], with the stake it holds now [GOV-14].
  ensure(!s.vetoes.has(vetoKey(op.proposalId, op.voter)), "GOV-13", "this key already vetoed this proposal")
  const weight = governanceWeight(s, op.voter)
  ensure(weight > 0n, "GOV-14", "a veto needs bonded stake")

  s.vetoes.set(vetoKey(op.proposalId, op.voter), {
    disc: DISCRIMINATORS.Veto,
    version: LAYOUT_VERSION,
    proposalId: op.proposalId,
    voter: new Uint8Array(op.voter),
    weight
  })
  proposal.vetoStake = add(proposal.vetoStake, weight)
  // Vetoes of at least veto_bps of the stake bonded at proposal time cancel it [GOV-5].
  if (proposal.vetoStake * BPS >= p(s, "vetoBps") * proposal.stakeSnapshot) proposal.status = PROPOSAL_STATUS.vetoed
}
// #endregion veto

// #region execute
export const processExecute = (s: State, op: OpOf<"execute">, _env: Env): void => {
  const config = configOf(s)
  const proposal = s.proposals.get(proposalKey(op.proposalId))
  ensure(proposal !== undefined, "GOV-10", `proposal ${op.proposalId} does not exist`)
  ensure(proposal.status === PROPOSAL_STATUS.queued, "GOV-11", `proposal ${op.proposalId} is not queued`)
  // Never before eta [GOV-15], and one scheduled change set at a time [GOV-16].
  ensure(config.currentEpoch >= proposal.etaEpoch, "GOV-15", `eta is epoch ${proposal.etaEpoch}, now ${config.currentEpoch}`)
  // A proposal not executed within as many epochs after its eta as its timelock lasted has expired:
  // an old queued proposal cannot be sprung later, when its vetoes no longer count [GOV-17].
  const expiry = proposal.etaEpoch + (proposal.etaEpoch - proposal.createdEpoch)
  ensure(config.currentEpoch <= expiry, "GOV-17", `the proposal expired after epoch ${expiry}`)
  ensure(config.pendingCount === 0, "GOV-16", "another change set is already scheduled")
  const changes = proposal.changes.slice(0, proposal.changeCount)
  checkOutcome(applyChangesTo(config, changes))

  config.pending = proposal.changes.map((c) => ({ ...c, key: new Uint8Array(c.key) }))
  config.pendingCount = proposal.changeCount
  config.pendingActivationEpoch = config.currentEpoch + 1n
  proposal.status = PROPOSAL_STATUS.executed
}
// #endregion execute

// #region activate-changes
/** Called by the epoch crank: the scheduled set replaces the governed fields [GOV-6]. */
export const activateChanges = (s: State): void => {
  const config = configOf(s)
  const g = applyChangesTo(config, config.pending.slice(0, config.pendingCount))
  config.params = g.params
  config.allowlistCount = g.allowlist.length
  config.allowlist = padKeys(g.allowlist, MAX_ALLOWLIST)
  config.authority = g.authority
  config.pending = Array.from({ length: MAX_CHANGES }, zeroChange)
  config.pendingCount = 0
  config.pendingActivationEpoch = 0n
}
// #endregion activate-changes

