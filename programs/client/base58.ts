/** Base58 (Bitcoin alphabet), the text form of Solana addresses and signatures. */
import { getBase58Decoder, getBase58Encoder } from "@solana/kit"

const enc = getBase58Encoder()
const dec = getBase58Decoder()

export const toBase58 = (bytes: Uint8Array): string => dec.decode(bytes)
export const fromBase58 = (s: string): Uint8Array => new Uint8Array(enc.encode(s))
