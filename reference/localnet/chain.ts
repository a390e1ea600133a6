/**
 * One Solana chain in one process: LiteSVM holds accounts and executes, this class adds what a
 * validator has and LiteSVM lacks — a slot clock, a queue of recent blockhashes, signature and
 * duplicate checks, a transaction ledger, a faucet, and change events for PubSub.
 *
 * Everything is synchronous: LiteSVM is, and keeping it so means two RPC calls never interleave
 * inside a transaction.
 */
import { randomBytes } from "node:crypto"
import { getTransactionDecoder, lamports as toLamports, type Address, type Transaction } from "@solana/kit"
import { Clock, EpochSchedule, FailedTransactionMetadata, LiteSVM, type TransactionMetadata } from "litesvm"
import { keypairFromSeed, sha256, verifySignature, type Ed25519Keypair } from "./ed25519.ts"
import { base58Decode, base58Encode, bytesEqual, readU32le, readU64le, u64le } from "./encoding.ts"
import { computeBudgetOf, feeForMessage } from "./fees.ts"
import { TransactionHistory, type InnerInstructionRecord, type TransactionRecord } from "./history.ts"
import { invalidParams } from "./rpc-errors.ts"
import { namedError, renderTransactionError, type RenderedError, type TransactionErrorJson } from "./transaction-error.ts"
import {
  ADDRESS_LOOKUP_TABLE_PROGRAM,
  BPF_LOADER_1,
  BPF_LOADER_2,
  BPF_LOADER_UPGRADEABLE,
  FEATURE_OWNER,
  MAX_ACCOUNTS_PER_TRANSACTION,
  MAX_PROCESSING_AGE,
  MAX_SLOT_HASHES,
  MEMO_V1,
  MEMO_V2,
  MIN_SLOTS_PER_EPOCH,
  NATIVE_LOADER,
  RESERVED_KEYS,
  SYSTEM_PROGRAM,
  SYSVAR_OWNER,
  U64_MAX
} from "./well-known.ts"
import {
  MAX_TRANSACTION_BYTES,
  WireFormatError,
  decodeMessage,
  decodeTransaction,
  isSanitary,
  isStaticWritable,
  messageIsSanitary,
  signatureOf,
  withRecentBlockhash,
  type DecodedMessage,
  type DecodedTransaction
} from "./wire-transaction.ts"

export interface AccountState {
  readonly address: string
  readonly lamports: bigint
  readonly owner: string
  readonly executable: boolean
  readonly data: Uint8Array
}

export interface ChainGenesis {
  readonly genesisHash: string
  readonly slot: number
  readonly unixTimestamp: number
  readonly accounts: readonly AccountState[]
}

export interface ChainOptions {
  readonly slotsPerEpoch: number
  /** Used to move the clock's unix_timestamp forward on warps; 0 (manual slots) counts as 400 ms. */
  readonly slotTimeMs: number
  readonly faucetLamports: bigint
  readonly historyLimit: number
  readonly genesis?: ChainGenesis
  readonly log?: (line: string) => void
}

export interface SlotEvent {
  readonly slot: number
  readonly parent: number
  readonly root: number
}

export interface ChainEventMap {
  readonly slot: SlotEvent
  readonly received: string
  readonly transaction: TransactionRecord
  readonly accounts: { readonly slot: number; readonly addresses: readonly string[] }
}

type Listener<T> = (value: T) => void

export interface Prepared {
  readonly tx: DecodedTransaction
  readonly signature: string
  readonly accountKeys: readonly string[]
  readonly loadedAddresses: { readonly writable: readonly string[]; readonly readonly: readonly string[] }
  readonly writableKeys: readonly string[]
}

export interface Simulation {
  readonly err: TransactionErrorJson | null
  readonly errMessage: string | null
  readonly logs: readonly string[]
  readonly unitsConsumed: bigint
  readonly returnData: TransactionRecord["returnData"]
  readonly innerInstructions: readonly (readonly InnerInstructionRecord[])[]
  readonly accountKeys: readonly string[]
  /** Post-execution state of the transaction's writable accounts (empty when it failed). */
  readonly postAccounts: ReadonlyMap<string, AccountState | null>
  readonly fee: bigint
  readonly loadedAccountsDataSize: number
  readonly replacementBlockhash: { readonly blockhash: string; readonly lastValidBlockHeight: number } | null
}

export type SendOutcome =
  | { readonly kind: "accepted"; readonly signature: string; readonly record: TransactionRecord | undefined }
  | { readonly kind: "badSignature"; readonly signature: string }
  | { readonly kind: "preflightFailed"; readonly signature: string; readonly simulation: Simulation }

const FAUCET_SEED = sha256(new TextEncoder().encode("dotdns localnet faucet v1"))
const IDENTITY_SEED = sha256(new TextEncoder().encode("dotdns localnet identity v1"))
const BLOCKHASH_DOMAIN = new TextEncoder().encode("dotdns localnet blockhash v1")
const transactionDecoder = getTransactionDecoder()

const asAddress = (text: string): Address => text as Address

const u8Chunk = (n: number): Uint8Array => Uint8Array.of(n)

const shortVec = (n: number): Uint8Array => {
  const out: number[] = []
  let v = n
  for (;;) {
    const b = v & 0x7f
    v >>= 7
    if (v === 0) {
      out.push(b)
      return Uint8Array.from(out)
    }
    out.push(b | 0x80)
  }
}

const concat = (parts: readonly Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

export class LocalChain {
  readonly svm: LiteSVM
  readonly genesisHash: string
  readonly slotsPerEpoch: number
  readonly history: TransactionHistory
  readonly faucetAddress: string
  /** What getIdentity reports: a fixed key, since no validator identity signs anything here. */
  readonly identity = base58Encode(keypairFromSeed(IDENTITY_SEED).publicKey)
  /** Addresses any write went to; the snapshot walks these because LiteSVM cannot list accounts. */
  readonly touched = new Set<string>()
  readonly preloadedPrograms = new Set<string>()
  /** LiteSVM's bundled programs and their data accounts: present in every fresh instance, never snapshotted. */
  private readonly genesisPrograms = new Set<string>()

  private readonly faucet: Ed25519Keypair
  private readonly slotTimeMs: number
  private readonly log: (line: string) => void
  private readonly listeners: { [K in keyof ChainEventMap]: Set<Listener<ChainEventMap[K]>> } = {
    slot: new Set(),
    received: new Set(),
    transaction: new Set(),
    accounts: new Set()
  }
  private currentSlot = 0
  private latest: { blockhash: string; bytes: Uint8Array } = { blockhash: "", bytes: new Uint8Array(32) }
  /** blockhash → block height it was produced at, oldest first. */
  private readonly blockhashes = new Map<string, number>()
  private slotHashes: { slot: bigint; hash: string }[] = []
  /** Unix timestamps of produced blocks, bounded, for getBlockTime and getTransaction.blockTime. */
  private readonly blockTimes = new Map<number, number>()
  private timeOffsetMs = 0
  private lastUnixTimestamp = 0
  private epochStartTimestamp = 0
  private readonly feesBySlot = new Map<number, { min: bigint; byAccount: Map<string, bigint> }>()
  private airdropNonce = 0

  constructor(options: ChainOptions) {
    if (!Number.isSafeInteger(options.slotsPerEpoch) || options.slotsPerEpoch < MIN_SLOTS_PER_EPOCH) {
      throw new RangeError(`slotsPerEpoch must be an integer ≥ ${MIN_SLOTS_PER_EPOCH}`)
    }
    this.slotsPerEpoch = options.slotsPerEpoch
    this.slotTimeMs = options.slotTimeMs > 0 ? options.slotTimeMs : 400
    this.history = new TransactionHistory(options.historyLimit)
    this.log = options.log ?? (() => {})
    // Signature, blockhash and duplicate checks are done here (see send/simulate), so LiteSVM's own
    // are off: its blockhash check only knows the single latest hash, and its history only matters
    // with sigverify on.
    this.svm = new LiteSVM().withSigverify(false).withBlockhashCheck(false).withTransactionHistory(0n)
    this.svm.setEpochSchedule(new EpochSchedule(BigInt(this.slotsPerEpoch), BigInt(this.slotsPerEpoch), false, 0n, 0n))
    for (const loader of [BPF_LOADER_1, BPF_LOADER_2, BPF_LOADER_UPGRADEABLE]) {
      for (const a of this.svm.getProgramAccounts(asAddress(loader))) this.genesisPrograms.add(a.address)
    }
    this.faucet = keypairFromSeed(FAUCET_SEED)
    this.faucetAddress = base58Encode(this.faucet.publicKey)

    const genesis = options.genesis
    if (genesis === undefined) {
      this.genesisHash = base58Encode(randomBytes(32))
      this.lastUnixTimestamp = Math.floor(Date.now() / 1000)
      this.produceBlock(0, this.lastUnixTimestamp)
      this.writeAccount({ address: this.faucetAddress, lamports: options.faucetLamports, owner: SYSTEM_PROGRAM, executable: false, data: new Uint8Array() })
    } else {
      this.genesisHash = genesis.genesisHash
      this.lastUnixTimestamp = genesis.unixTimestamp
      this.timeOffsetMs = Math.max(0, genesis.unixTimestamp * 1000 - Date.now())
      this.currentSlot = genesis.slot
      this.restoreAccounts(genesis.accounts)
      this.produceBlock(genesis.slot + 1)
    }
  }

  on<K extends keyof ChainEventMap>(event: K, listener: Listener<ChainEventMap[K]>): () => void {
    const set: Set<Listener<ChainEventMap[K]>> = this.listeners[event]
    set.add(listener)
    return () => set.delete(listener)
  }

  private emit<K extends keyof ChainEventMap>(event: K, value: ChainEventMap[K]): void {
    const set: Set<Listener<ChainEventMap[K]>> = this.listeners[event]
    for (const listener of set) {
      try {
        listener(value)
      } catch (e) {
        this.log(`listener for ${event} failed: ${String(e)}`)
      }
    }
  }

  // ---------------------------------------------------------------- clock and blockhashes

  get slot(): number {
    return this.currentSlot
  }

  /** Every slot is a produced block here (no leader schedule, no skips), so height equals slot. */
  get blockHeight(): number {
    return this.currentSlot
  }

  get epoch(): number {
    return Math.floor(this.currentSlot / this.slotsPerEpoch)
  }

  get unixTimestamp(): number {
    return this.lastUnixTimestamp
  }

  get latestBlockhash(): { readonly blockhash: string; readonly lastValidBlockHeight: number } {
    return { blockhash: this.latest.blockhash, lastValidBlockHeight: this.blockHeight + MAX_PROCESSING_AGE }
  }

  isBlockhashValid(blockhash: string): boolean {
    const height = this.blockhashes.get(blockhash)
    return height !== undefined && this.blockHeight - height <= MAX_PROCESSING_AGE
  }

  blockTime(slot: number): number | undefined {
    return this.blockTimes.get(slot)
  }

  /** Called by the slot timer. */
  advanceSlot(): void {
    this.produceBlock(this.currentSlot + 1)
  }

  /**
   * Jumps to `slot` as one new block. Block height follows the slot, so a warp past 150 slots
   * expires every earlier blockhash, as waiting that long would.
   */
  warpToSlot(slot: number, unixTimestamp?: number): void {
    if (!Number.isSafeInteger(slot) || slot <= this.currentSlot) throw invalidParams(`Invalid param: slot must be greater than the current slot ${this.currentSlot}`)
    if (unixTimestamp !== undefined && unixTimestamp < this.lastUnixTimestamp) {
      throw invalidParams(`Invalid param: unixTimestamp must not go back (current ${this.lastUnixTimestamp})`)
    }
    if (unixTimestamp === undefined) this.timeOffsetMs += (slot - this.currentSlot) * this.slotTimeMs
    else this.timeOffsetMs += Math.max(0, unixTimestamp * 1000 - (Date.now() + this.timeOffsetMs))
    this.produceBlock(slot, unixTimestamp)
  }

  firstSlotOfEpoch(epoch: number): number {
    return epoch * this.slotsPerEpoch
  }

  private blockhashForSlot(slot: number): Uint8Array {
    return sha256(BLOCKHASH_DOMAIN, base58Decode(this.genesisHash) ?? new Uint8Array(), u64le(slot))
  }

  private produceBlock(slot: number, unixTimestamp?: number): void {
    const parent = this.currentSlot
    const previous = this.latest
    this.currentSlot = slot
    const unix = Math.max(this.lastUnixTimestamp, unixTimestamp ?? Math.floor((Date.now() + this.timeOffsetMs) / 1000))
    this.lastUnixTimestamp = unix

    const bytes = this.blockhashForSlot(slot)
    this.latest = { blockhash: base58Encode(bytes), bytes }
    this.blockhashes.set(this.latest.blockhash, slot)
    for (const [hash, height] of this.blockhashes) {
      if (slot - height <= MAX_PROCESSING_AGE) break
      this.blockhashes.delete(hash)
    }
    this.blockTimes.set(slot, unix)
    if (this.blockTimes.size > 100_000) {
      const oldest = this.blockTimes.keys().next()
      if (oldest.done !== true) this.blockTimes.delete(oldest.value)
    }
    for (const s of this.feesBySlot.keys()) if (slot - s >= MAX_PROCESSING_AGE) this.feesBySlot.delete(s)

    const epoch = Math.floor(slot / this.slotsPerEpoch)
    if (slot === 0 || epoch !== Math.floor(parent / this.slotsPerEpoch)) this.epochStartTimestamp = unix
    this.svm.setClock(new Clock(BigInt(slot), BigInt(this.epochStartTimestamp), BigInt(epoch), BigInt(epoch + 1), BigInt(unix)))
    if (previous.blockhash !== "") {
      this.slotHashes.unshift({ slot: BigInt(parent), hash: previous.blockhash })
      if (this.slotHashes.length > MAX_SLOT_HASHES) this.slotHashes.length = MAX_SLOT_HASHES
      this.svm.setSlotHashes(this.slotHashes)
    }
    if (previous.blockhash !== "") this.emit("slot", { slot, parent, root: slot })
  }

  // ---------------------------------------------------------------- accounts

  getAccount(address: string): AccountState | null {
    const a = this.svm.getAccount(asAddress(address))
    if (!a.exists || a.lamports === 0n) return null
    return { address, lamports: a.lamports, owner: a.programAddress, executable: a.executable, data: new Uint8Array(a.data) }
  }

  getBalance(address: string): bigint {
    return this.svm.getBalance(asAddress(address)) ?? 0n
  }

  getProgramAccounts(owner: string): AccountState[] {
    return this.svm
      .getProgramAccounts(asAddress(owner))
      .filter((a) => a.lamports > 0n)
      .map((a) => ({ address: a.address, lamports: a.lamports, owner: a.programAddress, executable: a.executable, data: new Uint8Array(a.data) }))
  }

  private writeAccount(state: AccountState): void {
    this.svm.setAccount({
      address: asAddress(state.address),
      lamports: toLamports(state.lamports),
      programAddress: asAddress(state.owner),
      executable: state.executable,
      data: state.data,
      space: BigInt(state.data.length)
    })
    this.touched.add(state.address)
  }

  /** Overwrites an account outside any transaction (dev method / tests) and tells subscribers. */
  setAccount(state: AccountState): void {
    this.writeAccount(state)
    this.emit("accounts", { slot: this.currentSlot, addresses: [state.address] })
  }

  addProgram(programId: string, soPath: string): void {
    try {
      this.svm.addProgramFromFile(asAddress(programId), soPath)
    } catch (e) {
      throw new Error(`cannot load program ${programId} from ${soPath}: ${e instanceof Error ? e.message : String(e)}`)
    }
    this.preloadedPrograms.add(programId)
  }

  private restoreAccounts(accounts: readonly AccountState[]): void {
    // Program accounts last: LiteSVM loads an executable into its cache on write, and an upgradeable
    // program needs its programdata account present by then.
    const ordered = [...accounts].sort((a, b) => Number(a.executable) - Number(b.executable))
    for (const a of ordered) {
      try {
        this.writeAccount(a)
      } catch (e) {
        this.log(`snapshot: could not restore ${a.address}: ${String(e)}`)
      }
    }
  }

  /** Accounts a snapshot must keep: everything written except builtins, sysvars and preloaded programs. */
  exportAccounts(): AccountState[] {
    const out: AccountState[] = []
    for (const address of this.touched) {
      if (this.preloadedPrograms.has(address) || this.genesisPrograms.has(address)) continue
      const a = this.getAccount(address)
      if (a === null) continue
      if (a.owner === NATIVE_LOADER || a.owner === SYSVAR_OWNER || a.owner === FEATURE_OWNER) continue
      out.push(a)
    }
    return out
  }

  // ---------------------------------------------------------------- transactions

  /** Decodes, sanitizes and resolves lookup tables; throws -32602 the way Solana's RPC does. */
  prepare(raw: Uint8Array): Prepared {
    if (raw.length > MAX_TRANSACTION_BYTES) {
      throw invalidParams(`decoded solana_transaction::versioned::VersionedTransaction too large: ${raw.length} bytes (max: ${MAX_TRANSACTION_BYTES} bytes)`)
    }
    let tx: DecodedTransaction
    try {
      tx = decodeTransaction(raw)
    } catch (e) {
      if (e instanceof WireFormatError) throw invalidParams(`failed to deserialize solana_transaction::versioned::VersionedTransaction: ${e.message}`)
      throw e
    }
    if (!isSanitary(tx)) throw invalidParams("invalid transaction: Transaction failed to sanitize accounts offsets correctly")
    const keys = this.resolveKeys(tx.message)
    if ("error" in keys) throw invalidParams(`invalid transaction: ${keys.error.message}`)
    return { tx, signature: signatureOf(tx), ...keys }
  }

  private resolveKeys(
    m: DecodedMessage
  ): Omit<Prepared, "tx" | "signature"> | { readonly error: RenderedError } {
    const staticKeys = m.staticKeys.map(base58Encode)
    const writable: string[] = []
    const readonly: string[] = []
    for (const lookup of m.lookups) {
      const table = this.lookupTable(base58Encode(lookup.accountKey))
      if ("error" in table) return table
      for (const list of [lookup.writableIndexes, lookup.readonlyIndexes]) {
        for (const i of list) {
          const addr = table.addresses[i]
          if (addr === undefined) return { error: namedError("InvalidAddressLookupTableIndex") }
          ;(list === lookup.writableIndexes ? writable : readonly).push(addr)
        }
      }
    }
    const accountKeys = [...staticKeys, ...writable, ...readonly]
    if (new Set(accountKeys).size !== accountKeys.length) return { error: namedError("AccountLoadedTwice") }
    if (accountKeys.length > MAX_ACCOUNTS_PER_TRANSACTION) return { error: namedError("TooManyAccountLocks") }

    const programIndexes = new Set(m.instructions.map((ix) => ix.programIdIndex))
    const upgradeableLoaderPresent = accountKeys.includes(BPF_LOADER_UPGRADEABLE)
    const writableKeys = accountKeys.filter((key, i) => {
      const byPosition = i < staticKeys.length ? isStaticWritable(m.header, staticKeys.length, i) : i < staticKeys.length + writable.length
      if (!byPosition || RESERVED_KEYS.has(key)) return false
      return !(programIndexes.has(i) && !upgradeableLoaderPresent)
    })
    return { accountKeys, loadedAddresses: { writable, readonly }, writableKeys }
  }

  private lookupTable(address: string): { readonly addresses: readonly string[] } | { readonly error: RenderedError } {
    const account = this.getAccount(address)
    if (account === null) return { error: namedError("AddressLookupTableNotFound") }
    if (account.owner !== ADDRESS_LOOKUP_TABLE_PROGRAM) return { error: namedError("InvalidAddressLookupTableOwner") }
    const d = account.data
    const META = 56
    if (d.length < META || (d.length - META) % 32 !== 0 || readU32le(d, 0) !== 1) return { error: namedError("InvalidAddressLookupTableData") }
    const deactivationSlot = readU64le(d, 4)
    if (deactivationSlot !== U64_MAX && BigInt(this.currentSlot) - deactivationSlot >= BigInt(MAX_SLOT_HASHES)) {
      return { error: namedError("AddressLookupTableNotFound") }
    }
    const lastExtendedSlot = readU64le(d, 12)
    const total = (d.length - META) / 32
    // Addresses appended in the current slot only become usable in the next one.
    const active = BigInt(this.currentSlot) > lastExtendedSlot ? total : Math.min(total, d[20]!)
    const addresses: string[] = []
    for (let i = 0; i < active; i++) addresses.push(base58Encode(d.subarray(META + i * 32, META + (i + 1) * 32)))
    return { addresses }
  }

  verifySignatures(tx: DecodedTransaction): boolean {
    return tx.signatures.every((sig, i) => {
      const key = tx.message.staticKeys[i]
      return key !== undefined && verifySignature(key, tx.message.bytes, sig)
    })
  }

  /** Recent blockhash still valid, or a durable nonce transaction whose nonce matches. */
  private ageIsValid(p: Prepared): boolean {
    return this.isBlockhashValid(base58Encode(p.tx.message.recentBlockhash)) || this.durableNonceMatches(p)
  }

  private durableNonceMatches(p: Prepared): boolean {
    const m = p.tx.message
    const ix = m.instructions[0]
    if (ix === undefined || p.accountKeys[ix.programIdIndex] !== SYSTEM_PROGRAM) return false
    if (ix.data.length < 4 || readU32le(ix.data, 0) !== 4) return false
    const nonceAddress = ix.accounts[0] === undefined ? undefined : p.accountKeys[ix.accounts[0]]
    if (nonceAddress === undefined || !p.writableKeys.includes(nonceAddress)) return false
    const nonce = this.getAccount(nonceAddress)
    if (nonce === null || nonce.owner !== SYSTEM_PROGRAM || nonce.data.length !== 80 || readU32le(nonce.data, 4) !== 1) return false
    const authority = base58Encode(nonce.data.subarray(8, 40))
    const signers = p.accountKeys.slice(0, m.header.numRequiredSignatures)
    return signers.includes(authority) && bytesEqual(nonce.data.subarray(40, 72), m.recentBlockhash)
  }

  private kitTransaction(bytes: Uint8Array): Transaction {
    return transactionDecoder.decode(bytes)
  }

  private preflightChecks(p: Prepared): RenderedError | undefined {
    if (this.history.get(p.signature) !== undefined) return namedError("AlreadyProcessed")
    if (!this.ageIsValid(p)) return namedError("BlockhashNotFound")
    return undefined
  }

  /**
   * Executes without committing. `replaceRecentBlockhash` swaps in the latest blockhash first, so
   * the result describes the same instructions as if sent now.
   */
  simulate(p: Prepared, options: { readonly replaceRecentBlockhash: boolean }): Simulation {
    let prepared = p
    let replacementBlockhash: Simulation["replacementBlockhash"] = null
    if (options.replaceRecentBlockhash) {
      const bytes = withRecentBlockhash(p.tx, this.latest.bytes)
      prepared = { ...p, tx: decodeTransaction(bytes) }
      replacementBlockhash = this.latestBlockhash
    }
    const early = this.preflightChecks(prepared)
    const fee = feeForMessage(prepared.tx.message)
    if (early !== undefined) {
      return {
        err: early.json,
        errMessage: early.message,
        logs: [],
        unitsConsumed: 0n,
        returnData: null,
        innerInstructions: [],
        accountKeys: prepared.accountKeys,
        postAccounts: new Map(),
        fee,
        loadedAccountsDataSize: 0,
        replacementBlockhash
      }
    }
    const result = this.svm.simulateTransaction(this.kitTransaction(prepared.tx.bytes))
    const failed = result instanceof FailedTransactionMetadata
    const meta = result.meta()
    const postAccounts = new Map<string, AccountState | null>()
    if (!failed) {
      for (const a of result.postAccounts()) {
        postAccounts.set(a.address, a.lamports === 0n ? null : { address: a.address, lamports: a.lamports, owner: a.programAddress, executable: a.executable, data: new Uint8Array(a.data) })
      }
    }
    const rendered = failed ? renderTransactionError(result) : undefined
    return {
      err: rendered?.json ?? null,
      errMessage: rendered?.message ?? null,
      logs: meta.logs(),
      unitsConsumed: meta.computeUnitsConsumed(),
      returnData: returnDataOf(meta),
      innerInstructions: innerInstructionsOf(meta),
      accountKeys: prepared.accountKeys,
      postAccounts,
      fee,
      loadedAccountsDataSize: this.loadedDataSize(prepared),
      replacementBlockhash
    }
  }

  private loadedDataSize(p: Prepared): number {
    // Solana counts 64 bytes of overhead per loaded account plus its data; close enough for a hint.
    let total = p.tx.message.lookups.length * 8248
    for (const key of p.accountKeys) total += 64 + (this.getAccount(key)?.data.length ?? 0)
    return total
  }

  /**
   * sendTransaction. With preflight: signatures, then a simulation whose failure is reported and
   * nothing is committed. Without: what a validator does with an unsimulated transaction — a bad
   * signature, stale blockhash or duplicate is silently dropped, anything else lands (failed
   * transactions included, paying their fee).
   */
  send(raw: Uint8Array, options: { readonly skipPreflight: boolean }): SendOutcome {
    const p = this.prepare(raw)
    if (!this.verifySignatures(p.tx)) return { kind: "badSignature", signature: p.signature }
    if (!options.skipPreflight) {
      const simulation = this.simulate(p, { replaceRecentBlockhash: false })
      if (simulation.err !== null) return { kind: "preflightFailed", signature: p.signature, simulation }
    } else if (this.preflightChecks(p) !== undefined) {
      return { kind: "accepted", signature: p.signature, record: undefined }
    }
    // "Received" means handed to the leader, which only happens to transactions that got this far.
    this.emit("received", p.signature)
    return { kind: "accepted", signature: p.signature, record: this.execute(p) }
  }

  private execute(p: Prepared): TransactionRecord | undefined {
    const pre = p.accountKeys.map((k) => this.getBalance(k))
    const result = this.svm.sendTransaction(this.kitTransaction(p.tx.bytes))
    const post = p.accountKeys.map((k) => this.getBalance(k))
    const failed = result instanceof FailedTransactionMetadata
    // LiteSVM drops a transaction that fails before execution (unpayable fee, missing program) and
    // charges the fee of one that fails during it; only the latter changes the payer's balance.
    if (failed && post[0]! >= pre[0]!) return undefined
    const meta = failed ? result.meta() : result
    const rendered = failed ? renderTransactionError(result) : undefined
    const sum = (xs: readonly bigint[]): bigint => xs.reduce((a, b) => a + b, 0n)
    const fee = sum(pre) - sum(post)
    const record: TransactionRecord = {
      signature: p.signature,
      slot: this.currentSlot,
      blockTime: this.lastUnixTimestamp,
      tx: p.tx,
      accountKeys: p.accountKeys,
      loadedAddresses: p.loadedAddresses,
      err: rendered?.json ?? null,
      fee: fee < 0n ? 0n : fee,
      preBalances: pre,
      postBalances: post,
      logs: meta.logs(),
      innerInstructions: innerInstructionsOf(meta),
      computeUnitsConsumed: meta.computeUnitsConsumed(),
      returnData: returnDataOf(meta),
      computeUnitPrice: computeBudgetOf(p.tx.message).unitPrice,
      writableKeys: p.writableKeys,
      memo: memoOf(p)
    }
    this.history.add(record)
    for (const key of p.accountKeys) this.touched.add(key)
    this.recordPrioritizationFee(record)
    const written = failed ? [p.accountKeys[0]!] : p.writableKeys
    this.emit("transaction", record)
    this.emit("accounts", { slot: this.currentSlot, addresses: written })
    return record
  }

  private recordPrioritizationFee(r: TransactionRecord): void {
    let entry = this.feesBySlot.get(r.slot)
    if (entry === undefined) {
      entry = { min: r.computeUnitPrice, byAccount: new Map() }
      this.feesBySlot.set(r.slot, entry)
    }
    if (r.computeUnitPrice < entry.min) entry.min = r.computeUnitPrice
    for (const key of r.writableKeys) {
      const prev = entry.byAccount.get(key)
      if (prev === undefined || r.computeUnitPrice < prev) entry.byAccount.set(key, r.computeUnitPrice)
    }
  }

  /** Per recent slot: the lowest price that landed, raised to the lowest paid to lock any given account. */
  recentPrioritizationFees(accounts: readonly string[]): { slot: number; prioritizationFee: bigint }[] {
    const out: { slot: number; prioritizationFee: bigint }[] = []
    const from = Math.max(0, this.currentSlot - MAX_PROCESSING_AGE + 1)
    for (let slot = from; slot <= this.currentSlot; slot++) {
      if (!this.blockTimes.has(slot)) continue
      const entry = this.feesBySlot.get(slot)
      let fee = entry?.min ?? 0n
      for (const a of accounts) {
        const f = entry?.byAccount.get(a)
        if (f !== undefined && f > fee) fee = f
      }
      out.push({ slot, prioritizationFee: fee })
    }
    return out
  }

  /** getFeeForMessage: null when the blockhash is no longer valid, like Solana. */
  feeForMessage(messageBytes: Uint8Array): bigint | null {
    let m: DecodedMessage
    try {
      m = decodeMessage(messageBytes)
    } catch (e) {
      if (e instanceof WireFormatError) throw invalidParams(`failed to deserialize solana_message::versioned::VersionedMessage: ${e.message}`)
      throw e
    }
    if (!messageIsSanitary(m)) throw invalidParams("invalid transaction message: Transaction failed to sanitize accounts offsets correctly")
    if (!this.isBlockhashValid(base58Encode(m.recentBlockhash))) return null
    return feeForMessage(m)
  }

  /**
   * A System transfer signed by the faucet, through the same path as any transaction. Identical
   * requests within one slot would share a signature, so a repeated one gets a Memo to differ.
   */
  airdrop(to: string, lamports: bigint): SendOutcome {
    if (to === this.faucetAddress || to === SYSTEM_PROGRAM) throw invalidParams("Invalid param: cannot airdrop to the faucet or the System program")
    const toBytes = base58Decode(to)
    if (toBytes?.length !== 32) throw invalidParams("Invalid param: WrongSize")
    const transfer = concat([u8Chunk(2), new Uint8Array(3), u64le(lamports)])
    const build = (memo: Uint8Array | undefined): Uint8Array => {
      const keys = [this.faucet.publicKey, toBytes, new Uint8Array(32), ...(memo === undefined ? [] : [base58Decode(MEMO_V2)!])]
      const ixs = [concat([u8Chunk(2), shortVec(2), Uint8Array.of(0, 1), shortVec(transfer.length), transfer])]
      if (memo !== undefined) ixs.push(concat([u8Chunk(3), shortVec(0), shortVec(memo.length), memo]))
      const message = concat([Uint8Array.of(1, 0, keys.length - 2), shortVec(keys.length), ...keys, this.latest.bytes, shortVec(ixs.length), ...ixs])
      return concat([shortVec(1), this.faucet.sign(message), message])
    }
    let raw = build(undefined)
    if (this.history.get(signatureOf(decodeTransaction(raw))) !== undefined) {
      raw = build(new TextEncoder().encode(`dotdns localnet airdrop ${++this.airdropNonce}`))
    }
    return this.send(raw, { skipPreflight: false })
  }
}

const returnDataOf = (meta: TransactionMetadata): TransactionRecord["returnData"] => {
  const rd = meta.returnData()
  const data = rd.data()
  return data.length === 0 ? null : { programId: base58Encode(rd.programId()), data: new Uint8Array(data) }
}

const innerInstructionsOf = (meta: TransactionMetadata): InnerInstructionRecord[][] =>
  meta.innerInstructions().map((list) =>
    list.map((inner) => {
      const ix = inner.instruction()
      return { programIdIndex: ix.programIdIndex(), accounts: new Uint8Array(ix.accounts()), data: new Uint8Array(ix.data()), stackHeight: inner.stackHeight() }
    })
  )

/** getSignaturesForAddress's `memo`: Solana joins every memo instruction as "[len] text". */
const memoOf = (p: Prepared): string | null => {
  const memos: string[] = []
  for (const ix of p.tx.message.instructions) {
    const program = p.accountKeys[ix.programIdIndex]
    if (program !== MEMO_V1 && program !== MEMO_V2) continue
    memos.push(`[${ix.data.length}] ${new TextDecoder().decode(ix.data)}`)
  }
  return memos.length === 0 ? null : memos.join("; ")
}
