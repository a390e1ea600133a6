/**
 * What a validator's ledger would answer about past transactions, kept in memory and bounded:
 * the oldest records are dropped first once `limit` is reached.
 */
import type { TransactionErrorJson } from "./transaction-error.ts"
import type { DecodedTransaction } from "./wire-transaction.ts"

export interface InnerInstructionRecord {
  readonly programIdIndex: number
  readonly accounts: Uint8Array
  readonly data: Uint8Array
  readonly stackHeight: number
}

export interface TransactionRecord {
  readonly signature: string
  readonly slot: number
  readonly blockTime: number
  readonly tx: DecodedTransaction
  /** Static keys then lookup-table writable then readonly: the order balances are reported in. */
  readonly accountKeys: readonly string[]
  readonly loadedAddresses: { readonly writable: readonly string[]; readonly readonly: readonly string[] }
  readonly err: TransactionErrorJson | null
  readonly fee: bigint
  readonly preBalances: readonly bigint[]
  readonly postBalances: readonly bigint[]
  readonly logs: readonly string[]
  /** Indexed by top-level instruction. */
  readonly innerInstructions: readonly (readonly InnerInstructionRecord[])[]
  readonly computeUnitsConsumed: bigint
  readonly returnData: { readonly programId: string; readonly data: Uint8Array } | null
  readonly computeUnitPrice: bigint
  readonly writableKeys: readonly string[]
  readonly memo: string | null
}

export class TransactionHistory {
  private readonly bySignature = new Map<string, TransactionRecord>()
  readonly limit: number
  private total = 0

  constructor(limit: number) {
    this.limit = Math.max(1, limit)
  }

  add(record: TransactionRecord): void {
    this.bySignature.set(record.signature, record)
    this.total++
    if (this.bySignature.size > this.limit) {
      const oldest = this.bySignature.keys().next()
      if (oldest.done !== true) this.bySignature.delete(oldest.value)
    }
  }

  get(signature: string): TransactionRecord | undefined {
    return this.bySignature.get(signature)
  }

  /** Every transaction ever recorded, including those since dropped from memory. */
  get count(): number {
    return this.total
  }

  /** Newest first. */
  *newestFirst(): Generator<TransactionRecord> {
    const all = [...this.bySignature.values()]
    for (let i = all.length - 1; i >= 0; i--) yield all[i]!
  }

  *sinceSlot(slot: number): Generator<TransactionRecord> {
    for (const r of this.newestFirst()) {
      if (r.slot < slot) return
      yield r
    }
  }
}
