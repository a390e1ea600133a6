/** The runtime port over LiteSVM: in-process, synchronous, Ed25519-program signatures verified. */
import { address, getTransactionDecoder, lamports } from "@solana/kit"
import { Clock, LiteSVM } from "litesvm"
import { toBase58, fromBase58 } from "./base58.ts"
import { creditAccount, type ChainRuntime, type RawAccount, type TxOutcome } from "./runtime.ts"

const txDecoder = getTransactionDecoder()

/**
 * The native LiteSvm under the `LiteSVM` wrapper, read by raw 32-byte keys: the wrapper's getAccount
 * goes through base58 both ways, which was a quarter of the lockstep's time.
 */
interface NativeLiteSvm {
  getAccount(pubkey: Uint8Array): { lamports(): bigint; data(): Uint8Array; owner(): Uint8Array; executable(): boolean } | null
}

export interface LiteSvmRuntimeOptions {
  readonly programId: Uint8Array
  readonly soPath: string
  /** Verify transaction signatures (default true). */
  readonly sigverify?: boolean
}

export class LiteSvmRuntime implements ChainRuntime {
  readonly kind = "litesvm" as const
  readonly verifiesPrecompiles = true
  readonly verifiesSignatures: boolean
  readonly svm: LiteSVM
  private readonly native: NativeLiteSvm

  constructor(opts: LiteSvmRuntimeOptions) {
    this.verifiesSignatures = opts.sigverify ?? true
    this.svm = new LiteSVM().withSigverify(this.verifiesSignatures)
    this.native = (this.svm as unknown as { inner: NativeLiteSvm }).inner
    this.svm.addProgramFromFile(address(toBase58(opts.programId)), opts.soPath)
  }

  latestBlockhash(): Uint8Array {
    return fromBase58(this.svm.latestBlockhash())
  }
  nextBlockhash(used: Uint8Array): Uint8Array {
    let b = this.latestBlockhash()
    while (Buffer.compare(b, used) === 0) {
      this.svm.expireBlockhash()
      b = this.latestBlockhash()
    }
    return b
  }

  sendTransaction(wire: Uint8Array): TxOutcome {
    const res = this.svm.sendTransaction(txDecoder.decode(wire))
    // Every transaction gets a blockhash of its own, so an identical retry is never "already processed".
    this.svm.expireBlockhash()
    if (!("err" in res)) return { ok: true, computeUnits: res.computeUnitsConsumed(), logs: res.logs() }
    const err = res.err()
    let instruction: number | undefined
    let code: number | undefined
    if (typeof err === "object" && "err" in err) {
      instruction = err.index
      const inner = err.err()
      if (typeof inner === "object" && "code" in inner) code = inner.code
    }
    const error = res.toString()
    return { ok: false, instruction, code, error, logs: res.meta().logs(), alreadyProcessed: /AlreadyProcessed/.test(error) }
  }

  getAccount(pubkey: Uint8Array): RawAccount | undefined {
    const acc = this.native.getAccount(pubkey)
    if (acc === null) return undefined
    return { lamports: acc.lamports(), data: new Uint8Array(acc.data()), owner: new Uint8Array(acc.owner()), executable: acc.executable() }
  }
  setAccount(pubkey: Uint8Array, a: RawAccount): void {
    this.svm.setAccount({
      address: address(toBase58(pubkey)),
      lamports: lamports(a.lamports),
      data: a.data,
      programAddress: address(toBase58(a.owner)),
      executable: a.executable,
      space: BigInt(a.data.length)
    })
  }
  /** Credits directly: LiteSVM's own airdrop draws on a pool below 10^15 lamports and fails silently past it. */
  airdrop(pubkey: Uint8Array, amount: bigint): void {
    creditAccount(this, pubkey, amount)
  }
  setSlot(slot: bigint): void {
    const c = this.svm.getClock()
    this.svm.setClock(new Clock(slot, c.epochStartTimestamp, c.epoch, c.leaderScheduleEpoch, c.unixTimestamp + 1n))
  }
  rentExemptMinimum(size: number): bigint {
    return this.svm.minimumBalanceForRentExemption(BigInt(size))
  }
  close(): void {}
}
