/** Base58 (Bitcoin alphabet), the text form of Solana addresses and signatures. */
import { getBase58Decoder, getBase58Encoder } from "@solana/kit"

const enc = getBase58Encoder()
const dec = getBase58Decoder()

// Addresses recur constantly (every account read names one): 32-byte values are memoized.
const LIMIT = 100_000
const toCache = new Map<string, string>()
const fromCache = new Map<string, Uint8Array>()

export const toBase58 = (bytes: Uint8Array): string => {
  if (bytes.length !== 32) return dec.decode(bytes)
  const k = Buffer.from(bytes.buffer, bytes.byteOffset, 32).toString("latin1")
  let s = toCache.get(k)
  if (s === undefined) {
    if (toCache.size >= LIMIT) toCache.clear()
    s = dec.decode(bytes)
    toCache.set(k, s)
  }
  return s
}

export const fromBase58 = (s: string): Uint8Array => {
  let b = fromCache.get(s)
  if (b === undefined) {
    b = new Uint8Array(enc.encode(s))
    if (b.length !== 32) return b
    if (fromCache.size >= LIMIT) fromCache.clear()
    fromCache.set(s, b)
  }
  return b.slice()
}
