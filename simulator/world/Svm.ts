/**
 * The port between the simulator and a Solana virtual machine. One run holds exactly one `Svm`; the
 * world, the in-process JSON-RPC the miners talk to, and every actor reach the chain only through it.
 *
 * Two adapters implement it: `LiteSvm.ts` (the default; agave 4.3 runtime, checks Ed25519-program
 * signatures) and `Bankrun.ts` (solana-bankrun 0.4, solana 1.18 runtime; it does **not** check
 * Ed25519-program signatures). A scenario that forges a signature declares `needs: [signature-checks]`
 * and is reported not applicable on an adapter whose `capabilities.signatureChecks` is false.
 *
 * Both adapters load the real compiled program, `programs/dotdns/dotdns.so`, at the development
 * program id.
 */
import type { RuleId } from "../../spec/src/rules.ts"

/** Solana's JSON form of a TransactionError: `"BlockhashNotFound"`, `{"InstructionError":[1,{"Custom":1201}]}`. */
export type TxErrorJson = string | { readonly [variant: string]: unknown }

/** What happened to one transaction. */
export interface TxOutcome {
  readonly ok: boolean
  /** The rule a custom program error names (`100 × family + n`), when the program rejected it. */
  readonly rule?: RuleId
  /** The custom program error code. */
  readonly code?: number
  /** The transaction error in Solana's JSON form, when it failed. */
  readonly err?: TxErrorJson
  /** Human-readable error, when it failed. */
  readonly message?: string
  /** Compute units the whole transaction consumed. */
  readonly cu: bigint
  readonly logs: readonly string[]
}

export interface SvmAccount {
  readonly lamports: bigint
  readonly owner: Uint8Array
  readonly executable: boolean
  readonly data: Uint8Array
}

export type Backend = "litesvm" | "bankrun"
export const BACKENDS: readonly Backend[] = ["litesvm", "bankrun"]

/** What a scenario may require of the runtime (`needs:` in a scenario file). */
export type Capability = "signature-checks"

export interface Svm {
  readonly backend: Backend
  readonly capabilities: ReadonlySet<Capability>
  /** Executes one signed wire transaction (compact-u16 count ‖ signatures ‖ legacy message). */
  send(wire: Uint8Array): Promise<TxOutcome>
  /** An account as the runtime holds it; undefined when it does not exist (or holds no lamports). */
  account(address: Uint8Array): Promise<SvmAccount | undefined>
  /** The slot of the Clock sysvar. */
  slot(): bigint
  /** Moves the Clock to `slot` (never backwards) and starts a new blockhash. */
  warpTo(slot: bigint): Promise<void>
  /** Credits lamports to an address. */
  airdrop(to: Uint8Array, lamports: bigint): Promise<void>
  /** The blockhash a transaction signed now must carry. */
  latestBlockhash(): Promise<Uint8Array>
  close(): Promise<void>
  /**
   * Synchronous forms of `send` and `account`, when the runtime is synchronous (LiteSVM is, bankrun is
   * not): the world's transaction path then never waits on a promise.
   */
  readonly sync?: {
    send(wire: Uint8Array): TxOutcome
    account(address: Uint8Array): SvmAccount | undefined
  }
}

/** Parses "custom program error: 0x4b1" at instruction i out of a runtime's error text. */
export const customErrorOf = (text: string): { readonly index: number; readonly code: number } | undefined => {
  const m = /Error processing Instruction (\d+): custom program error: 0x([0-9a-f]+)/i.exec(text)
  return m === null ? undefined : { index: Number(m[1]), code: parseInt(m[2]!, 16) }
}
