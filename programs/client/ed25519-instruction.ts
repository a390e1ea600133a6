/**
 * The native Ed25519 program's instruction [SIG-3]: u8 count, u8 padding, then per signature seven
 * u16 (signature offset and instruction index, public key offset and index, message offset, size and
 * index), with every index 0xFFFF (this instruction) and the 32-byte digest as the message. The dotdns
 * program finds these entries through the instructions sysvar.
 */
import { fromBase58 } from "./base58.ts"
import type { Instruction } from "./message.ts"

export const ED25519_PROGRAM_ID = fromBase58("Ed25519SigVerify111111111111111111111111111")

export interface SignatureEntry {
  readonly publicKey: Uint8Array
  readonly message: Uint8Array
  readonly signature: Uint8Array
}

export const ed25519Instruction = (entries: readonly SignatureEntry[]): Instruction => {
  const header = 2 + entries.length * 14
  const body = entries.reduce((n, e) => n + 64 + 32 + e.message.length, 0)
  const data = new Uint8Array(header + body)
  const view = new DataView(data.buffer)
  data[0] = entries.length
  let off = header
  entries.forEach((e, i) => {
    const at = 2 + i * 14
    const sig = off
    const pk = sig + 64
    const msg = pk + 32
    data.set(e.signature, sig)
    data.set(e.publicKey, pk)
    data.set(e.message, msg)
    view.setUint16(at, sig, true)
    view.setUint16(at + 2, 0xffff, true)
    view.setUint16(at + 4, pk, true)
    view.setUint16(at + 6, 0xffff, true)
    view.setUint16(at + 8, msg, true)
    view.setUint16(at + 10, e.message.length, true)
    view.setUint16(at + 12, 0xffff, true)
    off = msg + e.message.length
  })
  return { programId: ED25519_PROGRAM_ID, keys: [], data }
}
