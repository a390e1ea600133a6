/**
 * The program's interface as a Codama IDL (programs/dotdns/idl.json), generated from the one
 * description the program, the client and the prose already share:
 *
 *   spec/src/accounts.ts      account nodes: fixed-size struct layouts (padding as zero bytes), sizes,
 *                             the 8-byte discriminator field; defined types for the nested structs;
 *                             a PDA node per account kind with its seeds
 *   spec/src/instructions.ts  instruction nodes: the tag as discriminator argument, the PDA bumps the
 *                             instruction carries, the data arguments in encoding order, and the accounts
 *                             of IX_ACCOUNTS with signer/writable flags, fixed addresses and PDA defaults
 *                             where every seed is an argument or another account of the instruction
 *   spec/src/objects.ts       defined types for the canonical objects carried in instruction data
 *   spec/src/catalog.ts       error nodes: every rule the program can return, code = 100 × family + n
 *
 * A LeafRef (epoch, name_hash, miner, index) is flattened into four arguments — the same bytes — so
 * that Codama can derive the round, aggregate, pin and challenge PDAs from them.
 *
 * `node spec/tools/gen-idl.ts` writes the file; `--check` fails if it is stale. Codama's own validator
 * runs on every generation; programs/dotdns/test/idl.test.ts checks the IDL against the client.
 */
import { readFileSync, writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import {
  accountBumpValueNode, accountNode, accountValueNode, argumentValueNode, arrayTypeNode, bytesTypeNode, bytesValueNode, constantPdaSeedNodeFromString,
  createFromRoot, definedTypeLinkNode, definedTypeNode, enumEmptyVariantTypeNode, enumStructVariantTypeNode, enumTypeNode, errorNode,
  fieldDiscriminatorNode, fixedCountNode, fixedSizeTypeNode, getValidationItemsVisitor, instructionAccountNode, instructionArgumentNode,
  instructionNode, numberTypeNode, numberValueNode, optionTypeNode, pdaLinkNode, pdaNode, pdaSeedValueNode, pdaValueNode, prefixedCountNode,
  programNode, publicKeyTypeNode, publicKeyValueNode, rootNode, sizePrefixTypeNode, stringTypeNode, structFieldTypeNode, structTypeNode,
  variablePdaSeedNode, visit, type InstructionAccountNode, type InstructionArgumentNode, type PdaSeedNode, type StructFieldTypeNode, type TypeNode
} from "codama"
import * as A from "../src/accounts.ts"
import { hex } from "../src/bytes.ts"
import { RULES, RULE_IDS } from "../src/catalog.ts"
import { IX, IX_ACCOUNTS, IX_BUMPS, type AccountSpec } from "../src/instructions.ts"
import { hash32, pubkey, u16, u32, u64, u8, type AnyLayout, type ArrayLayout, type Fields, type StructLayout } from "../src/layout.ts"
import { OBJECT_TAG } from "../src/objects.ts"
import type { OpKind } from "../src/ops.ts"
import { PARAM_SLOTS } from "../src/params.ts"
import { ruleCode } from "../src/rules.ts"
import { LAYOUT_VERSION, SPEC_VERSION } from "../src/version.ts"

export const IDL_PATH = fileURLToPath(new URL("../../programs/dotdns/idl.json", import.meta.url))
const PROGRAM_ID_PATH = fileURLToPath(new URL("../../programs/dotdns/program-id.json", import.meta.url))

const SYSTEM_PROGRAM = "11111111111111111111111111111111"
const INSTRUCTIONS_SYSVAR = "Sysvar1nstructions1111111111111111111111111"

// ------------------------------------------------------------------------------------------- types

const isStruct = (f: AnyLayout): f is StructLayout<Fields> => "fields" in f && "offsets" in f
const isArray = (f: AnyLayout): f is ArrayLayout<unknown> => "item" in f && "count" in f
const bytesN = (n: number) => fixedSizeTypeNode(bytesTypeNode(), n)
const HASH = bytesN(32)
const zeros = (n: number) => bytesValueNode("base16", "00".repeat(n))

/** A layout field as a Codama type: integers, public keys, fixed bytes, fixed arrays, linked structs. */
const typeOf = (f: AnyLayout): TypeNode => {
  if (f === u8) return numberTypeNode("u8")
  if (f === u16) return numberTypeNode("u16")
  if (f === u32) return numberTypeNode("u32")
  if (f === u64) return numberTypeNode("u64")
  if (f === pubkey) return publicKeyTypeNode()
  if (f === hash32) return HASH
  if (isStruct(f)) return definedTypeLinkNode(f.name)
  if (isArray(f)) return arrayTypeNode(typeOf(f.item), fixedCountNode(f.count))
  if (f.c.type === "uint8_t" && f.c.suffix === `[${f.size}]`) return bytesN(f.size)
  throw new Error(`no Codama type for layout ${f.doc}`)
}

/** A fixed layout's fields; padding is zero bytes the encoder writes itself [ENC-6]. */
const fieldsOf = (layout: StructLayout<Fields>, defaults: Record<string, StructFieldTypeNode["defaultValue"]> = {}): StructFieldTypeNode[] =>
  Object.entries(layout.fields).map(([name, f]) => {
    if ("pad" in f) return structFieldTypeNode({ name, type: bytesN(f.size), defaultValue: zeros(f.size), defaultValueStrategy: "omitted" })
    const d = defaults[name]
    return structFieldTypeNode({ name, type: typeOf(f), ...(d !== undefined ? { defaultValue: d, defaultValueStrategy: "omitted" as const } : {}) })
  })

/** The nested structs of account layouts (Change, MinerEntry, …), each a defined type. */
const NESTED: readonly StructLayout<Fields>[] = [A.ChangeLayout, A.MinerEntryLayout, A.MemberLayout, A.CheckpointLayout, A.RouteSlotLayout]

/** An object's opening tag and layout version, which its encoder writes itself [ENC-5], [VER-2]. */
const header = (tag: number) => [
  structFieldTypeNode({ name: "objectTag", type: numberTypeNode("u8"), defaultValue: numberValueNode(tag), defaultValueStrategy: "omitted" }),
  structFieldTypeNode({ name: "layoutVersion", type: numberTypeNode("u8"), defaultValue: numberValueNode(LAYOUT_VERSION), defaultValueStrategy: "omitted" })
]

/** The canonical objects instruction data carries (spec/src/objects.ts, merkle.ts, ops.ts). */
const OBJECT_TYPES = [
  definedTypeNode({
    name: "aggregateStatement",
    docs: ["The canonical encoding of an aggregate statement (objects.ts encodeAggregate)."],
    type: structTypeNode([
      ...header(OBJECT_TAG.aggregate),
      structFieldTypeNode({ name: "epoch", type: numberTypeNode("u64") }),
      structFieldTypeNode({ name: "nameHash", type: HASH }),
      structFieldTypeNode({ name: "routeHash", type: HASH }),
      structFieldTypeNode({ name: "receiptRoot", type: HASH }),
      structFieldTypeNode({ name: "support", type: numberTypeNode("u64") }),
      structFieldTypeNode({ name: "receiptCount", type: numberTypeNode("u32") }),
      structFieldTypeNode({ name: "miner", type: publicKeyTypeNode() }),
      structFieldTypeNode({ name: "batchCid", type: optionTypeNode(sizePrefixTypeNode(bytesTypeNode(), numberTypeNode("u32"))) })
    ])
  }),
  definedTypeNode({
    name: "leaf",
    docs: ["The canonical encoding of a Merkle-sum leaf (objects.ts encodeLeaf)."],
    type: structTypeNode([
      ...header(OBJECT_TAG.leaf),
      structFieldTypeNode({ name: "receiptHash", type: HASH }),
      structFieldTypeNode({ name: "witness", type: publicKeyTypeNode() }),
      structFieldTypeNode({ name: "weight", type: numberTypeNode("u64") })
    ])
  }),
  definedTypeNode({
    name: "receipt",
    docs: ["The canonical encoding of a witness receipt (objects.ts encodeReceipt)."],
    type: structTypeNode([
      ...header(OBJECT_TAG.receipt),
      structFieldTypeNode({ name: "epoch", type: numberTypeNode("u64") }),
      structFieldTypeNode({ name: "nameHash", type: HASH }),
      structFieldTypeNode({ name: "routeHash", type: HASH }),
      structFieldTypeNode({ name: "witness", type: publicKeyTypeNode() })
    ])
  }),
  definedTypeNode({
    name: "sumNode",
    docs: ["A Merkle-sum node: hash and sum."],
    type: structTypeNode([structFieldTypeNode({ name: "hash", type: HASH }), structFieldTypeNode({ name: "sum", type: numberTypeNode("u64") })])
  }),
  definedTypeNode({
    name: "rootOpening",
    docs: ["The submitted root's children (0) or, for a one-leaf tree, its leaf (1)."],
    type: enumTypeNode([
      enumStructVariantTypeNode("node", structTypeNode([
        structFieldTypeNode({ name: "left", type: definedTypeLinkNode("sumNode") }),
        structFieldTypeNode({ name: "right", type: definedTypeLinkNode("sumNode") })
      ])),
      enumStructVariantTypeNode("leaf", structTypeNode([structFieldTypeNode({ name: "leaf", type: definedTypeLinkNode("leaf") })]))
    ])
  }),
  definedTypeNode({ name: "stakeRole", docs: ["Whose claimable balance a claim pays."], type: enumTypeNode([enumEmptyVariantTypeNode("miner"), enumEmptyVariantTypeNode("witness")]) })
]

// -------------------------------------------------------------------------------------------- PDAs

const HASH_SEED = (name: string) => variablePdaSeedNode(name, HASH)
const U64_SEED = (name: string) => variablePdaSeedNode(name, numberTypeNode("u64"))
const KEY_SEED = (name: string) => variablePdaSeedNode(name, publicKeyTypeNode())
const seed = (s: string) => constantPdaSeedNodeFromString("utf8", s)

/** The seeds of every account kind, in programs/client/pda.ts's order [ACC-4]. */
const PDA_SEEDS: Record<A.AccountKind, PdaSeedNode[]> = {
  Config: [seed("config")],
  Vault: [seed("vault")],
  MinerSet: [seed("miners")],
  Committee: [seed("committee"), U64_SEED("epoch")],
  Witness: [seed("witness"), KEY_SEED("key")],
  Name: [seed("name"), HASH_SEED("nameHash")],
  Round: [seed("round"), U64_SEED("epoch"), HASH_SEED("nameHash")],
  Aggregate: [seed("aggregate"), U64_SEED("epoch"), HASH_SEED("nameHash"), KEY_SEED("miner")],
  LeafPin: [seed("pin"), U64_SEED("epoch"), HASH_SEED("nameHash"), KEY_SEED("miner"), variablePdaSeedNode("index", numberTypeNode("u32"))],
  Challenge: [seed("challenge"), U64_SEED("epoch"), HASH_SEED("nameHash"), KEY_SEED("miner"), variablePdaSeedNode("index", numberTypeNode("u32"))],
  Proposal: [seed("proposal"), U64_SEED("id")],
  Veto: [seed("veto"), U64_SEED("id"), KEY_SEED("voter")],
  Claim: [seed("claim"), U64_SEED("epoch"), HASH_SEED("nameHash"), KEY_SEED("miner"), KEY_SEED("witness")]
}

const KINDS = Object.keys(A.ACCOUNTS) as A.AccountKind[]

// ------------------------------------------------------------------------------------ instructions

const arg = (name: string, type: TypeNode): InstructionArgumentNode => instructionArgumentNode({ name, type })
const LEAF_REF = [arg("epoch", numberTypeNode("u64")), arg("nameHash", HASH), arg("miner", publicKeyTypeNode()), arg("index", numberTypeNode("u32"))]
const AGGREGATE_OBJECT = sizePrefixTypeNode(definedTypeLinkNode("aggregateStatement"), numberTypeNode("u16"))

/** The data after tag and bumps, field by field as encodeInstruction writes them. */
const DATA: Record<OpKind, InstructionArgumentNode[]> = {
  initialize: [arg("params", arrayTypeNode(numberTypeNode("u64"), fixedCountNode(PARAM_SLOTS))), arg("allowlist", arrayTypeNode(publicKeyTypeNode(), prefixedCountNode(numberTypeNode("u8"))))],
  minerBond: [arg("amount", numberTypeNode("u64"))],
  minerUnbond: [arg("amount", numberTypeNode("u64"))],
  minerWithdraw: [],
  unjail: [],
  witnessBond: [arg("amount", numberTypeNode("u64"))],
  witnessUnbond: [arg("amount", numberTypeNode("u64"))],
  witnessWithdraw: [],
  claim: [arg("role", definedTypeLinkNode("stakeRole"))],
  fundPool: [arg("amount", numberTypeNode("u64"))],
  registerName: [arg("name", sizePrefixTypeNode(stringTypeNode("utf8"), numberTypeNode("u8")))],
  transferName: [arg("nameHash", HASH), arg("newOwner", publicKeyTypeNode())],
  advanceEpoch: [],
  submitAggregate: [arg("statement", AGGREGATE_OBJECT), arg("opening", definedTypeLinkNode("rootOpening")), arg("serial", optionTypeNode(numberTypeNode("u64")))],
  finalizeRound: [arg("epoch", numberTypeNode("u64")), arg("nameHash", HASH)],
  proveEquivocation: [arg("first", AGGREGATE_OBJECT), arg("second", optionTypeNode(AGGREGATE_OBJECT))],
  pinLeaf: [...LEAF_REF, arg("leaf", definedTypeLinkNode("leaf")), arg("path", arrayTypeNode(definedTypeLinkNode("sumNode"), prefixedCountNode(numberTypeNode("u8"))))],
  proveBadWeight: LEAF_REF,
  proveBadOrder: LEAF_REF,
  proveLeafMismatch: [...LEAF_REF, arg("receipt", definedTypeLinkNode("receipt")), arg("signature", bytesN(64))],
  openReveal: LEAF_REF,
  respondReveal: [...LEAF_REF, arg("receipt", definedTypeLinkNode("receipt"))],
  resolveReveal: LEAF_REF,
  propose: [arg("etaEpoch", numberTypeNode("u64")), arg("changes", arrayTypeNode(definedTypeLinkNode("change"), prefixedCountNode(numberTypeNode("u8"))))],
  veto: [arg("proposalId", numberTypeNode("u64"))],
  execute: [arg("proposalId", numberTypeNode("u64"))],
  claimWitnessReward: LEAF_REF
}

const camel = (s: string): string => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())
const kindOfPda = (spec: AccountSpec): A.AccountKind | undefined => KINDS.find((k) => k === spec.pda)

/** Which account of an instruction holds the key a Witness PDA is derived from. */
const WITNESS_KEY: Partial<Record<OpKind, string>> = { witnessBond: "witness", witnessUnbond: "witness", witnessWithdraw: "witness", propose: "proposer", veto: "voter" }

/**
 * The PDA default of an account, when every seed is an argument or another account of the
 * instruction; undefined otherwise (a seed read from chain state, a hash of an argument, an
 * argument + 1, the slot).
 */
const pdaDefault = (kind: OpKind, spec: AccountSpec, args: ReadonlySet<string>): InstructionAccountNode["defaultValue"] => {
  const pda = kindOfPda(spec)
  if (pda === undefined || spec.name === "right_pin") return undefined
  const values = []
  for (const s of PDA_SEEDS[pda]) {
    if (s.kind !== "variablePdaSeedNode") continue
    const name = s.name
    if (name === "id" && args.has("proposalId")) values.push(pdaSeedValueNode("id", argumentValueNode("proposalId")))
    else if (name === "key" && WITNESS_KEY[kind] !== undefined) values.push(pdaSeedValueNode("key", accountValueNode(WITNESS_KEY[kind]!)))
    else if (name === "voter" && kind === "veto") values.push(pdaSeedValueNode("voter", accountValueNode("voter")))
    else if (args.has(name)) values.push(pdaSeedValueNode(name, argumentValueNode(name)))
    else return undefined
  }
  return pdaValueNode(camel(pda.charAt(0).toLowerCase() + pda.slice(1)), values)
}

const accountsOf = (kind: OpKind, args: ReadonlySet<string>): InstructionAccountNode[] =>
  IX_ACCOUNTS[kind].map((spec) => {
    const fixed = spec.name === "system_program" ? SYSTEM_PROGRAM : spec.name === "instructions_sysvar" ? INSTRUCTIONS_SYSVAR : undefined
    const defaultValue = fixed !== undefined ? publicKeyValueNode(fixed) : pdaDefault(kind, spec, args)
    const docs = [...(spec.pda !== undefined ? [`${spec.pda} PDA`] : []), ...(spec.note !== undefined && spec.note !== fixed ? [spec.note] : [])]
    return instructionAccountNode({
      name: spec.name,
      isSigner: spec.role === "signer" || spec.role === "signerWritable",
      isWritable: spec.role === "writable" || spec.role === "signerWritable",
      ...(docs.length > 0 ? { docs } : {}),
      ...(defaultValue !== undefined ? { defaultValue } : {})
    })
  })

const instructionOf = (kind: OpKind) => {
  const data = DATA[kind]
  const argNames = new Set(data.map((a) => a.name as string))
  const accounts = accountsOf(kind, argNames)
  const bumps = (IX_BUMPS[kind] ?? []).map((name) => {
    // A created account's bump comes with its derivation when Codama can derive it.
    const derivable = accounts.find((a) => a.name === camel(name))?.defaultValue?.kind === "pdaValueNode"
    return instructionArgumentNode({
      name: `${name}_bump`,
      type: numberTypeNode("u8"),
      docs: [`canonical bump of ${name}, which this instruction may create`],
      ...(derivable ? { defaultValue: accountBumpValueNode(name), defaultValueStrategy: "optional" as const } : {})
    })
  })
  return instructionNode({
    name: kind,
    docs: [`tag ${IX[kind]}`],
    accounts,
    arguments: [
      instructionArgumentNode({ name: "discriminator", type: numberTypeNode("u8"), defaultValue: numberValueNode(IX[kind]), defaultValueStrategy: "omitted" }),
      ...bumps,
      ...data
    ],
    discriminators: [fieldDiscriminatorNode("discriminator")]
  })
}

// ----------------------------------------------------------------------------------------- program

/** Rules the program can return: those it enforces and those its instruction decoder does. */
export const PROGRAM_ERRORS = RULE_IDS.filter((id) => RULES[id].by === "program" || RULES[id].by === "decoder")

export const buildIdlRoot = () => {
  const { programId } = JSON.parse(readFileSync(PROGRAM_ID_PATH, "utf8")) as { programId: string }
  const accountName = (k: A.AccountKind) => k.charAt(0).toLowerCase() + k.slice(1)
  return rootNode(
    programNode({
      name: "dotdns",
      publicKey: programId,
      version: SPEC_VERSION,
      docs: ["dotdns v1: censorship-resistant .dns names anchored on Solana (spec/v1). Generated by spec/tools/gen-idl.ts from spec/src."],
      pdas: KINDS.map((k) => pdaNode({ name: accountName(k), seeds: PDA_SEEDS[k], docs: [`seeds: ${A.ACCOUNTS[k].seeds}`] })),
      accounts: KINDS.map((k) => {
        const layout = A.ACCOUNTS[k].layout as StructLayout<Fields>
        return accountNode({
          name: accountName(k),
          size: layout.size,
          data: structTypeNode(fieldsOf(layout, { disc: bytesValueNode("base16", hex(A.DISCRIMINATORS[k])), version: numberValueNode(LAYOUT_VERSION) })),
          pda: pdaLinkNode(accountName(k)),
          discriminators: [fieldDiscriminatorNode("disc", 0)]
        })
      }),
      instructions: (Object.keys(IX) as OpKind[]).sort((a, b) => IX[a] - IX[b]).map(instructionOf),
      definedTypes: [...NESTED.map((s) => definedTypeNode({ name: s.name, type: structTypeNode(fieldsOf(s)) })), ...OBJECT_TYPES],
      errors: PROGRAM_ERRORS.map((id) => errorNode({ code: ruleCode(id), name: id.replace("-", "").toLowerCase(), message: `[${id}] ${RULES[id].title}` }))
    })
  )
}

/** The IDL as written to programs/dotdns/idl.json; throws if Codama's validator reports an error. */
export const renderIdl = (): string => {
  const codama = createFromRoot(buildIdlRoot())
  const items = visit(codama.getRoot(), getValidationItemsVisitor())
  const errors = items.filter((i) => i.level === "error")
  if (errors.length > 0) throw new Error(`Codama rejects the IDL:\n${errors.map((e) => `  ${e.message} (${e.node.kind})`).join("\n")}`)
  return `${JSON.stringify(JSON.parse(codama.getJson()), null, 2)}\n`
}

const main = (argv: readonly string[]): number => {
  const text = renderIdl()
  if (argv.includes("--check")) {
    let cur = ""
    try {
      cur = readFileSync(IDL_PATH, "utf8")
    } catch {}
    if (cur !== text) {
      console.error("programs/dotdns/idl.json is stale: run npm run gen:idl")
      return 1
    }
    console.log("programs/dotdns/idl.json is current")
    return 0
  }
  writeFileSync(IDL_PATH, text)
  console.log(`wrote ${IDL_PATH}`)
  return 0
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main(process.argv.slice(2))
