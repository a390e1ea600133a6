/**
 * A verify worker thread: for each frame (receipt encoding ‖ witness signature) it decodes the receipt
 * with the spec, checks the witness's ed25519 signature over the receipt digest [RCP-2] through
 * node:crypto, and computes receipt_hash [RCP-3] for the leaf the receipt may become.
 */
import { parentPort } from "node:worker_threads"
import { verify } from "../../spec/src/ed25519.ts"
import { decodeReceipt, receiptDigest, receiptHash } from "../../spec/src/objects.ts"
import { FRAME_SIZE, SIGNATURE_OFFSET, STATUS, type VerifyJob, type VerifyJobResult } from "./verify-protocol.ts"

const port = parentPort
if (port === null) throw new Error("verify-worker.ts runs as a worker thread")

port.on("message", (job: VerifyJob) => {
  const status = new Uint8Array(job.count)
  const hashes = new Uint8Array(32 * job.count)
  const errors: { index: number; rule: string; message: string }[] = []
  for (let i = 0; i < job.count; i++) {
    const at = i * FRAME_SIZE
    const signature = job.frames.subarray(at + SIGNATURE_OFFSET, at + FRAME_SIZE)
    let receipt
    try {
      receipt = decodeReceipt(job.frames.subarray(at, at + SIGNATURE_OFFSET))
    } catch (e) {
      status[i] = STATUS.malformed
      const rule = (e as { rule?: string }).rule ?? "ENC-2"
      errors.push({ index: i, rule, message: (e as Error).message })
      continue
    }
    if (!verify(receipt.witness, receiptDigest(receipt), signature)) {
      status[i] = STATUS.badSignature
      continue
    }
    hashes.set(receiptHash(receipt, signature), i * 32)
  }
  const result: VerifyJobResult = { id: job.id, status, hashes, errors }
  port.postMessage(result, [status.buffer, hashes.buffer])
})
