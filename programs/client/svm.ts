/**
 * The program in a Solana runtime (LiteSVM or bankrun, behind the `ChainRuntime` port), driven by spec
 * ops: each op becomes a signed transaction with a dedicated fee payer (so actors' lamports move only by
 * protocol rules), and each result is a rule id when the program rejects it — directly comparable with
 * the executable spec.
 */
import type { LiteSVM } from "litesvm"
import { keypairFromSeed, type Keypair } from "../../spec/src/ed25519.ts"
import { H } from "../../spec/src/hash.ts"
import type { Op } from "../../spec/src/ops.ts"
import { ruleOfCode, type RuleId } from "../../spec/src/rules.ts"
import { hex } from "../../spec/src/bytes.ts"
import { toBase58 } from "./base58.ts"
import { BankrunRuntime } from "./bankrun-runtime.ts"
import { decodeAccount } from "./decode.ts"
import { buildOp, type ChainView } from "./instructions.ts"
import { LiteSvmRuntime } from "./litesvm-runtime.ts"
import { signTransaction, type Instruction } from "./message.ts"
import { findPda, seeds } from "./pda.ts"
import { DEV_PROGRAM_ID, PROGRAM_SO } from "./program-id.ts"
import { runtimeFromEnv, type ChainRuntime, type RuntimeKind, type TxOutcome } from "./runtime.ts"

export type SendResult =
  | { readonly ok: true; readonly computeUnits: bigint; readonly logs: readonly string[] }
  | {
      readonly ok: false
      readonly rule: RuleId | undefined
      readonly code: number | undefined
      /** The failing instruction's index, when an instruction failed. */
      readonly instruction: number | undefined
      readonly error: string
      readonly logs: readonly string[]
    }

export interface HarnessOptions {
  readonly programId?: Uint8Array
  readonly soPath?: string
  /** Verify transaction signatures (LiteSVM only; bankrun never does). */
  readonly sigverify?: boolean
  /** Default: `DOTDNS_RUNTIME`, else LiteSVM. */
  readonly runtime?: RuntimeKind
}

export const createRuntime = (kind: RuntimeKind, opts: { programId: Uint8Array; soPath: string; sigverify?: boolean }): ChainRuntime =>
  kind === "bankrun" ? new BankrunRuntime(opts) : new LiteSvmRuntime(opts)

export class SvmHarness implements ChainView {
  readonly runtime: ChainRuntime
  readonly programId: Uint8Array
  readonly payer: Keypair
  private readonly keys = new Map<string, Keypair>()
  private slot = 0n

  constructor(opts: HarnessOptions = {}) {
    this.programId = opts.programId ?? DEV_PROGRAM_ID
    this.runtime = createRuntime(opts.runtime ?? runtimeFromEnv(), {
      programId: this.programId,
      soPath: opts.soPath ?? PROGRAM_SO,
      ...(opts.sigverify !== undefined ? { sigverify: opts.sigverify } : {})
    })
    this.payer = keypairFromSeed(H("dotdns/harness/payer"))
    this.fund(this.payer.publicKey, 1_000_000_000_000_000n)
  }

  /** The LiteSVM instance under a LiteSVM runtime (for code that drives it directly, e.g. benchmarks). */
  get svm(): LiteSVM {
    if (!(this.runtime instanceof LiteSvmRuntime)) throw new Error(`the ${this.runtime.kind} runtime has no LiteSVM instance`)
    return this.runtime.svm
  }

  addKey(kp: Keypair): void {
    this.keys.set(hex(kp.publicKey), kp)
  }
  keyOf(pubkey: Uint8Array): Keypair | undefined {
    return this.keys.get(hex(pubkey))
  }
  fund(pubkey: Uint8Array, amount: bigint): void {
    this.runtime.airdrop(pubkey, amount)
  }
  setSlot(slot: bigint): void {
    this.slot = slot
    this.runtime.setSlot(slot)
  }
  balance(pubkey: Uint8Array): bigint {
    return this.runtime.getAccount(pubkey)?.lamports ?? 0n
  }
  raw(pubkey: Uint8Array): { data: Uint8Array; lamports: bigint; owner: string } | undefined {
    const acc = this.runtime.getAccount(pubkey)
    if (acc === undefined) return undefined
    return { data: acc.data, lamports: acc.lamports, owner: toBase58(acc.owner) }
  }
  pda(s: readonly Uint8Array[]): Uint8Array {
    return findPda(s, this.programId).address
  }

  // ChainView, read from the runtime
  config() {
    const r = this.raw(this.pda(seeds.config()))
    return r && decodeAccount("Config", r.data)
  }
  name(nameHash: Uint8Array) {
    const r = this.raw(this.pda(seeds.name(nameHash)))
    return r && decodeAccount("Name", r.data)
  }
  pin(ref: { epoch: bigint; nameHash: Uint8Array; miner: Uint8Array; index: number }) {
    const r = this.raw(this.pda(seeds.pin(ref.epoch, ref.nameHash, ref.miner, ref.index)))
    return r && decodeAccount("LeafPin", r.data)
  }
  challenge(ref: { epoch: bigint; nameHash: Uint8Array; miner: Uint8Array; index: number }) {
    const r = this.raw(this.pda(seeds.challenge(ref.epoch, ref.nameHash, ref.miner, ref.index)))
    return r && decodeAccount("Challenge", r.data)
  }

  /**
   * Signs the instructions (the harness payer pays the fee; other signers from the keyring) under a
   * recent blockhash and executes them. A runtime that has seen the identical transaction already gets
   * it again under the next blockhash.
   */
  sendInstructions(instructions: readonly Instruction[], keyring: (pubkey: Uint8Array) => Keypair | undefined = (pk) => this.keyOf(pk)): TxOutcome {
    let blockhash = this.runtime.latestBlockhash()
    for (;;) {
      const tx = signTransaction(this.payer, instructions, blockhash, keyring)
      const out = this.runtime.sendTransaction(tx.wire)
      if (out.ok || !out.alreadyProcessed) return out
      blockhash = this.runtime.nextBlockhash(blockhash)
    }
  }

  send(op: Op, view: ChainView = this): SendResult {
    const built = buildOp(op, { programId: this.programId, payer: this.payer.publicKey, slot: this.slot, view })
    return resultOf(this.sendInstructions(built.instructions))
  }

  close(): void {
    this.runtime.close()
  }
}

/** A runtime outcome with the rule its custom code names. */
export const resultOf = (out: TxOutcome): SendResult =>
  out.ok
    ? { ok: true, computeUnits: out.computeUnits, logs: out.logs }
    : { ok: false, code: out.code, rule: out.code === undefined ? undefined : ruleOfCode(out.code), instruction: out.instruction, error: out.error, logs: out.logs }
