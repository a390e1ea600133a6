/**
 * Instructions [ACC-8]: the tag, data layout and ordered account list of every program instruction.
 * This one description is what the program parses, what the TypeScript client builds, what the IDL is
 * generated from, and what the prose tables show. Data opens with the 1-byte tag; integers are
 * little-endian; objects use their canonical encodings. Bumps of PDAs an instruction creates travel in
 * the data, so the program proves each address with one `create_program_address` inside the CPI.
 */
import { ChangeLayout, MAX_CHANGES, type Change } from "./accounts.ts"
import { decodeAll, Reader, Writer } from "./codec.ts"
import { decodeFixed, encodeFixed } from "./layout.ts"
import { MAX_PROOF_DEPTH, type SumNode } from "./merkle.ts"
import { NAME_MAX } from "./name.ts"
import {
  decodeAggregate, decodeLeaf, decodeReceipt, encodeAggregate, encodeLeaf, encodeReceipt, LEAF_SIZE, RECEIPT_SIZE
} from "./objects.ts"
import type { LeafRef, Op, OpKind, RootOpening } from "./ops.ts"
import { PARAM_SLOTS } from "./params.ts"
import { MAX_ALLOWLIST } from "./accounts.ts"

export const IX = {
  initialize: 0,
  minerBond: 1,
  minerUnbond: 2,
  minerWithdraw: 3,
  unjail: 4,
  witnessBond: 5,
  witnessUnbond: 6,
  witnessWithdraw: 7,
  claim: 8,
  fundPool: 9,
  registerName: 10,
  transferName: 11,
  advanceEpoch: 12,
  submitAggregate: 13,
  finalizeRound: 14,
  proveEquivocation: 15,
  pinLeaf: 16,
  proveBadWeight: 17,
  proveBadOrder: 18,
  proveLeafMismatch: 19,
  openReveal: 20,
  respondReveal: 21,
  resolveReveal: 22,
  propose: 23,
  veto: 24,
  execute: 25,
  claimWitnessReward: 26
} as const satisfies Record<OpKind, number>

export type AccountRole = "signer" | "writable" | "readonly" | "signerWritable"

/**
 * Account metas in order. `pda` names the account kind whose seeds locate it (see ACCOUNTS); `maybe`
 * marks a PDA that may not exist yet and is read as empty.
 */
export interface AccountSpec {
  readonly name: string
  readonly role: AccountRole
  readonly pda?: string
  readonly note?: string
}

const s = (name: string, note?: string): AccountSpec => ({ name, role: "signer", ...(note ? { note } : {}) })
const sw = (name: string, note?: string): AccountSpec => ({ name, role: "signerWritable", ...(note ? { note } : {}) })
const w = (name: string, pda?: string, note?: string): AccountSpec => ({ name, role: "writable", ...(pda ? { pda } : {}), ...(note ? { note } : {}) })
const r = (name: string, pda?: string, note?: string): AccountSpec => ({ name, role: "readonly", ...(pda ? { pda } : {}), ...(note ? { note } : {}) })
const SYSTEM = r("system_program", undefined, "11111111111111111111111111111111")
const IXS = r("instructions_sysvar", undefined, "Sysvar1nstructions1111111111111111111111111")
const PAYER = sw("payer", "pays rent of created accounts")

export const IX_ACCOUNTS: Record<OpKind, readonly AccountSpec[]> = {
  initialize: [s("authority"), PAYER, w("config", "Config"), w("vault", "Vault"), w("miners", "MinerSet"), w("committee", "Committee", "of the current epoch"), SYSTEM],
  minerBond: [sw("miner"), w("config", "Config"), w("miners", "MinerSet"), w("vault", "Vault"), SYSTEM],
  minerUnbond: [s("miner"), w("config", "Config"), w("miners", "MinerSet")],
  minerWithdraw: [sw("miner"), r("config", "Config"), w("miners", "MinerSet"), w("vault", "Vault")],
  unjail: [s("miner"), r("config", "Config"), w("miners", "MinerSet")],
  witnessBond: [sw("witness"), PAYER, w("config", "Config"), w("witness_account", "Witness"), w("vault", "Vault"), SYSTEM],
  witnessUnbond: [s("witness"), w("config", "Config"), w("witness_account", "Witness")],
  witnessWithdraw: [sw("witness"), r("config", "Config"), w("witness_account", "Witness"), w("vault", "Vault")],
  claim: [sw("claimant"), r("config", "Config"), w("stake_account", undefined, "MinerSet for role 0, the claimant's Witness for role 1"), w("vault", "Vault")],
  fundPool: [sw("funder"), w("config", "Config"), w("vault", "Vault"), SYSTEM],
  registerName: [sw("owner"), PAYER, w("config", "Config"), w("name", "Name"), w("vault", "Vault"), SYSTEM],
  transferName: [s("owner"), w("name", "Name")],
  advanceEpoch: [PAYER, w("config", "Config"), w("miners", "MinerSet"), w("committee", "Committee", "of the next epoch"), SYSTEM],
  submitAggregate: [
    s("miner"), PAYER, w("config", "Config"), w("miners", "MinerSet"), r("committee", "Committee", "of the statement's epoch"), r("name", "Name"),
    w("round", "Round", "created by the first submission"), w("aggregate", "Aggregate"), IXS, SYSTEM
  ],
  finalizeRound: [w("config", "Config"), w("miners", "MinerSet"), r("committee", "Committee"), w("name", "Name"), w("round", "Round")],
  proveEquivocation: [
    sw("challenger"), PAYER, w("config", "Config"), w("miners", "MinerSet"), w("vault", "Vault"), r("committee", "Committee", "maybe"),
    w("round", "Round", "maybe"), w("aggregate", "Aggregate", "maybe: created as a marker"), IXS, SYSTEM
  ],
  pinLeaf: [PAYER, r("aggregate", "Aggregate"), w("pin", "LeafPin"), SYSTEM],
  proveBadWeight: [
    sw("challenger"), w("config", "Config"), w("miners", "MinerSet"), w("vault", "Vault"), r("committee", "Committee"), w("round", "Round"),
    r("aggregate", "Aggregate"), r("pin", "LeafPin"), r("witness_account", "Witness", "maybe: the pinned witness's")
  ],
  proveBadOrder: [
    sw("challenger"), w("config", "Config"), w("miners", "MinerSet"), w("vault", "Vault"), r("committee", "Committee"), w("round", "Round"),
    r("aggregate", "Aggregate"), r("left_pin", "LeafPin"), r("right_pin", "LeafPin")
  ],
  proveLeafMismatch: [
    sw("challenger"), w("config", "Config"), w("miners", "MinerSet"), w("vault", "Vault"), r("committee", "Committee"), w("round", "Round"),
    r("aggregate", "Aggregate"), r("pin", "LeafPin")
  ],
  openReveal: [sw("challenger"), PAYER, r("config", "Config"), w("round", "Round"), r("aggregate", "Aggregate"), r("miners", "MinerSet"), w("challenge", "Challenge"), w("vault", "Vault"), SYSTEM],
  respondReveal: [
    r("config", "Config"), w("miners", "MinerSet"), w("round", "Round"), r("aggregate", "Aggregate"), r("pin", "LeafPin"), w("challenge", "Challenge"),
    r("witness_account", "Witness", "maybe: the pinned witness's"), IXS
  ],
  resolveReveal: [
    w("config", "Config"), w("miners", "MinerSet"), w("vault", "Vault"), r("committee", "Committee"), w("round", "Round"), r("aggregate", "Aggregate"),
    w("challenge", "Challenge"), w("challenger", undefined, "the challenge's challenger, refunded")
  ],
  propose: [s("proposer"), PAYER, w("config", "Config"), r("miners", "MinerSet"), r("witness_account", "Witness", "maybe: the proposer's"), w("proposal", "Proposal"), SYSTEM],
  veto: [s("voter"), PAYER, r("config", "Config"), r("miners", "MinerSet"), r("witness_account", "Witness", "maybe: the voter's"), w("proposal", "Proposal"), w("veto", "Veto"), SYSTEM],
  execute: [w("config", "Config"), w("proposal", "Proposal")],
  claimWitnessReward: [
    PAYER, r("committee", "Committee"), w("round", "Round"), r("aggregate", "Aggregate"), r("pin", "LeafPin"), w("witness_account", "Witness"),
    w("claim", "Claim"), SYSTEM
  ]
}

/** PDA bumps an instruction carries, one per account it may create, in account order. */
export type Bumps = readonly number[]

export const IX_BUMPS: Partial<Record<OpKind, readonly string[]>> = {
  initialize: ["config", "vault", "miners", "committee"],
  witnessBond: ["witness_account"],
  registerName: ["name"],
  advanceEpoch: ["committee"],
  submitAggregate: ["round", "aggregate"],
  proveEquivocation: ["aggregate"],
  pinLeaf: ["pin"],
  proveBadWeight: ["witness_account"],
  openReveal: ["challenge"],
  propose: ["proposal"],
  veto: ["veto"],
  claimWitnessReward: ["claim"]
}

const writeRef = (wr: Writer, ref: LeafRef): Writer => wr.u64(ref.epoch).fixed(ref.nameHash, 32).fixed(ref.miner, 32).u32(ref.index)
const readRef = (rd: Reader): LeafRef => ({ epoch: rd.u64(), nameHash: rd.fixed(32), miner: rd.fixed(32), index: rd.u32() })
const writeNode = (wr: Writer, n: SumNode): Writer => wr.fixed(n.hash, 32).u64(n.sum)
const readNode = (rd: Reader): SumNode => ({ hash: rd.fixed(32), sum: rd.u64() })

/** A nested object inside instruction data: u16 length then its canonical encoding. */
const writeObject = (wr: Writer, bytes: Uint8Array): Writer => wr.u16(bytes.length).fixed(bytes, bytes.length)
const readObject = (rd: Reader, max: number): Uint8Array => {
  const n = rd.u16()
  if (n > max) rd.fail("ENC-3", `object of ${n} bytes exceeds ${max}`)
  return rd.fixed(n)
}
const AGGREGATE_MAX = 2 + 8 + 32 * 3 + 8 + 4 + 32 + 1 + 4 + 64

/**
 * Encodes an op as instruction data [ACC-8]. Signatures proven by the Ed25519 program are not in the
 * data: the program reads them from that instruction.
 */
export const encodeInstruction = (op: Op, bumps: Bumps = []): Uint8Array => {
  const wr = new Writer().u8(IX[op.kind])
  const want = IX_BUMPS[op.kind]?.length ?? 0
  if (bumps.length !== want) throw new RangeError(`${op.kind} carries ${want} bumps, got ${bumps.length}`)
  for (const b of bumps) wr.u8(b)
  switch (op.kind) {
    case "initialize":
      op.params.forEach((v) => wr.u64(v))
      wr.u8(op.allowlist.length)
      op.allowlist.forEach((k) => wr.fixed(k, 32))
      break
    case "minerBond":
    case "minerUnbond":
    case "witnessBond":
    case "witnessUnbond":
    case "fundPool":
      wr.u64(op.amount)
      break
    case "minerWithdraw":
    case "unjail":
    case "witnessWithdraw":
    case "advanceEpoch":
      break
    case "claim":
      wr.u8(op.role === "miner" ? 0 : 1)
      break
    case "registerName": {
      const raw = new TextEncoder().encode(op.name)
      wr.u8(raw.length).fixed(raw, raw.length)
      break
    }
    case "transferName":
      wr.fixed(op.nameHash, 32).fixed(op.newOwner, 32)
      break
    case "submitAggregate":
      writeObject(wr, encodeAggregate(op.statement))
      writeOpening(wr, op.opening)
      if (op.auth === null) wr.u8(0)
      else wr.u8(1).u64(op.auth.serial)
      break
    case "finalizeRound":
      wr.u64(op.epoch).fixed(op.nameHash, 32)
      break
    case "proveEquivocation":
      writeObject(wr, encodeAggregate(op.first.statement))
      if (op.second === null) wr.u8(0)
      else writeObject(wr.u8(1), encodeAggregate(op.second.statement))
      break
    case "pinLeaf":
      writeRef(wr, op.leafRef).fixed(encodeLeaf(op.leaf), LEAF_SIZE).u8(op.path.length)
      op.path.forEach((n) => writeNode(wr, n))
      break
    case "proveBadWeight":
    case "proveBadOrder":
    case "openReveal":
    case "resolveReveal":
    case "claimWitnessReward":
      writeRef(wr, op.leafRef)
      break
    case "proveLeafMismatch":
      writeRef(wr, op.leafRef).fixed(encodeReceipt(op.receipt), RECEIPT_SIZE).fixed(op.signature, 64)
      break
    case "respondReveal":
      writeRef(wr, op.leafRef).fixed(encodeReceipt(op.receipt), RECEIPT_SIZE)
      break
    case "propose":
      wr.u64(op.etaEpoch).u8(op.changes.length)
      op.changes.forEach((c) => wr.fixed(encodeFixed(ChangeLayout, c), ChangeLayout.size))
      break
    case "veto":
    case "execute":
      wr.u64(op.proposalId)
      break
  }
  return wr.finish()
}

const writeOpening = (wr: Writer, o: RootOpening): void => {
  if (o.kind === "node") writeNode(writeNode(wr.u8(0), o.left), o.right)
  else wr.u8(1).fixed(encodeLeaf(o.leaf), LEAF_SIZE)
}

/** Instruction data with what the Ed25519 instruction contributes left out; see `encodeInstruction`. */
export type DecodedInstruction = { readonly kind: OpKind; readonly bumps: number[]; readonly fields: Record<string, unknown> }

/** Decodes instruction data, rejecting unknown tags, truncation, trailing bytes and oversize [ENC-2], [ACC-10]. */
export const decodeInstruction = (data: Uint8Array): DecodedInstruction =>
  decodeAll(data, "Instruction", (rd) => {
    const tag = rd.u8()
    const kind = (Object.keys(IX) as OpKind[]).find((k) => IX[k] === tag)
    if (kind === undefined) return rd.fail("ACC-10", `unknown instruction tag ${tag}`)
    const bumps = (IX_BUMPS[kind] ?? []).map(() => rd.u8())
    const f: Record<string, unknown> = {}
    switch (kind) {
      case "initialize": {
        f.params = Array.from({ length: PARAM_SLOTS }, () => rd.u64())
        const n = rd.u8()
        if (n > MAX_ALLOWLIST) rd.fail("GOV-9", `allowlist of ${n} exceeds ${MAX_ALLOWLIST}`)
        f.allowlist = Array.from({ length: n }, () => rd.fixed(32))
        break
      }
      case "minerBond":
      case "minerUnbond":
      case "witnessBond":
      case "witnessUnbond":
      case "fundPool":
        f.amount = rd.u64()
        break
      case "minerWithdraw":
      case "unjail":
      case "witnessWithdraw":
      case "advanceEpoch":
        break
      case "claim": {
        const role = rd.u8()
        if (role > 1) rd.fail("ACC-10", `claim role ${role} is not 0 or 1`)
        f.role = role === 0 ? "miner" : "witness"
        break
      }
      case "registerName": {
        const n = rd.u8()
        if (n > NAME_MAX) rd.fail("NAM-2", `name of ${n} bytes exceeds ${NAME_MAX}`)
        const raw = rd.fixed(n)
        try {
          f.name = new TextDecoder("utf-8", { fatal: true }).decode(raw)
        } catch {
          rd.fail("ENC-3", "name is not valid UTF-8")
        }
        break
      }
      case "transferName":
        f.nameHash = rd.fixed(32)
        f.newOwner = rd.fixed(32)
        break
      case "submitAggregate": {
        f.statement = decodeAggregate(readObject(rd, AGGREGATE_MAX))
        const k = rd.u8()
        if (k === 0) f.opening = { kind: "node", left: readNode(rd), right: readNode(rd) }
        else if (k === 1) f.opening = { kind: "leaf", leaf: decodeLeaf(rd.fixed(LEAF_SIZE)) }
        else rd.fail("ACC-10", `opening kind ${k} is not 0 or 1`)
        f.serial = rd.option() ? rd.u64() : null
        break
      }
      case "finalizeRound":
        f.epoch = rd.u64()
        f.nameHash = rd.fixed(32)
        break
      case "proveEquivocation":
        f.first = decodeAggregate(readObject(rd, AGGREGATE_MAX))
        f.second = rd.option() ? decodeAggregate(readObject(rd, AGGREGATE_MAX)) : null
        break
      case "pinLeaf": {
        f.leafRef = readRef(rd)
        f.leaf = decodeLeaf(rd.fixed(LEAF_SIZE))
        const n = rd.u8()
        if (n > MAX_PROOF_DEPTH) rd.fail("MRK-6", `a path of ${n} exceeds depth ${MAX_PROOF_DEPTH}`)
        f.path = Array.from({ length: n }, () => readNode(rd))
        break
      }
      case "proveBadWeight":
      case "proveBadOrder":
      case "openReveal":
      case "resolveReveal":
      case "claimWitnessReward":
        f.leafRef = readRef(rd)
        break
      case "proveLeafMismatch":
        f.leafRef = readRef(rd)
        f.receipt = decodeReceipt(rd.fixed(RECEIPT_SIZE))
        f.signature = rd.fixed(64)
        break
      case "respondReveal":
        f.leafRef = readRef(rd)
        f.receipt = decodeReceipt(rd.fixed(RECEIPT_SIZE))
        break
      case "propose": {
        f.etaEpoch = rd.u64()
        const n = rd.u8()
        if (n < 1 || n > MAX_CHANGES) rd.fail("GOV-2", `a proposal carries 1..${MAX_CHANGES} changes, not ${n}`)
        f.changes = Array.from({ length: n }, (): Change => decodeFixed(ChangeLayout, rd.fixed(ChangeLayout.size), "Change"))
        break
      }
      case "veto":
      case "execute":
        f.proposalId = rd.u64()
        break
    }
    return { kind, bumps, fields: f }
  })
