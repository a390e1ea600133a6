/**
 * The LiteSVM adapter (default). Signatures are verified (transaction signatures and, always, the
 * Ed25519 program's), the program is loaded from `programs/dotdns/dotdns.so`, and a new blockhash
 * starts at every warp, like a new block. Errors are rendered the way the localnet renders them
 * (`reference/localnet/transaction-error.ts`).
 *
 * It drives LiteSVM's native binding (`litesvm/dist/internal.js`, what the `LiteSVM` class wraps)
 * directly: wire bytes in (`sendLegacyTransaction`), raw keys in and out. The wrapper class would
 * decode every transaction into a kit object only to encode it again, and convert every key to and
 * from base58 in JavaScript, which costs more than executing many of the program's instructions.
 */
import { Clock, FailedTransactionMetadata, LiteSvm as NativeLiteSvm } from "litesvm/dist/internal.js"
import { fromBase58 } from "../../programs/client/base58.ts"
import { DEV_PROGRAM_ID, PROGRAM_SO } from "../../programs/client/program-id.ts"
import { ruleOfCode } from "../../spec/src/rules.ts"
import { renderTransactionError } from "../../reference/localnet/transaction-error.ts"
import type { Capability, Svm, SvmAccount, TxOutcome } from "./Svm.ts"

const CAPABILITIES: ReadonlySet<Capability> = new Set(["signature-checks"])

/** Slot 0's unix time; each slot adds 400 ms so the Clock is a pure function of the slot. */
export const GENESIS_UNIX = 1_800_000_000n

export const clockAt = (slot: bigint): Clock => new Clock(slot, GENESIS_UNIX, 0n, 0n, GENESIS_UNIX + (slot * 2n) / 5n)

export interface LiteSvmOptions {
  readonly programId?: Uint8Array
  readonly soPath?: string
}

/** The native LiteSVM with the program loaded, sigverify on: what the adapter and the benchmark's baseline run. */
export const rawLiteSvm = (options: LiteSvmOptions = {}): NativeLiteSvm => {
  const svm = new NativeLiteSvm()
  svm.setSigverify(true)
  svm.setTransactionHistory(10_000n)
  svm.addProgramFromFile(options.programId ?? DEV_PROGRAM_ID, options.soPath ?? PROGRAM_SO)
  svm.setClock(clockAt(0n))
  return svm
}

const outcomeOf = (res: ReturnType<NativeLiteSvm["sendLegacyTransaction"]>): TxOutcome => {
  if (res instanceof FailedTransactionMetadata) {
    const meta = res.meta()
    const rendered = renderTransactionError(res)
    const json = rendered.json
    let code: number | undefined
    if (typeof json === "object" && Array.isArray(json["InstructionError"])) {
      const inner: unknown = json["InstructionError"][1]
      if (typeof inner === "object" && inner !== null && "Custom" in inner && typeof inner.Custom === "number") code = inner.Custom
    }
    const rule = code === undefined ? undefined : ruleOfCode(code)
    return {
      ok: false,
      err: json,
      message: rendered.message,
      cu: meta.computeUnitsConsumed(),
      logs: meta.logs(),
      ...(code === undefined ? {} : { code }),
      ...(rule === undefined ? {} : { rule })
    }
  }
  // A successful transaction's logs are rarely read (getTransaction): copied out of the runtime on demand.
  let logs: readonly string[] | undefined
  return {
    ok: true,
    cu: res.computeUnitsConsumed(),
    get logs() {
      return (logs ??= res.logs())
    }
  }
}

export const makeLiteSvm = (options: LiteSvmOptions = {}): Svm => {
  const svm = rawLiteSvm(options)
  let slot = 0n
  /** Owners repeat (the system program, the dotdns program): one array each. */
  const owners = new Map<string, Uint8Array>()
  const ownerOf = (bytes: Uint8Array): Uint8Array => {
    const k = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1")
    let o = owners.get(k)
    if (o === undefined) owners.set(k, (o = new Uint8Array(bytes)))
    return o
  }

  const send = (wire: Uint8Array): TxOutcome => outcomeOf(svm.sendLegacyTransaction(wire))
  const account = (a: Uint8Array): SvmAccount | undefined => {
    const acc = svm.getAccount(a)
    if (acc === null) return undefined
    const lamports = acc.lamports()
    if (lamports === 0n) return undefined
    return { lamports, owner: ownerOf(acc.owner()), executable: acc.executable(), data: acc.data() }
  }

  return {
    backend: "litesvm",
    capabilities: CAPABILITIES,
    sync: { send, account },
    send: (wire) => Promise.resolve(send(wire)),
    account: (a) => Promise.resolve(account(a)),
    slot: () => slot,
    warpTo: (s) => {
      if (s < slot) return Promise.reject(new RangeError(`cannot warp back from slot ${slot} to ${s}`))
      if (s > slot) {
        slot = s
        svm.setClock(clockAt(s))
        svm.expireBlockhash()
      }
      return Promise.resolve()
    },
    airdrop: (to, amount) => {
      const r = svm.airdrop(to, amount)
      if (r instanceof FailedTransactionMetadata) return Promise.reject(new Error(`airdrop failed: ${r.toString()}`))
      return Promise.resolve()
    },
    latestBlockhash: () => Promise.resolve(fromBase58(svm.latestBlockhash())),
    close: () => Promise.resolve()
  }
}
