/**
 * The simulator's only source of randomness: xoshiro128** seeded from sha256, never `Math.random`.
 * Each actor draws from its own stream (`fork(label)`), so a strategy that draws one more number does
 * not shift what every other actor draws: runs stay comparable when one part of a scenario changes.
 */
import { createHash } from "node:crypto"

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0

export class Rng {
  private a: number
  private b: number
  private c: number
  private d: number
  /** The seed material this stream was made from (for `fork`). */
  readonly material: string

  constructor(material: string) {
    this.material = material
    const h = createHash("sha256").update("dotdns/sim/rng\0").update(material).digest()
    this.a = h.readUInt32LE(0)
    this.b = h.readUInt32LE(4)
    this.c = h.readUInt32LE(8)
    this.d = h.readUInt32LE(12)
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1
  }

  /** A stream for the scenario seed. */
  static of(seed: number | bigint | string): Rng {
    return new Rng(`seed:${String(seed)}`)
  }

  /** An independent stream, named. */
  fork(label: string): Rng {
    return new Rng(`${this.material}/${label}`)
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5) >>> 0, 7), 9) >>> 0
    const t = (this.b << 9) >>> 0
    this.c = (this.c ^ this.a) >>> 0
    this.d = (this.d ^ this.b) >>> 0
    this.b = (this.b ^ this.c) >>> 0
    this.a = (this.a ^ this.d) >>> 0
    this.c = (this.c ^ t) >>> 0
    this.d = rotl(this.d, 11)
    return result
  }

  /** Uniform in [0, 1), 53 bits. */
  next(): number {
    return ((this.u32() >>> 5) * 67108864 + (this.u32() >>> 6)) / 9007199254740992
  }

  /** Uniform integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`int(n) needs a positive integer, got ${n}`)
    const limit = Math.floor(9007199254740992 / n) * n
    for (;;) {
      const x = Math.floor(this.next() * 9007199254740992)
      if (x < limit) return x % n
    }
  }

  chance(p: number): boolean {
    return this.next() < p
  }

  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new RangeError("pick from an empty list")
    return xs[this.int(xs.length)]!
  }

  /** A shuffled copy (Fisher–Yates). */
  shuffle<T>(xs: readonly T[]): T[] {
    const out = [...xs]
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1)
      const t = out[i]!
      out[i] = out[j]!
      out[j] = t
    }
    return out
  }

  /** 32 bytes, e.g. a key seed. */
  bytes32(): Uint8Array {
    const out = new Uint8Array(32)
    const view = new DataView(out.buffer)
    for (let i = 0; i < 8; i++) view.setUint32(i * 4, this.u32(), true)
    return out
  }
}
