/**
 * The chain as the client sees it: a name's `Name` account read over Solana JSON-RPC `getAccountInfo`
 * from every configured endpoint at the configured commitment, and accepted only when at least
 * `min_answers` endpoints answered and all that answered agree on owner, route_hash and serial [CLI-5].
 * Responses are decoded by Schema; an account at the PDA that is not a `Name` account of this name
 * (wrong program, discriminator, version, size or name_hash) is a verification failure, never a name.
 */
import { Context, Effect, Layer, Schema } from "effect"
import { PARAM } from "../../spec/src/params.ts"
import { equal, hex } from "../../spec/src/bytes.ts"
import { nameHash } from "../../spec/src/name.ts"
import { fromBase58, toBase58 } from "../../programs/client/base58.ts"
import { decodeAccount } from "../../programs/client/decode.ts"
import { findPda, seeds } from "../../programs/client/pda.ts"
import { ClientConfig } from "./Config.ts"
import { failure, type VerificationFailure } from "./Failure.ts"
import type { NameState, OnChainName } from "./Verify.ts"

// ------------------------------------------------------------------------------------------ schemas

const Envelope = Schema.Struct({
  result: Schema.optionalKey(Schema.Unknown),
  error: Schema.optionalKey(Schema.Struct({ code: Schema.Number, message: Schema.String }))
})
const AccountValue = Schema.NullOr(
  Schema.Struct({
    data: Schema.Tuple([Schema.String, Schema.Literal("base64")]),
    owner: Schema.String.pipe(Schema.check(Schema.isPattern(/^[1-9A-HJ-NP-Za-km-z]{32,44}$/))),
    lamports: Schema.Union([Schema.Number, Schema.String])
  })
)
const AccountInfoResult = Schema.Struct({ context: Schema.Struct({ slot: Schema.Int }), value: AccountValue })
const SlotResult = Schema.Int

/** One endpoint's answer about an account. */
interface EndpointAnswer {
  readonly url: string
  readonly slot: bigint
  readonly account: { readonly owner: Uint8Array; readonly data: Uint8Array } | null
}

/** What one RPC endpoint said about a name, for traces. */
export interface RpcObservation {
  readonly url: string
  readonly ok: boolean
  readonly slot?: string
  readonly detail: string
}

export interface NameRead {
  readonly state: NameState
  readonly observations: readonly RpcObservation[]
}

export interface EpochInfo {
  readonly slot: bigint
  readonly epoch: bigint
  readonly epochLength: bigint
  readonly submitWindow: bigint
  /** `challenge_window_slots`: a round of epoch E closes at E·L + submit_window + challenge_window (no reveals). */
  readonly challengeWindow: bigint
}

// ------------------------------------------------------------------------------------------ service

export class Chain extends Context.Service<
  Chain,
  {
    readonly programId: Uint8Array
    /** The name's `Name` PDA. */
    nameAddress(name: string): Uint8Array
    /** [CLI-5]: every endpoint, agreement required. `name` is normalized. */
    readName(name: string): Effect.Effect<NameRead, VerificationFailure>
    /** The current slot and protocol epoch (for receipts). */
    readonly epochInfo: Effect.Effect<EpochInfo, VerificationFailure>
  }
>()("dotdns/client/Chain") {
  static readonly make = (options: {
    readonly urls: readonly string[]
    readonly commitment: "finalized" | "confirmed"
    readonly minAnswers: number
    readonly timeoutMs: number
    readonly programId: Uint8Array
  }) => {
    let nextId = 1
    const programB58 = toBase58(options.programId)

    const call = (url: string, method: string, params: readonly unknown[]) =>
      Effect.tryPromise({
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
        catch: (e) => (e instanceof Error ? (e.name === "TimeoutError" ? `timed out after ${options.timeoutMs} ms` : e.message) : String(e))
      }).pipe(
        Effect.flatMap((json) => Schema.decodeUnknownEffect(Envelope)(json).pipe(Effect.mapError((e) => `malformed JSON-RPC response: ${e.message}`))),
        Effect.flatMap((env) =>
          env.error !== undefined ? Effect.fail(`JSON-RPC error ${env.error.code}: ${env.error.message}`) : Effect.succeed(env.result)
        )
      )

    const getAccount = (url: string, address: Uint8Array) =>
      call(url, "getAccountInfo", [toBase58(address), { encoding: "base64", commitment: options.commitment }]).pipe(
        Effect.flatMap((r) => Schema.decodeUnknownEffect(AccountInfoResult)(r).pipe(Effect.mapError((e) => `unexpected getAccountInfo result: ${e.message}`))),
        Effect.map(
          (r): EndpointAnswer => ({
            url,
            slot: BigInt(r.context.slot),
            account: r.value === null ? null : { owner: fromBase58(r.value.owner), data: new Uint8Array(Buffer.from(r.value.data[0], "base64")) }
          })
        )
      )

    const nameAddress = (name: string): Uint8Array => findPda(seeds.name(nameHash(name)), options.programId).address

    /** One endpoint's account as a name state, or why it is not one. */
    const interpret = (name: string, address: Uint8Array, a: EndpointAnswer): NameState | string => {
      if (a.account === null) return { kind: "absent" }
      if (!equal(a.account.owner, options.programId)) return `the account at the Name PDA is owned by ${toBase58(a.account.owner)}, not the dotdns program ${programB58}`
      const decoded = decodeAccount("Name", a.account.data)
      if (decoded === undefined) return `the account at the Name PDA is not a v1 Name account (${a.account.data.length} bytes)`
      if (!equal(decoded.nameHash, nameHash(name))) return `the Name account holds name_hash ${hex(decoded.nameHash)}, not ${name}'s`
      const account: OnChainName = {
        address,
        owner: decoded.owner,
        routeHash: decoded.routeHash,
        serial: decoded.serial,
        routeEpoch: decoded.routeEpoch,
        slot: a.slot
      }
      return { kind: "registered", account }
    }

    const describe = (s: NameState): string =>
      s.kind === "absent"
        ? "no Name account"
        : `owner ${toBase58(s.account.owner)}, route_hash ${hex(s.account.routeHash)}, serial ${s.account.serial}`

    const sameState = (a: NameState, b: NameState): boolean =>
      a.kind === "absent" || b.kind === "absent"
        ? a.kind === b.kind
        : equal(a.account.owner, b.account.owner) && equal(a.account.routeHash, b.account.routeHash) && a.account.serial === b.account.serial

    const readName = Effect.fn("Chain.readName")(function* (name: string) {
      const address = nameAddress(name)
      const results = yield* Effect.forEach(options.urls, (url) => Effect.result(getAccount(url, address)), { concurrency: "unbounded" })
      const observations: RpcObservation[] = []
      const states: { url: string; state: NameState }[] = []
      let invalid: string | undefined
      for (const [i, r] of results.entries()) {
        const url = options.urls[i]!
        if (r._tag === "Failure") {
          observations.push({ url, ok: false, detail: r.failure })
          continue
        }
        const s = interpret(name, address, r.success)
        if (typeof s === "string") {
          observations.push({ url, ok: false, slot: r.success.slot.toString(), detail: s })
          invalid ??= `${url}: ${s}`
          continue
        }
        observations.push({ url, ok: true, slot: r.success.slot.toString(), detail: describe(s) })
        states.push({ url, state: s })
      }
      if (invalid !== undefined) return yield* failure("account-invalid", invalid)
      if (states.length < options.minAnswers) {
        const why = observations.filter((o) => !o.ok).map((o) => `${o.url}: ${o.detail}`).join("; ")
        return yield* failure("rpc-unreachable", `${states.length} of ${options.urls.length} RPC endpoints answered, ${options.minAnswers} required (${why})`)
      }
      const first = states[0]!
      const odd = states.find((s) => !sameState(s.state, first.state))
      if (odd !== undefined)
        return yield* failure("rpc-disagree", `RPC endpoints disagree about ${name}: ${first.url} says ${describe(first.state)}; ${odd.url} says ${describe(odd.state)}`)
      let state = first.state
      if (state.kind === "registered") {
        let slot = state.account.slot
        for (const s of states) if (s.state.kind === "registered" && s.state.account.slot > slot) slot = s.state.account.slot
        state = { kind: "registered", account: { ...state.account, slot } }
      }
      return { state, observations }
    })

    const configAddress = findPda(seeds.config(), options.programId).address
    const epochInfo = Effect.gen(function* () {
      let last = "no RPC URL configured"
      for (const url of options.urls) {
        const r = yield* Effect.result(
          Effect.all([
            call(url, "getSlot", [{ commitment: options.commitment }]).pipe(
              Effect.flatMap((v) => Schema.decodeUnknownEffect(SlotResult)(v).pipe(Effect.mapError((e) => e.message)))
            ),
            getAccount(url, configAddress)
          ])
        )
        if (r._tag === "Failure") {
          last = `${url}: ${r.failure}`
          continue
        }
        const [slot, cfg] = r.success
        const config = cfg.account !== null && equal(cfg.account.owner, options.programId) ? decodeAccount("Config", cfg.account.data) : undefined
        if (config === undefined) {
          last = `${url}: no dotdns Config account`
          continue
        }
        const epochLength = config.params[PARAM.epochLengthSlots]!
        const submitWindow = config.params[PARAM.submitWindowSlots]!
        const challengeWindow = config.params[PARAM.challengeWindowSlots]!
        const s = BigInt(slot)
        return { slot: s, epoch: epochLength === 0n ? 0n : s / epochLength, epochLength, submitWindow, challengeWindow }
      }
      return yield* failure("rpc-unreachable", `cannot read the slot and Config account: ${last}`)
    })

    return Chain.of({ programId: options.programId, nameAddress, readName, epochInfo })
  }

  static readonly layer = Layer.effect(
    Chain,
    Effect.gen(function* () {
      const c = yield* ClientConfig
      return Chain.make({ ...c.rpc, programId: c.programId })
    })
  )
}
