/**
 * The miner's views of the chain — `EpochClock`, `StakeView`, `NameRegistry` — chosen by
 * `chain.mode`: over Solana JSON-RPC (`rpc`), or the DEVELOPMENT-ONLY fixed tables (`dev-fixed`).
 * The chain half adds its own chain-backed services beside these.
 */
import { Effect, Layer } from "effect"
import { MinerConfig } from "./Config.ts"
import { EpochClock } from "./EpochClock.ts"
import { NameRegistry } from "./Names.ts"
import { SolanaRpc } from "./Rpc.ts"
import { StakeView } from "./StakeView.ts"

export const ChainViews: Layer.Layer<EpochClock | StakeView | NameRegistry | SolanaRpc, never, MinerConfig> = Layer.unwrap(
  Effect.gen(function* () {
    const config = yield* MinerConfig
    const chain = config.chain
    if (chain.mode === "dev-fixed") {
      yield* Effect.logWarning("chain.mode = dev-fixed: DEVELOPMENT ONLY — epoch, witness stakes and names come from the config file, not from Solana")
      return Layer.mergeAll(
        EpochClock.layerFixed(chain.epoch, chain.epochLengthSlots),
        StakeView.layerFixed(chain.witnesses),
        NameRegistry.layerFixed(config.programId, chain.names)
      ).pipe(Layer.provideMerge(SolanaRpc.layer))
    }
    return Layer.mergeAll(EpochClock.layerRpc, StakeView.layerRpc, NameRegistry.layerRpc).pipe(Layer.provideMerge(SolanaRpc.layer))
  })
)
