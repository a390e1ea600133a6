/**
 * Solana's fee formula, for getFeeForMessage and prioritization-fee statistics. Fees actually charged
 * are read from balances after execution, so a drift here can only affect the quote, never the ledger.
 */
import { base58Encode, readU32le, readU64le } from "./encoding.ts"
import {
  BUILTIN_PROGRAMS,
  COMPUTE_BUDGET_PROGRAM,
  ED25519_PROGRAM,
  LAMPORTS_PER_SIGNATURE,
  SECP256K1_PROGRAM,
  SECP256R1_PROGRAM
} from "./well-known.ts"
import type { DecodedMessage } from "./wire-transaction.ts"

const MAX_COMPUTE_UNIT_LIMIT = 1_400_000n
const DEFAULT_INSTRUCTION_COMPUTE_UNITS = 200_000n
const BUILTIN_INSTRUCTION_COMPUTE_UNITS = 3_000n
const MICRO_LAMPORTS_PER_LAMPORT = 1_000_000n

export interface ComputeBudgetRequest {
  readonly unitLimit: bigint
  /** Micro-lamports per compute unit. */
  readonly unitPrice: bigint
}

export const computeBudgetOf = (message: DecodedMessage): ComputeBudgetRequest => {
  let limit: bigint | undefined
  let price = 0n
  let defaultLimit = 0n
  for (const ix of message.instructions) {
    const key = message.staticKeys[ix.programIdIndex]
    const program = key === undefined ? "" : base58Encode(key)
    if (program === COMPUTE_BUDGET_PROGRAM) {
      if (ix.data[0] === 2 && ix.data.length >= 5) limit = BigInt(readU32le(ix.data, 1))
      else if (ix.data[0] === 3 && ix.data.length >= 9) price = readU64le(ix.data, 1)
      continue
    }
    defaultLimit += BUILTIN_PROGRAMS.has(program) ? BUILTIN_INSTRUCTION_COMPUTE_UNITS : DEFAULT_INSTRUCTION_COMPUTE_UNITS
  }
  const unitLimit = limit ?? defaultLimit
  return { unitLimit: unitLimit > MAX_COMPUTE_UNIT_LIMIT ? MAX_COMPUTE_UNIT_LIMIT : unitLimit, unitPrice: price }
}

const precompileSignatures = (message: DecodedMessage): bigint => {
  let n = 0n
  for (const ix of message.instructions) {
    const key = message.staticKeys[ix.programIdIndex]
    if (key === undefined) continue
    const program = base58Encode(key)
    if (program === ED25519_PROGRAM || program === SECP256K1_PROGRAM || program === SECP256R1_PROGRAM) n += BigInt(ix.data[0] ?? 0)
  }
  return n
}

export const feeForMessage = (message: DecodedMessage): bigint => {
  const { unitLimit, unitPrice } = computeBudgetOf(message)
  const signatures = BigInt(message.header.numRequiredSignatures) + precompileSignatures(message)
  const priority = (unitPrice * unitLimit + MICRO_LAMPORTS_PER_LAMPORT - 1n) / MICRO_LAMPORTS_PER_LAMPORT
  return signatures * LAMPORTS_PER_SIGNATURE + priority
}
