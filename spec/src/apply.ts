/**
 * The state transition [ACC-8]: `apply(state, op, env)` is the new state, or the `ProtocolError` naming
 * the rule the op breaks, in which case nothing changed. Pure: the input state is never modified.
 */
import { verify } from "./ed25519.ts"
import { ProtocolError } from "./errors.ts"
import { aggregateDigest, receiptDigest, routeAuthDigest } from "./objects.ts"
import type { Op, OpKind, OpOf } from "./ops.ts"
import { cloneState, type Env, type State } from "./state.ts"
import { processInitialize } from "./transition/init.ts"
import { processAdvanceEpoch } from "./transition/epoch.ts"
import {
  processClaim, processFundPool, processMinerBond, processMinerUnbond, processMinerWithdraw, processUnjail, processWitnessBond,
  processWitnessUnbond, processWitnessWithdraw
} from "./transition/stake.ts"
import { processRegisterName, processTransferName } from "./transition/names.ts"
import { processFinalizeRound, processSubmitAggregate } from "./transition/rounds.ts"
import {
  processOpenReveal, processPinLeaf, processProveBadOrder, processProveBadWeight, processProveEquivocation, processProveLeafMismatch,
  processResolveReveal, processRespondReveal
} from "./transition/challenges.ts"
import { processExecute, processPropose, processVeto } from "./transition/governance.ts"
import { processClaimWitnessReward } from "./transition/rewards.ts"

type Processors = { readonly [K in OpKind]: (s: State, op: OpOf<K>, env: Env) => void }

export const PROCESSORS: Processors = {
  initialize: processInitialize,
  minerBond: processMinerBond,
  minerUnbond: processMinerUnbond,
  minerWithdraw: processMinerWithdraw,
  unjail: processUnjail,
  witnessBond: processWitnessBond,
  witnessUnbond: processWitnessUnbond,
  witnessWithdraw: processWitnessWithdraw,
  claim: processClaim,
  fundPool: processFundPool,
  registerName: processRegisterName,
  transferName: processTransferName,
  advanceEpoch: processAdvanceEpoch,
  submitAggregate: processSubmitAggregate,
  finalizeRound: processFinalizeRound,
  proveEquivocation: processProveEquivocation,
  pinLeaf: processPinLeaf,
  proveBadWeight: processProveBadWeight,
  proveBadOrder: processProveBadOrder,
  proveLeafMismatch: processProveLeafMismatch,
  openReveal: processOpenReveal,
  respondReveal: processRespondReveal,
  resolveReveal: processResolveReveal,
  propose: processPropose,
  veto: processVeto,
  execute: processExecute,
  claimWitnessReward: processClaimWitnessReward
}

// #region apply
/** Every signature an op carries, as (key, digest, signature): what its Ed25519 instruction proves. */
export const carriedSignatures = (op: Op): { key: Uint8Array; digest: Uint8Array; signature: Uint8Array }[] => {
  switch (op.kind) {
    case "submitAggregate":
      if (op.auth === null) return []
      return [{
        key: op.auth.owner,
        digest: routeAuthDigest({ nameHash: op.statement.nameHash, serial: op.auth.serial, routeHash: op.statement.routeHash }),
        signature: op.auth.signature
      }]
    case "proveEquivocation":
      return [op.first, ...(op.second === null ? [] : [op.second])].map((x) => ({
        key: x.statement.miner,
        digest: aggregateDigest(x.statement),
        signature: x.signature
      }))
    case "respondReveal":
      return [{ key: op.receipt.witness, digest: receiptDigest(op.receipt), signature: op.signature }]
    default:
      return []
  }
}

/**
 * The Ed25519 program verifies every signature a transaction carries before any instruction runs, so
 * an op with a signature that does not verify is rejected first, whatever else is wrong with it [SIG-1].
 */
const checkCarriedSignatures = (op: Op): void => {
  for (const c of carriedSignatures(op))
    if (!verify(c.key, c.digest, c.signature)) throw new ProtocolError({ rule: "SIG-1", message: "a carried signature does not verify" })
}

export const apply = (state: State, op: Op, env: Env): State | ProtocolError => {
  const next = cloneState(state)
  try {
    checkCarriedSignatures(op)
    const process = PROCESSORS[op.kind] as (s: State, op: Op, env: Env) => void
    process(next, op, env)
    return next
  } catch (e) {
    if (e instanceof ProtocolError) return e
    throw e
  }
}
// #endregion apply

export const isError = (x: State | ProtocolError): x is ProtocolError => x instanceof ProtocolError
