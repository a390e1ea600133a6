/** The verify worker pool and the batch decoders of ingest. */
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { hex } from "../../../spec/src/bytes.ts"
import { receiptHash } from "../../../spec/src/objects.ts"
import { BatchTooLarge, decodeBinaryBatch, decodeFramedBatch, decodeJsonBatch, MalformedBatch } from "../Ingest.ts"
import { FRAME_SIZE, Overloaded, STATUS, Verifier } from "../Verifier.ts"
import { encodeBinaryBatch, receiptInput, signReceipt, witnesses } from "./helpers.ts"

const W = witnesses(50, "verifier")
const ROUTE = new Uint8Array(32).fill(9)
const receipts = Array.from({ length: 1000 }, (_, i) => signReceipt(W[i % 50]!, BigInt(i % 3), "v.dns", ROUTE))
const body = encodeBinaryBatch(receipts)
const frames = body.subarray(4)

const withVerifier = <A, E>(options: { workers: number; chunkSize: number; maxPending: number }, f: (v: Verifier["Service"]) => Effect.Effect<A, E>) =>
  Effect.runPromise(Effect.scoped(Effect.flatMap(Verifier.make(options), f)))

describe("Verifier", () => {
  it("verifies on N workers, computes receipt hashes, and flags bad signatures and encodings", async () => {
    const bad = Uint8Array.from(frames)
    bad[7 * FRAME_SIZE + FRAME_SIZE - 1]! ^= 1 // signature of #7
    bad[300 * FRAME_SIZE + 1] = 2 // layout version of #300
    for (const workers of [1, 3]) {
      const out = await withVerifier({ workers, chunkSize: 64, maxPending: 10_000 }, (v) => v.verify(bad, receipts.length))
      expect(out.status[0]).toBe(STATUS.valid)
      expect(out.status[7]).toBe(STATUS.badSignature)
      expect(out.status[300]).toBe(STATUS.malformed)
      expect(out.errors.get(300)?.rule).toBe("VER-2")
      expect([...out.status].filter((s) => s === STATUS.valid)).toHaveLength(receipts.length - 2)
      expect(hex(out.hashes.subarray(999 * 32, 1000 * 32))).toBe(hex(receiptHash(receipts[999]!.receipt, receipts[999]!.signature)))
    }
  })

  it("runs concurrent batches and refuses work beyond max_pending", async () => {
    await withVerifier({ workers: 2, chunkSize: 100, maxPending: 1500 }, (v) =>
      Effect.gen(function* () {
        const [a, b] = yield* Effect.all([v.verify(frames, 1000), Effect.flip(v.verify(frames, 1000))], { concurrency: "unbounded" })
        expect([...a.status].every((s) => s === STATUS.valid)).toBe(true)
        expect(b).toBeInstanceOf(Overloaded)
        expect(yield* v.pending).toBe(0)
        const again = yield* v.verify(frames.slice(0, 10 * FRAME_SIZE), 10)
        expect(again.status).toHaveLength(10)
      })
    )
  })
})

describe("batch decoding", () => {
  it("takes the framed format ([14]: 170-byte frames) and refuses a length that is not a multiple of 170", () => {
    expect(decodeFramedBatch(frames, 5000)).toMatchObject({ count: 1000 })
    expect(decodeFramedBatch(frames.subarray(1), 5000)).toBeInstanceOf(MalformedBatch)
    expect(decodeFramedBatch(frames, 999)).toBeInstanceOf(BatchTooLarge)
    expect(decodeFramedBatch(new Uint8Array(0), 5)).toMatchObject({ count: 0 })
  })

  it("takes the counted binary format and refuses a wrong length or an oversized count", () => {
    const ok = decodeBinaryBatch(body, 5000)
    expect(ok).toMatchObject({ count: 1000 })
    expect(decodeBinaryBatch(body.subarray(0, body.length - 1), 5000)).toBeInstanceOf(MalformedBatch)
    expect(decodeBinaryBatch(body, 999)).toBeInstanceOf(BatchTooLarge)
    expect(decodeBinaryBatch(new Uint8Array(3), 5000)).toBeInstanceOf(MalformedBatch)
  })

  it("turns a JSON batch into the same frames as the binary one", () => {
    const json = decodeJsonBatch({ receipts: receipts.slice(0, 5).map(receiptInput) }, 100)
    expect("frames" in json && hex(json.frames)).toBe(hex(frames.subarray(0, 5 * FRAME_SIZE)))
    const bad = decodeJsonBatch({ receipts: [{ ...receiptInput(receipts[0]!), signature: "00" }] }, 100)
    expect(bad instanceof MalformedBatch && bad.message).toMatch(/^receipts\.0\.signature: /)
    const flat = decodeJsonBatch({ receipts: [{ ...receiptInput(receipts[0]!).receipt, signature: "00".repeat(64) }] }, 100)
    expect(flat).toBeInstanceOf(MalformedBatch)
    expect(decodeJsonBatch({ receipts: receipts.slice(0, 5).map(receiptInput) }, 4)).toBeInstanceOf(BatchTooLarge)
  })
})
