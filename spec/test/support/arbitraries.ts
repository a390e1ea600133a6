/** fast-check arbitraries for the spec's values: objects, accounts (as valid bytes) and instruction ops. */
import fc from "fast-check"
import {
  ACCOUNTS, ChangeLayout, CheckpointLayout, DISCRIMINATORS, MemberLayout, MinerEntryLayout, RouteSlotLayout, type AccountKind
} from "../../src/accounts.ts"
import { U64_MAX } from "../../src/codec.ts"
import type { AnyLayout } from "../../src/layout.ts"
import type { SumNode } from "../../src/merkle.ts"
import { CID_MAX, encodeRouteRecord, ROUTE_LIMITS, type AggregateStatement, type Leaf, type Receipt, type RouteAuth, type RouteRecord } from "../../src/objects.ts"
import type { LeafRef, Op } from "../../src/ops.ts"
import { PARAM_SLOTS } from "../../src/params.ts"
import { LAYOUT_VERSION } from "../../src/version.ts"

export const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n })
export const key = bytes(32)
export const sig = bytes(64)
export const u64 = fc.oneof(fc.bigInt({ min: 0n, max: U64_MAX }), fc.constantFrom(0n, 1n, U64_MAX, U64_MAX - 1n, 1n << 32n))
export const u32 = fc.integer({ min: 0, max: 0xffffffff })
export const u16 = fc.integer({ min: 0, max: 0xffff })
export const u8 = fc.integer({ min: 0, max: 0xff })
const utf8Len = (s: string) => Buffer.byteLength(s, "utf8")

/** Any valid UTF-8 string (no lone surrogates) of at most `max` bytes. */
export const utf8 = (max: number) =>
  fc.oneof(fc.string({ unit: "grapheme", maxLength: 40 }), fc.string({ unit: "grapheme-ascii", maxLength: max }), fc.constantFrom("", "alpha.dns", "xn--mnchen-3ya.dns"))
    .filter((s) => utf8Len(s) <= max)

export const routeRecord: fc.Arbitrary<RouteRecord> = fc
  .record({
    name: utf8(253),
    serial: u64,
    ttl: u32,
    records: fc.array(fc.record({ type: u16, data: fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 1000, maxLength: 1024 })) }), { maxLength: ROUTE_LIMITS.maxRecords }),
    owner: key
  })
  .filter((r) => encodeRouteRecord(r).length <= ROUTE_LIMITS.maxEncoded)

export const routeAuth: fc.Arbitrary<RouteAuth> = fc.record({ nameHash: key, serial: u64, routeHash: key })
export const receipt: fc.Arbitrary<Receipt> = fc.record({ epoch: u64, nameHash: key, routeHash: key, witness: key })
export const leaf: fc.Arbitrary<Leaf> = fc.record({ receiptHash: key, witness: key, weight: u64 })
export const sumNode: fc.Arbitrary<SumNode> = fc.record({ hash: key, sum: u64 })
export const statement: fc.Arbitrary<AggregateStatement> = fc.record({
  epoch: u64, nameHash: key, routeHash: key, receiptRoot: key, support: u64, receiptCount: u32, miner: key,
  batchCid: fc.option(fc.uint8Array({ minLength: 1, maxLength: CID_MAX }), { nil: null })
})
const leafRef: fc.Arbitrary<LeafRef> = fc.record({ epoch: u64, nameHash: key, miner: key, index: u32 })
const change = fc.record({ kind: u8, param: u8, value: u64, key })

/** Every op kind with field values in range: what instruction data can carry. */
export const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("initialize" as const), authority: key, params: fc.array(u64, { minLength: PARAM_SLOTS, maxLength: PARAM_SLOTS }), allowlist: fc.array(key, { maxLength: 32 }) }),
  ...(["minerBond", "minerUnbond"] as const).map((kind) => fc.record({ kind: fc.constant(kind), miner: key, amount: u64 })),
  ...(["witnessBond", "witnessUnbond"] as const).map((kind) => fc.record({ kind: fc.constant(kind), witness: key, amount: u64 })),
  fc.record({ kind: fc.constant("fundPool" as const), funder: key, amount: u64 }),
  ...(["minerWithdraw", "unjail"] as const).map((kind) => fc.record({ kind: fc.constant(kind), miner: key })),
  fc.record({ kind: fc.constant("witnessWithdraw" as const), witness: key }),
  fc.record({ kind: fc.constant("advanceEpoch" as const) }),
  fc.record({ kind: fc.constant("claim" as const), who: key, role: fc.constantFrom("miner" as const, "witness" as const) }),
  fc.record({ kind: fc.constant("registerName" as const), owner: key, name: utf8(253) }),
  fc.record({ kind: fc.constant("transferName" as const), owner: key, nameHash: key, newOwner: key }),
  fc.record({
    kind: fc.constant("submitAggregate" as const),
    statement,
    opening: fc.oneof(fc.record({ kind: fc.constant("node" as const), left: sumNode, right: sumNode }), fc.record({ kind: fc.constant("leaf" as const), leaf })),
    auth: fc.option(fc.record({ serial: u64, owner: key, signature: sig }), { nil: null })
  }),
  fc.record({ kind: fc.constant("finalizeRound" as const), epoch: u64, nameHash: key }),
  fc.record({ kind: fc.constant("proveEquivocation" as const), challenger: key, first: fc.record({ statement, signature: sig }), second: fc.option(fc.record({ statement, signature: sig }), { nil: null }) }),
  fc.record({ kind: fc.constant("pinLeaf" as const), leafRef, leaf, path: fc.array(sumNode, { maxLength: 20 }) }),
  ...(["proveBadWeight", "proveBadOrder", "openReveal"] as const).map((kind) => fc.record({ kind: fc.constant(kind), challenger: key, leafRef })),
  ...(["resolveReveal", "claimWitnessReward"] as const).map((kind) => fc.record({ kind: fc.constant(kind), leafRef })),
  fc.record({ kind: fc.constant("proveLeafMismatch" as const), challenger: key, leafRef, receipt, signature: sig }),
  fc.record({ kind: fc.constant("respondReveal" as const), leafRef, receipt, signature: sig }),
  fc.record({ kind: fc.constant("propose" as const), proposer: key, changes: fc.array(change, { minLength: 1, maxLength: 4 }), etaEpoch: u64 }),
  ...(["veto"] as const).map((kind) => fc.record({ kind: fc.constant(kind), voter: key, proposalId: u64 })),
  fc.record({ kind: fc.constant("execute" as const), proposalId: u64 })
)

/** The fields of an op that its instruction data carries (signers are accounts; signatures ride the Ed25519 instruction). */
export const dataFields = (o: Op): Record<string, unknown> => {
  switch (o.kind) {
    case "initialize": return { params: o.params, allowlist: o.allowlist }
    case "minerBond": case "minerUnbond": case "witnessBond": case "witnessUnbond": case "fundPool": return { amount: o.amount }
    case "minerWithdraw": case "unjail": case "witnessWithdraw": case "advanceEpoch": return {}
    case "claim": return { role: o.role }
    case "registerName": return { name: o.name }
    case "transferName": return { nameHash: o.nameHash, newOwner: o.newOwner }
    case "submitAggregate": return { statement: o.statement, opening: o.opening, serial: o.auth?.serial ?? null }
    case "finalizeRound": return { epoch: o.epoch, nameHash: o.nameHash }
    case "proveEquivocation": return { first: o.first.statement, second: o.second?.statement ?? null }
    case "pinLeaf": return { leafRef: o.leafRef, leaf: o.leaf, path: o.path }
    case "proveBadWeight": case "proveBadOrder": case "openReveal": case "resolveReveal": case "claimWitnessReward": return { leafRef: o.leafRef }
    case "proveLeafMismatch": return { leafRef: o.leafRef, receipt: o.receipt, signature: o.signature }
    case "respondReveal": return { leafRef: o.leafRef, receipt: o.receipt }
    case "propose": return { etaEpoch: o.etaEpoch, changes: o.changes }
    case "veto": case "execute": return { proposalId: o.proposalId }
  }
}

// ---------------------------------------------------------------------------------------------- accounts

const STRUCTS = new Map<string, AnyLayout>([ChangeLayout, CheckpointLayout, MemberLayout, MinerEntryLayout, RouteSlotLayout].map((l) => [l.name, l]))

const markPads = (layout: AnyLayout, base: number, mask: Uint8Array): void => {
  if ("pad" in layout) mask.fill(1, base, base + layout.size)
  else if ("fields" in layout) {
    const s = layout as AnyLayout & { fields: Record<string, AnyLayout>; offsets: Record<string, number> }
    for (const [k, f] of Object.entries(s.fields)) markPads(f, base + s.offsets[k]!, mask)
  } else {
    const item = STRUCTS.get(layout.c.type)
    if (item !== undefined) for (let i = 0; i < layout.size / item.size; i++) markPads(item, base + i * item.size, mask)
  }
}

/** 1 where an account's layout has padding, which must be zero [ENC-6]. */
export const padMask = (kind: AccountKind): Uint8Array => {
  const layout = ACCOUNTS[kind].layout
  const mask = new Uint8Array(layout.size)
  markPads(layout, 0, mask)
  return mask
}

/** Canonical bytes of an account of `kind` (random fields, zero padding, right header) from raw randomness. */
export const canonicalAccount = (kind: AccountKind, raw: Uint8Array): Uint8Array => {
  const mask = padMask(kind)
  const b = new Uint8Array(raw)
  for (let i = 0; i < b.length; i++) if (mask[i] === 1) b[i] = 0
  b.set(DISCRIMINATORS[kind], 0)
  b[8] = LAYOUT_VERSION
  return b
}

export const accountBytes = (kind: AccountKind): fc.Arbitrary<Uint8Array> => bytes(ACCOUNTS[kind].layout.size).map((raw) => canonicalAccount(kind, raw))
