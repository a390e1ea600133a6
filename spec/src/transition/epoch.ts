/** Epochs and committees [EPC], [CMT]: the permissionless crank that moves the protocol one epoch on. */
import { DISCRIMINATORS, type CommitteeAccount, type CommitteeMember, type MinerEntry } from "../accounts.ts"
import { equal, hex, u64le, zeros } from "../bytes.ts"
import { H, TAGS } from "../hash.ts"
import type { OpOf } from "../ops.ts"
import { COMMITTEE_MODE, MAX_COMMITTEE } from "../params.ts"
import { add, clockEpoch, configOf, ensure, minerSetOf, p, type Env, type State } from "../state.ts"
import { LAYOUT_VERSION } from "../version.ts"
import { activateChanges } from "./governance.ts"

export const emptyCommittee = (epoch: bigint, seed: Uint8Array): CommitteeAccount => ({
  disc: DISCRIMINATORS.Committee,
  version: LAYOUT_VERSION,
  memberCount: 0,
  epoch,
  totalStake: 0n,
  seed: new Uint8Array(seed),
  members: Array.from({ length: MAX_COMMITTEE }, () => ({ key: zeros(32), stake: 0n }))
})

// #region next-seed
/** `seed_e = H("dotdns/v1/seed", seed_{e-1} ‖ u64(e) ‖ state_digest)` [CMT-1]. */
export const nextSeed = (prev: Uint8Array, epoch: bigint, digest: Uint8Array): Uint8Array => H(TAGS.seed, prev, u64le(epoch), digest)
// #endregion next-seed

// #region sample-draw
/** The draw for seat i: the first 8 bytes of `H("dotdns/v1/sample", seed ‖ u8(i))`, little-endian [CMT-4]. */
export const sampleDraw = (seed: Uint8Array, i: number): bigint =>
  new DataView(H(TAGS.sample, seed, Uint8Array.of(i)).buffer).getBigUint64(0, true)
// #endregion sample-draw

// #region select-committee
/**
 * Committee selection [CMT-2..5]. Eligible miners have active stake of at least `min_miner_stake`, are
 * not jailed, and in allowlist mode are on the allowlist. Allowlist mode seats every eligible miner;
 * stake mode seats all of them when there are at most K, and otherwise draws K by stake-weighted
 * sampling without replacement. Members are listed in MinerSet order.
 */
export const selectCommittee = (
  entries: readonly MinerEntry[],
  opts: { mode: bigint; size: bigint; minStake: bigint; allowlist: readonly Uint8Array[]; seed: Uint8Array }
): { index: number; entry: MinerEntry }[] => {
  const allowed = new Set(opts.allowlist.map(hex))
  const eligible = entries
    .map((entry, index) => ({ index, entry }))
    .filter(({ entry }) => entry.active >= opts.minStake && entry.jailed === 0)
    .filter(({ entry }) => opts.mode !== COMMITTEE_MODE.allowlist || allowed.has(hex(entry.key)))
  if (opts.mode === COMMITTEE_MODE.allowlist || BigInt(eligible.length) <= opts.size) return eligible
  const pool = eligible.slice()
  const chosen: { index: number; entry: MinerEntry }[] = []
  for (let i = 0; BigInt(i) < opts.size; i++) {
    let total = 0n
    for (const c of pool) total += c.entry.active
    let r = sampleDraw(opts.seed, i) % total
    let j = 0
    while (r >= pool[j]!.entry.active) {
      r -= pool[j]!.entry.active
      j++
    }
    chosen.push(pool[j]!)
    pool.splice(j, 1)
  }
  return chosen.sort((a, b) => a.index - b.index)
}
// #endregion select-committee

// #region advance-epoch
export const processAdvanceEpoch = (s: State, _op: OpOf<"advanceEpoch">, env: Env): void => {
  const config = configOf(s)
  const next = config.currentEpoch + 1n
  // The crank moves one epoch at a time, and never ahead of the clock [EPC-2].
  ensure(clockEpoch(s, env) >= next, "EPC-2", `epoch ${next} has not started (clock epoch ${clockEpoch(s, env)})`)

  config.currentEpoch = next
  // Executed governance changes take effect here, at the boundary, never mid-epoch [GOV-6].
  if (config.pendingCount > 0 && config.pendingActivationEpoch <= next) activateChanges(s)

  // Stake bonded during the last epoch becomes active at this boundary [STK-9].
  const set = minerSetOf(s)
  for (let i = 0; i < set.count; i++) {
    const e = set.entries[i]!
    e.active = add(e.active, e.pending)
    e.pending = 0n
  }

  config.seed = nextSeed(config.seed, next, config.stateDigest)
  const members = selectCommittee(set.entries.slice(0, set.count), {
    mode: p(s, "committeeMode"),
    size: p(s, "committeeSize"),
    minStake: p(s, "minMinerStake"),
    allowlist: config.allowlist.slice(0, config.allowlistCount),
    seed: config.seed
  })
  const committee = emptyCommittee(next, config.seed)
  committee.memberCount = members.length
  members.forEach(({ entry }, i) => {
    committee.members[i] = { key: new Uint8Array(entry.key), stake: entry.active } satisfies CommitteeMember
    committee.totalStake = add(committee.totalStake, entry.active)
  })
  s.committees.set(next.toString(), committee)
}
// #endregion advance-epoch

export const memberIndex = (c: CommitteeAccount, key: Uint8Array): number => {
  for (let i = 0; i < c.memberCount; i++) if (equal(c.members[i]!.key, key)) return i
  return -1
}
