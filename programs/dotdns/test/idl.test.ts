/**
 * The Codama IDL (programs/dotdns/idl.json, `npm run gen:idl`) against the client it describes:
 *
 *   - it is current, and Codama accepts it (its own validator, its spec version);
 *   - every instruction lists IX_ACCOUNTS' accounts with their flags, the tag, the bumps of IX_BUMPS;
 *     every account kind its size and discriminator; every rule the program returns its code;
 *   - Codama's JavaScript renderer (@codama/renderers-js) turns it into a client, rendered into .out/
 *     here and imported: for ops of every kind (generated sequences), that client's data encoder writes
 *     the bytes `encodeInstruction` writes, and its instruction builder — deriving every PDA (and bump)
 *     the IDL can derive — yields the accounts `buildOp` yields, address and role; its account
 *     decoders read every account of a live state as the spec's layouts do, and its encoders write the
 *     same bytes back; its PDA finders agree with programs/client/pda.ts.
 */
import fc from "fast-check"
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { createFromJson, getValidationItemsVisitor, validateCodamaVersion, visit } from "codama"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ACCOUNTS, DISCRIMINATORS, type AccountKind } from "../../../spec/src/accounts.ts"
import { equal, hex } from "../../../spec/src/bytes.ts"
import { IX, IX_ACCOUNTS, IX_BUMPS } from "../../../spec/src/instructions.ts"
import type { AggregateStatement, Leaf, Receipt } from "../../../spec/src/objects.ts"
import type { LeafRef, Op, OpKind } from "../../../spec/src/ops.ts"
import { ruleCode } from "../../../spec/src/rules.ts"
import { GENERATOR_PARAMS, opSequence, STAKE_MODE_PARAMS } from "../../../spec/test/arbitrary-ops.ts"
import { buildIdlRoot, IDL_PATH, PROGRAM_ERRORS, renderIdl } from "../../../spec/tools/gen-idl.ts"
import { fromBase58, toBase58 } from "../../client/base58.ts"
import { decodeAccount } from "../../client/decode.ts"
import { buildOp } from "../../client/instructions.ts"
import { findPda, seeds } from "../../client/pda.ts"
import { DEV_PROGRAM_ID } from "../../client/program-id.ts"
import { admin, challenger, miners, NH, pin, ref, roundOf, setup, submitAll, witnesses } from "./fixture.ts"
import { specAccounts } from "./lockstep.ts"

const ROOT = fileURLToPath(new URL("../../../", import.meta.url))
const idlText = readFileSync(IDL_PATH, "utf8")
const idl = JSON.parse(idlText) as {
  program: {
    accounts: { name: string; size: number; data: { fields: { name: string; defaultValue?: { data?: string } }[] } }[]
    instructions: { name: string; accounts: { name: string; isSigner: boolean; isWritable: boolean; defaultValue?: unknown }[]; arguments: { name: string; defaultValue?: { kind: string; number?: number } }[] }[]
    errors: { code: number; name: string; message: string }[]
  }
}
const camel = (s: string): string => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())
const pascal = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1)
const lowerFirst = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1)
const KINDS = Object.keys(IX) as OpKind[]

describe("the Codama IDL", () => {
  it("is current and valid for Codama", () => {
    expect(renderIdl(), "npm run gen:idl").toBe(idlText)
    const codama = createFromJson(idlText)
    const root = codama.getRoot()
    validateCodamaVersion(root.version)
    expect(visit(root, getValidationItemsVisitor()).filter((i) => i.level === "error")).toEqual([])
    expect(root.program.publicKey).toBe(toBase58(DEV_PROGRAM_ID))
    expect(buildIdlRoot().program.instructions?.length).toBe(KINDS.length)
  })

  it("lists IX_ACCOUNTS, the tags and bumps, the account layouts and the error codes", () => {
    for (const kind of KINDS) {
      const ix = idl.program.instructions.find((i) => i.name === kind)
      expect(ix, kind).toBeDefined()
      expect(ix!.accounts.map((a) => [a.name, a.isSigner, a.isWritable]), kind).toEqual(
        IX_ACCOUNTS[kind].map((a) => [camel(a.name), a.role === "signer" || a.role === "signerWritable", a.role === "writable" || a.role === "signerWritable"])
      )
      expect(ix!.arguments[0]).toMatchObject({ name: "discriminator", defaultValue: { kind: "numberValueNode", number: IX[kind] } })
      expect(ix!.arguments.slice(1, 1 + (IX_BUMPS[kind]?.length ?? 0)).map((a) => a.name)).toEqual((IX_BUMPS[kind] ?? []).map((b) => `${camel(b)}Bump`))
    }
    for (const k of Object.keys(ACCOUNTS) as AccountKind[]) {
      const a = idl.program.accounts.find((x) => x.name === lowerFirst(k))!
      expect(a.size, k).toBe(ACCOUNTS[k].layout.size)
      expect(a.data.fields[0]!.defaultValue?.data, k).toBe(hex(DISCRIMINATORS[k]))
    }
    expect(idl.program.errors.map((e) => e.code)).toEqual(PROGRAM_ERRORS.map(ruleCode))
  })
})

// ---------------------------------------------------------------------- Codama's rendered JS client

type Fn = (...args: unknown[]) => unknown
interface Meta {
  readonly address: string
  readonly role: number
}

/**
 * @codama/renderers-js 2.2.0 (the newest the registry serves) reads `structTypeNode.fields` and
 * `programNode.errors` as arrays, while @codama/nodes ≥ 1.10 (codama 1.11) leaves empty ones out. The
 * test loads a copy of the renderer whose @codama/nodes import goes through a shim that puts empty
 * struct fields back, and fills the IDL's empty arrays in before rendering; the IDL itself is untouched.
 */
const loadRenderer = async (): Promise<{ renderVisitor: (dir: string, options: Record<string, unknown>) => unknown }> => {
  const require = createRequire(import.meta.url)
  const dist = dirname(require.resolve("@codama/renderers-js"))
  const compat = join(dist, "..", ".dotdns-compat")
  mkdirSync(compat, { recursive: true })
  writeFileSync(
    join(compat, "nodes.mjs"),
    [
      "export * from '@codama/nodes'",
      "import * as real from '@codama/nodes'",
      "const withFields = (n) => (n.fields === undefined ? Object.freeze({ ...n, fields: [] }) : n)",
      "export const structTypeNode = (fields) => withFields(real.structTypeNode(fields))",
      "export const structTypeNodeFromInstructionArgumentNodes = (nodes) => withFields(real.structTypeNodeFromInstructionArgumentNodes(nodes))",
      ""
    ].join("\n")
  )
  writeFileSync(join(compat, "index.mjs"), readFileSync(join(dist, "index.node.mjs"), "utf8").replace("from '@codama/nodes'", "from './nodes.mjs'"))
  copyFileSync(join(dist, "index.node.mjs.map"), join(compat, "index.node.mjs.map"))
  return (await import(pathToFileURL(join(compat, "index.mjs")).href)) as { renderVisitor: (dir: string, options: Record<string, unknown>) => unknown }
}

const ARRAYS: Record<string, readonly string[]> = {
  rootNode: ["additionalPrograms"],
  programNode: ["accounts", "instructions", "definedTypes", "pdas", "events", "errors", "constants"],
  instructionNode: ["accounts", "arguments", "extraArguments", "remainingAccounts", "byteDeltas", "discriminators", "subInstructions"],
  structTypeNode: ["fields"],
  enumTypeNode: ["variants"],
  pdaNode: ["seeds"],
  pdaValueNode: ["seeds"],
  accountNode: ["discriminators"],
  tupleTypeNode: ["items"]
}
const withArrays = (x: unknown): unknown => {
  if (Array.isArray(x)) return x.map(withArrays)
  if (typeof x !== "object" || x === null) return x
  const o: Record<string, unknown> = Object.fromEntries(Object.entries(x).map(([k, v]) => [k, withArrays(v)]))
  const kind = o["kind"]
  if (typeof kind === "string") for (const k of ARRAYS[kind] ?? []) o[k] ??= []
  return o
}

const addr = (b: Uint8Array): string => toBase58(b)
const statement = (s: AggregateStatement) => ({
  epoch: s.epoch, nameHash: s.nameHash, routeHash: s.routeHash, receiptRoot: s.receiptRoot, support: s.support, receiptCount: s.receiptCount,
  miner: addr(s.miner), batchCid: s.batchCid
})
const leaf = (l: Leaf) => ({ receiptHash: l.receiptHash, witness: addr(l.witness), weight: l.weight })
const receipt = (r: Receipt) => ({ epoch: r.epoch, nameHash: r.nameHash, routeHash: r.routeHash, witness: addr(r.witness) })
const leafRef = (r: LeafRef) => ({ epoch: r.epoch, nameHash: r.nameHash, miner: addr(r.miner), index: r.index })

/** The op's instruction data fields, as the rendered client names and types them. */
const argsOf = (op: Op): Record<string, unknown> => {
  switch (op.kind) {
    case "initialize":
      return { params: op.params, allowlist: op.allowlist.map(addr) }
    case "minerBond":
    case "minerUnbond":
    case "witnessBond":
    case "witnessUnbond":
    case "fundPool":
      return { amount: op.amount }
    case "minerWithdraw":
    case "unjail":
    case "witnessWithdraw":
    case "advanceEpoch":
      return {}
    case "claim":
      return { role: op.role === "miner" ? 0 : 1 }
    case "registerName":
      return { name: op.name }
    case "transferName":
      return { nameHash: op.nameHash, newOwner: addr(op.newOwner) }
    case "submitAggregate":
      return {
        statement: statement(op.statement),
        opening: op.opening.kind === "node" ? { __kind: "Node", left: op.opening.left, right: op.opening.right } : { __kind: "Leaf", leaf: leaf(op.opening.leaf) },
        serial: op.auth === null ? null : op.auth.serial
      }
    case "finalizeRound":
      return { epoch: op.epoch, nameHash: op.nameHash }
    case "proveEquivocation":
      return { first: statement(op.first.statement), second: op.second === null ? null : statement(op.second.statement) }
    case "pinLeaf":
      return { ...leafRef(op.leafRef), leaf: leaf(op.leaf), path: op.path }
    case "proveBadWeight":
    case "proveBadOrder":
    case "openReveal":
    case "resolveReveal":
    case "claimWitnessReward":
      return leafRef(op.leafRef)
    case "proveLeafMismatch":
      return { ...leafRef(op.leafRef), receipt: receipt(op.receipt), signature: op.signature }
    case "respondReveal":
      return { ...leafRef(op.leafRef), receipt: receipt(op.receipt) }
    case "propose":
      return { etaEpoch: op.etaEpoch, changes: op.changes.map((c) => ({ kind: c.kind, param: c.param, value: c.value, key: addr(c.key) })) }
    case "veto":
    case "execute":
      return { proposalId: op.proposalId }
  }
}

/** Codama's decoded value and the spec's agree: numbers, bytes, addresses (base58), arrays, structs. */
const sameValue = (codama: unknown, spec: unknown, path: string): void => {
  if (spec instanceof Uint8Array) {
    if (typeof codama === "string") expect(codama, path).toBe(addr(spec))
    else expect(equal(new Uint8Array(codama as Uint8Array), spec), path).toBe(true)
  } else if (Array.isArray(spec)) {
    expect((codama as unknown[]).length, path).toBe(spec.length)
    spec.forEach((x, i) => sameValue((codama as unknown[])[i], x, `${path}[${i}]`))
  } else if (typeof spec === "object" && spec !== null) {
    for (const [k, v] of Object.entries(spec)) sameValue((codama as Record<string, unknown>)[k], v, `${path}.${k}`)
  } else expect(BigInt(codama as number | bigint), path).toBe(BigInt(spec as number | bigint))
}

describe("Codama's rendered JavaScript client", () => {
  const out = join(ROOT, ".out", `codama-client-${process.pid}`)
  let client: Record<string, unknown>
  const fn = (name: string): Fn => {
    const f = client[name]
    if (typeof f !== "function") throw new Error(`the rendered client has no ${name}`)
    return f as Fn
  }

  beforeAll(async () => {
    const { renderVisitor } = await loadRenderer()
    const codama = createFromJson(JSON.stringify(withArrays(JSON.parse(idlText))))
    const log = console.warn
    console.warn = () => {} // the renderer notes that registerName's `name` argument is renamed `nameArg` in its input
    try {
      await codama.accept(renderVisitor(out, { formatCode: false, syncPackageJson: false }) as Parameters<typeof codama.accept>[0])
    } finally {
      console.warn = log
    }
    client = (await import(pathToFileURL(join(out, "src", "generated", "index.ts")).href)) as Record<string, unknown>
  }, 120_000)
  afterAll(() => rmSync(out, { recursive: true, force: true }))

  it("encodes ops of every kind byte for byte like encodeInstruction, with the accounts buildOp names", async () => {
    const ops: Op[] = [GENERATOR_PARAMS, STAKE_MODE_PARAMS].flatMap((params, i) =>
      fc.sample(opSequence({ params, minLength: 20, maxLength: 60 }), { numRuns: 40, seed: 20_261_124 + i }).flat().map((s) => s.op)
    )
    const view = { config: () => undefined, name: () => undefined, pin: () => undefined, challenge: () => undefined }
    const payer = new Uint8Array(32).fill(7)
    const seen = new Map<OpKind, number>()
    for (const op of ops) {
      let built: ReturnType<typeof buildOp>
      try {
        built = buildOp(op, { programId: DEV_PROGRAM_ID, payer, slot: 0n, view })
      } catch (e) {
        if (e instanceof RangeError) continue // not encodable (a field beyond its wire range)
        throw e
      }
      const ix = built.instructions.at(-1)!
      const spec = idl.program.instructions.find((i) => i.name === op.kind)!
      const bumps = Object.fromEntries((IX_BUMPS[op.kind] ?? []).map((b, i) => [`${camel(b)}Bump`, ix.data[1 + i]!]))
      const args = argsOf(op)
      // data: the encoder over every field
      const data = fn(`get${pascal(op.kind)}InstructionDataEncoder`)() as { encode(v: unknown): Uint8Array }
      expect(hex(new Uint8Array(data.encode({ ...bumps, ...args }))), `${op.kind} data`).toBe(hex(ix.data))
      // accounts and data: the async builder, given only what the IDL cannot derive
      const input: Record<string, unknown> = op.kind === "registerName" ? { ...args, nameArg: args["name"] } : { ...args }
      spec.arguments.forEach((a) => {
        const b = bumps[a.name]
        if (b !== undefined && a.defaultValue === undefined) input[a.name] = b
      })
      spec.accounts.forEach((a, i) => {
        if (a.defaultValue !== undefined) return
        if (op.kind === "registerName" && a.name === "name") delete input["name"]
        const address = addr(ix.keys[i]!.pubkey)
        input[a.name] = a.isSigner ? { address, signTransactions: async () => [] } : address
      })
      const made = (await fn(`get${pascal(op.kind)}InstructionAsync`)(input)) as { accounts: readonly Meta[]; data: Uint8Array }
      expect(made.accounts.map((m) => [m.address, m.role]), `${op.kind} accounts`).toEqual(ix.keys.map((k) => [addr(k.pubkey), (k.isSigner ? 2 : 0) + (k.isWritable ? 1 : 0)]))
      expect(hex(new Uint8Array(made.data)), `${op.kind} data from the builder (bumps derived)`).toBe(hex(ix.data))
      seen.set(op.kind, (seen.get(op.kind) ?? 0) + 1)
    }
    expect([...seen.keys()].sort()).toEqual([...KINDS].sort())
  }, 120_000)

  it("decodes every account of a live state as the spec's layouts do, and encodes it back", () => {
    const l = setup()
    const aggs = submitAll(l, 2n)
    l.run({ kind: "openReveal", challenger: challenger.publicKey, leafRef: ref(2n, miners[0], 0) })
    l.run(pin(aggs[0]!, 0))
    const r0 = aggs[0]!.receipts[0]!
    l.run({ kind: "respondReveal", leafRef: ref(2n, miners[0], 0), receipt: r0.receipt, signature: r0.signature })
    l.warpTo(roundOf(l, 2n).challengeEnd)
    l.run({ kind: "finalizeRound", epoch: 2n, nameHash: NH })
    l.run({ kind: "claimWitnessReward", leafRef: ref(2n, miners[0], 0) })
    const eta = l.state.config!.currentEpoch + 2n
    l.run({ kind: "propose", proposer: admin.publicKey, changes: [{ kind: 0, param: 17, value: 9n, key: new Uint8Array(32) }], etaEpoch: eta })
    l.run({ kind: "veto", voter: witnesses[0].publicKey, proposalId: 0n })
    const kinds = new Set<string>()
    for (const a of specAccounts(l.state, (s) => l.pda(s))) {
      const name = a.kind === "Vault" ? "vault" : lowerFirst(a.kind)
      const onChain = l.chain.raw(a.address)!.data
      expect(hex(onChain)).toBe(hex(a.bytes))
      const decoded = (fn(`get${pascal(name)}Decoder`)() as { decode(b: Uint8Array): unknown }).decode(onChain)
      if (a.kind !== "Vault") sameValue(decoded, decodeAccount(a.kind, onChain), a.kind)
      const encoded = (fn(`get${pascal(name)}Encoder`)() as { encode(v: unknown): Uint8Array }).encode(decoded)
      expect(hex(new Uint8Array(encoded)), a.kind).toBe(hex(onChain))
      kinds.add(a.kind)
    }
    expect([...kinds].sort()).toEqual(["Vault", ...Object.keys(ACCOUNTS).filter((k) => k !== "Vault")].sort())
  })

  it("derives the PDAs programs/client/pda.ts derives", async () => {
    const pk = fromBase58("9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin")
    const h = new Uint8Array(32).fill(3)
    const cases: [string, Record<string, unknown> | undefined, readonly Uint8Array[]][] = [
      ["Config", undefined, seeds.config()],
      ["Vault", undefined, seeds.vault()],
      ["MinerSet", undefined, seeds.miners()],
      ["Committee", { epoch: 7n }, seeds.committee(7n)],
      ["Witness", { key: addr(pk) }, seeds.witness(pk)],
      ["Name", { nameHash: h }, seeds.name(h)],
      ["Round", { epoch: 7n, nameHash: h }, seeds.round(7n, h)],
      ["Aggregate", { epoch: 7n, nameHash: h, miner: addr(pk) }, seeds.aggregate(7n, h, pk)],
      ["LeafPin", { epoch: 7n, nameHash: h, miner: addr(pk), index: 70_000 }, seeds.pin(7n, h, pk, 70_000)],
      ["Challenge", { epoch: 7n, nameHash: h, miner: addr(pk), index: 3 }, seeds.challenge(7n, h, pk, 3)],
      ["Proposal", { id: 2n }, seeds.proposal(2n)],
      ["Veto", { id: 2n, voter: addr(pk) }, seeds.veto(2n, pk)],
      ["Claim", { epoch: 7n, nameHash: h, miner: addr(pk), witness: addr(pk) }, seeds.claim(7n, h, pk, pk)]
    ]
    for (const [kind, input, s] of cases) {
      const [address, bump] = (await (input === undefined ? fn(`find${kind}Pda`)() : fn(`find${kind}Pda`)(input))) as [string, number]
      const ours = findPda(s, DEV_PROGRAM_ID)
      expect([address, bump], kind).toEqual([addr(ours.address), ours.bump])
    }
  })

  it("names every rule the program returns", () => {
    const message = fn("getDotdnsErrorMessage")
    for (const id of PROGRAM_ERRORS) expect(message(ruleCode(id)), id).toContain(`[${id}]`)
  })
})
