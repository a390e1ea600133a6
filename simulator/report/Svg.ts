/**
 * Small SVG plotting helpers for the reports: every chart is a self-contained `<svg>` string (inline in
 * the HTML, no scripts, no network). Numbers are rounded so the output is stable and small.
 */

export const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

const n = (x: number): string => (Math.round(x * 10) / 10).toString()

const FONT = `font-family="ui-sans-serif, system-ui, sans-serif" font-size="11"`

/** A readable tick step for a range (1, 2 or 5 × 10^k). */
export const niceStep = (range: number, ticks = 5): number => {
  if (!(range > 0)) return 1
  const raw = range / ticks
  const p = 10 ** Math.floor(Math.log10(raw))
  const m = raw / p
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p
}

const fmt = (x: number): string => (Math.abs(x) >= 1000 ? `${Math.round(x / 100) / 10}k` : Number.isInteger(x) ? String(x) : (Math.round(x * 100) / 100).toString())

interface Frame {
  readonly width: number
  readonly height: number
  readonly left: number
  readonly right: number
  readonly top: number
  readonly bottom: number
}

const frame = (width: number, height: number, left = 48, bottom = 34): Frame => ({ width, height, left, right: 12, top: 14, bottom })

const axes = (f: Frame, x: { min: number; max: number; label: string; ticks?: readonly { v: number; text: string }[] }, y: { min: number; max: number; label: string }): string => {
  const px = (v: number) => f.left + ((v - x.min) / (x.max - x.min || 1)) * (f.width - f.left - f.right)
  const py = (v: number) => f.height - f.bottom - ((v - y.min) / (y.max - y.min || 1)) * (f.height - f.top - f.bottom)
  const parts: string[] = []
  const ys = niceStep(y.max - y.min)
  for (let v = Math.ceil(y.min / ys) * ys; v <= y.max + 1e-9; v += ys)
    parts.push(`<line x1="${f.left}" x2="${f.width - f.right}" y1="${n(py(v))}" y2="${n(py(v))}" stroke="#e5e7eb"/><text x="${f.left - 4}" y="${n(py(v) + 4)}" text-anchor="end" fill="#6b7280">${fmt(v)}</text>`)
  const xt = x.ticks ?? (() => {
    const xs = niceStep(x.max - x.min, 8)
    const out: { v: number; text: string }[] = []
    for (let v = Math.ceil(x.min / xs) * xs; v <= x.max + 1e-9; v += xs) out.push({ v, text: fmt(v) })
    return out
  })()
  for (const t of xt) parts.push(`<text x="${n(px(t.v))}" y="${f.height - f.bottom + 14}" text-anchor="middle" fill="#6b7280">${esc(t.text)}</text>`)
  parts.push(`<line x1="${f.left}" x2="${f.left}" y1="${f.top}" y2="${f.height - f.bottom}" stroke="#9ca3af"/>`)
  parts.push(`<line x1="${f.left}" x2="${f.width - f.right}" y1="${f.height - f.bottom}" y2="${f.height - f.bottom}" stroke="#9ca3af"/>`)
  parts.push(`<text x="${n((f.left + f.width - f.right) / 2)}" y="${f.height - 4}" text-anchor="middle" fill="#374151">${esc(x.label)}</text>`)
  parts.push(`<text transform="translate(12 ${n((f.top + f.height - f.bottom) / 2)}) rotate(-90)" text-anchor="middle" fill="#374151">${esc(y.label)}</text>`)
  return parts.join("")
}

const svg = (f: Frame, body: string, title: string): string =>
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${f.width} ${f.height}" width="${f.width}" height="${f.height}" ${FONT} role="img"><title>${esc(title)}</title>${body}</svg>`

export const PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d"]

export interface Series {
  readonly name: string
  readonly points: readonly (readonly [number, number])[]
  readonly color?: string
  /** Draw as steps (values hold until the next point). */
  readonly step?: boolean
}

export const lineChart = (o: { title: string; series: readonly Series[]; xLabel: string; yLabel: string; width?: number; height?: number; yMin?: number; yMax?: number }): string => {
  const f = frame(o.width ?? 640, o.height ?? 220)
  const all = o.series.flatMap((s) => s.points)
  const xMin = Math.min(...all.map((p) => p[0]), 0)
  const xMax = Math.max(...all.map((p) => p[0]), 1)
  const yMin = o.yMin ?? Math.min(0, ...all.map((p) => p[1]))
  const yMax = o.yMax ?? Math.max(1, ...all.map((p) => p[1])) * 1.05
  const px = (v: number) => f.left + ((v - xMin) / (xMax - xMin || 1)) * (f.width - f.left - f.right)
  const py = (v: number) => f.height - f.bottom - ((v - yMin) / (yMax - yMin || 1)) * (f.height - f.top - f.bottom)
  const body = [axes(f, { min: xMin, max: xMax, label: o.xLabel }, { min: yMin, max: yMax, label: o.yLabel })]
  o.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!
    const pts: string[] = []
    s.points.forEach(([x, y], j) => {
      if (s.step && j > 0) pts.push(`${n(px(x))},${n(py(s.points[j - 1]![1]))}`)
      pts.push(`${n(px(x))},${n(py(y))}`)
    })
    body.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.join(" ")}"/>`)
    body.push(`<text x="${f.width - f.right - 4}" y="${f.top + 12 + i * 13}" text-anchor="end" fill="${color}">${esc(s.name)}</text>`)
  })
  return svg(f, body.join(""), o.title)
}

export interface Bar {
  readonly label: string
  readonly value: number
  /** Optional whisker (e.g. min–max). */
  readonly low?: number
  readonly high?: number
  readonly color?: string
  readonly note?: string
}

/** Horizontal bars with optional whiskers. */
export const barChart = (o: { title: string; bars: readonly Bar[]; unit: string; width?: number }): string => {
  const rowH = 20
  const labelW = Math.min(200, 8 + Math.max(40, ...o.bars.map((b) => b.label.length * 6.5)))
  const f: Frame = { width: o.width ?? 640, height: o.bars.length * rowH + 40, left: labelW, right: 70, top: 8, bottom: 30 }
  const max = Math.max(1, ...o.bars.map((b) => b.high ?? b.value)) * 1.05
  const px = (v: number) => f.left + (v / max) * (f.width - f.left - f.right)
  const body: string[] = []
  const xs = niceStep(max, 6)
  for (let v = 0; v <= max + 1e-9; v += xs)
    body.push(`<line x1="${n(px(v))}" x2="${n(px(v))}" y1="${f.top}" y2="${f.height - f.bottom}" stroke="#e5e7eb"/><text x="${n(px(v))}" y="${f.height - f.bottom + 14}" text-anchor="middle" fill="#6b7280">${fmt(v)}</text>`)
  body.push(`<text x="${n((f.left + f.width - f.right) / 2)}" y="${f.height - 4}" text-anchor="middle" fill="#374151">${esc(o.unit)}</text>`)
  o.bars.forEach((b, i) => {
    const y = f.top + i * rowH
    const color = b.color ?? PALETTE[0]!
    body.push(`<text x="${f.left - 6}" y="${y + 14}" text-anchor="end" fill="#374151">${esc(b.label)}</text>`)
    body.push(`<rect x="${f.left}" y="${y + 4}" width="${n(Math.max(1, px(b.value) - f.left))}" height="${rowH - 8}" fill="${color}" opacity="0.8"/>`)
    if (b.low !== undefined && b.high !== undefined)
      body.push(`<line x1="${n(px(b.low))}" x2="${n(px(b.high))}" y1="${y + rowH / 2}" y2="${y + rowH / 2}" stroke="#111827"/><line x1="${n(px(b.low))}" x2="${n(px(b.low))}" y1="${y + 6}" y2="${y + rowH - 6}" stroke="#111827"/><line x1="${n(px(b.high))}" x2="${n(px(b.high))}" y1="${y + 6}" y2="${y + rowH - 6}" stroke="#111827"/>`)
    body.push(`<text x="${n(px(b.high ?? b.value) + 6)}" y="${y + 14}" fill="#374151">${esc(b.note ?? fmt(b.value))}</text>`)
  })
  return svg(f, body.join(""), o.title)
}

/** A histogram of values into `bins` equal bins. */
export const histogram = (o: { title: string; values: readonly number[]; xLabel: string; bins?: number; width?: number; height?: number }): string => {
  const f = frame(o.width ?? 640, o.height ?? 200)
  if (o.values.length === 0) return svg(f, `<text x="${f.width / 2}" y="${f.height / 2}" text-anchor="middle" fill="#6b7280">no data</text>`, o.title)
  const lo = Math.min(...o.values)
  const hi = Math.max(...o.values)
  const bins = o.bins ?? Math.min(12, Math.max(3, Math.ceil(Math.sqrt(o.values.length))))
  const width = (hi - lo) / bins || 1
  const counts = new Array<number>(bins).fill(0)
  for (const v of o.values) counts[Math.min(bins - 1, Math.floor((v - lo) / width))]!++
  const xMax = lo + width * bins
  const yMax = Math.max(...counts) * 1.1
  const px = (v: number) => f.left + ((v - lo) / (xMax - lo || 1)) * (f.width - f.left - f.right)
  const py = (v: number) => f.height - f.bottom - (v / yMax) * (f.height - f.top - f.bottom)
  const body = [axes(f, { min: lo, max: xMax, label: o.xLabel }, { min: 0, max: yMax, label: "count" })]
  counts.forEach((c, i) => {
    const x0 = px(lo + i * width)
    const x1 = px(lo + (i + 1) * width)
    body.push(`<rect x="${n(x0 + 1)}" y="${n(py(c))}" width="${n(Math.max(1, x1 - x0 - 2))}" height="${n(py(0) - py(c))}" fill="${PALETTE[0]}" opacity="0.8"/>`)
  })
  return svg(f, body.join(""), o.title)
}

export interface Cell {
  readonly color: string
  readonly label?: string
  readonly title?: string
}

/** A grid of colored cells (rows × columns), with row and column labels and a legend. */
export const grid = (o: {
  title: string
  rows: readonly string[]
  columns: readonly string[]
  cell: (row: number, column: number) => Cell | undefined
  xLabel: string
  yLabel?: string
  legend?: readonly { readonly color: string; readonly text: string }[]
  cellWidth?: number
  /** Vertical guide lines between columns: at fractional column positions. */
  guides?: readonly { readonly at: number; readonly text: string; readonly row?: number }[]
}): string => {
  const cw = o.cellWidth ?? Math.max(14, Math.min(48, Math.floor(560 / Math.max(1, o.columns.length))))
  const ch = 22
  const labelW = Math.min(160, 12 + Math.max(30, ...o.rows.map((r) => r.length * 6.5)))
  const legendH = o.legend === undefined ? 0 : 22
  const f: Frame = { width: labelW + cw * o.columns.length + 16, height: 14 + ch * o.rows.length + 44 + legendH, left: labelW, right: 16, top: 14, bottom: 44 + legendH }
  const body: string[] = []
  o.rows.forEach((r, i) => {
    body.push(`<text x="${f.left - 6}" y="${f.top + i * ch + 15}" text-anchor="end" fill="#374151">${esc(r)}</text>`)
    o.columns.forEach((_c, j) => {
      const cell = o.cell(i, j)
      if (cell === undefined) return
      const x = f.left + j * cw
      const y = f.top + i * ch
      body.push(`<rect x="${x + 1}" y="${y + 1}" width="${cw - 2}" height="${ch - 2}" fill="${cell.color}">${cell.title === undefined ? "" : `<title>${esc(cell.title)}</title>`}</rect>`)
      if (cell.label !== undefined && cw >= 22) body.push(`<text x="${x + cw / 2}" y="${y + 15}" text-anchor="middle" fill="#111827" font-size="10">${esc(cell.label)}</text>`)
    })
  })
  const step = Math.max(1, Math.ceil(o.columns.length / Math.floor((cw * o.columns.length) / 36)))
  o.columns.forEach((c, j) => {
    if (j % step === 0) body.push(`<text x="${f.left + j * cw + cw / 2}" y="${f.top + o.rows.length * ch + 14}" text-anchor="middle" fill="#6b7280">${esc(c)}</text>`)
  })
  for (const g of o.guides ?? []) {
    const x = f.left + g.at * cw
    const y0 = g.row === undefined ? f.top : f.top + g.row * ch
    const y1 = g.row === undefined ? f.top + o.rows.length * ch : y0 + ch
    body.push(`<line x1="${n(x)}" x2="${n(x)}" y1="${y0 - 2}" y2="${y1 + 2}" stroke="#111827" stroke-width="2" stroke-dasharray="3 2"><title>${esc(g.text)}</title></line>`)
  }
  body.push(`<text x="${n(f.left + (cw * o.columns.length) / 2)}" y="${f.top + o.rows.length * ch + 30}" text-anchor="middle" fill="#374151">${esc(o.xLabel)}</text>`)
  if (o.yLabel !== undefined) body.push(`<text x="4" y="${f.top - 2}" fill="#374151">${esc(o.yLabel)}</text>`)
  let lx = f.left
  for (const l of o.legend ?? []) {
    const ly = f.height - 16
    body.push(`<rect x="${lx}" y="${ly - 9}" width="12" height="12" fill="${l.color}"/><text x="${lx + 16}" y="${ly + 1}" fill="#374151">${esc(l.text)}</text>`)
    lx += 24 + l.text.length * 6.2
  }
  return svg({ ...f, width: Math.max(f.width, lx + 10) }, body.join(""), o.title)
}
