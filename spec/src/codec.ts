/**
 * The canonical encoding [ENC-1]: little-endian fixed-width integers, byte strings and vectors
 * prefixed by a u32 length (Borsh-compatible), options as a u8 0/1 then the value. There is exactly one
 * encoding of every value, so decoders reject anything that would not re-encode to the same bytes.
 */
import { DecodeError } from "./errors.ts"
import type { RuleId } from "./rules.ts"

export const U64_MAX = (1n << 64n) - 1n

export class Writer {
  private buf = new Uint8Array(256)
  private view = new DataView(this.buf.buffer)
  private len = 0

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.len + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.len))
    this.buf = next
    this.view = new DataView(next.buffer)
  }
  /** Fixed-width integers are range-checked: a value that does not fit is a bug, never a silent wrap. */
  private uint(v: number, bits: number): void {
    if (!Number.isInteger(v) || v < 0 || v >= 2 ** bits) throw new RangeError(`u${bits} out of range: ${v}`)
  }
  u8(v: number): this {
    this.uint(v, 8)
    this.reserve(1)
    this.view.setUint8(this.len, v)
    this.len += 1
    return this
  }
  u16(v: number): this {
    this.uint(v, 16)
    this.reserve(2)
    this.view.setUint16(this.len, v, true)
    this.len += 2
    return this
  }
  u32(v: number): this {
    this.uint(v, 32)
    this.reserve(4)
    this.view.setUint32(this.len, v, true)
    this.len += 4
    return this
  }
  u64(v: bigint): this {
    if (v < 0n || v > U64_MAX) throw new RangeError(`u64 out of range: ${v}`)
    this.reserve(8)
    this.view.setBigUint64(this.len, v, true)
    this.len += 8
    return this
  }
  fixed(bytes: Uint8Array, size: number): this {
    if (bytes.length !== size) throw new RangeError(`expected ${size} bytes, got ${bytes.length}`)
    this.reserve(size)
    this.buf.set(bytes, this.len)
    this.len += size
    return this
  }
  /** u32 length then the bytes. */
  bytes(bytes: Uint8Array): this {
    this.u32(bytes.length)
    return this.fixed(bytes, bytes.length)
  }
  string(s: string): this {
    return this.bytes(new TextEncoder().encode(s))
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.len)
  }
}

export class Reader {
  private off = 0
  private readonly view: DataView
  private readonly data: Uint8Array
  private readonly what: string
  constructor(data: Uint8Array, what: string) {
    this.data = data
    this.what = what
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  }
  get offset(): number {
    return this.off
  }
  get remaining(): number {
    return this.data.length - this.off
  }
  fail(rule: RuleId, message: string): never {
    throw new DecodeError({ rule, what: this.what, offset: this.off, message: `${this.what}: ${message} at byte ${this.off}` })
  }
  private need(n: number): void {
    if (this.remaining < n) this.fail("ENC-2", `truncated: need ${n} more bytes, have ${this.remaining}`)
  }
  u8(): number {
    this.need(1)
    return this.view.getUint8(this.off++)
  }
  u16(): number {
    this.need(2)
    const v = this.view.getUint16(this.off, true)
    this.off += 2
    return v
  }
  u32(): number {
    this.need(4)
    const v = this.view.getUint32(this.off, true)
    this.off += 4
    return v
  }
  u64(): bigint {
    this.need(8)
    const v = this.view.getBigUint64(this.off, true)
    this.off += 8
    return v
  }
  fixed(n: number): Uint8Array {
    this.need(n)
    const v = this.data.slice(this.off, this.off + n)
    this.off += n
    return v
  }
  // #region canonical-reads
  /** A u32-length-prefixed byte string of at most `max` bytes [ENC-3]. */
  bytes(max: number): Uint8Array {
    const n = this.u32()
    if (n > max) this.fail("ENC-3", `length ${n} exceeds the limit ${max}`)
    return this.fixed(n)
  }
  string(max: number): string {
    const raw = this.bytes(max)
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(raw)
    } catch {
      return this.fail("ENC-3", "string is not valid UTF-8")
    }
  }
  /** Option tag: only 0 and 1 are canonical [ENC-4]. */
  option(): boolean {
    const t = this.u8()
    if (t > 1) this.fail("ENC-4", `option tag ${t} is not 0 or 1`)
    return t === 1
  }
  /** Type tag and version that open every object [ENC-5]. */
  header(tag: number, version: number): void {
    const t = this.u8()
    if (t !== tag) {
      this.off -= 1
      this.fail("ENC-5", `type tag 0x${t.toString(16)} is not 0x${tag.toString(16)}`)
    }
    const v = this.u8()
    if (v !== version) {
      this.off -= 1
      this.fail("VER-2", `version ${v} is not supported (expected ${version})`)
    }
  }
  /** Trailing bytes make an encoding non-canonical [ENC-2]. */
  end(): void {
    if (this.remaining !== 0) this.fail("ENC-2", `${this.remaining} trailing bytes`)
  }
  // #endregion canonical-reads
}

// #region decode-all
/** Runs a decoder over the whole input and requires it to consume every byte. */
export const decodeAll = <T>(data: Uint8Array, what: string, body: (r: Reader) => T): T => {
  const r = new Reader(data, what)
  const v = body(r)
  r.end()
  return v
}
// #endregion decode-all
