/**
 * Deploying and upgrading an SBF program through the BPF upgradeable loader over JSON-RPC, as
 * `solana program deploy` does: a buffer account is created and filled by `Write` instructions sized to
 * fit the 1232-byte transaction limit, then `DeployWithMaxDataLen` (or `Upgrade`) moves it into the
 * program's ProgramData account. The upgrade authority is the deployer unless another key is named;
 * a public key without its secret receives the authority by `SetAuthority` after the deployment.
 */
import { equal } from "../../spec/src/bytes.ts"
import type { Keypair } from "../../spec/src/ed25519.ts"
import { fromBase58, toBase58 } from "../client/base58.ts"
import { signTransaction, type Instruction } from "../client/message.ts"
import { generateKeypair } from "./keypair.ts"
import {
  BUFFER_METADATA, createAccount, deployWithMaxDataLen, initializeBuffer, LOADER_ID, PROGRAM_ACCOUNT_SIZE, PROGRAMDATA_METADATA,
  programDataAddress, programDataAuthority, setAuthority, upgrade, write
} from "./loader.ts"
import type { Rpc } from "./rpc.ts"

/** Solana's packet limit: a whole wire transaction. */
export const MAX_TRANSACTION_BYTES = 1232

export interface Tx {
  readonly ixs: readonly Instruction[]
  /** Signers besides the fee payer. */
  readonly signers: readonly Keypair[]
}

export interface SendOptions {
  /** Transactions in flight at once. Default 32. */
  readonly concurrency?: number
  /** How long a transaction may go unseen before it is signed again under a newer blockhash. Default 20 s. */
  readonly resendAfterMs?: number
  readonly attempts?: number
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Signs, sends and confirms independent transactions (a window of `concurrency` at a time); each that
 * does not show up in time is re-signed under a newer blockhash. Throws on the first one that fails.
 * Returns their signatures and the highest slot they landed in.
 */
export const sendAndConfirm = async (rpc: Rpc, payer: Keypair, txs: readonly Tx[], opts: SendOptions = {}): Promise<{ signatures: string[]; slot: number }> => {
  const concurrency = opts.concurrency ?? 32
  const signatures: string[] = []
  let slot = 0
  for (let from = 0; from < txs.length; from += concurrency) {
    const batch = txs.slice(from, from + concurrency)
    let pending = batch.map((tx, i) => ({ tx, i: from + i, signature: "" }))
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > (opts.attempts ?? 5)) throw new Error(`${pending.length} transactions did not land after ${attempt - 1} attempts`)
      const blockhash = fromBase58(await rpc.latestBlockhash())
      await Promise.all(
        pending.map(async (p) => {
          const keyring = (pk: Uint8Array) => p.tx.signers.find((k) => equal(k.publicKey, pk))
          p.signature = await rpc.send(signTransaction(payer, p.tx.ixs, blockhash, keyring).wire)
        })
      )
      const deadline = Date.now() + (opts.resendAfterMs ?? 20_000)
      while (pending.length > 0 && Date.now() < deadline) {
        const st = await rpc.statuses(pending.map((p) => p.signature))
        const left: typeof pending = []
        pending.forEach((p, k) => {
          const s = st[k]
          if (s === null || s === undefined || s.confirmationStatus === "processed" || s.confirmationStatus === null) return void left.push(p)
          if (s.err !== null) throw new Error(`transaction ${p.signature} failed: ${JSON.stringify(s.err)}`)
          signatures[p.i] = p.signature
          slot = Math.max(slot, s.slot)
        })
        pending = left
        if (pending.length > 0) await sleep(250)
      }
    }
  }
  return { signatures, slot }
}

/** The largest `Write` chunk whose transaction fits 1232 bytes (with the buffer authority's signature too when it is not the payer). */
export const writeChunkSize = (payer: Keypair, authority: Keypair): number => {
  const probe = 900
  const zero = new Uint8Array(32)
  const ix = write(zero.map((_, i) => i + 1), authority.publicKey, 0, new Uint8Array(probe))
  const wire = signTransaction(payer, [ix], zero, () => authority).wire
  return probe + MAX_TRANSACTION_BYTES - wire.length
}

export interface BufferResult {
  readonly buffer: Uint8Array
  readonly writes: number
  readonly chunk: number
}

/** Creates a buffer owned by `authority` and writes the program into it. */
export const writeBuffer = async (rpc: Rpc, payer: Keypair, authority: Keypair, so: Uint8Array, log: (s: string) => void, send: SendOptions = {}): Promise<BufferResult> => {
  const buffer = generateKeypair()
  const size = BUFFER_METADATA + so.length
  await sendAndConfirm(rpc, payer, [{
    ixs: [createAccount(payer.publicKey, buffer.publicKey, await rpc.rentExempt(size), size, LOADER_ID), initializeBuffer(buffer.publicKey, authority.publicKey)],
    signers: [buffer]
  }], send)
  const chunk = writeChunkSize(payer, authority)
  const txs: Tx[] = []
  for (let offset = 0; offset < so.length; offset += chunk)
    txs.push({ ixs: [write(buffer.publicKey, authority.publicKey, offset, so.subarray(offset, offset + chunk))], signers: [authority] })
  log(`buffer ${toBase58(buffer.publicKey)}: ${so.length} bytes in ${txs.length} writes of ≤ ${chunk}`)
  await sendAndConfirm(rpc, payer, txs, send)
  return { buffer: buffer.publicKey, writes: txs.length, chunk }
}

/** Waits until the chain is past `slot`: a program deployed in a slot runs from the next one. */
export const waitPastSlot = async (rpc: Rpc, slot: number, timeoutMs = 60_000): Promise<number> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const now = await rpc.slot()
    if (now > slot) return now
    if (Date.now() > deadline) throw new Error(`the chain stayed at slot ${now} (waiting for > ${slot})`)
    await sleep(100)
  }
}

/** The upgrade authority: a key that signs, a public key it is handed to after deploying, or none (immutable). */
export type AuthorityChoice = { readonly keypair: Keypair } | { readonly publicKey: Uint8Array } | { readonly none: true }

export interface DeployOptions {
  readonly rpc: Rpc
  /** Pays fees and rent; the buffer authority and upgrade authority unless told otherwise. */
  readonly payer: Keypair
  readonly so: Uint8Array
  /** The program's address keypair; a fresh one when absent. */
  readonly program?: Keypair
  readonly upgradeAuthority?: AuthorityChoice
  /** ProgramData capacity for later upgrades. Default: twice the program. */
  readonly maxDataLen?: number
  readonly log?: (line: string) => void
  readonly send?: SendOptions
}

export interface DeployResult {
  readonly programId: Uint8Array
  readonly programData: Uint8Array
  readonly upgradeAuthority: Uint8Array | null
  readonly buffer: Uint8Array
  readonly writes: number
  readonly chunk: number
  readonly maxDataLen: number
  readonly slot: number
  readonly signature: string
  /** Set when the program keypair was generated here. */
  readonly generatedProgram?: Keypair
}

export const deployProgram = async (o: DeployOptions): Promise<DeployResult> => {
  const log = o.log ?? (() => {})
  const { rpc, payer, so } = o
  const program = o.program ?? generateKeypair()
  const choice = o.upgradeAuthority ?? { keypair: payer }
  // Deploying needs the buffer authority = upgrade authority to sign; without its secret, the payer
  // deploys and hands the authority over afterwards.
  const signer = "keypair" in choice ? choice.keypair : payer
  const maxDataLen = o.maxDataLen ?? 2 * so.length
  if (maxDataLen < so.length) throw new Error(`--max-len ${maxDataLen} is below the program's ${so.length} bytes`)
  if (await rpc.account(program.publicKey)) throw new Error(`program account ${toBase58(program.publicKey)} exists already: use upgrade`)
  log(`deploying ${so.length} bytes as ${toBase58(program.publicKey)} (ProgramData capacity ${maxDataLen})`)
  const buf = await writeBuffer(rpc, payer, signer, so, log, o.send)
  const deployed = await sendAndConfirm(rpc, payer, [{
    ixs: [
      createAccount(payer.publicKey, program.publicKey, await rpc.rentExempt(PROGRAM_ACCOUNT_SIZE), PROGRAM_ACCOUNT_SIZE, LOADER_ID),
      deployWithMaxDataLen(payer.publicKey, program.publicKey, buf.buffer, signer.publicKey, maxDataLen)
    ],
    signers: [program, signer]
  }], o.send)
  let slot = deployed.slot
  let authority: Uint8Array | null = signer.publicKey
  if ("none" in choice || ("publicKey" in choice && !equal(choice.publicKey, signer.publicKey))) {
    authority = "none" in choice ? null : choice.publicKey
    const moved = await sendAndConfirm(rpc, payer, [{ ixs: [setAuthority(program.publicKey, signer.publicKey, authority)], signers: [signer] }], o.send)
    slot = Math.max(slot, moved.slot)
    log(authority === null ? "upgrade authority removed: the program is immutable" : `upgrade authority handed to ${toBase58(authority)}`)
  }
  await waitPastSlot(rpc, slot)
  const programData = programDataAddress(program.publicKey)
  const pd = await rpc.account(programData)
  if (pd === undefined) throw new Error(`ProgramData ${toBase58(programData)} is missing after the deployment`)
  const recorded = programDataAuthority(pd.data)
  if ((recorded === null) !== (authority === null) || (recorded !== null && authority !== null && !equal(recorded, authority)))
    throw new Error(`ProgramData records upgrade authority ${recorded === null ? "none" : toBase58(recorded)}`)
  return {
    programId: program.publicKey,
    programData,
    upgradeAuthority: authority,
    buffer: buf.buffer,
    writes: buf.writes,
    chunk: buf.chunk,
    maxDataLen,
    slot,
    signature: deployed.signatures[0]!,
    ...(o.program === undefined ? { generatedProgram: program } : {})
  }
}

export interface UpgradeOptions {
  readonly rpc: Rpc
  readonly payer: Keypair
  readonly programId: Uint8Array
  /** Signs the upgrade; the payer unless given. */
  readonly authority?: Keypair
  readonly so: Uint8Array
  readonly log?: (line: string) => void
  readonly send?: SendOptions
}

export interface UpgradeResult {
  readonly programId: Uint8Array
  readonly buffer: Uint8Array
  readonly writes: number
  readonly slot: number
  readonly signature: string
}

export const upgradeProgram = async (o: UpgradeOptions): Promise<UpgradeResult> => {
  const log = o.log ?? (() => {})
  const { rpc, payer, so, programId } = o
  const authority = o.authority ?? payer
  const programData = programDataAddress(programId)
  const pd = await rpc.account(programData)
  if (pd === undefined) throw new Error(`${toBase58(programId)} is not a program of the upgradeable loader (no ProgramData)`)
  const recorded = programDataAuthority(pd.data)
  if (recorded === null) throw new Error(`${toBase58(programId)} is immutable`)
  if (!equal(recorded, authority.publicKey)) throw new Error(`the upgrade authority is ${toBase58(recorded)}, not ${toBase58(authority.publicKey)}`)
  const capacity = pd.data.length - PROGRAMDATA_METADATA
  if (so.length > capacity) throw new Error(`the program (${so.length} bytes) exceeds ProgramData's capacity of ${capacity} bytes`)
  log(`upgrading ${toBase58(programId)} to ${so.length} bytes`)
  const buf = await writeBuffer(rpc, payer, authority, so, log, o.send)
  const done = await sendAndConfirm(rpc, payer, [{ ixs: [upgrade(programId, buf.buffer, payer.publicKey, authority.publicKey)], signers: [authority] }], o.send)
  await waitPastSlot(rpc, done.slot)
  return { programId, buffer: buf.buffer, writes: buf.writes, slot: done.slot, signature: done.signatures[0]! }
}
