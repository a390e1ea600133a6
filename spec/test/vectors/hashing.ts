/** Hashing vectors [HSH], [NAM-6], [RTE-7], [RTE-8], [RCP-2], [RCP-3], [AGG-1], [MRK-1], [MRK-3]. */
import { hex } from "../../src/bytes.ts"
import { U64_MAX } from "../../src/codec.ts"
import { H, TAGS } from "../../src/hash.ts"
import { AggregateStatementJson, LeafJson, ReceiptJson, RouteAuthJson, RouteRecordJson, SumNodeJson, toJson } from "../../src/json.ts"
import { routeAuthOf } from "../../src/objects.ts"
import { Cases } from "./case.ts"
import { sampleAggregates, sampleReceipt, sampleRoutes } from "./encoding.ts"
import { leafOfReceipt } from "./scenario.ts"

const utf8 = (s: string) => new TextEncoder().encode(s)

export const hashingCases = (): Cases => {
  const c = new Cases("hashing")
  for (const [k, tag] of Object.entries(TAGS)) {
    const name = k.replace(/[A-Z]/g, (x) => `-${x.toLowerCase()}`)
    c.ok(`hash-${name}-empty`, "hash", ["HSH-1", "HSH-2"], `H("${tag}", empty)`, { tag, bytes: "" })
    c.ok(`hash-${name}-bytes`, "hash", ["HSH-1", "HSH-2"], `H("${tag}", 00 01 … 3f)`, { tag, bytes: hex(Uint8Array.from({ length: 64 }, (_, i) => i)) })
  }
  c.ok("hash-tag-1-byte", "hash", ["HSH-1"], "a one-byte tag", { tag: "x", bytes: "ff" })
  c.ok("hash-tag-255-bytes", "hash", ["HSH-1"], "a 255-byte tag", { tag: "t".repeat(255), bytes: "00" })
  c.fail("hash-tag-empty", "hash", "HSH-1", "an empty tag", { tag: "", bytes: "00" })
  c.fail("hash-tag-256-bytes", "hash", "HSH-1", "a 256-byte tag", { tag: "t".repeat(256), bytes: "00" })
  c.ok("hash-large", "hash", ["HSH-1"], "H over 4096 bytes", { tag: TAGS.receipt, bytes: hex(Uint8Array.from({ length: 4096 }, (_, i) => (i * 31 + 7) & 0xff)) })

  for (const n of ["alpha.dns", "beta.dns", "a.dns", "xn--mnchen-3ya.dns", "www.alpha.dns", `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(57)}.dns`])
    c.ok(`name_hash-${n.length > 40 ? "253-bytes" : n.replace(/\./g, "_")}`, "name_hash", ["NAM-6", "HSH-1"], `name_hash of ${n.length > 40 ? "a 253-byte name" : n}`, { name: n })

  for (const [name, r] of Object.entries(sampleRoutes())) {
    c.ok(`route_hash-${name}`, "route_hash", ["RTE-7"], `route_hash of a ${name} route record`, { record: toJson(RouteRecordJson, r) })
    c.ok(`route_auth_digest-${name}`, "route_auth_digest", ["RTE-8"], `the digest an owner signs for the ${name} route`, { auth: toJson(RouteAuthJson, routeAuthOf(r)) })
  }
  const rc = sampleReceipt()
  c.ok("receipt_digest", "receipt_digest", ["RCP-2"], "the digest a witness signs", { receipt: toJson(ReceiptJson, rc.receipt) })
  c.ok("receipt_hash", "receipt_hash", ["RCP-3"], "receipt_hash commits to encoding and signature", { receipt: toJson(ReceiptJson, rc.receipt), signature: hex(rc.signature) })
  const sig2 = new Uint8Array(rc.signature)
  sig2[63]! ^= 1
  c.ok("receipt_hash-other-signature", "receipt_hash", ["RCP-3"], "a different signature gives a different receipt_hash", { receipt: toJson(ReceiptJson, rc.receipt), signature: hex(sig2) })
  for (const [name, st] of Object.entries(sampleAggregates()))
    c.ok(`aggregate_digest-${name}`, "aggregate_digest", ["AGG-1"], `the digest a miner signs (${name === "cid" ? "with" : "without"} batch CID)`, { statement: toJson(AggregateStatementJson, st) })
  for (const w of [0n, 1n, 3_000_000_000n, U64_MAX])
    c.ok(`leaf_hash-weight-${w === U64_MAX ? "max" : w}`, "leaf_hash", ["MRK-1"], `a leaf of weight ${w}`, { leaf: toJson(LeafJson, leafOfReceipt(rc, w)) })
  const node = (s: string, sum: bigint) => toJson(SumNodeJson, { hash: H("dotdns/test/node", utf8(s)), sum })
  c.ok("node_hash", "node_hash", ["MRK-3"], "a parent of two nodes", { left: node("l", 1n), right: node("r", 2n) })
  c.ok("node_hash-swapped", "node_hash", ["MRK-3"], "children swapped: a different parent", { left: node("r", 2n), right: node("l", 1n) })
  c.ok("node_hash-zero-sums", "node_hash", ["MRK-3"], "both sums zero", { left: node("l", 0n), right: node("r", 0n) })
  c.ok("node_hash-max-sum", "node_hash", ["MRK-3", "MRK-4"], "sums adding to exactly 2^64 − 1", { left: node("l", U64_MAX - 5n), right: node("r", 5n) })
  c.fail("node_hash-overflow", "node_hash", "MRK-4", "sums adding to 2^64: overflow", { left: node("l", U64_MAX - 5n), right: node("r", 6n) })
  return c
}
