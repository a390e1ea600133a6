/** CAR batches as spec 05 lays them out: deterministic CIDs, chunking, and reading back with every block checked. */
import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { buildAggregate } from "../../../spec/src/aggregate.ts"
import { hex } from "../../../spec/src/bytes.ts"
import { keypairFromSeed } from "../../../spec/src/ed25519.ts"
import { buildReceiptCar, carOf, CarError, CHUNK_LEAVES, parseCid, readReceiptCar } from "../Car.ts"
import { signReceipt, witnesses } from "./helpers.ts"

const W = witnesses(12, "car")
const ROUTE = new Uint8Array(32).fill(3)
const MINER = new Uint8Array(32).fill(0x4d)
const receipts = W.map((w) => signReceipt(w, 9n, "car.dns", ROUTE))
const weightOf = (w: Uint8Array) => BigInt(w[0]! + 1)

describe("receipt CAR batches [AGG-6]", () => {
  it("gives the same bytes and CID for the same aggregate, whatever order the receipts came in", () => {
    const a = carOf(buildAggregate(receipts, weightOf, MINER))
    fc.assert(
      fc.property(fc.shuffledSubarray(receipts, { minLength: receipts.length, maxLength: receipts.length }), (shuffled) => {
        const b = carOf(buildAggregate(shuffled, weightOf, MINER))
        return b.cid === a.cid && Buffer.compare(b.bytes, a.bytes) === 0
      }),
      { numRuns: 40 }
    )
    expect(a.cid).toMatch(/^bafyrei/)
    expect(hex(a.cidBytes.subarray(0, 4))).toBe("01711220") // CIDv1, dag-cbor, sha2-256, 32 bytes
    expect(a.cidBytes).toHaveLength(36)
    expect(parseCid(a.cid)?.equals(a.root)).toBe(true)
    // The root commits to the statement: another miner, weight or receipt set is another batch.
    expect(carOf(buildAggregate(receipts, weightOf, new Uint8Array(32))).cid).not.toBe(a.cid)
    expect(carOf(buildAggregate(receipts, () => 1n, MINER)).cid).not.toBe(a.cid)
    expect(carOf(buildAggregate(receipts.slice(1), weightOf, MINER)).cid).not.toBe(a.cid)
    // A statement's own batch_cid is not part of its batch.
    expect(carOf(buildAggregate(receipts, weightOf, MINER, a.cidBytes)).cid).toBe(a.cid)
  })

  it("reads back the statement and the receipts with their weights, in leaf order", () => {
    const built = buildAggregate(receipts, weightOf, MINER)
    const car = readReceiptCar(carOf(built).bytes)
    expect(car.statement).toEqual({ ...built.statement, batchCid: null })
    expect(car.receipts.map((r) => [hex(r.receipt.witness), hex(r.signature), r.weight])).toEqual(
      built.receipts.map((r, i) => [hex(r.receipt.witness), hex(r.signature), built.leaves[i]!.weight])
    )
  })

  it("splits more than 4096 leaves into chunks", () => {
    const many = Array.from({ length: CHUNK_LEAVES + 5 }, (_, i) => {
      const seed = new Uint8Array(32)
      new DataView(seed.buffer).setUint32(0, i + 1)
      return signReceipt(keypairFromSeed(seed), 1n, "big.dns", ROUTE)
    })
    const built = buildAggregate(many, () => 1n, MINER)
    const car = readReceiptCar(carOf(built).bytes)
    expect(car.receipts).toHaveLength(CHUNK_LEAVES + 5)
    expect(car.statement.receiptCount).toBe(CHUNK_LEAVES + 5)
  }, 60_000)

  it("refuses a tampered block and mismatched inputs", () => {
    const built = buildAggregate(receipts, weightOf, MINER)
    const bytes = Uint8Array.from(carOf(built).bytes)
    bytes[bytes.length - 70] ^= 1
    expect(() => readReceiptCar(bytes)).toThrow(CarError)
    expect(() => buildReceiptCar(built.statement, built.receipts, built.leaves.slice(1))).toThrow(RangeError)
  })
})
