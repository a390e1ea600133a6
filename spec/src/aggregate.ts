/**
 * Building an aggregate from verified receipts [AGG-5]: one leaf per witness, weight = the witness's
 * stake in the epoch, leaves sorted by witness key, the Merkle-sum tree over them, and the opening a
 * submission carries. Miners use exactly this; a different order or weight is a provable bad leaf.
 */
import { compare } from "./bytes.ts"
import { buildLevels, inclusionPath, leafNode, rootChildren, type SumNode } from "./merkle.ts"
import { receiptHash, type AggregateStatement, type Leaf, type Receipt } from "./objects.ts"
import type { RootOpening } from "./ops.ts"

export interface SignedReceipt {
  readonly receipt: Receipt
  readonly signature: Uint8Array
}

export interface BuiltAggregate {
  readonly statement: AggregateStatement
  readonly leaves: readonly Leaf[]
  readonly receipts: readonly SignedReceipt[]
  readonly levels: readonly SumNode[][]
  readonly opening: RootOpening
  proof(index: number): SumNode[]
}

// #region leaf-of
export const leafOf = (r: SignedReceipt, weight: bigint): Leaf => ({
  receiptHash: receiptHash(r.receipt, r.signature),
  witness: r.receipt.witness,
  weight
})
// #endregion leaf-of

// #region build-aggregate
/**
 * `receipts` are already verified and deduplicated (one per witness) and all name the same epoch,
 * name and route; `weightOf` gives each witness's stake in the epoch.
 */
export const buildAggregate = (
  receipts: readonly SignedReceipt[],
  weightOf: (witness: Uint8Array) => bigint,
  miner: Uint8Array,
  batchCid: Uint8Array | null = null
): BuiltAggregate => {
  if (receipts.length === 0) throw new RangeError("an aggregate has at least one receipt")
  const sorted = [...receipts].sort((a, b) => compare(a.receipt.witness, b.receipt.witness))
  for (let i = 1; i < sorted.length; i++)
    if (compare(sorted[i - 1]!.receipt.witness, sorted[i]!.receipt.witness) === 0) throw new RangeError("one receipt per witness")
  const leaves = sorted.map((r) => leafOf(r, weightOf(r.receipt.witness)))
  const first = sorted[0]!.receipt
  return { ...aggregateOver(leaves, { epoch: first.epoch, nameHash: first.nameHash, routeHash: first.routeHash, miner, batchCid }), receipts: sorted }
}

/**
 * The statement, tree and opening over `leaves` exactly as given — their order and weights unchecked, so
 * tests and generated traces can build faulty aggregates with the same code honest miners use.
 */
export const aggregateOver = (
  leaves: readonly Leaf[],
  head: Pick<AggregateStatement, "epoch" | "nameHash" | "routeHash" | "miner" | "batchCid">
): Omit<BuiltAggregate, "receipts"> => {
  if (leaves.length === 0) throw new RangeError("an aggregate has at least one leaf")
  const levels = buildLevels(leaves.map(leafNode))
  const root = levels[levels.length - 1]![0]!
  const statement: AggregateStatement = {
    epoch: head.epoch,
    nameHash: head.nameHash,
    routeHash: head.routeHash,
    receiptRoot: root.hash,
    support: root.sum,
    receiptCount: leaves.length,
    miner: head.miner,
    batchCid: head.batchCid
  }
  const opening: RootOpening =
    leaves.length === 1 ? { kind: "leaf", leaf: leaves[0]! } : { kind: "node", ...rootChildren(levels[0]!) }
  return { statement, leaves, levels, opening, proof: (i) => inclusionPath(levels, i) }
}
// #endregion build-aggregate
