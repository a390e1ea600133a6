/**
 * Random instructions against the on-chain program (programs/dotdns/dotdns.so in the program tests'
 * runtime: LiteSVM with sigverify on, unless DOTDNS_RUNTIME says otherwise),
 * from a protocol state with a round, aggregates, pins and a reveal open (the program tests' fixture).
 * Each case is one transaction: a valid op of a small corpus, mutated — random data, flipped or cut
 * bytes, an account swapped for another known one, a signer dropped or replaced by another key (a wrong
 * signer), the Ed25519 instruction removed or corrupted, writable flags toggled — or an instruction of
 * random bytes over random accounts.
 *
 * Checked every case, over every account the program tests know plus every key of the transaction:
 *   - a rejected transaction changes nothing: every account's data and lamports as before, save the fee
 *     payer's fee (0 when the runtime refused to load it, else 5,000 per transaction signature and per
 *     signature its Ed25519 instruction declares);
 *   - lamports are conserved: the total over those accounts falls by exactly the fee, accepted or not.
 */
import { equal, hex } from "../../spec/src/bytes.ts"
import type { Keypair } from "../../spec/src/ed25519.ts"
import type { Op } from "../../spec/src/ops.ts"
import { fromBase58, toBase58 } from "../../programs/client/base58.ts"
import { buildOp } from "../../programs/client/instructions.ts"
import { signTransaction, type Instruction } from "../../programs/client/message.ts"
import {
  admin, aggregate, challenger, helloRoute, miners, NH, outsider, owner, pin, ref, setup, signed, submitAll, witnesses
} from "../../programs/dotdns/test/fixture.ts"
import { specAccounts } from "../../programs/dotdns/test/lockstep.ts"

const FEE_PER_SIGNATURE = 5000n
const ED25519_PROGRAM = fromBase58("Ed25519SigVerify111111111111111111111111111")

/** The runtime's fee: 5,000 lamports per transaction signature and per signature an Ed25519 instruction declares. */
const feeOf = (ixs: readonly Instruction[], signatures: number): bigint => {
  let n = signatures
  for (const ix of ixs) if (equal(ix.programId, ED25519_PROGRAM)) n += ix.data[0] ?? 0
  return FEE_PER_SIGNATURE * BigInt(n)
}

export interface ProgramFuzzReport {
  readonly pass: boolean
  readonly seed: number
  readonly cases: number
  readonly accepted: number
  readonly rejected: number
  readonly notLoaded: number
  readonly byMutation: Record<string, { cases: number; accepted: number }>
  readonly violations: readonly string[]
  readonly seconds: number
}

class Rng {
  private s: number
  constructor(seed: number) {
    this.s = seed >>> 0 || 1
  }
  next(): number {
    let x = this.s
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    this.s = x >>> 0
    return this.s / 4294967296
  }
  int(n: number): number {
    return Math.floor(this.next() * n)
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!
  }
  bytes(n: number): Uint8Array {
    return Uint8Array.from({ length: n }, () => this.int(256))
  }
}

type Mutation = (ixs: Instruction[], r: Rng, ctx: { universe: Uint8Array[]; keys: Keypair[] }) => Instruction[] | undefined

const last = (ixs: Instruction[]) => ixs[ixs.length - 1]!
const withLast = (ixs: Instruction[], ix: Instruction) => [...ixs.slice(0, -1), ix]

const MUTATIONS: Record<string, Mutation> = {
  randomData: (ixs, r) => withLast(ixs, { ...last(ixs), data: r.bytes(r.int(300)) }),
  flipByte: (ixs, r) => {
    const ix = last(ixs)
    if (ix.data.length === 0) return undefined
    const data = new Uint8Array(ix.data)
    data[r.int(data.length)]! ^= 1 << r.int(8)
    return withLast(ixs, { ...ix, data })
  },
  truncate: (ixs, r) => withLast(ixs, { ...last(ixs), data: last(ixs).data.subarray(0, r.int(last(ixs).data.length)) }),
  extend: (ixs, r) => withLast(ixs, { ...last(ixs), data: Uint8Array.from([...last(ixs).data, ...r.bytes(1 + r.int(40))]) }),
  swapAccount: (ixs, r, c) => {
    const ix = last(ixs)
    if (ix.keys.length === 0) return undefined
    const i = r.int(ix.keys.length)
    const keys = ix.keys.map((k, j) => (j === i ? { ...k, pubkey: r.pick(c.universe) } : k))
    return withLast(ixs, { ...ix, keys })
  },
  reorderAccounts: (ixs, r) => {
    const ix = last(ixs)
    if (ix.keys.length < 2) return undefined
    const keys = [...ix.keys]
    const i = r.int(keys.length)
    const j = r.int(keys.length)
    ;[keys[i], keys[j]] = [keys[j]!, keys[i]!]
    return withLast(ixs, { ...ix, keys })
  },
  dropAccount: (ixs, r) => {
    const ix = last(ixs)
    if (ix.keys.length === 0) return undefined
    const i = r.int(ix.keys.length)
    return withLast(ixs, { ...ix, keys: ix.keys.filter((_, j) => j !== i) })
  },
  dropSigner: (ixs, r) => {
    const ix = last(ixs)
    const signers = ix.keys.map((k, i) => (k.isSigner ? i : -1)).filter((i) => i >= 0)
    if (signers.length === 0) return undefined
    const i = r.pick(signers)
    return withLast(ixs, { ...ix, keys: ix.keys.map((k, j) => (j === i ? { ...k, isSigner: false } : k)) })
  },
  wrongSigner: (ixs, r, c) => {
    const ix = last(ixs)
    const signers = ix.keys.filter((k) => k.isSigner)
    if (signers.length === 0) return undefined
    const victim = r.pick(signers).pubkey
    const other = r.pick(c.keys.filter((k) => !equal(k.publicKey, victim))).publicKey
    return withLast(ixs, { ...ix, keys: ix.keys.map((k) => (equal(k.pubkey, victim) ? { ...k, pubkey: other } : k)) })
  },
  toggleWritable: (ixs, r) => {
    const ix = last(ixs)
    if (ix.keys.length === 0) return undefined
    const i = r.int(ix.keys.length)
    return withLast(ixs, { ...ix, keys: ix.keys.map((k, j) => (j === i ? { ...k, isWritable: !k.isWritable } : k)) })
  },
  dropEd25519: (ixs) => (ixs.length > 1 ? [last(ixs)] : undefined),
  corruptEd25519: (ixs, r) => {
    if (ixs.length < 2) return undefined
    const data = new Uint8Array(ixs[0]!.data)
    data[r.int(data.length)]! ^= 1 << r.int(8)
    return [{ ...ixs[0]!, data }, ...ixs.slice(1)]
  },
  randomInstruction: (ixs, r, c) => {
    const n = r.int(12)
    const keys = Array.from({ length: n }, () => {
      const pubkey = r.pick(c.universe)
      const signable = c.keys.some((k) => equal(k.publicKey, pubkey))
      return { pubkey, isSigner: signable && r.next() < 0.3, isWritable: r.next() < 0.6 }
    })
    return [{ programId: last(ixs).programId, keys, data: r.bytes(r.int(200)) }]
  }
}

export const programFuzz = async (opts: { cases: number; maxSeconds?: number; seed?: number; log?: (s: string) => void }): Promise<ProgramFuzzReport> => {
  const t0 = Date.now()
  const seed = opts.seed ?? Date.now() % 2 ** 31
  const r = new Rng(seed)
  const log = opts.log ?? (() => {})
  // A state with something of every kind: a round with three aggregates, pins, an open reveal.
  const l = setup()
  const aggs = submitAll(l, 2n)
  l.run(pin(aggs[0]!, 0))
  l.run({ kind: "openReveal", challenger: challenger.publicKey, leafRef: ref(2n, miners[1], 0) })
  const chain = l.chain
  const runtime = chain.runtime
  const keys: Keypair[] = [admin, ...miners, ...witnesses, owner, challenger, outsider]
  const keyOf = (pk: Uint8Array) => keys.find((k) => equal(k.publicKey, pk))
  const other = (m: Keypair, from: number) => signed(m, aggregate(l, m, 2n, helloRoute().record, witnesses.slice(from)).statement)
  const corpus: (() => Op)[] = [
    () => ({ kind: "fundPool", funder: admin.publicKey, amount: BigInt(1 + r.int(1_000_000)) }),
    () => ({ kind: "registerName", owner: r.pick(keys).publicKey, name: `fuzz${r.int(1_000_000)}.dns` }),
    () => ({ kind: "witnessBond", witness: r.pick(witnesses).publicKey, amount: BigInt(1 + r.int(10)) * 1_000_000_000n }),
    () => ({ kind: "minerBond", miner: r.pick(miners).publicKey, amount: 1_000_000_000n }),
    () => ({ kind: "advanceEpoch" }),
    () => ({ kind: "claim", who: r.pick(miners).publicKey, role: "miner" }),
    () => ({ kind: "transferName", owner: owner.publicKey, nameHash: NH, newOwner: outsider.publicKey }),
    () => pin(aggs[r.int(aggs.length)]!, r.int(aggs[0]!.leaves.length)),
    () => ({ kind: "openReveal", challenger: challenger.publicKey, leafRef: ref(2n, r.pick(miners), r.int(4)) }),
    () => ({ kind: "proveEquivocation", challenger: challenger.publicKey, first: other(miners[2], 1), second: other(miners[2], 2) }),
    () => ({ kind: "finalizeRound", epoch: 2n, nameHash: NH })
  ]
  const built = (op: Op): Instruction[] | undefined => {
    try {
      return buildOp(op, { programId: chain.programId, payer: chain.payer.publicKey, slot: l.slot, view: chain }).instructions
    } catch {
      return undefined
    }
  }
  // Every account the protocol state names, every actor, the payer.
  const known = new Map<string, Uint8Array>()
  for (const a of specAccounts(l.state, (s) => chain.pda(s))) known.set(hex(a.address), a.address)
  for (const k of keys) known.set(hex(k.publicKey), k.publicKey)
  known.set(hex(chain.payer.publicKey), chain.payer.publicKey)
  const universe = [...known.values(), chain.programId, new Uint8Array(32)]
  const snapshot = (pks: Iterable<Uint8Array>) => {
    const m = new Map<string, { pk: Uint8Array; lamports: bigint; data: Uint8Array | undefined }>()
    for (const pk of pks) {
      const acc = chain.raw(pk)
      m.set(hex(pk), { pk, lamports: acc?.lamports ?? 0n, data: acc?.data })
    }
    return m
  }
  const names = Object.keys(MUTATIONS)
  const byMutation: Record<string, { cases: number; accepted: number }> = Object.fromEntries(names.map((n) => [n, { cases: 0, accepted: 0 }]))
  const violations: string[] = []
  let cases = 0
  let accepted = 0
  let rejected = 0
  let notLoaded = 0
  const deadline = t0 + (opts.maxSeconds ?? 180) * 1000
  while (cases < opts.cases && Date.now() < deadline && violations.length < 20) {
    const base = built(r.pick(corpus)())
    if (base === undefined) continue
    const name = r.pick(names)
    const ixs = MUTATIONS[name]!(base, r, { universe, keys })
    if (ixs === undefined) continue
    let wire: Uint8Array
    let nsig: number
    try {
      const tx = signTransaction(chain.payer, ixs, runtime.latestBlockhash(), keyOf)
      wire = tx.wire
      nsig = tx.signatures.length
    } catch {
      continue // a signer whose key nobody has: not a transaction anyone can send
    }
    const involved = new Map(known)
    for (const ix of ixs) for (const k of ix.keys) involved.set(hex(k.pubkey), k.pubkey)
    const before = snapshot(involved.values())
    const res = runtime.sendTransaction(wire)
    const after = snapshot(involved.values())
    cases++
    byMutation[name]!.cases++
    const ok = res.ok
    const payer = hex(chain.payer.publicKey)
    const paid = before.get(payer)!.lamports - after.get(payer)!.lamports
    let totalBefore = 0n
    let totalAfter = 0n
    for (const [k, b] of before) {
      totalBefore += b.lamports
      totalAfter += after.get(k)!.lamports
    }
    const fee = feeOf(ixs, nsig)
    const burned = totalBefore - totalAfter
    const where = `case ${cases} (${name}, seed ${seed})`
    if (ok) {
      accepted++
      byMutation[name]!.accepted++
      if (burned !== fee) violations.push(`${where}: accepted, lamports not conserved: total fell by ${burned}, fee ${fee}`)
    } else {
      rejected++
      if (paid === 0n) notLoaded++
      if (paid !== 0n && paid !== fee) violations.push(`${where}: rejected, the payer paid ${paid}, fee ${fee}`)
      if (burned !== paid) violations.push(`${where}: rejected, lamports not conserved: total fell by ${burned}, the payer paid ${paid}`)
      for (const [k, b] of before) {
        if (k === payer) continue
        const a = after.get(k)!
        const sameData = a.data === undefined || b.data === undefined ? (a.data?.length ?? 0) === (b.data?.length ?? 0) : equal(a.data, b.data)
        if (a.lamports !== b.lamports || !sameData) violations.push(`${where}: rejected, account ${toBase58(b.pk)} changed`)
      }
    }
    if (cases % 5000 === 0) log(`program fuzz: ${cases} cases, ${accepted} accepted, ${violations.length} violations`)
  }
  return {
    pass: violations.length === 0 && cases >= Math.min(opts.cases, 1000),
    seed,
    cases,
    accepted,
    rejected,
    notLoaded,
    byMutation,
    violations,
    seconds: Math.round((Date.now() - t0) / 1000)
  }
}
