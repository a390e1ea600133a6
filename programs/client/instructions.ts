/**
 * Ops as transactions: the dotdns instruction (data from the spec's `encodeInstruction`, accounts in the
 * spec's `IX_ACCOUNTS` order, PDAs derived here) preceded by an Ed25519-program instruction when the op
 * relies on signatures [SIG-2]. Accounts an op does not name (the owner of a name, the witness of a
 * pinned leaf, a challenge's challenger) are read through `ChainView`, from the chain or the spec state.
 */
import type { ChallengeAccount, ConfigAccount, LeafPinAccount, NameAccount } from "../../spec/src/accounts.ts"
import { IX_ACCOUNTS, IX_BUMPS, encodeInstruction } from "../../spec/src/instructions.ts"
import { nameHash as nameHashOf } from "../../spec/src/name.ts"
import { aggregateDigest, receiptDigest, routeAuthDigest } from "../../spec/src/objects.ts"
import type { LeafRef, Op } from "../../spec/src/ops.ts"
import { PARAM } from "../../spec/src/params.ts"
import { fromBase58 } from "./base58.ts"
import { ed25519Instruction, type SignatureEntry } from "./ed25519-instruction.ts"
import type { AccountMeta, Instruction } from "./message.ts"
import { findPda, seeds } from "./pda.ts"

export const SYSTEM_PROGRAM_ID = new Uint8Array(32)
export const INSTRUCTIONS_SYSVAR_ID = fromBase58("Sysvar1nstructions1111111111111111111111111")

/** What a builder may need to know about current on-chain state. */
export interface ChainView {
  config(): ConfigAccount | undefined
  name(nameHash: Uint8Array): NameAccount | undefined
  pin(ref: LeafRef): LeafPinAccount | undefined
  challenge(ref: LeafRef): ChallengeAccount | undefined
}

export interface BuildContext {
  readonly programId: Uint8Array
  readonly payer: Uint8Array
  /** The slot the transaction is expected to land in (initialize places the first committee by it). */
  readonly slot: bigint
  readonly view: ChainView
}

export interface Built {
  readonly instructions: Instruction[]
  /** Keys that must sign besides the payer. */
  readonly signers: Uint8Array[]
}

const ZERO = new Uint8Array(32)

export const buildOp = (op: Op, ctx: BuildContext): Built => {
  const pid = ctx.programId
  const pda = (s: readonly Uint8Array[]) => findPda(s, pid)
  const a: Record<string, Uint8Array> = {
    payer: ctx.payer,
    system_program: SYSTEM_PROGRAM_ID,
    instructions_sysvar: INSTRUCTIONS_SYSVAR_ID,
    config: pda(seeds.config()).address,
    vault: pda(seeds.vault()).address,
    miners: pda(seeds.miners()).address
  }
  const bumpOf: Record<string, number> = {}
  const put = (name: string, s: readonly Uint8Array[]): void => {
    const p = pda(s)
    a[name] = p.address
    bumpOf[name] = p.bump
  }
  const entries: SignatureEntry[] = []
  const signers: Uint8Array[] = []
  const signer = (k: Uint8Array) => signers.push(k)
  const leafAccounts = (ref: LeafRef) => {
    put("committee", seeds.committee(ref.epoch))
    put("round", seeds.round(ref.epoch, ref.nameHash))
    put("aggregate", seeds.aggregate(ref.epoch, ref.nameHash, ref.miner))
    put("pin", seeds.pin(ref.epoch, ref.nameHash, ref.miner, ref.index))
    put("challenge", seeds.challenge(ref.epoch, ref.nameHash, ref.miner, ref.index))
  }
  const pinnedWitness = (ref: LeafRef): Uint8Array => ctx.view.pin(ref)?.witness ?? ZERO

  switch (op.kind) {
    case "initialize":
      signer(op.authority)
      a.authority = op.authority
      put("config", seeds.config())
      put("vault", seeds.vault())
      put("miners", seeds.miners())
      put("committee", seeds.committee(ctx.slot / op.params[PARAM.epochLengthSlots]!))
      break
    case "minerBond":
    case "minerUnbond":
    case "minerWithdraw":
    case "unjail":
      signer(op.miner)
      a.miner = op.miner
      break
    case "witnessBond":
    case "witnessUnbond":
    case "witnessWithdraw":
      signer(op.witness)
      a.witness = op.witness
      put("witness_account", seeds.witness(op.witness))
      break
    case "claim":
      signer(op.who)
      a.claimant = op.who
      a.stake_account = op.role === "miner" ? a.miners! : pda(seeds.witness(op.who)).address
      break
    case "fundPool":
      signer(op.funder)
      a.funder = op.funder
      break
    case "registerName":
      signer(op.owner)
      a.owner = op.owner
      put("name", seeds.name(nameHashOf(op.name)))
      break
    case "transferName":
      signer(op.owner)
      a.owner = op.owner
      put("name", seeds.name(op.nameHash))
      break
    case "advanceEpoch":
      put("committee", seeds.committee((ctx.view.config()?.currentEpoch ?? 0n) + 1n))
      break
    case "submitAggregate": {
      const st = op.statement
      signer(st.miner)
      a.miner = st.miner
      put("committee", seeds.committee(st.epoch))
      put("name", seeds.name(st.nameHash))
      put("round", seeds.round(st.epoch, st.nameHash))
      put("aggregate", seeds.aggregate(st.epoch, st.nameHash, st.miner))
      if (op.auth !== null)
        entries.push({
          publicKey: op.auth.owner,
          message: routeAuthDigest({ nameHash: st.nameHash, serial: op.auth.serial, routeHash: st.routeHash }),
          signature: op.auth.signature
        })
      break
    }
    case "finalizeRound":
      put("committee", seeds.committee(op.epoch))
      put("name", seeds.name(op.nameHash))
      put("round", seeds.round(op.epoch, op.nameHash))
      break
    case "proveEquivocation": {
      const st = op.first.statement
      signer(op.challenger)
      a.challenger = op.challenger
      put("committee", seeds.committee(st.epoch))
      put("round", seeds.round(st.epoch, st.nameHash))
      put("aggregate", seeds.aggregate(st.epoch, st.nameHash, st.miner))
      entries.push({ publicKey: st.miner, message: aggregateDigest(st), signature: op.first.signature })
      if (op.second !== null)
        entries.push({ publicKey: op.second.statement.miner, message: aggregateDigest(op.second.statement), signature: op.second.signature })
      break
    }
    case "pinLeaf":
      leafAccounts(op.leafRef)
      break
    case "proveBadWeight":
      signer(op.challenger)
      a.challenger = op.challenger
      leafAccounts(op.leafRef)
      put("witness_account", seeds.witness(pinnedWitness(op.leafRef)))
      break
    case "proveBadOrder":
      signer(op.challenger)
      a.challenger = op.challenger
      leafAccounts(op.leafRef)
      a.left_pin = a.pin!
      a.right_pin = pda(seeds.pin(op.leafRef.epoch, op.leafRef.nameHash, op.leafRef.miner, op.leafRef.index + 1)).address
      break
    case "proveLeafMismatch":
    case "openReveal":
      signer(op.challenger)
      a.challenger = op.challenger
      leafAccounts(op.leafRef)
      break
    case "respondReveal":
      leafAccounts(op.leafRef)
      a.witness_account = pda(seeds.witness(pinnedWitness(op.leafRef))).address
      entries.push({ publicKey: op.receipt.witness, message: receiptDigest(op.receipt), signature: op.signature })
      break
    case "resolveReveal":
      leafAccounts(op.leafRef)
      a.challenger = ctx.view.challenge(op.leafRef)?.challenger ?? ZERO
      break
    case "propose":
      signer(op.proposer)
      a.proposer = op.proposer
      a.witness_account = pda(seeds.witness(op.proposer)).address
      put("proposal", seeds.proposal(ctx.view.config()?.nextProposalId ?? 0n))
      break
    case "veto":
      signer(op.voter)
      a.voter = op.voter
      a.witness_account = pda(seeds.witness(op.voter)).address
      put("proposal", seeds.proposal(op.proposalId))
      put("veto", seeds.veto(op.proposalId, op.voter))
      break
    case "execute":
      put("proposal", seeds.proposal(op.proposalId))
      break
    case "claimWitnessReward": {
      const w = pinnedWitness(op.leafRef)
      leafAccounts(op.leafRef)
      a.witness_account = pda(seeds.witness(w)).address
      put("claim", seeds.claim(op.leafRef.epoch, op.leafRef.nameHash, op.leafRef.miner, w))
      break
    }
  }

  const keys: AccountMeta[] = IX_ACCOUNTS[op.kind].map((spec) => {
    const pubkey = a[spec.name]
    if (pubkey === undefined) throw new Error(`${op.kind}: no address for account ${spec.name}`)
    return { pubkey, isSigner: spec.role === "signer" || spec.role === "signerWritable", isWritable: spec.role === "writable" || spec.role === "signerWritable" }
  })
  const bumps = (IX_BUMPS[op.kind] ?? []).map((n) => bumpOf[n] ?? 0)
  const ix: Instruction = { programId: pid, keys, data: encodeInstruction(op, bumps) }
  return { instructions: entries.length > 0 ? [ed25519Instruction(entries), ix] : [ix], signers }
}

