/**
 * Sweeps: a scenario's `sweep.grid` — dotted paths into the scenario file and the values to try, e.g.
 *
 *   sweep:
 *     grid:
 *       population.adversary_share: [0.1, 0.2, 0.3, 0.34, 0.4, 0.5, 0.6, 0.67, 0.7]
 *       parameters.quorum_bps: [6000, 6667, 7500]
 *     x: population.adversary_share
 *     y: parameters.quorum_bps
 *
 * Every grid point (× `seeds` seeds) is one run on a `worker_threads` worker (one per CPU by default);
 * a progress bar goes to stderr. Each run is classified: *safe* (no route finalized but the owner's
 * newest) and *live* (every update old enough to judge finalized). The report's phase plot shows where
 * each breaks as the adversary's stake grows.
 */
import { availableParallelism } from "node:os"
import { Worker } from "node:worker_threads"
import type { SweepCell } from "../report/Html.ts"
import type { Scenario } from "../scenario/Scenario.ts"
import type { Backend } from "../world/Svm.ts"

export interface SweepJob {
  readonly id: number
  readonly raw: unknown
  readonly source: string
  readonly values: Readonly<Record<string, string | number | boolean>>
  readonly seed: number
  readonly backend: Backend
}

export type SweepReply = { readonly id: number; readonly cell: SweepCell }

export interface SweepOptions {
  readonly backend?: Backend
  readonly workers?: number
  /** Progress on stderr (default true when stderr is a terminal or not, unless false). */
  readonly progress?: boolean
  readonly write?: (text: string) => void
}

export interface SweepResult {
  readonly cells: SweepCell[]
  readonly grid: Readonly<Record<string, readonly (string | number | boolean)[]>>
  readonly x: string
  readonly y: string | undefined
  readonly wallMs: number
}

/** Every combination of the grid's values, in the grid's key order (last key fastest). */
export const gridPoints = (grid: Readonly<Record<string, readonly (string | number | boolean)[]>>): Record<string, string | number | boolean>[] => {
  let points: Record<string, string | number | boolean>[] = [{}]
  for (const [k, values] of Object.entries(grid)) points = points.flatMap((p) => values.map((v) => ({ ...p, [k]: v })))
  return points
}

const bar = (done: number, total: number, running: number, started: number): string => {
  const width = 28
  const filled = Math.round((done / Math.max(1, total)) * width)
  const elapsed = (performance.now() - started) / 1000
  const eta = done === 0 ? "?" : `${Math.round((elapsed / done) * (total - done))}s`
  return `\r[${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total} runs, ${running} running, ${Math.round(elapsed)}s elapsed, eta ${eta}  `
}

export const runSweep = async (scenario: Scenario, options: SweepOptions = {}): Promise<SweepResult> => {
  const sweep = scenario.sweep
  if (sweep === undefined) throw new Error(`${scenario.source} has no sweep: section`)
  const keys = Object.keys(sweep.grid)
  const x = sweep.x ?? keys[0]!
  const y = sweep.y ?? keys.find((k) => k !== x)
  const seeds = sweep.seeds ?? 1
  const backend = options.backend ?? "litesvm"
  const jobs: SweepJob[] = []
  for (const values of gridPoints(sweep.grid))
    for (let k = 0; k < seeds; k++) jobs.push({ id: jobs.length, raw: scenario.raw, source: scenario.source, values, seed: scenario.seed + k, backend })
  const workers = Math.max(1, Math.min(options.workers ?? sweep.workers ?? availableParallelism(), jobs.length))
  const write = options.write ?? ((t: string) => process.stderr.write(t))
  const progress = options.progress ?? true
  const started = performance.now()
  const cells: (SweepCell | undefined)[] = new Array(jobs.length)
  let next = 0
  let done = 0
  let running = 0

  await new Promise<void>((resolvePool, rejectPool) => {
    const pool: Worker[] = []
    const feed = (w: Worker) => {
      if (next >= jobs.length) {
        void w.terminate()
        if (done === jobs.length) resolvePool()
        return
      }
      running++
      w.postMessage(jobs[next++]!)
    }
    for (let i = 0; i < workers; i++) {
      const w = new Worker(new URL("./worker.ts", import.meta.url))
      pool.push(w)
      w.on("message", (reply: SweepReply) => {
        cells[reply.id] = reply.cell
        done++
        running--
        feed(w)
        if (progress) write(bar(done, jobs.length, running, started))
      })
      w.on("error", (e) => {
        for (const p of pool) void p.terminate()
        rejectPool(e)
      })
      feed(w)
    }
    if (progress) write(bar(0, jobs.length, running, started))
  })
  if (progress) write("\n")
  return { cells: cells.map((c) => c!), grid: sweep.grid, x, y, wallMs: performance.now() - started }
}
