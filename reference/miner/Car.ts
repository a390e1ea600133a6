/**
 * Receipt batches as CAR files, exactly as spec 05 "Receipt batches" lays them out [AGG-6]:
 *
 *   receipt block  { receipt: bytes(106), signature: bytes(64), weight: u64 }   one per leaf
 *   chunk block    { leaves: [CID] }   links to the receipt blocks of ≤ 4096 consecutive leaves
 *   root block     { version: 1, aggregate: bytes, chunks: [CID] }   the statement's encoding with
 *                                                                   batch_cid absent
 *
 * Blocks are DAG-CBOR (0x71) under CIDv1 sha2-256 (36-byte CIDs); the file is CARv1 with the root
 * block's CID as its only root, then the root block, then each chunk block followed by its receipt
 * blocks in leaf order. `batch_cid` is the root block's CID. Deterministic: the same aggregate gives the
 * same bytes and CID, whoever builds it. Because the root holds the statement without its CID, a miner
 * builds the aggregate, then the CAR (`carOf`), then signs the statement with `batchCid` set.
 */
import { createHash } from "node:crypto"
import { CarBufferReader } from "@ipld/car/buffer-reader"
import * as CarWriter from "@ipld/car/buffer-writer"
import * as dagCbor from "@ipld/dag-cbor"
import { CID } from "multiformats/cid"
import { create as createDigest } from "multiformats/hashes/digest"
import type { BuiltAggregate, SignedReceipt } from "../../spec/src/aggregate.ts"
import { equal } from "../../spec/src/bytes.ts"
import { CID_MAX, decodeAggregate, decodeReceipt, encodeAggregate, encodeReceipt, type AggregateStatement, type Leaf } from "../../spec/src/objects.ts"

const SHA2_256 = 0x12
export const CAR_VERSION = 1
/** Receipt blocks per chunk block. */
export const CHUNK_LEAVES = 4096

export interface ReceiptCar {
  readonly root: CID
  /** Text form (base32 "b…"), as served at /v1/batches/{cid}. */
  readonly cid: string
  /** Binary form (36 bytes): the statement's batch_cid. */
  readonly cidBytes: Uint8Array
  /** The CAR file. */
  readonly bytes: Uint8Array
}

export interface ReceiptCarContents {
  readonly root: CID
  /** The statement, its batch_cid absent. */
  readonly statement: AggregateStatement
  /** In leaf order, with the leaf weight each was given. */
  readonly receipts: readonly (SignedReceipt & { readonly weight: bigint })[]
}

interface Block {
  readonly cid: CID
  readonly bytes: Uint8Array
}

const blockOf = (value: unknown): Block => {
  const bytes = dagCbor.encode(value)
  const digest = createDigest(SHA2_256, new Uint8Array(createHash("sha256").update(bytes).digest()))
  return { cid: CID.createV1(dagCbor.code, digest), bytes }
}

/**
 * The CAR of an aggregate: `receipts` in leaf order with `leaves` their leaves (both as
 * `buildAggregate` returns them), `statement` the statement (its batch_cid is ignored).
 */
export const buildReceiptCar = (statement: AggregateStatement, receipts: readonly SignedReceipt[], leaves: readonly Leaf[]): ReceiptCar => {
  if (receipts.length === 0 || receipts.length !== leaves.length) throw new RangeError("one receipt per leaf, at least one")
  const receiptBlocks = receipts.map((r, i) => blockOf({ receipt: encodeReceipt(r.receipt), signature: r.signature, weight: leaves[i]!.weight }))
  const chunks: { block: Block; members: Block[] }[] = []
  for (let i = 0; i < receiptBlocks.length; i += CHUNK_LEAVES) {
    const members = receiptBlocks.slice(i, i + CHUNK_LEAVES)
    chunks.push({ block: blockOf({ leaves: members.map((b) => b.cid) }), members })
  }
  const root = blockOf({ version: CAR_VERSION, aggregate: encodeAggregate({ ...statement, batchCid: null }), chunks: chunks.map((c) => c.block.cid) })
  const ordered = [root, ...chunks.flatMap((c) => [c.block, ...c.members])]
  const size = CarWriter.headerLength({ roots: [root.cid] }) + ordered.reduce((n, b) => n + CarWriter.blockLength(b), 0)
  const writer = CarWriter.createWriter(new ArrayBuffer(size), { roots: [root.cid] })
  for (const b of ordered) writer.write(b)
  const bytes = writer.close()
  const cidBytes = root.cid.bytes
  if (cidBytes.length > CID_MAX) throw new RangeError("batch CID too long")
  return { root: root.cid, cid: root.cid.toString(), cidBytes, bytes }
}

/**
 * The CAR of a built aggregate (`buildAggregate`'s output, its batch_cid ignored). The statement to
 * sign is then `built`'s with `batchCid = car.cidBytes`: the tree, support and leaves do not depend on it.
 */
export const carOf = (built: BuiltAggregate): ReceiptCar => buildReceiptCar(built.statement, built.receipts, built.leaves)

export class CarError extends Error {}

/** Reads a receipt CAR, checking every block against its CID and the layout of spec 05. */
export const readReceiptCar = (bytes: Uint8Array): ReceiptCarContents => {
  const reader = CarBufferReader.fromBytes(bytes)
  const roots = reader.getRoots()
  if (roots.length !== 1) throw new CarError("a receipt CAR has exactly one root")
  const blocks = new Map<string, Uint8Array>()
  for (const b of reader.blocks()) {
    const again = blockOf(dagCbor.decode(b.bytes))
    if (!again.cid.equals(b.cid) || !equal(again.bytes, b.bytes)) throw new CarError(`block ${b.cid} does not match its CID or is not canonical DAG-CBOR`)
    blocks.set(b.cid.toString(), b.bytes)
  }
  const get = (cid: unknown, what: string): Record<string, unknown> => {
    const c = CID.asCID(cid)
    const b = c === null ? undefined : blocks.get(c.toString())
    if (b === undefined) throw new CarError(`${what} block ${String(cid)} is missing`)
    return dagCbor.decode(b) as Record<string, unknown>
  }
  const root = get(roots[0], "root")
  if (root.version !== CAR_VERSION || !(root.aggregate instanceof Uint8Array) || !Array.isArray(root.chunks)) throw new CarError("the root block is not a receipt batch")
  const statement = decodeAggregate(root.aggregate)
  if (statement.batchCid !== null) throw new CarError("the root's aggregate carries a batch_cid")
  const receipts = (root.chunks as unknown[]).flatMap((c, ci) => {
    const chunk = get(c, "chunk")
    if (!Array.isArray(chunk.leaves) || chunk.leaves.length === 0 || chunk.leaves.length > CHUNK_LEAVES) throw new CarError(`chunk ${ci} is malformed`)
    if (ci < (root.chunks as unknown[]).length - 1 && chunk.leaves.length !== CHUNK_LEAVES) throw new CarError(`chunk ${ci} is not full`)
    return (chunk.leaves as unknown[]).map((l) => {
      const v = get(l, "receipt")
      if (!(v.receipt instanceof Uint8Array) || !(v.signature instanceof Uint8Array) || v.signature.length !== 64) throw new CarError("malformed receipt block")
      if (typeof v.weight !== "number" && typeof v.weight !== "bigint") throw new CarError("malformed receipt weight")
      return { receipt: decodeReceipt(v.receipt), signature: v.signature, weight: BigInt(v.weight) }
    })
  })
  if (receipts.length !== statement.receiptCount) throw new CarError(`${receipts.length} receipts for receipt_count ${statement.receiptCount}`)
  return { root: roots[0]!, statement, receipts }
}

/** A CID in text form, parsed; undefined when malformed. */
export const parseCid = (text: string): CID | undefined => {
  try {
    return CID.parse(text)
  } catch {
    return undefined
  }
}
