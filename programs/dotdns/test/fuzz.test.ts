/**
 * Instruction fuzzing: from a protocol state with something of every kind (a round with three
 * aggregates, a pin, an open reveal, a proposal), each case takes a valid op of every instruction kind
 * as the client builds it and breaks one thing — random instruction data, a mutated valid encoding
 * (flipped, cut, extended, overwritten, bumps changed), an account substituted (another PDA, a system
 * account, a sysvar, a program, an actor, a fresh key), two accounts swapped, accounts dropped or
 * added, a signer dropped or added, a writable flag dropped, the Ed25519 instruction dropped or
 * corrupted — and sends it.
 *
 * Checked every case, over every account the run has seen (spec PDAs, actors, the fee payer, every key
 * of every transaction):
 *   - a rejected transaction changes nothing but the fee payer's fee: every other account's data,
 *     owner and lamports as before;
 *   - lamports are conserved: the total falls by exactly the fee (0 for a transaction the runtime
 *     refused to load), accepted or not — and over the whole run by the sum of the fees;
 *   - dropping a required signer is ACC-11, a written account's writable flag ACC-12, a listed
 *     account ACC-5, an unknown tag ACC-10, the tag itself ENC-2.
 * An accepted mutant (e.g. another amount, another rent payer) is allowed: it is counted, and the
 * state moves on. `DOTDNS_FUZZ_CASES` (default 3000; 1500 on bankrun) and `DOTDNS_FUZZ_SEED` (printed).
 */
import { describe, expect, it } from "vitest"
import { CHANGE_KIND } from "../../../spec/src/accounts.ts"
import { equal, hex } from "../../../spec/src/bytes.ts"
import type { Keypair } from "../../../spec/src/ed25519.ts"
import { IX, IX_ACCOUNTS } from "../../../spec/src/instructions.ts"
import type { Op, OpKind } from "../../../spec/src/ops.ts"
import { PARAM } from "../../../spec/src/params.ts"
import { ruleOfCode, type RuleId } from "../../../spec/src/rules.ts"
import { key } from "../../../spec/test/world.ts"
import { fromBase58 } from "../../client/base58.ts"
import { ED25519_PROGRAM_ID } from "../../client/ed25519-instruction.ts"
import { INSTRUCTIONS_SYSVAR_ID, SYSTEM_PROGRAM_ID } from "../../client/instructions.ts"
import type { AccountMeta, Instruction } from "../../client/message.ts"
import { seeds } from "../../client/pda.ts"
import { runtimeFromEnv, type RawAccount } from "../../client/runtime.ts"
import {
  admin, aggregate, challenger, helloRoute, miners, NH, outsider, owner, pin, ref, setup, signed, submit, submitAll, witnesses
} from "./fixture.ts"
import { specAccounts } from "./lockstep.ts"

const runtime = runtimeFromEnv()
const CASES = Number(process.env["DOTDNS_FUZZ_CASES"] ?? (runtime === "bankrun" ? "1500" : "3000"))
const SEED = Number(process.env["DOTDNS_FUZZ_SEED"] ?? Math.floor(Math.random() * 2 ** 31))
const LAMPORTS_PER_SIGNATURE = 5000n

/** mulberry32: a small seeded generator, so a failing case is replayed by its seed. */
const rng = (seed: number) => {
  let a = seed >>> 0
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number): number => Math.floor(next() * n)
  return {
    int,
    pick: <T>(xs: readonly T[]): T => xs[int(xs.length)]!,
    bytes: (n: number): Uint8Array => Uint8Array.from({ length: n }, () => int(256))
  }
}
type Rng = ReturnType<typeof rng>

const SYSVAR_CLOCK = fromBase58("SysvarC1ock11111111111111111111111111111111")
const SYSVAR_RENT = fromBase58("SysvarRent111111111111111111111111111111111")
const BOUNDARY = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff]

const CLASSES = [
  "random data", "tag + random bytes", "bits flipped", "truncated", "extended", "bytes overwritten", "bump changed", "account substituted",
  "accounts swapped", "signer dropped", "writable dropped", "signer added", "accounts missing", "accounts added", "Ed25519 ix dropped",
  "Ed25519 ix corrupted"
] as const

interface Mutant {
  readonly what: string
  readonly ixs: Instruction[]
  /** The rule a correct program must name, when the mutation decides it. */
  readonly rule?: RuleId
}

describe(`instruction fuzzing on ${runtime}`, () => {
  it(`rejects ${CASES} broken transactions without changing anything, and conserves lamports`, () => {
    console.log(`fuzz ${runtime}: seed ${SEED}, ${CASES} cases (DOTDNS_FUZZ_SEED=${SEED} replays them)`)
    const r = rng(SEED)
    // The state: round 2 with three aggregates, a pinned leaf, an open reveal and a queued proposal.
    const l = setup()
    const aggs = submitAll(l, 2n)
    l.run(pin(aggs[0]!, 0))
    l.run({ kind: "openReveal", challenger: challenger.publicKey, leafRef: ref(2n, miners[1], 0) })
    const now = l.state.config!.currentEpoch
    const change = { kind: CHANGE_KIND.setParam, param: PARAM.roundReward, value: 7n, key: new Uint8Array(32) }
    l.run({ kind: "propose", proposer: admin.publicKey, changes: [change], etaEpoch: now + 2n })
    const chain = l.chain
    const payer = chain.payer.publicKey
    const actors: Keypair[] = [admin, ...miners, ...witnesses, owner, challenger, outsider]
    const held = (pk: Uint8Array) => equal(pk, payer) || actors.some((k) => equal(k.publicKey, pk))

    const other = (m: Keypair, from: number) => signed(m, aggregate(l, m, 2n, helloRoute().record, witnesses.slice(from)).statement)
    const r0 = aggs[1]!.receipts[0]!
    const corpus: Record<OpKind, () => Op> = {
      initialize: () => ({ kind: "initialize", authority: admin.publicKey, params: l.world.params, allowlist: miners.map((m) => m.publicKey) }),
      minerBond: () => ({ kind: "minerBond", miner: r.pick(miners).publicKey, amount: BigInt(1 + r.int(5)) * 1_000_000_000n }),
      minerUnbond: () => ({ kind: "minerUnbond", miner: r.pick(miners).publicKey, amount: BigInt(1 + r.int(1_000)) }),
      minerWithdraw: () => ({ kind: "minerWithdraw", miner: r.pick(miners).publicKey }),
      unjail: () => ({ kind: "unjail", miner: r.pick(miners).publicKey }),
      witnessBond: () => ({ kind: "witnessBond", witness: r.pick(witnesses).publicKey, amount: BigInt(1 + r.int(3)) * 1_000_000_000n }),
      witnessUnbond: () => ({ kind: "witnessUnbond", witness: r.pick(witnesses).publicKey, amount: BigInt(1 + r.int(1_000)) }),
      witnessWithdraw: () => ({ kind: "witnessWithdraw", witness: r.pick(witnesses).publicKey }),
      claim: () => ({ kind: "claim", who: r.pick(miners).publicKey, role: "miner" }),
      fundPool: () => ({ kind: "fundPool", funder: admin.publicKey, amount: BigInt(1 + r.int(1_000_000)) }),
      registerName: () => ({ kind: "registerName", owner: r.pick(actors).publicKey, name: `fuzz${r.int(1_000_000)}.dns` }),
      transferName: () => ({ kind: "transferName", owner: owner.publicKey, nameHash: NH, newOwner: outsider.publicKey }),
      advanceEpoch: () => ({ kind: "advanceEpoch" }),
      submitAggregate: () => submit(aggregate(l, miners[0], 2n), { serial: 1n, signature: helloRoute().signature }),
      finalizeRound: () => ({ kind: "finalizeRound", epoch: 2n, nameHash: NH }),
      proveEquivocation: () => ({ kind: "proveEquivocation", challenger: challenger.publicKey, first: other(miners[0], 1), second: r.int(2) === 0 ? null : other(miners[0], 2) }),
      pinLeaf: () => pin(aggs[r.int(3)]!, r.int(4)),
      proveBadWeight: () => ({ kind: "proveBadWeight", challenger: challenger.publicKey, leafRef: ref(2n, miners[0], 0) }),
      proveBadOrder: () => ({ kind: "proveBadOrder", challenger: challenger.publicKey, leafRef: ref(2n, miners[0], 0) }),
      proveLeafMismatch: () => ({ kind: "proveLeafMismatch", challenger: challenger.publicKey, leafRef: ref(2n, miners[0], 0), receipt: r0.receipt, signature: r0.signature }),
      openReveal: () => ({ kind: "openReveal", challenger: challenger.publicKey, leafRef: ref(2n, r.pick(miners), r.int(4)) }),
      respondReveal: () => ({ kind: "respondReveal", leafRef: ref(2n, miners[1], 0), receipt: r0.receipt, signature: r0.signature }),
      resolveReveal: () => ({ kind: "resolveReveal", leafRef: ref(2n, miners[1], 0) }),
      propose: () => ({ kind: "propose", proposer: admin.publicKey, changes: [change], etaEpoch: now + 2n + BigInt(r.int(3)) }),
      veto: () => ({ kind: "veto", voter: r.pick(witnesses).publicKey, proposalId: 0n }),
      execute: () => ({ kind: "execute", proposalId: 0n }),
      claimWitnessReward: () => ({ kind: "claimWitnessReward", leafRef: ref(2n, miners[0], 0) })
    }
    const kinds = Object.keys(IX) as OpKind[]

    // Every account the run has seen; lamports of one that does not exist count as 0. `start` is the
    // total each held when first seen (before any fuzz transaction named it).
    const universe = new Map<string, Uint8Array>()
    let start = 0n
    const see = (k: Uint8Array) => {
      if (universe.has(hex(k))) return
      universe.set(hex(k), k)
      start += chain.runtime.getAccount(k)?.lamports ?? 0n
    }
    for (const a of specAccounts(l.state, (s) => l.pda(s))) see(a.address)
    for (const k of actors) see(k.publicKey)
    see(payer)
    const pdas = () => [...universe.values()].filter((k) => { const a = chain.runtime.getAccount(k); return a !== undefined && equal(a.owner, chain.programId) })
    const outside = [SYSTEM_PROGRAM_ID, INSTRUCTIONS_SYSVAR_ID, SYSVAR_CLOCK, SYSVAR_RENT, ED25519_PROGRAM_ID, chain.programId, l.pda(seeds.committee(99n))]
    const snapshot = () => new Map([...universe].map(([k, pk]) => [k, chain.runtime.getAccount(pk)]))
    const total = (s: Map<string, RawAccount | undefined>) => [...s.values()].reduce((n, a) => n + (a?.lamports ?? 0n), 0n)
    const sameAccount = (a: RawAccount | undefined, b: RawAccount | undefined) =>
      (a?.lamports ?? 0n) === (b?.lamports ?? 0n) && equal(a?.data ?? new Uint8Array(0), b?.data ?? new Uint8Array(0)) &&
      (a === undefined || b === undefined || a.lamports === 0n || equal(a.owner, b.owner))

    /** Whether the compiled message gives `pk` the flag anyway (the fee payer, or another meta naming it). */
    const flaggedElsewhere = (ixs: readonly Instruction[], pk: Uint8Array, f: "isSigner" | "isWritable", except: AccountMeta) =>
      equal(pk, payer) || ixs.some((ix) => ix.keys.some((m) => m !== except && equal(m.pubkey, pk) && m[f]))

    const mutate = (op: Op, base: Instruction[], cls: number): Mutant | undefined => {
      const at = base.length - 1
      const ix = base[at]!
      const spec = IX_ACCOUNTS[op.kind]
      const withIx = (next: Instruction): Instruction[] => base.map((x, i) => (i === at ? next : x))
      const withData = (what: string, data: Uint8Array, rule?: RuleId): Mutant => ({ what, ixs: withIx({ ...ix, data }), ...(rule ? { rule } : {}) })
      const withKeys = (what: string, keys: AccountMeta[], rule?: RuleId): Mutant => ({ what, ixs: withIx({ ...ix, keys }), ...(rule ? { rule } : {}) })
      const d = ix.data
      switch (cls) {
        case 0: {
          const data = r.bytes(r.int(300))
          const rule: RuleId | undefined = data.length === 0 ? "ENC-2" : data[0]! >= kinds.length ? "ACC-10" : undefined
          return withData("random data", data, rule)
        }
        case 1: {
          const tag = r.int(kinds.length + 2)
          return withData(`tag ${tag} and random bytes`, Uint8Array.of(tag, ...r.bytes(r.int(200))), tag >= kinds.length ? "ACC-10" : undefined)
        }
        case 2: {
          const m = Uint8Array.from(d)
          const n = 1 + r.int(4)
          for (let i = 0; i < n; i++) m[r.int(m.length)] ^= 1 << r.int(8)
          return withData(`${n} bits flipped`, m)
        }
        case 3:
          return withData("truncated", d.slice(0, r.int(d.length)), undefined)
        case 4:
          return withData("extended", Uint8Array.of(...d, ...r.bytes(1 + r.int(16))))
        case 5: {
          const m = Uint8Array.from(d)
          const from = r.int(m.length)
          const v = r.pick(BOUNDARY)
          m.fill(v, from, Math.min(m.length, from + 1 + r.int(12)))
          return withData(`bytes from ${from} set to ${v}`, m)
        }
        case 6: {
          if (d.length < 2) return undefined
          const m = Uint8Array.from(d)
          m[1 + r.int(Math.min(4, d.length - 1))] = r.int(256)
          return withData("a bump (or the first field) changed", m)
        }
        case 7: {
          const i = r.int(ix.keys.length)
          const meta = ix.keys[i]!
          const pool = meta.isSigner ? actors.map((k) => k.publicKey) : [...pdas(), ...outside, ...actors.map((k) => k.publicKey), key(`fresh${r.int(1e9)}`).publicKey]
          const by = r.pick(pool)
          return withKeys(`${spec[i]?.name ?? i} replaced`, ix.keys.map((k, j) => (j === i ? { ...k, pubkey: by } : k)))
        }
        case 8: {
          const i = r.int(ix.keys.length)
          const j = r.int(ix.keys.length)
          const a = ix.keys[i]!
          const b = ix.keys[j]!
          if (i === j || (a.isSigner && !held(b.pubkey)) || (b.isSigner && !held(a.pubkey))) return undefined
          return withKeys(`${spec[i]?.name} and ${spec[j]?.name} swapped`, ix.keys.map((k, n) => (n === i ? { ...k, pubkey: b.pubkey } : n === j ? { ...k, pubkey: a.pubkey } : k)))
        }
        case 9: {
          const signers = ix.keys.map((k, i) => ({ k, i })).filter((x) => x.k.isSigner)
          if (signers.length === 0) return undefined
          const { k, i } = r.pick(signers)
          const keys = ix.keys.map((m, j) => (j === i ? { ...m, isSigner: false } : m))
          const decided = !flaggedElsewhere(base, k.pubkey, "isSigner", k) && keys.filter((m) => m.isSigner && equal(m.pubkey, k.pubkey)).length === 0
          return withKeys(`${spec[i]?.name} not a signer`, keys, decided ? "ACC-11" : undefined)
        }
        case 10: {
          const writable = ix.keys.map((k, i) => ({ k, i })).filter((x) => x.k.isWritable && !(op.kind === "resolveReveal" && spec[x.i]?.name === "challenger"))
          if (writable.length === 0) return undefined
          const { k, i } = r.pick(writable)
          const keys = ix.keys.map((m, j) => (j === i ? { ...m, isWritable: false } : m))
          const decided = !flaggedElsewhere(base, k.pubkey, "isWritable", k) && keys.filter((m) => m.isWritable && equal(m.pubkey, k.pubkey)).length === 0
          return withKeys(`${spec[i]?.name} read-only`, keys, decided ? "ACC-12" : undefined)
        }
        case 11: {
          const i = r.int(ix.keys.length)
          const meta = ix.keys[i]!
          if (meta.isSigner) return undefined
          if (held(meta.pubkey)) return withKeys(`${spec[i]?.name} made a signer`, ix.keys.map((m, j) => (j === i ? { ...m, isSigner: true } : m)))
          const extra = r.pick(actors).publicKey
          return withKeys("an extra signer appended", [...ix.keys, { pubkey: extra, isSigner: true, isWritable: r.int(2) === 0 }])
        }
        case 12: {
          const n = r.int(ix.keys.length)
          return withKeys(`only ${n} of ${ix.keys.length} accounts`, ix.keys.slice(0, n), "ACC-5")
        }
        case 13: {
          const extra = Array.from({ length: 1 + r.int(3) }, () => ({ pubkey: r.pick([...pdas(), ...outside]), isSigner: false, isWritable: r.int(2) === 0 }))
          return withKeys(`${extra.length} extra accounts`, [...ix.keys, ...extra])
        }
        case 14: {
          if (base.length < 2) return undefined
          return { what: "the Ed25519 instruction dropped", ixs: [ix] }
        }
        default: {
          if (base.length < 2) return undefined
          const e = Uint8Array.from(base[0]!.data)
          e[r.int(e.length)] ^= 1 << r.int(8)
          return { what: "the Ed25519 instruction corrupted", ixs: [{ ...base[0]!, data: e }, ix] }
        }
      }
    }

    let fees = 0n
    let accepted = 0
    let decided = 0
    const byClass = new Map<string, { sent: number; accepted: number }>()
    for (let c = 0; c < CASES; c++) {
      const kind = r.pick(kinds)
      const op = corpus[kind]()
      let built: Instruction[]
      try {
        built = l.build(op).instructions
      } catch {
        continue
      }
      const cls = r.int(CLASSES.length)
      const m = mutate(op, built, cls)
      if (m === undefined) continue
      const label = `case ${c} (seed ${SEED}): ${kind}, ${m.what}`
      for (const ix of m.ixs) for (const k of ix.keys) see(k.pubkey)
      const before = snapshot()
      const out = chain.sendInstructions(m.ixs)
      const after = snapshot()
      const signatures = new Set(m.ixs.flatMap((ix) => ix.keys.filter((k) => k.isSigner).map((k) => hex(k.pubkey))).concat(hex(payer))).size
      const precompile = m.ixs.reduce((n, ix) => n + (equal(ix.programId, ED25519_PROGRAM_ID) ? (ix.data[0] ?? 0) : 0), 0)
      const fee = total(before) - total(after)
      const allowed = [0n, LAMPORTS_PER_SIGNATURE * BigInt(signatures), LAMPORTS_PER_SIGNATURE * BigInt(signatures + precompile)]
      expect(allowed, `${label}: lamports total fell by ${fee}`).toContain(fee)
      fees += fee
      const tally = byClass.get(CLASSES[cls]!) ?? { sent: 0, accepted: 0 }
      tally.sent++
      byClass.set(CLASSES[cls]!, tally)
      if (out.ok) {
        accepted++
        tally.accepted++
        continue
      }
      for (const [k, pk] of universe) {
        if (equal(pk, payer)) {
          expect((before.get(k)?.lamports ?? 0n) - (after.get(k)?.lamports ?? 0n), `${label}: the fee payer`).toBe(fee)
          continue
        }
        expect(sameAccount(before.get(k), after.get(k)), `${label}: rejected (${out.error}) but changed ${k}`).toBe(true)
      }
      if (m.rule !== undefined) {
        decided++
        expect(out.code === undefined ? undefined : ruleOfCode(out.code), `${label}: ${out.error}`).toBe(m.rule)
      }
    }
    const end = total(snapshot())
    expect(start - end, "lamports over the run: only fees left").toBe(fees)
    console.log(
      `fuzz ${runtime}: ${CASES} cases, ${accepted} accepted mutants, ${decided} with the rule asserted, ${fees} lamports of fees, ${universe.size} accounts watched; ` +
        [...byClass].map(([w, t]) => `${w} ${t.sent}${t.accepted > 0 ? ` (${t.accepted} accepted)` : ""}`).join(", ")
    )
    expect(accepted).toBeLessThan(CASES / 5)
  }, 300_000)
})
