/**
 * The Merkle-sum root of 2^20 (1,048,576) leaves on one core — the largest tree [MRK-6] — from leaf
 * nodes (hashes + sums) and from Leaf objects (leaf hashing included), by the fast builder
 * (`spec/src/merkle-fast.ts`) and by the normative reference (`spec/src/merkle.ts`). Goal: ≤ 1 s.
 *
 * The limit beside each figure is the same number of bare sha256 one-shots (the fastest form node:crypto
 * offers here: a "binary" string out), timed right before each round of the figure so both see the
 * machine alike: n − 1 node hashes of 95 bytes, plus n leaf hashes of 89 bytes from Leaf objects. The
 * ratio is limit / figure (the share of the time that is bare hashing), the median over the rounds; the
 * value is the best round.
 *
 * `node bench/merkle.ts [--json] [--only <id>] [--leaves N]`
 */
import { hash } from "node:crypto"
import { leafNode, rootOf, type SumNode } from "../spec/src/merkle.ts"
import { leafNodesOf, NODE_SIZE, rootOfLeafNodes, rootOfLeaves } from "../spec/src/merkle-fast.ts"
import type { Leaf } from "../spec/src/objects.ts"
import { median, printJsonResults, type BenchResult } from "./lib/result.ts"

const option = (name: string): string | undefined => {
  const i = process.argv.indexOf(name)
  return i >= 0 ? process.argv[i + 1] : undefined
}

/** Deterministic pseudo-random bytes (xorshift), cheap enough for 64 MiB of leaves. */
const filler = (seed: number) => {
  let x = seed >>> 0 || 1
  return (out: Uint8Array): Uint8Array => {
    for (let i = 0; i < out.length; i++) {
      x ^= x << 13
      x ^= x >>> 17
      x ^= x << 5
      out[i] = x & 0xff
    }
    return out
  }
}

const leavesOf = (n: number): Leaf[] => {
  const fill = filler(0x5eed)
  return Array.from({ length: n }, (_, i) => ({ receiptHash: fill(new Uint8Array(32)), witness: fill(new Uint8Array(32)), weight: BigInt(1 + (i % 1000)) * 1_000_000n }))
}

const seconds = (f: () => unknown): number => {
  const t = process.hrtime.bigint()
  f()
  return Number(process.hrtime.bigint() - t) / 1e9
}

const sameRoot = (a: SumNode, b: SumNode) => Buffer.from(a.hash).equals(Buffer.from(b.hash)) && a.sum === b.sum

/** The same number of bare one-shot sha256 (the fastest form: "binary" string out) as a tree needs: seconds. */
const bareHashes = (nodeCount: number, leafCount: number): number => {
  const node = Buffer.alloc(95, 7)
  const leaf = Buffer.alloc(89, 9)
  return seconds(() => {
    for (let i = 0; i < leafCount; i++) hash("sha256", leaf, "binary")
    for (let i = 0; i < nodeCount; i++) hash("sha256", node, "binary")
  })
}

interface Paired {
  /** Seconds of the figure and of its limit, per round, the limit measured right before. */
  readonly figure: number[]
  readonly limit: number[]
}

export const run = async (opts: { only?: string; leaves?: number; fastRounds?: number } = {}): Promise<BenchResult[]> => {
  const n = opts.leaves ?? 1 << 20
  const want = (id: string) => opts.only === undefined || opts.only === id
  const leaves = leavesOf(n)
  const { hashes, sums } = leafNodesOf(leaves)
  const rounds = opts.fastRounds ?? 9
  const out: BenchResult[] = []
  const check: SumNode[] = []

  // Each round: the limit (bare hashes, as many as the tree needs) then the figure, so both see the
  // machine in the same state; a first, untimed round lets the heap and the JIT settle.
  const paired = (f: () => SumNode, nodeCount: number, leafCount: number): Paired => {
    check.push(f())
    const p: Paired = { figure: [], limit: [] }
    for (let r = 0; r < rounds; r++) {
      p.limit.push(bareHashes(nodeCount, leafCount))
      p.figure.push(seconds(() => check.push(f())))
    }
    return p
  }
  // One preallocated level, as a miner building tree after tree keeps one (a fresh 40 MiB buffer per tree
  // brings a full GC every other tree: ≈ +170 ms here with a million leaves on the heap).
  const level = Buffer.allocUnsafe(n * NODE_SIZE)
  const fastNodes = want("merkle.leafNodes.fast") ? paired(() => rootOfLeafNodes(hashes, sums, level), n - 1, 0) : undefined
  const fastLeaves = want("merkle.leaves.fast") ? paired(() => rootOfLeaves(leaves, level), n - 1, n) : undefined
  let refNodes: number | undefined
  let refLeaves: number | undefined
  if (want("merkle.leafNodes.reference") || want("merkle.leaves.reference")) {
    const nodes = leaves.map(leafNode)
    if (want("merkle.leafNodes.reference")) refNodes = seconds(() => check.push(rootOf(nodes)))
    if (want("merkle.leaves.reference")) refLeaves = seconds(() => check.push(rootOf(leaves.map(leafNode))))
  }
  for (const c of check) if (!sameRoot(c, check[0]!)) throw new Error("merkle bench: the fast and reference roots differ")

  const bestNodeLimit = fastNodes ? Math.min(...fastNodes.limit) : bareHashes(n - 1, 0)
  const bestLeafLimit = fastLeaves ? Math.min(...fastLeaves.limit) : bareHashes(n - 1, n)
  const size = `2^${Math.log2(n)} = ${n.toLocaleString("en-US")} leaves`
  const count = (x: number) => x.toLocaleString("en-US")
  const limitNodes = { what: `${count(n - 1)} bare crypto.hash one-shots of 95 B (best round)`, value: Number(bestNodeLimit.toFixed(4)), unit: "s" }
  const limitLeaves = { what: `${count(n - 1)} × 95 B + ${count(n)} × 89 B bare crypto.hash one-shots (best round)`, value: Number(bestLeafLimit.toFixed(4)), unit: "s" }
  // The goal is for the full tree; a smaller (--leaves) run reports without claiming it.
  const goal = n === 1 << 20 ? ({ on: "value", op: "<=", target: 1 } as const) : undefined
  const rerun = (id: string) => ({ args: ["bench/merkle.ts", "--json", "--only", id] })
  const fast = (id: string, figure: string, p: Paired, limit: BenchResult["limit"]): BenchResult => {
    const ratios = p.figure.map((t, i) => p.limit[i]! / t)
    return {
      id,
      figure,
      value: Number(Math.min(...p.figure).toFixed(4)),
      unit: "s",
      limit,
      ratio: Number(median(ratios).toFixed(3)),
      ratioNote: "limit / figure, median of rounds, each limit measured right before its round",
      ...(goal ? { goal } : {}),
      detail: `best of ${p.figure.length} rounds, median ${median(p.figure).toFixed(3)} s; per-round ratios ${ratios.map((x) => x.toFixed(2)).join(", ")}`,
      rerun: rerun(id),
      data: p
    }
  }
  if (fastNodes) out.push(fast("merkle.leafNodes.fast", `Merkle-sum root of ${size} from leaf nodes (hashes + sums), merkle-fast over a preallocated level, one core`, fastNodes, limitNodes))
  if (fastLeaves) out.push(fast("merkle.leaves.fast", `Merkle-sum root of ${size} from Leaf objects (leaf hashing included), merkle-fast over a preallocated level, one core`, fastLeaves, limitLeaves))
  const reference = (id: string, figure: string, t: number, limit: NonNullable<BenchResult["limit"]>, p: Paired | undefined): BenchResult => ({
    id,
    figure,
    value: Number(t.toFixed(3)),
    unit: "s",
    limit,
    ratio: Number((limit.value / t).toFixed(3)),
    ratioNote: "limit / figure",
    detail: `one run; merkle-fast is ${p ? (t / Math.min(...p.figure)).toFixed(1) : "?"}× faster; no goal: the reference is kept for clarity`,
    rerun: rerun(id)
  })
  if (refNodes !== undefined)
    out.push(reference("merkle.leafNodes.reference", `Merkle-sum root of ${size} from leaf nodes, spec/src/merkle.ts (normative reference, Writer + createHash per node)`, refNodes, limitNodes, fastNodes))
  if (refLeaves !== undefined)
    out.push(reference("merkle.leaves.reference", `Merkle-sum root of ${size} from Leaf objects, spec/src/merkle.ts (leafNode + rootOf)`, refLeaves, limitLeaves, fastLeaves))
  return out
}

if (import.meta.main) {
  const leaves = option("--leaves")
  const only = option("--only")
  const results = await run({ ...(only ? { only } : {}), ...(leaves ? { leaves: Number(leaves) } : {}) })
  if (process.argv.includes("--json")) printJsonResults(results)
  else for (const x of results) console.log(`${x.figure}\n   ${x.value} ${x.unit}  limit ${x.limit?.value} s (${x.limit?.what})  ratio ${x.ratio}  ${x.detail ?? ""}`)
}
