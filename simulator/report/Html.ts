/**
 * `report.html`: one self-contained page per run (and one per sweep) with inline SVG plots — no
 * scripts, no fonts, no network — so it opens anywhere and can be committed next to the scenario.
 */
import { param } from "../../spec/src/params.ts"
import type { RunResult } from "../engine/Run.ts"
import type { Scenario } from "../scenario/Scenario.ts"
import { barChart, esc, grid, histogram, lineChart, PALETTE } from "./Svg.ts"

const STYLE = `
body{font:14px/1.45 ui-sans-serif,system-ui,sans-serif;color:#111827;margin:24px auto;max-width:980px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}
.meta{color:#4b5563}.pass{color:#15803d;font-weight:600}.fail{color:#b91c1c;font-weight:600}.na{color:#92400e;font-weight:600}
table{border-collapse:collapse;width:100%;font-size:13px}td,th{border-bottom:1px solid #f3f4f6;padding:3px 6px;text-align:left;vertical-align:top}
th{color:#374151;font-weight:600}code{font-size:12px;background:#f3f4f6;padding:0 3px;border-radius:3px}
.ok{color:#15803d}.bad{color:#b91c1c}p.desc{white-space:pre-wrap}figure{margin:8px 0}
`

const page = (title: string, body: string): string =>
  `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>\n`

const table = (head: readonly string[], rows: readonly (readonly string[])[]): string =>
  rows.length === 0 ? "<p class=meta>none</p>" : `<table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("")}</table>`

const statusHtml = (s: string): string => `<span class="${s === "passed" ? "pass" : s === "failed" ? "fail" : "na"}">${esc(s)}</span>`

interface EventLine {
  readonly slot: number
  readonly epoch: number
  readonly type: string
  readonly [k: string]: unknown
}

const KEY_EVENTS = new Set([
  "route.published", "round.failed", "miner.slashed", "miner.jailed", "miner.unjailed", "challenge.opened", "challenge.settled", "challenge.proved",
  "proposal.queued", "proposal.vetoed", "proposal.executed", "params.activated", "allowlist.changed", "adversary.started", "adversary.stopped",
  "miners.offline", "miners.online", "adversary.note"
])

const describe = (e: EventLine): string => {
  const rest = Object.entries(e).filter(([k]) => !["seq", "slot", "epoch", "type"].includes(k))
  return rest.map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : String(v)}`).join(" ")
}

/** The page for one run. */
export const runReport = (r: RunResult, s: Scenario, extra: { readonly wallMs?: number } = {}): string => {
  const h = r.history
  const m = r.metrics
  const L = Number(param(s.params, "epochLengthSlots"))
  const parts: string[] = []
  parts.push(`<h1>${esc(s.name)}</h1>`)
  parts.push(`<p class=meta>${statusHtml(r.status)} · backend <code>${r.backend}</code> · seed ${r.seed} · ${s.epochs} epochs · ${r.txCount} transactions${extra.wallMs === undefined ? "" : ` · ${Math.round(extra.wallMs)} ms`}</p>`)
  if (s.description !== "") parts.push(`<p class=desc>${esc(s.description.trim())}</p>`)
  if (r.status === "not-applicable") {
    parts.push(`<p>${esc(r.reason ?? "")}</p>`)
    return page(s.name, parts.join(""))
  }

  parts.push("<h2>Expectations</h2>")
  parts.push(
    table(
      ["", "line", "expectation", "observed"],
      r.expectations.map((x) => [x.ok ? "<span class=ok>✓</span>" : "<span class=bad>✗</span>", String(x.line), `<code>${esc(x.text)}</code>`, esc(x.detail)])
    )
  )

  // Round outcomes: names × round epochs.
  const names = s.names.map((n) => n.name)
  const epochs = Array.from({ length: Number(s.epochs) }, (_, i) => i + 1)
  const cellOf = (name: string, e: number) => {
    const f = h.finalities.find((x) => x.name === name && Number(x.roundEpoch) === e)
    if (f !== undefined) return { color: f.verdict === "ok" ? "#86efac" : f.verdict === "stale" ? "#fdba74" : "#f87171", label: String(f.serial), title: `round ${e}: serial ${f.serial} finalized (${f.verdict}), ${Math.round(f.weightShare * 100)}% of committee stake` }
    if (h.failedRounds.some((x) => x.name === name && Number(x.roundEpoch) === e)) return { color: "#9ca3af", label: "✗", title: `round ${e}: failed (no route had quorum)` }
    return undefined
  }
  parts.push("<h2>Rounds</h2>")
  parts.push(
    `<figure>${grid({
      title: "round outcomes",
      rows: names,
      columns: epochs.map(String),
      cell: (i, j) => cellOf(names[i]!, epochs[j]!) ?? { color: "#f9fafb" },
      xLabel: "round epoch (cell: finalized serial)",
      legend: [
        { color: "#86efac", text: "owner's newest route" },
        { color: "#fdba74", text: "stale route" },
        { color: "#f87171", text: "never signed" },
        { color: "#9ca3af", text: "failed" },
        { color: "#f9fafb", text: "no round" }
      ]
    })}</figure>`
  )

  // Committee: seats and the adversary's share of committee stake.
  const adversarial = new Set(s.miners.filter((x) => x.adversary !== undefined).map((x) => x.label))
  const committees = [...h.committees].filter(([e]) => e > 0n).sort(([a], [b]) => (a < b ? -1 : 1))
  if (committees.length > 0) {
    const share = committees.map(([e, c]) => {
      let adv = 0n
      c.members.forEach((mm, i) => {
        if (adversarial.has(mm)) adv += c.stakes[i]!
      })
      return [Number(e), c.total === 0n ? 0 : (Number(adv) / Number(c.total)) * 100] as const
    })
    const q = Number(param(s.params, "quorumBps")) / 100
    const series = [
      { name: "adversary share of committee stake (%)", points: share, color: PALETTE[1]!, step: true },
      { name: `quorum q = ${q}%`, points: [[1, q], [Number(s.epochs), q]] as const, color: "#16a34a" },
      { name: `1 − q = ${Math.round((100 - q) * 100) / 100}%`, points: [[1, 100 - q], [Number(s.epochs), 100 - q]] as const, color: "#d97706" }
    ]
    parts.push("<h2>Committee</h2>")
    if (adversarial.size > 0) parts.push(`<figure>${lineChart({ title: "adversary share", series, xLabel: "epoch", yLabel: "% of committee stake", yMin: 0, yMax: 100 })}</figure>`)
    const seatRows = Object.entries(m.committee.seats).map(([k, v]) => [esc(k) + (adversarial.has(k) ? " <span class=bad>(adversary)</span>" : ""), String(v)])
    parts.push(`<p class=meta>${m.committee.epochs} committees, ${m.committee.rotations} changes of membership, ${m.committee.jailedSeated} jailed members seated.</p>`)
    parts.push(table(["miner", "seats"], seatRows))
  }

  parts.push("<h2>Finality</h2>")
  parts.push(
    `<p class=meta>${m.finality.finalized} of ${m.finality.updates} route updates finalized; latency p50 ${m.finality.latency.p50}, p95 ${m.finality.latency.p95}, max ${m.finality.latency.max} epochs (${L} slots each). ${m.finality.roundsFailed} rounds failed. Safety: ${m.safety.noncanonicalFinalized} non-canonical finalities.</p>`
  )
  parts.push(`<figure>${histogram({ title: "finality latency", values: m.finality.latencyEpochs, xLabel: "epochs from publication to finality" })}</figure>`)
  if (m.finality.unfinalized.length > 0) parts.push(`<p class=meta>Never finalized: ${m.finality.unfinalized.map((u) => `${esc(u.name)} serial ${u.serial}`).join(", ")}</p>`)

  parts.push("<h2>Slashing and challenges</h2>")
  parts.push(table(["epoch", "miner", "SOL", "by", "op"], h.slashes.map((x) => [String(x.epoch), esc(x.miner), String(Number(x.amount) / 1e9), esc(x.by), `<code>${esc(x.op)}</code>`])))
  parts.push(table(["kind", "outcomes"], Object.entries(m.challenges).map(([k, v]) => [esc(k), esc(Object.entries(v).map(([o, c]) => `${o} ${c}`).join(", "))])))

  const cu = Object.entries(m.cu)
  if (cu.length > 0) {
    parts.push("<h2>Compute units per transaction</h2>")
    parts.push(
      `<figure>${barChart({ title: "compute units", unit: "compute units (bar: median, whisker: min–max)", bars: cu.map(([op, d]) => ({ label: `${op} (${d.count})`, value: d.p50, low: d.min, high: d.max, note: `${d.p50}` })) })}</figure>`
    )
  }
  parts.push("<h2>Transactions</h2>")
  parts.push(`<p class=meta>${m.txs.total} transactions, ${m.txs.failed} refused.</p>`)
  parts.push(table(["refused by", "count"], Object.entries(m.txs.byRule).map(([k, v]) => [`<code>${esc(k)}</code>`, String(v)])))

  parts.push("<h2>Rewards (claimable at the end)</h2>")
  parts.push(table(["miner", "SOL"], Object.entries(m.rewards.claimableSol).map(([k, v]) => [esc(k), String(v)])))
  if (Object.keys(m.adversary).length > 0) {
    parts.push("<h2>Adversaries</h2>")
    parts.push(table(["adversary", "reported"], Object.entries(m.adversary).map(([k, v]) => [esc(k), esc(Object.entries(v).map(([x, y]) => `${x} = ${y}`).join(", ") || "—")])))
  }
  if (Object.keys(m.clients).length > 0) {
    parts.push("<h2>Clients</h2>")
    parts.push(table(["client", "answered", "SERVFAIL"], Object.entries(m.clients).map(([k, v]) => [esc(k), String(v.answered), String(v.servfail)])))
  }

  const key = r.events
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as EventLine)
    .filter((e) => KEY_EVENTS.has(e.type))
  parts.push("<h2>Key events</h2>")
  parts.push(table(["epoch", "slot", "event", ""], key.slice(0, 400).map((e) => [String(e.epoch), String(e.slot), `<code>${esc(e.type)}</code>`, esc(describe(e))])))
  parts.push(`<p class=meta>The complete log is events.jsonl; the numbers are metrics.json.</p>`)
  return page(`${s.name} — dotdns simulation`, parts.join(""))
}

// --------------------------------------------------------------------------------------------- sweeps

export interface SweepCell {
  readonly values: Readonly<Record<string, string | number | boolean>>
  readonly seed: number
  readonly status: string
  readonly safe: boolean
  readonly live: boolean
  readonly liveness: number
  readonly noncanonical: number
  readonly latencyP95: number
  readonly slashes: number
  readonly wallMs: number
  readonly error?: string
}

export const CLASS_COLORS = { safeLive: "#86efac", safeStuck: "#fde68a", unsafe: "#f87171", error: "#d1d5db" } as const

const classOf = (c: readonly SweepCell[]): { color: string; label: string; title: string } => {
  if (c.length === 0) return { color: "#ffffff", label: "", title: "" }
  if (c.some((x) => x.error !== undefined)) return { color: CLASS_COLORS.error, label: "!", title: c.find((x) => x.error !== undefined)!.error! }
  const safe = c.every((x) => x.safe)
  const live = c.every((x) => x.live)
  const liveness = c.reduce((a, x) => a + x.liveness, 0) / c.length
  const color = !safe ? CLASS_COLORS.unsafe : live ? CLASS_COLORS.safeLive : CLASS_COLORS.safeStuck
  return { color, label: `${Math.round(liveness * 100)}`, title: `${c.length} run(s): ${safe ? "safe" : "UNSAFE"}, ${Math.round(liveness * 100)}% of updates finalized` }
}

/**
 * The sweep page: a safety/liveness phase plot per combination of the other grid keys, with x and y
 * the chosen axes (cells: green safe and live, amber safe but updates stuck, red a non-canonical route
 * finalized), and the threat model's 1 − q and q boundaries drawn when y is quorum_bps.
 */
export const sweepReport = (o: {
  readonly scenario: Scenario
  readonly grid: Readonly<Record<string, readonly (string | number | boolean)[]>>
  readonly x: string
  readonly y: string | undefined
  readonly cells: readonly SweepCell[]
  readonly backend: string
  /** Wall-clock time, shown when given (left out of committed reports, which must not churn). */
  readonly wallMs?: number
}): string => {
  const s = o.scenario
  const xs = o.grid[o.x]!
  const ys = o.y === undefined ? [undefined] : o.grid[o.y]!
  const facetKeys = Object.keys(o.grid).filter((k) => k !== o.x && k !== o.y)
  const facets: Record<string, string | number | boolean>[] = [{}]
  for (const k of facetKeys) {
    const next: Record<string, string | number | boolean>[] = []
    for (const f of facets) for (const v of o.grid[k]!) next.push({ ...f, [k]: v })
    facets.splice(0, facets.length, ...next)
  }
  const parts: string[] = []
  parts.push(`<h1>Sweep: ${esc(s.name)}</h1>`)
  parts.push(`<p class=meta>${o.cells.length} runs · backend <code>${esc(o.backend)}</code>${o.wallMs === undefined ? "" : ` · ${Math.round(o.wallMs / 1000)} s wall`} · grid ${esc(Object.entries(o.grid).map(([k, v]) => `${k} ∈ {${v.join(", ")}}`).join(" × "))}</p>`)
  if (s.description !== "") parts.push(`<p class=desc>${esc(s.description.trim())}</p>`)
  parts.push(
    `<p>Each cell is one grid point (all its seeds). <b>Safe</b>: no route finalized other than the owner's newest at the time (<code>no_noncanonical_route_finalized</code>). <b>Live</b>: every route update finalized. The label is the % of updates that finalized. Dashed lines: the threat model's boundaries 1 − q (blocking) and q (deciding) for the row's quorum.</p>`
  )
  const same = (a: unknown, b: unknown) => String(a) === String(b)
  for (const facet of facets) {
    const title = facetKeys.length === 0 ? "phase plot" : facetKeys.map((k) => `${k} = ${facet[k]}`).join(", ")
    if (facetKeys.length > 0) parts.push(`<h2>${esc(title)}</h2>`)
    const short = (k: string) => k.split(".").pop() ?? k
    const rows = ys.map((v) => (v === undefined ? "" : `${short(o.y!)} = ${v}`))
    const numericX = xs.every((v) => typeof v === "number")
    const guides: { at: number; text: string; row: number }[] = []
    if (numericX && o.y !== undefined && /quorum_bps$/.test(o.y) && /share|stake/.test(o.x)) {
      ys.forEach((yv, row) => {
        const q = Number(yv) / 10000
        for (const [t, label] of [[1 - q, "1 − q"], [q, "q"]] as const) {
          // Fractional column position of t between the sampled x values.
          const nums = xs as readonly number[]
          let at: number | undefined
          for (let i = 0; i + 1 < nums.length; i++) if (t >= nums[i]! && t <= nums[i + 1]!) at = i + 0.5 + (t - nums[i]!) / (nums[i + 1]! - nums[i]! || 1)
          if (at !== undefined) guides.push({ at, text: `${label} = ${Math.round(t * 10000) / 100}%`, row })
        }
      })
    }
    parts.push(
      `<figure>${grid({
        title,
        rows,
        columns: xs.map(String),
        cell: (i, j) => {
          const yv = ys[i]
          const list = o.cells.filter((c) => same(c.values[o.x], xs[j]) && (o.y === undefined || same(c.values[o.y], yv)) && facetKeys.every((k) => same(c.values[k], facet[k])))
          return classOf(list)
        },
        xLabel: o.x,
        guides,
        legend: [
          { color: CLASS_COLORS.safeLive, text: "safe and live" },
          { color: CLASS_COLORS.safeStuck, text: "safe, updates stuck" },
          { color: CLASS_COLORS.unsafe, text: "unsafe" },
          { color: CLASS_COLORS.error, text: "error" }
        ]
      })}</figure>`
    )
  }
  parts.push("<h2>Runs</h2>")
  const keys = Object.keys(o.grid)
  parts.push(
    table(
      [...keys, "seed", "status", "safe", "updates finalized", "p95 latency", "slashes", ...(o.wallMs === undefined ? [] : ["ms"])],
      o.cells.map((c) => [
        ...keys.map((k) => esc(String(c.values[k]))),
        String(c.seed),
        c.error === undefined ? statusHtml(c.status) : `<span class=bad>${esc(c.error)}</span>`,
        c.safe ? "<span class=ok>yes</span>" : "<span class=bad>no</span>",
        `${Math.round(c.liveness * 100)}%`,
        String(c.latencyP95),
        String(c.slashes),
        ...(o.wallMs === undefined ? [] : [String(Math.round(c.wallMs))])
      ])
    )
  )
  return page(`sweep ${s.name} — dotdns simulation`, parts.join(""))
}
