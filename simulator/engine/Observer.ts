/**
 * What the run saw happen on chain. Every transaction reaches the observer with the accounts it could
 * write, before and after; the observer decodes the program's accounts among them and turns the
 * differences into events (an epoch advanced, a committee drawn, a miner slashed or jailed, a round
 * finalized or failed, a challenge opened or settled, a proposal vetoed or executed, parameters
 * activated) and into the `History` that expectations and metrics are computed from.
 */
import { ACCOUNTS, CHALLENGE_STATUS, DISCRIMINATORS, PROPOSAL_STATUS, ROUND_STATUS, AGGREGATE_FLAG, type AccountKind } from "../../spec/src/accounts.ts"
import { equal, hex } from "../../spec/src/bytes.ts"
import type { OpKind } from "../../spec/src/ops.ts"
import { PARAM, PARAM_COUNT, type ParamName } from "../../spec/src/params.ts"
import { decodeAccount, type AccountOf } from "../../programs/client/decode.ts"
import type { TxRecord } from "../world/World.ts"
import { short, solOf, type EventLog } from "./EventLog.ts"

export interface TxSeen {
  readonly slot: bigint
  readonly epoch: bigint
  readonly payer: string
  readonly via: string
  readonly op: OpKind | "other"
  readonly ok: boolean
  readonly rule: string | undefined
  readonly cu: bigint
  readonly duplicate: boolean
}

export interface Finality {
  readonly slot: bigint
  readonly epoch: bigint
  /** The round's epoch. */
  readonly roundEpoch: bigint
  readonly name: string
  readonly serial: bigint
  readonly routeHash: Uint8Array
  /** `ok`: the owner's newest route when the round's receipts were signed; `stale`: an older one; `forged`: never published. */
  readonly verdict: "ok" | "stale" | "forged"
  /** Share of committee stake behind the route. */
  readonly weightShare: number
}

export interface ChallengeSeen {
  readonly slot: bigint
  readonly epoch: bigint
  readonly kind: "equivocation" | "badWeight" | "badOrder" | "mismatch" | "reveal"
  readonly against: string
  readonly by: string
  readonly outcome: "open" | "upheld" | "rejected" | "moot"
}

export interface RoutePublication {
  readonly slot: bigint
  readonly epoch: bigint
  readonly name: string
  readonly serial: bigint
  readonly routeHash: Uint8Array
}

export interface ClientAnswer {
  readonly slot: bigint
  readonly epoch: bigint
  readonly client: string
  readonly name: string
  readonly serial: bigint | undefined
  readonly answer: string
}

export interface History {
  readonly txs: TxSeen[]
  readonly slashes: { slot: bigint; epoch: bigint; miner: string; amount: bigint; op: string; by: string }[]
  readonly jails: { slot: bigint; epoch: bigint; miner: string; jailed: boolean }[]
  readonly finalities: Finality[]
  readonly failedRounds: { slot: bigint; epoch: bigint; roundEpoch: bigint; name: string }[]
  readonly challenges: ChallengeSeen[]
  readonly proposals: Map<bigint, { label: string; status: "queued" | "vetoed" | "executed"; createdEpoch: bigint; etaEpoch: bigint; executedEpoch?: bigint; vetoedEpoch?: bigint }>
  readonly paramChanges: { slot: bigint; epoch: bigint; name: string; from: bigint; to: bigint; op: string }[]
  readonly committees: Map<bigint, { members: string[]; stakes: bigint[]; total: bigint; jailedSeated: string[] }>
  readonly publications: RoutePublication[]
  readonly clients: ClientAnswer[]
}

export const emptyHistory = (): History => ({
  txs: [],
  slashes: [],
  jails: [],
  finalities: [],
  failedRounds: [],
  challenges: [],
  proposals: new Map(),
  paramChanges: [],
  committees: new Map(),
  publications: [],
  clients: []
})

const KIND_BY_DISC = new Map<string, AccountKind>((Object.keys(DISCRIMINATORS) as AccountKind[]).map((k) => [hex(DISCRIMINATORS[k]), k]))
const kindOf = (data: Uint8Array | undefined): AccountKind | undefined => (data === undefined || data.length < 8 ? undefined : KIND_BY_DISC.get(hex(data.subarray(0, 8))))

/**
 * The fields of each account kind the observer reports on. An account whose bytes changed is decoded
 * only if one of these did (decoding a MinerSet or a Config is the observer's main cost).
 */
const WATCHED: Partial<Record<AccountKind, readonly string[]>> = {
  Config: ["currentEpoch", "params", "allowlistCount", "allowlist", "authority"],
  MinerSet: ["count", "entries"],
  Round: ["status"],
  Aggregate: ["flags"],
  Challenge: ["status"],
  Proposal: ["status", "vetoStake"],
  Committee: []
}

const fieldRanges = (kind: AccountKind): { start: number; end: number }[] => {
  const layout = ACCOUNTS[kind].layout as { readonly offsets: Readonly<Record<string, number>>; readonly fields: Readonly<Record<string, { readonly size: number }>> }
  return (WATCHED[kind] ?? []).map((f) => ({ start: layout.offsets[f]!, end: layout.offsets[f]! + layout.fields[f]!.size }))
}
const RANGES = new Map<AccountKind, { start: number; end: number }[]>((Object.keys(WATCHED) as AccountKind[]).map((k) => [k, fieldRanges(k)]))

/** Whether a write is news: a created or closed account, or a change in a watched field. */
const newsworthy = (kind: AccountKind, before: Uint8Array | undefined, after: Uint8Array | undefined): boolean => {
  // A round opens and an aggregate is stored in an unremarkable state; everything else created is news.
  if (before === undefined) return after !== undefined && kind !== "Round" && kind !== "Aggregate"
  if (after === undefined) return true
  const ranges = RANGES.get(kind)
  if (ranges === undefined) return false
  for (const { start, end } of ranges) if (Buffer.compare(before.subarray(start, end), after.subarray(start, end)) !== 0) return true
  return false
}

const PARAM_NAME_BY_ID = new Map<number, string>((Object.keys(PARAM) as ParamName[]).map((k) => [PARAM[k], k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)]))

const PROOF_KIND: Partial<Record<OpKind, ChallengeSeen["kind"]>> = {
  proveEquivocation: "equivocation",
  proveBadWeight: "badWeight",
  proveBadOrder: "badOrder",
  proveLeafMismatch: "mismatch"
}

/** The Ed25519 program's custom errors (solana PrecompileError). */
const PRECOMPILE_ERRORS = ["InvalidPublicKey", "InvalidRecoveryId", "InvalidSignature", "InvalidDataOffsets", "InvalidInstructionDataSize"]

/**
 * A failure that names no dotdns rule, as one token: a transaction error (`BlockhashNotFound`), or the
 * failing instruction's program and error (`ed25519:InvalidSignature` — the Ed25519 program refused a
 * carried signature before the dotdns program ran [SIG-1]).
 */
export const failureLabel = (tx: TxRecord): string => {
  const err = tx.outcome.err
  if (typeof err === "string") return err
  const ie = err?.["InstructionError"]
  if (Array.isArray(ie)) {
    const program = tx.programs[Number(ie[0])] ?? "?"
    const inner: unknown = ie[1]
    const code = typeof inner === "object" && inner !== null && "Custom" in inner ? Number((inner as { Custom: unknown }).Custom) : undefined
    const what = code === undefined ? String(inner) : program === "ed25519" ? (PRECOMPILE_ERRORS[code] ?? `Custom(${code})`) : `Custom(${code})`
    return `${program}:${what}`
  }
  return "?"
}

export interface ObserverContext {
  readonly log: EventLog
  readonly history: History
  label(key: Uint8Array): string
  nameOf(nameHash: Uint8Array): string
  /** The serial of a route the owner published, if it did. */
  serialOf(nameHash: Uint8Array, routeHash: Uint8Array): bigint | undefined
  /** The owner's newest serial published at or before `slot`. */
  newestSerialAt(nameHash: Uint8Array, slot: bigint): bigint
  /** The slot in epoch E at which honest witnesses sign E's receipts. */
  receiptSlot(epoch: bigint): bigint
  proposalLabel(id: bigint): string
  readonly via: () => string
  readonly epoch: () => bigint
}

export class Observer {
  private readonly c: ObserverContext
  constructor(c: ObserverContext) {
    this.c = c
  }

  onTx(tx: TxRecord): void {
    const { log, history: h } = this.c
    const op: OpKind | "other" = tx.ops.length === 1 ? tx.ops[0]! : tx.ops.length === 0 ? "other" : tx.ops[tx.ops.length - 1]!
    const payer = this.c.label(tx.payer)
    const epoch = this.c.epoch()
    const rule = tx.outcome.ok ? undefined : (tx.outcome.rule ?? failureLabel(tx))
    h.txs.push({ slot: tx.slot, epoch, payer, via: this.c.via(), op, ok: tx.outcome.ok, rule, cu: tx.outcome.cu, duplicate: tx.duplicate })
    log.emit("tx", {
      op,
      by: payer,
      via: this.c.via(),
      ok: tx.outcome.ok,
      ...(tx.outcome.ok ? {} : { rule: rule ?? "?" }),
      ...(tx.duplicate ? { duplicate: true } : {}),
      cu: tx.outcome.cu
    })
    if (!tx.outcome.ok) return

    // Only accounts whose watched fields changed (or that were created or closed) can have news.
    const changed = tx.writes.filter((w) => {
      const kind = kindOf(w.after?.data ?? w.before?.data)
      return kind !== undefined && newsworthy(kind, w.before?.data, w.after?.data)
    })

    // Slashes first: proofs name their target through them.
    const slashed: string[] = []
    for (const w of changed) {
      if (kindOf(w.after?.data) !== "MinerSet") continue
      const before = w.before === undefined ? undefined : decodeAccount("MinerSet", w.before.data)
      const after = decodeAccount("MinerSet", w.after!.data)
      if (after === undefined) continue
      for (let i = 0; i < after.count; i++) {
        const e = after.entries[i]!
        const label = this.c.label(e.key)
        const prev = before === undefined || i >= before.count ? undefined : before.entries[i]!
        if (prev === undefined) {
          log.emit("miner.registered", { miner: label })
          continue
        }
        const total = e.active + e.pending + e.unbonding
        const prevTotal = prev.active + prev.pending + prev.unbonding
        if (total < prevTotal && op !== "minerWithdraw") {
          const amount = prevTotal - total
          slashed.push(label)
          h.slashes.push({ slot: tx.slot, epoch, miner: label, amount, op, by: payer })
          log.emit("miner.slashed", { miner: label, sol: solOf(amount), op, by: payer })
        }
        if (e.jailed !== prev.jailed) {
          h.jails.push({ slot: tx.slot, epoch, miner: label, jailed: e.jailed !== 0 })
          log.emit(e.jailed !== 0 ? "miner.jailed" : "miner.unjailed", { miner: label })
        }
      }
    }
    const proof = op === "other" ? undefined : PROOF_KIND[op]
    if (proof !== undefined) {
      for (const m of slashed) {
        h.challenges.push({ slot: tx.slot, epoch, kind: proof, against: m, by: payer, outcome: "upheld" })
        log.emit("challenge.proved", { kind: proof, against: m, by: payer })
      }
    }

    for (const w of changed) {
      const kind = kindOf(w.after?.data ?? w.before?.data)
      if (kind === undefined) continue
      switch (kind) {
        case "Config":
          this.config(tx, op, w.before === undefined ? undefined : decodeAccount("Config", w.before.data), w.after === undefined ? undefined : decodeAccount("Config", w.after.data))
          break
        case "Committee":
          if (w.before === undefined && w.after !== undefined) this.committee(decodeAccount("Committee", w.after.data), tx)
          break
        case "Round":
          this.round(tx, w.before === undefined ? undefined : decodeAccount("Round", w.before.data), w.after === undefined ? undefined : decodeAccount("Round", w.after.data))
          break
        case "Challenge":
          this.challenge(tx, payer, w.before === undefined ? undefined : decodeAccount("Challenge", w.before.data), w.after === undefined ? undefined : decodeAccount("Challenge", w.after.data))
          break
        case "Aggregate": {
          const before = w.before === undefined ? undefined : decodeAccount("Aggregate", w.before.data)
          const after = w.after === undefined ? undefined : decodeAccount("Aggregate", w.after.data)
          // A second, different on-chain submission: the transaction was the proof [EQV-2].
          if (op === "submitAggregate" && after !== undefined && (after.flags & AGGREGATE_FLAG.equivocated) !== 0 && (before === undefined || (before.flags & AGGREGATE_FLAG.equivocated) === 0)) {
            const m = this.c.label(after.miner)
            h.challenges.push({ slot: tx.slot, epoch, kind: "equivocation", against: m, by: "program", outcome: "upheld" })
            log.emit("challenge.proved", { kind: "equivocation", against: m, by: "program", onChain: true })
          }
          break
        }
        case "Proposal":
          this.proposal(tx, w.before === undefined ? undefined : decodeAccount("Proposal", w.before.data), w.after === undefined ? undefined : decodeAccount("Proposal", w.after.data))
          break
        default:
          break
      }
    }
  }

  private config(tx: TxRecord, op: string, before: AccountOf<"Config"> | undefined, after: AccountOf<"Config"> | undefined): void {
    if (after === undefined) return
    const { log, history: h } = this.c
    if (before !== undefined && after.currentEpoch !== before.currentEpoch) log.emit("epoch.advanced", { to: after.currentEpoch })
    if (before === undefined) return
    const changed: Record<string, string> = {}
    for (let i = 0; i < PARAM_COUNT; i++) {
      if (after.params[i] === before.params[i]) continue
      const name = PARAM_NAME_BY_ID.get(i) ?? String(i)
      h.paramChanges.push({ slot: tx.slot, epoch: after.currentEpoch, name, from: before.params[i]!, to: after.params[i]!, op })
      changed[name] = `${before.params[i]} -> ${after.params[i]}`
    }
    if (Object.keys(changed).length > 0) log.emit("params.activated", { atEpoch: after.currentEpoch, op, ...changed })
    if (after.allowlistCount !== before.allowlistCount || !after.allowlist.every((k, i) => equal(k, before.allowlist[i]!)))
      log.emit("allowlist.changed", { atEpoch: after.currentEpoch, allowlist: after.allowlist.slice(0, after.allowlistCount).map((k) => this.c.label(k)) })
    if (!equal(after.authority, before.authority)) log.emit("authority.changed", { to: this.c.label(after.authority) })
  }

  private committee(c: AccountOf<"Committee"> | undefined, tx: TxRecord): void {
    if (c === undefined) return
    const members: string[] = []
    const stakes: bigint[] = []
    for (let i = 0; i < c.memberCount; i++) {
      members.push(this.c.label(c.members[i]!.key))
      stakes.push(c.members[i]!.stake)
    }
    // Members jailed at the moment of the draw (the program never seats one [CMT-2]; checked here).
    const jailedSeated: string[] = []
    for (const w of tx.writes) {
      if (kindOf(w.after?.data) !== "MinerSet") continue
      const set = decodeAccount("MinerSet", w.after!.data)
      if (set === undefined) continue
      for (let i = 0; i < set.count; i++) {
        const e = set.entries[i]!
        if (e.jailed !== 0 && members.includes(this.c.label(e.key))) jailedSeated.push(this.c.label(e.key))
      }
    }
    this.c.history.committees.set(c.epoch, { members, stakes, total: c.totalStake, jailedSeated })
    this.c.log.emit("committee", { forEpoch: c.epoch, members, stakeSol: stakes.map(solOf), totalSol: solOf(c.totalStake) })
  }

  private round(tx: TxRecord, before: AccountOf<"Round"> | undefined, after: AccountOf<"Round"> | undefined): void {
    if (after === undefined) return
    const { log, history: h } = this.c
    const name = this.c.nameOf(after.nameHash)
    if (before !== undefined && before.status === after.status) return
    if (after.status === ROUND_STATUS.finalized) {
      const route = after.routes[after.finalizedRoute]!
      const committee = h.committees.get(after.epoch)
      const share = committee === undefined || committee.total === 0n ? 0 : Number((route.weight * 1_000_000n) / committee.total) / 1_000_000
      const published = this.c.serialOf(after.nameHash, route.routeHash)
      const newest = this.c.newestSerialAt(after.nameHash, this.c.receiptSlot(after.epoch))
      const verdict = published === undefined ? "forged" : published < newest ? "stale" : "ok"
      h.finalities.push({ slot: tx.slot, epoch: this.c.epoch(), roundEpoch: after.epoch, name, serial: route.serial, routeHash: route.routeHash, verdict, weightShare: share })
      log.emit("round.finalized", { round: after.epoch, name, serial: route.serial, route: short(route.routeHash), weightShare: share, verdict })
    } else if (after.status === ROUND_STATUS.failed) {
      h.failedRounds.push({ slot: tx.slot, epoch: this.c.epoch(), roundEpoch: after.epoch, name })
      const routes = after.routes.slice(0, after.routeCount).map((r) => ({ serial: r.serial, route: short(r.routeHash), weightSol: solOf(r.weight) }))
      log.emit("round.failed", { round: after.epoch, name, routes })
    }
  }

  private challenge(tx: TxRecord, payer: string, before: AccountOf<"Challenge"> | undefined, after: AccountOf<"Challenge"> | undefined): void {
    if (after === undefined) return
    const { log, history: h } = this.c
    const against = this.c.label(after.miner)
    if (before === undefined) {
      h.challenges.push({ slot: tx.slot, epoch: this.c.epoch(), kind: "reveal", against, by: payer, outcome: "open" })
      log.emit("challenge.opened", { kind: "reveal", against, index: after.leafIndex, round: after.epoch, name: this.c.nameOf(after.nameHash), by: payer, deadline: after.deadline })
      return
    }
    if (before.status === after.status) return
    const outcome = after.status === CHALLENGE_STATUS.upheld ? "upheld" : after.status === CHALLENGE_STATUS.rejected ? "rejected" : "moot"
    h.challenges.push({ slot: tx.slot, epoch: this.c.epoch(), kind: "reveal", against, by: this.c.label(after.challenger), outcome })
    log.emit("challenge.settled", { kind: "reveal", against, index: after.leafIndex, round: after.epoch, outcome, by: payer })
  }

  private proposal(tx: TxRecord, before: AccountOf<"Proposal"> | undefined, after: AccountOf<"Proposal"> | undefined): void {
    if (after === undefined) return
    const { log, history: h } = this.c
    const label = this.c.proposalLabel(after.id)
    if (before === undefined) {
      h.proposals.set(after.id, { label, status: "queued", createdEpoch: after.createdEpoch, etaEpoch: after.etaEpoch })
      log.emit("proposal.queued", { proposal: label, id: after.id, by: this.c.label(after.proposer), eta: after.etaEpoch })
      return
    }
    const p = h.proposals.get(after.id)
    if (after.status === before.status) {
      if (after.vetoStake !== before.vetoStake) log.emit("proposal.veto", { proposal: label, vetoSol: solOf(after.vetoStake), ofSol: solOf(after.stakeSnapshot) })
      return
    }
    const epoch = this.c.epoch()
    if (after.status === PROPOSAL_STATUS.vetoed) {
      if (p !== undefined) h.proposals.set(after.id, { ...p, status: "vetoed", vetoedEpoch: epoch })
      log.emit("proposal.vetoed", { proposal: label, vetoSol: solOf(after.vetoStake), ofSol: solOf(after.stakeSnapshot) })
    } else if (after.status === PROPOSAL_STATUS.executed) {
      if (p !== undefined) h.proposals.set(after.id, { ...p, status: "executed", executedEpoch: epoch })
      log.emit("proposal.executed", { proposal: label, activatesAt: epoch + 1n, by: this.c.label(tx.payer) })
    }
  }
}
