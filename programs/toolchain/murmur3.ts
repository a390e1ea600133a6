// MurmurHash3 x86_32 with seed 0: the key the SBPF v0 loader gives each syscall
// name and each internal call target. We need it to predict load-time collisions.

const C1 = 0xcc9e2d51
const C2 = 0x1b873593

const rotl32 = (x: number, r: number): number => ((x << r) | (x >>> (32 - r))) >>> 0

const fmix32 = (input: number): number => {
  let h = input
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b) >>> 0
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35) >>> 0
  h ^= h >>> 16
  return h >>> 0
}

export const murmur3_32 = (data: Uint8Array, seed = 0): number => {
  let h = seed >>> 0
  const blocks = data.length >>> 2
  for (let i = 0; i < blocks; i++) {
    const o = i * 4
    let k = (data[o]! | (data[o + 1]! << 8) | (data[o + 2]! << 16) | (data[o + 3]! << 24)) >>> 0
    k = Math.imul(k, C1) >>> 0
    k = rotl32(k, 15)
    k = Math.imul(k, C2) >>> 0
    h ^= k
    h = rotl32(h, 13)
    h = (Math.imul(h, 5) + 0xe6546b64) >>> 0
  }
  const tail = blocks * 4
  const rest = data.length & 3
  if (rest > 0) {
    let k = 0
    for (let i = rest - 1; i >= 0; i--) k = (k << 8) | data[tail + i]!
    k = Math.imul(k >>> 0, C1) >>> 0
    k = rotl32(k, 15)
    k = Math.imul(k, C2) >>> 0
    h ^= k
  }
  h ^= data.length
  return fmix32(h >>> 0)
}

/** Key of a named symbol (syscalls, "entrypoint"). */
export const hashSymbolName = (name: string): number => murmur3_32(new TextEncoder().encode(name))

/** Key the loader registers for an internal call to instruction index `pc`. */
export const hashCallTarget = (pc: number): number => {
  const bytes = new Uint8Array(8)
  new DataView(bytes.buffer).setBigUint64(0, BigInt(pc), true)
  return murmur3_32(bytes)
}
