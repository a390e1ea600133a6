/**
 * The port every program test drives a Solana runtime through: a signed wire transaction in, an
 * outcome out (the failing instruction and its custom error code), plus the few test-only controls
 * the lockstep harness needs (read and write an account, credit lamports, set the clock's slot,
 * rent). Adapters: LiteSVM (`litesvm-runtime.ts`, in-process and synchronous) and solana-bankrun
 * (`bankrun-runtime.ts`, whose asynchronous BanksClient runs in a worker thread behind a blocking
 * bridge), so the same synchronous scenarios run on both.
 */
export type RuntimeKind = "litesvm" | "bankrun"

export const RUNTIME_KINDS: readonly RuntimeKind[] = ["litesvm", "bankrun"]

export interface RawAccount {
  readonly lamports: bigint
  readonly data: Uint8Array
  /** 32-byte owner program id. */
  readonly owner: Uint8Array
  readonly executable: boolean
}

export type TxOutcome =
  | { readonly ok: true; readonly computeUnits: bigint; readonly logs: readonly string[] }
  | {
      readonly ok: false
      /** The instruction that failed, when the error is an instruction error. */
      readonly instruction: number | undefined
      /** Its custom program error code, when it returned one. */
      readonly code: number | undefined
      /** The runtime's own description of the error. */
      readonly error: string
      readonly logs: readonly string[]
      /** The runtime saw this exact transaction before (same message and blockhash): it was not executed. */
      readonly alreadyProcessed: boolean
    }

export interface ChainRuntime {
  readonly kind: RuntimeKind
  /**
   * Whether the native Ed25519 program's signature checks run. LiteSVM runs them; bankrun (solana-program-test
   * 1.18) does not verify precompile instructions at all, so a forged signature there passes [SIG-1].
   */
  readonly verifiesPrecompiles: boolean
  /** Whether transaction signatures are verified (LiteSVM: as configured; bankrun: never). */
  readonly verifiesSignatures: boolean
  /** A recent blockhash for the next transaction. */
  latestBlockhash(): Uint8Array
  /** A recent blockhash other than `used`, waiting for the next one if need be (to resend an identical message). */
  nextBlockhash(used: Uint8Array): Uint8Array
  /** Executes one signed wire transaction (compact-u16 count, signatures, legacy message). */
  sendTransaction(wire: Uint8Array): TxOutcome
  getAccount(address: Uint8Array): RawAccount | undefined
  /** Writes an account as is, bypassing the runtime's rules (test setup only). */
  setAccount(address: Uint8Array, account: RawAccount): void
  /** Credits lamports to an account (a system account when it does not exist yet). */
  airdrop(address: Uint8Array, lamports: bigint): void
  /** Sets the Clock sysvar's slot (the protocol's time). */
  setSlot(slot: bigint): void
  rentExemptMinimum(size: number): bigint
  /** Releases what the runtime holds (bankrun: its context returns to the pool). */
  close(): void
}

export const SYSTEM_OWNER = new Uint8Array(32)

/** Credits `lamports` by rewriting the account, keeping its data and owner. */
export const creditAccount = (rt: Pick<ChainRuntime, "getAccount" | "setAccount">, address: Uint8Array, lamports: bigint): void => {
  const cur = rt.getAccount(address)
  rt.setAccount(address, {
    lamports: (cur?.lamports ?? 0n) + lamports,
    data: cur?.data ?? new Uint8Array(0),
    owner: cur?.owner ?? SYSTEM_OWNER,
    executable: cur?.executable ?? false
  })
}

/** The runtime named by `DOTDNS_RUNTIME` (default LiteSVM): the bankrun vitest project sets it. */
export const runtimeFromEnv = (): RuntimeKind => {
  const v = process.env["DOTDNS_RUNTIME"] ?? "litesvm"
  if (v !== "litesvm" && v !== "bankrun") throw new Error(`DOTDNS_RUNTIME=${v}: expected ${RUNTIME_KINDS.join(" or ")}`)
  return v
}

