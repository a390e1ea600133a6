/**
 * The chain half's access to Solana: `ChainTx` reads the protocol accounts and sends spec ops as
 * transactions, all through `SolanaRpc` (Solana JSON-RPC), so the same code runs against a validator,
 * the localnet, or the simulator's in-process RPC over an SVM.
 *
 *   op ─▶ buildOp (program client: Ed25519 ix + dotdns ix) ─▶ signTransaction (miner pays) ─▶
 *   sendTransaction (preflight) ─▶ getSignatureStatuses until confirmed ─▶ Confirmed | TxRejected
 *
 * A program rejection carries the rule decoded from its custom error code (`ruleOfCode`), so callers
 * match on rule ids — the same ids the executable spec returns. RPC transport failures are retried with
 * exponential backoff; a retried send re-sends the *same signed bytes* (one signature, so at most one
 * landing), and `AlreadyProcessed` counts as sent. Callers that must never submit twice record the
 * signature through `onSigned` before anything leaves the process.
 *
 * RPC methods used (what an in-process RPC must answer): getAccountInfo, getMultipleAccounts, getSlot,
 * getProgramAccounts (dataSize + memcmp filters), getLatestBlockhash, sendTransaction (base64),
 * getSignatureStatuses, getTransaction (compute units, optional), getBalance.
 */
import { Context, Data, Effect, Layer, Schedule, Schema } from "effect"
import { fromBase58, toBase58 } from "../../programs/client/base58.ts"
import { decodeAccount, type AccountOf } from "../../programs/client/decode.ts"
import { buildOp, type ChainView } from "../../programs/client/instructions.ts"
import { signTransaction } from "../../programs/client/message.ts"
import { findPda, seeds } from "../../programs/client/pda.ts"
import { ACCOUNTS, DISCRIMINATORS, type AccountKind } from "../../spec/src/accounts.ts"
import { equal, hex } from "../../spec/src/bytes.ts"
import type { Keypair } from "../../spec/src/ed25519.ts"
import type { LeafRef, Op, OpKind } from "../../spec/src/ops.ts"
import { ruleOfCode, type RuleId } from "../../spec/src/rules.ts"
import { MinerConfig } from "./Config.ts"
import { Identity } from "./Identity.ts"
import { ChainStateError, RpcError, SolanaRpc, type AccountData } from "./Rpc.ts"

// ------------------------------------------------------------------------------------------- errors

/** The transaction was refused (preflight) or landed and failed; `rule` names the rule it broke. */
export class TxRejected extends Data.TaggedError("TxRejected")<{
  readonly op: OpKind
  readonly rule: RuleId | undefined
  readonly code: number | undefined
  readonly message: string
  readonly logs: readonly string[]
  readonly signature?: string
}> {}

/** Sent, but not seen confirmed in time; it may still land. Check on-chain state before resending. */
export class TxUnconfirmed extends Data.TaggedError("TxUnconfirmed")<{ readonly op: OpKind; readonly signature: string; readonly message: string }> {}

/** The op could not be turned into a transaction (no key to sign, too large, …). */
export class TxInvalid extends Data.TaggedError("TxInvalid")<{ readonly op: OpKind; readonly message: string }> {}

export type TxError = TxRejected | TxUnconfirmed | TxInvalid | RpcError | ChainStateError

// ------------------------------------------------------------------------------------------ schemas

const BlockhashResult = Schema.Struct({
  context: Schema.Struct({ slot: Schema.Number }),
  value: Schema.Struct({ blockhash: Schema.String, lastValidBlockHeight: Schema.Number })
})
const StatusJson = Schema.NullOr(
  Schema.Struct({
    slot: Schema.Number,
    err: Schema.Unknown,
    confirmationStatus: Schema.optionalKey(Schema.NullOr(Schema.String))
  })
)
const StatusesResult = Schema.Struct({ context: Schema.Struct({ slot: Schema.Number }), value: Schema.Array(StatusJson) })
const ProgramAccountsResult = Schema.Array(
  Schema.Struct({
    pubkey: Schema.String,
    account: Schema.Struct({
      data: Schema.Tuple([Schema.String, Schema.Literal("base64")]),
      owner: Schema.String,
      lamports: Schema.Union([Schema.Number, Schema.String])
    })
  })
)
const TransactionResult = Schema.NullOr(
  Schema.Struct({ meta: Schema.NullOr(Schema.Struct({ computeUnitsConsumed: Schema.optionalKey(Schema.Number) })) })
)
const BalanceResult = Schema.Struct({ value: Schema.Union([Schema.Number, Schema.String]) })
const PreflightData = Schema.Struct({ err: Schema.optionalKey(Schema.Unknown), logs: Schema.optionalKey(Schema.NullOr(Schema.Array(Schema.String))) })

// ------------------------------------------------------------------------------------------ helpers

/** Solana's transaction size limit. */
export const MAX_TRANSACTION_SIZE = 1232

/** The custom program error code inside a transaction error (`{InstructionError: [i, {Custom: n}]}`). */
export const customCodeOf = (err: unknown): number | undefined => {
  if (typeof err !== "object" || err === null || !("InstructionError" in err)) return undefined
  const ie = (err as { readonly InstructionError: unknown }).InstructionError
  if (!Array.isArray(ie) || typeof ie[1] !== "object" || ie[1] === null || !("Custom" in ie[1])) return undefined
  const code = (ie[1] as { readonly Custom: unknown }).Custom
  return typeof code === "number" ? code : undefined
}

/** The code from a message such as "… custom program error: 0x4b1" (RPCs that drop error data). */
export const customCodeOfMessage = (message: string): number | undefined => {
  const m = /custom program error: 0x([0-9a-f]+)/i.exec(message)
  return m === null ? undefined : parseInt(m[1]!, 16)
}

const errName = (err: unknown): string | undefined => (typeof err === "string" ? err : undefined)

/** A transport failure (no JSON-RPC answer): worth retrying. A JSON-RPC error is an answer. */
export const isTransient = (e: { readonly _tag: string }): boolean => e._tag === "RpcError" && (e as RpcError).code === undefined

const COMMITMENT_RANK: Record<string, number> = { processed: 0, confirmed: 1, finalized: 2 }

export interface Confirmed {
  readonly op: OpKind
  /** base58 */
  readonly signature: string
  readonly slot: bigint
  /** From the transaction meta, when asked for and the RPC has it. */
  readonly computeUnits: bigint | undefined
}

export interface SendOptions<E = never> {
  /** Keys that must sign besides the payer (the payer is the miner's identity). */
  readonly signers?: readonly Keypair[]
  /**
   * Called with each signature before its transaction is sent (a re-signed transaction calls it again),
   * so the caller can record it durably first.
   */
  readonly onSigned?: (signature: string) => Effect.Effect<void, E>
  /** Read the compute units of the landed transaction (one more RPC call). */
  readonly computeUnits?: boolean
}

export interface ProgramAccount<K extends AccountKind> {
  readonly address: Uint8Array
  readonly account: AccountOf<K>
}

/** A memcmp filter on account data. */
export interface Memcmp {
  readonly offset: number
  readonly bytes: Uint8Array
}

export interface ChainTxOptions {
  readonly programId: Uint8Array
  /** Fee payer, and the miner key ops act for. */
  readonly payer: Keypair
  readonly commitment: "processed" | "confirmed" | "finalized"
  /** Status polls before a sent transaction counts as unconfirmed. */
  readonly maxPolls?: number
  readonly pollIntervalMs?: number
  /** Retries of a transport failure, with exponential backoff from `retryBaseMs`. */
  readonly retries?: number
  readonly retryBaseMs?: number
}

export interface ChainTxShape {
  readonly programId: Uint8Array
  /** The payer and miner key (base58 in `address`). */
  readonly payer: Uint8Array
  readonly address: string
  /** Any account of the program, decoded and checked (owner, discriminator, layout); undefined when absent. */
  account<K extends AccountKind>(kind: K, address: Uint8Array): Effect.Effect<AccountOf<K> | undefined, RpcError | ChainStateError>
  /** The address of a protocol account. */
  pda(s: readonly Uint8Array[]): Uint8Array
  readonly config: Effect.Effect<AccountOf<"Config"> | undefined, RpcError | ChainStateError>
  readonly minerSet: Effect.Effect<AccountOf<"MinerSet"> | undefined, RpcError | ChainStateError>
  committee(epoch: bigint): Effect.Effect<AccountOf<"Committee"> | undefined, RpcError | ChainStateError>
  round(epoch: bigint, nameHash: Uint8Array): Effect.Effect<AccountOf<"Round"> | undefined, RpcError | ChainStateError>
  aggregate(epoch: bigint, nameHash: Uint8Array, miner: Uint8Array): Effect.Effect<AccountOf<"Aggregate"> | undefined, RpcError | ChainStateError>
  name(nameHash: Uint8Array): Effect.Effect<AccountOf<"Name"> | undefined, RpcError | ChainStateError>
  witness(key: Uint8Array): Effect.Effect<AccountOf<"Witness"> | undefined, RpcError | ChainStateError>
  leafPin(ref: LeafRef): Effect.Effect<AccountOf<"LeafPin"> | undefined, RpcError | ChainStateError>
  challenge(ref: LeafRef): Effect.Effect<AccountOf<"Challenge"> | undefined, RpcError | ChainStateError>
  proposal(id: bigint): Effect.Effect<AccountOf<"Proposal"> | undefined, RpcError | ChainStateError>
  /** Every account of a kind matching the filters (getProgramAccounts with dataSize + discriminator; at most 2 more). */
  programAccounts<K extends AccountKind>(kind: K, filters?: readonly Memcmp[]): Effect.Effect<readonly ProgramAccount<K>[], RpcError | ChainStateError>
  readonly slot: Effect.Effect<bigint, RpcError>
  balance(address: Uint8Array): Effect.Effect<bigint, RpcError>
  /** Builds, signs (payer = the miner), sends and confirms one op. */
  send<E = never>(op: Op, options?: SendOptions<E>): Effect.Effect<Confirmed, TxError | E>
  /** Whether a signature landed: "ok", "failed" (with the rule), or "unknown" (not seen). */
  status(signature: string): Effect.Effect<{ readonly status: "ok" | "failed" | "unknown"; readonly rule?: RuleId }, RpcError>
}

// ------------------------------------------------------------------------------------------ service

export class ChainTx extends Context.Service<ChainTx, ChainTxShape>()("dotdns/miner/ChainTx") {
  static readonly make = (rpc: SolanaRpc["Service"], options: ChainTxOptions) =>
    Effect.sync(() => {
      const programId = options.programId
      const payer = options.payer
      const maxPolls = options.maxPolls ?? 40
      const pollIntervalMs = options.pollIntervalMs ?? 250
      const retries = options.retries ?? 5
      const retryBaseMs = options.retryBaseMs ?? 100
      const url = rpc.urls[0] ?? ""

      /** One JSON-RPC call, retried with exponential backoff while the transport fails. */
      const call = (method: string, params: readonly unknown[]) =>
        rpc.call(method, params).pipe(Effect.retry({ schedule: Schedule.exponential(`${retryBaseMs} millis`), times: retries, while: isTransient }))

      const decode = <S extends Schema.Top & { readonly DecodingServices: never }>(method: string, schema: S, value: unknown) =>
        Schema.decodeUnknownEffect(schema)(value).pipe(Effect.mapError((e) => new RpcError({ method, url, message: `unexpected result: ${e.message}` })))

      const decodeChecked = <K extends AccountKind>(kind: K, address: Uint8Array, acc: AccountData | undefined) => {
        if (acc === undefined) return undefined
        const decoded = equal(acc.owner, programId) ? decodeAccount(kind, acc.data) : undefined
        if (decoded === undefined) return new ChainStateError({ account: `${kind} ${toBase58(address)}`, message: `not a ${kind} account of the program` })
        return decoded
      }

      const account = <K extends AccountKind>(kind: K, address: Uint8Array) =>
        rpc.getAccountInfo(address).pipe(
          Effect.retry({ schedule: Schedule.exponential(`${retryBaseMs} millis`), times: retries, while: isTransient }),
          Effect.flatMap((acc) => {
            const r = decodeChecked(kind, address, acc)
            return r instanceof ChainStateError ? Effect.fail(r) : Effect.succeed(r)
          })
        )

      const pda = (s: readonly Uint8Array[]) => findPda(s, programId).address

      const programAccounts = Effect.fn("ChainTx.programAccounts")(function* <K extends AccountKind>(kind: K, filters: readonly Memcmp[] = []) {
        const size = ACCOUNTS[kind].layout.size
        const all = [{ offset: 0, bytes: DISCRIMINATORS[kind] }, ...filters]
        // Solana RPC nodes refuse more than four filters (dataSize counts as one).
        if (all.length > 3) return yield* new RpcError({ method: "getProgramAccounts", url, message: `at most 2 memcmp filters besides size and discriminator, got ${filters.length}` })
        const result = yield* call("getProgramAccounts", [
          toBase58(programId),
          {
            encoding: "base64",
            commitment: options.commitment,
            filters: [{ dataSize: size }, ...all.map((f) => ({ memcmp: { offset: f.offset, bytes: toBase58(f.bytes) } }))]
          }
        ])
        const rows = yield* decode("getProgramAccounts", ProgramAccountsResult, result)
        const out: ProgramAccount<K>[] = []
        for (const row of rows) {
          const address = fromBase58(row.pubkey)
          const decoded = decodeChecked(kind, address, {
            owner: fromBase58(row.account.owner),
            lamports: BigInt(row.account.lamports),
            data: new Uint8Array(Buffer.from(row.account.data[0], "base64"))
          })
          if (decoded instanceof ChainStateError || decoded === undefined) continue
          out.push({ address, account: decoded })
        }
        return out as readonly ProgramAccount<K>[]
      })

      const balance = (address: Uint8Array) =>
        call("getBalance", [toBase58(address), { commitment: options.commitment }]).pipe(
          Effect.flatMap((v) => decode("getBalance", BalanceResult, v)),
          Effect.map((r) => BigInt(r.value))
        )

      /** What `buildOp` needs to know about the chain, read before building (it is synchronous). */
      const viewFor = Effect.fn("ChainTx.viewFor")(function* (op: Op) {
        let config: AccountOf<"Config"> | undefined
        let pin: AccountOf<"LeafPin"> | undefined
        let challenge: AccountOf<"Challenge"> | undefined
        let slot = 0n
        switch (op.kind) {
          case "advanceEpoch":
          case "propose":
            config = yield* account("Config", pda(seeds.config()))
            break
          case "proveBadWeight":
          case "respondReveal":
          case "claimWitnessReward":
            pin = yield* account("LeafPin", pda(seeds.pin(op.leafRef.epoch, op.leafRef.nameHash, op.leafRef.miner, op.leafRef.index)))
            break
          case "resolveReveal":
            challenge = yield* account("Challenge", pda(seeds.challenge(op.leafRef.epoch, op.leafRef.nameHash, op.leafRef.miner, op.leafRef.index)))
            break
          case "initialize":
            slot = yield* rpc.getSlot
            break
          default:
            break
        }
        const view: ChainView = {
          config: () => config,
          name: () => undefined,
          pin: () => pin,
          challenge: () => challenge
        }
        return { view, slot }
      })

      const statusOf = (signature: string) =>
        call("getSignatureStatuses", [[signature], { searchTransactionHistory: true }]).pipe(
          Effect.flatMap((v) => decode("getSignatureStatuses", StatusesResult, v)),
          Effect.map((r) => r.value[0] ?? null)
        )

      const status = Effect.fn("ChainTx.status")(function* (signature: string) {
        const s = yield* statusOf(signature)
        if (s === null) return { status: "unknown" as const }
        if (s.err === null || s.err === undefined) return { status: "ok" as const }
        const code = customCodeOf(s.err)
        const rule = code === undefined ? undefined : ruleOfCode(code)
        return rule === undefined ? { status: "failed" as const } : { status: "failed" as const, rule }
      })

      const rejected = (op: OpKind, err: unknown, message: string, logs: readonly string[], signature?: string) => {
        const code = customCodeOf(err) ?? customCodeOfMessage(message)
        return new TxRejected({ op, code, rule: code === undefined ? undefined : ruleOfCode(code), message, logs, ...(signature === undefined ? {} : { signature }) })
      }

      const confirm = Effect.fn("ChainTx.confirm")(function* (op: OpKind, signature: string) {
        const wanted = COMMITMENT_RANK[options.commitment] ?? 1
        for (let i = 0; i < maxPolls; i++) {
          const s = yield* statusOf(signature)
          if (s !== null) {
            if (s.err !== null && s.err !== undefined) return yield* rejected(op, s.err, `landed and failed: ${JSON.stringify(s.err)}`, [], signature)
            if ((COMMITMENT_RANK[s.confirmationStatus ?? "processed"] ?? 0) >= wanted) return BigInt(s.slot)
          }
          if (pollIntervalMs > 0) yield* Effect.sleep(`${pollIntervalMs} millis`)
        }
        return yield* new TxUnconfirmed({ op, signature, message: `not ${options.commitment} after ${maxPolls} status polls` })
      })

      const computeUnitsOf = (signature: string) =>
        call("getTransaction", [signature, { encoding: "json", commitment: "confirmed", maxSupportedTransactionVersion: 0 }]).pipe(
          Effect.flatMap((v) => decode("getTransaction", TransactionResult, v)),
          Effect.map((t) => (t?.meta?.computeUnitsConsumed === undefined ? undefined : BigInt(t.meta.computeUnitsConsumed))),
          Effect.orElseSucceed(() => undefined)
        )

      const send = <E = never>(op: Op, sendOptions: SendOptions<E> = {}): Effect.Effect<Confirmed, TxError | E> =>
        Effect.gen(function* () {
          const { view, slot } = yield* viewFor(op)
          const keyring = new Map<string, Keypair>()
          for (const k of sendOptions.signers ?? []) keyring.set(hex(k.publicKey), k)
          // A stale blockhash is the one refusal a fresh signature cures; anything else is an answer.
          for (let attempt = 0; ; attempt++) {
            const bh = yield* call("getLatestBlockhash", [{ commitment: options.commitment }]).pipe(Effect.flatMap((v) => decode("getLatestBlockhash", BlockhashResult, v)))
            const tx = yield* Effect.try({
              try: () => {
                const built = buildOp(op, { programId, payer: payer.publicKey, slot, view })
                return signTransaction(payer, built.instructions, fromBase58(bh.value.blockhash), (pk) => keyring.get(hex(pk)))
              },
              catch: (e) => new TxInvalid({ op: op.kind, message: e instanceof Error ? e.message : String(e) })
            })
            if (tx.wire.length > MAX_TRANSACTION_SIZE)
              return yield* new TxInvalid({ op: op.kind, message: `transaction of ${tx.wire.length} bytes exceeds ${MAX_TRANSACTION_SIZE}` })
            const signature = toBase58(tx.signatures[0]!)
            if (sendOptions.onSigned !== undefined) yield* sendOptions.onSigned(signature)
            const wire = Buffer.from(tx.wire).toString("base64")
            const sent = yield* Effect.result(
              call("sendTransaction", [wire, { encoding: "base64", skipPreflight: false, preflightCommitment: options.commitment }])
            )
            if (sent._tag === "Failure") {
              const e = sent.failure
              if (e.code === undefined) return yield* e
              const data = Schema.decodeUnknownOption(PreflightData)(e.data)
              const err = data._tag === "Some" ? data.value.err : undefined
              const logs = data._tag === "Some" ? (data.value.logs ?? []) : []
              // The same bytes again (a retried send whose first try landed): go and confirm it.
              if (errName(err) === "AlreadyProcessed") {
                // fall through to confirmation
              } else if (errName(err) === "BlockhashNotFound" && attempt < 3) {
                continue
              } else return yield* rejected(op.kind, err, e.message, logs, signature)
            }
            const landed = yield* confirm(op.kind, signature)
            const computeUnits = sendOptions.computeUnits === true ? yield* computeUnitsOf(signature) : undefined
            return { op: op.kind, signature, slot: landed, computeUnits } satisfies Confirmed
          }
        }).pipe(Effect.withSpan("ChainTx.send", { attributes: { op: op.kind } }))

      return ChainTx.of({
        programId,
        payer: payer.publicKey,
        address: toBase58(payer.publicKey),
        account,
        pda,
        config: account("Config", pda(seeds.config())),
        minerSet: account("MinerSet", pda(seeds.miners())),
        committee: (epoch) => account("Committee", pda(seeds.committee(epoch))),
        round: (epoch, h) => account("Round", pda(seeds.round(epoch, h))),
        aggregate: (epoch, h, miner) => account("Aggregate", pda(seeds.aggregate(epoch, h, miner))),
        name: (h) => account("Name", pda(seeds.name(h))),
        witness: (key) => account("Witness", pda(seeds.witness(key))),
        leafPin: (ref) => account("LeafPin", pda(seeds.pin(ref.epoch, ref.nameHash, ref.miner, ref.index))),
        challenge: (ref) => account("Challenge", pda(seeds.challenge(ref.epoch, ref.nameHash, ref.miner, ref.index))),
        proposal: (id) => account("Proposal", pda(seeds.proposal(id))),
        programAccounts,
        slot: rpc.getSlot.pipe(Effect.retry({ schedule: Schedule.exponential(`${retryBaseMs} millis`), times: retries, while: isTransient })),
        balance,
        send,
        status
      })
    })

  /** The miner's ChainTx: its identity pays and signs, the program and commitment come from the config. */
  static readonly layer = Layer.effect(
    ChainTx,
    Effect.gen(function* () {
      const rpc = yield* SolanaRpc
      const config = yield* MinerConfig
      const identity = yield* Identity
      return yield* ChainTx.make(rpc, { programId: config.programId, payer: identity.keypair, commitment: config.rpc.commitment })
    })
  )
}

// ------------------------------------------------------------------------------------------ views

/** The miner's entry in the MinerSet, if it has one. */
export const minerEntryOf = (set: AccountOf<"MinerSet"> | undefined, key: Uint8Array) => {
  if (set === undefined) return undefined
  for (let i = 0; i < set.count; i++) if (equal(set.entries[i]!.key, key)) return set.entries[i]!
  return undefined
}

/** The member index of `key` in a committee, or -1. */
export const seatOf = (committee: AccountOf<"Committee"> | undefined, key: Uint8Array): number => {
  if (committee === undefined) return -1
  for (let i = 0; i < committee.memberCount; i++) if (equal(committee.members[i]!.key, key)) return i
  return -1
}
