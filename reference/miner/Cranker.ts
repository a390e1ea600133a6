/**
 * The permissionless cranks, and what the miner learns from them:
 *
 * - `advance_epoch` while the clock's epoch is ahead of `Config.current_epoch` [EPC-2] — new stake
 *   activates and the next committee is drawn;
 * - `resolve_reveal` on expired reveal challenges that hold a round open [RVL-10], then
 *   `finalize_round` on open rounds whose challenge window has passed [QRM-4..10] (found with
 *   `getProgramAccounts`: Round discriminator, size and `status = open`);
 * - finality observed: every finalized round of the last epochs is recorded (`putFinality`, which
 *   appends the `route.finalized` event reconciliation pages through [API-4]); the miner's own
 *   submissions move to `finalized`, and a failed round it took part in is announced (`round.failed`).
 *
 * Several miners crank the same chain: losing the race (the rule error of an epoch already advanced or
 * a round already closed) is expected and not a failure.
 */
import { Context, Data, Effect, Layer } from "effect"
import { CHALLENGE_STATUS, ROUND_STATUS, type RoundAccount } from "../../spec/src/accounts.ts"
import { concat, hex, u64le } from "../../spec/src/bytes.ts"
import { param } from "../../spec/src/params.ts"
import { ChainTx, type Confirmed, type TxError } from "./Chain.ts"
import { Repository, type StorageError } from "./Storage.ts"

// ------------------------------------------------------------------------------------------- errors

export class CrankerError extends Data.TaggedError("CrankerError")<{ readonly message: string }> {}

// ------------------------------------------------------------------------------------------ helpers

/** Round layout offsets used in getProgramAccounts filters (spec 12, RoundAccount). */
export const ROUND_OFFSET = { status: 9, epoch: 16, nameHash: 24 } as const
/** Challenge layout offsets (spec 12, ChallengeAccount). */
export const CHALLENGE_OFFSET = { status: 9, epoch: 16, nameHash: 24, miner: 56 } as const

/** Epochs whose finalities are looked for: the rounds that can still close. */
const FINALITY_LOOKBACK = 3n

export interface TickReport {
  /** Epochs this miner advanced to. */
  readonly advanced: readonly bigint[]
  /** Rounds this miner's finalize_round closed, as `epoch/nameHash`. */
  readonly finalized: readonly string[]
  /** Reveal challenges this miner settled. */
  readonly resolved: number
  /** Finalities recorded for the first time. */
  readonly observed: readonly string[]
}

const roundKey = (r: RoundAccount) => `${r.epoch}/${hex(r.nameHash)}`

// ------------------------------------------------------------------------------------------ service

export class Cranker extends Context.Service<
  Cranker,
  {
    /** Step: advance the epoch if the clock is ahead, settle and finalize due rounds, record finalities. */
    readonly tick: Effect.Effect<TickReport, CrankerError>
  }
>()("dotdns/miner/Cranker") {
  static readonly layer = Layer.effect(
    Cranker,
    Effect.gen(function* () {
      const chain = yield* ChainTx
      const repo = yield* Repository
      const chainDown = (e: { readonly message: string }) => new CrankerError({ message: `chain: ${e.message}` })
      const storage = (e: StorageError) => new CrankerError({ message: `storage: ${e.message}` })

      /** A crank that lost its race is no error; anything but a rule refusal is worth a log line. */
      const tolerate = (what: string, e: TxError) =>
        e._tag === "TxRejected"
          ? Effect.logDebug(`${what}: refused (another miner got there first?)`).pipe(Effect.annotateLogs({ rule: e.rule ?? "?", message: e.message }))
          : Effect.logWarning(`${what}: ${e.message}`)

      const attempt = <A extends Confirmed>(what: string, send: Effect.Effect<A, TxError>) =>
        send.pipe(
          Effect.map((c): A | undefined => c),
          Effect.catch((e: TxError) => Effect.as(tolerate(what, e), undefined))
        )

      const advance = Effect.gen(function* () {
        const advanced: bigint[] = []
        for (let i = 0; i < 8; i++) {
          const config = yield* Effect.mapError(chain.config, chainDown)
          if (config === undefined) break
          const slot = yield* Effect.mapError(chain.slot, chainDown)
          const clockEpoch = slot / param(config.params, "epochLengthSlots")
          if (clockEpoch <= config.currentEpoch) break
          const sent = yield* attempt("advance_epoch", chain.send({ kind: "advanceEpoch" }))
          const after = yield* Effect.mapError(chain.config, chainDown)
          if (sent !== undefined && after !== undefined) {
            advanced.push(after.currentEpoch)
            yield* Effect.mapError(repo.appendEvent("epoch.advanced", String(after.currentEpoch), { epoch: String(after.currentEpoch), seed: hex(after.seed) }), storage)
            yield* Effect.logInfo("epoch advanced").pipe(Effect.annotateLogs({ epoch: String(after.currentEpoch), tx: sent.signature }))
          } else if (after === undefined || after.currentEpoch === config.currentEpoch) break
        }
        return advanced
      })

      /** Settles expired reveal challenges of a round; returns how many this miner settled. */
      const settle = Effect.fn("Cranker.settle")(function* (round: RoundAccount, slot: bigint) {
        const open = yield* Effect.mapError(
          // RPC nodes take at most four filters: epoch and name_hash are adjacent, so one memcmp holds both.
          chain.programAccounts("Challenge", [
            { offset: CHALLENGE_OFFSET.status, bytes: Uint8Array.of(CHALLENGE_STATUS.open) },
            { offset: CHALLENGE_OFFSET.epoch, bytes: concat(u64le(round.epoch), round.nameHash) }
          ]),
          chainDown
        )
        let n = 0
        for (const { account: c } of open) {
          if (slot < c.deadline) continue
          const ref = { epoch: c.epoch, nameHash: c.nameHash, miner: c.miner, index: c.leafIndex }
          const sent = yield* attempt("resolve_reveal", chain.send({ kind: "resolveReveal", leafRef: ref }))
          if (sent !== undefined) {
            n++
            yield* Effect.mapError(
              repo.appendEvent("challenge.settled", `${c.epoch}/${hex(c.nameHash)}/${hex(c.miner)}/${c.leafIndex}`, {
                epoch: String(c.epoch),
                nameHash: hex(c.nameHash),
                miner: hex(c.miner),
                index: c.leafIndex,
                status: "settled"
              }),
              storage
            )
          }
        }
        return n
      })

      const finalizeDue = Effect.gen(function* () {
        const slot = yield* Effect.mapError(chain.slot, chainDown)
        const open = yield* Effect.mapError(
          chain.programAccounts("Round", [{ offset: ROUND_OFFSET.status, bytes: Uint8Array.of(ROUND_STATUS.open) }]),
          chainDown
        )
        const finalized: string[] = []
        let resolved = 0
        for (const { account: round } of open) {
          if (slot < round.challengeEnd) continue
          if (round.openChallenges > 0) {
            resolved += yield* settle(round, slot)
            const again = yield* Effect.mapError(chain.round(round.epoch, round.nameHash), chainDown)
            if (again === undefined || again.openChallenges > 0) continue
          }
          const sent = yield* attempt("finalize_round", chain.send({ kind: "finalizeRound", epoch: round.epoch, nameHash: round.nameHash }))
          if (sent !== undefined) {
            finalized.push(roundKey(round))
            yield* Effect.logInfo("round closed").pipe(Effect.annotateLogs({ epoch: String(round.epoch), nameHash: hex(round.nameHash), tx: sent.signature }))
          }
        }
        return { finalized, resolved }
      })

      /** Records the finalities of recent rounds and settles this miner's submission records. */
      const observe = Effect.gen(function* () {
        const config = yield* Effect.mapError(chain.config, chainDown)
        if (config === undefined) return []
        const observed: string[] = []
        const from = config.currentEpoch > FINALITY_LOOKBACK ? config.currentEpoch - FINALITY_LOOKBACK : 0n
        for (let epoch = from; epoch <= config.currentEpoch; epoch++) {
          const rounds = yield* Effect.mapError(chain.programAccounts("Round", [{ offset: ROUND_OFFSET.epoch, bytes: u64le(epoch) }]), chainDown)
          for (const { account: round } of rounds) {
            if (round.status === ROUND_STATUS.open) continue
            const mine = yield* Effect.mapError(repo.submission(round.epoch, round.nameHash), storage)
            if (round.status === ROUND_STATUS.finalized) {
              const route = round.routes[round.finalizedRoute]!
              const r = yield* Effect.mapError(
                repo.putFinality({ nameHash: round.nameHash, serial: route.serial, routeHash: route.routeHash, routeEpoch: round.epoch }),
                storage
              )
              if (r._tag === "recorded") {
                observed.push(roundKey(round))
                yield* Effect.logInfo("route finalized").pipe(
                  Effect.annotateLogs({ epoch: String(round.epoch), nameHash: hex(round.nameHash), routeHash: hex(route.routeHash), serial: String(route.serial) })
                )
              }
            }
            if (mine !== undefined && mine.status === "confirmed") {
              if (round.status === ROUND_STATUS.failed)
                yield* Effect.mapError(repo.appendEvent("round.failed", roundKey(round), { epoch: String(round.epoch), nameHash: hex(round.nameHash) }), storage)
              yield* Effect.mapError(repo.updateSubmission(round.epoch, round.nameHash, { status: "finalized" }), storage)
            }
          }
        }
        return observed
      })

      const tick = Effect.gen(function* () {
        const advanced = yield* advance
        const { finalized, resolved } = yield* finalizeDue
        const observed = yield* observe
        return { advanced, finalized, resolved, observed } satisfies TickReport
      }).pipe(Effect.withSpan("Cranker.tick"))

      return Cranker.of({ tick })
    })
  )
}
