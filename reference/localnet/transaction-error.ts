/**
 * LiteSVM's transaction errors rendered the two ways Solana renders a TransactionError: the serde
 * JSON clients parse (`"BlockhashNotFound"`, `{"InstructionError":[0,{"Custom":1}]}`) and the Display
 * text that goes into "Transaction simulation failed: …".
 */
import type { FailedTransactionMetadata } from "litesvm"

export type TransactionErrorJson = string | { readonly [variant: string]: unknown }

/** Order of litesvm's TransactionErrorFieldless const enum. */
const TX_ERRORS: readonly (readonly [string, string])[] = [
  ["AccountInUse", "Account in use"],
  ["AccountLoadedTwice", "Account loaded twice"],
  ["AccountNotFound", "Attempt to debit an account but found no record of a prior credit."],
  ["ProgramAccountNotFound", "Attempt to load a program that does not exist"],
  ["InsufficientFundsForFee", "Insufficient funds for fee"],
  ["InvalidAccountForFee", "This account may not be used to pay transaction fees"],
  ["AlreadyProcessed", "This transaction has already been processed"],
  ["BlockhashNotFound", "Blockhash not found"],
  ["CallChainTooDeep", "Loader call chain is too deep"],
  ["MissingSignatureForFee", "Transaction requires a fee but has no signature present"],
  ["InvalidAccountIndex", "Transaction contains an invalid account reference"],
  ["SignatureFailure", "Transaction did not pass signature verification"],
  ["InvalidProgramForExecution", "This program may not be used for executing instructions"],
  ["SanitizeFailure", "Transaction failed to sanitize accounts offsets correctly"],
  ["ClusterMaintenance", "Transactions are currently disabled due to cluster maintenance"],
  ["AccountBorrowOutstanding", "Transaction processing left an account with an outstanding borrowed reference"],
  ["WouldExceedMaxBlockCostLimit", "Transaction would exceed max Block Cost Limit"],
  ["UnsupportedVersion", "Transaction version is unsupported"],
  ["InvalidWritableAccount", "Transaction loads a writable account that cannot be written"],
  ["WouldExceedMaxAccountCostLimit", "Transaction would exceed max account limit within the block"],
  ["WouldExceedAccountDataBlockLimit", "Transaction would exceed account data limit within the block"],
  ["TooManyAccountLocks", "Transaction locked too many accounts"],
  ["AddressLookupTableNotFound", "Transaction loads an address table account that doesn't exist"],
  ["InvalidAddressLookupTableOwner", "Transaction loads an address table account with an invalid owner"],
  ["InvalidAddressLookupTableData", "Transaction loads an address table account with invalid data"],
  ["InvalidAddressLookupTableIndex", "Transaction address table lookup uses an invalid index"],
  ["InvalidRentPayingAccount", "Transaction leaves an account with a lower balance than rent-exempt minimum"],
  ["WouldExceedMaxVoteCostLimit", "Transaction would exceed max Vote Cost Limit"],
  ["WouldExceedAccountDataTotalLimit", "Transaction would exceed total account data limit"],
  ["MaxLoadedAccountsDataSizeExceeded", "Transaction exceeded max loaded accounts data size cap"],
  ["ResanitizationNeeded", "ResanitizationNeeded"],
  ["InvalidLoadedAccountsDataSizeLimit", "LoadedAccountsDataSizeLimit set for transaction must be greater than 0."],
  ["UnbalancedTransaction", "Sum of account balances before and after transaction do not match"],
  ["ProgramCacheHitMaxLimit", "Program cache hit max limit"],
  ["CommitCancelled", "CommitCancelled"]
]

/** Order of litesvm's InstructionErrorFieldless const enum. */
const IX_ERRORS: readonly (readonly [string, string])[] = [
  ["GenericError", "generic instruction error"],
  ["InvalidArgument", "invalid program argument"],
  ["InvalidInstructionData", "invalid instruction data"],
  ["InvalidAccountData", "invalid account data for instruction"],
  ["AccountDataTooSmall", "account data too small for instruction"],
  ["InsufficientFunds", "insufficient funds for instruction"],
  ["IncorrectProgramId", "incorrect program id for instruction"],
  ["MissingRequiredSignature", "missing required signature for instruction"],
  ["AccountAlreadyInitialized", "instruction requires an uninitialized account"],
  ["UninitializedAccount", "instruction requires an initialized account"],
  ["UnbalancedInstruction", "sum of account balances before and after instruction do not match"],
  ["ModifiedProgramId", "instruction illegally modified the program id of an account"],
  ["ExternalAccountLamportSpend", "instruction spent from the balance of an account it does not own"],
  ["ExternalAccountDataModified", "instruction modified data of an account it does not own"],
  ["ReadonlyLamportChange", "instruction changed the balance of a read-only account"],
  ["ReadonlyDataModified", "instruction modified data of a read-only account"],
  ["DuplicateAccountIndex", "instruction contains duplicate accounts"],
  ["ExecutableModified", "instruction changed executable bit of an account"],
  ["RentEpochModified", "instruction modified rent epoch of an account"],
  ["NotEnoughAccountKeys", "insufficient account keys for instruction"],
  ["AccountDataSizeChanged", "program other than the account's owner changed the size of the account data"],
  ["AccountNotExecutable", "instruction expected an executable account"],
  ["AccountBorrowFailed", "instruction tries to borrow reference for an account which is already borrowed"],
  ["AccountBorrowOutstanding", "instruction left account with an outstanding borrowed reference"],
  ["DuplicateAccountOutOfSync", "instruction modifications of multiply-passed account differ"],
  ["InvalidError", "program returned invalid error code"],
  ["ExecutableDataModified", "instruction changed executable accounts data"],
  ["ExecutableLamportChange", "instruction changed the balance of an executable account"],
  ["ExecutableAccountNotRentExempt", "executable accounts must be rent exempt"],
  ["UnsupportedProgramId", "Unsupported program id"],
  ["CallDepth", "Cross-program invocation call depth too deep"],
  ["MissingAccount", "An account required by the instruction is missing"],
  ["ReentrancyNotAllowed", "Cross-program invocation reentrancy not allowed for this instruction"],
  ["MaxSeedLengthExceeded", "Length of the seed is too long for address generation"],
  ["InvalidSeeds", "Provided seeds do not result in a valid address"],
  ["InvalidRealloc", "Failed to reallocate account data"],
  ["ComputationalBudgetExceeded", "Computational budget exceeded"],
  ["PrivilegeEscalation", "Cross-program invocation with unauthorized signer or writable account"],
  ["ProgramEnvironmentSetupFailure", "Failed to create program execution environment"],
  ["ProgramFailedToComplete", "Program failed to complete"],
  ["ProgramFailedToCompile", "Program failed to compile"],
  ["Immutable", "Account is immutable"],
  ["IncorrectAuthority", "Incorrect authority provided"],
  ["AccountNotRentExempt", "An account does not have enough lamports to be rent-exempt"],
  ["InvalidAccountOwner", "Invalid account owner"],
  ["ArithmeticOverflow", "Program arithmetic overflowed"],
  ["UnsupportedSysvar", "Unsupported sysvar"],
  ["IllegalOwner", "Provided owner is not allowed"],
  ["MaxAccountsDataAllocationsExceeded", "Accounts data allocations exceeded the maximum allowed per transaction"],
  ["MaxAccountsExceeded", "Max accounts exceeded"],
  ["MaxInstructionTraceLengthExceeded", "Max instruction trace length exceeded"],
  ["BuiltinProgramsMustConsumeComputeUnits", "Builtin programs must consume compute units"],
  ["BorshIoError", "Failed to serialize or deserialize account data"]
]

export interface RenderedError {
  readonly json: TransactionErrorJson
  readonly message: string
}

export const namedError = (name: string): RenderedError => {
  const found = TX_ERRORS.find(([n]) => n === name)
  return { json: name, message: found?.[1] ?? name }
}

const renderInstructionError = (e: unknown): { json: unknown; message: string } => {
  if (typeof e === "number") {
    const [name, message] = IX_ERRORS[e] ?? ["GenericError", "generic instruction error"]
    return { json: name, message }
  }
  if (typeof e === "object" && e !== null) {
    if ("code" in e && typeof e.code === "number") {
      return { json: { Custom: e.code }, message: `custom program error: 0x${e.code.toString(16)}` }
    }
    if ("msg" in e && typeof e.msg === "string") {
      return { json: { BorshIoError: e.msg }, message: `Failed to serialize or deserialize account data: ${e.msg}` }
    }
  }
  return { json: "GenericError", message: "generic instruction error" }
}

/**
 * LiteSVM's error classes are not exported from its entry point, so the variants are told apart by
 * shape; the two `{ accountIndex }` variants only differ in their class name.
 */
export const renderTransactionError = (failed: FailedTransactionMetadata): RenderedError => {
  const e: unknown = failed.err()
  if (typeof e === "number") {
    const [name, message] = TX_ERRORS[e] ?? ["SanitizeFailure", "Transaction failed to sanitize accounts offsets correctly"]
    return { json: name, message }
  }
  if (typeof e === "object" && e !== null) {
    if ("index" in e && typeof e.index === "number") {
      if ("err" in e && typeof e.err === "function") {
        const inner = renderInstructionError(e.err())
        return { json: { InstructionError: [e.index, inner.json] }, message: `Error processing Instruction ${e.index}: ${inner.message}` }
      }
      return {
        json: { DuplicateInstruction: e.index },
        message: `Transaction contains a duplicate instruction (${e.index}) that is not allowed`
      }
    }
    if ("accountIndex" in e && typeof e.accountIndex === "number") {
      if (e.constructor.name.includes("Restricted")) {
        return {
          json: { ProgramExecutionTemporarilyRestricted: { account_index: e.accountIndex } },
          message: `Execution of the program referenced by account at index ${e.accountIndex} is temporarily restricted.`
        }
      }
      return {
        json: { InsufficientFundsForRent: { account_index: e.accountIndex } },
        message: `Transaction results in an account (${e.accountIndex}) with insufficient funds for rent`
      }
    }
  }
  return { json: "SanitizeFailure", message: String(e) }
}
