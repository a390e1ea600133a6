/**
 * The chain half's scheduler. Every duty is a step function — `Cranker.tick`, `Aggregator.cutoff(E)`,
 * `Submitter.submitPending`, `Responder.answerReveals`, `Watcher.scan` — that reads the time from the
 * chain's slot and keeps no timer of its own. `ChainLoop.tick` runs them once, in the order the
 * protocol needs (cranks first, so the committee and finality are current; answers to challenges before
 * new gossip), and a failing step is logged without stopping the others.
 *
 * Two drivers call the same steps: the production loop below (`ChainLoop.layerRun`: `tickDuties` and,
 * in a fiber of its own, `tickWatch`, every `duties.tick_ms`), and the simulator, which calls `tick` —
 * or the steps one by one — at simulated slots over its in-process `SolanaRpc`.
 */
import { Cause, Context, Effect, Layer, Schedule } from "effect"
import { param } from "../../spec/src/params.ts"
import { Aggregator, type CutoffOutcome } from "./Aggregator.ts"
import { ChainTx } from "./Chain.ts"
import { MinerConfig } from "./Config.ts"
import { Cranker, type TickReport } from "./Cranker.ts"
import { Responder, type AnswerReport } from "./Responder.ts"
import { Submitter, type SubmitReport } from "./Submitter.ts"
import { Peers, Watcher, type ScanReport } from "./Watcher.ts"

export interface LoopReport {
  readonly slot: bigint
  readonly epoch: bigint
  readonly crank?: TickReport
  readonly cutoff?: readonly CutoffOutcome[]
  readonly submit?: readonly SubmitReport[]
  readonly answers?: readonly AnswerReport[]
  readonly scan?: ScanReport
  /** Steps that failed this tick, with why. */
  readonly failed: readonly { readonly step: string; readonly message: string }[]
}

export class ChainLoop extends Context.Service<
  ChainLoop,
  {
    /** Runs every duty once at the chain's current slot. Never fails: step failures are in the report. */
    readonly tick: Effect.Effect<LoopReport>
    /** The duties with deadlines: cranks, cut-off, submission, answers to reveals. */
    readonly tickDuties: Effect.Effect<LoopReport>
    /** Gossip and audit of the peers (slow peers must not delay the duties with deadlines). */
    readonly tickWatch: Effect.Effect<LoopReport>
  }
>()("dotdns/miner/ChainLoop") {
  static readonly layer = Layer.effect(
    ChainLoop,
    Effect.gen(function* () {
      const chain = yield* ChainTx
      const cranker = yield* Cranker
      const aggregator = yield* Aggregator
      const submitter = yield* Submitter
      const responder = yield* Responder
      const watcher = yield* Watcher

      /** A step's failure (or defect) is logged and reported in `failed`; the tick goes on. */
      const run = <A, E extends { readonly message: string }>(failed: { step: string; message: string }[], step: string, effect: Effect.Effect<A, E>) =>
        effect.pipe(
          Effect.map((a): A | undefined => a),
          Effect.catchCause((cause) => {
            const e = Cause.squash(cause)
            const message = e instanceof Error ? e.message : Cause.pretty(cause)
            failed.push({ step, message })
            return Effect.as(Effect.logWarning(`${step} failed`).pipe(Effect.annotateLogs({ error: message })), undefined)
          })
        )

      const pass = (parts: { readonly duties: boolean; readonly watch: boolean }) => Effect.gen(function* () {
        const failed: { step: string; message: string }[] = []
        const now = yield* Effect.result(Effect.all([chain.slot, chain.config]))
        if (now._tag === "Failure") {
          yield* Effect.logWarning("chain unavailable").pipe(Effect.annotateLogs({ error: now.failure.message }))
          return { slot: 0n, epoch: 0n, failed: [{ step: "chain", message: now.failure.message }] } satisfies LoopReport
        }
        const [slot, config] = now.success
        if (config === undefined) return { slot, epoch: 0n, failed: [{ step: "chain", message: "the protocol is not initialized" }] } satisfies LoopReport
        const L = param(config.params, "epochLengthSlots")
        const epoch = slot / L
        const crank = parts.duties ? yield* run(failed, "cranker", cranker.tick) : undefined
        // The cut-off of epoch E is the start of E+1; late names are picked up during the submit window.
        const inWindow = epoch >= 1n && slot < epoch * L + param(config.params, "submitWindowSlots")
        const cutoff = parts.duties && inWindow ? yield* run(failed, "aggregator", aggregator.cutoff(epoch - 1n)) : undefined
        const submit = parts.duties ? yield* run(failed, "submitter", submitter.submitPending) : undefined
        const answers = parts.duties ? yield* run(failed, "responder", responder.answerReveals) : undefined
        const scan = parts.watch ? yield* run(failed, "watcher", watcher.scan) : undefined
        return {
          slot,
          epoch,
          ...(crank === undefined ? {} : { crank }),
          ...(cutoff === undefined ? {} : { cutoff }),
          ...(submit === undefined ? {} : { submit }),
          ...(answers === undefined ? {} : { answers }),
          ...(scan === undefined ? {} : { scan }),
          failed
        } satisfies LoopReport
      })

      return ChainLoop.of({
        tick: pass({ duties: true, watch: true }).pipe(Effect.withSpan("ChainLoop.tick")),
        tickDuties: pass({ duties: true, watch: false }).pipe(Effect.withSpan("ChainLoop.tickDuties")),
        tickWatch: pass({ duties: false, watch: true }).pipe(Effect.withSpan("ChainLoop.tickWatch"))
      })
    })
  )

  /**
   * The production driver, for as long as the layer lives: the duties with deadlines every
   * `duties.tick_ms`, and beside them, in their own fiber, the watch of the peers (an unresponsive
   * peer delays only the gossip).
   */
  static readonly layerRun = Layer.effectDiscard(
    Effect.gen(function* () {
      const loop = yield* ChainLoop
      const config = yield* MinerConfig
      const every = Schedule.spaced(`${config.duties.tickMs} millis`)
      yield* Effect.logInfo("chain duties started").pipe(Effect.annotateLogs({ tickMs: config.duties.tickMs, peers: config.peers.length }))
      yield* Effect.forkScoped(loop.tickDuties.pipe(Effect.repeat(every)))
      yield* Effect.forkScoped(loop.tickWatch.pipe(Effect.repeat(every)))
    })
  )
}

/**
 * Every step's service over the chain (ChainTx, from the miner's SolanaRpc and identity); `Peers` is
 * left to the caller — the simulator provides in-process peers (`Peers.layerStatic`).
 */
export const Duties = Layer.mergeAll(Cranker.layer, Aggregator.layer, Submitter.layer, Responder.layer, Watcher.layer).pipe(Layer.provideMerge(ChainTx.layer))

/** The duties with the HTTP peers of the config. */
export const DutiesLive = Duties.pipe(Layer.provideMerge(Peers.layer))

/**
 * The chain half as one layer for `main.ts`: the loop and its steps in `rpc` mode with duties enabled;
 * nothing in dev-fixed mode (there is no chain to act on) or when `duties.enabled` is false.
 */
export const ChainHalf = Layer.unwrap(
  Effect.gen(function* () {
    const config = yield* MinerConfig
    if (config.chain.mode !== "rpc" || !config.duties.enabled) {
      yield* Effect.logInfo("chain duties off").pipe(Effect.annotateLogs({ chainMode: config.chain.mode, enabled: config.duties.enabled }))
      return Layer.empty
    }
    return ChainLoop.layerRun.pipe(Layer.provide(ChainLoop.layer), Layer.provide(DutiesLive))
  })
)
