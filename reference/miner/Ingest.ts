/**
 * Receipt ingest, `POST /v1/receipts`: the first step of the data path. Each receipt goes
 *
 *   decode (spec codec) → epoch is current or previous → name registered → witness staked in the
 *   epoch (StakeView) → witness signature (Verifier workers) → one per witness per (epoch, name)
 *   [RCP-5] → persisted → acknowledged
 *
 * Stake comes before signatures, as spec 03 recommends: the lookups are cheap and turn unstaked spam
 * away before it costs a verification. The answer is sent only after the accepted receipts are durable
 * [API-1], with a status per receipt and the rule each rejected one broke [API-2]. Concurrent batches
 * share storage commits (group commit): one fsync acknowledges every batch that reached the committer
 * meanwhile.
 */
import { ByteSize, Context, Data, Deferred, Effect, Layer, Metric, Queue, Schedule, Schema, SchemaIssue } from "effect"
import { HttpIncomingMessage, HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { hex, u32le } from "../../spec/src/bytes.ts"
import { DecodeError } from "../../spec/src/errors.ts"
import { decodeReceipt, encodeReceipt, type Receipt } from "../../spec/src/objects.ts"
import type { SignedReceipt } from "../../spec/src/aggregate.ts"
import { BadRequest, MinerApi, PayloadTooLarge, Unavailable, UnsupportedMediaType } from "./Api.ts"
import { MinerConfig } from "./Config.ts"
import { EpochClock } from "./EpochClock.ts"
import * as Metrics from "./Metrics.ts"
import { NameRegistry } from "./Names.ts"
import type { ChainError } from "./Rpc.ts"
import { ReceiptBatchJson, type IngestResponse, type ReceiptResult } from "./schemas.ts"
import { StakeView } from "./StakeView.ts"
import { Repository, type InsertReceiptsResult, type ReceiptRow, type StorageError } from "./Storage.ts"
import { FRAME_SIZE, Overloaded, STATUS, Verifier, VerifierError } from "./Verifier.ts"

// ------------------------------------------------------------------------------------------- errors

/** The batch as a whole is malformed (nothing was looked at or stored). */
export class MalformedBatch extends Data.TaggedError("MalformedBatch")<{ readonly rule?: string; readonly message: string }> {}
export class BatchTooLarge extends Data.TaggedError("BatchTooLarge")<{ readonly count: number; readonly limit: number }> {}
/** A dependency (chain view, storage, verifier) failed; the batch may be retried as is. */
export class IngestUnavailable extends Data.TaggedError("IngestUnavailable")<{ readonly message: string }> {}

// ------------------------------------------------------------------------------------------ helpers

/** The media type of a binary receipt batch ([14] "Receipts"). */
export const RECEIPTS_MEDIA_TYPE = "application/vnd.dotdns.receipts"

export interface Frames {
  /** `count` frames of FRAME_SIZE bytes: receipt encoding ‖ witness signature. */
  readonly frames: Uint8Array
  readonly count: number
}

/** `application/vnd.dotdns.receipts` ([14] "Receipts"): 170-byte frames back to back, nothing else. */
export const decodeFramedBatch = (body: Uint8Array, maxBatch: number): Frames | MalformedBatch | BatchTooLarge => {
  if (body.length % FRAME_SIZE !== 0)
    return new MalformedBatch({ rule: "ENC-2", message: `a receipt batch is a multiple of ${FRAME_SIZE} bytes, not ${body.length}` })
  const count = body.length / FRAME_SIZE
  if (count > maxBatch) return new BatchTooLarge({ count, limit: maxBatch })
  return { frames: body, count }
}

/** `application/octet-stream`: a u32 count (little-endian, like every spec integer [ENC-1]), then the frames. */
export const decodeBinaryBatch = (body: Uint8Array, maxBatch: number): Frames | MalformedBatch | BatchTooLarge => {
  if (body.length < 4) return new MalformedBatch({ rule: "ENC-2", message: "a binary batch opens with a u32 count" })
  const count = new DataView(body.buffer, body.byteOffset, 4).getUint32(0, true)
  if (count > maxBatch) return new BatchTooLarge({ count, limit: maxBatch })
  if (body.length !== 4 + count * FRAME_SIZE)
    return new MalformedBatch({ rule: "ENC-2", message: `a batch of ${count} receipts is ${4 + count * FRAME_SIZE} bytes, not ${body.length}` })
  return { frames: body.subarray(4), count }
}

/** An `application/vnd.dotdns.receipts` body: what witnesses and peers send. */
export const encodeFramedBatch = (receipts: readonly SignedReceipt[]): Uint8Array => {
  const out = new Uint8Array(receipts.length * FRAME_SIZE)
  receipts.forEach((r, i) => {
    out.set(encodeReceipt(r.receipt), i * FRAME_SIZE)
    out.set(r.signature, i * FRAME_SIZE + FRAME_SIZE - 64)
  })
  return out
}

/** An `application/octet-stream` body: the u32 count, then the frames. */
export const encodeBinaryBatch = (receipts: readonly SignedReceipt[]): Uint8Array => {
  const out = new Uint8Array(4 + receipts.length * FRAME_SIZE)
  out.set(u32le(receipts.length), 0)
  out.set(encodeFramedBatch(receipts), 4)
  return out
}

/** A JSON batch as frames, through the spec encoder. */
export const framesOfJson = (batch: ReceiptBatchJson): Frames => {
  const frames = new Uint8Array(batch.receipts.length * FRAME_SIZE)
  batch.receipts.forEach((r, i) => {
    frames.set(encodeReceipt(r.receipt), i * FRAME_SIZE)
    frames.set(r.signature, i * FRAME_SIZE + FRAME_SIZE - 64)
  })
  return { frames, count: batch.receipts.length }
}

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

/** The first schema issue as "path: message". */
export const describeIssue = (issue: SchemaIssue.Issue): string => {
  const first = formatter(issue).issues[0]
  if (first === undefined) return "invalid body"
  const path = (first.path ?? []).map((p) => String(typeof p === "object" && p !== null && "key" in p ? (p as { key: PropertyKey }).key : p))
  return path.length === 0 ? first.message : `${path.join(".")}: ${first.message}`
}

export const decodeJsonBatch = (json: unknown, maxBatch: number): Frames | MalformedBatch | BatchTooLarge => {
  const count = (json as { receipts?: unknown } | null)?.receipts
  if (Array.isArray(count) && count.length > maxBatch) return new BatchTooLarge({ count: count.length, limit: maxBatch })
  const decoded = Schema.decodeUnknownResult(ReceiptBatchJson)(json, { onExcessProperty: "error" })
  if (decoded._tag === "Failure") return new MalformedBatch({ message: describeIssue(decoded.failure.issue) })
  return framesOfJson(decoded.success)
}

/** Why a receipt was rejected, by stage. */
const reject = (index: number, rule: string, message: string): ReceiptResult => ({ index, status: "rejected", rule, message })

/** Accepted receipts per second over a sliding window. */
const makeRate = (windowSeconds: number) => {
  const buckets = new Array<number>(windowSeconds).fill(0)
  let second = Math.floor(Date.now() / 1000)
  const advance = () => {
    const now = Math.floor(Date.now() / 1000)
    for (; second < now; second++) buckets[(second + 1) % windowSeconds] = 0
  }
  return {
    add(n: number) {
      advance()
      buckets[second % windowSeconds]! += n
    },
    perSecond(): number {
      advance()
      return buckets.reduce((a, b) => a + b, 0) / windowSeconds
    }
  }
}

export interface IngestReport {
  readonly results: readonly ReceiptResult[]
  readonly accepted: number
  readonly duplicate: number
  readonly rejected: number
  readonly cursor: number | undefined
}

// ------------------------------------------------------------------------------------------ service

export class Ingest extends Context.Service<
  Ingest,
  {
    /** Runs `count` frames through the pipeline; returns once the accepted ones are durable. */
    submit(batch: Frames): Effect.Effect<IngestReport, IngestUnavailable | Overloaded>
  }
>()("dotdns/miner/Ingest") {
  static readonly layer = Layer.effect(
    Ingest,
    Effect.gen(function* () {
      const repo = yield* Repository
      const verifier = yield* Verifier
      const clock = yield* EpochClock
      const names = yield* NameRegistry
      const stakes = yield* StakeView
      const rate = makeRate(10)

      // ------------------------------------------------------------------ group commit
      interface Job {
        readonly rows: readonly ReceiptRow[]
        readonly done: Deferred.Deferred<InsertReceiptsResult, StorageError>
      }
      const jobs = yield* Queue.unbounded<Job>()
      const commit = (batch: readonly Job[]) => Effect.gen(function* () {
        const rows = batch.flatMap((j) => j.rows)
        const result = yield* Effect.exit(repo.insertReceipts(rows))
        yield* Metric.update(Metrics.commitBatchSize, rows.length)
        let at = 0
        for (const job of batch) {
          const n = job.rows.length
          if (result._tag === "Success") {
            const outcomes = result.value.outcomes.slice(at, at + n)
            const cursor = outcomes.includes("accepted") ? result.value.cursor : undefined
            yield* Deferred.succeed(job.done, { outcomes, cursor })
          } else yield* Deferred.failCause(job.done, result.cause)
          at += n
        }
      })
      // Waiting for work is interruptible; a commit is not: a batch is stored and answered, or not started.
      yield* Effect.forkScoped(Effect.forever(Effect.flatMap(Queue.takeAll(jobs), (batch) => Effect.uninterruptible(commit(batch)))))
      const persist = (rows: readonly ReceiptRow[]) =>
        Effect.gen(function* () {
          const done = yield* Deferred.make<InsertReceiptsResult, StorageError>()
          yield* Queue.offer(jobs, { rows, done })
          return yield* Deferred.await(done)
        })

      yield* Effect.forkScoped(
        Effect.repeat(
          Effect.suspend(() => Metric.update(Metrics.ingestRate, rate.perSecond())),
          Schedule.spaced("1 second")
        )
      )

      const chainDown = (e: ChainError) => new IngestUnavailable({ message: `chain view: ${e.message}` })

      const submit = Effect.fn("Ingest.submit")(function* (batch: Frames) {
        const started = performance.now()
        const { frames, count } = batch
        const results: ReceiptResult[] = new Array(count)
        const receipts: (Receipt | undefined)[] = new Array(count)

        // 1. decode [ENC, VER], 2. the epoch is the current one or the previous one, whose aggregates are still due
        const now = yield* Effect.mapError(clock.now, chainDown)
        const inEpoch: number[] = []
        for (let i = 0; i < count; i++) {
          let r: Receipt
          try {
            r = decodeReceipt(frames.subarray(i * FRAME_SIZE, i * FRAME_SIZE + FRAME_SIZE - 64))
          } catch (e) {
            if (!(e instanceof DecodeError)) throw e
            results[i] = reject(i, e.rule, e.message)
            continue
          }
          if (r.epoch > now.epoch) results[i] = reject(i, "RCP-5", `epoch ${r.epoch} has not begun (current epoch ${now.epoch})`)
          else if (r.epoch + 1n < now.epoch)
            results[i] = reject(i, "RCP-5", `epoch ${r.epoch} is no longer aggregated: receipts are taken for epochs ${now.epoch - 1n} and ${now.epoch}`)
          else {
            receipts[i] = r
            inEpoch.push(i)
          }
        }

        // 3. the name is registered, 4. the witness has stake in the receipt's epoch [RCP-5] — before signatures
        const nameKey: string[] = new Array(count)
        const uniqueNames = new Map<string, Uint8Array>()
        for (const i of inEpoch) {
          const k = (nameKey[i] = hex(receipts[i]!.nameHash))
          if (!uniqueNames.has(k)) uniqueNames.set(k, receipts[i]!.nameHash)
        }
        const nameKeys = [...uniqueNames.keys()]
        const knownList = yield* Effect.mapError(names.known([...uniqueNames.values()]), chainDown)
        const known = new Set(nameKeys.filter((_, k) => knownList[k]))
        const witnessKey: string[] = new Array(count)
        const byEpoch = new Map<bigint, Map<string, Uint8Array>>()
        const named: number[] = []
        for (const i of inEpoch) {
          const r = receipts[i]!
          if (!known.has(nameKey[i]!)) {
            results[i] = reject(i, "RCP-5", `name_hash ${nameKey[i]} is not a registered name`)
            continue
          }
          named.push(i)
          let m = byEpoch.get(r.epoch)
          if (m === undefined) byEpoch.set(r.epoch, (m = new Map()))
          const k = (witnessKey[i] = hex(r.witness))
          if (!m.has(k)) m.set(k, r.witness)
        }
        const stakeOf = new Map<bigint, Map<string, bigint>>()
        for (const [epoch, ws] of byEpoch) {
          const amounts = yield* Effect.mapError(stakes.stakesAt([...ws.values()], epoch), chainDown)
          const m = new Map<string, bigint>()
          let j = 0
          for (const k of ws.keys()) m.set(k, amounts[j++]!)
          stakeOf.set(epoch, m)
        }
        const weight: bigint[] = new Array(count)
        const staked: number[] = []
        for (const i of named) {
          const r = receipts[i]!
          const w = stakeOf.get(r.epoch)!.get(witnessKey[i]!) ?? 0n
          if (w === 0n) results[i] = reject(i, "RCP-5", `the witness ${witnessKey[i]} has no stake in epoch ${r.epoch}`)
          else {
            weight[i] = w
            staked.push(i)
          }
        }

        // 5. the witness's signature, on the workers [SIG-1]
        const rows: ReceiptRow[] = []
        const rowIndex: number[] = []
        if (staked.length > 0) {
          const sub = staked.length === count ? frames : new Uint8Array(staked.length * FRAME_SIZE)
          if (sub !== frames) staked.forEach((i, k) => sub.set(frames.subarray(i * FRAME_SIZE, (i + 1) * FRAME_SIZE), k * FRAME_SIZE))
          const out = yield* verifier.verify(sub, staked.length).pipe(
            Effect.catchTag("VerifierError", (e: VerifierError) => Effect.fail(new IngestUnavailable({ message: e.message })))
          )
          staked.forEach((i, k) => {
            const s = out.status[k]
            if (s === STATUS.valid) {
              const r = receipts[i]!
              const at = i * FRAME_SIZE
              rows.push({
                ...r,
                signature: frames.subarray(at + FRAME_SIZE - 64, at + FRAME_SIZE),
                receiptHash: out.hashes.subarray(k * 32, k * 32 + 32),
                weight: weight[i]!,
                encoding: frames.subarray(at, at + FRAME_SIZE - 64)
              })
              rowIndex.push(i)
            } else if (s === STATUS.badSignature) results[i] = reject(i, "SIG-1", "the witness signature does not verify over the receipt digest")
            else {
              const e = out.errors.get(k)
              results[i] = reject(i, e?.rule ?? "ENC-2", e?.message ?? "malformed receipt")
            }
          })
        }

        // 6. one receipt per witness per (epoch, name), the first wins [RCP-5]; 7. durable before the answer [API-1]
        let cursor: number | undefined
        if (rows.length > 0) {
          const stored = yield* persist(rows).pipe(Effect.mapError((e) => new IngestUnavailable({ message: `storage: ${e.message}` })))
          cursor = stored.cursor
          stored.outcomes.forEach((o, k) => {
            const i = rowIndex[k]!
            results[i] =
              o === "conflict"
                ? reject(i, "RCP-5", "the miner already accepted another receipt from this witness for this (epoch, name)")
                : { index: i, receiptHash: new Uint8Array(rows[k]!.receiptHash), status: o }
          })
        }

        let accepted = 0
        let duplicate = 0
        const rejectedByRule = new Map<string, number>()
        for (const r of results) {
          if (r.status === "accepted") accepted++
          else if (r.status === "duplicate") duplicate++
          else rejectedByRule.set(r.rule!, (rejectedByRule.get(r.rule!) ?? 0) + 1)
        }
        const rejected = count - accepted - duplicate
        rate.add(accepted)
        yield* Metrics.count(Metrics.receiptsTotal, accepted, { status: "accepted" })
        yield* Metrics.count(Metrics.receiptsTotal, duplicate, { status: "duplicate" })
        yield* Metrics.count(Metrics.receiptsTotal, rejected, { status: "rejected" })
        for (const [rule, n] of rejectedByRule) yield* Metrics.count(Metrics.receiptsRejected, n, { rule })
        if (cursor !== undefined) yield* Metric.update(Metrics.eventCursor, cursor)
        yield* Metric.update(Metrics.ingestLatency, (performance.now() - started) / 1000)
        return { results, accepted, duplicate, rejected, cursor } satisfies IngestReport
      })

      return Ingest.of({ submit })
    })
  )
}

// --------------------------------------------------------------------------------------------- HTTP

/**
 * The response in its JSON form, encoded by hand (the `IngestResponse` schema documents it): the result
 * list can hold ten thousand entries, and this is the hot path.
 */
export const ingestResponseJson = (report: IngestReport): (typeof IngestResponse)["Encoded"] => ({
  results: report.results.map((r) =>
    r.receiptHash === undefined ? r : { index: r.index, receiptHash: hex(r.receiptHash), status: r.status }
  ) as (typeof IngestResponse)["Encoded"]["results"],
  accepted: report.accepted,
  duplicate: report.duplicate,
  rejected: report.rejected,
  ...(report.cursor === undefined ? {} : { cursor: String(report.cursor) })
})

/** Handlers of the `receipts` group. */
export const IngestHttp = HttpApiBuilder.group(MinerApi, "receipts", (handlers) =>
  Effect.gen(function* () {
    const ingest = yield* Ingest
    const repo = yield* Repository
    const config = yield* MinerConfig
    const { maxBodyBytes, maxBatch } = config.http

    return handlers
      .handleRaw("submit", ({ request }) =>
        Effect.gen(function* () {
          const type = (request.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase()
          const format = type === "application/json" ? "json" : type === RECEIPTS_MEDIA_TYPE ? "framed" : type === "application/octet-stream" ? "counted" : undefined
          if (format === undefined)
            return yield* new UnsupportedMediaType({ message: `send application/json, ${RECEIPTS_MEDIA_TYPE} or application/octet-stream, not "${type}"` })
          const declared = Number(request.headers["content-length"] ?? "0")
          if (declared > maxBodyBytes) return yield* new PayloadTooLarge({ message: `body of ${declared} bytes exceeds ${maxBodyBytes}` })
          const body = yield* request.arrayBuffer.pipe(
            Effect.provideService(HttpIncomingMessage.MaxBodySize, ByteSize.bytes(maxBodyBytes)),
            Effect.mapError((e) =>
              e.reason._tag === "RequestParseError" && e.reason.reason === "BodyTooLarge" ? new PayloadTooLarge({ message: `body exceeds ${maxBodyBytes} bytes` }) : new BadRequest({ message: `cannot read body: ${e.message}` })
            )
          )
          yield* Metrics.count(Metrics.ingestRequests, 1, { format })
          let decoded: Frames | MalformedBatch | BatchTooLarge
          if (format === "framed") decoded = decodeFramedBatch(new Uint8Array(body), maxBatch)
          else if (format === "counted") decoded = decodeBinaryBatch(new Uint8Array(body), maxBatch)
          else {
            let json: unknown
            try {
              json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body))
            } catch (e) {
              return yield* new BadRequest({ message: `body is not JSON: ${(e as Error).message}` })
            }
            decoded = decodeJsonBatch(json, maxBatch)
          }
          if (decoded instanceof BatchTooLarge) return yield* new PayloadTooLarge({ message: `${decoded.count} receipts exceed the batch limit of ${decoded.limit}` })
          if (decoded instanceof MalformedBatch) return yield* new BadRequest(decoded.rule === undefined ? { message: decoded.message } : { rule: decoded.rule, message: decoded.message })
          const report = yield* ingest.submit(decoded).pipe(
            Effect.catchTags({
              Overloaded: (e: Overloaded) => Effect.fail(new Unavailable({ message: `overloaded: ${e.pending} receipts awaiting verification (limit ${e.limit}); retry later` })),
              IngestUnavailable: (e: IngestUnavailable) => Effect.fail(new Unavailable({ message: e.message }))
            })
          )
          return HttpServerResponse.jsonUnsafe(ingestResponseJson(report), { status: 200 })
        })
      )
      .handle("list", ({ query }) =>
        Effect.gen(function* () {
          const limit = query.limit ?? 1000
          const rows = yield* repo
            .receipts({ epoch: query.epoch, nameHash: query.nameHash, routeHash: query.routeHash, afterWitness: query.after, limit })
            .pipe(Effect.mapError((e) => new Unavailable({ message: e.message })))
          return {
            receipts: rows.map((r) => ({
              receipt: { epoch: r.epoch, nameHash: r.nameHash, routeHash: r.routeHash, witness: r.witness },
              signature: r.signature,
              receiptHash: r.receiptHash,
              weight: r.weight
            })),
            next: rows.length === limit && query.nameHash !== undefined ? rows[rows.length - 1]!.witness : null
          }
        })
      )
  })
)
