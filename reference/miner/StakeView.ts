/**
 * A witness's stake in an epoch — the weight its receipt carries into a leaf [AGG-5]. In `rpc` mode it
 * is read from the witness's `Witness` account and computed by the spec's `witnessStakeAt` [STK-8].
 * Stake for an epoch that has begun never changes (new stake activates at the next boundary [STK-9]),
 * so answers are cached per epoch; zero (no account) is cached too.
 */
import { Context, Effect, Layer } from "effect"
import { decodeAccount } from "../../programs/client/decode.ts"
import { findPda, seeds } from "../../programs/client/pda.ts"
import { equal, hex } from "../../spec/src/bytes.ts"
import { witnessStakeAt } from "../../spec/src/state.ts"
import { MinerConfig } from "./Config.ts"
import { SolanaRpc, type ChainError } from "./Rpc.ts"

/** Epochs kept in the cache: the current one and the two a challenge can still reach [STK-7]. */
const CACHED_EPOCHS = 4

export class StakeView extends Context.Service<
  StakeView,
  {
    stakeAt(witness: Uint8Array, epoch: bigint): Effect.Effect<bigint, ChainError>
    /** Many witnesses of one epoch at once (one RPC round trip per 100 cache misses). */
    stakesAt(witnesses: readonly Uint8Array[], epoch: bigint): Effect.Effect<readonly bigint[], ChainError>
  }
>()("dotdns/miner/StakeView") {
  /** A fixed table (tests, and the DEVELOPMENT-ONLY dev-fixed mode): the same stake in every epoch. */
  static readonly layerFixed = (table: Iterable<{ readonly key: Uint8Array; readonly stake: bigint }>) => {
    const stakes = new Map<string, bigint>()
    for (const { key, stake } of table) stakes.set(hex(key), stake)
    const stakeAt = (w: Uint8Array) => stakes.get(hex(w)) ?? 0n
    return Layer.succeed(
      StakeView,
      StakeView.of({
        stakeAt: (w) => Effect.succeed(stakeAt(w)),
        stakesAt: (ws) => Effect.succeed(ws.map(stakeAt))
      })
    )
  }

  /** `Witness` accounts over JSON-RPC with a per-epoch cache. */
  static readonly layerRpc = Layer.effect(
    StakeView,
    Effect.gen(function* () {
      const rpc = yield* SolanaRpc
      const { programId } = yield* MinerConfig
      const cache = new Map<bigint, Map<string, bigint>>()

      const epochCache = (epoch: bigint): Map<string, bigint> => {
        let m = cache.get(epoch)
        if (m === undefined) {
          m = new Map()
          cache.set(epoch, m)
          const newest = [...cache.keys()].reduce((a, b) => (a > b ? a : b))
          for (const e of cache.keys()) if (e + BigInt(CACHED_EPOCHS) <= newest) cache.delete(e)
        }
        return m
      }

      const stakesAt = Effect.fn("StakeView.stakesAt")(function* (witnesses: readonly Uint8Array[], epoch: bigint) {
        const m = epochCache(epoch)
        const missing = new Map<string, Uint8Array>()
        for (const w of witnesses) {
          const k = hex(w)
          if (!m.has(k)) missing.set(k, w)
        }
        if (missing.size > 0) {
          const keys = [...missing.values()]
          const accounts = yield* rpc.getMultipleAccounts(keys.map((k) => findPda(seeds.witness(k), programId).address))
          keys.forEach((k, i) => {
            const acc = accounts[i]
            const w = acc !== undefined && equal(acc.owner, programId) ? decodeAccount("Witness", acc.data) : undefined
            m.set(hex(k), witnessStakeAt(w !== undefined && equal(w.key, k) ? w : undefined, epoch))
          })
        }
        return witnesses.map((w) => m.get(hex(w)) ?? 0n)
      })

      return StakeView.of({
        stakesAt,
        stakeAt: (witness, epoch) => Effect.map(stakesAt([witness], epoch), (s) => s[0]!)
      })
    })
  )
}
