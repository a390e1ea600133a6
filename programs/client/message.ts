/**
 * Legacy transaction messages, compiled and signed here with node:crypto so that the same bytes go to
 * LiteSVM, bankrun and any JSON-RPC endpoint, and a test can run thousands of them quickly.
 */
import { equal } from "../../spec/src/bytes.ts"
import { sign, type Keypair } from "../../spec/src/ed25519.ts"

export interface AccountMeta {
  readonly pubkey: Uint8Array
  readonly isSigner: boolean
  readonly isWritable: boolean
}

export interface Instruction {
  readonly programId: Uint8Array
  readonly keys: readonly AccountMeta[]
  readonly data: Uint8Array
}

const compactU16 = (n: number): number[] => {
  const out: number[] = []
  let v = n
  for (;;) {
    const b = v & 0x7f
    v >>= 7
    if (v === 0) {
      out.push(b)
      return out
    }
    out.push(b | 0x80)
  }
}

interface Key {
  pubkey: Uint8Array
  signer: boolean
  writable: boolean
}

/** Orders keys as the runtime requires: writable signers, readonly signers, writable, readonly; payer first. */
export const compileMessage = (payer: Uint8Array, ixs: readonly Instruction[], recentBlockhash: Uint8Array): { message: Uint8Array; signers: Uint8Array[] } => {
  const keys: Key[] = [{ pubkey: payer, signer: true, writable: true }]
  const upsert = (pubkey: Uint8Array, signer: boolean, writable: boolean): void => {
    const k = keys.find((x) => equal(x.pubkey, pubkey))
    if (k) {
      k.signer ||= signer
      k.writable ||= writable
    } else keys.push({ pubkey, signer, writable })
  }
  for (const ix of ixs) {
    for (const m of ix.keys) upsert(m.pubkey, m.isSigner, m.isWritable)
    upsert(ix.programId, false, false)
  }
  const rank = (k: Key): number => (k.signer ? (k.writable ? 0 : 1) : k.writable ? 2 : 3)
  const [first, ...rest] = keys
  const ordered = [first!, ...rest.map((k, i) => ({ k, i })).sort((a, b) => rank(a.k) - rank(b.k) || a.i - b.i).map((x) => x.k)]
  const index = (pk: Uint8Array): number => ordered.findIndex((k) => equal(k.pubkey, pk))
  const numSigners = ordered.filter((k) => k.signer).length
  const bytes: number[] = [
    numSigners,
    ordered.filter((k) => k.signer && !k.writable).length,
    ordered.filter((k) => !k.signer && !k.writable).length,
    ...compactU16(ordered.length)
  ]
  for (const k of ordered) bytes.push(...k.pubkey)
  bytes.push(...recentBlockhash)
  bytes.push(...compactU16(ixs.length))
  for (const ix of ixs) {
    bytes.push(index(ix.programId), ...compactU16(ix.keys.length), ...ix.keys.map((m) => index(m.pubkey)))
    bytes.push(...compactU16(ix.data.length), ...ix.data)
  }
  return { message: Uint8Array.from(bytes), signers: ordered.filter((k) => k.signer).map((k) => k.pubkey) }
}

export interface SignedTransaction {
  readonly message: Uint8Array
  /** In the message's signer order. */
  readonly signers: readonly Uint8Array[]
  readonly signatures: readonly Uint8Array[]
  /** compact-u16 count ‖ signatures ‖ message: what `sendTransaction` takes. */
  readonly wire: Uint8Array
}

export const signTransaction = (
  payer: Keypair,
  ixs: readonly Instruction[],
  recentBlockhash: Uint8Array,
  keyring: (pubkey: Uint8Array) => Keypair | undefined
): SignedTransaction => {
  const { message, signers } = compileMessage(payer.publicKey, ixs, recentBlockhash)
  const signatures = signers.map((pk) => {
    const kp = equal(pk, payer.publicKey) ? payer : keyring(pk)
    if (kp === undefined) throw new Error(`no key to sign for ${Buffer.from(pk).toString("hex")}`)
    return sign(kp, message)
  })
  const wire = Uint8Array.from([...compactU16(signatures.length), ...signatures.flatMap((s) => [...s]), ...message])
  return { message, signers, signatures, wire }
}

const readCompactU16 = (b: Uint8Array, at: number): { value: number; next: number } => {
  let value = 0
  let shift = 0
  let i = at
  for (;;) {
    const x = b[i++]!
    value |= (x & 0x7f) << shift
    if ((x & 0x80) === 0) return { value, next: i }
    shift += 7
  }
}

/** The account keys of a legacy wire transaction, each with whether the message marks it writable. */
export const wireAccountKeys = (wire: Uint8Array): { key: Uint8Array; writable: boolean }[] => {
  const sigs = readCompactU16(wire, 0)
  const msg = sigs.next + 64 * sigs.value
  const numSigners = wire[msg]!
  const readonlySigned = wire[msg + 1]!
  const readonlyUnsigned = wire[msg + 2]!
  const n = readCompactU16(wire, msg + 3)
  const out: { key: Uint8Array; writable: boolean }[] = []
  for (let i = 0; i < n.value; i++) {
    const key = wire.slice(n.next + 32 * i, n.next + 32 * (i + 1))
    const writable = i < numSigners ? i < numSigners - readonlySigned : i < n.value - readonlyUnsigned
    out.push({ key, writable })
  }
  return out
}
