/**
 * The epoch cut-off [AGG-5]: at the start of epoch E+1, the receipts this miner accepted for E become
 * one signed aggregate per name. Per (name, route) the receipts are weighed by the witnesses' stake in
 * E (StakeView; zero-stake witnesses are dropped), the route is chosen — the one with the most support
 * among routes the owner authorized above the canonical serial (or already in the round) — and the
 * spec's `buildAggregate` gives the leaves, the Merkle-sum tree and the opening. The statement is
 * signed (ed25519 over `aggregateDigest` [AGG-1]), optionally with the CAR batch's CID [AGG-6], and
 * stored through `Audit.publish` — which appends the `aggregate.stored` feed event — so the audit
 * endpoints serve its leaves and proofs from then on.
 *
 * A miner signs at most one statement per (epoch, name) [EQV-1]: a name with a stored aggregate is never
 * built again, so `cutoff` is idempotent and may be called on every tick of the submit window (names
 * whose first receipts arrive late are aggregated then).
 */
import { Context, Data, Effect, Layer } from "effect"
import { buildAggregate, type BuiltAggregate, type SignedReceipt } from "../../spec/src/aggregate.ts"
import { compare, equal, hex } from "../../spec/src/bytes.ts"
import { MAX_LEAVES } from "../../spec/src/merkle.ts"
import { aggregateDigest } from "../../spec/src/objects.ts"
import { param } from "../../spec/src/params.ts"
import { Audit, carOf } from "./Audit.ts"
import { ChainTx } from "./Chain.ts"
import { MinerConfig } from "./Config.ts"
import { Identity } from "./Identity.ts"
import { NameRegistry } from "./Names.ts"
import { StakeView } from "./StakeView.ts"
import { Repository, type StoredRouteRecord } from "./Storage.ts"

// ------------------------------------------------------------------------------------------- errors

/** A dependency (storage, chain view) failed; the cut-off can be run again. */
export class AggregatorError extends Data.TaggedError("AggregatorError")<{ readonly epoch: bigint; readonly message: string }> {}

// ------------------------------------------------------------------------------------------ helpers

/** One route's receipts of a name, weighed. */
export interface RouteCandidate {
  readonly routeHash: Uint8Array
  readonly receipts: readonly SignedReceipt[]
  readonly weights: ReadonlyMap<string, bigint>
  readonly support: bigint
  /** The owner's verified record of the route, when this miner holds it. */
  readonly record: StoredRouteRecord | undefined
  /** The route is already in the round (needs no authorization). */
  readonly inRound: boolean
}

export type CutoffOutcome =
  | { readonly _tag: "built"; readonly nameHash: Uint8Array; readonly routeHash: Uint8Array; readonly support: bigint; readonly receiptCount: number; readonly digest: Uint8Array }
  | { readonly _tag: "exists"; readonly nameHash: Uint8Array }
  /** No route of the name could be submitted: no authorized record above the canonical serial, or no staked receipt. */
  | { readonly _tag: "skipped"; readonly nameHash: Uint8Array; readonly reason: string }

/** A route can enter the round with its owner's signature above the canonical serial [RND-5, RND-8], or is in it already. */
export const eligible = (c: RouteCandidate, canonicalSerial: bigint, owner: Uint8Array | undefined): boolean =>
  c.support > 0n && (c.inRound || (c.record !== undefined && c.record.serial > canonicalSerial && owner !== undefined && equal(c.record.owner, owner)))

/**
 * The route a miner aggregates when receipts split: the most support; then the higher serial (the
 * owner's newer word); then the smaller route hash, so every honest miner with the same receipts
 * chooses the same route.
 */
export const chooseRoute = (candidates: readonly RouteCandidate[]): RouteCandidate | undefined =>
  [...candidates].sort(
    (a, b) =>
      (a.support === b.support ? 0 : a.support > b.support ? -1 : 1) ||
      ((b.record?.serial ?? 0n) === (a.record?.serial ?? 0n) ? 0 : (b.record?.serial ?? 0n) > (a.record?.serial ?? 0n) ? 1 : -1) ||
      compare(a.routeHash, b.routeHash)
  )[0]

/** The statement to sign: `built`'s, with the batch CID when a CAR is written. */
export const withBatch = (built: BuiltAggregate, cid: Uint8Array | null): BuiltAggregate => ({ ...built, statement: { ...built.statement, batchCid: cid } })

// ------------------------------------------------------------------------------------------ service

export class Aggregator extends Context.Service<
  Aggregator,
  {
    /**
     * Step: builds, signs and stores this miner's aggregate of epoch `epoch` for every name with
     * receipts and no aggregate yet. Does nothing before epoch `epoch` + 1 has begun.
     */
    cutoff(epoch: bigint): Effect.Effect<readonly CutoffOutcome[], AggregatorError>
  }
>()("dotdns/miner/Aggregator") {
  static readonly layer = Layer.effect(
    Aggregator,
    Effect.gen(function* () {
      const repo = yield* Repository
      const audit = yield* Audit
      const identity = yield* Identity
      const stakes = yield* StakeView
      const names = yield* NameRegistry
      const chain = yield* ChainTx
      const settings = yield* MinerConfig
      const me = identity.publicKey
      /** (epoch, name) skips already logged: cut-off runs on every tick of the submit window, the warning once. */
      const warned = new Set<string>()

      const cutoff = Effect.fn("Aggregator.cutoff")(function* (epoch: bigint) {
        const fail = (message: string) => new AggregatorError({ epoch, message })
        // Time is the chain's slot, read now (no cached clock): a driver that warps the chain is obeyed.
        const config = yield* Effect.mapError(chain.config, (e) => fail(`chain: ${e.message}`))
        const slot = yield* Effect.mapError(chain.slot, (e) => fail(`chain: ${e.message}`))
        if (config === undefined || slot / param(config.params, "epochLengthSlots") <= epoch) return []
        const groups = yield* Effect.mapError(repo.receiptGroups(epoch), (e) => fail(`storage: ${e.message}`))
        const byName = new Map<string, { readonly nameHash: Uint8Array; readonly routes: Uint8Array[] }>()
        for (const g of groups) {
          const k = hex(g.nameHash)
          const entry = byName.get(k) ?? { nameHash: g.nameHash, routes: [] }
          entry.routes.push(g.routeHash)
          byName.set(k, entry)
        }

        const outcomes: CutoffOutcome[] = []
        for (const { nameHash, routes } of byName.values()) {
          const mine = yield* Effect.mapError(repo.aggregate(epoch, nameHash, me), (e) => fail(`storage: ${e.message}`))
          if (mine !== undefined) {
            outcomes.push({ _tag: "exists", nameHash })
            continue
          }
          const state = yield* Effect.mapError(names.lookup(nameHash), (e) => fail(`chain: ${e.message}`))
          const round = yield* Effect.mapError(chain.round(epoch, nameHash), (e) => fail(`chain: ${e.message}`))
          const inRound = (routeHash: Uint8Array) =>
            round !== undefined && round.routes.slice(0, round.routeCount).some((r) => equal(r.routeHash, routeHash))

          const candidates: RouteCandidate[] = []
          for (const routeHash of routes) {
            const rows = yield* Effect.mapError(repo.receipts({ epoch, nameHash, routeHash }), (e) => fail(`storage: ${e.message}`))
            // Weights are the witnesses' stake in E, read now [AGG-5]; a zero-stake witness has no leaf.
            const amounts = yield* Effect.mapError(stakes.stakesAt(rows.map((r) => r.witness), epoch), (e) => fail(`stake: ${e.message}`))
            const weights = new Map<string, bigint>()
            const receipts: SignedReceipt[] = []
            rows.forEach((r, i) => {
              const w = amounts[i]!
              if (w === 0n || receipts.length >= MAX_LEAVES) return
              weights.set(hex(r.witness), w)
              receipts.push({ receipt: { epoch: r.epoch, nameHash: r.nameHash, routeHash: r.routeHash, witness: r.witness }, signature: r.signature })
            })
            const support = [...weights.values()].reduce((a, b) => a + b, 0n)
            const record = yield* Effect.mapError(repo.routeRecordByHash(nameHash, routeHash), (e) => fail(`storage: ${e.message}`))
            candidates.push({ routeHash, receipts, weights, support, record, inRound: inRound(routeHash) })
          }
          const usable = candidates.filter((c) => eligible(c, state?.serial ?? 0n, state?.owner))
          const chosen = chooseRoute(usable)
          if (chosen === undefined) {
            const reason = state === undefined ? "the name is not registered" : "no staked receipts for a route the owner authorized above the canonical serial"
            const key = `${epoch}/${hex(nameHash)}`
            const log = warned.has(key) ? Effect.logDebug : Effect.logWarning
            if (!warned.has(key)) {
              for (const k of warned) if (BigInt(k.slice(0, k.indexOf("/"))) < epoch) warned.delete(k)
              warned.add(key)
            }
            yield* log("no aggregate for this name").pipe(Effect.annotateLogs({ epoch: String(epoch), nameHash: hex(nameHash), reason }))
            outcomes.push({ _tag: "skipped", nameHash, reason })
            continue
          }

          const plain = buildAggregate(chosen.receipts, (w) => chosen.weights.get(hex(w)) ?? 0n, me)
          const car = settings.duties.carBatches ? carOf(plain) : undefined
          const built = withBatch(plain, car?.cidBytes ?? null)
          const digest = aggregateDigest(built.statement)
          const signature = identity.sign(digest)
          const stored = yield* audit
            .publish(car === undefined ? { built, signature } : { built, signature, car })
            .pipe(Effect.mapError((e) => fail(`audit: ${e.message}`)))
          if (stored._tag === "conflict") {
            // Another statement for this round is stored already: never sign a second one [EQV-1].
            outcomes.push({ _tag: "exists", nameHash })
            continue
          }
          yield* Effect.logInfo("aggregate signed").pipe(
            Effect.annotateLogs({
              epoch: String(epoch),
              nameHash: hex(nameHash),
              routeHash: hex(chosen.routeHash),
              support: String(built.statement.support),
              receipts: built.statement.receiptCount,
              digest: hex(digest)
            })
          )
          outcomes.push({ _tag: "built", nameHash, routeHash: chosen.routeHash, support: built.statement.support, receiptCount: built.statement.receiptCount, digest })
        }
        return outcomes
      })

      return Aggregator.of({ cutoff })
    })
  )
}
