/**
 * The Merkle-sum tree [MRK]. RFC 9162 shape: a tree over n leaves splits at the largest power of two
 * below n, with no padding. Every node carries the sum of its leaves' weights, so the root commits to
 * the aggregate's total support and a lie about support must sit in some leaf.
 */
import { U64_MAX, Writer } from "./codec.ts"
import { H, TAGS } from "./hash.ts"
import { compare, equal } from "./bytes.ts"
import { encodeLeaf, type Leaf } from "./objects.ts"

export interface SumNode {
  readonly hash: Uint8Array
  readonly sum: bigint
}

// #region merkle-limits
/** A tree is at most 2^20 leaves deep enough for one inclusion proof to fit in a transaction [MRK-6]. */
export const MAX_PROOF_DEPTH = 20
export const MAX_LEAVES = 1 << MAX_PROOF_DEPTH
// #endregion merkle-limits

export class SumOverflow extends Error {
  readonly rule = "MRK-4" as const
}

// #region add-sum
/** Checked u64 addition [MRK-4]. */
export const addSum = (a: bigint, b: bigint): bigint => {
  const s = a + b
  if (s > U64_MAX) throw new SumOverflow(`sum ${s} overflows u64`)
  return s
}
// #endregion add-sum

// #region leaf-node
/** `leaf = H("dotdns/v1/leaf", Leaf)`, carrying the leaf's weight [MRK-1]. */
export const leafNode = (leaf: Leaf): SumNode => ({ hash: H(TAGS.leaf, encodeLeaf(leaf)), sum: leaf.weight })
// #endregion leaf-node

// #region parent-node
/** `node = H("dotdns/v1/node", lhash ‖ lsum ‖ rhash ‖ rsum)` [MRK-3]. */
export const parentNode = (l: SumNode, r: SumNode): SumNode => ({
  hash: H(TAGS.node, new Writer().fixed(l.hash, 32).u64(l.sum).fixed(r.hash, 32).u64(r.sum).finish()),
  sum: addSum(l.sum, r.sum)
})
// #endregion parent-node

// #region split-point
/** Largest power of two strictly below n (n ≥ 2). */
export const splitPoint = (n: number): number => {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}
// #endregion split-point

// #region leaf-order
/**
 * Leaves of one aggregate are sorted by witness key, strictly increasing [MRK-2]; this is what lets two
 * adjacent leaves prove a duplicate or misordered witness.
 */
export const sortLeaves = (leaves: readonly Leaf[]): Leaf[] => [...leaves].sort((a, b) => compare(a.witness, b.witness))

export const leavesOrdered = (leaves: readonly Leaf[]): boolean => {
  for (let i = 1; i < leaves.length; i++) if (compare(leaves[i - 1]!.witness, leaves[i]!.witness) >= 0) return false
  return true
}
// #endregion leaf-order

// #region build-levels
/**
 * Every level of the tree, leaves first. Pairing left to right and carrying an odd last node up
 * unchanged builds exactly the RFC 9162 tree (the recursive definition is tested against this).
 */
export const buildLevels = (leaves: readonly SumNode[]): SumNode[][] => {
  if (leaves.length === 0) throw new RangeError("a tree has at least one leaf")
  const levels: SumNode[][] = [leaves.slice()]
  let cur = levels[0]!
  while (cur.length > 1) {
    const next: SumNode[] = []
    for (let i = 0; i + 1 < cur.length; i += 2) next.push(parentNode(cur[i]!, cur[i + 1]!))
    if (cur.length % 2 === 1) next.push(cur[cur.length - 1]!)
    levels.push(next)
    cur = next
  }
  return levels
}
// #endregion build-levels

export const rootOf = (leaves: readonly SumNode[]): SumNode => {
  const levels = buildLevels(leaves)
  return levels[levels.length - 1]![0]!
}

// #region root-recursive
/** The recursive RFC 9162 definition, kept as the reference the fast builder is tested against. */
export const rootRecursive = (leaves: readonly SumNode[]): SumNode => {
  if (leaves.length === 1) return leaves[0]!
  const k = splitPoint(leaves.length)
  return parentNode(rootRecursive(leaves.slice(0, k)), rootRecursive(leaves.slice(k)))
}
// #endregion root-recursive

// #region root-children
/** The root's two children, submitted with an aggregate of n ≥ 2 leaves [AGG-3]. */
export const rootChildren = (leaves: readonly SumNode[]): { left: SumNode; right: SumNode } => {
  if (leaves.length < 2) throw new RangeError("a single-leaf tree has no children")
  const k = splitPoint(leaves.length)
  return { left: rootOf(leaves.slice(0, k)), right: rootOf(leaves.slice(k)) }
}
// #endregion root-children

// #region inclusion-path
/** RFC 9162 §2.1.3.1 inclusion path, siblings from the leaf upward, each with its sum [MRK-5]. */
export const inclusionPath = (levels: readonly SumNode[][], index: number): SumNode[] => {
  const n = levels[0]!.length
  if (index < 0 || index >= n) throw new RangeError(`leaf ${index} outside a tree of ${n}`)
  const path: SumNode[] = []
  let i = index
  for (let d = 0; d < levels.length - 1; d++) {
    const level = levels[d]!
    const sibling = i ^ 1
    if (sibling < level.length) path.push(level[sibling]!)
    i >>= 1
  }
  return path
}
// #endregion inclusion-path

// #region verify-inclusion
/**
 * RFC 9162 §2.1.3.2 verification with sums [MRK-5]: true iff `leaf` sits at `index` of a tree of
 * `size` leaves whose root is `root` (hash and total). Overflowing sums fail the proof.
 */
export const verifyInclusion = (leaf: SumNode, index: number, size: number, path: readonly SumNode[], root: SumNode): boolean => {
  if (index < 0 || index >= size || size > MAX_LEAVES || path.length > MAX_PROOF_DEPTH) return false
  let fn = index
  let sn = size - 1
  let r = leaf
  try {
    for (const p of path) {
      if (sn === 0) return false
      if ((fn & 1) === 1 || fn === sn) {
        r = parentNode(p, r)
        if ((fn & 1) === 0) {
          while ((fn & 1) === 0 && fn !== 0) {
            fn >>= 1
            sn >>= 1
          }
        }
      } else {
        r = parentNode(r, p)
      }
      fn >>= 1
      sn >>= 1
    }
  } catch (e) {
    if (e instanceof SumOverflow) return false
    throw e
  }
  return sn === 0 && equal(r.hash, root.hash) && r.sum === root.sum
}
// #endregion verify-inclusion
