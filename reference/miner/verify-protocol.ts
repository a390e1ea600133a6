/** Messages between the Verifier and its worker threads. */
import { RECEIPT_SIZE } from "../../spec/src/objects.ts"

/** One receipt on the wire: its 106-byte encoding then the 64-byte witness signature. */
export const SIGNATURE_OFFSET = RECEIPT_SIZE
export const FRAME_SIZE = RECEIPT_SIZE + 64

export const STATUS = { valid: 0, badSignature: 1, malformed: 2 } as const

export interface VerifyJob {
  readonly id: number
  /** `count` frames back to back. */
  readonly frames: Uint8Array
  readonly count: number
}

export interface VerifyJobResult {
  readonly id: number
  /** One STATUS per frame. */
  readonly status: Uint8Array
  /** 32 bytes of receipt_hash per frame (zero unless valid). */
  readonly hashes: Uint8Array
  readonly errors: readonly { readonly index: number; readonly rule: string; readonly message: string }[]
}
