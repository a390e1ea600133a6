/**
 * Registered names and their on-chain state (`Name` accounts): who owns a name, and which route,
 * serial and epoch are canonical. Route submissions read it fresh; the receipt path only asks whether
 * a name is registered, which it caches — names do not expire in v1 [NAM-8], so a registered name
 * stays registered, while "not registered" is cached only briefly.
 */
import { Context, Effect, Layer } from "effect"
import { decodeAccount } from "../../programs/client/decode.ts"
import { findPda, seeds } from "../../programs/client/pda.ts"
import { equal, fromHex, hex } from "../../spec/src/bytes.ts"
import { nameHash, normalizeName } from "../../spec/src/name.ts"
import { ProtocolError } from "../../spec/src/errors.ts"
import { MinerConfig, type DevNameEntry } from "./Config.ts"
import { SolanaRpc, type ChainError } from "./Rpc.ts"

export interface NameState {
  /** The `Name` account address (PDA "name", name_hash). */
  readonly address: Uint8Array
  readonly nameHash: Uint8Array
  readonly name: string
  readonly owner: Uint8Array
  /** All zero until a route is finalized. */
  readonly routeHash: Uint8Array
  readonly serial: bigint
  readonly routeEpoch: bigint
  readonly registeredEpoch: bigint
}

const NEGATIVE_TTL_MS = 2000

export class NameRegistry extends Context.Service<
  NameRegistry,
  {
    /** The `Name` account address of a name hash. */
    address(nameHash: Uint8Array): Uint8Array
    /** The name's current on-chain state, read now; undefined when it is not registered. */
    lookup(nameHash: Uint8Array): Effect.Effect<NameState | undefined, ChainError>
    /** Whether each name is registered (cached). */
    known(nameHashes: readonly Uint8Array[]): Effect.Effect<readonly boolean[], ChainError>
  }
>()("dotdns/miner/NameRegistry") {
  /** A fixed table (tests, and the DEVELOPMENT-ONLY dev-fixed mode). */
  static readonly layerFixed = (programId: Uint8Array, names: readonly DevNameEntry[]) =>
    Layer.effect(
      NameRegistry,
      Effect.gen(function* () {
        const table = new Map<string, NameState>()
        for (const n of names) {
          const normalized = normalizeName(n.name)
          if (normalized instanceof ProtocolError) return yield* Effect.die(new Error(`dev-fixed name "${n.name}": ${normalized.message}`))
          const h = nameHash(normalized)
          table.set(hex(h), {
            address: findPda(seeds.name(h), programId).address,
            nameHash: h,
            name: normalized,
            owner: n.owner,
            routeHash: n.routeHash === undefined ? new Uint8Array(32) : fromHex(n.routeHash),
            serial: n.serial,
            routeEpoch: 0n,
            registeredEpoch: 0n
          })
        }
        return NameRegistry.of({
          address: (h) => findPda(seeds.name(h), programId).address,
          lookup: (h) => Effect.succeed(table.get(hex(h))),
          known: (hs) => Effect.succeed(hs.map((h) => table.has(hex(h))))
        })
      })
    )

  /** `Name` accounts over JSON-RPC. */
  static readonly layerRpc = Layer.effect(
    NameRegistry,
    Effect.gen(function* () {
      const rpc = yield* SolanaRpc
      const { programId } = yield* MinerConfig
      const registered = new Set<string>()
      const absentAt = new Map<string, number>()
      const address = (h: Uint8Array) => findPda(seeds.name(h), programId).address

      const toState = (h: Uint8Array, acc: { readonly owner: Uint8Array; readonly data: Uint8Array } | undefined): NameState | undefined => {
        if (acc === undefined || !equal(acc.owner, programId)) return undefined
        const n = decodeAccount("Name", acc.data)
        if (n === undefined || !equal(n.nameHash, h)) return undefined
        return {
          address: address(h),
          nameHash: h,
          name: new TextDecoder().decode(n.name.subarray(0, n.nameLen)),
          owner: n.owner,
          routeHash: n.routeHash,
          serial: n.serial,
          routeEpoch: n.routeEpoch,
          registeredEpoch: n.registeredEpoch
        }
      }

      const lookup = Effect.fn("NameRegistry.lookup")(function* (h: Uint8Array) {
        const state = toState(h, yield* rpc.getAccountInfo(address(h)))
        if (state !== undefined) registered.add(hex(h))
        return state
      })

      const known = Effect.fn("NameRegistry.known")(function* (hs: readonly Uint8Array[]) {
        const now = Date.now()
        const ask = new Map<string, Uint8Array>()
        for (const h of hs) {
          const k = hex(h)
          if (registered.has(k) || ask.has(k)) continue
          const t = absentAt.get(k)
          if (t !== undefined && now - t < NEGATIVE_TTL_MS) continue
          ask.set(k, h)
        }
        if (ask.size > 0) {
          const keys = [...ask.values()]
          const accounts = yield* rpc.getMultipleAccounts(keys.map(address))
          keys.forEach((h, i) => {
            const k = hex(h)
            if (toState(h, accounts[i]) !== undefined) {
              registered.add(k)
              absentAt.delete(k)
            } else {
              if (absentAt.size > 100_000) absentAt.clear()
              absentAt.set(k, now)
            }
          })
        }
        return hs.map((h) => registered.has(hex(h)))
      })

      return NameRegistry.of({ address, lookup, known })
    })
  )
}
