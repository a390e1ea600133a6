/**
 * The JSON mapping of spec v1 [CNF-2]: how every value of the executable spec travels as JSON — in the
 * test vectors, in the conformance adapter protocol and in the miner APIs. One rule covers all of it:
 *
 * | TypeScript value                     | JSON                                                          |
 * |--------------------------------------|---------------------------------------------------------------|
 * | `Uint8Array`                         | lowercase hex string, no prefix (`Hex`; `Hex32`/`Hex64` fixed) |
 * | `bigint` u64                         | decimal string without leading zeros, 0..2^64−1 (`U64`)        |
 * | `number` u8 / u16 / u32              | JSON number (integer in range)                                 |
 * | `string`                             | JSON string                                                    |
 * | `X | null`                           | the value or `null`                                            |
 * | object / array                       | object with the TypeScript field names / array                 |
 * | tagged union (`Op`, `RootOpening`)   | object whose `kind` names the variant                          |
 *
 * Decoders are strict: a missing field, an extra field, a wrong type, uppercase or odd-length hex, a hex
 * field of the wrong size, a u64 out of range or with leading zeros is a `SchemaError`, never another
 * exception. `Params` is the one place that maps by name rather than by position (see `ParamsJson`), and
 * the protocol state maps to `StateJson`, whose accounts are their exact on-chain bytes.
 */
import { Effect, Schema, SchemaGetter, SchemaIssue, SchemaTransformation } from "effect"
import {
  ACCOUNTS, ClaimLayout, ChallengeLayout, CommitteeLayout, ConfigLayout, DISCRIMINATORS, LeafPinLayout, MinerSetLayout, NameLayout,
  ProposalLayout, RoundLayout, VetoLayout, WitnessLayout, AggregateLayout, type AccountKind
} from "./accounts.ts"
import { equal, hex, u64le } from "./bytes.ts"
import { U64_MAX, Writer } from "./codec.ts"
import { DecodeError, ProtocolError } from "./errors.ts"
import { H, TAGS } from "./hash.ts"
import { decodeFixed, encodeFixed, type StructValue } from "./layout.ts"
import type { SumNode } from "./merkle.ts"
import type { AggregateStatement, DnsRecord, Leaf, Receipt, RouteAuth, RouteRecord } from "./objects.ts"
import type { Op } from "./ops.ts"
import { PARAM, PARAM_COUNT, PARAM_SLOTS, type ParamName } from "./params.ts"
import {
  aggregateKey, claimKey, committeeKey, emptyState, nameKey, pinKey, proposalKey, roundKey, vetoKey, witnessKey, type State
} from "./state.ts"
import { LAYOUT_VERSION } from "./version.ts"

// ------------------------------------------------------------------------------------------ primitives

const bytesFromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "hex"))

const hexCodec = (pattern: RegExp, expected: string, size?: number): Schema.Codec<Uint8Array, string> =>
  Schema.String.check(Schema.isPattern(pattern, { expected })).pipe(
    Schema.decodeTo(
      size === undefined
        ? Schema.Uint8Array
        : Schema.Uint8Array.check(Schema.makeFilter((b: Uint8Array) => b.length === size || `expected ${size} bytes, got ${b.length}`)),
      SchemaTransformation.transform({ decode: bytesFromHex, encode: hex })
    )
  )

// #region json-primitives
/** Bytes as lowercase hex without a prefix; any even length. */
export const Hex: Schema.Codec<Uint8Array, string> = hexCodec(/^(?:[0-9a-f]{2})*$/, "lowercase hex of whole bytes")
/** Exactly `n` bytes as lowercase hex. */
export const HexN = (n: number): Schema.Codec<Uint8Array, string> =>
  hexCodec(new RegExp(`^[0-9a-f]{${2 * n}}$`), `lowercase hex of exactly ${n} bytes`, n)
/** Keys and hashes. */
export const Hex32: Schema.Codec<Uint8Array, string> = HexN(32)
/** ed25519 signatures. */
export const Hex64: Schema.Codec<Uint8Array, string> = HexN(64)

/** A u64 as a decimal string: no sign, no leading zeros, at most 2^64 − 1. */
export const U64: Schema.Codec<bigint, string> = Schema.String.check(
  Schema.isPattern(/^(?:0|[1-9][0-9]{0,19})$/, { expected: "a decimal u64 without leading zeros" })
).pipe(
  Schema.decodeTo(
    Schema.BigInt.check(Schema.isBetweenBigInt({ minimum: 0n, maximum: U64_MAX })),
    SchemaTransformation.transform({ decode: (s: string) => BigInt(s), encode: (v: bigint) => v.toString() })
  )
)

/** A signed lamport balance as a decimal string (a wallet's net flow may be negative). */
export const I128: Schema.Codec<bigint, string> = Schema.String.check(
  Schema.isPattern(/^(?:0|-?[1-9][0-9]{0,37})$/, { expected: "a signed decimal integer without leading zeros" })
).pipe(
  Schema.decodeTo(Schema.BigInt, SchemaTransformation.transform({ decode: (s: string) => BigInt(s), encode: (v: bigint) => v.toString() }))
)

const uint = (bits: number): Schema.Codec<number, number> =>
  Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 2 ** bits - 1 }))
export const U8: Schema.Codec<number, number> = uint(8)
export const U16: Schema.Codec<number, number> = uint(16)
export const U32: Schema.Codec<number, number> = uint(32)
// #endregion json-primitives

/** A getter that runs a spec function and turns its typed failure into a schema issue. */
const fallible = <T, E>(f: (e: E) => T): SchemaGetter.Getter<T, E> =>
  SchemaGetter.transformEffect((e: E) => {
    try {
      return Effect.succeed(f(e))
    } catch (err) {
      if (err instanceof DecodeError || err instanceof ProtocolError || err instanceof RangeError)
        return Effect.fail(new SchemaIssue.InvalidValue({ message: err.message }, e))
      throw err
    }
  })

// --------------------------------------------------------------------------------------------- objects

// #region json-objects
/** `{ hash: Hex32, sum: U64 }` — a node of the Merkle-sum tree. */
export const SumNodeJson: Schema.Codec<SumNode, { readonly hash: string; readonly sum: string }> = Schema.Struct({ hash: Hex32, sum: U64 })

/** `{ type: u16, data: Hex }` — one DNS record of a route (type is the RR type code: 1 A, 5 CNAME, 16 TXT, 28 AAAA, 65 HTTPS). */
export const DnsRecordJson: Schema.Codec<DnsRecord, { readonly type: number; readonly data: string }> = Schema.Struct({ type: U16, data: Hex })

/** `{ name, serial: U64, ttl: u32, records: DnsRecord[], owner: Hex32 }` */
export const RouteRecordJson = Schema.Struct({
  name: Schema.String,
  serial: U64,
  ttl: U32,
  records: Schema.Array(DnsRecordJson),
  owner: Hex32
})
export type RouteRecordJson = (typeof RouteRecordJson)["Encoded"]

/** `{ nameHash: Hex32, serial: U64, routeHash: Hex32 }` */
export const RouteAuthJson = Schema.Struct({ nameHash: Hex32, serial: U64, routeHash: Hex32 })
export type RouteAuthJson = (typeof RouteAuthJson)["Encoded"]

/** `{ epoch: U64, nameHash: Hex32, routeHash: Hex32, witness: Hex32 }` — and nothing else [RCP-1]. */
export const ReceiptJson = Schema.Struct({ epoch: U64, nameHash: Hex32, routeHash: Hex32, witness: Hex32 })
export type ReceiptJson = (typeof ReceiptJson)["Encoded"]

/** `{ receipt: Receipt, signature: Hex64 }` — a receipt with its witness signature. */
export const SignedReceiptJson = Schema.Struct({ receipt: ReceiptJson, signature: Hex64 })
export type SignedReceiptJson = (typeof SignedReceiptJson)["Encoded"]

/** `{ receiptHash: Hex32, witness: Hex32, weight: U64 }` */
export const LeafJson = Schema.Struct({ receiptHash: Hex32, witness: Hex32, weight: U64 })
export type LeafJson = (typeof LeafJson)["Encoded"]

/** `{ epoch, nameHash, routeHash, receiptRoot, support, receiptCount: u32, miner, batchCid: Hex | null }` */
export const AggregateStatementJson = Schema.Struct({
  epoch: U64,
  nameHash: Hex32,
  routeHash: Hex32,
  receiptRoot: Hex32,
  support: U64,
  receiptCount: U32,
  miner: Hex32,
  batchCid: Schema.NullOr(Hex)
})
export type AggregateStatementJson = (typeof AggregateStatementJson)["Encoded"]
// #endregion json-objects

// Compile-time checks that the JSON schemas decode to exactly the spec's types.
const _objects: [
  Schema.Codec<RouteRecord, RouteRecordJson>,
  Schema.Codec<RouteAuth, RouteAuthJson>,
  Schema.Codec<Receipt, ReceiptJson>,
  Schema.Codec<Leaf, LeafJson>,
  Schema.Codec<AggregateStatement, AggregateStatementJson>
] = [RouteRecordJson, RouteAuthJson, ReceiptJson, LeafJson, AggregateStatementJson]
void _objects

// ---------------------------------------------------------------------------------------------- params

// #region json-params
export const PARAM_NAMES = (Object.keys(PARAM) as ParamName[]).sort((a, b) => PARAM[a] - PARAM[b])
const RESERVED = PARAM_SLOTS - PARAM_COUNT

const ParamsShape = Schema.Struct({
  ...(Object.fromEntries(PARAM_NAMES.map((n) => [n, U64])) as { readonly [K in ParamName]: typeof U64 }),
  reserved: Schema.optionalKey(Schema.Array(U64).check(Schema.isBetweenLength(RESERVED, RESERVED)))
})

/**
 * Parameters by name: `{ epochLengthSlots: U64, submitWindowSlots: U64, …, committeeSize: U64 }` with every
 * parameter of `PARAM` present, in `ParamId` order. The reserved slots (21..23) appear as
 * `reserved: [U64, U64, U64]` only when one of them is non-zero (which `checkParams` rejects [GOV-8]).
 */
export const ParamsJson = ParamsShape.pipe(
  Schema.decodeTo(Schema.Array(Schema.BigInt), {
    decode: fallible((o: (typeof ParamsShape)["Type"]): readonly bigint[] => {
      if (o.reserved !== undefined && o.reserved.every((v) => v === 0n)) throw new RangeError("reserved appears only when a reserved slot is non-zero")
      const out = PARAM_NAMES.map((n) => o[n])
      return [...out, ...(o.reserved ?? new Array<bigint>(RESERVED).fill(0n))]
    }),
    encode: fallible((p: readonly bigint[]): (typeof ParamsShape)["Type"] => {
      if (p.length !== PARAM_SLOTS) throw new RangeError(`params has ${p.length} slots, not ${PARAM_SLOTS}`)
      const named = Object.fromEntries(PARAM_NAMES.map((n) => [n, p[PARAM[n]]!])) as { [K in ParamName]: bigint }
      const reserved = p.slice(PARAM_COUNT)
      return reserved.some((v) => v !== 0n) ? { ...named, reserved } : named
    })
  })
)
export type ParamsJson = (typeof ParamsJson)["Encoded"]
// #endregion json-params

// ------------------------------------------------------------------------------------------------- ops

// #region json-ops
/** `{ epoch: U64, nameHash: Hex32, miner: Hex32, index: u32 }` — a leaf of a submitted aggregate. */
export const LeafRefJson = Schema.Struct({ epoch: U64, nameHash: Hex32, miner: Hex32, index: U32 })
/** `{ statement: AggregateStatement, signature: Hex64 }` */
export const SignedAggregateJson = Schema.Struct({ statement: AggregateStatementJson, signature: Hex64 })
/** `{ kind: "node", left: SumNode, right: SumNode }` or `{ kind: "leaf", leaf: Leaf }` [AGG-3]. */
export const RootOpeningJson = Schema.Union([
  Schema.Struct({ kind: Schema.Literal("node"), left: SumNodeJson, right: SumNodeJson }),
  Schema.Struct({ kind: Schema.Literal("leaf"), leaf: LeafJson })
])
/** `{ serial: U64, owner: Hex32, signature: Hex64 }` — the owner's signature over the RouteAuth [RND-5]. */
export const RouteAuthorizationJson = Schema.Struct({ serial: U64, owner: Hex32, signature: Hex64 })
/** `{ kind: u8, param: u8, value: U64, key: Hex32 }` — kinds: 0 setParam, 1 allowlistAdd, 2 allowlistRemove, 3 setAuthority. */
export const ChangeJson = Schema.Struct({ kind: U8, param: U8, value: U64, key: Hex32 })

const op = <K extends string, F extends Schema.Struct.Fields>(kind: K, fields: F) => Schema.Struct({ kind: Schema.Literal(kind), ...fields })

/** Every operation, tagged by `kind`, with the field names of `Op` in `ops.ts`. */
export const OpJson = Schema.Union([
  op("initialize", { authority: Hex32, params: ParamsJson, allowlist: Schema.Array(Hex32) }),
  op("minerBond", { miner: Hex32, amount: U64 }),
  op("minerUnbond", { miner: Hex32, amount: U64 }),
  op("minerWithdraw", { miner: Hex32 }),
  op("unjail", { miner: Hex32 }),
  op("witnessBond", { witness: Hex32, amount: U64 }),
  op("witnessUnbond", { witness: Hex32, amount: U64 }),
  op("witnessWithdraw", { witness: Hex32 }),
  op("claim", { who: Hex32, role: Schema.Literals(["miner", "witness"]) }),
  op("fundPool", { funder: Hex32, amount: U64 }),
  op("registerName", { owner: Hex32, name: Schema.String }),
  op("transferName", { owner: Hex32, nameHash: Hex32, newOwner: Hex32 }),
  op("advanceEpoch", {}),
  op("submitAggregate", { statement: AggregateStatementJson, opening: RootOpeningJson, auth: Schema.NullOr(RouteAuthorizationJson) }),
  op("finalizeRound", { epoch: U64, nameHash: Hex32 }),
  op("proveEquivocation", { challenger: Hex32, first: SignedAggregateJson, second: Schema.NullOr(SignedAggregateJson) }),
  op("pinLeaf", { leafRef: LeafRefJson, leaf: LeafJson, path: Schema.Array(SumNodeJson) }),
  op("proveBadWeight", { challenger: Hex32, leafRef: LeafRefJson }),
  op("proveBadOrder", { challenger: Hex32, leafRef: LeafRefJson }),
  op("proveLeafMismatch", { challenger: Hex32, leafRef: LeafRefJson, receipt: ReceiptJson, signature: Hex64 }),
  op("openReveal", { challenger: Hex32, leafRef: LeafRefJson }),
  op("respondReveal", { leafRef: LeafRefJson, receipt: ReceiptJson, signature: Hex64 }),
  op("resolveReveal", { leafRef: LeafRefJson }),
  op("propose", { proposer: Hex32, changes: Schema.Array(ChangeJson), etaEpoch: U64 }),
  op("veto", { voter: Hex32, proposalId: U64 }),
  op("execute", { proposalId: U64 }),
  op("claimWitnessReward", { leafRef: LeafRefJson })
])
export type OpJson = (typeof OpJson)["Encoded"]
const _op: Schema.Codec<Op, OpJson> = OpJson
void _op
// #endregion json-ops

// ---------------------------------------------------------------------------------------------- accounts

export type AccountOf<K extends AccountKind> = StructValue<(typeof ACCOUNTS)[K]["layout"]["fields"]>

// #region decode-account
/**
 * Decodes the bytes of an account of `kind`: exactly the layout's size [ENC-2], its discriminator
 * [ACC-1], the layout version [VER-2], then every field with zero padding [ENC-6].
 */
export const decodeAccount = <K extends AccountKind>(kind: K, data: Uint8Array): AccountOf<K> => {
  const layout = ACCOUNTS[kind].layout
  const fail = (rule: "ENC-2" | "ACC-1" | "VER-2", offset: number, message: string): never => {
    throw new DecodeError({ rule, what: kind, offset, message: `${kind}: ${message}` })
  }
  if (data.length !== layout.size) fail("ENC-2", 0, `${data.length} bytes, expected exactly ${layout.size}`)
  if (!equal(data.subarray(0, 8), DISCRIMINATORS[kind])) fail("ACC-1", 0, "wrong discriminator")
  if (data[8] !== LAYOUT_VERSION) fail("VER-2", 8, `layout version ${data[8]} is not ${LAYOUT_VERSION}`)
  return decodeFixed(layout, data, kind) as AccountOf<K>
}
// #endregion decode-account

export const encodeAccount = <K extends AccountKind>(kind: K, value: AccountOf<K>): Uint8Array =>
  encodeFixed(ACCOUNTS[kind].layout as unknown as Parameters<typeof encodeFixed<AccountOf<K>>>[0], value)

/**
 * The generic JSON rendering of a decoded value (accounts, instruction fields): the table at the top of
 * this file, with padding fields already absent and fixed arrays in full.
 */
export const toJsonValue = (v: unknown): unknown => {
  if (typeof v === "bigint") return v.toString()
  if (v instanceof Uint8Array) return hex(v)
  if (Array.isArray(v)) return v.map(toJsonValue)
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = toJsonValue(x)
    return out
  }
  return v
}

// ------------------------------------------------------------------------------------------------ state

type MapKind = Exclude<AccountKind, "Config" | "MinerSet" | "Vault">

/** Which State map holds each keyed account kind, and the key its identity fields give it. */
const KEYED: { readonly [K in MapKind]: { readonly map: keyof State; readonly key: (a: AccountOf<K>) => string } } = {
  Committee: { map: "committees", key: (a) => committeeKey(a.epoch) },
  Witness: { map: "witnesses", key: (a) => witnessKey(a.key) },
  Name: { map: "names", key: (a) => nameKey(a.nameHash) },
  Round: { map: "rounds", key: (a) => roundKey(a.epoch, a.nameHash) },
  Aggregate: { map: "aggregates", key: (a) => aggregateKey(a.epoch, a.nameHash, a.miner) },
  LeafPin: { map: "pins", key: (a) => pinKey(a.epoch, a.nameHash, a.miner, a.index) },
  Challenge: { map: "challenges", key: (a) => pinKey(a.epoch, a.nameHash, a.miner, a.leafIndex) },
  Proposal: { map: "proposals", key: (a) => proposalKey(a.id) },
  Veto: { map: "vetoes", key: (a) => vetoKey(a.proposalId, a.voter) },
  Claim: { map: "claims", key: (a) => claimKey(a.epoch, a.nameHash, a.miner, a.witness) }
}
const LAYOUTS = {
  Committee: CommitteeLayout, Witness: WitnessLayout, Name: NameLayout, Round: RoundLayout, Aggregate: AggregateLayout,
  LeafPin: LeafPinLayout, Challenge: ChallengeLayout, Proposal: ProposalLayout, Veto: VetoLayout, Claim: ClaimLayout
} as const
const MAP_KINDS = Object.keys(KEYED) as MapKind[]

const byKey = (a: readonly [string, unknown], b: readonly [string, unknown]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)

// #region state-accounts
/**
 * The accounts of a state as `(key, bytes)`, sorted by key. Keys are `Config`, `MinerSet`,
 * `Committee/<epoch>`, `Witness/<key>`, `Name/<name_hash>`, `Round/<epoch>/<name_hash>`,
 * `Aggregate/<epoch>/<name_hash>/<miner>`, `LeafPin/…/<index>`, `Challenge/…/<index>`, `Proposal/<id>`,
 * `Veto/<id>/<voter>`, `Claim/<epoch>/<name_hash>/<miner>/<witness>`: numbers in decimal, keys and hashes
 * in hex — the account's PDA seeds. The Vault account is constant and left out.
 */
export const stateAccounts = (s: State): [string, Uint8Array][] => {
  const out: [string, Uint8Array][] = []
  if (s.config !== undefined) out.push(["Config", encodeFixed(ConfigLayout, s.config)])
  if (s.minerSet !== undefined) out.push(["MinerSet", encodeFixed(MinerSetLayout, s.minerSet)])
  for (const kind of MAP_KINDS) {
    const map = s[KEYED[kind].map] as Map<string, unknown>
    const layout = LAYOUTS[kind] as unknown as Parameters<typeof encodeFixed<unknown>>[0]
    for (const [k, v] of map) out.push([`${kind}/${k}`, encodeFixed(layout, v)])
  }
  return out.sort(byKey)
}
// #endregion state-accounts

// #region state-root
/**
 * `state_root = H("dotdns/v1/state", Σ over accounts sorted by key of u16(len key) ‖ key ‖ u32(len bytes) ‖ bytes,
 * then u64(vault_balance))`: one digest of everything the program holds, for traces and differential tests.
 */
export const stateRoot = (s: State): Uint8Array => {
  const w = new Writer()
  for (const [k, bytes] of stateAccounts(s)) {
    const raw = new TextEncoder().encode(k)
    w.u16(raw.length).fixed(raw, raw.length).u32(bytes.length).fixed(bytes, bytes.length)
  }
  return H(TAGS.state, w.finish(), u64le(s.vaultBalance))
}
// #endregion state-root

const StateShape = Schema.Struct({
  accounts: Schema.Record(Schema.String, Hex),
  vaultBalance: U64,
  wallets: Schema.Record(Schema.String.check(Schema.isPattern(/^[0-9a-f]{64}$/, { expected: "a 32-byte key in hex" })), I128)
})
type StateShape = (typeof StateShape)["Type"]

const stateFromShape = (o: StateShape): State => {
  const s = emptyState()
  for (const [key, bytes] of Object.entries(o.accounts).sort(byKey)) {
    const slash = key.indexOf("/")
    const kind = slash < 0 ? key : key.slice(0, slash)
    const rest = slash < 0 ? undefined : key.slice(slash + 1)
    if (kind === "Config" && rest === undefined) s.config = decodeAccount("Config", bytes)
    else if (kind === "MinerSet" && rest === undefined) s.minerSet = decodeAccount("MinerSet", bytes)
    else if (Object.hasOwn(KEYED, kind) && rest !== undefined) {
      const k = kind as MapKind
      const value = decodeAccount(k, bytes)
      const want = (KEYED[k].key as (a: unknown) => string)(value)
      if (want !== rest) throw new RangeError(`account ${key}: its fields place it at ${kind}/${want}`)
      ;(s[KEYED[k].map] as Map<string, unknown>).set(rest, value)
    } else throw new RangeError(`unknown account key ${JSON.stringify(key)}`)
  }
  s.vaultBalance = o.vaultBalance
  for (const [k, v] of Object.entries(o.wallets)) {
    if (v === 0n) throw new RangeError(`wallet ${k}: zero balances are omitted`)
    s.wallets.set(k, v)
  }
  return s
}

const stateToShape = (s: State): StateShape => ({
  accounts: Object.fromEntries(stateAccounts(s)),
  vaultBalance: s.vaultBalance,
  wallets: Object.fromEntries([...s.wallets].filter(([, v]) => v !== 0n).sort(byKey))
})

const isState = (u: unknown): u is State =>
  typeof u === "object" && u !== null && "wallets" in u && u.wallets instanceof Map && "committees" in u && u.committees instanceof Map

// #region state-json
/**
 * `StateJson = { accounts: { <key>: Hex }, vaultBalance: U64, wallets: { <Hex32>: signed decimal } }`.
 * Accounts are keyed as in `stateAccounts` and hold the account's bytes; decoding checks each account
 * (`decodeAccount`) and that its identity fields match its key. Wallets hold the net lamports each
 * outside key received from (+) or paid into (−) the vault; zero entries are omitted (and rejected, so
 * each state has one JSON form). Object keys are emitted sorted.
 */
export const StateJson = StateShape.pipe(
  Schema.decodeTo(Schema.declare(isState, { expected: "State" }), {
    decode: fallible(stateFromShape),
    encode: SchemaGetter.transform(stateToShape)
  })
)
export type StateJson = (typeof StateJson)["Encoded"]
// #endregion state-json

// -------------------------------------------------------------------------------------------- helpers

/** Strict decoding: excess properties are errors, as in every adapter message. */
export const STRICT = { onExcessProperty: "error" } as const

/** Decodes a JSON value with a schema, strictly; throws a `SchemaError`. */
export const fromJson = <T, E>(schema: Schema.Codec<T, E>, u: unknown): T => Schema.decodeUnknownSync(schema, STRICT)(u)
/** Encodes a spec value to its JSON value; throws a `SchemaError` for a value outside the mapping. */
export const toJson = <T, E>(schema: Schema.Codec<T, E>, v: T): E => Schema.encodeSync(schema)(v)

export const stateToJson = (s: State): StateJson => toJson(StateJson, s)
/** `null` is the empty state (before `initialize`). */
export const stateFromJson = (u: unknown): State => (u === null ? emptyState() : fromJson(StateJson, u))

export const opToJson = (o: Op): OpJson => toJson(OpJson, o)
export const opFromJson = (u: unknown): Op => fromJson(OpJson, u)

