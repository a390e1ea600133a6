/** Ledger records rendered as getTransaction / simulateTransaction results (Solana's UiTransaction shapes). */
import type { Simulation } from "./chain.ts"
import { base58Encode, base64Encode } from "./encoding.ts"
import type { InnerInstructionRecord, TransactionRecord } from "./history.ts"

export type TransactionEncoding = "json" | "jsonParsed" | "base64" | "base58" | "binary"

const uiInnerInstructions = (
  lists: readonly (readonly InnerInstructionRecord[])[],
  keys: readonly string[],
  parsed: boolean
): unknown[] =>
  lists.flatMap((list, index) =>
    list.length === 0
      ? []
      : [
          {
            index,
            instructions: list.map((ix) =>
              parsed
                ? {
                    programId: keys[ix.programIdIndex],
                    accounts: [...ix.accounts].map((a) => keys[a]),
                    data: base58Encode(ix.data),
                    stackHeight: ix.stackHeight
                  }
                : { programIdIndex: ix.programIdIndex, accounts: [...ix.accounts], data: base58Encode(ix.data), stackHeight: ix.stackHeight }
            )
          }
        ]
  )

const returnDataJson = (rd: TransactionRecord["returnData"]): unknown =>
  rd === null ? null : { programId: rd.programId, data: [base64Encode(rd.data), "base64"] }

const messageJson = (r: TransactionRecord, parsed: boolean): Record<string, unknown> => {
  const m = r.tx.message
  const staticKeys = r.accountKeys.slice(0, m.staticKeys.length)
  const lookups =
    m.version === 0
      ? {
          addressTableLookups: m.lookups.map((l) => ({
            accountKey: base58Encode(l.accountKey),
            writableIndexes: [...l.writableIndexes],
            readonlyIndexes: [...l.readonlyIndexes]
          }))
        }
      : {}
  if (!parsed) {
    return {
      accountKeys: staticKeys,
      header: m.header,
      recentBlockhash: base58Encode(m.recentBlockhash),
      instructions: m.instructions.map((ix) => ({
        programIdIndex: ix.programIdIndex,
        accounts: [...ix.accounts],
        data: base58Encode(ix.data),
        stackHeight: null
      })),
      ...lookups
    }
  }
  const writable = new Set(r.writableKeys)
  return {
    accountKeys: r.accountKeys.map((pubkey, i) => ({
      pubkey,
      signer: i < m.header.numRequiredSignatures,
      writable: writable.has(pubkey),
      source: i < staticKeys.length ? "transaction" : "lookupTable"
    })),
    recentBlockhash: base58Encode(m.recentBlockhash),
    // No instruction parsers: Solana shows unparsed programs in this partially decoded form too.
    instructions: m.instructions.map((ix) => ({
      programId: r.accountKeys[ix.programIdIndex],
      accounts: [...ix.accounts].map((a) => r.accountKeys[a]),
      data: base58Encode(ix.data),
      stackHeight: null
    })),
    ...lookups
  }
}

export const transactionJson = (r: TransactionRecord, encoding: TransactionEncoding): unknown => {
  switch (encoding) {
    case "base64":
      return [base64Encode(r.tx.bytes), "base64"]
    case "base58":
      return [base58Encode(r.tx.bytes), "base58"]
    case "binary":
      return base58Encode(r.tx.bytes)
    case "json":
    case "jsonParsed":
      return { signatures: r.tx.signatures.map(base58Encode), message: messageJson(r, encoding === "jsonParsed") }
  }
}

export const metaJson = (r: TransactionRecord, encoding: TransactionEncoding): Record<string, unknown> => ({
  err: r.err,
  status: r.err === null ? { Ok: null } : { Err: r.err },
  fee: r.fee,
  preBalances: r.preBalances,
  postBalances: r.postBalances,
  innerInstructions: uiInnerInstructions(r.innerInstructions, r.accountKeys, encoding === "jsonParsed"),
  logMessages: r.logs,
  preTokenBalances: [],
  postTokenBalances: [],
  rewards: [],
  loadedAddresses: { writable: r.loadedAddresses.writable, readonly: r.loadedAddresses.readonly },
  computeUnitsConsumed: r.computeUnitsConsumed,
  ...(r.returnData === null ? {} : { returnData: returnDataJson(r.returnData) })
})

export const simulationJson = (s: Simulation, accounts: unknown[] | null, innerInstructions: boolean): Record<string, unknown> => ({
  err: s.err,
  logs: s.logs,
  accounts,
  unitsConsumed: s.unitsConsumed,
  returnData: returnDataJson(s.returnData),
  innerInstructions: innerInstructions ? uiInnerInstructions(s.innerInstructions, s.accountKeys, false) : null,
  replacementBlockhash: s.replacementBlockhash,
  loadedAccountsDataSize: s.loadedAccountsDataSize,
  fee: s.fee
})
