/**
 * Invariants of the protocol state [RWD-1]. The transition must preserve each of them across every op;
 * property tests, the simulator and the program's differential test check them after every step.
 */
import { CHALLENGE_STATUS } from "./accounts.ts"
import { witnessBonded, type State } from "./state.ts"

// #region liabilities
/**
 * What the vault owes: Σ miners (active + pending + unbonding + claimable) + Σ witnesses (bonded +
 * unbonding + claimable) + reward pool + Σ rounds' unclaimed witness pools + Σ open challenges' bonds.
 */
export const liabilities = (s: State): bigint => {
  let total = s.config?.rewardPool ?? 0n
  const set = s.minerSet
  if (set !== undefined)
    for (let i = 0; i < set.count; i++) {
      const e = set.entries[i]!
      total += e.active + e.pending + e.unbonding + e.claimable
    }
  for (const w of s.witnesses.values()) total += witnessBonded(w) + w.unbonding + w.claimable
  for (const r of s.rounds.values()) total += r.witnessPoolRemaining
  for (const c of s.challenges.values()) if (c.status === CHALLENGE_STATUS.open) total += c.bond
  return total
}
// #endregion liabilities

/** Stake that counts as bonded: Σ miners (active + pending) + Σ witnesses' newest checkpoint. */
export const bondedStake = (s: State): bigint => {
  let total = 0n
  const set = s.minerSet
  if (set !== undefined) for (let i = 0; i < set.count; i++) total += set.entries[i]!.active + set.entries[i]!.pending
  for (const w of s.witnesses.values()) total += witnessBonded(w)
  return total
}

// #region conservation
/**
 * Lamport conservation [RWD-1]: no lamport is created or lost (`vault + Σ wallets = 0`, every lamport in
 * the vault came from some outside key) and the vault holds exactly what the protocol owes. Returns the
 * violations, empty when the state is sound.
 */
export const checkConservation = (s: State): string[] => {
  const out: string[] = []
  let wallets = 0n
  for (const v of s.wallets.values()) wallets += v
  if (s.vaultBalance + wallets !== 0n) out.push(`vault ${s.vaultBalance} + wallets ${wallets} ≠ 0`)
  const owed = liabilities(s)
  if (s.vaultBalance !== owed) out.push(`vault ${s.vaultBalance} ≠ liabilities ${owed}`)
  return out
}
// #endregion conservation

/** Every invariant the transition keeps: conservation, and `Config.total_bonded` equals the bonded stake. */
export const checkInvariants = (s: State): string[] => {
  const out = checkConservation(s)
  if (s.config !== undefined && s.config.totalBonded !== bondedStake(s))
    out.push(`total_bonded ${s.config.totalBonded} ≠ bonded stake ${bondedStake(s)}`)
  return out
}
