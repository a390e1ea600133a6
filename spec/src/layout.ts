/**
 * Fixed-size account layouts [ACC-2]. One description serves three readers: the TypeScript codec, the
 * C header the program compiles against (generated, with offset asserts), and the byte-layout tables
 * of the prose. Every field is naturally aligned and padding is explicit and must be zero, so the C
 * struct and this codec agree on every byte.
 */
import { Reader } from "./codec.ts"
import { DecodeError } from "./errors.ts"

export interface Layout<T> {
  readonly size: number
  readonly align: number
  /** C type name and array suffix for a field of this layout. */
  readonly c: { readonly type: string; readonly suffix: string }
  readonly doc: string
  write(view: DataView, bytes: Uint8Array, off: number, v: T): void
  read(view: DataView, bytes: Uint8Array, off: number, r: Reader): T
}

export interface Pad extends Layout<undefined> {
  readonly pad: true
}

// Method syntax keeps Layout bivariant, so a record of differently-typed layouts type-checks.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyLayout = Layout<any>
export type Fields = Record<string, AnyLayout>
type ValueOf<L> = L extends Layout<infer T> ? T : never
export type StructValue<F extends Fields> = { -readonly [K in keyof F as F[K] extends Pad ? never : K]: ValueOf<F[K]> }

const int = <T>(size: number, c: string, get: (v: DataView, o: number) => T, set: (v: DataView, o: number, x: T) => void, doc: string): Layout<T> => ({
  size,
  align: size,
  c: { type: c, suffix: "" },
  doc,
  write: (view, _b, off, v) => set(view, off, v),
  read: (view, _b, off) => get(view, off)
})

export const u8 = int<number>(1, "uint8_t", (v, o) => v.getUint8(o), (v, o, x) => v.setUint8(o, x), "u8")
export const u16 = int<number>(2, "uint16_t", (v, o) => v.getUint16(o, true), (v, o, x) => v.setUint16(o, x, true), "u16")
export const u32 = int<number>(4, "uint32_t", (v, o) => v.getUint32(o, true), (v, o, x) => v.setUint32(o, x, true), "u32")
export const u64 = int<bigint>(8, "uint64_t", (v, o) => v.getBigUint64(o, true), (v, o, x) => v.setBigUint64(o, x, true), "u64")

export const bytes = (n: number): Layout<Uint8Array> => ({
  size: n,
  align: 1,
  c: { type: "uint8_t", suffix: `[${n}]` },
  doc: `[u8; ${n}]`,
  write: (_v, b, off, x) => {
    if (x.length !== n) throw new RangeError(`expected ${n} bytes, got ${x.length}`)
    b.set(x, off)
  },
  read: (_v, b, off) => b.slice(off, off + n)
})

export const pubkey = bytes(32)
export const hash32 = bytes(32)

// #region pad
/** Zero bytes that keep the next field aligned; non-zero padding is not canonical [ENC-6]. */
export const pad = (n: number): Pad => ({
  pad: true,
  size: n,
  align: 1,
  c: { type: "uint8_t", suffix: `[${n}]` },
  doc: `padding (${n} zero bytes)`,
  write: (_v, b, off) => b.fill(0, off, off + n),
  read: (_v, b, off, r) => {
    for (let i = off; i < off + n; i++) if (b[i] !== 0) r.fail("ENC-6", `padding byte ${i} is not zero`)
    return undefined
  }
})
// #endregion pad

export interface ArrayLayout<T> extends Layout<T[]> {
  /** What each element is, and how many (for readers such as the IDL generator). */
  readonly item: Layout<T>
  readonly count: number
}

export const array = <T>(item: Layout<T>, n: number): ArrayLayout<T> => ({
  item,
  count: n,
  size: item.size * n,
  align: item.align,
  c: { type: item.c.type, suffix: `[${n}]${item.c.suffix}` },
  doc: `[${item.doc}; ${n}]`,
  write: (view, b, off, xs) => {
    if (xs.length !== n) throw new RangeError(`expected ${n} items, got ${xs.length}`)
    xs.forEach((x, i) => item.write(view, b, off + i * item.size, x))
  },
  read: (view, b, off, r) => Array.from({ length: n }, (_, i) => item.read(view, b, off + i * item.size, r))
})

export interface StructLayout<F extends Fields> extends Layout<StructValue<F>> {
  readonly name: string
  readonly fields: F
  readonly offsets: Readonly<Record<keyof F, number>>
}

// #region struct
export const struct = <F extends Fields>(name: string, fields: F): StructLayout<F> => {
  let off = 0
  let align = 1
  const offsets: Record<string, number> = {}
  for (const [k, f] of Object.entries(fields)) {
    if (off % f.align !== 0) throw new Error(`${name}.${k} at ${off} is not ${f.align}-aligned: add padding`)
    offsets[k] = off
    off += f.size
    align = Math.max(align, f.align)
  }
  if (off % align !== 0) throw new Error(`${name} size ${off} is not a multiple of its alignment ${align}`)
  const entries = Object.entries(fields)
  return {
    name,
    fields,
    offsets: offsets as Record<keyof F, number>,
    size: off,
    align,
    c: { type: name, suffix: "" },
    doc: name,
    write: (view, b, base, v) => {
      const rec = v as Record<string, unknown>
      for (const [k, f] of entries) f.write(view, b, base + offsets[k]!, rec[k])
    },
    read: (view, b, base, r) => {
      const out: Record<string, unknown> = {}
      for (const [k, f] of entries) {
        const x = f.read(view, b, base + offsets[k]!, r)
        if (!("pad" in f)) out[k] = x
      }
      return out as StructValue<F>
    }
  }
}
// #endregion struct

export const encodeFixed = <T>(layout: Layout<T>, v: T): Uint8Array => {
  const b = new Uint8Array(layout.size)
  layout.write(new DataView(b.buffer), b, 0, v)
  return b
}

// #region decode-fixed
/** Decodes exactly `layout.size` bytes; anything else is a typed error [ENC-2]. */
export const decodeFixed = <T>(layout: Layout<T>, data: Uint8Array, what: string): T => {
  const r = new Reader(data, what)
  if (data.length !== layout.size)
    throw new DecodeError({ rule: "ENC-2", what, offset: 0, message: `${what}: ${data.length} bytes, expected exactly ${layout.size}` })
  return layout.read(new DataView(data.buffer, data.byteOffset, data.byteLength), data, 0, r)
}
// #endregion decode-fixed
