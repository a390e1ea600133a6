/** Encoding vectors [ENC], [VER-2], [ACC-1], [ACC-10]: objects, accounts and instruction data, with every rejection. */
import { ACCOUNTS, DISCRIMINATORS, VaultLayout, type AccountKind } from "../../src/accounts.ts"
import { buildAggregate } from "../../src/aggregate.ts"
import { concat, hex } from "../../src/bytes.ts"
import { Writer } from "../../src/codec.ts"
import { H } from "../../src/hash.ts"
import { encodeInstruction, IX, IX_BUMPS } from "../../src/instructions.ts"
import { encodeFixed } from "../../src/layout.ts"
import { AggregateStatementJson, LeafJson, opToJson, ReceiptJson, RouteAuthJson, RouteRecordJson, stateAccounts, toJson } from "../../src/json.ts"
import {
  encodeAggregate, encodeLeaf, encodeReceipt, encodeRouteAuth, encodeRouteRecord, OBJECT_TAG, RECORD_TYPE, routeAuthOf,
  type AggregateStatement, type RouteRecord
} from "../../src/objects.ts"
import type { Op, OpKind } from "../../src/ops.ts"
import { LOCALNET_PARAMS } from "../../src/params.ts"
import { LAYOUT_VERSION } from "../../src/version.ts"
import { Cases } from "./case.ts"
import { ALPHA, admin, alphaRoute, leafOfReceipt, leafRef, m1, m2, o1, receipt, richWorld, routeHash, signed, w1, w2, w3 } from "./scenario.ts"

const bytes = (b: Uint8Array) => ({ bytes: hex(b) })
const withByte = (b: Uint8Array, i: number, v: number): Uint8Array => {
  const c = new Uint8Array(b)
  c[i] = v
  return c
}
const txt = (s: string) => new TextEncoder().encode(s)
const ip4 = (s: string) => Uint8Array.from(s.split(".").map(Number))
const ip6 = (): Uint8Array => Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 1])
/** An HTTPS record: SvcPriority 1, TargetName "." (root), no params. */
const https = (): Uint8Array => Uint8Array.of(0, 1, 0)

export const sampleRoutes = (): Record<string, RouteRecord> => {
  const base = alphaRoute().record
  return {
    a: base,
    aaaa: { ...base, name: "v6.alpha.dns", serial: 7n, records: [{ type: RECORD_TYPE.AAAA, data: ip6() }] },
    cname: { ...base, name: "www.alpha.dns", serial: 2n, ttl: 60, records: [{ type: RECORD_TYPE.CNAME, data: txt("alpha.example.com") }] },
    txt: { ...base, serial: 3n, records: [{ type: RECORD_TYPE.TXT, data: txt("v=dotdns1") }] },
    https: { ...base, serial: 4n, records: [{ type: RECORD_TYPE.HTTPS, data: https() }] },
    mixed: {
      ...base,
      serial: 18_446_744_073_709_551_615n,
      ttl: 604_800,
      records: [
        { type: RECORD_TYPE.A, data: ip4("192.0.2.1") },
        { type: RECORD_TYPE.A, data: ip4("192.0.2.2") },
        { type: RECORD_TYPE.AAAA, data: ip6() },
        { type: RECORD_TYPE.TXT, data: txt("hello") },
        { type: RECORD_TYPE.HTTPS, data: https() }
      ]
    },
    idna: { ...base, name: "xn--mnchen-3ya.dns", serial: 1n, ttl: 0 }
  }
}

export const sampleReceipt = () => receipt(w1, 2n, ALPHA, routeHash(alphaRoute().record))

export const sampleAggregates = (): Record<string, AggregateStatement> => {
  const rh = routeHash(alphaRoute().record)
  const built = buildAggregate([w1, w2, w3].map((w) => receipt(w, 2n, ALPHA, rh)), () => 1_000_000_000n, m1.publicKey)
  const cid = concat(Uint8Array.of(0x01, 0x71, 0x12, 0x20), H("dotdns/test/car", txt("batch")))
  return { plain: built.statement, cid: { ...built.statement, batchCid: cid } }
}

export const sampleOps = (): Op[] => {
  const rr = alphaRoute()
  const rc = sampleReceipt()
  const agg = sampleAggregates().plain
  const leaf = leafOfReceipt(rc, 1_000_000_000n)
  const ref = leafRef(2n, ALPHA, m1, 1)
  const node = { hash: H("dotdns/test/node", txt("n")), sum: 5n }
  const zero = new Uint8Array(32)
  const ops: Op[] = [
    { kind: "initialize", authority: admin.publicKey, params: LOCALNET_PARAMS, allowlist: [m1.publicKey, m2.publicKey] },
    { kind: "minerBond", miner: m1.publicKey, amount: 5_000_000_000n },
    { kind: "minerUnbond", miner: m1.publicKey, amount: 1n },
    { kind: "minerWithdraw", miner: m1.publicKey },
    { kind: "unjail", miner: m1.publicKey },
    { kind: "witnessBond", witness: w1.publicKey, amount: 1_000_000_000n },
    { kind: "witnessUnbond", witness: w1.publicKey, amount: 18_446_744_073_709_551_615n },
    { kind: "witnessWithdraw", witness: w1.publicKey },
    { kind: "claim", who: w1.publicKey, role: "witness" },
    { kind: "fundPool", funder: admin.publicKey, amount: 10n },
    { kind: "registerName", owner: o1.publicKey, name: ALPHA },
    { kind: "transferName", owner: o1.publicKey, nameHash: leafRef(0n, ALPHA, m1, 0).nameHash, newOwner: admin.publicKey },
    { kind: "advanceEpoch" },
    { kind: "submitAggregate", statement: agg, opening: { kind: "node", left: node, right: node }, auth: { serial: 1n, owner: rr.record.owner, signature: rr.signature } },
    { kind: "finalizeRound", epoch: 2n, nameHash: agg.nameHash },
    { kind: "proveEquivocation", challenger: admin.publicKey, first: signed(m1, agg), second: signed(m1, sampleAggregates().cid) },
    { kind: "pinLeaf", leafRef: ref, leaf, path: [node, node, node] },
    { kind: "proveBadWeight", challenger: admin.publicKey, leafRef: ref },
    { kind: "proveBadOrder", challenger: admin.publicKey, leafRef: ref },
    { kind: "proveLeafMismatch", challenger: admin.publicKey, leafRef: ref, receipt: rc.receipt, signature: rc.signature },
    { kind: "openReveal", challenger: admin.publicKey, leafRef: ref },
    { kind: "respondReveal", leafRef: ref, receipt: rc.receipt, signature: rc.signature },
    { kind: "resolveReveal", leafRef: ref },
    {
      kind: "propose",
      proposer: admin.publicKey,
      changes: [
        { kind: 0, param: 7, value: 7500n, key: zero },
        { kind: 1, param: 0, value: 0n, key: m2.publicKey }
      ],
      etaEpoch: 9n
    },
    { kind: "veto", voter: w1.publicKey, proposalId: 3n },
    { kind: "execute", proposalId: 3n },
    { kind: "claimWitnessReward", leafRef: ref }
  ]
  return ops
}
export const bumpsOf = (kind: OpKind): number[] => (IX_BUMPS[kind] ?? []).map((_, i) => 255 - i)

const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)

export const encodingCases = (): Cases => {
  const c = new Cases("encoding")
  const routes = sampleRoutes()

  // ------------------------------------------------------------------------------------ route records
  for (const [name, r] of Object.entries(routes)) {
    c.ok(`encode_route_record-${name}`, "encode_route_record", ["ENC-1", "RTE-7"], `route record (${name}) to its canonical bytes`, { record: toJson(RouteRecordJson, r) })
    c.ok(`decode_route_record-${name}`, "decode_route_record", ["ENC-1"], `canonical bytes of a route record (${name})`, bytes(encodeRouteRecord(r)))
  }
  const rr = encodeRouteRecord(routes.a!)
  c.fail("decode_route_record-empty", "decode_route_record", "ENC-2", "empty input", bytes(new Uint8Array(0)))
  c.fail("decode_route_record-truncated", "decode_route_record", "ENC-2", "the last byte of the owner key is missing", bytes(rr.slice(0, -1)))
  c.fail("decode_route_record-truncated-header", "decode_route_record", "ENC-2", "only the type tag", bytes(rr.slice(0, 1)))
  c.fail("decode_route_record-trailing-byte", "decode_route_record", "ENC-2", "one byte after the owner key", bytes(concat(rr, Uint8Array.of(0))))
  c.fail("decode_route_record-wrong-tag", "decode_route_record", "ENC-5", "a receipt's type tag", bytes(withByte(rr, 0, OBJECT_TAG.receipt)))
  c.fail("decode_route_record-wrong-version", "decode_route_record", "VER-2", "layout version 2", bytes(withByte(rr, 1, 2)))
  c.fail("decode_route_record-version-zero", "decode_route_record", "VER-2", "layout version 0", bytes(withByte(rr, 1, 0)))
  const nameTooLong = new Writer().u8(OBJECT_TAG.routeRecord).u8(LAYOUT_VERSION).u32(254).fixed(new Uint8Array(254).fill(0x61), 254).finish()
  c.fail("decode_route_record-oversize-name-prefix", "decode_route_record", "ENC-3", "a name length prefix of 254 (> 253)", bytes(nameTooLong))
  const hugePrefix = withByte(withByte(withByte(withByte(rr, 2, 0xff), 3, 0xff), 4, 0xff), 5, 0xff)
  c.fail("decode_route_record-length-prefix-u32-max", "decode_route_record", "ENC-3", "a name length prefix of 2^32 − 1", bytes(hugePrefix))
  const bigData = encodeRouteRecord({ ...routes.a!, records: [{ type: RECORD_TYPE.TXT, data: new Uint8Array(1025).fill(0x62) }] })
  c.fail("decode_route_record-oversize-record-data", "decode_route_record", "ENC-3", "record data of 1025 bytes (> 1024)", bytes(bigData))
  const badUtf8 = new Writer().u8(OBJECT_TAG.routeRecord).u8(LAYOUT_VERSION).bytes(Uint8Array.of(0x61, 0xff, 0x2e, 0x64, 0x6e, 0x73))
    .u64(1n).u32(300).u32(1).u16(1).bytes(ip4("10.0.0.1")).fixed(o1.publicKey, 32).finish()
  c.fail("decode_route_record-non-utf8-name", "decode_route_record", "ENC-3", "name bytes 61 ff 2e 64 6e 73 are not UTF-8", bytes(badUtf8))
  const overlong = new Writer().u8(OBJECT_TAG.routeRecord).u8(LAYOUT_VERSION).bytes(Uint8Array.of(0xc1, 0x81, 0x2e, 0x64, 0x6e, 0x73))
    .u64(1n).u32(300).u32(1).u16(1).bytes(ip4("10.0.0.1")).fixed(o1.publicKey, 32).finish()
  c.fail("decode_route_record-overlong-utf8-name", "decode_route_record", "ENC-3", "an overlong UTF-8 sequence (c1 81) in the name", bytes(overlong))
  const many = encodeRouteRecord({ ...routes.a!, records: Array.from({ length: 17 }, (_, i) => ({ type: RECORD_TYPE.A, data: ip4(`10.0.0.${i}`) })) })
  c.fail("decode_route_record-too-many-records", "decode_route_record", "RTE-2", "17 records (> 16)", bytes(many))
  const big = encodeRouteRecord({ ...routes.a!, records: [0, 1, 2].map(() => ({ type: RECORD_TYPE.TXT, data: new Uint8Array(700).fill(0x63) })) })
  c.fail("decode_route_record-oversize-encoding", "decode_route_record", "RTE-1", `an encoding of ${big.length} bytes (> 2048)`, bytes(big))
  const countHuge = new Writer().u8(OBJECT_TAG.routeRecord).u8(LAYOUT_VERSION).string(ALPHA).u64(1n).u32(300).u32(0xffffffff).finish()
  c.fail("decode_route_record-record-count-u32-max", "decode_route_record", "RTE-2", "a record count of 2^32 − 1", bytes(countHuge))

  // ------------------------------------------------------------------------------------ route auth
  const auth = routeAuthOf(routes.a!)
  c.ok("encode_route_auth", "encode_route_auth", ["ENC-1", "RTE-8"], "the RouteAuth of alpha.dns serial 1", { auth: toJson(RouteAuthJson, auth) })
  const ab = encodeRouteAuth(auth)
  c.ok("decode_route_auth", "decode_route_auth", ["ENC-1"], "canonical bytes of a RouteAuth", bytes(ab))
  fixedNegatives(c, "route_auth", ab, OBJECT_TAG.leaf)

  // ------------------------------------------------------------------------------------ receipts
  const rc = sampleReceipt().receipt
  c.ok("encode_receipt", "encode_receipt", ["ENC-1", "RCP-1"], "a receipt: 106 bytes, no user identifier", { receipt: toJson(ReceiptJson, rc) })
  c.ok("encode_receipt-max-epoch", "encode_receipt", ["ENC-1"], "a receipt for epoch 2^64 − 1", { receipt: toJson(ReceiptJson, { ...rc, epoch: 18_446_744_073_709_551_615n }) })
  const rb = encodeReceipt(rc)
  c.ok("decode_receipt", "decode_receipt", ["ENC-1", "RCP-1"], "canonical bytes of a receipt", bytes(rb))
  fixedNegatives(c, "receipt", rb, OBJECT_TAG.routeAuth)

  // ------------------------------------------------------------------------------------ leaves
  const leaf = leafOfReceipt(sampleReceipt(), 3_000_000_000n)
  c.ok("encode_leaf", "encode_leaf", ["ENC-1"], "a leaf of weight 3 SOL", { leaf: toJson(LeafJson, leaf) })
  const lb = encodeLeaf(leaf)
  c.ok("decode_leaf", "decode_leaf", ["ENC-1"], "canonical bytes of a leaf", bytes(lb))
  fixedNegatives(c, "leaf", lb, OBJECT_TAG.aggregate)

  // ------------------------------------------------------------------------------------ aggregates
  for (const [name, st] of Object.entries(sampleAggregates())) {
    c.ok(`encode_aggregate-${name}`, "encode_aggregate", ["ENC-1", "AGG-1"], `an aggregate statement (${name === "cid" ? "with" : "without"} batch CID)`, { statement: toJson(AggregateStatementJson, st) })
    c.ok(`decode_aggregate-${name}`, "decode_aggregate", ["ENC-1", "ENC-4"], `canonical bytes of an aggregate (${name === "cid" ? "with" : "without"} batch CID)`, bytes(encodeAggregate(st)))
  }
  const plain = encodeAggregate(sampleAggregates().plain)
  fixedNegatives(c, "aggregate", plain, OBJECT_TAG.leaf)
  c.fail("decode_aggregate-bad-option-tag", "decode_aggregate", "ENC-4", "batch CID option tag 2", bytes(withByte(plain, plain.length - 1, 2)))
  c.fail("decode_aggregate-option-tag-ff", "decode_aggregate", "ENC-4", "batch CID option tag 0xff", bytes(withByte(plain, plain.length - 1, 0xff)))
  const withCid = (n: number, declared = n) => concat(plain.slice(0, -1), new Writer().u8(1).u32(declared).fixed(new Uint8Array(n).fill(7), n).finish())
  c.fail("decode_aggregate-oversize-cid", "decode_aggregate", "ENC-3", "a batch CID of 65 bytes (> 64)", bytes(withCid(65)))
  c.fail("decode_aggregate-empty-cid", "decode_aggregate", "AGG-6", "a present but empty batch CID", bytes(withCid(0)))
  c.fail("decode_aggregate-cid-truncated", "decode_aggregate", "ENC-2", "a CID length prefix of 10 with 9 bytes", bytes(withCid(9, 10)))
  c.ok("decode_aggregate-cid-64", "decode_aggregate", ["AGG-6"], "a batch CID of exactly 64 bytes", bytes(withCid(64)))
  c.ok("decode_aggregate-cid-1", "decode_aggregate", ["AGG-6"], "a batch CID of exactly 1 byte", bytes(withCid(1)))

  // ------------------------------------------------------------------------------------ accounts
  const rich = stateAccounts(richWorld().state)
  const seen = new Set<AccountKind>()
  const vault = encodeFixed(VaultLayout, { disc: DISCRIMINATORS.Vault, version: LAYOUT_VERSION })
  for (const [k, data] of [...rich, ["Vault", vault] as [string, Uint8Array]]) {
    const kind = k.split("/")[0] as AccountKind
    if (seen.has(kind)) continue
    seen.add(kind)
    const layout = ACCOUNTS[kind].layout
    const s = snake(kind).replace(/^_/, "")
    c.ok(`decode_account-${s}`, "decode_account", kind === "Name" ? ["ACC-1", "ACC-2", "EXT-1"] : ["ACC-1", "ACC-2"], `a ${kind} account (${layout.size} bytes)`, { kind, ...bytes(data) })
    c.fail(`decode_account-${s}-short`, "decode_account", "ENC-2", `a ${kind} account one byte short`, { kind, ...bytes(data.slice(0, -1)) }, ["ACC-2"])
    c.fail(`decode_account-${s}-long`, "decode_account", "ENC-2", `a ${kind} account with one extra byte`, { kind, ...bytes(concat(data, Uint8Array.of(0))) }, ["ACC-2"])
    const padAt = (layout.offsets as Record<string, number>)._pad!
    c.fail(`decode_account-${s}-padding`, "decode_account", "ENC-6", `a ${kind} account with padding byte ${padAt} set`, { kind, ...bytes(withByte(data, padAt, 1)) })
    c.fail(`decode_account-${s}-discriminator`, "decode_account", "ACC-1", `a ${kind} account with its first discriminator byte flipped`, { kind, ...bytes(withByte(data, 0, data[0]! ^ 0x80)) })
    c.fail(`decode_account-${s}-version`, "decode_account", "VER-2", `a ${kind} account of layout version 2`, { kind, ...bytes(withByte(data, 8, 2)) })
  }
  if (seen.size !== Object.keys(ACCOUNTS).length) throw new Error(`account vectors miss ${Object.keys(ACCOUNTS).filter((k) => !seen.has(k as AccountKind))}`)
  const cfg = rich.find(([k]) => k === "Config")![1]
  c.fail("decode_account-kind-mismatch", "decode_account", "ENC-2", "Config bytes read as a MinerSet", { kind: "MinerSet", ...bytes(cfg) })
  const wit = rich.find(([k]) => k.startsWith("Witness/"))![1]
  const other = rich.find(([k]) => k.startsWith("Claim/"))![1]
  c.fail("decode_account-foreign-discriminator", "decode_account", "ACC-1", "a Witness account carrying the Claim discriminator", { kind: "Witness", ...bytes(concat(other.slice(0, 8), wit.slice(8))) })

  // ------------------------------------------------------------------------------------ instructions
  for (const op of sampleOps()) {
    const data = encodeInstruction(op, bumpsOf(op.kind))
    c.ok(`decode_instruction-${snake(op.kind)}`, "decode_instruction", ["ACC-8"], `instruction data of ${op.kind} (tag ${IX[op.kind]}); op: ${JSON.stringify(opToJson(op)).length} bytes of JSON`, bytes(data))
  }
  const leafOpening = encodeInstruction({ ...(sampleOps()[13] as Extract<Op, { kind: "submitAggregate" }>), opening: { kind: "leaf", leaf }, auth: null }, bumpsOf("submitAggregate"))
  c.ok("decode_instruction-submit_aggregate-leaf-opening", "decode_instruction", ["ACC-8", "AGG-3"], "submit_aggregate opening to a single leaf, without authorization", bytes(leafOpening))
  const noSecond = encodeInstruction({ kind: "proveEquivocation", challenger: admin.publicKey, first: signed(m1, sampleAggregates().plain), second: null }, bumpsOf("proveEquivocation"))
  c.ok("decode_instruction-prove_equivocation-one-statement", "decode_instruction", ["ACC-8", "EQV-7"], "prove_equivocation with one statement", bytes(noSecond))
  c.fail("decode_instruction-empty", "decode_instruction", "ENC-2", "no bytes at all", bytes(new Uint8Array(0)))
  c.fail("decode_instruction-unknown-tag", "decode_instruction", "ACC-10", "tag 27, one past the last instruction", bytes(Uint8Array.of(27)))
  c.fail("decode_instruction-unknown-tag-ff", "decode_instruction", "ACC-10", "tag 255", bytes(Uint8Array.of(255, 0, 0, 0)))
  const bond = encodeInstruction({ kind: "minerBond", miner: m1.publicKey, amount: 5n })
  c.fail("decode_instruction-truncated", "decode_instruction", "ENC-2", "miner_bond with a 7-byte amount", bytes(bond.slice(0, -1)))
  c.fail("decode_instruction-trailing", "decode_instruction", "ENC-2", "miner_bond with one byte after the amount", bytes(concat(bond, Uint8Array.of(0))))
  c.fail("decode_instruction-advance-epoch-trailing", "decode_instruction", "ENC-2", "advance_epoch with one byte after its bump", bytes(Uint8Array.of(IX.advanceEpoch, 255, 0)))
  const sub = encodeInstruction(sampleOps()[13]!, bumpsOf("submitAggregate"))
  const aggLen = encodeAggregate(sampleAggregates().plain).length
  const openingAt = 1 + 2 + 2 + aggLen
  c.fail("decode_instruction-bad-opening-kind", "decode_instruction", "ACC-10", "submit_aggregate with opening kind 2", bytes(withByte(sub, openingAt, 2)))
  c.fail("decode_instruction-bad-auth-option", "decode_instruction", "ENC-4", "submit_aggregate with authorization option tag 2", bytes(withByte(sub, sub.length - 9, 2)))
  c.fail("decode_instruction-nested-object-oversize", "decode_instruction", "ENC-3", "submit_aggregate whose statement length prefix is 0xffff", bytes(withByte(withByte(sub, 3, 0xff), 4, 0xff)))
  c.fail("decode_instruction-nested-object-bad", "decode_instruction", "ENC-5", "submit_aggregate whose statement has a leaf's type tag", bytes(withByte(sub, 5, OBJECT_TAG.leaf)))
  const node = { hash: new Uint8Array(32), sum: 0n }
  const pin = (n: number) => encodeInstruction({ ...(sampleOps()[16] as Extract<Op, { kind: "pinLeaf" }>), path: new Array(n).fill(node) }, bumpsOf("pinLeaf"))
  c.ok("decode_instruction-pin_leaf-depth-20", "decode_instruction", ["MRK-6"], "pin_leaf with a path of 20 siblings", bytes(pin(20)))
  c.fail("decode_instruction-path-too-deep", "decode_instruction", "MRK-6", "pin_leaf with a path of 21 siblings", bytes(pin(21)))
  const claim = encodeInstruction({ kind: "claim", who: w1.publicKey, role: "miner" })
  c.fail("decode_instruction-bad-claim-role", "decode_instruction", "ACC-10", "claim with role 2", bytes(withByte(claim, 1, 2)))
  const prop = encodeInstruction(sampleOps()[23]!, bumpsOf("propose"))
  c.fail("decode_instruction-propose-no-changes", "decode_instruction", "GOV-2", "propose with zero changes", bytes(concat(prop.slice(0, 10), Uint8Array.of(0))))
  c.fail("decode_instruction-propose-five-changes", "decode_instruction", "GOV-2", "propose declaring five changes", bytes(withByte(prop, 10, 5)))
  c.fail("decode_instruction-change-padding", "decode_instruction", "ENC-6", "propose whose first change has a non-zero padding byte", bytes(withByte(prop, 13, 1)))
  const init = encodeInstruction(sampleOps()[0]!, bumpsOf("initialize"))
  const allowAt = 1 + 4 + 24 * 8
  c.fail("decode_instruction-allowlist-too-long", "decode_instruction", "GOV-9", "initialize with an allowlist count of 33", bytes(withByte(init, allowAt, 33)))
  const reg = encodeInstruction({ kind: "registerName", owner: o1.publicKey, name: ALPHA }, bumpsOf("registerName"))
  c.fail("decode_instruction-name-too-long", "decode_instruction", "NAM-2", "register_name with a name length of 254", bytes(concat(reg.slice(0, 2), Uint8Array.of(254), new Uint8Array(254).fill(0x61))))
  c.fail("decode_instruction-name-not-utf8", "decode_instruction", "ENC-3", "register_name whose name bytes are not UTF-8", bytes(concat(reg.slice(0, 2), Uint8Array.of(6), Uint8Array.of(0x61, 0xff, 0x2e, 0x64, 0x6e, 0x73))))
  const mism = encodeInstruction(sampleOps()[19]!)
  c.fail("decode_instruction-embedded-receipt-version", "decode_instruction", "VER-2", "prove_leaf_mismatch whose receipt has layout version 2", bytes(withByte(mism, 1 + 76 + 1, 2)))
  return c
}

/** The four rejections every fixed-size object shares. */
const fixedNegatives = (c: Cases, obj: string, b: Uint8Array, otherTag: number): void => {
  const op = `decode_${obj}` as "decode_receipt"
  c.fail(`${op}-empty`, op, "ENC-2", "empty input", bytes(new Uint8Array(0)))
  c.fail(`${op}-truncated`, op, "ENC-2", `${b.length - 1} of ${b.length} bytes`, bytes(b.slice(0, -1)))
  c.fail(`${op}-trailing-byte`, op, "ENC-2", `${b.length + 1} bytes: one after the end`, bytes(concat(b, Uint8Array.of(0))))
  c.fail(`${op}-wrong-tag`, op, "ENC-5", `type tag 0x0${otherTag} instead of 0x0${b[0]}`, bytes(withByte(b, 0, otherTag)))
  c.fail(`${op}-wrong-version`, op, "VER-2", "layout version 2", bytes(withByte(b, 1, 2)))
}
