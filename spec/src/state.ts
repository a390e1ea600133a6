/**
 * The protocol state [ACC]: exactly the decoded accounts the program holds, keyed by their PDA seeds,
 * plus the lamport ledger that lamport conservation is checked against [RWD-1].
 */
import { hex } from "./bytes.ts"
import { reject } from "./errors.ts"
import type {
  AggregateAccount, ChallengeAccount, ClaimAccount, CommitteeAccount, ConfigAccount, LeafPinAccount, MinerEntry,
  MinerSetAccount, NameAccount, ProposalAccount, RoundAccount, VetoAccount, WitnessAccount
} from "./accounts.ts"
import { U64_MAX } from "./codec.ts"
import { param, type ParamName } from "./params.ts"
import type { RuleId } from "./rules.ts"

export interface State {
  config: ConfigAccount | undefined
  minerSet: MinerSetAccount | undefined
  committees: Map<string, CommitteeAccount>
  witnesses: Map<string, WitnessAccount>
  names: Map<string, NameAccount>
  rounds: Map<string, RoundAccount>
  aggregates: Map<string, AggregateAccount>
  pins: Map<string, LeafPinAccount>
  challenges: Map<string, ChallengeAccount>
  proposals: Map<string, ProposalAccount>
  vetoes: Map<string, VetoAccount>
  claims: Map<string, ClaimAccount>
  /** Lamports the vault holds for the protocol, above its rent reserve. */
  vaultBalance: bigint
  /** Net lamports each outside key has received from (+) or paid into (−) the vault. */
  wallets: Map<string, bigint>
}

/** What the chain tells a transaction about the world: the Clock sysvar's slot. */
export interface Env {
  readonly slot: bigint
}

export const emptyState = (): State => ({
  config: undefined,
  minerSet: undefined,
  committees: new Map(),
  witnesses: new Map(),
  names: new Map(),
  rounds: new Map(),
  aggregates: new Map(),
  pins: new Map(),
  challenges: new Map(),
  proposals: new Map(),
  vetoes: new Map(),
  claims: new Map(),
  vaultBalance: 0n,
  wallets: new Map()
})

export const cloneState = (s: State): State => structuredClone(s)

// ------------------------------------------------------------------------------------------------ keys

export const committeeKey = (epoch: bigint): string => epoch.toString()
export const witnessKey = (key: Uint8Array): string => hex(key)
export const nameKey = (nameHash: Uint8Array): string => hex(nameHash)
export const roundKey = (epoch: bigint, nameHash: Uint8Array): string => `${epoch}/${hex(nameHash)}`
export const aggregateKey = (epoch: bigint, nameHash: Uint8Array, miner: Uint8Array): string => `${epoch}/${hex(nameHash)}/${hex(miner)}`
export const pinKey = (epoch: bigint, nameHash: Uint8Array, miner: Uint8Array, index: number): string =>
  `${aggregateKey(epoch, nameHash, miner)}/${index}`
export const proposalKey = (id: bigint): string => id.toString()
export const vetoKey = (id: bigint, voter: Uint8Array): string => `${id}/${hex(voter)}`
export const claimKey = (epoch: bigint, nameHash: Uint8Array, miner: Uint8Array, witness: Uint8Array): string =>
  `${aggregateKey(epoch, nameHash, miner)}/${hex(witness)}`

// ------------------------------------------------------------------------------------------ assertions

// #region ensure
/**
 * A failed validity check. Transition functions throw it and `apply` returns it, so each rule reads as
 * one `ensure` line, as in the consensus specs' `assert`.
 */
export const ensure: (cond: boolean, rule: RuleId, message: string) => asserts cond = (cond, rule, message) => {
  if (!cond) throw reject(rule, message)
}
// #endregion ensure

export const fail = (rule: RuleId, message: string): never => {
  throw reject(rule, message)
}

// #region checked-arith
/** Checked u64 arithmetic [ACC-6]. */
export const add = (a: bigint, b: bigint): bigint => {
  const s = a + b
  ensure(s <= U64_MAX, "ACC-6", `u64 overflow: ${a} + ${b}`)
  return s
}
export const sub = (a: bigint, b: bigint): bigint => {
  ensure(a >= b, "ACC-6", `u64 underflow: ${a} - ${b}`)
  return a - b
}
/** ⌊a·b / c⌋ computed exactly (the program uses 128-bit intermediates) [ACC-6]. */
export const mulDiv = (a: bigint, b: bigint, c: bigint): bigint => (c === 0n ? 0n : (a * b) / c)
// #endregion checked-arith

// ------------------------------------------------------------------------------------------- accessors

export const configOf = (s: State): ConfigAccount => {
  ensure(s.config !== undefined, "ACC-7", "the protocol is not initialized")
  return s.config
}

export const minerSetOf = (s: State): MinerSetAccount => {
  ensure(s.minerSet !== undefined, "ACC-7", "the protocol is not initialized")
  return s.minerSet
}

export const p = (s: State, name: ParamName): bigint => param(configOf(s).params, name)

// #region clock-epoch
/** `epoch = ⌊slot / epoch_length_slots⌋` [EPC-1]. */
export const clockEpoch = (s: State, env: Env): bigint => env.slot / p(s, "epochLengthSlots")
export const epochStart = (s: State, epoch: bigint): bigint => epoch * p(s, "epochLengthSlots")
// #endregion clock-epoch

export const findMiner = (s: State, key: Uint8Array): MinerEntry | undefined => {
  const set = minerSetOf(s)
  const k = hex(key)
  for (let i = 0; i < set.count; i++) if (hex(set.entries[i]!.key) === k) return set.entries[i]
  return undefined
}

// #region witness-stake-at
/**
 * A witness's stake in epoch E: the amount of its newest checkpoint at or before E, or zero [STK-8].
 * Defined for every E ≥ current_epoch − 2, which covers every challenge window [STK-7].
 */
export const witnessStakeAt = (w: WitnessAccount | undefined, epoch: bigint): bigint => {
  if (w === undefined) return 0n
  let amount = 0n
  for (let i = 0; i < w.checkpointCount; i++) if (w.checkpoints[i]!.epoch <= epoch) amount = w.checkpoints[i]!.amount
  return amount
}
// #endregion witness-stake-at

/** The witness's bonded stake counting changes not yet active: its newest checkpoint. */
export const witnessBonded = (w: WitnessAccount): bigint =>
  w.checkpointCount === 0 ? 0n : w.checkpoints[w.checkpointCount - 1]!.amount

export const credit = (s: State, who: Uint8Array, amount: bigint): void => {
  const k = hex(who)
  s.wallets.set(k, (s.wallets.get(k) ?? 0n) + amount)
}

/** Lamports from an outside key into the vault (a system transfer the key signs). */
export const deposit = (s: State, from: Uint8Array, amount: bigint): void => {
  credit(s, from, -amount)
  s.vaultBalance = add(s.vaultBalance, amount)
}

/** Lamports out of the vault to an outside key. */
export const payOut = (s: State, to: Uint8Array, amount: bigint): void => {
  s.vaultBalance = sub(s.vaultBalance, amount)
  credit(s, to, amount)
}
