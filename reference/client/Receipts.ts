/**
 * Receipts [RCP-1]–[RCP-4] and spec 03 "Privacy". Off unless configured: a client emits nothing by
 * default. An opted-in client decides once per (epoch, name) it resolved, with probability
 * `sample_rate`, whether to sign a receipt for the verified route it served; all receipts of epoch E go
 * out together, in random order, in one binary request per miner, at a uniformly random slot between
 * `E·L + ¾·L` and `(E+1)·L + ¼·submit_window` — never as names are resolved. A gateway is an operator
 * witness: every (epoch, name) it served gets a receipt, and it publishes its batch every
 * `publish_interval_ms`.
 *
 * A receipt is `(epoch, name_hash, route_hash, witness)` and nothing else; the body posted is exactly
 * the 106-byte encodings each followed by its 64-byte signature. Time enters only as the epoch, read
 * from the chain's slot.
 */
import { randomInt } from "node:crypto"
import { Context, Effect, Layer, Schedule } from "effect"
import { sign, type Keypair } from "../../spec/src/ed25519.ts"
import { nameHash } from "../../spec/src/name.ts"
import { encodeReceipt, receiptDigest, type Receipt } from "../../spec/src/objects.ts"
import { Chain, type EpochInfo } from "./Chain.ts"
import { ClientConfig } from "./Config.ts"
import { Miners, type ReceiptPost } from "./Miners.ts"
import type { VerifiedRoute } from "./Verify.ts"

/** One epoch's decisions and the slot its batch is due. */
interface EpochBatch {
  readonly epoch: bigint
  /** name → route_hash to witness, or null when the sample said no. */
  readonly decided: Map<string, Uint8Array | null>
  /** Names whose receipts were already posted (gateway mode posts an epoch in several batches). */
  readonly posted: Set<string>
  sendSlot: bigint | undefined
}

export interface ReceiptsStatus {
  readonly enabled: boolean
  readonly epoch: bigint | undefined
  /** Receipts waiting to be posted, per epoch. */
  readonly pending: ReadonlyArray<{ readonly epoch: bigint; readonly receipts: number; readonly sendSlot: bigint | undefined }>
  readonly posted: number
}

/** `(E+1)·L + ¼·submit_window`: the last slot an opted-in client may send epoch E's batch at. */
export const batchWindow = (epoch: bigint, info: Pick<EpochInfo, "epochLength" | "submitWindow">): { from: bigint; to: bigint } => ({
  from: epoch * info.epochLength + (3n * info.epochLength) / 4n,
  to: (epoch + 1n) * info.epochLength + info.submitWindow / 4n
})

/** Uniform in [from, to]. */
const uniformSlot = (from: bigint, to: bigint): bigint => {
  const span = to - from
  if (span <= 0n) return from
  // spans are far below 2^48 slots
  return from + BigInt(randomInt(0, Number(span) + 1))
}

/** The body of `POST /v1/receipts`: 106-byte receipt ‖ 64-byte signature, each [API spec 14]. */
export const receiptBatchBody = (receipts: readonly Receipt[], witness: Keypair): Uint8Array => {
  const out = new Uint8Array(receipts.length * 170)
  receipts.forEach((r, i) => {
    out.set(encodeReceipt(r), i * 170)
    out.set(sign(witness, receiptDigest(r)), i * 170 + 106)
  })
  return out
}

const shuffle = <T>(xs: T[]): T[] => {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = randomInt(0, i + 1)
    ;[xs[i], xs[j]] = [xs[j]!, xs[i]!]
  }
  return xs
}

export class Receipts extends Context.Service<
  Receipts,
  {
    /** The resolver served this verified route; cheap and synchronous. */
    witnessed(route: VerifiedRoute): void
    readonly status: () => ReceiptsStatus
    /** Checks the chain's slot and posts whatever is due (what the background loop runs). */
    readonly tick: Effect.Effect<readonly ReceiptPost[]>
  }
>()("dotdns/client/Receipts") {
  /** Receipts off: the default [RCP-4]. */
  static readonly disabled = Receipts.of({
    witnessed: () => {},
    status: () => ({ enabled: false, epoch: undefined, pending: [], posted: 0 }),
    tick: Effect.succeed([])
  })

  static readonly make = (options: {
    readonly witness: Keypair
    readonly sampleRate: number
    /** "client": sampled, one delayed batch per epoch. "operator": every name, published periodically. */
    readonly role: "client" | "operator"
    /** Operator role: how often the batch is published. */
    readonly publishIntervalMs?: number
    readonly chain: Chain["Service"]
    readonly miners: Miners["Service"]
  }) => {
    const batches = new Map<bigint, EpochBatch>()
    let info: EpochInfo | undefined
    let postedTotal = 0
    let lastPublish = 0

    const witnessed = (route: VerifiedRoute): void => {
      if (info === undefined) return
      const epoch = info.epoch
      let b = batches.get(epoch)
      if (b === undefined) {
        b = { epoch, decided: new Map(), posted: new Set(), sendSlot: undefined }
        batches.set(epoch, b)
      }
      if (b.decided.has(route.name)) return // one decision, and at most one receipt, per (epoch, name)
      const take = options.sampleRate >= 1 || Math.random() < options.sampleRate
      b.decided.set(route.name, take ? route.routeHash : null)
    }

    const due = (b: EpochBatch, now: EpochInfo): boolean => {
      if (options.role === "operator") return Date.now() - lastPublish >= (options.publishIntervalMs ?? 0)
      const w = batchWindow(b.epoch, now)
      b.sendSlot ??= uniformSlot(w.from, w.to)
      return now.slot >= b.sendSlot
    }

    const tick = Effect.gen(function* () {
      const r = yield* Effect.result(options.chain.epochInfo)
      if (r._tag === "Failure") return []
      info = r.success
      const now = r.success
      const posts: ReceiptPost[] = []
      const publishing = options.role === "operator" && Date.now() - lastPublish >= (options.publishIntervalMs ?? 0)
      for (const b of [...batches.values()]) {
        const w = batchWindow(b.epoch, now)
        // past the window nothing can reach a round: drop [RCP-5 "epoch no longer aggregated"]
        const deadline = options.role === "operator" ? (b.epoch + 1n) * now.epochLength + now.submitWindow : w.to
        if (now.slot > deadline) {
          batches.delete(b.epoch)
          continue
        }
        if (!due(b, now)) continue
        const names = [...b.decided.entries()].filter(([n, rh]) => rh !== null && !b.posted.has(n))
        if (names.length === 0) {
          if (options.role === "client" || b.epoch < now.epoch) batches.delete(b.epoch)
          continue
        }
        const receipts = shuffle(names.map(([n, rh]): Receipt => ({ epoch: b.epoch, nameHash: nameHash(n), routeHash: rh!, witness: options.witness.publicKey })))
        const body = receiptBatchBody(receipts, options.witness)
        const results = yield* options.miners.postReceipts(body)
        posts.push(...results)
        if (results.some((p) => p.status === 200)) {
          for (const [n] of names) b.posted.add(n)
          postedTotal += receipts.length
          yield* Effect.logInfo(`receipts: posted ${receipts.length} for epoch ${b.epoch}`, {
            miners: results.map((p) => `${p.miner}: HTTP ${p.status}, ${p.accepted} accepted or duplicate, ${p.rejected} rejected`)
          })
          if (options.role === "client") batches.delete(b.epoch)
        } else yield* Effect.logWarning(`receipts: no miner accepted the batch of epoch ${b.epoch}; retrying`)
      }
      if (publishing) lastPublish = Date.now()
      return posts
    })

    const status = (): ReceiptsStatus => ({
      enabled: true,
      epoch: info?.epoch,
      pending: [...batches.values()].map((b) => ({
        epoch: b.epoch,
        receipts: [...b.decided.entries()].filter(([n, rh]) => rh !== null && !b.posted.has(n)).length,
        sendSlot: b.sendSlot
      })),
      posted: postedTotal
    })

    return Receipts.of({ witnessed, status, tick })
  }

  static readonly layer = Layer.effect(
    Receipts,
    Effect.gen(function* () {
      const c = yield* ClientConfig
      if (!c.receipts.enabled || c.receipts.witness === undefined) return Receipts.disabled
      const chain = yield* Chain
      const miners = yield* Miners
      const service = Receipts.make({
        witness: c.receipts.witness,
        sampleRate: c.receipts.sampleRate,
        role: c.mode === "gateway" ? "operator" : "client",
        publishIntervalMs: c.gateway.publishIntervalMs,
        chain,
        miners
      })
      const every = c.mode === "gateway" ? Math.min(c.gateway.publishIntervalMs, c.receipts.pollMs) : c.receipts.pollMs
      yield* Effect.forkScoped(service.tick.pipe(Effect.repeat(Schedule.spaced(every))))
      return service
    })
  )
}
