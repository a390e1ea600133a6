/** Accounts as Solana's RPC renders them (UiAccount), and getProgramAccounts/programSubscribe filters. */
import { zstdCompressSync } from "node:zlib"
import type { AccountState } from "./chain.ts"
import { base58Decode, base58Encode, base64Decode, base64Encode } from "./encoding.ts"
import { ErrorCode, RpcError, invalidParams } from "./rpc-errors.ts"
import { U64_MAX } from "./well-known.ts"

/** "binary" is Solana's legacy default: a bare base58 string instead of a [data, encoding] pair. */
export type AccountEncoding = "binary" | "base58" | "base64" | "base64+zstd" | "jsonParsed"

export interface DataSlice {
  readonly offset: number
  readonly length: number
}

/** Solana's MAX_BASE58_BYTES. */
const MAX_BASE58_BYTES = 128

const slice = (data: Uint8Array, s: DataSlice | undefined): Uint8Array =>
  s === undefined ? data : data.subarray(Math.min(s.offset, data.length), Math.min(data.length, s.offset + s.length))

/**
 * The RPC methods refuse base58 past 128 bytes (-32600); subscriptions instead put an error string
 * where the data would be, exactly as Solana does.
 */
export const checkBase58Size = (a: AccountState, encoding: AccountEncoding, s: DataSlice | undefined): void => {
  if ((encoding === "binary" || encoding === "base58") && slice(a.data, s).length > MAX_BASE58_BYTES) {
    throw new RpcError(ErrorCode.InvalidRequest, `Encoded binary (base 58) data should be less than ${MAX_BASE58_BYTES} bytes, please use Base64 encoding.`)
  }
}

const encodeData = (data: Uint8Array, encoding: AccountEncoding): unknown => {
  switch (encoding) {
    case "binary":
      return data.length <= MAX_BASE58_BYTES ? base58Encode(data) : "error: data too large for bs58 encoding"
    case "base58":
      return [data.length <= MAX_BASE58_BYTES ? base58Encode(data) : "error: data too large for bs58 encoding", "base58"]
    case "base64+zstd":
      return [base64Encode(new Uint8Array(zstdCompressSync(data))), "base64+zstd"]
    // No account parsers here: Solana itself falls back to base64 for programs it cannot parse.
    case "jsonParsed":
    case "base64":
      return [base64Encode(data), "base64"]
  }
}

export const uiAccount = (a: AccountState, encoding: AccountEncoding, s?: DataSlice): Record<string, unknown> => ({
  data: encodeData(slice(a.data, s), encoding),
  executable: a.executable,
  lamports: a.lamports,
  owner: a.owner,
  // Every account is rent-exempt since SIMD-0084, which Solana reports as u64::MAX.
  rentEpoch: U64_MAX,
  space: a.data.length
})

export type AccountFilter =
  | { readonly kind: "dataSize"; readonly size: number }
  | { readonly kind: "memcmp"; readonly offset: number; readonly bytes: Uint8Array }

export type FilterInput =
  | { readonly dataSize: number }
  | { readonly memcmp: { readonly offset: number; readonly bytes: string; readonly encoding?: "base58" | "base64" | null | undefined } }

const MAX_FILTERS = 4
const MAX_MEMCMP_BYTES = 128

export const parseFilters = (inputs: readonly FilterInput[] | null | undefined): AccountFilter[] => {
  if (inputs === null || inputs === undefined) return []
  if (inputs.length > MAX_FILTERS) throw invalidParams(`Too many filters provided; max ${MAX_FILTERS}`)
  return inputs.map((f): AccountFilter => {
    if ("dataSize" in f) return { kind: "dataSize", size: f.dataSize }
    const { offset, bytes: text, encoding } = f.memcmp
    if (encoding === "base64") {
      if (text.length > 172) throw invalidParams("Invalid param: encoded binary (base 64) data should be less than 129 bytes")
      const bytes = base64Decode(text)
      if (bytes === undefined) throw invalidParams("Invalid param: base64 decode error")
      if (bytes.length > MAX_MEMCMP_BYTES) throw invalidParams("Invalid param: encoded binary data should be less than 129 bytes")
      return { kind: "memcmp", offset, bytes }
    }
    if (text.length > 175) throw invalidParams("Invalid param: encoded binary (base 58) data should be less than 129 bytes")
    const bytes = base58Decode(text)
    if (bytes === undefined) throw invalidParams("Invalid param: bs58 decode error")
    if (bytes.length > MAX_MEMCMP_BYTES) throw invalidParams("Invalid param: encoded binary data should be less than 129 bytes")
    return { kind: "memcmp", offset, bytes }
  })
}

export const matchesFilters = (data: Uint8Array, filters: readonly AccountFilter[]): boolean =>
  filters.every((f) => {
    if (f.kind === "dataSize") return data.length === f.size
    if (f.offset + f.bytes.length > data.length) return false
    for (let i = 0; i < f.bytes.length; i++) if (data[f.offset + i] !== f.bytes[i]) return false
    return true
  })
