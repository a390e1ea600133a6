/**
 * Byte/text codecs shared by the localnet: base58 (Solana addresses, signatures, legacy payloads),
 * base64, and a JSON writer that keeps u64 values exact.
 */
import { getBase58Decoder, getBase58Encoder } from "@solana/kit"

const b58Encoder = getBase58Encoder()
const b58Decoder = getBase58Decoder()

/** Kit names its codecs from the bytes' point of view; these are named from the text's. */
export const base58Encode = (bytes: Uint8Array): string => b58Decoder.decode(bytes)

/** Undefined for a string that is not base58, so callers pick the error message. */
export const base58Decode = (text: string): Uint8Array | undefined => {
  if (!/^[1-9A-HJ-NP-Za-km-z]*$/.test(text)) return undefined
  try {
    return new Uint8Array(b58Encoder.encode(text))
  } catch {
    return undefined
  }
}

export const base64Encode = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64")

/** Strict: Buffer.from(..., "base64") silently skips garbage, a transaction decoder must not. */
export const base64Decode = (text: string): Uint8Array | undefined => {
  if (text.length % 4 === 1 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined
  return new Uint8Array(Buffer.from(text, "base64"))
}

export const isAddressText = (text: string): boolean => text.length >= 32 && text.length <= 44 && base58Decode(text)?.length === 32

export const u64le = (value: bigint | number): Uint8Array => {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigUint64(0, BigInt(value), true)
  return out
}

export const readU64le = (bytes: Uint8Array, offset: number): bigint =>
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(offset, true)

export const readU32le = (bytes: Uint8Array, offset: number): number =>
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(offset, true)

export const bytesEqual = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * JSON.stringify that writes bigints as bare numbers. Solana answers u64 fields (lamports,
 * rentEpoch = 2^64-1) as JSON numbers and Kit reads them back as bigints, so precision must survive
 * here. Only our own response objects pass through it, so recursion depth is bounded by our shapes.
 */
export const encodeJson = (value: unknown): string => {
  switch (typeof value) {
    case "bigint":
      return value.toString()
    case "number":
      return Number.isFinite(value) ? String(value) : "null"
    case "string":
      return JSON.stringify(value)
    case "boolean":
      return value ? "true" : "false"
    case "object": {
      if (value === null) return "null"
      if (Array.isArray(value)) return `[${value.map((v: unknown) => (v === undefined ? "null" : encodeJson(v))).join(",")}]`
      const parts: string[] = []
      for (const [k, v] of Object.entries(value)) {
        if (v === undefined || typeof v === "function") continue
        parts.push(`${JSON.stringify(k)}:${encodeJson(v)}`)
      }
      return `{${parts.join(",")}}`
    }
    default:
      return "null"
  }
}
