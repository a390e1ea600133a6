/** Byte helpers shared by every module; hex is lowercase without a prefix. */
export const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex")

export const fromHex = (s: string): Uint8Array => {
  if (s.length % 2 !== 0 || !/^[0-9a-f]*$/.test(s)) throw new RangeError(`not lowercase hex: ${s.slice(0, 16)}`)
  return new Uint8Array(Buffer.from(s, "hex"))
}

export const concat = (...parts: Uint8Array[]): Uint8Array => {
  let n = 0
  for (const p of parts) n += p.length
  const out = new Uint8Array(n)
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

export const equal = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Unsigned lexicographic order, the order of witness keys in a tree [MRK-2]. */
export const compare = (a: Uint8Array, b: Uint8Array): number => {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number)
    if (d !== 0) return d
  }
  return a.length - b.length
}

export const u64le = (v: bigint): Uint8Array => {
  const b = new Uint8Array(8)
  new DataView(b.buffer).setBigUint64(0, v, true)
  return b
}

export const u32le = (v: number): Uint8Array => {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, v, true)
  return b
}

export const zeros = (n: number): Uint8Array => new Uint8Array(n)
