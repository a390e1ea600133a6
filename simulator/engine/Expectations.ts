/**
 * Expectations: what a scenario claims about its run, checked against the history once it is over.
 * Each result names the line of the scenario file it came from, so a failed run says which claim broke
 * and what actually happened.
 */
import { paramNameOf, parseParamValue, type Expectation, type Scenario } from "../scenario/Scenario.ts"
import { metricAt, type Metrics } from "./Metrics.ts"
import type { History } from "./Observer.ts"

export interface ExpectationResult {
  readonly line: number
  readonly text: string
  readonly ok: boolean
  /** What was observed. */
  readonly detail: string
}

export interface ExpectationContext {
  finalSerial(name: string): bigint
  proposalId(label: string): bigint | undefined
}

const by = (e: bigint | undefined, limit: number | undefined): boolean => limit === undefined || (e !== undefined && e <= BigInt(limit))

const check = (x: Expectation, h: History, m: Metrics, ctx: ExpectationContext): { ok: boolean; detail: string } => {
  const e = x.entry
  if (e.miner !== undefined) {
    const slashes = h.slashes.filter((s) => s.miner === e.miner)
    const jails = h.jails.filter((j) => j.miner === e.miner)
    const first = (list: readonly { epoch: bigint }[]) => (list.length === 0 ? "never" : `first at epoch ${list[0]!.epoch}`)
    if (e.slashed_by_epoch !== undefined) {
      const ok = slashes.some((s) => s.epoch <= BigInt(e.slashed_by_epoch!))
      return { ok, detail: `slashed: ${first(slashes)}${slashes.length > 0 ? ` (${slashes.map((s) => s.op).join(", ")})` : ""}` }
    }
    if (e.never_slashed !== undefined) return { ok: slashes.length === 0, detail: `slashed: ${first(slashes)}` }
    if (e.jailed_by_epoch !== undefined) {
      const j = jails.filter((x) => x.jailed)
      return { ok: j.some((x) => x.epoch <= BigInt(e.jailed_by_epoch!)), detail: `jailed: ${first(j)}` }
    }
    if (e.unjailed_by_epoch !== undefined) {
      const j = jails.filter((x) => !x.jailed)
      return { ok: j.some((x) => x.epoch <= BigInt(e.unjailed_by_epoch!)), detail: `unjailed: ${first(j)}` }
    }
  }
  if (e.proposal !== undefined) {
    const id = ctx.proposalId(e.proposal)
    const p = id === undefined ? undefined : h.proposals.get(id)
    const status = p?.status ?? "never proposed"
    const detail = `status ${status}${p?.executedEpoch !== undefined ? ` (executed in epoch ${p.executedEpoch})` : ""}${p?.vetoedEpoch !== undefined ? ` (vetoed in epoch ${p.vetoedEpoch})` : ""}`
    if (e.never_executed !== undefined) return { ok: p !== undefined && p.status !== "executed", detail }
    if (e.executed !== undefined) return { ok: p?.status === "executed", detail }
    if (e.vetoed !== undefined) return { ok: p?.status === "vetoed", detail }
  }
  if (e.no_noncanonical_route_finalized !== undefined) {
    const bad = h.finalities.filter((f) => f.verdict !== "ok")
    return { ok: bad.length === 0, detail: bad.length === 0 ? `${h.finalities.length} finalities, all the owner's newest route` : bad.map((f) => `${f.name} serial ${f.serial} (${f.verdict}) for round ${f.roundEpoch}`).join("; ") }
  }
  if (e.never_seated_while_jailed !== undefined) {
    const bad = [...h.committees].filter(([, c]) => c.jailedSeated.length > 0)
    return { ok: bad.length === 0, detail: bad.length === 0 ? `${h.committees.size} committees checked` : bad.map(([ep, c]) => `epoch ${ep}: ${c.jailedSeated.join(", ")}`).join("; ") }
  }
  if (e.route_finalized !== undefined) {
    const r = e.route_finalized
    const f = h.finalities.find((x) => x.name === r.name && x.serial === BigInt(r.serial))
    return { ok: f !== undefined && by(f.epoch, r.by_epoch), detail: f === undefined ? `never finalized (finalized serials: ${h.finalities.filter((x) => x.name === r.name).map((x) => x.serial).join(", ") || "none"})` : `finalized in epoch ${f.epoch} (round ${f.roundEpoch}, ${Math.round(f.weightShare * 10000) / 100}% of committee stake)` }
  }
  if (e.route_not_finalized !== undefined) {
    const r = e.route_not_finalized
    const f = h.finalities.find((x) => x.name === r.name && x.serial === BigInt(r.serial))
    return { ok: f === undefined, detail: f === undefined ? "never finalized" : `finalized in epoch ${f.epoch}` }
  }
  if (e.canonical_at_end !== undefined) {
    const s = ctx.finalSerial(e.canonical_at_end.name)
    return { ok: s === BigInt(e.canonical_at_end.serial), detail: `canonical serial at the end: ${s}` }
  }
  if (e.finality_latency_p95_max_epochs !== undefined) {
    const l = m.finality.latency
    return { ok: l.count > 0 && l.p95 <= e.finality_latency_p95_max_epochs, detail: l.count === 0 ? "no update finalized" : `p95 ${l.p95} epochs over ${l.count} updates (max ${l.max})` }
  }
  if (e.param !== undefined) {
    const name = paramNameOf(e.param.name)!
    const value = parseParamValue(name, e.param.value) as bigint
    const changes = h.paramChanges.filter((c) => c.name === e.param!.name)
    const hit = changes.find((c) => c.to === value)
    const detail = changes.length === 0 ? "never changed" : changes.map((c) => `${c.from} -> ${c.to} by ${c.op} into epoch ${c.epoch} at slot ${c.slot}`).join("; ")
    // Activation is part of the advance_epoch that enters the epoch, never mid-epoch [GOV-6].
    return { ok: hit !== undefined && hit.epoch === BigInt(e.param.from_epoch) && hit.op === "advanceEpoch", detail }
  }
  if (e.tx_rejected !== undefined) {
    const t = e.tx_rejected
    const n = h.txs.filter((x) => !x.ok && x.op === t.op && (t.rule === undefined || x.rule === t.rule) && (t.by === undefined || x.payer === t.by)).length
    const seen = [...new Set(h.txs.filter((x) => !x.ok && x.op === t.op).map((x) => x.rule ?? "?"))]
    return { ok: n >= (t.min ?? 1), detail: `${n} matching rejections${seen.length > 0 ? ` (rules seen for ${t.op}: ${seen.join(", ")})` : ""}` }
  }
  if (e.tx_succeeded !== undefined) {
    const t = e.tx_succeeded
    const n = h.txs.filter((x) => x.ok && x.op === t.op && (t.by === undefined || x.payer === t.by)).length
    return { ok: n >= (t.min ?? (t.max === undefined ? 1 : 0)) && (t.max === undefined || n <= t.max), detail: `${n} succeeded` }
  }
  if (e.challenge !== undefined) {
    const c = e.challenge
    const list = h.challenges.filter((x) => x.kind === c.kind && x.against === c.against)
    const hit = list.find((x) => x.outcome === c.outcome && by(x.epoch, c.by_epoch))
    return { ok: hit !== undefined, detail: list.length === 0 ? `no ${c.kind} challenge against ${c.against}` : list.map((x) => `${x.outcome} in epoch ${x.epoch} by ${x.by}`).join("; ") }
  }
  if (e.client_served !== undefined) {
    const c = e.client_served
    const list = h.clients.filter((x) => x.client === c.client && x.name === c.name)
    const hit = list.find((x) => x.serial === BigInt(c.serial) && by(x.epoch, c.by_epoch))
    return { ok: hit !== undefined, detail: hit !== undefined ? `served serial ${c.serial} (${hit.answer}) in epoch ${hit.epoch}` : `answers: ${list.map((x) => `${x.epoch}:${x.serial ?? x.answer}`).join(" ") || "none"}` }
  }
  if (e.metric !== undefined) {
    const v = metricAt(m, e.metric.path)
    const ok = v !== undefined && (e.metric.min === undefined || v >= e.metric.min) && (e.metric.max === undefined || v <= e.metric.max)
    return { ok, detail: v === undefined ? `no metric ${e.metric.path}` : `${e.metric.path} = ${v}` }
  }
  return { ok: false, detail: "unknown expectation" }
}

export const checkExpectations = (scenario: Scenario, history: History, metrics: Metrics, ctx: ExpectationContext): ExpectationResult[] =>
  scenario.expectations.map((x) => ({ line: x.line, text: x.text, ...check(x, history, metrics, ctx) }))
