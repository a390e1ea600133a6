/**
 * The runtime port over solana-bankrun (solana-program-test 1.18 in process). BanksClient is
 * asynchronous and the lockstep scenarios are synchronous, so bankrun runs in a worker thread
 * (`bankrun-worker.ts`) and each call blocks on `Atomics.wait` until the worker has answered:
 * ~40 µs per round trip, well under a transaction's cost.
 *
 * Known differences from LiteSVM, both stated in `verifies*`: bankrun verifies neither transaction
 * signatures nor Ed25519-program instructions — a forged signature passes the precompile [SIG-1].
 * Identical transactions under one blockhash are "already processed"; the harness then signs again
 * under the next blockhash (`nextBlockhash`).
 */
import { basename, dirname } from "node:path"
import { MessageChannel, receiveMessageOnPort, SHARE_ENV, Worker, type MessagePort } from "node:worker_threads"
import { fromBase58, toBase58 } from "./base58.ts"
import { creditAccount, type ChainRuntime, type RawAccount, type TxOutcome } from "./runtime.ts"

/** How long one call may block before the worker is presumed dead (a panic in bankrun never answers). */
const CALL_TIMEOUT_MS = 120_000

type Reply = { ok: true; value: unknown } | { ok: false; error: string }

/** The process's one bankrun worker, started on first use. */
class BankrunHost {
  private readonly worker: Worker
  private readonly port: MessagePort
  private readonly signal: Int32Array

  constructor() {
    const flag = new SharedArrayBuffer(4)
    this.signal = new Int32Array(flag)
    const { port1, port2 } = new MessageChannel()
    this.port = port1
    this.worker = new Worker(new URL("./bankrun-worker.ts", import.meta.url), {
      env: SHARE_ENV,
      workerData: { port: port2, flag },
      transferList: [port2]
    })
    this.worker.unref()
    this.port.unref()
  }

  call(request: Record<string, unknown>): unknown {
    Atomics.store(this.signal, 0, 0)
    this.port.postMessage(request)
    if (Atomics.wait(this.signal, 0, 0, CALL_TIMEOUT_MS) === "timed-out")
      throw new Error(`bankrun worker did not answer ${String(request["op"])} within ${CALL_TIMEOUT_MS} ms`)
    const m = receiveMessageOnPort(this.port)
    if (m === undefined) throw new Error(`bankrun worker answered ${String(request["op"])} with nothing`)
    const reply = m.message as Reply
    if (!reply.ok) throw new Error(`bankrun: ${reply.error}`)
    return reply.value
  }
}

let host: BankrunHost | undefined
const theHost = (): BankrunHost => (host ??= new BankrunHost())

/** "Error processing Instruction 1: custom program error: 0x7d5" and the like. */
const INSTRUCTION_ERROR = /Error processing Instruction (\d+): (.*)$/
const CUSTOM = /custom program error: 0x([0-9a-fA-F]+)/

export interface BankrunRuntimeOptions {
  readonly programId: Uint8Array
  /** `<dir>/<name>.so`: bankrun loads programs by name from a directory. */
  readonly soPath: string
}

export class BankrunRuntime implements ChainRuntime {
  readonly kind = "bankrun" as const
  readonly verifiesPrecompiles = false
  readonly verifiesSignatures = false
  private lease: { ctx: number; generation: number } | undefined
  private readonly rent = new Map<number, bigint>()

  constructor(opts: BankrunRuntimeOptions) {
    if (!opts.soPath.endsWith(".so")) throw new Error(`bankrun loads <name>.so files, not ${opts.soPath}`)
    const name = basename(opts.soPath, ".so")
    this.lease = theHost().call({ op: "acquire", dir: dirname(opts.soPath), name, programId: opts.programId }) as { ctx: number; generation: number }
  }

  private call(request: Record<string, unknown>): unknown {
    if (this.lease === undefined) throw new Error("bankrun runtime used after close()")
    return theHost().call({ ...request, ...this.lease })
  }

  latestBlockhash(): Uint8Array {
    return fromBase58(this.call({ op: "blockhash" }) as string)
  }
  nextBlockhash(used: Uint8Array): Uint8Array {
    return fromBase58(this.call({ op: "blockhash", notThis: toBase58(used) }) as string)
  }

  sendTransaction(wire: Uint8Array): TxOutcome {
    const r = this.call({ op: "send", wire }) as { result: string | null; logs: string[]; computeUnits: bigint }
    if (r.result === null) return { ok: true, computeUnits: r.computeUnits, logs: r.logs }
    const m = INSTRUCTION_ERROR.exec(r.result)
    const c = CUSTOM.exec(r.result)
    return {
      ok: false,
      instruction: m === null ? undefined : Number(m[1]),
      code: c === null ? undefined : parseInt(c[1]!, 16),
      error: r.result,
      logs: r.logs,
      alreadyProcessed: /already been processed/.test(r.result)
    }
  }

  getAccount(address: Uint8Array): RawAccount | undefined {
    return (this.call({ op: "getAccount", address }) as RawAccount | null) ?? undefined
  }
  setAccount(address: Uint8Array, a: RawAccount): void {
    this.call({ op: "setAccount", address, lamports: a.lamports, data: a.data, owner: a.owner, executable: a.executable })
  }
  airdrop(address: Uint8Array, lamports: bigint): void {
    creditAccount(this, address, lamports)
  }
  setSlot(slot: bigint): void {
    this.call({ op: "setSlot", slot })
  }
  rentExemptMinimum(size: number): bigint {
    let v = this.rent.get(size)
    if (v === undefined) {
      v = this.call({ op: "rent", size }) as bigint
      this.rent.set(size, v)
    }
    return v
  }
  /** Returns the context to the pool: the next runtime of this program gets it, emptied. */
  close(): void {
    if (this.lease === undefined) return
    this.call({ op: "release" })
    this.lease = undefined
  }
}
