/**
 * Runs every op on the executable spec (`apply`) and on the C program (in LiteSVM or bankrun, behind
 * the `ChainRuntime` port) at the same slot, and checks that both agree: the same rule on rejection (a
 * failed Ed25519 instruction is SIG-1: the native program verifies every carried signature before
 * dotdns runs, as `apply` does first), and on success every account of the spec state, encoded, equal
 * byte for byte to the program's account, the vault's lamports above rent equal to `vaultBalance`, and
 * every actor's lamport change equal to its `wallets` entry. A rejection must leave every account it
 * names untouched.
 *
 * A runtime that does not run the Ed25519 program's checks (bankrun) lets a forged carried signature
 * through: there the program must do exactly what `apply` does without its SIG-1 check — that
 * divergence, and only it, is asserted, recorded in `precompileGaps`, and then undone on the chain so
 * both sides carry on from the spec's state.
 */
import { ACCOUNTS, DISCRIMINATORS, VaultLayout, type AccountKind } from "../../../spec/src/accounts.ts"
import { equal, hex } from "../../../spec/src/bytes.ts"
import { verify, type Keypair } from "../../../spec/src/ed25519.ts"
import { H } from "../../../spec/src/hash.ts"
import { carriedSignatures, isError, PROCESSORS } from "../../../spec/src/apply.ts"
import { DecodeError, ProtocolError } from "../../../spec/src/errors.ts"
import { decodeInstruction, IX_ACCOUNTS } from "../../../spec/src/instructions.ts"
import { encodeFixed, type AnyLayout } from "../../../spec/src/layout.ts"
import type { Op, OpKind } from "../../../spec/src/ops.ts"
import { LOCALNET_PARAMS, type Params } from "../../../spec/src/params.ts"
import type { RuleId } from "../../../spec/src/rules.ts"
import { cloneState, type Env, type State } from "../../../spec/src/state.ts"
import { LAYOUT_VERSION } from "../../../spec/src/version.ts"
import { World } from "../../../spec/test/world.ts"
import { fromBase58, toBase58 } from "../../client/base58.ts"
import { buildOp } from "../../client/instructions.ts"
import type { Instruction } from "../../client/message.ts"
import { seeds } from "../../client/pda.ts"
import { SYSTEM_OWNER, type ChainRuntime, type RawAccount, type RuntimeKind } from "../../client/runtime.ts"
import { resultOf, SvmHarness, type SendResult } from "../../client/svm.ts"
import { appendFileSync } from "node:fs"

export class Divergence extends Error {
  override readonly name = "Divergence"
}

/** The client cannot encode the op as an instruction (a field out of its range): it never reaches a chain. */
export class Unencodable extends Error {
  override readonly name = "Unencodable"
}

/** One account the spec state holds, where the program must hold it. */
export interface SpecAccount {
  readonly kind: AccountKind | "Vault"
  readonly address: Uint8Array
  readonly bytes: Uint8Array
}

const enc = (kind: AccountKind, v: unknown): Uint8Array => encodeFixed(ACCOUNTS[kind].layout as AnyLayout, v)

/** Every account of the spec state with its PDA and encoding (the vault's header included). */
export const specAccounts = (s: State, pda: (seeds: readonly Uint8Array[]) => Uint8Array): SpecAccount[] => {
  const out: SpecAccount[] = []
  const put = (kind: AccountKind | "Vault", address: Uint8Array, bytes: Uint8Array) => out.push({ kind, address, bytes })
  if (s.config === undefined) return out
  put("Config", pda(seeds.config()), enc("Config", s.config))
  put("Vault", pda(seeds.vault()), encodeFixed(VaultLayout, { disc: DISCRIMINATORS.Vault, version: LAYOUT_VERSION }))
  if (s.minerSet) put("MinerSet", pda(seeds.miners()), enc("MinerSet", s.minerSet))
  for (const c of s.committees.values()) put("Committee", pda(seeds.committee(c.epoch)), enc("Committee", c))
  for (const w of s.witnesses.values()) put("Witness", pda(seeds.witness(w.key)), enc("Witness", w))
  for (const n of s.names.values()) put("Name", pda(seeds.name(n.nameHash)), enc("Name", n))
  for (const r of s.rounds.values()) put("Round", pda(seeds.round(r.epoch, r.nameHash)), enc("Round", r))
  for (const a of s.aggregates.values()) put("Aggregate", pda(seeds.aggregate(a.epoch, a.nameHash, a.miner)), enc("Aggregate", a))
  for (const p of s.pins.values()) put("LeafPin", pda(seeds.pin(p.epoch, p.nameHash, p.miner, p.index)), enc("LeafPin", p))
  for (const c of s.challenges.values())
    put("Challenge", pda(seeds.challenge(c.epoch, c.nameHash, c.miner, c.leafIndex)), enc("Challenge", c))
  for (const p of s.proposals.values()) put("Proposal", pda(seeds.proposal(p.id)), enc("Proposal", p))
  for (const v of s.vetoes.values()) put("Veto", pda(seeds.veto(v.proposalId, v.voter)), enc("Veto", v))
  for (const c of s.claims.values()) put("Claim", pda(seeds.claim(c.epoch, c.nameHash, c.miner, c.witness)), enc("Claim", c))
  return out
}

/**
 * The rule decodeInstruction names when the bytes are malformed (ENC-*, ACC-10): the encoding itself
 * is broken. Range rules it also checks (NAM-2, GOV-2, GOV-9, MRK-6) are left to `apply`'s order,
 * which the program follows.
 */
const decodingRule = (data: Uint8Array): RuleId | undefined => {
  try {
    decodeInstruction(data)
    return undefined
  } catch (e) {
    if (e instanceof DecodeError && (e.rule.startsWith("ENC-") || e.rule === "ACC-10" || e.rule === "VER-2")) return e.rule
    if (e instanceof DecodeError) return undefined
    throw e
  }
}

/** Accounts of IX_ACCOUNTS that are neither PDAs nor outside keys. */
const NOT_ACTORS = new Set(["payer", "system_program", "instructions_sysvar", "stake_account"])

/**
 * An op whose carried signature does not verify, run where the Ed25519 program's checks do not run
 * (bankrun): the spec rejects it [SIG-1]; the program, never told, did what `apply` without that check
 * does — accepted it with the same accounts, or named the same later rule.
 */
export interface PrecompileGap {
  readonly op: Op
  readonly chain: "accepted" | RuleId
}

export type Outcome =
  | { readonly ok: true; readonly computeUnits: number }
  | { readonly ok: false; readonly rule: RuleId; readonly gap?: PrecompileGap }

interface Snapshot {
  readonly key: Uint8Array
  readonly data: Uint8Array | undefined
  readonly lamports: bigint
  readonly account: RawAccount | undefined
}

/** `apply` without its first step, the SIG-1 check: what the program does when the precompile's check is missing. */
export const applyWithoutSig1 = (state: State, op: Op, env: Env): State | ProtocolError => {
  const next = cloneState(state)
  try {
    ;(PROCESSORS[op.kind] as (s: State, op: Op, env: Env) => void)(next, op, env)
    return next
  } catch (e) {
    if (e instanceof ProtocolError) return e
    throw e
  }
}

/** With DOTDNS_RULES_LOG set, every rule both sides agreed on is appended there (rule coverage). */
const RULES_LOG = process.env["DOTDNS_RULES_LOG"]
const logRule = (rule: RuleId, how: string): void => {
  if (RULES_LOG !== undefined) appendFileSync(RULES_LOG, `${rule} ${how}\n`)
}

const PROGRAM_CONSUMED = /^Program (\w+) consumed (\d+) of \d+ compute units$/

/** The units the dotdns instruction itself consumed, read from its log line. */
const programUnits = (logs: readonly string[], programId: string): number | undefined => {
  for (const line of logs) {
    const m = PROGRAM_CONSUMED.exec(line)
    if (m !== null && m[1] === programId) return Number(m[2])
  }
  return undefined
}

/**
 * A rejected transaction's rule: SIG-1 when its Ed25519 instruction (instruction 0) failed — a carried
 * signature does not verify, and the native program rejects the transaction before dotdns runs —
 * else the custom code of the dotdns instruction.
 */
const chainRule = (r: Extract<SendResult, { ok: false }>, hadEd25519: boolean): RuleId | undefined => {
  if (hadEd25519 && r.instruction === 0) return "SIG-1"
  return r.rule
}

/**
 * Whether every entry of an Ed25519-program instruction verifies: if one does not, the native program
 * fails the transaction before dotdns runs [SIG-1].
 */
export const entriesVerify = (ix: Instruction): boolean => {
  const d = ix.data
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength)
  for (let i = 0; i < d[0]!; i++) {
    const at = 2 + 14 * i
    const sig = v.getUint16(at, true)
    const pk = v.getUint16(at + 4, true)
    const msg = v.getUint16(at + 8, true)
    const size = v.getUint16(at + 10, true)
    if (!verify(d.subarray(pk, pk + 32), d.subarray(msg, msg + size), d.subarray(sig, sig + 64))) return false
  }
  return true
}

export interface LockstepOptions {
  readonly params?: Params
  /**
   * Verify transaction signatures (default). Off, any key can be made to sign (`impersonate`), which
   * replays ops of keys whose secrets are unknown, e.g. from vectors; Ed25519-program entries are
   * still verified. (bankrun verifies neither.)
   */
  readonly sigverify?: boolean
  /** Default: `DOTDNS_RUNTIME`, else LiteSVM. */
  readonly runtime?: RuntimeKind
}

export class Lockstep {
  readonly world: World
  readonly chain: SvmHarness
  readonly runtime: ChainRuntime
  readonly programId: Uint8Array
  /** Units the dotdns instruction consumed, per op kind, in order. */
  readonly units = new Map<OpKind, number[]>()
  private readonly programB58: string
  private readonly baseline = new Map<string, bigint>()
  private readonly actors = new Map<string, Uint8Array>()
  /** Keys `sendAltered` signs with (the harness keeps its own ring private). */
  private readonly keyring = new Map<string, Keypair>()
  private vaultRent: bigint
  /** Ops whose instruction bytes the spec's decoder rejects as malformed, with its rule. */
  readonly undecoded: { op: Op; rule: RuleId }[] = []
  /** Ops with a forged carried signature that the runtime let through (see `PrecompileGap`); empty on LiteSVM. */
  readonly precompileGaps: PrecompileGap[] = []

  constructor(opts: LockstepOptions = {}) {
    this.world = new World(opts.params ?? LOCALNET_PARAMS)
    this.chain = new SvmHarness({ sigverify: opts.sigverify ?? true, ...(opts.runtime !== undefined ? { runtime: opts.runtime } : {}) })
    this.runtime = this.chain.runtime
    this.programId = this.chain.programId
    this.programB58 = toBase58(this.programId)
    this.vaultRent = this.runtime.rentExemptMinimum(VaultLayout.size)
    this.fund(this.chain.payer.publicKey, 1_000_000_000_000_000_000n)
  }

  /** Credits an account directly (a system account when it does not exist yet). */
  fund(pubkey: Uint8Array, amount: bigint): void {
    this.runtime.airdrop(pubkey, amount)
  }

  /** Releases the runtime (bankrun: its context goes back to the pool). */
  close(): void {
    this.chain.close()
  }

  get state(): State {
    return this.world.state
  }
  get slot(): bigint {
    return this.world.slot
  }
  pda(s: readonly Uint8Array[]): Uint8Array {
    return this.chain.pda(s)
  }

  /** Registers a signing key and funds it; its lamports from here on are its wallet in the spec. */
  actor(kp: Keypair, amount = 1_000_000_000_000_000n): Keypair {
    const k = hex(kp.publicKey)
    this.chain.addKey(kp)
    this.keyring.set(k, kp)
    this.fund(kp.publicKey, amount)
    this.baseline.set(k, (this.baseline.get(k) ?? 0n) + amount)
    this.actors.set(k, kp.publicKey)
    return kp
  }

  /**
   * Starts both sides from a spec state: every spec account is written at its PDA (rent-exempt, the
   * vault holding rent + vaultBalance), and each wallet's key is funded so that its balance minus its
   * baseline is its wallet entry.
   */
  load(state: State, slot: bigint): void {
    this.world.state = structuredClone(state)
    this.warpTo(slot)
    for (const a of specAccounts(state, (x) => this.pda(x))) {
      const rent = this.runtime.rentExemptMinimum(a.bytes.length)
      this.runtime.setAccount(a.address, { lamports: a.kind === "Vault" ? rent + state.vaultBalance : rent, data: a.bytes, owner: this.programId, executable: false })
    }
    for (const k of state.wallets.keys()) this.ensureActor(Buffer.from(k, "hex"))
  }

  /** Funds an outside key the first time an op names it, with its baseline set from its wallet entry. */
  private ensureActor(pk: Uint8Array): void {
    const k = hex(pk)
    if (this.actors.has(k)) return
    const funded = 1_000_000_000_000_000n
    this.fund(pk, funded)
    this.baseline.set(k, funded - (this.world.state.wallets.get(k) ?? 0n))
    this.actors.set(k, pk)
    if (!this.keyring.has(k)) {
      const stand = { publicKey: new Uint8Array(pk), secretKey: H("dotdns/lockstep/impersonate", pk) }
      this.keyring.set(k, stand)
      this.chain.addKey(stand)
    }
  }

  /** Makes every outside key an op names (signers, recipients) an actor (only with sigverify off). */
  impersonate(op: Op): void {
    const { instructions } = this.build(op)
    const ix = instructions[instructions.length - 1]!
    const names = IX_ACCOUNTS[op.kind]
    ix.keys.forEach((m, i) => {
      const spec = names[i]!
      if (spec.pda !== undefined || NOT_ACTORS.has(spec.name)) return
      this.ensureActor(m.pubkey)
    })
  }

  warpTo(slot: bigint): void {
    this.world.warpTo(slot)
    this.chain.setSlot(slot)
  }

  /** Moves the clock to `offset` slots into `epoch` and cranks both sides up to it. */
  toEpoch(epoch: bigint, offset = 0n): void {
    this.warpTo(epoch * this.world.L + offset)
    while (this.world.state.config!.currentEpoch < epoch) this.run({ kind: "advanceEpoch" })
  }

  /** The accounts and signers the op's transaction uses, as the client builds it now. */
  build(op: Op): { instructions: Instruction[]; keys: Uint8Array[] } {
    let built: ReturnType<typeof buildOp>
    try {
      built = buildOp(op, { programId: this.programId, payer: this.chain.payer.publicKey, slot: this.world.slot, view: this.chain })
    } catch (e) {
      if (e instanceof RangeError) throw new Unencodable(`${op.kind}: ${e.message}`)
      throw e
    }
    const ix = built.instructions[built.instructions.length - 1]!
    return { instructions: built.instructions, keys: ix.keys.map((k) => k.pubkey) }
  }

  private snapshot(keys: readonly Uint8Array[]): Snapshot[] {
    const all = new Map<string, Uint8Array>()
    for (const k of keys) all.set(hex(k), k)
    for (const [k, pk] of this.actors) all.set(k, pk)
    // The harness payer pays the fee of a failed transaction too.
    all.delete(hex(this.chain.payer.publicKey))
    return [...all.values()].map((key) => {
      const account = this.runtime.getAccount(key)
      return { key, data: account?.data, lamports: account?.lamports ?? 0n, account }
    })
  }

  /** Writes back every account that changed (one that did not exist becomes an empty, lamport-less one again). */
  private restore(before: readonly Snapshot[]): void {
    for (const s of before) {
      const now = this.runtime.getAccount(s.key)
      const same = (now?.lamports ?? 0n) === s.lamports && equal(now?.data ?? new Uint8Array(0), s.data ?? new Uint8Array(0))
      if (!same) this.runtime.setAccount(s.key, s.account ?? { lamports: 0n, data: new Uint8Array(0), owner: SYSTEM_OWNER, executable: false })
    }
  }

  private unchanged(before: readonly Snapshot[], what: string): void {
    for (const s of before) {
      const r = this.chain.raw(s.key)
      const same = (r?.lamports ?? 0n) === s.lamports && (r?.data === undefined ? s.data === undefined || s.data.length === 0 : s.data !== undefined && equal(r.data, s.data))
      if (!same) throw new Divergence(`${what}: a rejected transaction changed account ${toBase58(s.key)}`)
    }
  }

  /** Checks the whole spec state (by default the world's) against the chain after a successful op. */
  checkState(what: string, touched: readonly Uint8Array[] = [], s: State = this.world.state): void {
    const accounts = specAccounts(s, (x) => this.pda(x))
    const byAddress = new Map(accounts.map((a) => [hex(a.address), a]))
    for (const a of accounts) {
      const r = this.chain.raw(a.address)
      if (r === undefined) throw new Divergence(`${what}: ${a.kind} ${toBase58(a.address)} is missing on chain`)
      if (r.owner !== this.programB58) throw new Divergence(`${what}: ${a.kind} ${toBase58(a.address)} is owned by ${r.owner}`)
      if (!equal(r.data, a.bytes)) {
        let i = 0
        while (i < a.bytes.length && r.data[i] === a.bytes[i]) i++
        throw new Divergence(
          `${what}: ${a.kind} ${toBase58(a.address)} differs at byte ${i} (chain ${r.data.length} bytes, spec ${a.bytes.length}): ` +
            `chain ${hex(r.data.subarray(i, i + 16))} spec ${hex(a.bytes.subarray(i, i + 16))}`
        )
      }
      if (a.kind === "Vault") {
        const balance = r.lamports - this.vaultRent
        if (balance !== s.vaultBalance) throw new Divergence(`${what}: vault holds ${balance} above rent, spec vaultBalance ${s.vaultBalance}`)
      }
    }
    // No program account the op named exists on chain without its spec counterpart.
    for (const k of touched) {
      const r = this.chain.raw(k)
      if (r !== undefined && r.owner === this.programB58 && !byAddress.has(hex(k)))
        throw new Divergence(`${what}: chain holds program account ${toBase58(k)} the spec does not`)
    }
    for (const [k, pk] of this.actors) {
      const delta = this.chain.balance(pk) - this.baseline.get(k)!
      const want = s.wallets.get(k) ?? 0n
      if (delta !== want) throw new Divergence(`${what}: actor ${toBase58(pk)} moved ${delta} lamports, spec wallet ${want}`)
    }
  }

  /** Runs `op` on both sides at the current slot and checks they agree. */
  step(op: Op): Outcome {
    const what = `${op.kind} at slot ${this.world.slot}`
    const { instructions, keys } = this.build(op)
    const before = this.snapshot(keys)
    this.chain.setSlot(this.world.slot)
    // The client's Ed25519 instruction carries the op's signatures: it verifies exactly when they all do [SIG-1].
    const carried = carriedSignatures(op)
    if (carried.length > 0 && (instructions.length < 2 || entriesVerify(instructions[0]!) !== carried.every((c) => verify(c.key, c.digest, c.signature))))
      throw new Divergence(`${what}: the client's Ed25519 instruction does not carry the op's signatures`)
    const structural = decodingRule(instructions[instructions.length - 1]!.data)
    if (structural !== undefined) return this.undecodable(op, what, before, structural)
    const chain = this.chain.send(op)
    const spec = this.world.try(op)
    if (isError(spec) && spec.rule === "SIG-1" && !this.runtime.verifiesPrecompiles) return this.unverified(op, what, before, keys, chain)
    if (isError(spec)) {
      if (chain.ok) throw new Divergence(`${what}: spec rejects [${spec.rule}] ${spec.message}, the program accepts`)
      const rule = chainRule(chain, instructions.length > 1)
      if (rule !== spec.rule)
        throw new Divergence(`${what}: spec rejects [${spec.rule}] ${spec.message}, the program [${rule ?? "?"}] ${chain.error}\n${chain.logs.join("\n")}`)
      this.unchanged(before, what)
      logRule(spec.rule, "program")
      return { ok: false, rule: spec.rule }
    }
    if (!chain.ok) {
      const rule = chainRule(chain, instructions.length > 1)
      throw new Divergence(`${what}: spec accepts, the program rejects [${rule ?? "?"}] ${chain.error}\n${chain.logs.join("\n")}`)
    }
    this.checkState(what, keys)
    logRule(`ok:${op.kind}` as RuleId, "success")
    const units = programUnits(chain.logs, this.programB58) ?? Number(chain.computeUnits)
    const list = this.units.get(op.kind) ?? []
    list.push(units)
    this.units.set(op.kind, list)
    return { ok: true, computeUnits: units }
  }

  /**
   * The op carries a signature that does not verify and the runtime did not check it: the program ran
   * and must have done what `apply` without SIG-1 does; an accepted op is then undone on the chain
   * (every account it named written back) so that the chain is again in the spec's state.
   */
  private unverified(op: Op, what: string, before: readonly Snapshot[], keys: readonly Uint8Array[], chain: SendResult): Outcome {
    const unchecked = applyWithoutSig1(this.world.state, op, { slot: this.world.slot })
    let gap: PrecompileGap
    if (isError(unchecked)) {
      if (chain.ok) throw new Divergence(`${what}: unverified signature let through; without SIG-1 the spec rejects [${unchecked.rule}], the program accepts`)
      if (chain.rule !== unchecked.rule)
        throw new Divergence(`${what}: unverified signature let through; without SIG-1 the spec rejects [${unchecked.rule}], the program [${chain.rule ?? "?"}] ${chain.error}`)
      this.unchanged(before, what)
      gap = { op, chain: unchecked.rule }
    } else {
      if (!chain.ok) throw new Divergence(`${what}: unverified signature let through; without SIG-1 the spec accepts, the program rejects [${chain.rule ?? "?"}] ${chain.error}`)
      this.checkState(`${what} (unverified signature let through)`, keys, unchecked)
      this.restore(before)
      this.unchanged(before, `${what} (undone)`)
      gap = { op, chain: "accepted" }
    }
    this.precompileGaps.push(gap)
    return { ok: false, rule: "SIG-1", gap }
  }

  /**
   * An op the client cannot encode faithfully (e.g. a name over 255 bytes behind a u8 length): its
   * bytes are not an instruction, so the program must name the rule the spec's decoder names — unless
   * a carried signature does not verify, which the Ed25519 instruction rejects before the dotdns
   * instruction is read [SIG-1] — and the spec does not advance (`apply` on the typed op is not what
   * the chain was sent).
   */
  private undecodable(op: Op, what: string, before: readonly Snapshot[], decoded: RuleId): Outcome {
    const forged = !carriedSignatures(op).every((c) => verify(c.key, c.digest, c.signature))
    const rule: RuleId = forged ? "SIG-1" : decoded
    // Where the precompile does not check, the program reads the bytes and names the decoder's rule.
    const expected: RuleId = forged && this.runtime.verifiesPrecompiles ? "SIG-1" : decoded
    const { instructions } = this.build(op)
    const chain = this.chain.send(op)
    if (chain.ok) throw new Divergence(`${what}: the program accepts bytes the spec's decoder rejects [${decoded}]`)
    const got = chainRule(chain, instructions.length > 1)
    if (got !== expected) throw new Divergence(`${what}: the spec rejects the transaction [${expected}], the program [${got ?? "?"}] ${chain.error}`)
    this.unchanged(before, what)
    this.undecoded.push({ op, rule })
    if (rule !== expected) {
      const gap: PrecompileGap = { op, chain: expected }
      this.precompileGaps.push(gap)
      return { ok: false, rule, gap }
    }
    return { ok: false, rule }
  }

  /** An op both sides must accept. */
  run(op: Op): number {
    const o = this.step(op)
    if (!o.ok) throw new Error(`${op.kind} rejected by both: [${o.rule}]`)
    return o.computeUnits
  }

  /** An op both sides must reject with `rule`. */
  expectError(op: Op, rule: RuleId): void {
    const o = this.step(op)
    if (o.ok) throw new Error(`${op.kind} accepted by both, expected [${rule}]`)
    if (o.rule !== rule) throw new Error(`${op.kind} rejected by both with [${o.rule}], expected [${rule}]`)
  }

  /**
   * Sends the op's transaction with its dotdns instruction altered (an account swapped, a flag
   * dropped, the data changed) and returns the program's rule; the spec is not consulted, and nothing
   * may change.
   */
  sendAltered(op: Op, alter: (ix: Instruction) => Instruction): RuleId | undefined {
    return this.sendInstructions(op, (ixs) => ixs.map((ix, i) => (i === ixs.length - 1 ? alter(ix) : ix)))
  }

  /**
   * Runs the op with its dotdns instruction altered in a way the spec does not see (e.g. an actor as
   * the rent payer): both sides must accept and agree on every account; the lamports of `payers`
   * (who paid rent, which the spec does not model) are left out of the wallet check.
   */
  runAltered(op: Op, alter: (ix: Instruction) => Instruction, payers: readonly Uint8Array[]): void {
    this.runInstructions(op, (ixs) => ixs.map((ix, i) => (i === ixs.length - 1 ? alter(ix) : ix)), payers)
  }

  /** As `runAltered`, over the whole instruction list (e.g. other Ed25519 instructions around it). */
  runInstructions(op: Op, alter: (ixs: readonly Instruction[]) => Instruction[], payers: readonly Uint8Array[]): void {
    const what = `altered ${op.kind} at slot ${this.world.slot}`
    const { instructions, keys } = this.build(op)
    const altered = alter(instructions)
    this.chain.setSlot(this.world.slot)
    const res = this.chain.sendInstructions(altered, (pk) => this.keyOf(pk))
    if (!res.ok) throw new Divergence(`${what}: the program rejects it: ${res.error}`)
    const spec = this.world.try(op)
    if (isError(spec)) throw new Divergence(`${what}: the spec rejects [${spec.rule}] ${spec.message}`)
    for (const p of payers) {
      const k = hex(p)
      const r = this.chain.raw(p)
      this.baseline.set(k, (r?.lamports ?? 0n) - (this.world.state.wallets.get(k) ?? 0n))
    }
    this.checkState(what, keys)
  }

  /** As `sendAltered`, over the whole instruction list (e.g. to leave the Ed25519 instruction out). */
  sendInstructions(op: Op, alter: (ixs: readonly Instruction[]) => Instruction[]): RuleId | undefined {
    const { instructions, keys } = this.build(op)
    const altered = alter(instructions)
    const before = this.snapshot([...keys, ...altered.flatMap((ix) => ix.keys.map((k) => k.pubkey))])
    this.chain.setSlot(this.world.slot)
    const res = resultOf(this.chain.sendInstructions(altered, (pk) => this.keyOf(pk)))
    this.unchanged(before, `altered ${op.kind}`)
    if (res.ok) throw new Divergence(`altered ${op.kind}: the program accepted it`)
    return res.rule
  }

  private keyOf(pk: Uint8Array): Keypair | undefined {
    return this.keyring.get(hex(pk))
  }

  /** Every program account named by IX_ACCOUNTS for the op, by name. */
  accountsOf(op: Op): Map<string, Uint8Array> {
    const { keys } = this.build(op)
    return new Map(IX_ACCOUNTS[op.kind].map((a, i) => [a.name, keys[i]!]))
  }
}
