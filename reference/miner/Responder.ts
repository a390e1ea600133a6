/**
 * Answering reveal challenges against this miner [RVL-4..9]: every open `Challenge` account naming
 * this miner (getProgramAccounts: Challenge discriminator and size, `status = open`, `miner = me`) is
 * answered before its deadline — the leaf is pinned first if nobody has (`pin_leaf` with the inclusion
 * path from the stored tree [RVL-6]), then `respond_reveal` carries the stored receipt and its witness
 * signature, which the program checks through the Ed25519 instruction [RVL-7]. A sound leaf always
 * wins the bond; a challenge this miner cannot answer (the receipt is gone) is reported loudly.
 */
import { Context, Data, Effect, Layer, Metric } from "effect"
import { CHALLENGE_STATUS } from "../../spec/src/accounts.ts"
import { equal, hex } from "../../spec/src/bytes.ts"
import { buildLevels, inclusionPath, leafNode } from "../../spec/src/merkle.ts"
import { receiptHash } from "../../spec/src/objects.ts"
import type { LeafRef } from "../../spec/src/ops.ts"
import { ChainTx } from "./Chain.ts"
import { CHALLENGE_OFFSET } from "./Cranker.ts"
import { Identity } from "./Identity.ts"
import * as Metrics from "./Metrics.ts"
import { Repository, type StorageError } from "./Storage.ts"

// ------------------------------------------------------------------------------------------- errors

export class ResponderError extends Data.TaggedError("ResponderError")<{ readonly message: string }> {}

export interface AnswerReport {
  readonly ref: LeafRef
  readonly outcome: "answered" | "already-settled" | "expired" | "unanswerable" | "retry"
  readonly detail?: string
}

// ------------------------------------------------------------------------------------------ service

export class Responder extends Context.Service<
  Responder,
  {
    /** Step: answers every open reveal challenge against this miner whose deadline has not passed. */
    readonly answerReveals: Effect.Effect<readonly AnswerReport[], ResponderError>
  }
>()("dotdns/miner/Responder") {
  static readonly layer = Layer.effect(
    Responder,
    Effect.gen(function* () {
      const chain = yield* ChainTx
      const repo = yield* Repository
      const identity = yield* Identity
      const me = identity.publicKey
      const storage = (e: StorageError) => new ResponderError({ message: `storage: ${e.message}` })
      const chainDown = (e: { readonly message: string }) => new ResponderError({ message: `chain: ${e.message}` })

      const answer = Effect.fn("Responder.answer")(function* (ref: LeafRef, deadline: bigint, slot: bigint) {
        const report = (outcome: AnswerReport["outcome"], detail?: string): AnswerReport => ({ ref, outcome, ...(detail === undefined ? {} : { detail }) })
        if (slot >= deadline) return report("expired", `the deadline was slot ${deadline}`)
        const key = `respond/${ref.epoch}/${hex(ref.nameHash)}/${hex(me)}/${ref.index}`
        const base = { kind: "respondReveal", epoch: ref.epoch, nameHash: ref.nameHash, miner: me, index: ref.index }
        if ((yield* Effect.mapError(repo.action(key), storage)) === undefined) {
          yield* Effect.mapError(repo.recordAction({ key, ...base, status: "pending" }), storage)
          yield* Effect.mapError(
            repo.appendEvent("challenge.opened", key, { epoch: String(ref.epoch), nameHash: hex(ref.nameHash), miner: hex(me), index: ref.index, status: "open", deadline: String(deadline) }),
            storage
          )
        }

        const leaves = yield* Effect.mapError(repo.leaves(ref.epoch, ref.nameHash, me), storage)
        const leaf = leaves[ref.index]
        const stored = leaf === undefined ? undefined : yield* Effect.mapError(repo.receipt(ref.epoch, ref.nameHash, leaf.witness), storage)
        if (leaf === undefined || stored === undefined || !equal(receiptHash(stored, stored.signature), leaf.receiptHash)) {
          yield* Effect.logError("a reveal challenge this miner cannot answer: the leaf or its receipt is not stored").pipe(
            Effect.annotateLogs({ epoch: String(ref.epoch), nameHash: hex(ref.nameHash), index: ref.index })
          )
          yield* Effect.mapError(repo.recordAction({ key, ...base, status: "failed", error: "leaf or receipt missing" }), storage)
          return report("unanswerable", "leaf or receipt missing")
        }

        // Pin the leaf first [RVL-6]; someone may have pinned it already (a pin is a pin).
        if ((yield* Effect.mapError(chain.leafPin(ref), chainDown)) === undefined) {
          const path = inclusionPath(buildLevels(leaves.map(leafNode)), ref.index)
          const pinned = yield* Effect.result(chain.send({ kind: "pinLeaf", leafRef: ref, leaf, path }))
          if (pinned._tag === "Failure" && (yield* Effect.mapError(chain.leafPin(ref), chainDown)) === undefined)
            return report("retry", `pin_leaf: ${pinned.failure.message}`)
        }

        const receipt = { epoch: stored.epoch, nameHash: stored.nameHash, routeHash: stored.routeHash, witness: stored.witness }
        const sent = yield* Effect.result(
          chain.send(
            { kind: "respondReveal", leafRef: ref, receipt, signature: stored.signature },
            { onSigned: (sig) => Effect.mapError(repo.recordAction({ key, ...base, status: "sent", txSignature: sig }), storage).pipe(Effect.asVoid) }
          )
        )
        if (sent._tag === "Success") {
          yield* Effect.mapError(repo.recordAction({ key, ...base, status: "confirmed", txSignature: sent.success.signature, error: null }), storage)
          yield* Effect.mapError(
            repo.appendEvent("challenge.settled", key, { epoch: String(ref.epoch), nameHash: hex(ref.nameHash), miner: hex(me), index: ref.index, status: "rejected" }),
            storage
          )
          yield* Metrics.count(Metrics.challengesTotal, 1, { outcome: "reveal:answered" })
          yield* Effect.logInfo("reveal challenge answered").pipe(Effect.annotateLogs({ epoch: String(ref.epoch), nameHash: hex(ref.nameHash), index: ref.index, tx: sent.success.signature }))
          return report("answered")
        }
        const e = sent.failure
        if (e._tag === "ResponderError") return yield* e
        if (e._tag === "TxRejected" && e.rule === "RVL-4") return report("already-settled")
        yield* Effect.logWarning("reveal answer failed; retrying next tick").pipe(Effect.annotateLogs({ index: ref.index, error: e.message }))
        return report("retry", e.message)
      })

      const answerReveals = Effect.gen(function* () {
        const open = yield* Effect.mapError(
          chain.programAccounts("Challenge", [
            { offset: CHALLENGE_OFFSET.status, bytes: Uint8Array.of(CHALLENGE_STATUS.open) },
            { offset: CHALLENGE_OFFSET.miner, bytes: me }
          ]),
          chainDown
        )
        yield* Metric.update(Metrics.challengesOpen, open.length)
        if (open.length === 0) return []
        const slot = yield* Effect.mapError(chain.slot, chainDown)
        const reports: AnswerReport[] = []
        for (const { account: c } of open)
          reports.push(yield* answer({ epoch: c.epoch, nameHash: c.nameHash, miner: c.miner, index: c.leafIndex }, c.deadline, slot))
        return reports as readonly AnswerReport[]
      }).pipe(Effect.withSpan("Responder.answerReveals"))

      return Responder.of({ answerReveals })
    })
  )
}
