/**
 * Receipt signature verification on a pool of `node:worker_threads` [RCP-2]. ed25519 through
 * node:crypto costs ≈60 µs a receipt, far more than everything else a miner does with it, so it runs
 * off the event loop: a batch is cut into chunks, chunks go to the least-loaded worker (at most two in
 * flight per worker, so none idles between messages), and the rest wait in a FIFO. When more than
 * `maxPending` receipts are waiting, new batches are refused with `Overloaded` (HTTP 503) instead of
 * queueing without bound.
 */
import { Worker } from "node:worker_threads"
import { Context, Data, Effect, Layer, Metric } from "effect"
import { MinerConfig } from "./Config.ts"
import * as Metrics from "./Metrics.ts"
import { FRAME_SIZE, STATUS, type VerifyJob, type VerifyJobResult } from "./verify-protocol.ts"

export { FRAME_SIZE, STATUS } from "./verify-protocol.ts"

export class VerifierError extends Data.TaggedError("VerifierError")<{ readonly message: string }> {}
export class Overloaded extends Data.TaggedError("Overloaded")<{ readonly pending: number; readonly limit: number }> {}

export interface VerifyOutcome {
  /** One `STATUS` per frame. */
  readonly status: Uint8Array
  /** receipt_hash of each valid frame, 32 bytes each. */
  readonly hashes: Uint8Array
  /** Decode errors by frame index. */
  readonly errors: ReadonlyMap<number, { readonly rule: string; readonly message: string }>
}

export interface VerifierOptions {
  readonly workers: number
  readonly chunkSize: number
  readonly maxPending: number
}

/** Chunks a worker may hold at once: one running and one queued behind it. */
const IN_FLIGHT_PER_WORKER = 2

const WORKER_URL = new URL("./verify-worker.ts", import.meta.url)

interface Chunk {
  readonly frames: Uint8Array
  readonly count: number
  readonly done: (r: VerifyJobResult | VerifierError) => void
  cancelled: boolean
}

interface Slot {
  worker: Worker
  readonly running: Map<number, Chunk>
}

/** The pool itself, callback-based; the service wraps it in Effects. */
const makePool = (options: VerifierOptions) => {
  let nextId = 1
  let closed = false
  let pending = 0
  const waiting: Chunk[] = []
  const slots: Slot[] = []
  const gauges = () => {
    let depth = waiting.length
    for (const s of slots) depth += s.running.size
    Effect.runSync(Effect.all([Metric.update(Metrics.verifyQueueDepth, depth), Metric.update(Metrics.verifyPending, pending)]))
  }

  const spawn = (slot: Slot | undefined): Slot => {
    const worker = new Worker(WORKER_URL)
    worker.unref()
    const s: Slot = slot ?? { worker, running: new Map() }
    s.worker = worker
    worker.on("message", (r: VerifyJobResult) => {
      const chunk = s.running.get(r.id)
      s.running.delete(r.id)
      if (chunk !== undefined) chunk.done(r)
      pump()
    })
    const fail = (why: string) => {
      if (s.worker !== worker) return
      const lost = [...s.running.values()]
      s.running.clear()
      for (const c of lost) c.done(new VerifierError({ message: `verify worker ${why}` }))
      if (!closed) {
        spawn(s)
        pump()
      }
    }
    worker.on("error", (e) => fail(`failed: ${e.message}`))
    worker.on("exit", (code) => fail(`exited with code ${code}`))
    return s
  }

  const pump = (): void => {
    while (waiting.length > 0) {
      let best: Slot | undefined
      for (const s of slots) if (s.running.size < IN_FLIGHT_PER_WORKER && (best === undefined || s.running.size < best.running.size)) best = s
      if (best === undefined) break
      const chunk = waiting.shift()!
      if (chunk.cancelled) continue
      const id = nextId++
      best.running.set(id, chunk)
      const job: VerifyJob = { id, frames: chunk.frames, count: chunk.count }
      best.worker.postMessage(job, [chunk.frames.buffer as ArrayBuffer])
    }
    gauges()
  }

  for (let i = 0; i < options.workers; i++) slots.push(spawn(undefined))

  return {
    get pending() {
      return pending
    },
    /** Queues one chunk; returns a canceller. `frames` must own its buffer (it is transferred). */
    submit(frames: Uint8Array, count: number, done: (r: VerifyJobResult | VerifierError) => void): () => void {
      const chunk: Chunk = {
        frames,
        count,
        cancelled: false,
        done: (r) => {
          pending -= count
          done(r)
        }
      }
      pending += count
      waiting.push(chunk)
      pump()
      return () => {
        if (chunk.cancelled) return
        chunk.cancelled = true
        const at = waiting.indexOf(chunk)
        if (at >= 0) {
          waiting.splice(at, 1)
          pending -= count
          gauges()
        }
      }
    },
    async close(): Promise<void> {
      closed = true
      for (const c of waiting.splice(0)) c.done(new VerifierError({ message: "verifier closed" }))
      await Promise.all(slots.map((s) => s.worker.terminate()))
    }
  }
}

export class Verifier extends Context.Service<
  Verifier,
  {
    readonly workers: number
    /** Verifies `count` frames (receipt encoding ‖ signature, FRAME_SIZE bytes each). */
    verify(frames: Uint8Array, count: number): Effect.Effect<VerifyOutcome, VerifierError | Overloaded>
    /** Receipts queued or being verified. */
    readonly pending: Effect.Effect<number>
  }
>()("dotdns/miner/Verifier") {
  static readonly make = Effect.fn("Verifier.make")(function* (options: VerifierOptions) {
    const pool = yield* Effect.acquireRelease(
      Effect.sync(() => makePool(options)),
      (pool) => Effect.promise(() => pool.close())
    )
    yield* Metric.update(Metrics.verifyWorkers, options.workers)

    const verifyChunk = (frames: Uint8Array, count: number) =>
      Effect.callback<VerifyJobResult, VerifierError>((resume) => {
        const cancel = pool.submit(frames, count, (r) => resume(r instanceof VerifierError ? Effect.fail(r) : Effect.succeed(r)))
        return Effect.sync(cancel)
      })

    const verify = Effect.fn("Verifier.verify")(function* (frames: Uint8Array, count: number) {
      if (frames.length !== count * FRAME_SIZE) return yield* new VerifierError({ message: `expected ${count * FRAME_SIZE} bytes for ${count} frames, got ${frames.length}` })
      if (pool.pending + count > options.maxPending && pool.pending > 0) return yield* new Overloaded({ pending: pool.pending, limit: options.maxPending })
      const status = new Uint8Array(count)
      const hashes = new Uint8Array(32 * count)
      const errors = new Map<number, { readonly rule: string; readonly message: string }>()
      const starts: number[] = []
      for (let i = 0; i < count; i += options.chunkSize) starts.push(i)
      yield* Effect.forEach(
        starts,
        (start) => {
          const n = Math.min(options.chunkSize, count - start)
          // A copy that owns its ArrayBuffer, so it can be transferred to the worker.
          const chunk = frames.slice(start * FRAME_SIZE, (start + n) * FRAME_SIZE)
          return Effect.map(verifyChunk(chunk, n), (r) => {
            status.set(r.status, start)
            hashes.set(r.hashes, start * 32)
            for (const e of r.errors) errors.set(start + e.index, { rule: e.rule, message: e.message })
          })
        },
        { concurrency: "unbounded", discard: true }
      )
      let bad = 0
      for (let i = 0; i < count; i++) if (status[i] === STATUS.badSignature) bad++
      yield* Metrics.count(Metrics.verifyFailures, bad)
      return { status, hashes, errors }
    })

    return Verifier.of({ workers: options.workers, verify, pending: Effect.sync(() => pool.pending) })
  })

  static readonly layer = Layer.effect(
    Verifier,
    Effect.gen(function* () {
      const { verify } = yield* MinerConfig
      return yield* Verifier.make(verify)
    })
  )
}
