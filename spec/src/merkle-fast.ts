/**
 * A fast builder of the Merkle-sum root [MRK], for miners building trees of up to 2^20 leaves. It
 * computes exactly what `merkle.ts` (the normative reference) computes — `spec/test/merkle-fast.test.ts`
 * checks them equal over random trees, sums that overflow included — but over one preallocated buffer:
 *
 *   - a level is packed as 40-byte records `hash(32) ‖ sum(u64 LE)`, so a parent's preimage
 *     `lhash ‖ lsum ‖ rhash ‖ rsum` [MRK-3] is 80 contiguous bytes of its level, copied once behind the
 *     domain prefix into a scratch buffer;
 *   - each node is one `crypto.hash` one-shot whose digest comes back as a "binary" (latin1) string,
 *     written straight into its record (a Buffer result costs an allocation per node: ≈3× slower here);
 *   - the next level is written in place over the one it is built from (record i after reading 2i, 2i+1);
 *   - sums are added as two 32-bit halves with a carry, checked against u64 [MRK-4] without BigInt.
 *
 * Pairing left to right and carrying an odd last node up unchanged is the RFC 9162 tree (`buildLevels`).
 * Only the root is kept; proofs still come from `buildLevels`. A builder of many trees passes one level
 * buffer (`into`) to every call.
 */
import { hash } from "node:crypto"
import { U64_MAX } from "./codec.ts"
import { TAGS } from "./hash.ts"
import { SumOverflow, type SumNode } from "./merkle.ts"
import { OBJECT_TAG, type Leaf } from "./objects.ts"
import { LAYOUT_VERSION } from "./version.ts"

/** Bytes of one packed node: hash then sum. */
export const NODE_SIZE = 40

/** `u8(len(tag)) ‖ tag`, the domain prefix of `H` [HSH-1]. */
const prefix = (tag: string): Buffer => Buffer.concat([Buffer.from([tag.length]), Buffer.from(tag, "ascii")])
const NODE_PREFIX = prefix(TAGS.node)
const LEAF_PREFIX = prefix(TAGS.leaf)
const NODE_AT = NODE_PREFIX.length
const LEAF_AT = LEAF_PREFIX.length
const TWO32 = 0x1_0000_0000

/** A u64 split into 32-bit halves without allocating: store into `W64[0]`, read `W32[0]` (lo), `W32[1]` (hi). */
const W64 = new BigUint64Array(1)
const W32 = new Uint32Array(W64.buffer)
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

const viewOf = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength)

const checkSum = (s: bigint): void => {
  if (s < 0n || s > U64_MAX) throw new RangeError(`u64 out of range: ${s}`)
}

/**
 * The level to build in: `into` when given (at least n × 40 bytes; its contents are overwritten), else a
 * new buffer. Reusing one buffer across trees spares a 40 MiB allocation at 2^20 leaves — and the
 * full garbage collection it soon brings, which costs more than the tree itself when the heap is large.
 */
const levelFor = (n: number, into: Buffer | undefined): Buffer => {
  if (into === undefined) return Buffer.allocUnsafe(n * NODE_SIZE)
  if (into.length < n * NODE_SIZE) throw new RangeError(`a level of ${n} nodes needs ${n * NODE_SIZE} bytes, got ${into.length}`)
  return into
}

/** Writes u64 `s` (range-checked by the caller) little-endian at `at`. */
const putU64 = (v: DataView, at: number, s: bigint): void => {
  W64[0] = s
  v.setUint32(at, W32[LITTLE_ENDIAN ? 0 : 1]!, true)
  v.setUint32(at + 4, W32[LITTLE_ENDIAN ? 1 : 0]!, true)
}

/**
 * Builds the tree over `n` packed leaf nodes in `level` (consumed: overwritten in place) and returns
 * the root. Throws `SumOverflow` where the reference does [MRK-4].
 */
export const rootOfPacked = (level: Buffer, n: number): SumNode => {
  if (!Number.isInteger(n) || n < 1) throw new RangeError("a tree has at least one leaf")
  if (level.length < n * NODE_SIZE) throw new RangeError(`a packed level of ${n} nodes is ${n * NODE_SIZE} bytes, got ${level.length}`)
  const v = viewOf(level)
  const scratch = Buffer.allocUnsafe(NODE_AT + 2 * NODE_SIZE)
  NODE_PREFIX.copy(scratch, 0)
  let width = n
  while (width > 1) {
    const pairs = width >>> 1
    for (let i = 0; i < pairs; i++) {
      const l = 2 * i * NODE_SIZE
      const r = l + NODE_SIZE
      level.copy(scratch, NODE_AT, l, l + 2 * NODE_SIZE)
      const lo = v.getUint32(l + 32, true) + v.getUint32(r + 32, true)
      const carry = lo >= TWO32 ? 1 : 0
      const hi = v.getUint32(l + 36, true) + v.getUint32(r + 36, true) + carry
      if (hi >= TWO32) throw new SumOverflow(`sum ${v.getBigUint64(l + 32, true) + v.getBigUint64(r + 32, true)} overflows u64`)
      const at = i * NODE_SIZE
      level.write(hash("sha256", scratch, "binary"), at, 32, "latin1")
      v.setUint32(at + 32, carry === 1 ? lo - TWO32 : lo, true)
      v.setUint32(at + 36, hi, true)
    }
    if ((width & 1) === 1) level.copy(level, pairs * NODE_SIZE, (width - 1) * NODE_SIZE, width * NODE_SIZE)
    width = pairs + (width & 1)
  }
  return { hash: new Uint8Array(level.subarray(0, 32)), sum: v.getBigUint64(32, true) }
}

/** Packs leaf nodes given as `hashes` (n × 32 bytes, leaf i at 32·i) and their `sums` into a level. */
export const packLeafNodes = (hashes: Uint8Array, sums: BigUint64Array | readonly bigint[], into?: Buffer): Buffer => {
  const n = sums.length
  if (hashes.length !== n * 32) throw new RangeError(`${n} sums need ${n * 32} bytes of hashes, got ${hashes.length}`)
  let s64: BigUint64Array
  if (sums instanceof BigUint64Array) s64 = sums
  else {
    for (const s of sums) checkSum(s)
    s64 = BigUint64Array.from(sums)
  }
  const s32 = new Uint32Array(s64.buffer, s64.byteOffset, 2 * n)
  const [LO, HI] = LITTLE_ENDIAN ? [0, 1] : [1, 0]
  const level = levelFor(n, into)
  const v = viewOf(level)
  const h = viewOf(hashes)
  for (let i = 0; i < n; i++) {
    const o = i * NODE_SIZE
    const src = i * 32
    for (let k = 0; k < 32; k += 4) v.setUint32(o + k, h.getUint32(src + k, true), true)
    v.setUint32(o + 32, s32[2 * i + LO]!, true)
    v.setUint32(o + 36, s32[2 * i + HI]!, true)
  }
  return level
}

/** The root of a tree whose leaf nodes are `hashes` (n × 32 bytes) with `sums` [MRK-3]; `into`: a level to reuse. */
export const rootOfLeafNodes = (hashes: Uint8Array, sums: BigUint64Array | readonly bigint[], into?: Buffer): SumNode =>
  rootOfPacked(packLeafNodes(hashes, sums, into), sums.length)

/** The root of a tree over `SumNode`s (as `rootOf` in the reference). */
export const rootOfSumNodes = (nodes: readonly SumNode[], into?: Buffer): SumNode => {
  const n = nodes.length
  if (n === 0) throw new RangeError("a tree has at least one leaf")
  const level = levelFor(n, into)
  const v = viewOf(level)
  for (let i = 0; i < n; i++) {
    const x = nodes[i]!
    if (x.hash.length !== 32) throw new RangeError(`expected 32 bytes, got ${x.hash.length}`)
    checkSum(x.sum)
    level.set(x.hash, i * NODE_SIZE)
    putU64(v, i * NODE_SIZE + 32, x.sum)
  }
  return rootOfPacked(level, n)
}

/**
 * Hashes `leaves` into a packed level: `leaf = H("dotdns/v1/leaf", Leaf)` [MRK-1] with the Leaf encoding
 * (tag, version, receipt hash, witness, weight) written straight into a scratch buffer.
 */
export const packLeaves = (leaves: readonly Leaf[], into?: Buffer): Buffer => {
  const n = leaves.length
  const level = levelFor(n, into)
  const v = viewOf(level)
  const scratch = Buffer.allocUnsafe(LEAF_AT + 2 + 32 + 32 + 8)
  const sv = viewOf(scratch)
  LEAF_PREFIX.copy(scratch, 0)
  scratch[LEAF_AT] = OBJECT_TAG.leaf
  scratch[LEAF_AT + 1] = LAYOUT_VERSION
  for (let i = 0; i < n; i++) {
    const leaf = leaves[i]!
    if (leaf.receiptHash.length !== 32) throw new RangeError(`expected 32 bytes, got ${leaf.receiptHash.length}`)
    if (leaf.witness.length !== 32) throw new RangeError(`expected 32 bytes, got ${leaf.witness.length}`)
    checkSum(leaf.weight)
    scratch.set(leaf.receiptHash, LEAF_AT + 2)
    scratch.set(leaf.witness, LEAF_AT + 34)
    putU64(sv, LEAF_AT + 66, leaf.weight)
    const at = i * NODE_SIZE
    level.write(hash("sha256", scratch, "binary"), at, 32, "latin1")
    v.setUint32(at + 32, sv.getUint32(LEAF_AT + 66, true), true)
    v.setUint32(at + 36, sv.getUint32(LEAF_AT + 70, true), true)
  }
  return level
}

/** The leaf nodes of `leaves` as hashes (n × 32) and sums, the input of `rootOfLeafNodes`. */
export const leafNodesOf = (leaves: readonly Leaf[]): { hashes: Uint8Array; sums: BigUint64Array } => {
  const level = packLeaves(leaves)
  const hashes = new Uint8Array(leaves.length * 32)
  const sums = new BigUint64Array(leaves.length)
  for (let i = 0; i < leaves.length; i++) {
    hashes.set(level.subarray(i * NODE_SIZE, i * NODE_SIZE + 32), i * 32)
    sums[i] = leaves[i]!.weight
  }
  return { hashes, sums }
}

/** The root of a tree over `leaves`, leaf hashing included (as `rootOf(leaves.map(leafNode))`); `into`: a level to reuse. */
export const rootOfLeaves = (leaves: readonly Leaf[], into?: Buffer): SumNode => {
  if (leaves.length === 0) throw new RangeError("a tree has at least one leaf")
  return rootOfPacked(packLeaves(leaves, into), leaves.length)
}
