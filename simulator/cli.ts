/**
 * `dotdns sim`: the simulator's command line.
 *
 *   dotdns sim run <file> [--out DIR] [--backend litesvm|bankrun] [--seed N]
 *   dotdns sim sweep <file> [--out DIR] [--backend …] [--workers N]
 *   dotdns sim list
 *
 * `run` exits 0 when every expectation holds (or the scenario is not applicable on the backend), 1 when
 * one fails — naming it — and 2 for a bad scenario file or bad arguments.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { describeBuiltins } from "./adversaries/index.ts"
import { writeRunOutputs } from "./engine/Outputs.ts"
import { runScenario } from "./engine/Run.ts"
import { sweepReport } from "./report/Html.ts"
import { loadScenario, ScenarioErrors } from "./scenario/Scenario.ts"
import { runSweep } from "./sweep/Sweep.ts"
import { BACKENDS, type Backend } from "./world/Svm.ts"

export const SIM_USAGE = `usage: dotdns sim <command> [options]

Replays adversarial scenarios against the compiled dotdns program in an in-process SVM, with the
reference miner as the honest miners, and checks what each scenario expects.

commands:
  run <file>       run one scenario; exit 1 if an expectation fails (it says which)
  sweep <file>     run the scenario's sweep grid on worker threads; writes a phase-plot report
  list             the scenarios in scenarios/ and the built-in adversary strategies

options:
  --out DIR              output directory (default sim-out/<scenario>): events.jsonl, metrics.json,
                         report.html (run) or sweep.json, report.html (sweep)
  --backend B            litesvm (default; checks Ed25519 signatures) or bankrun
  --seed N               override the scenario's seed (run)
  --workers N            parallel runs (sweep; default: one per CPU)
  --events               print every event line to stdout as it happens (run)
  --miner-logs LEVEL     the reference miners' logs at LEVEL (Debug, Info, Warn, Error) on stderr (run)
  --quiet                only the summary line
  -h, --help             this text

Scenario format: scenarios/README.md. Your own adversary: scenarios/strategies/example-strategy.ts.`

export interface SimCliIo {
  readonly stdout: (line: string) => void
  readonly stderr: (line: string) => void
  /** Progress output without a newline (the sweep's bar). */
  readonly progress: (text: string) => void
}

const defaultIo: SimCliIo = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  progress: (text) => process.stderr.write(text)
}

class UsageError extends Error {}

interface Args {
  readonly command: string | undefined
  readonly file: string | undefined
  readonly out: string | undefined
  readonly backend: Backend
  readonly seed: number | undefined
  readonly workers: number | undefined
  readonly events: boolean
  readonly minerLogs: "Debug" | "Info" | "Warn" | "Error" | undefined
  readonly quiet: boolean
  readonly help: boolean
}

export const parseSimArgs = (argv: readonly string[]): Args => {
  const positional: string[] = []
  let out: string | undefined
  let backend: Backend = "litesvm"
  let seed: number | undefined
  let workers: number | undefined
  let events = false
  let minerLogs: Args["minerLogs"]
  let quiet = false
  let help = false
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1]
    if (v === undefined || v.startsWith("--")) throw new UsageError(`${flag} needs a value`)
    return v
  }
  const int = (text: string, flag: string, min: number): number => {
    if (!/^\d+$/.test(text) || Number(text) < min) throw new UsageError(`${flag} needs an integer ≥ ${min}`)
    return Number(text)
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    switch (a) {
      case "-h":
      case "--help":
        help = true
        break
      case "--out":
        out = value(i++, a)
        break
      case "--backend": {
        const b = value(i++, a)
        if (!(BACKENDS as readonly string[]).includes(b)) throw new UsageError(`--backend is one of ${BACKENDS.join(", ")}`)
        backend = b as Backend
        break
      }
      case "--seed":
        seed = int(value(i++, a), a, 0)
        break
      case "--workers":
        workers = int(value(i++, a), a, 1)
        break
      case "--events":
        events = true
        break
      case "--miner-logs": {
        const l = value(i++, a)
        if (!["Debug", "Info", "Warn", "Error"].includes(l)) throw new UsageError("--miner-logs is one of Debug, Info, Warn, Error")
        minerLogs = l as Args["minerLogs"]
        break
      }
      case "--quiet":
        quiet = true
        break
      default:
        if (a.startsWith("-")) throw new UsageError(`unknown option ${a}`)
        positional.push(a)
    }
  }
  if (positional.length > 2) throw new UsageError(`unexpected argument ${positional[2]}`)
  return { command: positional[0], file: positional[1], out, backend, seed, workers, events, minerLogs, quiet, help }
}

const REPO_SCENARIOS = fileURLToPath(new URL("../scenarios/", import.meta.url))

const scenariosDir = (): string => (existsSync(resolve("scenarios")) ? resolve("scenarios") : REPO_SCENARIOS)

const run = async (a: Args, io: SimCliIo): Promise<number> => {
  if (a.file === undefined) throw new UsageError("run needs a scenario file")
  const scenario = loadScenario(a.file, a.seed === undefined ? {} : { seed: a.seed })
  const out = a.out ?? join("sim-out", scenario.name)
  const result = await runScenario(scenario, {
    backend: a.backend,
    ...(a.events ? { onEvent: (line: string) => io.stdout(line) } : {}),
    ...(a.minerLogs === undefined ? {} : { minerLogLevel: a.minerLogs })
  })
  const paths = writeRunOutputs(out, result, scenario)
  const failed = result.expectations.filter((e) => !e.ok)
  const head = `scenario ${scenario.name} on ${a.backend} (seed ${result.seed}): ${result.status}`
  if (result.status === "not-applicable") {
    io.stdout(`${head} — ${result.reason}`)
    return 0
  }
  io.stdout(`${head} — ${result.expectations.length - failed.length}/${result.expectations.length} expectations hold, ${result.txCount} transactions, ${(result.wallMs / 1000).toFixed(1)} s`)
  for (const e of a.quiet ? failed : result.expectations) io.stdout(`  ${e.ok ? "✓" : "✗"} ${scenario.source}:${e.line}: ${e.text} — ${e.detail}`)
  if (!a.quiet) io.stdout(`outputs: ${paths.events}, ${paths.metrics}, ${paths.report}`)
  if (failed.length > 0) io.stderr(`${failed.length} expectation${failed.length === 1 ? "" : "s"} failed: ${failed.map((e) => `line ${e.line}`).join(", ")}`)
  return failed.length > 0 ? 1 : 0
}

const sweep = async (a: Args, io: SimCliIo): Promise<number> => {
  if (a.file === undefined) throw new UsageError("sweep needs a scenario file with a sweep: section")
  const scenario = loadScenario(a.file)
  if (scenario.sweep === undefined) throw new UsageError(`${a.file} has no sweep: section`)
  const out = a.out ?? join("sim-out", `${scenario.name}-sweep`)
  const result = await runSweep(scenario, { backend: a.backend, ...(a.workers === undefined ? {} : { workers: a.workers }), progress: !a.quiet, write: io.progress })
  mkdirSync(out, { recursive: true })
  writeFileSync(join(out, "sweep.json"), `${JSON.stringify({ scenario: scenario.name, backend: a.backend, grid: result.grid, x: result.x, y: result.y ?? null, cells: result.cells }, null, 2)}\n`)
  writeFileSync(join(out, "report.html"), sweepReport({ scenario, grid: result.grid, x: result.x, y: result.y, cells: result.cells, backend: a.backend, wallMs: result.wallMs }))
  const unsafe = result.cells.filter((c) => !c.safe && c.error === undefined).length
  const stuck = result.cells.filter((c) => c.safe && !c.live && c.error === undefined).length
  const errors = result.cells.filter((c) => c.error !== undefined)
  io.stdout(`sweep ${scenario.name}: ${result.cells.length} runs in ${(result.wallMs / 1000).toFixed(1)} s — ${result.cells.length - unsafe - stuck - errors.length} safe and live, ${stuck} safe but stuck, ${unsafe} unsafe${errors.length > 0 ? `, ${errors.length} errors` : ""}`)
  for (const e of errors.slice(0, 5)) io.stderr(`  error at ${JSON.stringify(e.values)}: ${e.error}`)
  io.stdout(`outputs: ${join(out, "sweep.json")}, ${join(out, "report.html")}`)
  return errors.length > 0 ? 1 : 0
}

const list = (io: SimCliIo): number => {
  const dir = scenariosDir()
  io.stdout(`scenarios (${dir}):`)
  for (const f of readdirSync(dir).filter((x) => x.endsWith(".yaml")).sort()) {
    try {
      const s = loadScenario(join(dir, f))
      const first = s.description.trim().split(/(?<=\.)\s/)[0] ?? ""
      io.stdout(`  ${f.padEnd(30)} ${s.needs.length > 0 ? `[needs ${s.needs.join(", ")}] ` : ""}${s.sweep !== undefined ? "[sweep] " : ""}${first}`)
    } catch (e) {
      io.stdout(`  ${f.padEnd(30)} (invalid: ${e instanceof Error ? e.message.split("\n")[0] : String(e)})`)
    }
  }
  io.stdout("")
  io.stdout("built-in adversary strategies (adversaries: [{ id, strategy: <name>, options }]):")
  for (const b of describeBuiltins()) io.stdout(`  ${b.name.padEnd(14)} ${b.description}`)
  io.stdout("")
  io.stdout("your own: adversary: { id: x, module: ./my-strategy.ts } — see scenarios/strategies/example-strategy.ts")
  return 0
}

/** Runs `dotdns sim …`; returns the exit code. */
export const runSimCli = async (argv: readonly string[], io: SimCliIo = defaultIo): Promise<number> => {
  let a: Args
  try {
    a = parseSimArgs(argv)
  } catch (e) {
    io.stderr(`dotdns sim: ${e instanceof Error ? e.message : String(e)}\n\n${SIM_USAGE}`)
    return 2
  }
  if (a.help || a.command === undefined) {
    ;(a.help ? io.stdout : io.stderr)(SIM_USAGE)
    return a.help ? 0 : 2
  }
  try {
    switch (a.command) {
      case "run":
        return await run(a, io)
      case "sweep":
        return await sweep(a, io)
      case "list":
        return list(io)
      default:
        throw new UsageError(`unknown command ${a.command}`)
    }
  } catch (e) {
    if (e instanceof ScenarioErrors) {
      for (const x of e.errors) io.stderr(x.message)
      return 2
    }
    if (e instanceof UsageError) {
      io.stderr(`dotdns sim: ${e.message}\n\n${SIM_USAGE}`)
      return 2
    }
    throw e
  }
}
