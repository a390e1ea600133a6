/**
 * The conformance operations [CNF]: what an implementation's adapter answers, by name, with the JSON of
 * `json.ts`. Each test vector names one operation, gives its `input` and either the `output` a correct
 * implementation returns or the `error.rule` it must reject with. This module is the reference target:
 * the executable spec answering every operation; the vector test replays every committed vector
 * through it, and the conformance harness diffs other targets against it.
 */
import { Schema } from "effect"
import { buildAggregate } from "./aggregate.ts"
import { ACCOUNTS, type AccountKind } from "./accounts.ts"
import { apply, isError } from "./apply.ts"
import { compare, hex } from "./bytes.ts"
import { verify } from "./ed25519.ts"
import { DecodeError, ProtocolError } from "./errors.ts"
import { H } from "./hash.ts"
import { decodeInstruction } from "./instructions.ts"
import {
  AggregateStatementJson, decodeAccount, fromJson, Hex, Hex32, LeafJson, ParamsJson, ReceiptJson, RouteAuthJson, RouteRecordJson,
  SignedReceiptJson, StateJson, SumNodeJson, OpJson, U32, U64, toJson, toJsonValue, stateRoot, RootOpeningJson
} from "./json.ts"
import { buildLevels, inclusionPath, leafNode, parentNode, rootChildren, rootOf, SumOverflow, verifyInclusion } from "./merkle.ts"
import { nameHash, normalizeName } from "./name.ts"
import {
  aggregateDigest, checkRouteRecord, decodeAggregate, decodeLeaf, decodeReceipt, decodeRouteAuth, decodeRouteRecord, encodeAggregate,
  encodeLeaf, encodeReceipt, encodeRouteAuth, encodeRouteRecord, receiptDigest, receiptHash, routeAuthDigest, routeHash
} from "./objects.ts"
import { COMMITTEE_MODE, type Params } from "./params.ts"
import type { RuleId } from "./rules.ts"
import { emptyState, type State } from "./state.ts"
import { nextSeed, selectCommittee } from "./transition/epoch.ts"
import { emptyMinerEntry } from "./transition/init.ts"

/** A rejection by rule, the `error` of an adapter answer [CNF-2]. */
export class Rejected extends Error {
  readonly rule: RuleId
  constructor(rule: RuleId, message: string) {
    super(message)
    this.rule = rule
  }
}

export type Answer = { readonly output: unknown } | { readonly error: { readonly rule: RuleId; readonly message: string } }

interface Operation<I> {
  readonly input: Schema.Codec<I, unknown>
  readonly run: (input: I) => unknown
}
const operation = <I, E>(input: Schema.Codec<I, E>, run: (input: I) => unknown): Operation<unknown> =>
  ({ input, run }) as unknown as Operation<unknown>

const enc = <T, E>(s: Schema.Codec<T, E>, v: T): E => toJson(s, v)
const Bytes = Schema.Struct({ bytes: Hex })
const digest = (d: Uint8Array) => ({ digest: hex(d) })

const Leaves = Schema.Struct({ leaves: Schema.Array(LeafJson) })
const nonEmpty = (leaves: readonly { weight: bigint }[]): void => {
  if (leaves.length === 0) throw new Rejected("AGG-2", "a tree has at least one leaf")
}

// #region conformance-ops
export const OPERATIONS = {
  // ------------------------------------------------------------------------------------------ encoding
  encode_route_record: operation(Schema.Struct({ record: RouteRecordJson }), (i) => ({ bytes: hex(encodeRouteRecord(i.record)) })),
  decode_route_record: operation(Bytes, (i) => ({ record: enc(RouteRecordJson, decodeRouteRecord(i.bytes)) })),
  encode_route_auth: operation(Schema.Struct({ auth: RouteAuthJson }), (i) => ({ bytes: hex(encodeRouteAuth(i.auth)) })),
  decode_route_auth: operation(Bytes, (i) => ({ auth: enc(RouteAuthJson, decodeRouteAuth(i.bytes)) })),
  encode_receipt: operation(Schema.Struct({ receipt: ReceiptJson }), (i) => ({ bytes: hex(encodeReceipt(i.receipt)) })),
  decode_receipt: operation(Bytes, (i) => ({ receipt: enc(ReceiptJson, decodeReceipt(i.bytes)) })),
  encode_leaf: operation(Schema.Struct({ leaf: LeafJson }), (i) => ({ bytes: hex(encodeLeaf(i.leaf)) })),
  decode_leaf: operation(Bytes, (i) => ({ leaf: enc(LeafJson, decodeLeaf(i.bytes)) })),
  encode_aggregate: operation(Schema.Struct({ statement: AggregateStatementJson }), (i) => ({ bytes: hex(encodeAggregate(i.statement)) })),
  decode_aggregate: operation(Bytes, (i) => ({ statement: enc(AggregateStatementJson, decodeAggregate(i.bytes)) })),
  decode_account: operation(
    Schema.Struct({ kind: Schema.Literals(Object.keys(ACCOUNTS) as AccountKind[]), bytes: Hex }),
    (i) => ({ account: toJsonValue(decodeAccount(i.kind, i.bytes)) })
  ),
  decode_instruction: operation(Bytes, (i) => {
    const d = decodeInstruction(i.bytes)
    const fields: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(d.fields)) fields[k] = k === "params" ? enc(ParamsJson, v as Params) : toJsonValue(v)
    return { kind: d.kind, bumps: d.bumps, fields }
  }),

  // ------------------------------------------------------------------------------------------- hashing
  hash: operation(Schema.Struct({ tag: Schema.String, bytes: Hex }), (i) => {
    if (i.tag.length < 1 || i.tag.length > 255 || !/^[\x20-\x7e]*$/.test(i.tag)) throw new Rejected("HSH-1", "a tag is 1..255 printable ASCII bytes")
    return digest(H(i.tag, i.bytes))
  }),
  name_hash: operation(Schema.Struct({ name: Schema.String }), (i) => digest(nameHash(i.name))),
  route_hash: operation(Schema.Struct({ record: RouteRecordJson }), (i) => digest(routeHash(i.record))),
  receipt_digest: operation(Schema.Struct({ receipt: ReceiptJson }), (i) => digest(receiptDigest(i.receipt))),
  receipt_hash: operation(SignedReceiptJson, (i) => digest(receiptHash(i.receipt, i.signature))),
  aggregate_digest: operation(Schema.Struct({ statement: AggregateStatementJson }), (i) => digest(aggregateDigest(i.statement))),
  route_auth_digest: operation(Schema.Struct({ auth: RouteAuthJson }), (i) => digest(routeAuthDigest(i.auth))),
  leaf_hash: operation(Schema.Struct({ leaf: LeafJson }), (i) => digest(leafNode(i.leaf).hash)),
  node_hash: operation(Schema.Struct({ left: SumNodeJson, right: SumNodeJson }), (i) => ({ node: enc(SumNodeJson, parentNode(i.left, i.right)) })),

  // --------------------------------------------------------------------------------------------- names
  normalize_name: operation(Schema.Struct({ input: Schema.String }), (i) => {
    const n = normalizeName(i.input)
    if (n instanceof ProtocolError) throw n
    return { name: n, nameHash: hex(nameHash(n)) }
  }),

  // -------------------------------------------------------------------------------------------- routes
  check_route_record: operation(Schema.Struct({ record: RouteRecordJson, canonicalSerial: Schema.optionalKey(U64) }), (i) => {
    const bad = checkRouteRecord(i.record)
    if (bad) throw bad
    if (i.canonicalSerial !== undefined && i.record.serial <= i.canonicalSerial)
      throw new Rejected("RTE-6", `serial ${i.record.serial} does not exceed the canonical serial ${i.canonicalSerial}`)
    return { valid: true }
  }),

  // ---------------------------------------------------------------------------------------- signatures
  verify: operation(Schema.Struct({ publicKey: Hex, message: Hex, signature: Hex }), (i) => {
    if (!verify(i.publicKey, i.message, i.signature)) throw new Rejected("SIG-1", "the signature does not verify")
    return { valid: true }
  }),

  // -------------------------------------------------------------------------------------------- merkle
  merkle_root: operation(Leaves, (i) => {
    nonEmpty(i.leaves)
    return { root: enc(SumNodeJson, rootOf(i.leaves.map(leafNode))) }
  }),
  inclusion_proof: operation(Schema.Struct({ leaves: Schema.Array(LeafJson), index: U32 }), (i) => {
    nonEmpty(i.leaves)
    if (i.index >= i.leaves.length) throw new Rejected("MRK-5", `leaf ${i.index} outside a tree of ${i.leaves.length}`)
    return { path: inclusionPath(buildLevels(i.leaves.map(leafNode)), i.index).map((n) => enc(SumNodeJson, n)) }
  }),
  verify_inclusion: operation(
    Schema.Struct({ leaf: LeafJson, index: U32, size: U32, path: Schema.Array(SumNodeJson), root: SumNodeJson }),
    (i) => {
      if (!verifyInclusion(leafNode(i.leaf), i.index, i.size, i.path, i.root)) throw new Rejected("MRK-5", "the inclusion proof does not verify")
      return { valid: true }
    }
  ),
  root_children: operation(Leaves, (i) => {
    nonEmpty(i.leaves)
    if (i.leaves.length < 2) throw new Rejected("AGG-3", "a single-leaf tree opens to its leaf, not to children")
    const c = rootChildren(i.leaves.map(leafNode))
    return { left: enc(SumNodeJson, c.left), right: enc(SumNodeJson, c.right) }
  }),

  // ----------------------------------------------------------------------------------------- aggregate
  build_aggregate: operation(
    Schema.Struct({
      receipts: Schema.Array(SignedReceiptJson),
      weights: Schema.Record(Schema.String, U64),
      miner: Hex32,
      batchCid: Schema.NullOr(Hex)
    }),
    (i) => {
      if (i.receipts.length === 0) throw new Rejected("AGG-2", "an aggregate has at least one receipt")
      const sorted = [...i.receipts].sort((a, b) => compare(a.receipt.witness, b.receipt.witness))
      for (let k = 1; k < sorted.length; k++)
        if (compare(sorted[k - 1]!.receipt.witness, sorted[k]!.receipt.witness) === 0) throw new Rejected("MRK-2", "one receipt per witness")
      for (const r of i.receipts)
        if (i.weights[hex(r.receipt.witness)] === undefined) throw new Rejected("AGG-5", `no weight for witness ${hex(r.receipt.witness)}`)
      const built = buildAggregate(i.receipts, (w) => i.weights[hex(w)]!, i.miner, i.batchCid)
      return {
        statement: enc(AggregateStatementJson, built.statement),
        leaves: built.leaves.map((l) => enc(LeafJson, l)),
        opening: enc(RootOpeningJson, built.opening)
      }
    }
  ),

  // ----------------------------------------------------------------------------------------- committee
  select_committee: operation(
    Schema.Struct({
      miners: Schema.Array(Schema.Struct({ key: Hex32, active: U64, jailed: Schema.Boolean })),
      mode: Schema.Literals(["allowlist", "stake"]),
      size: U64,
      minStake: U64,
      allowlist: Schema.Array(Hex32),
      seed: Hex32
    }),
    (i) => {
      if (i.minStake < 1n) throw new Rejected("GOV-8", "minimum stakes ≥ 1")
      const entries = i.miners.map((m) => ({ ...emptyMinerEntry(), key: m.key, active: m.active, jailed: m.jailed ? 1 : 0 }))
      const members = selectCommittee(entries, {
        mode: COMMITTEE_MODE[i.mode],
        size: i.size,
        minStake: i.minStake,
        allowlist: i.allowlist,
        seed: i.seed
      })
      return { members: members.map(({ index, entry }) => ({ index, key: hex(entry.key), stake: entry.active.toString() })) }
    }
  ),
  next_seed: operation(Schema.Struct({ prev: Hex32, epoch: U64, digest: Hex32 }), (i) => ({ seed: hex(nextSeed(i.prev, i.epoch, i.digest)) })),

  // ---------------------------------------------------------------------------------------- transition
  apply: operation(
    Schema.Struct({ pre: Schema.NullOr(StateJson), steps: Schema.Array(Schema.Struct({ slot: U64, op: OpJson })) }),
    (i) => {
      let state: State = i.pre ?? emptyState()
      const steps = i.steps.map(({ slot, op }) => {
        const r = apply(state, op, { slot })
        if (isError(r)) return { error: { rule: r.rule } }
        state = r
        return { post_root: hex(stateRoot(state)) }
      })
      return { steps, post: enc(StateJson, state) }
    }
  )
} as const satisfies Record<string, Operation<unknown>>
// #endregion conformance-ops

export type OperationName = keyof typeof OPERATIONS
export const OPERATION_NAMES = Object.keys(OPERATIONS) as OperationName[]

// #region operation-docs
/**
 * The adapter protocol, one line per operation: input and output JSON (types from `json.ts`; `Hex` is
 * lowercase hex, `U64` a decimal string). A rejection is `{ error: { rule } }` in place of the output.
 */
export const OPERATION_DOCS: { readonly [K in OperationName]: { readonly input: string; readonly output: string } } = {
  encode_route_record: { input: "{ record: RouteRecord }", output: "{ bytes: Hex }" },
  decode_route_record: { input: "{ bytes: Hex }", output: "{ record: RouteRecord }" },
  encode_route_auth: { input: "{ auth: RouteAuth }", output: "{ bytes: Hex }" },
  decode_route_auth: { input: "{ bytes: Hex }", output: "{ auth: RouteAuth }" },
  encode_receipt: { input: "{ receipt: Receipt }", output: "{ bytes: Hex }" },
  decode_receipt: { input: "{ bytes: Hex }", output: "{ receipt: Receipt }" },
  encode_leaf: { input: "{ leaf: Leaf }", output: "{ bytes: Hex }" },
  decode_leaf: { input: "{ bytes: Hex }", output: "{ leaf: Leaf }" },
  encode_aggregate: { input: "{ statement: AggregateStatement }", output: "{ bytes: Hex }" },
  decode_aggregate: { input: "{ bytes: Hex }", output: "{ statement: AggregateStatement }" },
  decode_account: { input: "{ kind: AccountKind, bytes: Hex }", output: "{ account: <fields in layout order; u8–u32 numbers, u64 decimal strings, byte arrays hex, padding omitted> }" },
  decode_instruction: { input: "{ bytes: Hex }", output: "{ kind: OpKind, bumps: u8[], fields: <the data's fields, named as in Op; params as Params> }" },
  hash: { input: "{ tag: string, bytes: Hex }", output: "{ digest: Hex32 }" },
  name_hash: { input: "{ name: string }", output: "{ digest: Hex32 }" },
  route_hash: { input: "{ record: RouteRecord }", output: "{ digest: Hex32 }" },
  receipt_digest: { input: "{ receipt: Receipt }", output: "{ digest: Hex32 }" },
  receipt_hash: { input: "{ receipt: Receipt, signature: Hex64 }", output: "{ digest: Hex32 }" },
  aggregate_digest: { input: "{ statement: AggregateStatement }", output: "{ digest: Hex32 }" },
  route_auth_digest: { input: "{ auth: RouteAuth }", output: "{ digest: Hex32 }" },
  leaf_hash: { input: "{ leaf: Leaf }", output: "{ digest: Hex32 }" },
  node_hash: { input: "{ left: SumNode, right: SumNode }", output: "{ node: SumNode }" },
  normalize_name: { input: "{ input: string }", output: "{ name: string, nameHash: Hex32 }" },
  check_route_record: { input: "{ record: RouteRecord, canonicalSerial?: U64 }", output: "{ valid: true }" },
  verify: { input: "{ publicKey: Hex, message: Hex, signature: Hex }", output: "{ valid: true } (an invalid signature is error SIG-1)" },
  merkle_root: { input: "{ leaves: Leaf[] }", output: "{ root: SumNode }" },
  inclusion_proof: { input: "{ leaves: Leaf[], index: u32 }", output: "{ path: SumNode[] }" },
  verify_inclusion: { input: "{ leaf: Leaf, index: u32, size: u32, path: SumNode[], root: SumNode }", output: "{ valid: true } (a failing proof is error MRK-5)" },
  root_children: { input: "{ leaves: Leaf[] }", output: "{ left: SumNode, right: SumNode }" },
  build_aggregate: { input: "{ receipts: { receipt: Receipt, signature: Hex64 }[], weights: { <witness Hex32>: U64 }, miner: Hex32, batchCid: Hex | null }", output: "{ statement: AggregateStatement, leaves: Leaf[], opening: RootOpening }" },
  select_committee: { input: "{ miners: { key: Hex32, active: U64, jailed: boolean }[], mode: \"allowlist\" | \"stake\", size: U64, minStake: U64, allowlist: Hex32[], seed: Hex32 }", output: "{ members: { index: number, key: Hex32, stake: U64 }[] }" },
  next_seed: { input: "{ prev: Hex32, epoch: U64, digest: Hex32 }", output: "{ seed: Hex32 }" },
  apply: { input: "{ pre: StateJson | null, steps: { slot: U64, op: Op }[] }", output: "{ steps: ({ post_root: Hex32 } | { error: { rule } })[], post: StateJson }" }
}
// #endregion operation-docs

// #region run-operation
/**
 * Answers one adapter request [CNF-2]: `{ output }`, or `{ error: { rule, message } }` when the spec
 * rejects the input. A request whose input does not decode is rejected with CNF-2.
 */
export const runOperation = (name: string, input: unknown): Answer => {
  const def = (OPERATIONS as Record<string, Operation<unknown>>)[name]
  if (def === undefined) return { error: { rule: "CNF-2", message: `unknown operation ${name}` } }
  let decoded: unknown
  try {
    decoded = fromJson(def.input, input)
  } catch (e) {
    if (Schema.isSchemaError(e)) return { error: { rule: "CNF-2", message: `malformed input: ${e.message}` } }
    throw e
  }
  try {
    return { output: def.run(decoded) }
  } catch (e) {
    if (e instanceof DecodeError || e instanceof ProtocolError || e instanceof Rejected) return { error: { rule: e.rule, message: e.message } }
    if (e instanceof SumOverflow) return { error: { rule: e.rule, message: e.message } }
    throw e
  }
}
// #endregion run-operation
