/**
 * The Solana transaction wire format (legacy and v0), decoded and sanitized here rather than handed
 * straight to LiteSVM: every byte a client sends is untrusted, and the RPC must answer malformed
 * input with Solana's -32602 messages instead of reaching native code with it.
 */
import { base58Encode } from "./encoding.ts"

/** Solana's PACKET_DATA_SIZE: the largest transaction a validator accepts. */
export const MAX_TRANSACTION_BYTES = 1232

export class WireFormatError extends Error {
  override readonly name = "WireFormatError"
}

export interface MessageHeader {
  readonly numRequiredSignatures: number
  readonly numReadonlySignedAccounts: number
  readonly numReadonlyUnsignedAccounts: number
}

export interface CompiledInstruction {
  readonly programIdIndex: number
  readonly accounts: Uint8Array
  readonly data: Uint8Array
}

export interface AddressTableLookup {
  readonly accountKey: Uint8Array
  readonly writableIndexes: Uint8Array
  readonly readonlyIndexes: Uint8Array
}

export interface DecodedMessage {
  readonly version: "legacy" | 0
  readonly header: MessageHeader
  readonly staticKeys: readonly Uint8Array[]
  readonly recentBlockhash: Uint8Array
  readonly instructions: readonly CompiledInstruction[]
  readonly lookups: readonly AddressTableLookup[]
  /** The exact signed bytes. */
  readonly bytes: Uint8Array
  /** Where recentBlockhash sits inside `bytes`, for replaceRecentBlockhash. */
  readonly blockhashOffset: number
}

export interface DecodedTransaction {
  readonly signatures: readonly Uint8Array[]
  readonly message: DecodedMessage
  /** Canonical wire bytes (any trailing bytes the client sent are dropped, as bincode does). */
  readonly bytes: Uint8Array
  readonly messageOffset: number
}

class Reader {
  pos: number
  readonly bytes: Uint8Array
  constructor(bytes: Uint8Array, pos = 0) {
    this.bytes = bytes
    this.pos = pos
  }
  u8(): number {
    if (this.pos >= this.bytes.length) throw new WireFormatError("io error: unexpected end of file")
    return this.bytes[this.pos++]!
  }
  take(n: number): Uint8Array {
    if (this.pos + n > this.bytes.length) throw new WireFormatError("io error: unexpected end of file")
    const out = this.bytes.subarray(this.pos, this.pos + n)
    this.pos += n
    return out
  }
  /** compact-u16 exactly as solana short_vec accepts it: ≤ 3 bytes, no alias encodings, ≤ u16::MAX. */
  shortVec(): number {
    let value = 0
    for (let i = 0; i < 3; i++) {
      const b = this.u8()
      if (i === 2 && b > 3) throw new WireFormatError("short_vec: overflow")
      value |= (b & 0x7f) << (7 * i)
      if ((b & 0x80) === 0) {
        if (b === 0 && i > 0) throw new WireFormatError("short_vec: alias encoding")
        return value
      }
    }
    throw new WireFormatError("short_vec: too long")
  }
}

const decodeMessageAt = (bytes: Uint8Array, start: number): { message: DecodedMessage; end: number } => {
  const r = new Reader(bytes, start)
  let version: "legacy" | 0 = "legacy"
  const first = bytes[start]
  if (first !== undefined && (first & 0x80) !== 0) {
    const v = first & 0x7f
    if (v !== 0) throw new WireFormatError(`Transaction version ${v} is not supported`)
    version = 0
    r.pos++
  }
  const header: MessageHeader = {
    numRequiredSignatures: r.u8(),
    numReadonlySignedAccounts: r.u8(),
    numReadonlyUnsignedAccounts: r.u8()
  }
  const keyCount = r.shortVec()
  const staticKeys: Uint8Array[] = []
  for (let i = 0; i < keyCount; i++) staticKeys.push(r.take(32))
  const blockhashOffset = r.pos - start
  const recentBlockhash = r.take(32)
  const ixCount = r.shortVec()
  const instructions: CompiledInstruction[] = []
  for (let i = 0; i < ixCount; i++) {
    const programIdIndex = r.u8()
    const accounts = r.take(r.shortVec())
    const data = r.take(r.shortVec())
    instructions.push({ programIdIndex, accounts, data })
  }
  const lookups: AddressTableLookup[] = []
  if (version === 0) {
    const n = r.shortVec()
    for (let i = 0; i < n; i++) {
      const accountKey = r.take(32)
      const writableIndexes = r.take(r.shortVec())
      const readonlyIndexes = r.take(r.shortVec())
      lookups.push({ accountKey, writableIndexes, readonlyIndexes })
    }
  }
  const message: DecodedMessage = {
    version,
    header,
    staticKeys,
    recentBlockhash,
    instructions,
    lookups,
    bytes: bytes.subarray(start, r.pos),
    blockhashOffset
  }
  return { message, end: r.pos }
}

export const decodeTransaction = (bytes: Uint8Array): DecodedTransaction => {
  const r = new Reader(bytes)
  const sigCount = r.shortVec()
  const signatures: Uint8Array[] = []
  for (let i = 0; i < sigCount; i++) signatures.push(r.take(64))
  const messageOffset = r.pos
  const { message, end } = decodeMessageAt(bytes, messageOffset)
  return { signatures, message, bytes: bytes.subarray(0, end), messageOffset }
}

export const decodeMessage = (bytes: Uint8Array): DecodedMessage => decodeMessageAt(bytes, 0).message

/**
 * Solana's Message::sanitize plus VersionedTransaction::sanitize. Returns true when the structure is
 * internally consistent (indices in range, a writable fee payer, one signature per required signer).
 */
export const isSanitary = (tx: DecodedTransaction): boolean => messageIsSanitary(tx.message) && signaturesMatch(tx)

const signaturesMatch = (tx: DecodedTransaction): boolean =>
  tx.signatures.length === tx.message.header.numRequiredSignatures && tx.signatures.length <= tx.message.staticKeys.length

export const messageIsSanitary = (m: DecodedMessage): boolean => {
  const h = m.header
  const numStatic = m.staticKeys.length
  if (h.numRequiredSignatures + h.numReadonlyUnsignedAccounts > numStatic) return false
  if (h.numReadonlySignedAccounts >= h.numRequiredSignatures) return false
  let numDynamic = 0
  for (const l of m.lookups) {
    if (l.writableIndexes.length === 0 && l.readonlyIndexes.length === 0) return false
    numDynamic += l.writableIndexes.length + l.readonlyIndexes.length
  }
  const total = numStatic + numDynamic
  if (total > 256) return false
  for (const ix of m.instructions) {
    // Programs cannot come from lookup tables, and the fee payer cannot be a program.
    if (ix.programIdIndex >= numStatic || ix.programIdIndex === 0) return false
    for (const a of ix.accounts) if (a >= total) return false
  }
  return true
}

/** Writability by position, before the runtime's demotions (see isWritableAfterDemotion). */
export const isStaticWritable = (h: MessageHeader, numStatic: number, index: number): boolean =>
  index < h.numRequiredSignatures
    ? index < h.numRequiredSignatures - h.numReadonlySignedAccounts
    : index < numStatic - h.numReadonlyUnsignedAccounts

export const signatureOf = (tx: DecodedTransaction): string => base58Encode(tx.signatures[0] ?? new Uint8Array(64))

/** A copy of the wire bytes with another recent blockhash (signatures untouched, so now invalid). */
export const withRecentBlockhash = (tx: DecodedTransaction, blockhash: Uint8Array): Uint8Array => {
  const out = new Uint8Array(tx.bytes)
  out.set(blockhash, tx.messageOffset + tx.message.blockhashOffset)
  return out
}
