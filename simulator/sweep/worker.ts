/**
 * A sweep worker thread: receives a grid point, sets its values in the scenario's data, resolves and
 * runs it, and answers with the cell the phase plot needs. Errors (a grid value the schema refuses, a
 * run that throws) come back as a cell with `error`, so one bad point does not stop the sweep.
 */
import { parentPort } from "node:worker_threads"
import { runScenario } from "../engine/Run.ts"
import type { SweepCell } from "../report/Html.ts"
import { resolveScenario, withPath } from "../scenario/Scenario.ts"
import type { SweepJob, SweepReply } from "./Sweep.ts"

const port = parentPort
if (port === null) throw new Error("simulator/sweep/worker.ts runs as a worker thread")

port.on("message", (job: SweepJob) => {
  const started = performance.now()
  const reply = (cell: SweepCell) => port.postMessage({ id: job.id, cell } satisfies SweepReply)
  const fail = (e: unknown) =>
    reply({ values: job.values, seed: job.seed, status: "error", safe: false, live: false, liveness: 0, noncanonical: 0, latencyP95: 0, slashes: 0, wallMs: performance.now() - started, error: e instanceof Error ? e.message.split("\n")[0]! : String(e) })
  let raw = job.raw
  for (const [k, v] of Object.entries(job.values)) raw = withPath(raw, k, v)
  let scenario
  try {
    scenario = resolveScenario(raw, { source: job.source, seed: job.seed })
  } catch (e) {
    return fail(e)
  }
  runScenario(scenario, { backend: job.backend }).then(
    (r) =>
      reply({
        values: job.values,
        seed: job.seed,
        status: r.status,
        safe: r.metrics.safety.noncanonicalFinalized === 0,
        live: r.metrics.liveness.updatesFinalizedShare >= 1,
        liveness: r.metrics.liveness.updatesFinalizedShare,
        noncanonical: r.metrics.safety.noncanonicalFinalized,
        latencyP95: r.metrics.finality.latency.p95,
        slashes: r.metrics.slashes.count,
        wallMs: r.wallMs
      }),
    fail
  )
})
