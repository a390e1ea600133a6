/**
 * A generator of valid-ish op sequences over a small fixed population: 4 miners, 5 witnesses, 2
 * owners with a name each, an admin and an outsider who challenges. fast-check generates *intents*
 * (an op kind, a few random picks, a flavour, a slot step); `play` interprets each intent against the
 * state reached so far and turns it into concrete ops that are usually valid — honest and dishonest
 * aggregates inside the submit window, finality after the challenge window, pins and proofs against
 * the leaves it built, governance with sensible etas — and sometimes invalid on purpose (wrong window,
 * wrong member, bad signature, identical statements, …). Shrinking works on the intents.
 *
 * Reused by the property tests here, the program's differential test and the conformance suite:
 * `opSequence()` is an arbitrary of `{ slot, op }[]` ready to replay anywhere.
 */
import fc from "fast-check"
import { CHALLENGE_STATUS, PROPOSAL_STATUS, ROUND_STATUS, type Change } from "../src/accounts.ts"
import { apply, isError } from "../src/apply.ts"
import type { SignedReceipt } from "../src/aggregate.ts"
import { equal, hex } from "../src/bytes.ts"
import { sign, type Keypair } from "../src/ed25519.ts"
import type { ProtocolError } from "../src/errors.ts"
import { buildLevels, inclusionPath, leafNode, rootChildren } from "../src/merkle.ts"
import { nameHash } from "../src/name.ts"
import { aggregateDigest, receiptDigest, receiptHash, routeHash, type AggregateStatement, type Leaf, type Receipt } from "../src/objects.ts"
import type { Op, OpKind, RootOpening } from "../src/ops.ts"
import { LOCALNET_PARAMS, PARAM, param, type ParamName, type Params } from "../src/params.ts"
import { aggregateKey, emptyState, pinKey, roundKey, witnessBonded, witnessStakeAt, type State } from "../src/state.ts"
import { challengeEnd, submitWindow } from "../src/transition/rounds.ts"
import { key, receipt, route } from "./world.ts"

// ------------------------------------------------------------------------------------------ population

export const POPULATION = {
  admin: key("admin"),
  miners: [key("m1"), key("m2"), key("m3"), key("m4")],
  witnesses: [key("w1"), key("w2"), key("w3"), key("w4"), key("w5")],
  owners: [key("o1"), key("o2")],
  names: ["alpha.dns", "beta.dns"],
  outsider: key("outsider")
} as const

const SOL = 1_000_000_000n

// --------------------------------------------------------------------------------------------- intents

export const INTENT_KINDS = [
  "advanceEpoch", "minerBond", "minerUnbond", "minerWithdraw", "unjail", "witnessBond", "witnessUnbond", "witnessWithdraw", "claim",
  "fundPool", "registerName", "transferName", "submitAggregate", "finalizeRound", "proveEquivocation", "pinLeaf", "proveBadWeight",
  "proveBadOrder", "proveLeafMismatch", "openReveal", "respondReveal", "resolveReveal", "propose", "veto", "execute",
  "claimWitnessReward", "initialize"
] as const satisfies readonly OpKind[]

const WEIGHTS: Record<OpKind, number> = {
  advanceEpoch: 10, minerBond: 4, minerUnbond: 2, minerWithdraw: 2, unjail: 2, witnessBond: 4, witnessUnbond: 2, witnessWithdraw: 2,
  claim: 3, fundPool: 2, registerName: 3, transferName: 1, submitAggregate: 16, finalizeRound: 6, proveEquivocation: 3, pinLeaf: 3,
  proveBadWeight: 3, proveBadOrder: 2, proveLeafMismatch: 2, openReveal: 3, respondReveal: 3, resolveReveal: 2, propose: 3, veto: 2,
  execute: 3, claimWitnessReward: 3, initialize: 1
}

export interface Intent {
  readonly kind: OpKind
  /** Random picks the interpreter uses to choose targets and amounts. */
  readonly picks: readonly number[]
  /** 0..99: low values ask for a deliberately invalid or dishonest variant. */
  readonly flavor: number
  /** Slots to let pass before the intent. */
  readonly dt: number
}

export const intent = (): fc.Arbitrary<Intent> =>
  fc.record({
    kind: fc.oneof(...INTENT_KINDS.map((k) => ({ arbitrary: fc.constant(k as OpKind), weight: WEIGHTS[k] }))),
    picks: fc.array(fc.nat({ max: 1 << 20 }), { minLength: 6, maxLength: 6 }),
    flavor: fc.nat({ max: 99 }),
    dt: fc.nat({ max: 8 })
  })

export const intents = (opts: { minLength?: number; maxLength?: number } = {}): fc.Arbitrary<Intent[]> =>
  fc.array(intent(), { minLength: opts.minLength ?? 20, maxLength: opts.maxLength ?? 60 })

// ------------------------------------------------------------------------------------------------ play

export interface PlayedStep {
  readonly slot: bigint
  readonly op: Op
  readonly pre: State
  /** The next state, or the rejection (the state then stays `pre`). */
  readonly result: State | ProtocolError
  /** The intent this op came from: a fallback may differ from the op's own kind. */
  readonly intent: OpKind
}

/** What the generator remembers about an aggregate it built: the leaves, receipts and flaw. */
interface Built {
  readonly statement: AggregateStatement
  readonly leaves: readonly Leaf[]
  readonly receipts: readonly SignedReceipt[]
  readonly flaw: "none" | "weight" | "order" | "mismatch"
  readonly flawIndex: number
  proof(i: number): ReturnType<typeof inclusionPath>
}

class Player {
  state: State = emptyState()
  slot = 0n
  readonly steps: PlayedStep[] = []
  readonly built = new Map<string, Built>()
  private current: Intent = { kind: "initialize", picks: [0, 0, 0, 0, 0, 0], flavor: 50, dt: 0 }

  readonly params: Params
  constructor(params: Params) {
    this.params = params
  }

  exec(op: Op): boolean {
    const pre = this.state
    const result = apply(pre, op, { slot: this.slot })
    this.steps.push({ slot: this.slot, op, pre, result, intent: this.current.kind })
    if (isError(result)) return false
    this.state = result
    return true
  }
  warpTo(slot: bigint): void {
    if (slot > this.slot) this.slot = slot
  }
  p(name: ParamName): bigint {
    return this.state.config === undefined ? param(this.params, name) : param(this.state.config.params, name)
  }
  get L(): bigint {
    return this.p("epochLengthSlots")
  }
  get epoch(): bigint {
    return this.state.config?.currentEpoch ?? 0n
  }
  pick<T>(xs: readonly T[], i = 0): T | undefined {
    return xs.length === 0 ? undefined : xs[this.current.picks[i % this.current.picks.length]! % xs.length]
  }
  n(i: number): number {
    return this.current.picks[i % this.current.picks.length]!
  }
  get flavor(): number {
    return this.current.flavor
  }

  play(it: Intent): void {
    this.current = it
    this.slot += BigInt(it.dt)
    if (this.state.config === undefined) {
      this.exec({ kind: "initialize", authority: POPULATION.admin.publicKey, params: this.params, allowlist: POPULATION.miners.map((m) => m.publicKey) })
      return
    }
    const handler = HANDLERS[it.kind]
    if (!handler(this)) this.setup()
  }

  /**
   * What an intent without a target does instead: first what a world needs before anything can
   * happen (miners, witnesses, names), then the protocol's own rhythm — the committee submits, a
   * round past its window is finalized, the epoch crank turns — and otherwise time just passes.
   */
  setup(): void {
    const s = this.state
    const set = s.minerSet!
    const unbonded = POPULATION.miners.filter((m) => !this.minerEntries().some((e) => equal(e.key, m.publicKey)))
    if (set.count < 3 && unbonded.length > 0) {
      this.exec({ kind: "minerBond", miner: this.pick(unbonded)!.publicKey, amount: 5n * SOL })
      return
    }
    const noWitness = POPULATION.witnesses.filter((w) => !s.witnesses.has(hex(w.publicKey)))
    if (s.witnesses.size < 3 && noWitness.length > 0) {
      this.exec({ kind: "witnessBond", witness: this.pick(noWitness)!.publicKey, amount: BigInt(1 + (this.n(1) % 4)) * SOL })
      return
    }
    const free = POPULATION.names.map((n, i) => ({ n, i })).filter(({ n }) => !s.names.has(hex(nameHash(n))))
    if (free.length > 0) {
      const { n, i } = this.pick(free)!
      this.exec({ kind: "registerName", owner: POPULATION.owners[i]!.publicKey, name: n })
      return
    }
    for (const E of this.openEpochs()) {
      if (this.slot < submitWindow(s, E).start) continue
      for (const name of POPULATION.names) {
        const todo = this.committee(E).filter((m) => !s.aggregates.has(aggregateKey(E, nameHash(name), m.key)))
        if (todo.length === 0) continue
        todo.forEach((m, k) => submitOne(this, E, name, this.keypair(m.key)!, k))
        return
      }
    }
    const due = [...s.rounds.values()].find((r) => r.status === ROUND_STATUS.open && r.challengeEnd <= this.slot && r.openChallenges === 0)
    if (due !== undefined) {
      this.exec({ kind: "finalizeRound", epoch: due.epoch, nameHash: due.nameHash })
      return
    }
    if (this.slot / this.L > this.epoch) {
      this.exec({ kind: "advanceEpoch" })
      return
    }
    this.slot += this.L / 5n
  }

  minerEntries() {
    const set = this.state.minerSet
    return set === undefined ? [] : set.entries.slice(0, set.count)
  }
  ownerOf(name: string): Keypair | undefined {
    const acc = this.state.names.get(hex(nameHash(name)))
    return acc === undefined ? undefined : POPULATION.owners.find((o) => equal(o.publicKey, acc.owner))
  }
  /** Epochs whose submit window has not closed and whose committee exists. */
  openEpochs(): bigint[] {
    const out: bigint[] = []
    for (const e of [this.epoch - 1n, this.epoch]) {
      if (e < 0n || !this.state.committees.has(e.toString())) continue
      if (this.slot < submitWindow(this.state, e).end) out.push(e)
    }
    return out
  }
  committee(e: bigint) {
    const c = this.state.committees.get(e.toString())
    return c === undefined ? [] : c.members.slice(0, c.memberCount)
  }
  keypair(pub: Uint8Array): Keypair | undefined {
    return [...POPULATION.miners, ...POPULATION.witnesses, ...POPULATION.owners, POPULATION.admin, POPULATION.outsider].find((k) => equal(k.publicKey, pub))
  }
  builtOnChain(): Built[] {
    return [...this.built.entries()].filter(([k]) => this.state.aggregates.has(k)).map(([, b]) => b)
  }
  /** Aggregates a challenge can still reach: their round's challenge window is open. */
  challengeable(): Built[] {
    return this.builtOnChain().filter((b) => {
      const r = this.state.rounds.get(roundKey(b.statement.epoch, b.statement.nameHash))
      return r !== undefined && this.slot < r.challengeEnd
    })
  }
  pinned(b: Built, i: number): boolean {
    return this.state.pins.has(pinKey(b.statement.epoch, b.statement.nameHash, b.statement.miner, i))
  }
  pin(b: Built, i: number): boolean {
    if (this.pinned(b, i)) return true
    return this.exec({ kind: "pinLeaf", leafRef: ref(b, i), leaf: b.leaves[i]!, path: b.proof(i) })
  }
}

const ref = (b: Built, index: number) => ({ epoch: b.statement.epoch, nameHash: b.statement.nameHash, miner: b.statement.miner, index })

/** Builds an aggregate over `receipts` with `weight`, optionally with a flaw, for `miner`. */
const build = (miner: Keypair, receipts: SignedReceipt[], weight: (w: Uint8Array) => bigint, flaw: Built["flaw"], pickN: number, otherRoute: Uint8Array): Built => {
  const sorted = [...receipts].sort((a, b) => (hex(a.receipt.witness) < hex(b.receipt.witness) ? -1 : 1))
  let rs = sorted
  let leaves: Leaf[] = sorted.map((r) => ({ receiptHash: receiptHashOf(r), witness: r.receipt.witness, weight: weight(r.receipt.witness) }))
  let flawIndex = 0
  if (flaw === "order" && leaves.length < 2) flaw = "weight"
  if (flaw === "weight") {
    flawIndex = pickN % leaves.length
    leaves[flawIndex] = { ...leaves[flawIndex]!, weight: leaves[flawIndex]!.weight + 1n + BigInt(pickN % 3) }
  } else if (flaw === "order") {
    flawIndex = pickN % (leaves.length - 1)
    ;[leaves[flawIndex], leaves[flawIndex + 1]] = [leaves[flawIndex + 1]!, leaves[flawIndex]!]
    rs = [...sorted]
    ;[rs[flawIndex], rs[flawIndex + 1]] = [rs[flawIndex + 1]!, rs[flawIndex]!]
  } else if (flaw === "mismatch") {
    flawIndex = pickN % leaves.length
    const r0 = rs[flawIndex]!.receipt
    const w = POPULATION.witnesses.find((k) => equal(k.publicKey, r0.witness))!
    const other: Receipt = { ...r0, routeHash: otherRoute }
    rs = [...rs]
    rs[flawIndex] = { receipt: other, signature: sign(w, receiptDigest(other)) }
    leaves = [...leaves]
    leaves[flawIndex] = { ...leaves[flawIndex]!, receiptHash: receiptHashOf(rs[flawIndex]!) }
  }
  const levels = buildLevels(leaves.map(leafNode))
  const root = levels[levels.length - 1]![0]!
  const first = sorted[0]!.receipt
  const statement: AggregateStatement = {
    epoch: first.epoch, nameHash: first.nameHash, routeHash: first.routeHash, receiptRoot: root.hash, support: root.sum,
    receiptCount: leaves.length, miner: miner.publicKey, batchCid: null
  }
  return { statement, leaves, receipts: rs, flaw, flawIndex, proof: (i) => inclusionPath(levels, i) }
}

const receiptHashOf = (r: SignedReceipt) => receiptHash(r.receipt, r.signature)

const openingOf = (b: Built): RootOpening => (b.leaves.length === 1 ? { kind: "leaf", leaf: b.leaves[0]! } : { kind: "node", ...rootChildren(b.leaves.map(leafNode)) })

/**
 * One submission for (E, name) by `miner`: usually an existing route of the round, else a new route
 * the current owner signs at the next serial; honest weights unless the flavour asks for a flaw
 * (a provable bad leaf) or an invalid statement. `k` varies the witnesses of batch submissions.
 */
const submitOne = (p: Player, E: bigint, name: string, miner: Keypair, k: number): void => {
  const nh = nameHash(name)
  const round = p.state.rounds.get(roundKey(E, nh))
  const nameAcc = p.state.names.get(hex(nh))!
  const owner = p.ownerOf(name)!
  const routes = round === undefined ? [] : round.routes.slice(0, round.routeCount)
  let rh: Uint8Array
  let auth: { serial: bigint; owner: Uint8Array; signature: Uint8Array } | null = null
  const existing = p.flavor >= 30 || p.n(4) % 4 !== 0 ? p.pick(routes, 4) : undefined
  if (existing !== undefined) {
    rh = existing.routeHash
    // An authorization the known route does not need must still verify [SIG-1].
    if (p.flavor >= 88 && p.flavor < 90) auth = { serial: existing.serial, owner: owner.publicKey, signature: new Uint8Array(64) }
  } else {
    const top = routes.reduce((m, r) => (r.serial > m ? r.serial : m), nameAcc.serial)
    const serial = (p.flavor >= 94 ? nameAcc.serial : top) + 1n + BigInt(p.n(5) % 2)
    // A valid signature by a key that does not own the name [SIG-2].
    const signer = p.flavor >= 92 && p.flavor < 94 ? POPULATION.admin : owner
    const r = route(name, serial, signer, `10.${p.n(5) % 200}.0.1`)
    rh = routeHash(r.record)
    // A signature that does not verify under the key it names [SIG-1].
    auth = p.flavor >= 97 ? null : { serial, owner: signer.publicKey, signature: p.flavor >= 90 && p.flavor < 92 ? sign(POPULATION.admin, r.signature) : r.signature }
  }
  const bits = p.n(1 + k)
  const ws = POPULATION.witnesses.filter((_, i) => ((bits >> i) & 1) === 1)
  const chosen = ws.length > 0 ? ws : [POPULATION.witnesses[bits % 5]!]
  const flaw: Built["flaw"] = p.flavor >= 14 && p.flavor < 30 && k === 0 ? (["weight", "order", "mismatch"] as const)[p.n(0) % 3]! : "none"
  const weight = (w: Uint8Array) => witnessStakeAt(p.state.witnesses.get(hex(w)), E)
  const b = build(miner, chosen.map((w) => receipt(w, E, name, rh)), weight, flaw, p.n(2), nameHash(`x${p.n(2)}.dns`))
  const statement = p.flavor >= 30 && p.flavor < 33 ? { ...b.statement, support: b.statement.support + 1n } : b.statement
  const ok = p.exec({ kind: "submitAggregate", statement, opening: openingOf(b), auth })
  if (ok && !p.built.has(aggregateKey(E, nh, miner.publicKey))) p.built.set(aggregateKey(E, nh, miner.publicKey), b)
}

type Handler = (p: Player) => boolean

const HANDLERS: Record<OpKind, Handler> = {
  initialize: (p) => p.exec({ kind: "initialize", authority: POPULATION.admin.publicKey, params: p.params, allowlist: [] }),

  advanceEpoch: (p) => {
    if (p.flavor >= 8 && p.slot / p.L <= p.epoch) p.warpTo((p.epoch + 1n) * p.L + BigInt(p.n(0) % 4))
    return p.exec({ kind: "advanceEpoch" })
  },

  minerBond: (p) => {
    const who = p.flavor < 4 ? POPULATION.outsider : p.pick(POPULATION.miners)!
    const min = p.p("minMinerStake")
    const amount = p.flavor < 8 ? 0n : p.flavor < 12 ? min / 2n : min + BigInt(p.n(1) % 5) * SOL
    return p.exec({ kind: "minerBond", miner: who.publicKey, amount })
  },
  minerUnbond: (p) => {
    const e = p.pick(p.minerEntries())
    if (e === undefined) return false
    const bonded = e.active + e.pending
    const min = p.p("minMinerStake")
    const amount = p.flavor < 8 ? bonded + 1n : p.flavor < 45 || bonded - min < 1n ? bonded : 1n + (BigInt(p.n(1)) % (bonded - min))
    return p.exec({ kind: "minerUnbond", miner: e.key, amount })
  },
  minerWithdraw: (p) => {
    const es = p.minerEntries()
    const ready = es.filter((x) => x.unbonding > 0n && (p.flavor < 20 || x.unbondReadyEpoch <= p.epoch))
    const e = p.pick(ready) ?? (p.flavor < 20 ? p.pick(es) : undefined)
    return e !== undefined && p.exec({ kind: "minerWithdraw", miner: e.key })
  },
  unjail: (p) => {
    const es = p.minerEntries()
    const e = p.pick(es.filter((x) => x.jailed === 1)) ?? (p.flavor < 20 ? p.pick(es) : undefined)
    return e !== undefined && p.exec({ kind: "unjail", miner: e.key })
  },
  witnessBond: (p) => {
    const w = p.pick(POPULATION.witnesses)!
    const amount = p.flavor < 6 ? 0n : BigInt(1 + (p.n(1) % 40)) * (SOL / 10n)
    return p.exec({ kind: "witnessBond", witness: w.publicKey, amount })
  },
  witnessUnbond: (p) => {
    const w = p.pick([...p.state.witnesses.values()])
    if (w === undefined) return false
    const bonded = witnessBonded(w)
    const min = p.p("minWitnessStake")
    const amount = p.flavor < 8 ? bonded + 1n : p.flavor < 45 || bonded - min < 1n ? bonded : 1n + (BigInt(p.n(1)) % (bonded - min))
    return p.exec({ kind: "witnessUnbond", witness: w.key, amount })
  },
  witnessWithdraw: (p) => {
    const ws = [...p.state.witnesses.values()]
    const ready = ws.filter((x) => x.unbonding > 0n && (p.flavor < 20 || x.unbondReadyEpoch <= p.epoch))
    const w = p.pick(ready) ?? (p.flavor < 20 ? p.pick(ws) : undefined)
    return w !== undefined && p.exec({ kind: "witnessWithdraw", witness: w.key })
  },
  claim: (p) => {
    const miners = p.minerEntries().filter((e) => e.claimable > 0n).map((e) => ({ who: e.key, role: "miner" as const }))
    const wits = [...p.state.witnesses.values()].filter((w) => w.claimable > 0n).map((w) => ({ who: w.key, role: "witness" as const }))
    const c = p.pick([...miners, ...wits]) ?? (p.flavor < 30 ? { who: p.pick(POPULATION.witnesses)!.publicKey, role: "witness" as const } : undefined)
    return c !== undefined && p.exec({ kind: "claim", ...c })
  },
  fundPool: (p) => p.exec({ kind: "fundPool", funder: p.pick([POPULATION.admin, POPULATION.outsider])!.publicKey, amount: p.flavor < 5 ? 0n : BigInt(1 + (p.n(1) % 10_000_000)) }),
  registerName: (p) => {
    const i = p.n(0) % 2
    const name = p.flavor < 5 ? "Bad.dns" : POPULATION.names[i]!
    if (p.flavor >= 10 && p.state.names.has(hex(nameHash(name)))) return false
    return p.exec({ kind: "registerName", owner: POPULATION.owners[i]!.publicKey, name })
  },
  transferName: (p) => {
    const name = p.pick(POPULATION.names.filter((n) => p.state.names.has(hex(nameHash(n)))))
    if (name === undefined) return false
    const owner = p.ownerOf(name)
    const from = p.flavor < 10 || owner === undefined ? p.pick(POPULATION.owners, 1)! : owner
    const to = p.pick(POPULATION.owners, 2)!
    return p.exec({ kind: "transferName", owner: from.publicKey, nameHash: nameHash(name), newOwner: to.publicKey })
  },

  submitAggregate: (p) => {
    const E = p.pick(p.openEpochs())
    if (E === undefined) return false
    const name = p.pick(POPULATION.names.filter((n) => p.state.names.has(hex(nameHash(n)))), 1)
    if (name === undefined) return false
    const nh = nameHash(name)
    const members = p.committee(E)
    const submitted = (k: Uint8Array) => p.state.aggregates.has(aggregateKey(E, nh, k))
    const window = submitWindow(p.state, E)
    if (p.slot < window.start) p.warpTo(window.start + BigInt(p.n(3)) % (window.end - window.start))
    // A third of the time the whole committee turns up: every member yet to submit names one route.
    if (p.flavor >= 40 && p.flavor < 73) {
      const todo = members.filter((m) => !submitted(m.key))
      if (todo.length === 0) return false
      todo.forEach((m, k) => submitOne(p, E, name, p.keypair(m.key)!, k))
      return true
    }
    let miner: Keypair | undefined
    if (p.flavor < 6) miner = p.pick(POPULATION.miners.filter((m) => !members.some((x) => equal(x.key, m.publicKey))), 2)
    else if (p.flavor < 14) miner = p.keypair(p.pick(members.filter((m) => submitted(m.key)), 2)?.key ?? new Uint8Array(32))
    miner ??= p.keypair(p.pick(members.filter((m) => !submitted(m.key)), 2)?.key ?? new Uint8Array(32))
    if (miner === undefined) return false
    submitOne(p, E, name, miner, 0)
    return true
  },
  finalizeRound: (p) => {
    const open = [...p.state.rounds.values()].filter((r) => r.status === ROUND_STATUS.open)
    const r = p.pick(open) ?? (p.flavor < 10 ? p.pick([...p.state.rounds.values()]) : undefined)
    if (r === undefined) return false
    if (p.flavor >= 15 && p.slot < r.challengeEnd) p.warpTo(r.challengeEnd + BigInt(p.n(1) % 4))
    return p.exec({ kind: "finalizeRound", epoch: r.epoch, nameHash: r.nameHash })
  },
  proveEquivocation: (p) => {
    const E = p.pick([p.epoch - 1n, p.epoch].filter((e) => e >= 0n && p.state.committees.has(e.toString())))
    if (E === undefined) return false
    const name = p.pick(POPULATION.names, 1)!
    const nh = nameHash(name)
    const end = p.state.rounds.get(roundKey(E, nh))?.challengeEnd ?? challengeEnd(p.state, E)
    if (p.slot >= end && p.flavor >= 10) return false
    const miner = p.pick(p.minerEntries(), 2)
    const kp = miner === undefined ? undefined : p.keypair(miner.key)
    if (kp === undefined) return false
    const rh = routeHash(route(name, 1n + BigInt(p.n(3) % 3), POPULATION.owners[0]).record)
    const weight = (w: Uint8Array) => witnessStakeAt(p.state.witnesses.get(hex(w)), E)
    const a = build(kp, [receipt(POPULATION.witnesses[0], E, name, rh)], weight, "none", 0, rh)
    const b = build(kp, [receipt(POPULATION.witnesses[0], E, name, rh), receipt(POPULATION.witnesses[1], E, name, rh)], weight, "none", 0, rh)
    const sa = { statement: a.statement, signature: sign(kp, aggregateDigest(a.statement)) }
    const sb = { statement: b.statement, signature: sign(kp, aggregateDigest(b.statement)) }
    const onChain = p.state.aggregates.has(aggregateKey(E, nh, kp.publicKey))
    const second = p.flavor < 8 ? sa : onChain && p.flavor < 55 ? null : sb
    return p.exec({ kind: "proveEquivocation", challenger: POPULATION.outsider.publicKey, first: sa, second })
  },
  pinLeaf: (p) => {
    const b = p.pick(p.builtOnChain())
    if (b === undefined) return false
    const i = b.flaw !== "none" && p.flavor >= 30 ? b.flawIndex : p.n(1) % b.leaves.length
    const path = p.flavor < 8 ? b.proof((i + 1) % b.leaves.length) : b.proof(i)
    return p.exec({ kind: "pinLeaf", leafRef: ref(b, i), leaf: b.leaves[i]!, path })
  },
  proveBadWeight: (p) => challenge(p, "weight", (b, i) => ({ kind: "proveBadWeight", challenger: POPULATION.outsider.publicKey, leafRef: ref(b, i) })),
  proveBadOrder: (p) =>
    challenge(p, "order", (b, i) => (p.pin(b, Math.min(i + 1, b.leaves.length - 1)), { kind: "proveBadOrder", challenger: POPULATION.outsider.publicKey, leafRef: ref(b, i) })),
  proveLeafMismatch: (p) =>
    challenge(p, "mismatch", (b, i) => ({ kind: "proveLeafMismatch", challenger: POPULATION.outsider.publicKey, leafRef: ref(b, i), receipt: b.receipts[i]!.receipt, signature: b.receipts[i]!.signature })),
  openReveal: (p) => {
    const b = p.pick(p.flavor < 5 ? p.builtOnChain() : p.challengeable())
    if (b === undefined) return false
    return p.exec({ kind: "openReveal", challenger: POPULATION.outsider.publicKey, leafRef: ref(b, p.n(1) % (b.leaves.length + (p.flavor < 5 ? 1 : 0))) })
  },
  respondReveal: (p) => {
    let c = p.pick([...p.state.challenges.values()].filter((x) => x.status === CHALLENGE_STATUS.open && (p.flavor < 10 || p.slot < x.deadline)))
    // No challenge waiting for an answer: open one and answer it, an episode of its own.
    if (c === undefined && p.flavor >= 30) c = openOne(p)
    if (c === undefined) return false
    const b = p.built.get(aggregateKey(c.epoch, c.nameHash, c.miner))
    if (b === undefined) return false
    const i = c.leafIndex
    p.pin(b, i)
    const r = b.receipts[p.flavor < 10 ? (i + 1) % b.receipts.length : i]!
    return p.exec({ kind: "respondReveal", leafRef: ref(b, i), receipt: r.receipt, signature: r.signature })
  },
  resolveReveal: (p) => {
    let c = p.pick([...p.state.challenges.values()].filter((x) => x.status === CHALLENGE_STATUS.open))
    if (c === undefined && p.flavor >= 30) c = openOne(p)
    if (c === undefined) return false
    if (p.flavor >= 20) p.warpTo(c.deadline)
    return p.exec({ kind: "resolveReveal", leafRef: { epoch: c.epoch, nameHash: c.nameHash, miner: c.miner, index: c.leafIndex } })
  },
  propose: (p) => {
    const zero = new Uint8Array(32)
    const options: Change[] = [
      { kind: 0, param: PARAM.roundReward, value: BigInt(1 + (p.n(1) % 50)) * 100_000n, key: zero },
      { kind: 0, param: PARAM.quorumBps, value: 6000n + BigInt(p.n(1) % 3000), key: zero },
      { kind: 0, param: PARAM.slashBps, value: BigInt(p.n(1) % 5000), key: zero },
      { kind: 0, param: PARAM.minSupport, value: BigInt(p.n(1) % 3) * SOL, key: zero },
      { kind: 2, param: 0, value: 0n, key: p.pick(POPULATION.miners, 1)!.publicKey },
      { kind: 1, param: 0, value: 0n, key: p.pick(POPULATION.miners, 1)!.publicKey },
      { kind: 0, param: PARAM.committeeMode, value: BigInt(p.n(1) % 2), key: zero }
    ]
    const change = p.flavor < 5 ? { kind: 0, param: PARAM.epochLengthSlots, value: 10n, key: zero } : p.pick(options, 2)!
    const eta = p.epoch + p.p("minTimelockEpochs") + BigInt(p.n(3) % 2) - (p.flavor >= 5 && p.flavor < 10 ? 1n : 0n)
    const proposer = p.flavor >= 10 && p.flavor < 14 ? POPULATION.outsider : POPULATION.admin
    return p.exec({ kind: "propose", proposer: proposer.publicKey, changes: [change], etaEpoch: eta })
  },
  veto: (p) => {
    const prop = p.pick([...p.state.proposals.values()].filter((x) => x.status === PROPOSAL_STATUS.queued && (p.flavor < 10 || p.epoch < x.etaEpoch)))
    if (prop === undefined) return false
    const voter = p.pick([...POPULATION.miners, ...POPULATION.witnesses, POPULATION.outsider], 1)!
    return p.exec({ kind: "veto", voter: voter.publicKey, proposalId: prop.id })
  },
  execute: (p) => {
    // Due from its eta for as many epochs as its own timelock lasted [GOV-17].
    const due = (x: { etaEpoch: bigint; createdEpoch: bigint }) => p.flavor < 15 || (x.etaEpoch <= p.epoch && p.epoch <= 2n * x.etaEpoch - x.createdEpoch)
    const prop = p.pick([...p.state.proposals.values()].filter((x) => x.status === PROPOSAL_STATUS.queued && due(x))) ?? (p.flavor < 10 ? p.pick([...p.state.proposals.values()]) : undefined)
    return prop !== undefined && p.exec({ kind: "execute", proposalId: prop.id })
  },
  claimWitnessReward: (p) => {
    const rounds = [...p.state.rounds.values()].filter((r) => r.status === ROUND_STATUS.finalized)
    const r = p.pick(rounds)
    if (r === undefined) return false
    const b = p.pick(p.builtOnChain().filter((x) => x.statement.epoch === r.epoch && equal(x.statement.nameHash, r.nameHash)), 1)
    if (b === undefined) return false
    const i = p.n(2) % b.leaves.length
    p.pin(b, i)
    return p.exec({ kind: "claimWitnessReward", leafRef: ref(b, i) })
  }
}

/** Opens a reveal challenge on a leaf of a challengeable aggregate; returns it when it opened. */
const openOne = (p: Player) => {
  const b = p.pick(p.challengeable(), 3)
  if (b === undefined) return undefined
  const i = p.n(4) % b.leaves.length
  if (!p.exec({ kind: "openReveal", challenger: POPULATION.outsider.publicKey, leafRef: ref(b, i) })) return undefined
  return p.state.challenges.get(pinKey(b.statement.epoch, b.statement.nameHash, b.statement.miner, i))
}

/** A leaf challenge: prefers an aggregate with the flaw the proof is for, pins what it needs, then proves. */
const challenge = (p: Player, flaw: Built["flaw"], op: (b: Built, i: number) => Op): boolean => {
  const all = p.flavor < 5 ? p.builtOnChain() : p.challengeable()
  const flawed = all.filter((x) => x.flaw === flaw)
  // Asked for one proof but only another flaw is out there: prove that one instead.
  if (flawed.length === 0 && p.flavor >= 20) {
    const other = p.pick(all.filter((x) => x.flaw !== "none"))
    if (other !== undefined) return PROOF_OF[other.flaw as Exclude<Built["flaw"], "none">](p)
  }
  const b = (p.flavor >= 20 ? p.pick(flawed) : undefined) ?? p.pick(all)
  if (b === undefined) return false
  const i = b.flaw === flaw && p.flavor >= 20 ? b.flawIndex : p.n(1) % b.leaves.length
  if (p.flavor >= 10) p.pin(b, i)
  return p.exec(op(b, i))
}

const PROOF_OF = {
  weight: (p: Player) => HANDLERS.proveBadWeight(p),
  order: (p: Player) => HANDLERS.proveBadOrder(p),
  mismatch: (p: Player) => HANDLERS.proveLeafMismatch(p)
}

/** Localnet parameters with quorum_bps 6000, so that two of three members finalize a route. */
export const GENERATOR_PARAMS: Params = (() => {
  const p = [...LOCALNET_PARAMS]
  p[PARAM.quorumBps] = 6000n
  return p
})()

/** Plays intents from the empty state; the first step is always `initialize`. */
export const play = (xs: readonly Intent[], params: Params = GENERATOR_PARAMS): { steps: PlayedStep[]; state: State } => {
  const p = new Player(params)
  p.play({ kind: "initialize", picks: [0, 0, 0, 0, 0, 0], flavor: 50, dt: 0 })
  for (const x of xs) p.play(x)
  return { steps: p.steps, state: p.state }
}

/** An arbitrary of concrete op sequences (`{ slot, op }`), each starting with `initialize`. */
export const opSequence = (opts: { minLength?: number; maxLength?: number; params?: Params } = {}): fc.Arbitrary<{ slot: bigint; op: Op }[]> =>
  intents(opts).map((xs) => play(xs, opts.params).steps.map(({ slot, op }) => ({ slot, op })))

/** Parameters with short windows in stake mode, so sequences also exercise committee sampling. */
export const STAKE_MODE_PARAMS: Params = (() => {
  const p = [...GENERATOR_PARAMS]
  p[PARAM.committeeMode] = 1n
  p[PARAM.committeeSize] = 2n
  return p
})()
