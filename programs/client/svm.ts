/**
 * The program in LiteSVM, driven by spec ops: each op becomes a signed transaction with a dedicated fee
 * payer (so actors' lamports move only by protocol rules), and each result is a rule id when the
 * program rejects it — directly comparable with the executable spec.
 */
import { LiteSVM, Clock } from "litesvm"
import { address, getTransactionDecoder, lamports } from "@solana/kit"
import { keypairFromSeed, type Keypair } from "../../spec/src/ed25519.ts"
import { H } from "../../spec/src/hash.ts"
import type { Op } from "../../spec/src/ops.ts"
import { ruleOfCode, type RuleId } from "../../spec/src/rules.ts"
import { hex } from "../../spec/src/bytes.ts"
import { fromBase58 as fromB58, toBase58 } from "./base58.ts"
import { decodeAccount } from "./decode.ts"
import { buildOp, type ChainView } from "./instructions.ts"
import { signTransaction } from "./message.ts"
import { findPda, seeds } from "./pda.ts"
import { DEV_PROGRAM_ID, PROGRAM_SO } from "./program-id.ts"

const txDecoder = getTransactionDecoder()

export type SendResult =
  | { readonly ok: true; readonly computeUnits: bigint; readonly logs: readonly string[] }
  | { readonly ok: false; readonly rule: RuleId | undefined; readonly code: number | undefined; readonly error: string; readonly logs: readonly string[] }

export class SvmHarness implements ChainView {
  readonly svm: LiteSVM
  readonly programId: Uint8Array
  readonly payer: Keypair
  private readonly keys = new Map<string, Keypair>()
  private slot = 0n

  constructor(opts: { programId?: Uint8Array; soPath?: string; sigverify?: boolean } = {}) {
    this.programId = opts.programId ?? DEV_PROGRAM_ID
    this.svm = new LiteSVM().withSigverify(opts.sigverify ?? true)
    this.svm.addProgramFromFile(address(toBase58(this.programId)), opts.soPath ?? PROGRAM_SO)
    this.payer = keypairFromSeed(H("dotdns/harness/payer"))
    this.fund(this.payer.publicKey, 1_000_000_000_000_000n)
  }

  addKey(kp: Keypair): void {
    this.keys.set(hex(kp.publicKey), kp)
  }
  fund(pubkey: Uint8Array, amount: bigint): void {
    this.svm.airdrop(address(toBase58(pubkey)), lamports(amount))
  }
  setSlot(slot: bigint): void {
    this.slot = slot
    const c = this.svm.getClock()
    this.svm.setClock(new Clock(slot, c.epochStartTimestamp, c.epoch, c.leaderScheduleEpoch, c.unixTimestamp + 1n))
  }
  balance(pubkey: Uint8Array): bigint {
    return this.svm.getBalance(address(toBase58(pubkey))) ?? 0n
  }
  raw(pubkey: Uint8Array): { data: Uint8Array; lamports: bigint; owner: string } | undefined {
    const acc = this.svm.getAccount(address(toBase58(pubkey)))
    if (!acc.exists) return undefined
    return { data: new Uint8Array(acc.data), lamports: acc.lamports, owner: acc.programAddress }
  }
  pda(s: readonly Uint8Array[]): Uint8Array {
    return findPda(s, this.programId).address
  }

  // ChainView, read from the SVM
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

  send(op: Op, view: ChainView = this): SendResult {
    const built = buildOp(op, { programId: this.programId, payer: this.payer.publicKey, slot: this.slot, view })
    const blockhash = this.svm.latestBlockhash()
    const tx = signTransaction(this.payer, built.instructions, new Uint8Array(Buffer.from(fromB58(blockhash))), (pk) => this.keys.get(hex(pk)))
    const res = this.svm.sendTransaction(txDecoder.decode(tx.wire))
    this.svm.expireBlockhash()
    if ("err" in res) {
      const meta = res.meta()
      const err = res.err()
      let code: number | undefined
      if (typeof err === "object" && "err" in err) {
        const inner = err.err()
        if (typeof inner === "object" && "code" in inner) code = inner.code
      }
      return { ok: false, code, rule: code === undefined ? undefined : ruleOfCode(code), error: res.toString(), logs: meta.logs() }
    }
    return { ok: true, computeUnits: res.computeUnitsConsumed(), logs: res.logs() }
  }
}

