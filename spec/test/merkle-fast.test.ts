/**
 * The fast Merkle-sum builder (`merkle-fast.ts`) is the reference (`merkle.ts`): the same root, hash and
 * sum, over random trees of every size up to a few hundred leaves and around powers of two, from leaf
 * nodes, from SumNodes and from Leaf objects, in a fresh level or a reused dirty one — and the same
 * failure where sums overflow u64 [MRK-4].
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { equal } from "../src/bytes.ts"
import { U64_MAX } from "../src/codec.ts"
import { leafNode, rootOf, rootRecursive, SumOverflow, type SumNode } from "../src/merkle.ts"
import { leafNodesOf, rootOfLeafNodes, rootOfLeaves, rootOfSumNodes } from "../src/merkle-fast.ts"
import type { Leaf } from "../src/objects.ts"

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 })
/** Small weights, weights near 2^32 (carries between the halves) and weights near u64 max (overflow). */
const weight = fc.oneof(
  fc.bigInt({ min: 0n, max: 1n << 40n }),
  fc.bigInt({ min: (1n << 32n) - 3n, max: (1n << 32n) + 3n }),
  fc.bigInt({ min: 0n, max: U64_MAX }),
  fc.bigInt({ min: U64_MAX - 1000n, max: U64_MAX })
)
const sizesNearPowers = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257, 511, 512, 513, 1023, 1024, 1025]
const size = fc.oneof(fc.integer({ min: 1, max: 300 }), fc.constantFrom(...sizesNearPowers))
/** A tree: its size, a seed to fill hashes from, and a few weights cycled over the leaves. */
const treeArb = fc.record({ n: size, seed: bytes32, weights: fc.array(weight, { minLength: 1, maxLength: 8 }), smallOnly: fc.boolean() })

const leavesOf = (t: { n: number; seed: Uint8Array; weights: bigint[]; smallOnly: boolean }): Leaf[] =>
  Array.from({ length: t.n }, (_, i) => {
    const h = new Uint8Array(32)
    for (let k = 0; k < 32; k++) h[k] = (t.seed[k]! + i * 31 + k * 7) & 0xff
    const w = t.weights[i % t.weights.length]!
    return { receiptHash: h, witness: h.map((x, k) => x ^ (k + i)), weight: t.smallOnly ? w & 0xffff_ffffn : w }
  })

type Outcome = { ok: true; node: SumNode } | { ok: false; error: string }
const outcome = (f: () => SumNode): Outcome => {
  try {
    return { ok: true, node: f() }
  } catch (e) {
    if (e instanceof SumOverflow) return { ok: false, error: "SumOverflow" }
    throw e
  }
}
const same = (a: Outcome, b: Outcome): boolean => (a.ok && b.ok ? equal(a.node.hash, b.node.hash) && a.node.sum === b.node.sum : a.ok === b.ok)

describe("merkle-fast is the reference [MRK]", () => {
  it("from Leaf objects, leaf nodes and SumNodes, overflow included", () => {
    // one level buffer reused by every tree, left dirty by the one before
    const into = Buffer.alloc(1100 * 40, 0xa5)
    fc.assert(
      fc.property(treeArb, (t) => {
        const leaves = leavesOf(t)
        const nodes = leaves.map(leafNode)
        const ref = outcome(() => rootOf(nodes))
        expect(same(outcome(() => rootOfLeaves(leaves)), ref)).toBe(true)
        expect(same(outcome(() => rootOfSumNodes(nodes)), ref)).toBe(true)
        const packed = leafNodesOf(leaves)
        expect(same(outcome(() => rootOfLeafNodes(packed.hashes, packed.sums)), ref)).toBe(true)
        expect(same(outcome(() => rootOfLeafNodes(packed.hashes, nodes.map((x) => x.sum))), ref)).toBe(true)
        expect(same(outcome(() => rootOfLeafNodes(packed.hashes, packed.sums, into)), ref)).toBe(true)
        expect(same(outcome(() => rootOfLeaves(leaves, into)), ref)).toBe(true)
        expect(same(outcome(() => rootOfSumNodes(nodes, into)), ref)).toBe(true)
        if (ref.ok) expect(same(outcome(() => rootRecursive(nodes)), ref)).toBe(true)
      }),
      { numRuns: 300 }
    )
  })

  it("leaf nodes at an unaligned offset, and every sum reaching exactly u64 max", () => {
    const leaves = leavesOf({ n: 5, seed: new Uint8Array(32).fill(9), weights: [U64_MAX / 5n], smallOnly: false })
    const nodes = leaves.map(leafNode)
    const buf = new Uint8Array(5 * 32 + 3)
    nodes.forEach((x, i) => buf.set(x.hash, 3 + i * 32))
    const r = rootOfLeafNodes(buf.subarray(3), nodes.map((x) => x.sum))
    expect(equal(r.hash, rootOf(nodes).hash)).toBe(true)
    expect(r.sum).toBe(U64_MAX)
    expect(() => rootOfSumNodes([...nodes, { hash: new Uint8Array(32), sum: 1n }])).toThrow(SumOverflow)
  })

  it("rejects what the reference cannot encode", () => {
    expect(() => rootOfLeaves([])).toThrow(RangeError)
    expect(() => rootOfLeafNodes(new Uint8Array(0), [])).toThrow(RangeError)
    expect(() => rootOfSumNodes([{ hash: new Uint8Array(32), sum: -1n }])).toThrow(RangeError)
    expect(() => rootOfLeafNodes(new Uint8Array(32), [U64_MAX + 1n])).toThrow(RangeError)
    expect(() => rootOfLeaves([{ receiptHash: new Uint8Array(31), witness: new Uint8Array(32), weight: 1n }])).toThrow(RangeError)
    expect(() => rootOfSumNodes([{ hash: new Uint8Array(32), sum: 1n }, { hash: new Uint8Array(32), sum: 1n }], Buffer.alloc(79))).toThrow(RangeError)
  })

  it("a tree of 2^14 + 3 leaves", () => {
    const leaves = leavesOf({ n: (1 << 14) + 3, seed: new Uint8Array(32).fill(1), weights: [1n, 1n << 33n, 7n], smallOnly: false })
    const ref = rootOf(leaves.map(leafNode))
    const fast = rootOfLeaves(leaves)
    expect(equal(fast.hash, ref.hash) && fast.sum === ref.sum).toBe(true)
  })
})
