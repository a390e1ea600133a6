/**
 * Merkle-sum tree vectors [MRK], after transparency-dev/merkle: a happy path per proof and, beside it,
 * each mutation with the rule it breaks. Also aggregate building [AGG-5].
 */
import { hex } from "../../src/bytes.ts"
import { U64_MAX } from "../../src/codec.ts"
import { H } from "../../src/hash.ts"
import { LeafJson, SignedReceiptJson, SumNodeJson, toJson } from "../../src/json.ts"
import { buildLevels, inclusionPath, leafNode, rootOf, verifyInclusion, type SumNode } from "../../src/merkle.ts"
import type { Leaf } from "../../src/objects.ts"
import { Cases } from "./case.ts"
import { ALPHA, alphaRoute, m1, receipt, routeHash, w1, w2, w3, w4, w5 } from "./scenario.ts"

const u = (s: string, i: number) => H(`dotdns/test/${s}`, Uint8Array.of(i & 0xff, i >> 8))
/** n deterministic leaves with varied weights, sorted by witness as an aggregate's are. */
export const testLeaves = (n: number): Leaf[] =>
  Array.from({ length: n }, (_, i) => ({ receiptHash: u("receipt", i), witness: u("witness", i), weight: BigInt((i * 7919) % 1000) * 1_000_000n + BigInt(i) }))
    .sort((a, b) => (hex(a.witness) < hex(b.witness) ? -1 : 1))

const leavesJson = (ls: readonly Leaf[]) => ls.map((l) => toJson(LeafJson, l))
const nodeJson = (n: SumNode) => toJson(SumNodeJson, n)

export const merkleCases = (): Cases => {
  const c = new Cases("merkle")
  const sizes = [...Array.from({ length: 17 }, (_, i) => i + 1), 31, 32, 33, 64, 100, 255]
  for (const n of sizes) c.ok(`merkle_root-${n}`, "merkle_root", ["MRK-1", "MRK-3"], `the root of ${n} leaves`, { leaves: leavesJson(testLeaves(n)) })
  c.ok("merkle_root-zero-weights", "merkle_root", ["MRK-1", "MRK-3"], "three leaves of weight zero", { leaves: leavesJson(testLeaves(3).map((l) => ({ ...l, weight: 0n }))) })
  c.ok("merkle_root-max-sum", "merkle_root", ["MRK-4"], "two leaves summing to exactly 2^64 − 1", { leaves: leavesJson(testLeaves(2).map((l, i) => ({ ...l, weight: i === 0 ? U64_MAX - 1n : 1n }))) })
  c.fail("merkle_root-overflow", "merkle_root", "MRK-4", "two leaves summing past 2^64 − 1", { leaves: leavesJson(testLeaves(2).map((l) => ({ ...l, weight: U64_MAX / 2n + 1n }))) })
  c.fail("merkle_root-empty", "merkle_root", "AGG-2", "no leaves", { leaves: [] })

  const proofSets: [number, number[]][] = [
    [1, [0]], [2, [0, 1]], [3, [0, 1, 2]], [4, [0, 3]], [5, [0, 1, 2, 3, 4]], [6, [4, 5]], [7, [0, 3, 6]], [8, [0, 7]],
    [13, [0, 6, 11, 12]], [17, [0, 8, 15, 16]], [100, [0, 63, 64, 99]]
  ]
  for (const [n, idx] of proofSets) {
    const leaves = testLeaves(n)
    for (const i of idx) c.ok(`inclusion_proof-${n}-${i}`, "inclusion_proof", ["MRK-5"], `the path of leaf ${i} of ${n}`, { leaves: leavesJson(leaves), index: i })
  }
  c.fail("inclusion_proof-index-out-of-range", "inclusion_proof", "MRK-5", "leaf 5 of a 5-leaf tree", { leaves: leavesJson(testLeaves(5)), index: 5 })

  // verify_inclusion: happy paths, then mutations of two of them
  for (const [n, idx] of proofSets) {
    const leaves = testLeaves(n)
    const levels = buildLevels(leaves.map(leafNode))
    const root = rootOf(leaves.map(leafNode))
    for (const i of idx)
      c.ok(`verify_inclusion-${n}-${i}`, "verify_inclusion", ["MRK-5"], `a valid proof of leaf ${i} of ${n}`, {
        leaf: toJson(LeafJson, leaves[i]!), index: i, size: n, path: inclusionPath(levels, i).map(nodeJson), root: nodeJson(root)
      })
  }
  for (const [n, i] of [[13, 6], [17, 16]] as const) {
    const leaves = testLeaves(n)
    const levels = buildLevels(leaves.map(leafNode))
    const root = rootOf(leaves.map(leafNode))
    const path = inclusionPath(levels, i)
    const base: { leaf: Leaf; index: number; size: number; path: SumNode[]; root: SumNode } = { leaf: leaves[i]!, index: i, size: n, path, root }
    const input = (x: typeof base) => ({ leaf: toJson(LeafJson, x.leaf), index: x.index, size: x.size, path: x.path.map(nodeJson), root: nodeJson(x.root) })
    const mut = (name: string, d: string, x: typeof base, more: ("MRK-4" | "MRK-6" | "MRK-1" | "MRK-3")[] = []) =>
      c.fail(`verify_inclusion-${n}-${i}-${name}`, "verify_inclusion", "MRK-5", d, input(x), more)
    const flip = (b: Uint8Array, bit: number) => {
      const x = new Uint8Array(b)
      x[bit >> 3]! ^= 1 << (bit & 7)
      return x
    }
    for (let k = 0; k < path.length; k++) {
      mut(`sibling-${k}-hash-bit`, `bit 0 of sibling ${k}'s hash flipped`, { ...base, path: path.map((p, j) => (j === k ? { ...p, hash: flip(p.hash, 0) } : p)) }, ["MRK-3"])
      mut(`sibling-${k}-sum`, `sibling ${k}'s sum increased by one`, { ...base, path: path.map((p, j) => (j === k ? { ...p, sum: p.sum + 1n } : p)) }, ["MRK-3"])
    }
    mut("leaf-hash-bit", "bit 7 of the leaf's receipt_hash flipped", { ...base, leaf: { ...base.leaf, receiptHash: flip(base.leaf.receiptHash, 7) } }, ["MRK-1"])
    mut("leaf-weight", "the leaf's weight increased by one", { ...base, leaf: { ...base.leaf, weight: base.leaf.weight + 1n } }, ["MRK-1"])
    mut("index-minus-1", `index ${i - 1} instead of ${i}`, { ...base, index: i - 1 })
    if (i + 1 < n) mut("index-plus-1", `index ${i + 1} instead of ${i}`, { ...base, index: i + 1 })
    mut("index-equals-size", `index ${n} in a tree of ${n}`, { ...base, index: n })
    // A path fixes the tree's shape along one branch, not its size: a size giving the same shape on
    // that branch verifies too. The size a program checks against is the aggregate's receipt_count.
    for (const [name, size] of [["size-minus-1", n - 1], ["size-plus-1", n + 1], ["size-double", 2 * n]] as const) {
      const x = { ...base, size }
      if (verifyInclusion(leafNode(x.leaf), x.index, x.size, x.path, x.root))
        c.ok(`verify_inclusion-${n}-${i}-${name}`, "verify_inclusion", ["MRK-5"], `size ${size} instead of ${n} gives the same shape on this branch, so the proof verifies: a proof binds the size only through the root`, input(x))
      else mut(name, `size ${size} instead of ${n}`, x)
    }
    mut("path-too-short", "the last sibling dropped", { ...base, path: path.slice(0, -1) })
    mut("path-too-long", "the root appended to the path", { ...base, path: [...path, root] })
    mut("path-empty", "no siblings", { ...base, path: [] })
    if (path.length > 1) mut("path-reversed", "siblings in reverse order", { ...base, path: [...path].reverse() })
    mut("root-hash-bit", "bit 0 of the root hash flipped", { ...base, root: { ...root, hash: flip(root.hash, 0) } })
    mut("root-sum", "the root sum increased by one", { ...base, root: { ...root, sum: root.sum + 1n } })
    mut("root-sum-minus-1", "the root sum decreased by one", { ...base, root: { ...root, sum: root.sum - 1n } })
    mut("sum-overflow", "a sibling sum of 2^64 − 1: the walk overflows", { ...base, path: path.map((p, j) => (j === 0 ? { ...p, sum: U64_MAX } : p)) }, ["MRK-4"])
  }
  // A 2^20 + 1 tree cannot be proven; a path of 21 siblings is refused before hashing [MRK-6].
  const one = testLeaves(1)[0]!
  const filler = { hash: u("filler", 0), sum: 0n }
  c.fail("verify_inclusion-path-21", "verify_inclusion", "MRK-5", "21 siblings: deeper than any tree", {
    leaf: toJson(LeafJson, one), index: 0, size: 1 << 20, path: new Array(21).fill(nodeJson(filler)), root: nodeJson(filler)
  }, ["MRK-6"])
  c.fail("verify_inclusion-size-over-max", "verify_inclusion", "MRK-5", "size 2^20 + 1", {
    leaf: toJson(LeafJson, one), index: 0, size: (1 << 20) + 1, path: new Array(20).fill(nodeJson(filler)), root: nodeJson(filler)
  }, ["MRK-6"])
  c.ok("verify_inclusion-single-leaf", "verify_inclusion", ["MRK-5", "MRK-1"], "a one-leaf tree: the leaf is the root, the path is empty", {
    leaf: toJson(LeafJson, one), index: 0, size: 1, path: [], root: nodeJson(leafNode(one))
  })

  for (const n of [2, 3, 4, 5, 6, 7, 8, 9, 17, 100])
    c.ok(`root_children-${n}`, "root_children", ["AGG-3", "MRK-3"], `the root's children in a tree of ${n}`, { leaves: leavesJson(testLeaves(n)) })
  c.fail("root_children-1", "root_children", "AGG-3", "a one-leaf tree has no children", { leaves: leavesJson(testLeaves(1)) })
  c.fail("root_children-0", "root_children", "AGG-2", "no leaves", { leaves: [] })
  return c
}

export const aggregateCases = (): Cases => {
  const c = new Cases("aggregate")
  const rh = routeHash(alphaRoute().record)
  const rs = [w3, w1, w5, w2, w4].map((w) => receipt(w, 2n, ALPHA, rh))
  const weights = Object.fromEntries([w1, w2, w3, w4, w5].map((w, i) => [hex(w.publicKey), (BigInt(i + 1) * 1_000_000_000n).toString()]))
  const input = (n: number, cid: Uint8Array | null = null) => ({
    receipts: rs.slice(0, n).map((r) => toJson(SignedReceiptJson, r)),
    weights,
    miner: hex(m1.publicKey),
    batchCid: cid === null ? null : hex(cid)
  })
  for (const n of [1, 2, 3, 5]) c.ok(`build_aggregate-${n}`, "build_aggregate", ["AGG-5", "MRK-2", "AGG-3"], `${n} receipts, given unsorted; leaves sorted by witness`, input(n))
  c.ok("build_aggregate-cid", "build_aggregate", ["AGG-5", "AGG-6"], "with a batch CID", input(3, H("dotdns/test/cid", Uint8Array.of(1))))
  c.fail("build_aggregate-empty", "build_aggregate", "AGG-2", "no receipts", input(0))
  c.fail("build_aggregate-duplicate-witness", "build_aggregate", "MRK-2", "two receipts by one witness", { ...input(3), receipts: [...input(3).receipts, toJson(SignedReceiptJson, rs[0]!)] })
  const { [hex(w5.publicKey)]: _, ...missing } = weights
  c.fail("build_aggregate-missing-weight", "build_aggregate", "AGG-5", "a witness without a weight", { ...input(5), weights: missing })
  return c
}
