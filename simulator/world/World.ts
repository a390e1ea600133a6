/**
 * The world of one run: the SVM behind its port, a mirror of every account a transaction wrote (so
 * reads and `getProgramAccounts` answer without asking the runtime, which bankrun cannot do for
 * program accounts), a ledger of transaction outcomes (for `getSignatureStatuses`), and the one door
 * every transaction goes through — an actor's op built here, or a miner's wire transaction arriving
 * through the in-process JSON-RPC. Each transaction is announced to the listeners (the engine logs it).
 *
 * Everything is sequential: one transaction at a time, in the order the engine drives the actors, so
 * the same seed and scenario give the same transactions in the same order.
 */
import { toBase58 } from "../../programs/client/base58.ts"
import { decodeAccount, type AccountOf } from "../../programs/client/decode.ts"
import { ED25519_PROGRAM_ID } from "../../programs/client/ed25519-instruction.ts"
import { buildOp, type ChainView } from "../../programs/client/instructions.ts"
import { signTransaction } from "../../programs/client/message.ts"
import { findPda, seeds } from "../../programs/client/pda.ts"
import type { AccountKind } from "../../spec/src/accounts.ts"
import { equal } from "../../spec/src/bytes.ts"
import type { Keypair } from "../../spec/src/ed25519.ts"
import { IX } from "../../spec/src/instructions.ts"
import type { LeafRef, Op, OpKind } from "../../spec/src/ops.ts"
import { decodeTransaction, isStaticWritable } from "../../reference/localnet/wire-transaction.ts"
import { fastBase58 } from "./base58.ts"
import type { Svm, SvmAccount, TxOutcome } from "./Svm.ts"

const KIND_OF_TAG: ReadonlyMap<number, OpKind> = new Map(Object.entries(IX).map(([k, v]) => [v, k as OpKind]))

const keyOf = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1")

export interface TxRecord {
  /** base58 of the first signature. */
  readonly signature: string
  readonly slot: bigint
  /** The fee payer (first signer). */
  readonly payer: Uint8Array
  /** The dotdns instructions the transaction carried, by op kind. */
  readonly ops: readonly OpKind[]
  /** The program of each instruction: `dotdns`, `ed25519`, or a base58 id. */
  readonly programs: readonly string[]
  readonly outcome: TxOutcome
  /** The same signature was seen before: nothing executed (AlreadyProcessed). */
  readonly duplicate: boolean
  readonly size: number
  /** Every account the transaction could write, before and after (undefined: absent), except plain wallets. */
  readonly writes: readonly AccountWrite[]
}

export interface AccountWrite {
  readonly address: Uint8Array
  readonly before: SvmAccount | undefined
  readonly after: SvmAccount | undefined
}

export type TxListener = (tx: TxRecord) => void

export class World implements ChainView {
  readonly svm: Svm
  readonly programId: Uint8Array
  private readonly mirror = new Map<string, SvmAccount | null>()
  private readonly owned = new Map<string, Uint8Array>()
  private readonly ledger = new Map<string, TxRecord>()
  /** System-owned, data-less accounts seen as writable: never diffed, re-read on demand. */
  private readonly wallets = new Set<string>()
  private readonly listeners: TxListener[] = []
  txCount = 0

  constructor(svm: Svm, programId: Uint8Array) {
    this.svm = svm
    this.programId = programId
  }

  // ------------------------------------------------------------------------------------ clock

  get slot(): bigint {
    return this.svm.slot()
  }

  warpTo(slot: bigint): Promise<void> {
    return this.svm.warpTo(slot)
  }

  // --------------------------------------------------------------------------------- accounts

  private async refresh(address: Uint8Array): Promise<SvmAccount | undefined> {
    return this.remember(address, await this.svm.account(address))
  }

  private remember(address: Uint8Array, acc: SvmAccount | undefined, key?: string): SvmAccount | undefined {
    const k = key ?? keyOf(address)
    this.mirror.set(k, acc ?? null)
    if (acc !== undefined && equal(acc.owner, this.programId)) this.owned.set(k, address)
    else this.owned.delete(k)
    return acc
  }

  /** The account now (mirrored; the runtime is asked once per address until a transaction writes it). */
  async account(address: Uint8Array): Promise<SvmAccount | undefined> {
    const hit = this.mirror.get(keyOf(address))
    if (hit !== undefined) return hit ?? undefined
    return this.refresh(address)
  }

  /** The mirrored account, without asking the runtime (program accounts are always mirrored). */
  cached(address: Uint8Array): SvmAccount | undefined {
    return this.mirror.get(keyOf(address)) ?? undefined
  }

  /** Every account the program owns, in first-seen order. */
  *programAccounts(): Generator<{ readonly address: Uint8Array; readonly account: SvmAccount }> {
    for (const [k, address] of this.owned) {
      const account = this.mirror.get(k)
      if (account) yield { address, account }
    }
  }

  async balance(address: Uint8Array): Promise<bigint> {
    return (await this.account(address))?.lamports ?? 0n
  }

  async airdrop(to: Uint8Array, lamports: bigint): Promise<void> {
    await this.svm.airdrop(to, lamports)
    await this.refresh(to)
  }

  pda(s: readonly Uint8Array[]): Uint8Array {
    return findPda(s, this.programId).address
  }

  /** A program account decoded as `kind` (discriminator, layout version and owner checked). */
  decoded<K extends AccountKind>(kind: K, address: Uint8Array): AccountOf<K> | undefined {
    const acc = this.cached(address)
    return acc !== undefined && equal(acc.owner, this.programId) ? decodeAccount(kind, acc.data) : undefined
  }

  config(): AccountOf<"Config"> | undefined {
    return this.decoded("Config", this.pda(seeds.config()))
  }
  minerSet(): AccountOf<"MinerSet"> | undefined {
    return this.decoded("MinerSet", this.pda(seeds.miners()))
  }
  committee(epoch: bigint): AccountOf<"Committee"> | undefined {
    return this.decoded("Committee", this.pda(seeds.committee(epoch)))
  }
  round(epoch: bigint, nameHash: Uint8Array): AccountOf<"Round"> | undefined {
    return this.decoded("Round", this.pda(seeds.round(epoch, nameHash)))
  }
  name(nameHash: Uint8Array): AccountOf<"Name"> | undefined {
    return this.decoded("Name", this.pda(seeds.name(nameHash)))
  }
  aggregate(epoch: bigint, nameHash: Uint8Array, miner: Uint8Array): AccountOf<"Aggregate"> | undefined {
    return this.decoded("Aggregate", this.pda(seeds.aggregate(epoch, nameHash, miner)))
  }
  witness(key: Uint8Array): AccountOf<"Witness"> | undefined {
    return this.decoded("Witness", this.pda(seeds.witness(key)))
  }
  proposal(id: bigint): AccountOf<"Proposal"> | undefined {
    return this.decoded("Proposal", this.pda(seeds.proposal(id)))
  }
  pin(ref: LeafRef): AccountOf<"LeafPin"> | undefined {
    return this.decoded("LeafPin", this.pda(seeds.pin(ref.epoch, ref.nameHash, ref.miner, ref.index)))
  }
  challenge(ref: LeafRef): AccountOf<"Challenge"> | undefined {
    return this.decoded("Challenge", this.pda(seeds.challenge(ref.epoch, ref.nameHash, ref.miner, ref.index)))
  }

  // ------------------------------------------------------------------------------ transactions

  onTx(listener: TxListener): () => void {
    this.listeners.push(listener)
    return () => {
      const i = this.listeners.indexOf(listener)
      if (i >= 0) this.listeners.splice(i, 1)
    }
  }

  /** A landed transaction by signature (failed ones included: they paid their fee). */
  status(signature: string): TxRecord | undefined {
    return this.ledger.get(signature)
  }

  /**
   * Executes a signed wire transaction. A signature seen before executes nothing and reports
   * `AlreadyProcessed`, as a validator does. Every account the transaction may write is mirrored again.
   */
  /** `submit` without waiting, when the runtime is synchronous (LiteSVM); undefined otherwise. */
  submitNow(wire: Uint8Array): TxRecord | undefined {
    const sync = this.svm.sync
    return sync === undefined ? undefined : this.submitWith(wire, sync)
  }

  async submit(wire: Uint8Array): Promise<TxRecord> {
    const sync = this.svm.sync
    if (sync !== undefined) return this.submitWith(wire, sync)
    // An asynchronous runtime: the same steps, waiting for each answer.
    const pending = new Map<string, SvmAccount | undefined>()
    const tx = decodeTransaction(wire)
    for (const a of tx.message.staticKeys) if (!this.mirror.has(keyOf(a))) pending.set(keyOf(a), await this.svm.account(a))
    const outcome = await this.svm.send(wire)
    const after = new Map<string, SvmAccount | undefined>()
    const m = tx.message
    for (let i = 0; i < m.staticKeys.length; i++) if (isStaticWritable(m.header, m.staticKeys.length, i)) after.set(keyOf(m.staticKeys[i]!), await this.svm.account(m.staticKeys[i]!))
    let sent = false
    return this.submitWith(
      wire,
      {
        send: () => {
          sent = true
          return outcome
        },
        account: (a) => (sent ? after : pending).get(keyOf(a))
      },
      tx
    )
  }

  /** The transaction path over a synchronous view of the runtime (the real one, or answers fetched ahead). */
  private submitWith(wire: Uint8Array, sync: NonNullable<Svm["sync"]>, decoded?: ReturnType<typeof decodeTransaction>): TxRecord {
    const tx = decoded ?? decodeTransaction(wire)
    const m = tx.message
    const signature = fastBase58(tx.signatures[0] ?? new Uint8Array(64))
    const ops: OpKind[] = []
    const programs: string[] = []
    for (const ix of m.instructions) {
      const program = m.staticKeys[ix.programIdIndex]
      if (program !== undefined && equal(program, this.programId)) {
        programs.push("dotdns")
        const kind = KIND_OF_TAG.get(ix.data[0] ?? 255)
        if (kind !== undefined) ops.push(kind)
      } else programs.push(program !== undefined && equal(program, ED25519_PROGRAM_ID) ? "ed25519" : toBase58(program ?? new Uint8Array(32)))
    }
    const payer = m.staticKeys[0]!
    const slot = this.slot
    const seen = this.ledger.get(signature)
    let record: TxRecord
    if (seen !== undefined) {
      record = { signature, slot, payer, ops, programs, outcome: { ok: false, err: "AlreadyProcessed", message: "This transaction has already been processed", cu: 0n, logs: [] }, duplicate: true, size: wire.length, writes: [] }
    } else {
      // Plain wallets (system-owned, no data) only change lamports, which nobody diffs: they are
      // forgotten and read again when someone asks. Every other writable account is read before and
      // after, for the observer's diff.
      const tracked: { address: Uint8Array; key: string; before: SvmAccount | undefined }[] = []
      const wallets: string[] = []
      for (let i = 0; i < m.staticKeys.length; i++) {
        if (!isStaticWritable(m.header, m.staticKeys.length, i)) continue
        const a = m.staticKeys[i]!
        const k = keyOf(a)
        if (this.wallets.has(k)) {
          wallets.push(k)
          continue
        }
        const hit = this.mirror.get(k)
        const b = hit === undefined ? this.remember(a, sync.account(a)) : (hit ?? undefined)
        if (b !== undefined && b.data.length === 0 && b.owner.every((x) => x === 0)) {
          this.wallets.add(k)
          wallets.push(k)
          continue
        }
        tracked.push({ address: a, key: k, before: b })
      }
      const outcome = sync.send(wire)
      for (const k of wallets) this.mirror.delete(k)
      const writes: AccountWrite[] = tracked.map((t) => ({ address: t.address, before: t.before, after: this.remember(t.address, sync.account(t.address), t.key) }))
      record = { signature, slot, payer, ops, programs, outcome, duplicate: false, size: wire.length, writes }
      // A transaction the runtime refused before execution (stale blockhash, bad signature) never
      // landed. The ledger keeps what status queries need, not the account snapshots.
      const landed = outcome.ok || typeof outcome.err !== "string" || outcome.err === "InsufficientFundsForRent"
      if (landed) this.ledger.set(signature, { ...record, writes: [] })
      this.txCount++
    }
    for (const l of this.listeners) l(record)
    return record
  }

  /**
   * Builds, signs and submits an op. The payer signs; so must `signers` for every other key the op
   * needs — an actor can only sign with keys it holds (a missing one throws before anything is sent).
   */
  async sendOp(op: Op, payer: Keypair, signers: readonly Keypair[] = []): Promise<TxRecord> {
    const built = buildOp(op, { programId: this.programId, payer: payer.publicKey, slot: this.slot, view: this })
    const extra = new Map(signers.map((k) => [keyOf(k.publicKey), k]))
    const blockhash = await this.svm.latestBlockhash()
    const tx = signTransaction(payer, built.instructions, blockhash, (pk) => extra.get(keyOf(pk)))
    return this.submit(tx.wire)
  }

  async close(): Promise<void> {
    await this.svm.close()
  }
}
