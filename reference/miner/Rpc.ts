/**
 * Solana JSON-RPC, the miner's only window on the chain in `rpc` mode. Requests go to the configured
 * URLs in order (the next one on failure); responses are decoded by Schema. Only what the off-chain
 * half needs is here — account reads and the slot; the chain half adds sending transactions.
 */
import { Context, Data, Effect, Layer, Metric, Schema } from "effect"
import { fromBase58, toBase58 } from "../../programs/client/base58.ts"
import { MinerConfig } from "./Config.ts"
import * as Metrics from "./Metrics.ts"

export class RpcError extends Data.TaggedError("RpcError")<{
  readonly method: string
  readonly url: string
  readonly message: string
  /** JSON-RPC error code, when the endpoint answered with one. */
  readonly code?: number
  /** The error's `data` (e.g. a failed preflight's `err` and `logs`), when it carried one. */
  readonly data?: unknown
}> {}

export interface AccountData {
  readonly owner: Uint8Array
  readonly lamports: bigint
  readonly data: Uint8Array
}

// ------------------------------------------------------------------------------------------ schemas

const Envelope = Schema.Struct({
  result: Schema.optionalKey(Schema.Unknown),
  error: Schema.optionalKey(Schema.Struct({ code: Schema.Number, message: Schema.String, data: Schema.optionalKey(Schema.Unknown) }))
})

const AccountJson = Schema.NullOr(
  Schema.Struct({
    data: Schema.Tuple([Schema.String, Schema.Literal("base64")]),
    owner: Schema.String,
    lamports: Schema.Union([Schema.Number, Schema.String])
  })
)
const AccountResult = Schema.Struct({ context: Schema.Struct({ slot: Schema.Number }), value: AccountJson })
const AccountsResult = Schema.Struct({ context: Schema.Struct({ slot: Schema.Number }), value: Schema.Array(AccountJson) })
const SlotResult = Schema.Number

// ------------------------------------------------------------------------------------------ helpers

const toAccount = (a: typeof AccountJson.Type): AccountData | undefined =>
  a === null ? undefined : { owner: fromBase58(a.owner), lamports: BigInt(a.lamports), data: new Uint8Array(Buffer.from(a.data[0], "base64")) }

/** getMultipleAccounts takes at most 100 keys. */
export const MULTIPLE_ACCOUNTS_MAX = 100

// ------------------------------------------------------------------------------------------ service

export class SolanaRpc extends Context.Service<
  SolanaRpc,
  {
    readonly urls: readonly string[]
    /** Raw JSON-RPC call; `result` is decoded by the caller. */
    call(method: string, params: readonly unknown[]): Effect.Effect<unknown, RpcError>
    getAccountInfo(address: Uint8Array): Effect.Effect<AccountData | undefined, RpcError>
    /** Any number of addresses; chunked to the RPC limit. */
    getMultipleAccounts(addresses: readonly Uint8Array[]): Effect.Effect<readonly (AccountData | undefined)[], RpcError>
    readonly getSlot: Effect.Effect<bigint, RpcError>
  }
>()("dotdns/miner/SolanaRpc") {
  static readonly make = (options: { readonly urls: readonly string[]; readonly commitment: string; readonly timeoutMs: number }) =>
    Effect.sync(() => {
      let nextId = 1

      const callOne = (url: string, method: string, params: readonly unknown[]) => {
        const started = performance.now()
        return Effect.tryPromise({
          try: async (signal) => {
            const res = await fetch(url, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params }),
              signal: AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)])
            })
            if (!res.ok) throw new Error(`HTTP ${res.status}`)
            return (await res.json()) as unknown
          },
          catch: (e) => new RpcError({ method, url, message: e instanceof Error ? e.message : String(e) })
        }).pipe(
          Effect.flatMap((json) =>
            Schema.decodeUnknownEffect(Envelope)(json).pipe(Effect.mapError((e) => new RpcError({ method, url, message: `malformed response: ${e.message}` })))
          ),
          Effect.flatMap((env) =>
            env.error !== undefined
              ? Effect.fail(new RpcError({ method, url, message: env.error.message, code: env.error.code, data: env.error.data }))
              : Effect.succeed(env.result)
          ),
          Effect.tap(() => Metric.update(Metrics.rpcLatency, (performance.now() - started) / 1000)),
          Effect.tapError(() => Metrics.count(Metrics.rpcErrors, 1, { method }))
        )
      }

      /** First URL that answers; JSON-RPC errors are answers and are not retried elsewhere. */
      const call = Effect.fn("SolanaRpc.call")(function* (method: string, params: readonly unknown[]) {
        let last: RpcError | undefined
        for (const url of options.urls) {
          const r = yield* Effect.result(callOne(url, method, params))
          if (r._tag === "Success") return r.success
          last = r.failure
          if (last.code !== undefined) return yield* last
        }
        return yield* last ?? new RpcError({ method, url: "", message: "no RPC URL configured" })
      })

      const decode = <S extends Schema.Top & { readonly DecodingServices: never }>(method: string, schema: S, value: unknown) =>
        Schema.decodeUnknownEffect(schema)(value).pipe(Effect.mapError((e) => new RpcError({ method, url: options.urls[0] ?? "", message: `unexpected result: ${e.message}` })))

      const cfg = { encoding: "base64", commitment: options.commitment }

      const getAccountInfo = Effect.fn("SolanaRpc.getAccountInfo")(function* (address: Uint8Array) {
        const r = yield* decode("getAccountInfo", AccountResult, yield* call("getAccountInfo", [toBase58(address), cfg]))
        return toAccount(r.value)
      })

      const getMultipleAccounts = Effect.fn("SolanaRpc.getMultipleAccounts")(function* (addresses: readonly Uint8Array[]) {
        const out: (AccountData | undefined)[] = []
        for (let i = 0; i < addresses.length; i += MULTIPLE_ACCOUNTS_MAX) {
          const chunk = addresses.slice(i, i + MULTIPLE_ACCOUNTS_MAX)
          const r = yield* decode("getMultipleAccounts", AccountsResult, yield* call("getMultipleAccounts", [chunk.map(toBase58), cfg]))
          if (r.value.length !== chunk.length) return yield* new RpcError({ method: "getMultipleAccounts", url: options.urls[0] ?? "", message: "wrong number of accounts" })
          for (const a of r.value) out.push(toAccount(a))
        }
        return out
      })

      const getSlot = call("getSlot", [{ commitment: options.commitment }]).pipe(
        Effect.flatMap((v) => decode("getSlot", SlotResult, v)),
        Effect.map((n) => BigInt(n))
      )

      return SolanaRpc.of({ urls: options.urls, call, getAccountInfo, getMultipleAccounts, getSlot })
    })

  static readonly layer = Layer.effect(
    SolanaRpc,
    Effect.gen(function* () {
      const config = yield* MinerConfig
      return yield* SolanaRpc.make({ urls: config.rpc.urls, commitment: config.rpc.commitment, timeoutMs: config.rpc.timeoutMs })
    })
  )
}

/** A protocol account the miner needs is missing or is not what the program would write. */
export class ChainStateError extends Data.TaggedError("ChainStateError")<{ readonly account: string; readonly message: string }> {}

/** Why a chain view could not answer. */
export type ChainError = RpcError | ChainStateError
