/** Initialization [ACC-9]: the one operation that creates Config, Vault, MinerSet and the first Committee. */
import { DISCRIMINATORS, MAX_ALLOWLIST, MAX_CHANGES, MAX_MINERS, type ChangeLayout, type ConfigAccount } from "../accounts.ts"
import { hex, u64le, zeros } from "../bytes.ts"
import { H, TAGS } from "../hash.ts"
import type { StructValue } from "../layout.ts"
import type { OpOf } from "../ops.ts"
import { checkParams, PARAM } from "../params.ts"
import { ensure, type Env, type State } from "../state.ts"
import { LAYOUT_VERSION } from "../version.ts"
import { emptyCommittee } from "./epoch.ts"

export const zeroChange = (): StructValue<typeof ChangeLayout.fields> => ({ kind: 0, param: 0, value: 0n, key: zeros(32) })

export const padKeys = (keys: readonly Uint8Array[], n: number): Uint8Array[] => [
  ...keys.map((k) => new Uint8Array(k)),
  ...Array.from({ length: n - keys.length }, () => zeros(32))
]

// #region genesis-seed
/** `seed_0 = H("dotdns/v1/genesis", authority ‖ u64(epoch))` [CMT-1]. */
export const genesisSeed = (authority: Uint8Array, epoch: bigint): Uint8Array => H(TAGS.genesis, authority, u64le(epoch))
// #endregion genesis-seed

// #region initialize
export const processInitialize = (s: State, op: OpOf<"initialize">, env: Env): void => {
  // The protocol is initialized once [ACC-9].
  ensure(s.config === undefined, "ACC-9", "the protocol is already initialized")
  const bad = checkParams(op.params)
  if (bad) throw bad
  // The allowlist fits Config and names each miner once [GOV-9].
  ensure(op.allowlist.length <= MAX_ALLOWLIST, "GOV-9", `the allowlist holds at most ${MAX_ALLOWLIST} keys`)
  ensure(new Set(op.allowlist.map(hex)).size === op.allowlist.length, "GOV-9", "the allowlist names a key twice")

  const epoch = env.slot / op.params[PARAM.epochLengthSlots]!
  const seed = genesisSeed(op.authority, epoch)
  const config: ConfigAccount = {
    disc: DISCRIMINATORS.Config,
    version: LAYOUT_VERSION,
    allowlistCount: op.allowlist.length,
    pendingCount: 0,
    authority: new Uint8Array(op.authority),
    currentEpoch: epoch,
    rewardPool: 0n,
    totalBonded: 0n,
    nextProposalId: 0n,
    pendingActivationEpoch: 0n,
    params: [...op.params],
    seed,
    stateDigest: zeros(32),
    allowlist: padKeys(op.allowlist, MAX_ALLOWLIST),
    pending: Array.from({ length: MAX_CHANGES }, zeroChange),
    reserved: zeros(64)
  }
  s.config = config
  s.minerSet = {
    disc: DISCRIMINATORS.MinerSet,
    version: LAYOUT_VERSION,
    count: 0,
    entries: Array.from({ length: MAX_MINERS }, emptyMinerEntry)
  }
  s.committees.set(epoch.toString(), emptyCommittee(epoch, seed))
}
// #endregion initialize

export const emptyMinerEntry = () => ({
  key: zeros(32),
  active: 0n,
  pending: 0n,
  unbonding: 0n,
  unbondReadyEpoch: 0n,
  claimable: 0n,
  jailedEpoch: 0n,
  jailed: 0
})
