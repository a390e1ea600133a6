/**
 * `metrics.json`: what a run measured, computed from its history. Deterministic like the event log
 * (no wall-clock times), so two runs of the same scenario compare field by field.
 */
import type { OpKind } from "../../spec/src/ops.ts"
import { param } from "../../spec/src/params.ts"
import type { Scenario } from "../scenario/Scenario.ts"
import type { Backend } from "../world/Svm.ts"
import { solOf } from "./EventLog.ts"
import type { History } from "./Observer.ts"

export interface Distribution {
  readonly count: number
  readonly min: number
  readonly p50: number
  readonly p95: number
  readonly max: number
  readonly mean: number
}

export interface Metrics {
  readonly scenario: string
  readonly backend: Backend
  readonly seed: number
  readonly epochs: number
  status?: string
  readonly finality: {
    readonly updates: number
    readonly finalized: number
    readonly unfinalized: readonly { readonly name: string; readonly serial: number }[]
    /** Published too late in the run to be judged (the last two epochs). */
    readonly pending: number
    /** Epochs from an owner's publication to the finality of that serial (or a newer one). */
    readonly latencyEpochs: readonly number[]
    readonly latency: Distribution
    readonly roundsFinalized: number
    readonly roundsFailed: number
  }
  readonly safety: { readonly noncanonicalFinalized: number; readonly stale: number; readonly forged: number }
  /** Share of the updates old enough to judge that finalized. */
  readonly liveness: { readonly updatesFinalizedShare: number }
  readonly slashes: { readonly count: number; readonly totalSol: number; readonly byMiner: Readonly<Record<string, number>> }
  readonly challenges: Readonly<Record<string, Readonly<Record<string, number>>>>
  readonly rewards: { readonly claimableSol: Readonly<Record<string, number>> }
  /** Compute units per transaction, by the dotdns instruction it carried (successful transactions). */
  readonly cu: Readonly<Record<string, Distribution>>
  readonly txs: { readonly total: number; readonly ok: number; readonly failed: number; readonly byRule: Readonly<Record<string, number>>; readonly byOp: Readonly<Record<string, number>> }
  readonly committee: { readonly epochs: number; readonly rotations: number; readonly seats: Readonly<Record<string, number>>; readonly jailedSeated: number }
  readonly clients: Readonly<Record<string, { readonly answered: number; readonly servfail: number }>>
  readonly canonicalAtEnd: Readonly<Record<string, number>>
  readonly adversary: Readonly<Record<string, Readonly<Record<string, number>>>>
  /** JSON-RPC calls the miners made, by method. */
  readonly rpc: Readonly<Record<string, number>>
}

export const distribution = (xs: readonly number[]): Distribution => {
  if (xs.length === 0) return { count: 0, min: 0, p50: 0, p95: 0, max: 0, mean: 0 }
  const s = [...xs].sort((a, b) => a - b)
  // Nearest-rank percentiles: p95 of 3 samples is the largest.
  const rank = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!
  const round = (x: number) => Math.round(x * 1000) / 1000
  return { count: s.length, min: round(s[0]!), p50: round(rank(0.5)), p95: round(rank(0.95)), max: round(s[s.length - 1]!), mean: round(s.reduce((a, b) => a + b, 0) / s.length) }
}

/** Epochs a route update is given before it counts against liveness: its round's epoch and the next. */
export const SETTLE_EPOCHS = 2n

/**
 * Latency of every route publication to the finality of its serial or a newer one, in epochs. Updates
 * published in the last SETTLE_EPOCHS epochs that have not finalized are `pending`, not unfinalized.
 */
export const finalityLatencies = (history: History, L: bigint, lastEpoch: bigint): { latencies: number[]; unfinalized: { name: string; serial: number }[]; pending: number } => {
  const latencies: number[] = []
  const unfinalized: { name: string; serial: number }[] = []
  let pending = 0
  for (const p of history.publications) {
    const f = history.finalities.find((x) => x.name === p.name && x.serial >= p.serial && x.slot >= p.slot)
    if (f !== undefined) latencies.push(Number(f.slot - p.slot) / Number(L))
    else if (p.slot / L + SETTLE_EPOCHS > lastEpoch) pending++
    else unfinalized.push({ name: p.name, serial: Number(p.serial) })
  }
  return { latencies, unfinalized, pending }
}

export interface MetricsInput {
  readonly scenario: Scenario
  readonly backend: Backend
  readonly history: History
  readonly status?: string
  readonly strategies: Readonly<Record<string, Readonly<Record<string, number>>>>
  readonly rewards: Readonly<Record<string, number>>
  readonly rpc: Readonly<Record<string, number>>
  readonly clients: readonly string[]
  readonly finalNames?: Readonly<Record<string, number>>
}

const sortedRecord = <V>(m: Map<string, V>): Record<string, V> => Object.fromEntries([...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))

export const computeMetrics = (i: MetricsInput): Metrics => {
  const h = i.history
  const L = param(i.scenario.params, "epochLengthSlots")
  const { latencies, unfinalized, pending } = finalityLatencies(h, L, i.scenario.epochs)

  const cuByOp = new Map<string, number[]>()
  const byRule = new Map<string, number>()
  const byOp = new Map<string, number>()
  let ok = 0
  for (const t of h.txs) {
    byOp.set(t.op, (byOp.get(t.op) ?? 0) + 1)
    if (t.ok) {
      ok++
      const list = cuByOp.get(t.op) ?? []
      list.push(Number(t.cu))
      cuByOp.set(t.op as OpKind, list)
    } else byRule.set(t.rule ?? "?", (byRule.get(t.rule ?? "?") ?? 0) + 1)
  }
  const cu = new Map<string, ReturnType<typeof distribution>>()
  for (const [op, xs] of cuByOp) cu.set(op, distribution(xs))

  const slashBy = new Map<string, number>()
  let slashTotal = 0
  for (const s of h.slashes) {
    slashBy.set(s.miner, (slashBy.get(s.miner) ?? 0) + solOf(s.amount))
    slashTotal += solOf(s.amount)
  }

  const challenges = new Map<string, Map<string, number>>()
  for (const c of h.challenges) {
    if (c.outcome === "open") continue
    const m = challenges.get(c.kind) ?? new Map<string, number>()
    m.set(c.outcome, (m.get(c.outcome) ?? 0) + 1)
    challenges.set(c.kind, m)
  }

  const seats = new Map<string, number>()
  let rotations = 0
  let prev: string | undefined
  let jailedSeated = 0
  for (const [, c] of [...h.committees].sort(([a], [b]) => (a < b ? -1 : 1))) {
    for (const m of c.members) seats.set(m, (seats.get(m) ?? 0) + 1)
    const key = c.members.join(",")
    if (prev !== undefined && key !== prev) rotations++
    prev = key
    jailedSeated += c.jailedSeated.length
  }

  const clients = new Map<string, { answered: number; servfail: number }>()
  for (const c of i.clients) clients.set(c, { answered: 0, servfail: 0 })
  for (const a of h.clients) {
    const x = clients.get(a.client) ?? { answered: 0, servfail: 0 }
    if (a.serial !== undefined) x.answered++
    else x.servfail++
    clients.set(a.client, x)
  }

  const stale = h.finalities.filter((f) => f.verdict === "stale").length
  const forged = h.finalities.filter((f) => f.verdict === "forged").length
  const updates = h.publications.length
  return {
    scenario: i.scenario.name,
    backend: i.backend,
    seed: i.scenario.seed,
    epochs: Number(i.scenario.epochs),
    ...(i.status === undefined ? {} : { status: i.status }),
    finality: {
      updates,
      finalized: latencies.length,
      unfinalized,
      pending,
      latencyEpochs: latencies.map((x) => Math.round(x * 1000) / 1000),
      latency: distribution(latencies),
      roundsFinalized: h.finalities.length,
      roundsFailed: h.failedRounds.length
    },
    safety: { noncanonicalFinalized: stale + forged, stale, forged },
    liveness: { updatesFinalizedShare: updates - pending === 0 ? 1 : Math.round((latencies.length / (updates - pending)) * 1000) / 1000 },
    slashes: { count: h.slashes.length, totalSol: Math.round(slashTotal * 1e9) / 1e9, byMiner: sortedRecord(slashBy) },
    challenges: Object.fromEntries([...challenges].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, sortedRecord(v)])),
    rewards: { claimableSol: i.rewards },
    cu: sortedRecord(cu),
    txs: { total: h.txs.length, ok, failed: h.txs.length - ok, byRule: sortedRecord(byRule), byOp: sortedRecord(byOp) },
    committee: { epochs: h.committees.size, rotations, seats: sortedRecord(seats), jailedSeated },
    clients: sortedRecord(clients),
    canonicalAtEnd: i.finalNames ?? {},
    adversary: i.strategies,
    rpc: i.rpc
  }
}

/** A number inside metrics by dotted path (`slashes.byMiner.eq1`, `adversary.grind.gain`). */
export const metricAt = (m: unknown, path: string): number | undefined => {
  let cur: unknown = m
  for (const k of path.split(".")) {
    if (typeof cur !== "object" || cur === null) return undefined
    cur = (cur as Record<string, unknown>)[k]
  }
  return typeof cur === "number" ? cur : undefined
}
