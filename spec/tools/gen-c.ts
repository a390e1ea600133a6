/**
 * Writes `programs/dotdns/src/generated/spec.h` from the executable spec: account structs with size
 * and offset asserts, discriminators, rule error codes, parameter indices, instruction tags, limits and
 * hash tags. The program never restates a layout or a constant by hand.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { dirname } from "node:path"
import * as A from "../src/accounts.ts"
import { RULE_IDS } from "../src/catalog.ts"
import { TAGS } from "../src/hash.ts"
import { IX, IX_ACCOUNTS, IX_BUMPS, type AccountSpec } from "../src/instructions.ts"
import type { AnyLayout, StructLayout, Fields } from "../src/layout.ts"
import { MAX_LEAVES, MAX_PROOF_DEPTH } from "../src/merkle.ts"
import { LABEL_MAX, NAME_MAX, TLD } from "../src/name.ts"
import { CID_MAX, encodeAggregate, LEAF_SIZE, OBJECT_TAG, RECEIPT_SIZE } from "../src/objects.ts"
import type { OpKind } from "../src/ops.ts"
import { BPS, COMMITTEE_MODE, FIXED_PARAMS, MAX_COMMITTEE, PARAM, PARAM_COUNT, PARAM_SLOTS } from "../src/params.ts"
import { NO_MEMBER } from "../src/transition/rounds.ts"
import { ruleCode } from "../src/rules.ts"
import { LAYOUT_VERSION, SPEC_VERSION } from "../src/version.ts"

export const OUT = "programs/dotdns/src/generated/spec.h"

const snake = (s: string): string => s.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()
const fieldName = (s: string): string => s.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase()

const structDecl = (l: StructLayout<Fields>): string => {
  const lines = [`typedef struct {`]
  for (const [k, f] of Object.entries(l.fields) as [string, AnyLayout][]) lines.push(`  ${f.c.type} ${fieldName(k)}${f.c.suffix};`)
  lines.push(`} ${l.name};`)
  lines.push(`_Static_assert(sizeof(${l.name}) == ${l.size}, "${l.name} size");`)
  for (const [k, off] of Object.entries(l.offsets) as [string, number][])
    lines.push(`_Static_assert(__builtin_offsetof(${l.name}, ${fieldName(k)}) == ${off}, "${l.name}.${k}");`)
  return lines.join("\n")
}

const discLiteral = (d: Uint8Array): string => `0x${Buffer.from(d).reverse().toString("hex")}ULL`

const BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

/** Base58 to 32 bytes, for the well-known addresses IX_ACCOUNTS names in its notes. */
const base58Key = (s: string): Uint8Array => {
  let n = 0n
  for (const c of s) {
    const d = BASE58.indexOf(c)
    if (d < 0) throw new Error(`not base58: ${s}`)
    n = n * 58n + BigInt(d)
  }
  const out = new Uint8Array(32)
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(n & 0xffn)
    n >>= 8n
  }
  if (n !== 0n) throw new Error(`${s} is longer than 32 bytes`)
  return out
}

const bytesInit = (b: Uint8Array): string => `{${Array.from(b).join(", ")}}`

/** `"\x0e" "dotdns/v1/leaf"`: the tag with its length byte, the prefix every H(tag, …) hashes first [HSH-1]. */
const tagPrefix = (tag: string): string => `"\\x${tag.length.toString(16).padStart(2, "0")}" "${tag}"`

/** The quoted literal that opens an account kind's seeds (`"committee", u64(epoch)` → committee). */
const seedLiteral = (seeds: string): string => {
  const m = /^"([^"]+)"/.exec(seeds)
  if (m === null) throw new Error(`seeds ${seeds} open with no literal`)
  return m[1]!
}

const isSigner = (a: AccountSpec): boolean => a.role === "signer" || a.role === "signerWritable"
const isWritable = (a: AccountSpec): boolean => a.role === "writable" || a.role === "signerWritable"

/** Per instruction: account indices, bump offsets in the data, and the signer/writable masks [ACC-8], [ACC-11], [ACC-12]. */
const instructionTables = (): string[] => {
  const kinds = (Object.keys(IX) as OpKind[]).sort((a, b) => IX[a] - IX[b])
  kinds.forEach((k, i) => {
    if (IX[k] !== i) throw new Error("instruction tags are not dense")
  })
  const out: string[] = []
  const mask = (k: OpKind, f: (a: AccountSpec) => boolean): number =>
    IX_ACCOUNTS[k].reduce((m, a, i) => (f(a) ? m | (1 << i) : m), 0)
  const addresses = new Map<string, string>()
  for (const k of kinds) {
    const n = snake(k)
    const accounts = IX_ACCOUNTS[k]
    const bumps = IX_BUMPS[k] ?? []
    out.push(`/* ${k}: ${accounts.map((a) => a.name).join(", ")} */`)
    out.push(`#define IX_${n}_ACCOUNTS ${accounts.length}`)
    accounts.forEach((a, i) => {
      out.push(`#define AI_${n}_${a.name.toUpperCase()} ${i}`)
      if (a.note !== undefined && /^[1-9A-HJ-NP-Za-km-z]{32,44}$/.test(a.note)) addresses.set(a.name.toUpperCase(), a.note)
    })
    out.push(`#define IX_${n}_BUMPS ${bumps.length}`)
    bumps.forEach((b, j) => {
      if (!accounts.some((a) => a.name === b)) throw new Error(`${k} bumps ${b}, which it does not list`)
      out.push(`#define BUMP_${n}_${b.toUpperCase()} ${1 + j}`)
    })
    out.push(`#define IX_${n}_FIELDS ${1 + bumps.length}`)
  }
  out.push("")
  out.push(`#define IX_COUNT ${kinds.length}`)
  out.push(`#define IX_ACCOUNT_COUNTS {${kinds.map((k) => IX_ACCOUNTS[k].length).join(", ")}}`)
  out.push(`#define IX_SIGNER_MASKS {${kinds.map((k) => `0x${mask(k, isSigner).toString(16)}`).join(", ")}}`)
  out.push(`#define IX_WRITABLE_MASKS {${kinds.map((k) => `0x${mask(k, isWritable).toString(16)}`).join(", ")}}`)
  out.push("")
  out.push("/* well-known accounts the instructions list */")
  for (const [name, b58] of addresses) out.push(`#define KEY_${name} ${bytesInit(base58Key(b58))} /* ${b58} */`)
  return out
}

/** Longest aggregate statement encoding: the u16-prefixed object inside instruction data [ENC-3]. */
const aggregateMax = (): number =>
  encodeAggregate({
    epoch: 0n, nameHash: new Uint8Array(32), routeHash: new Uint8Array(32), receiptRoot: new Uint8Array(32), support: 0n,
    receiptCount: 0, miner: new Uint8Array(32), batchCid: new Uint8Array(CID_MAX)
  }).length

export const generateHeader = (): string => {
  const structs: StructLayout<Fields>[] = [
    A.ChangeLayout, A.MinerEntryLayout, A.MemberLayout, A.CheckpointLayout, A.RouteSlotLayout,
    A.ConfigLayout, A.VaultLayout, A.MinerSetLayout, A.CommitteeLayout, A.WitnessLayout, A.NameLayout, A.RoundLayout,
    A.AggregateLayout, A.LeafPinLayout, A.ChallengeLayout, A.ProposalLayout, A.VetoLayout, A.ClaimLayout
  ] as unknown as StructLayout<Fields>[]
  const out: string[] = [
    "/* GENERATED by spec/tools/gen-c.ts from spec/src — do not edit; run `npm run gen:c`. */",
    "#pragma once",
    "#include <stdint.h>",
    "",
    `#define DOTDNS_SPEC_VERSION "${SPEC_VERSION}"`,
    `#define LAYOUT_VERSION ${LAYOUT_VERSION}`,
    "",
    "/* limits */",
    `#define MAX_MINERS ${A.MAX_MINERS}`,
    `#define MAX_COMMITTEE ${MAX_COMMITTEE}`,
    `#define MAX_ALLOWLIST ${A.MAX_ALLOWLIST}`,
    `#define MAX_ROUTES ${A.MAX_ROUTES}`,
    `#define MAX_CHANGES ${A.MAX_CHANGES}`,
    `#define WITNESS_CHECKPOINTS ${A.WITNESS_CHECKPOINTS}`,
    `#define NAME_MAX ${NAME_MAX}`,
    `#define NAME_FIELD ${A.NAME_FIELD}`,
    `#define CID_MAX ${CID_MAX}`,
    `#define MAX_PROOF_DEPTH ${MAX_PROOF_DEPTH}`,
    `#define MAX_LEAVES ${MAX_LEAVES}u`,
    `#define LEAF_SIZE ${LEAF_SIZE}`,
    `#define RECEIPT_SIZE ${RECEIPT_SIZE}`,
    `#define PARAM_COUNT ${PARAM_COUNT}`,
    `#define PARAM_SLOTS ${PARAM_SLOTS}`,
    `#define LABEL_MAX ${LABEL_MAX}`,
    `#define TLD "${TLD}"`,
    `#define HINT_FIELD ${A.HINT_FIELD}`,
    `#define CID_FIELD ${A.CID_FIELD}`,
    `#define AGGREGATE_MAX ${aggregateMax()}`,
    `#define BPS ${BPS}`,
    `#define NO_MEMBER ${NO_MEMBER}`,
    `#define FIXED_PARAMS_MASK 0x${FIXED_PARAMS.reduce((m, i) => m | (1 << i), 0).toString(16)}u`,
    ...Object.entries(COMMITTEE_MODE).map(([k, v]) => `#define COMMITTEE_MODE_${snake(k)} ${v}`),
    "",
    "/* object type tags */",
    ...Object.entries(OBJECT_TAG).map(([k, v]) => `#define OBJ_${snake(k)} ${v}`),
    "",
    "/* hash tags */",
    ...Object.entries(TAGS).map(([k, v]) => `#define TAG_${snake(k)} "${v}"`),
    ...Object.entries(TAGS).flatMap(([k, v]) => [`#define HTAG_${snake(k)} ${tagPrefix(v)}`, `#define HTAG_${snake(k)}_LEN ${v.length + 1}`]),
    "",
    "/* PDA seed literals [ACC-4] */",
    ...Object.entries(A.ACCOUNTS).map(([k, a]) => `#define SEED_${snake(k)} "${seedLiteral(a.seeds)}"`),
    "",
    "/* parameter indices into Config.params */",
    ...Object.entries(PARAM).map(([k, v]) => `#define P_${snake(k)} ${v}`),
    "",
    "/* instruction tags */",
    ...Object.entries(IX).map(([k, v]) => `#define IX_${snake(k)} ${v}`),
    "",
    "/* flags and states */",
    ...Object.entries(A.ROUND_STATUS).map(([k, v]) => `#define ROUND_${snake(k)} ${v}`),
    ...Object.entries(A.MEMBER_FLAG).map(([k, v]) => `#define MEMBER_${snake(k)} ${v}`),
    ...Object.entries(A.AGGREGATE_FLAG).map(([k, v]) => `#define AGG_FLAG_${snake(k)} ${v}`),
    ...Object.entries(A.CHALLENGE_STATUS).map(([k, v]) => `#define CHALLENGE_${snake(k)} ${v}`),
    ...Object.entries(A.PROPOSAL_STATUS).map(([k, v]) => `#define PROPOSAL_${snake(k)} ${v}`),
    ...Object.entries(A.CHANGE_KIND).map(([k, v]) => `#define CHANGE_${snake(k)} ${v}`),
    `#define NO_ROUTE ${A.NO_ROUTE}`,
    "",
    "/* instruction accounts, bumps and data offsets */",
    ...instructionTables(),
    "",
    "/* account discriminators, as little-endian u64 of the first 8 bytes of H(\"dotdns/v1/account\", name) */",
    ...Object.entries(A.DISCRIMINATORS).map(([k, d]) => `#define DISC_${snake(k)} ${discLiteral(d)}`),
    "",
    "/* rule error codes: 100 × family + n; the program returns them as custom errors */",
    ...RULE_IDS.map((id) => `#define ERR_${id.replace("-", "_")} ${ruleCode(id)}`),
    "",
    ...structs.map(structDecl).flatMap((s) => [s, ""])
  ]
  return out.join("\n")
}

const main = (): void => {
  const text = generateHeader()
  const check = process.argv.includes("--check")
  if (check) {
    let current = ""
    try {
      current = readFileSync(OUT, "utf8")
    } catch {}
    if (current !== text) {
      console.error(`${OUT} is stale: run npm run gen:c`)
      process.exit(1)
    }
    return
  }
  mkdirSync(dirname(OUT), { recursive: true })
  writeFileSync(OUT, text)
  console.log(`wrote ${OUT}`)
}

if (import.meta.url === `file://${process.argv[1]}`) main()
