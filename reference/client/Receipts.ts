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
 *
 * An operator may instead witness the routes owners *publish* (`receipts.routes: published`): for each
 * registered name it served in epoch E — with a canonical route or none yet — it asks the miners for
 * the newest record (`?latest=true`), checks it [CLI-2, CLI-3] and that it is above the canonical serial
 * (`verifyPublished`), and witnesses that; when the newest record is the canonical route itself it
 * witnesses nothing, since that route can enter no round. This is how a new route gets
 * the receipts its round needs; the record is still never answered with before it is canonical. Such a
 * batch is due from `E·L + publishedFrom` on — ¾ of the epoch, or the end of E−1's challenge window
 * when that is later (slot 42 of 50 with LOCALNET params) — so a route published before then is the one
 * witnessed in E.
 */
import { randomInt } from "node:crypto"
import { Context, Effect, Layer, Schedule } from "effect"
import { sign, type Keypair } from "../../spec/src/ed25519.ts"
import { nameHash } from "../../spec/src/name.ts"
import { encodeReceipt, receiptDigest, type Receipt } from "../../spec/src/objects.ts"
import { Chain, type EpochInfo } from "./Chain.ts"
import { ClientConfig } from "./Config.ts"
import { Miners, type ReceiptPost } from "./Miners.ts"
import { verifyPublished, type VerifiedRoute } from "./Verify.ts"

/** One epoch's decisions and the slot its batch is due. */
interface EpochBatch {
  readonly epoch: bigint
  /** name → route_hash to witness, or null when the sample said no. */
  readonly decided: Map<string, Uint8Array | null>
  /** Names whose receipts were already posted (gateway mode posts an epoch in several batches). */
  readonly posted: Set<string>
  /** `routes: published`: names served whose newest published record is still to be looked up. */
  readonly lookups: Set<string>
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

/**
 * `routes: published`: how far into epoch E its batch waits — ¾ of the epoch, and past the end of E−1's
 * challenge window (plus two slots for a crank to finalize it), so that a route E−1's round has just
 * made canonical is seen as such and not witnessed again; never past the epoch's last slot.
 */
export const publishedFrom = (info: Pick<EpochInfo, "epochLength" | "submitWindow" | "challengeWindow">): bigint => {
  const quarterLeft = (3n * info.epochLength) / 4n
  const afterRound = info.submitWindow + info.challengeWindow + 2n
  const from = afterRound > quarterLeft ? afterRound : quarterLeft
  return from < info.epochLength ? from : info.epochLength - 1n
}

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
    /** The resolver answered for a registered name with no canonical route yet (NODATA). */
    served(name: string): void
    readonly status: () => ReceiptsStatus
    /** Checks the chain's slot and posts whatever is due (what the background loop runs). */
    readonly tick: Effect.Effect<readonly ReceiptPost[]>
  }
>()("dotdns/client/Receipts") {
  /** Receipts off: the default [RCP-4]. */
  static readonly disabled = Receipts.of({
    witnessed: () => {},
    served: () => {},
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
    /** Operator role: witness the newest published record instead of the verified answer (default "verified"). */
    readonly routes?: "verified" | "published"
    readonly chain: Chain["Service"]
    readonly miners: Miners["Service"]
  }) => {
    const batches = new Map<bigint, EpochBatch>()
    let info: EpochInfo | undefined
    let postedTotal = 0
    let lastPublish = 0

    const published = options.role === "operator" && options.routes === "published"

    const current = (): EpochBatch | undefined => {
      if (info === undefined) return undefined
      const epoch = info.epoch
      let b = batches.get(epoch)
      if (b === undefined) {
        b = { epoch, decided: new Map(), posted: new Set(), lookups: new Set(), sendSlot: undefined }
        batches.set(epoch, b)
      }
      return b
    }

    const served = (name: string): void => {
      if (!published) return
      const b = current()
      if (b !== undefined && !b.decided.has(name)) b.lookups.add(name)
    }

    const witnessed = (route: VerifiedRoute): void => {
      if (published) return served(route.name)
      const b = current()
      if (b === undefined) return
      if (b.decided.has(route.name)) return // one decision, and at most one receipt, per (epoch, name)
      const take = options.sampleRate >= 1 || Math.random() < options.sampleRate
      b.decided.set(route.name, take ? route.routeHash : null)
    }

    /** `routes: published`: the newest record the miners hold for each name looked up, checked; decided once found. */
    const lookUpPublished = (b: EpochBatch) =>
      Effect.forEach(
        [...b.lookups],
        (name) =>
          Effect.gen(function* () {
            const read = yield* options.chain.readName(name)
            if (read.state.kind === "absent") return b.lookups.delete(name)
            const account = read.state.account
            const found = yield* options.miners.fetchRoute(name, (p) => verifyPublished(name, account, p, Date.now()), { latest: true })
            b.lookups.delete(name)
            // the canonical route itself can enter no round [RND-8]: a receipt for it would count for nothing
            const canonical = found.route.record.serial === account.serial
            if (!b.decided.has(name)) b.decided.set(name, canonical ? null : found.route.routeHash)
          }).pipe(
            // not found or not valid yet: looked up again on the next tick, while the batch can still count
            Effect.catch((f) => Effect.logDebug(`receipts: no published record of ${name} to witness yet`, { rule: f.rule, text: f.extraText }))
          ),
        { concurrency: 4, discard: true }
      )

    const due = (b: EpochBatch, now: EpochInfo): boolean => {
      if (published && b.epoch === now.epoch && now.slot < b.epoch * now.epochLength + publishedFrom(now)) return false
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
        if (b.lookups.size > 0) yield* lookUpPublished(b)
        const names = [...b.decided.entries()].filter(([n, rh]) => rh !== null && !b.posted.has(n))
        if (names.length === 0) {
          if (options.role === "client" || (b.epoch < now.epoch && b.lookups.size === 0)) batches.delete(b.epoch)
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
        receipts: [...b.decided.entries()].filter(([n, rh]) => rh !== null && !b.posted.has(n)).length + b.lookups.size,
        sendSlot: b.sendSlot
      })),
      posted: postedTotal
    })

    return Receipts.of({ witnessed, served, status, tick })
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
        routes: c.receipts.routes,
        chain,
        miners
      })
      const every = c.mode === "gateway" ? Math.min(c.gateway.publishIntervalMs, c.receipts.pollMs) : c.receipts.pollMs
      yield* Effect.forkScoped(service.tick.pipe(Effect.repeat(Schedule.spaced(every))))
      return service
    })
  )
}
