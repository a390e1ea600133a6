/**
 * Submission [RND-1..9]: during the submit window of epoch E+1, a miner seated on Committee(E) and not
 * jailed sends each of its aggregates of E as `submit_aggregate` — with the owner's route authorization
 * (the verified route record's owner signature, `auth = {serial, owner, signature}`) when the route is
 * not yet in the round [RND-5].
 *
 * Never twice, never two statements. Before anything is sent the statement's digest is claimed for
 * (epoch, name) in the Repository; the transaction signature is recorded before the transaction leaves
 * the process; and before a (re)send the `Aggregate` account is read: if it already holds this
 * statement the submission is done, if it holds another the miner stops (a second, different statement
 * would be equivocation and slash it [EQV-2]). A restarted miner therefore resumes from its records and
 * the chain, and re-sends only what provably never landed.
 */
import { Context, Data, Effect, Layer, Metric } from "effect"
import { AGGREGATE_FLAG } from "../../spec/src/accounts.ts"
import { equal, hex } from "../../spec/src/bytes.ts"
import { leafNode, rootChildren } from "../../spec/src/merkle.ts"
import { decodeAggregate } from "../../spec/src/objects.ts"
import type { Leaf } from "../../spec/src/objects.ts"
import type { RootOpening, RouteAuthorization } from "../../spec/src/ops.ts"
import { param } from "../../spec/src/params.ts"
import { ChainTx, minerEntryOf, seatOf, type TxError } from "./Chain.ts"
import { Identity } from "./Identity.ts"
import * as Metrics from "./Metrics.ts"
import { Repository, type StorageError, type StoredAggregate, type SubmissionRow } from "./Storage.ts"

// ------------------------------------------------------------------------------------------- errors

export class SubmitterError extends Data.TaggedError("SubmitterError")<{ readonly message: string }> {}

// ------------------------------------------------------------------------------------------ helpers

/** How a submission opens its root [AGG-3]: the single leaf, or the root's two children. */
export const openingOf = (leaves: readonly Leaf[]): RootOpening =>
  leaves.length === 1 ? { kind: "leaf", leaf: leaves[0]! } : { kind: "node", ...rootChildren(leaves.map(leafNode)) }

/** What happened to one aggregate in a `submitPending` pass. */
export interface SubmitReport {
  readonly epoch: bigint
  readonly nameHash: Uint8Array
  readonly status: SubmissionRow["status"] | "waiting" | "not-seated"
  readonly detail?: string
  readonly signature?: string | null
}

/** Rejections that end a submission for good. */
const FINAL_RULES = new Set(["RND-1", "RND-2", "RND-3", "RND-4", "RND-6", "RND-8", "RND-9", "AGG-2", "AGG-3", "AGG-4", "SIG-2", "EQV-3"])

// ------------------------------------------------------------------------------------------ service

export class Submitter extends Context.Service<
  Submitter,
  {
    /**
     * Step: submits (or resumes submitting) every aggregate this miner holds whose round is in its
     * submit window now, and settles the records of submissions whose window has passed.
     */
    readonly submitPending: Effect.Effect<readonly SubmitReport[], SubmitterError>
  }
>()("dotdns/miner/Submitter") {
  static readonly layer = Layer.effect(
    Submitter,
    Effect.gen(function* () {
      const repo = yield* Repository
      const chain = yield* ChainTx
      const identity = yield* Identity
      const me = identity.publicKey

      const storage = (e: StorageError) => new SubmitterError({ message: `storage: ${e.message}` })
      const chainDown = (e: { readonly message: string }) => new SubmitterError({ message: `chain: ${e.message}` })

      const mark = (epoch: bigint, nameHash: Uint8Array, patch: Parameters<typeof repo.updateSubmission>[2]) =>
        repo.updateSubmission(epoch, nameHash, patch).pipe(
          Effect.mapError(storage),
          Effect.tap((row) => Metrics.count(Metrics.submissionsTotal, 1, { status: row.status }))
        )

      /** One aggregate: resume from the record, check the chain, send if it provably never landed. */
      const submitOne = Effect.fn("Submitter.submitOne")(function* (agg: StoredAggregate, window: { readonly start: bigint; readonly end: bigint }, slot: bigint) {
        const { epoch, nameHash } = agg
        const report = (status: SubmitReport["status"], detail?: string, signature?: string | null): SubmitReport => ({
          epoch,
          nameHash,
          status,
          ...(detail === undefined ? {} : { detail }),
          ...(signature === undefined ? {} : { signature })
        })
        const claim = yield* Effect.mapError(repo.claimSubmission(epoch, nameHash, agg.digest), storage)
        if (claim._tag === "conflict") {
          yield* Effect.logError("another statement was claimed for this round; not submitting").pipe(Effect.annotateLogs({ epoch: String(epoch), nameHash: hex(nameHash) }))
          return report("failed", "another statement is claimed for this round")
        }
        const row = claim.row
        if (row.status === "confirmed" || row.status === "finalized" || row.status === "failed") return report(row.status, undefined, row.txSignature)

        // 1. The chain first: does the round already hold this miner's aggregate?
        const onChain = yield* Effect.mapError(chain.aggregate(epoch, nameHash, me), chainDown)
        if (onChain !== undefined) {
          if ((onChain.flags & AGGREGATE_FLAG.submitted) !== 0 && equal(onChain.statementHash, agg.digest)) {
            yield* mark(epoch, nameHash, { status: "confirmed", error: null })
            yield* Effect.logInfo("submission found on-chain; recorded without sending").pipe(
              Effect.annotateLogs({ epoch: String(epoch), nameHash: hex(nameHash), previousStatus: row.status, tx: row.txSignature ?? "?" })
            )
            return report("confirmed", "found on-chain", row.txSignature)
          }
          const why = "the round holds another aggregate (or an equivocation marker) of this miner; never resubmitting"
          yield* mark(epoch, nameHash, { status: "failed", error: why })
          return report("failed", why)
        }
        // 2. A signature sent before (a restart, an RPC outage): did it land?
        if (row.status === "sent" && row.txSignature !== null) {
          const s = yield* Effect.mapError(chain.status(row.txSignature), chainDown)
          if (s.status === "ok") {
            yield* mark(epoch, nameHash, { status: "confirmed", error: null })
            return report("confirmed", "landed earlier", row.txSignature)
          }
        }
        // 3. Only inside the window [RND-1].
        if (slot < window.start) return report("waiting", `the submit window opens at slot ${window.start}`)
        if (slot >= window.end) {
          yield* mark(epoch, nameHash, { status: "failed", error: `the submit window closed at slot ${window.end}` })
          return report("failed", "the submit window closed")
        }

        // 4. The owner's authorization, when the route is new in the round [RND-5].
        const round = yield* Effect.mapError(chain.round(epoch, nameHash), chainDown)
        const inRound = round !== undefined && round.routes.slice(0, round.routeCount).some((r) => equal(r.routeHash, agg.routeHash))
        let auth: RouteAuthorization | null = null
        if (!inRound) {
          const record = yield* Effect.mapError(repo.routeRecordByHash(nameHash, agg.routeHash), storage)
          if (record === undefined) return report("waiting", "no owner-signed record of this route; waiting for another member to bring it into the round")
          auth = { serial: record.serial, owner: record.owner, signature: record.signature }
        }
        const leaves = yield* Effect.mapError(repo.leaves(epoch, nameHash, me), storage)
        const statement = decodeAggregate(agg.encoding)

        const sent = yield* Effect.result(
          chain.send(
            { kind: "submitAggregate", statement, opening: openingOf(leaves), auth },
            {
              computeUnits: true,
              onSigned: (signature) => mark(epoch, nameHash, { status: "sent", txSignature: signature, incrementAttempts: true }).pipe(Effect.asVoid)
            }
          )
        )
        if (sent._tag === "Success") {
          const c = sent.success
          yield* mark(epoch, nameHash, { status: "confirmed", txSignature: c.signature, error: null })
          if (c.computeUnits !== undefined) {
            yield* Metric.update(Metrics.computeUnitsLast, Number(c.computeUnits))
            yield* Metrics.count(Metrics.computeUnitsTotal, Number(c.computeUnits))
          }
          yield* repo
            .appendEvent("aggregate.submitted", `${epoch}/${hex(nameHash)}`, {
              epoch: String(epoch),
              nameHash: hex(nameHash),
              miner: hex(me),
              statementHash: hex(agg.digest),
              routeHash: hex(agg.routeHash),
              support: String(agg.support),
              signature: c.signature
            })
            .pipe(Effect.mapError(storage))
          yield* Effect.logInfo("aggregate submitted").pipe(
            Effect.annotateLogs({ epoch: String(epoch), nameHash: hex(nameHash), tx: c.signature, computeUnits: String(c.computeUnits ?? "?"), withAuth: auth !== null })
          )
          return report("confirmed", undefined, c.signature)
        }
        const e: TxError | SubmitterError = sent.failure
        if (e._tag === "SubmitterError") return yield* e
        if (e._tag === "TxRejected") {
          // The same statement is on-chain already (a resend after all): done [RND-7].
          if (e.rule === "RND-7") {
            yield* mark(epoch, nameHash, { status: "confirmed", error: null })
            return report("confirmed", "already on-chain")
          }
          if (e.rule !== undefined && FINAL_RULES.has(e.rule)) {
            yield* mark(epoch, nameHash, { status: "failed", error: `${e.rule}: ${e.message}` })
            yield* Effect.logWarning("submission rejected").pipe(Effect.annotateLogs({ epoch: String(epoch), nameHash: hex(nameHash), rule: e.rule, message: e.message }))
            return report("failed", `${e.rule}: ${e.message}`)
          }
          // Anything else (a lost race on the route slot, a transient runtime refusal): retry next pass.
          yield* mark(epoch, nameHash, { status: "prepared", error: `${e.rule ?? "rejected"}: ${e.message}` })
          return report("prepared", `${e.rule ?? "rejected"}: ${e.message}`)
        }
        // Unconfirmed or RPC trouble: the record says "sent"; the next pass checks the chain first.
        yield* Effect.logWarning("submission not confirmed yet").pipe(Effect.annotateLogs({ epoch: String(epoch), nameHash: hex(nameHash), error: e.message }))
        return report("sent", e.message)
      })

      const submitPending = Effect.gen(function* () {
        const config = yield* Effect.mapError(chain.config, chainDown)
        if (config === undefined) return []
        const slot = yield* Effect.mapError(chain.slot, chainDown)
        const L = param(config.params, "epochLengthSlots")
        const clockEpoch = slot / L
        const reports: SubmitReport[] = []

        // Records of earlier epochs still open (a restart after the window): settle them by the chain.
        const open = [
          ...(yield* Effect.mapError(repo.submissions({ status: "prepared" }), storage)),
          ...(yield* Effect.mapError(repo.submissions({ status: "sent" }), storage))
        ]
        const epochs = new Set<bigint>(open.map((s) => s.epoch))
        if (clockEpoch >= 1n) epochs.add(clockEpoch - 1n)

        for (const epoch of [...epochs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
          const start = (epoch + 1n) * L
          const window = { start, end: start + param(config.params, "submitWindowSlots") }
          const mine = yield* Effect.mapError(repo.aggregates({ epoch, miner: me }), storage)
          if (mine.length === 0) continue
          // Seated on Committee(E) [RND-3] and not jailed [RND-4]; otherwise nothing to send.
          const committee = yield* Effect.mapError(chain.committee(epoch), chainDown)
          const entry = minerEntryOf(yield* Effect.mapError(chain.minerSet, chainDown), me)
          const seated = seatOf(committee, me) >= 0 && entry !== undefined && entry.jailed === 0
          for (const agg of mine) {
            if (!seated) {
              const existing = yield* Effect.mapError(repo.submission(epoch, agg.nameHash), storage)
              if (existing === undefined || existing.status === "prepared" || existing.status === "sent") {
                // A record from before the seat was lost still gets settled by the chain.
                if (existing !== undefined) reports.push(yield* submitOne(agg, window, slot))
                else reports.push({ epoch, nameHash: agg.nameHash, status: "not-seated", detail: entry?.jailed === 1 ? "jailed" : "not on the committee" })
              }
              continue
            }
            reports.push(yield* submitOne(agg, window, slot))
          }
        }
        const pending = [
          ...(yield* Effect.mapError(repo.submissions({ status: "prepared" }), storage)),
          ...(yield* Effect.mapError(repo.submissions({ status: "sent" }), storage))
        ].length
        yield* Metric.update(Metrics.submissionsPending, pending)
        return reports as readonly SubmitReport[]
      }).pipe(Effect.withSpan("Submitter.submitPending"))

      return Submitter.of({ submitPending })
    })
  )
}
