/**
 * Merkle-sum tree properties [MRK]: the level-by-level builder is the RFC 9162 recursion, proofs are
 * complete, and a proof verifies iff the leaf sits at that index of that tree — tried against random
 * trees and random mutations of leaf, index, path and root.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { equal } from "../src/bytes.ts"
import { U64_MAX } from "../src/codec.ts"
import {
  addSum, buildLevels, inclusionPath, leafNode, rootChildren, rootOf, rootRecursive, SumOverflow, verifyInclusion, type SumNode
} from "../src/merkle.ts"
import type { Leaf } from "../src/objects.ts"
import * as A from "./support/arbitraries.ts"

/** Leaves with weights small enough never to overflow a tree of up to 2^20 leaves. */
const leafArb: fc.Arbitrary<Leaf> = fc.record({ receiptHash: A.key, witness: A.key, weight: fc.bigInt({ min: 0n, max: 1n << 40n }) })
const tree = (max = 70) => fc.array(leafArb, { minLength: 1, maxLength: max })
const sameNode = (a: SumNode, b: SumNode) => equal(a.hash, b.hash) && a.sum === b.sum
const samePath = (a: readonly SumNode[], b: readonly SumNode[]) => a.length === b.length && a.every((x, i) => sameNode(x, b[i]!))
const sameLeaf = (a: Leaf, b: Leaf) => equal(a.receiptHash, b.receiptHash) && equal(a.witness, b.witness) && a.weight === b.weight

const flip = (b: Uint8Array, bit: number): Uint8Array => {
  const c = new Uint8Array(b)
  c[(bit >> 3) % c.length]! ^= 1 << (bit & 7)
  return c
}

type Mutation =
  | { t: "none" }
  | { t: "leafBit"; bit: number }
  | { t: "leafWeight"; d: bigint }
  | { t: "otherLeaf"; j: number }
  | { t: "index"; j: number }
  | { t: "siblingBit"; k: number; bit: number }
  | { t: "siblingSum"; k: number; d: bigint }
  | { t: "drop"; k: number }
  | { t: "append"; bit: number }
  | { t: "rootBit"; bit: number }
  | { t: "rootSum"; d: bigint }
  | { t: "otherPath"; j: number }
  | { t: "swapSiblings"; k: number }

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { arbitrary: fc.constant({ t: "none" as const }), weight: 3 },
  fc.record({ t: fc.constant("leafBit" as const), bit: fc.nat(8 * 64 - 1) }),
  fc.record({ t: fc.constant("leafWeight" as const), d: fc.bigInt({ min: -3n, max: 3n }) }),
  fc.record({ t: fc.constant("otherLeaf" as const), j: fc.nat() }),
  fc.record({ t: fc.constant("index" as const), j: fc.nat() }),
  fc.record({ t: fc.constant("siblingBit" as const), k: fc.nat(), bit: fc.nat(255) }),
  fc.record({ t: fc.constant("siblingSum" as const), k: fc.nat(), d: fc.bigInt({ min: -3n, max: 3n }) }),
  fc.record({ t: fc.constant("drop" as const), k: fc.nat() }),
  fc.record({ t: fc.constant("append" as const), bit: fc.nat(255) }),
  fc.record({ t: fc.constant("rootBit" as const), bit: fc.nat(255) }),
  fc.record({ t: fc.constant("rootSum" as const), d: fc.bigInt({ min: -3n, max: 3n }) }),
  fc.record({ t: fc.constant("otherPath" as const), j: fc.nat() }),
  fc.record({ t: fc.constant("swapSiblings" as const), k: fc.nat() })
)

describe("Merkle-sum tree", () => {
  it("rootOf (levels) equals the recursive RFC 9162 definition", () => {
    fc.assert(fc.property(tree(130), (ls) => sameNode(rootOf(ls.map(leafNode)), rootRecursive(ls.map(leafNode)))), { numRuns: 200 })
  })

  it("the root sums every weight, and the root is the parent of rootChildren", () => {
    fc.assert(
      fc.property(tree(), (ls) => {
        const root = rootOf(ls.map(leafNode))
        expect(root.sum).toBe(ls.reduce((s, l) => s + l.weight, 0n))
        if (ls.length > 1) {
          const { left, right } = rootChildren(ls.map(leafNode))
          expect(left.sum + right.sum).toBe(root.sum)
        }
      }),
      { numRuns: 100 }
    )
  })

  it("every leaf's proof verifies (completeness)", () => {
    fc.assert(
      fc.property(tree(), (ls) => {
        const nodes = ls.map(leafNode)
        const levels = buildLevels(nodes)
        const root = rootOf(nodes)
        for (let i = 0; i < ls.length; i++) if (!verifyInclusion(nodes[i]!, i, ls.length, inclusionPath(levels, i), root)) return false
        return true
      }),
      { numRuns: 100 }
    )
  })

  it("a proof verifies iff the leaf is at that index of that tree (soundness, under mutation)", () => {
    const outcomes = { accepted: 0, rejected: 0 }
    fc.assert(
      fc.property(tree(40), fc.nat(), mutation, (ls, i0, m) => {
        const n = ls.length
        const nodes = ls.map(leafNode)
        const levels = buildLevels(nodes)
        const root = rootOf(nodes)
        const i = i0 % n
        let leaf = ls[i]!
        let index = i
        let path = inclusionPath(levels, i)
        let claimedRoot = root
        const k = (x: number) => (path.length === 0 ? 0 : x % path.length)
        switch (m.t) {
          case "none": break
          case "leafBit": leaf = m.bit < 256 ? { ...leaf, receiptHash: flip(leaf.receiptHash, m.bit) } : { ...leaf, witness: flip(leaf.witness, m.bit) }; break
          case "leafWeight": leaf = { ...leaf, weight: leaf.weight + m.d < 0n ? 0n : leaf.weight + m.d }; break
          case "otherLeaf": leaf = ls[m.j % n]!; break
          case "index": index = m.j % (n + 1); break
          case "siblingBit": if (path.length) path = path.map((p, j) => (j === k(m.k) ? { ...p, hash: flip(p.hash, m.bit) } : p)); break
          case "siblingSum": if (path.length) path = path.map((p, j) => (j === k(m.k) ? { ...p, sum: p.sum + m.d < 0n ? 0n : p.sum + m.d } : p)); break
          case "drop": if (path.length) path = path.filter((_, j) => j !== k(m.k)); break
          case "append": path = [...path, { hash: flip(root.hash, m.bit), sum: 1n }]; break
          case "rootBit": claimedRoot = { ...root, hash: flip(root.hash, m.bit) }; break
          case "rootSum": claimedRoot = { ...root, sum: root.sum + m.d < 0n ? 0n : root.sum + m.d }; break
          case "otherPath": path = inclusionPath(levels, m.j % n); break
          case "swapSiblings": if (path.length > 1) { const a = k(m.k), b = (a + 1) % path.length; path = path.map((p, j) => (j === a ? path[b]! : j === b ? path[a]! : p)) } break
        }
        const got = verifyInclusion(leafNode(leaf), index, n, path, claimedRoot)
        // The oracle: the claimed root is the tree's, the leaf is the one at `index`, and the path is that leaf's path.
        const truth = index < n && sameNode(claimedRoot, root) && sameLeaf(leaf, ls[index]!) && samePath(path, inclusionPath(levels, index))
        outcomes[got ? "accepted" : "rejected"] += 1
        return got === truth
      }),
      { numRuns: 1500 }
    )
    expect(outcomes.accepted).toBeGreaterThan(100)
    expect(outcomes.rejected).toBeGreaterThan(500)
  })

  it("a proof of one tree does not verify against another tree of different leaves", () => {
    fc.assert(
      fc.property(tree(20), tree(20), fc.nat(), (a, b, i0) => {
        fc.pre(a.length !== b.length || a.some((l, j) => !sameLeaf(l, b[j]!)))
        const i = i0 % a.length
        const pa = inclusionPath(buildLevels(a.map(leafNode)), i)
        return !verifyInclusion(leafNode(a[i]!), i, b.length, pa, rootOf(b.map(leafNode)))
      }),
      { numRuns: 300 }
    )
  })

  it("sums are checked: an overflowing sibling makes the proof fail, an overflowing tree throws SumOverflow [MRK-4]", () => {
    expect(() => addSum(U64_MAX, 1n)).toThrow(SumOverflow)
    fc.assert(
      fc.property(tree(16), fc.nat(), (ls, i0) => {
        fc.pre(ls.length > 1)
        const i = i0 % ls.length
        const nodes = ls.map(leafNode)
        const path = inclusionPath(buildLevels(nodes), i).map((p, j) => (j === 0 ? { ...p, sum: U64_MAX } : p))
        return !verifyInclusion(nodes[i]!, i, ls.length, path, rootOf(nodes))
      }),
      { numRuns: 100 }
    )
    expect(() => rootOf([{ hash: new Uint8Array(32), sum: U64_MAX }, { hash: new Uint8Array(32), sum: 1n }])).toThrow(SumOverflow)
  })
})
