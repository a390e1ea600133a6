/**
 * The protocol epoch now: `epoch = ⌊slot / epoch_length_slots⌋` [EPC-1], with the slot from the
 * chain's clock and the length from the `Config` account. The length never changes in v1 [GOV-7], so
 * the account is read once; the slot is cached briefly (one slot is 400 ms).
 */
import { Context, Effect, Layer } from "effect"
import { decodeAccount } from "../../programs/client/decode.ts"
import { findPda, seeds } from "../../programs/client/pda.ts"
import { equal } from "../../spec/src/bytes.ts"
import type { ConfigAccount } from "../../spec/src/accounts.ts"
import { param } from "../../spec/src/params.ts"
import { clockEpoch, emptyState } from "../../spec/src/state.ts"
import { MinerConfig } from "./Config.ts"
import { ChainStateError, SolanaRpc, type ChainError } from "./Rpc.ts"

export interface EpochNow {
  readonly epoch: bigint
  readonly slot: bigint
  readonly epochLengthSlots: bigint
}

/** How long a slot reading is reused. */
const SLOT_TTL_MS = 400


export class EpochClock extends Context.Service<EpochClock, { readonly now: Effect.Effect<EpochNow, ChainError> }>()("dotdns/miner/EpochClock") {
  /** DEVELOPMENT ONLY: a clock stopped at `epoch`. */
  static readonly layerFixed = (epoch: bigint, epochLengthSlots = 50n) =>
    Layer.succeed(EpochClock, EpochClock.of({ now: Effect.succeed({ epoch, slot: epoch * epochLengthSlots, epochLengthSlots }) }))

  /** The clock of the chain behind `SolanaRpc`, for the program in the config. */
  static readonly layerRpc = Layer.effect(
    EpochClock,
    Effect.gen(function* () {
      const rpc = yield* SolanaRpc
      const { programId } = yield* MinerConfig
      const configAddress = findPda(seeds.config(), programId).address
      let config: ConfigAccount | undefined
      let slot: { readonly value: bigint; readonly at: number } | undefined

      const configAccount = Effect.gen(function* () {
        if (config !== undefined) return config
        const acc = yield* rpc.getAccountInfo(configAddress)
        if (acc === undefined) return yield* new ChainStateError({ account: "Config", message: "the protocol is not initialized (no Config account)" })
        const decoded = equal(acc.owner, programId) ? decodeAccount("Config", acc.data) : undefined
        if (decoded === undefined) return yield* new ChainStateError({ account: "Config", message: "the Config account is not the program's" })
        config = decoded
        return config
      })

      const currentSlot = Effect.gen(function* () {
        const t = Date.now()
        if (slot !== undefined && t - slot.at < SLOT_TTL_MS) return slot.value
        const value = yield* rpc.getSlot
        slot = { value, at: t }
        return value
      })

      const now = Effect.gen(function* () {
        const c = yield* configAccount
        const s = yield* currentSlot
        // The spec's own clock rule [EPC-1] over the one account it reads.
        return { epoch: clockEpoch({ ...emptyState(), config: c }, { slot: s }), slot: s, epochLengthSlots: param(c.params, "epochLengthSlots") }
      }).pipe(Effect.withSpan("EpochClock.now"))

      return EpochClock.of({ now })
    })
  )
}
