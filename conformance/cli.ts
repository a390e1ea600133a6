/**
 * `dotdns conformance …`: the conformance suite's command line.
 *
 *   run      the suite against an adapter (default: the reference adapter, i.e. the executable spec)
 *   program  the same apply traces against the compiled on-chain program in LiteSVM, diffed account by account
 *   miner    black-box API contract tests against a running miner (spec/v1/14-miner-apis.md)
 *   list     the operations, areas, properties and mutants
 *
 * Each subcommand prints a human summary on stdout, progress on stderr, and writes JUnit XML and JSON
 * reports when asked; the exit code is 1 when anything failed, 2 for a usage error.
 */
import { NodeServices } from "@effect/platform-node"
import { Cause, Data, Effect, Exit, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { OPERATION_DOCS, OPERATION_NAMES } from "../spec/src/conformance.ts"
import { SPEC_VERSION } from "../spec/src/version.ts"
import { MUTANTS } from "./adapters/mutants.ts"
import { AREAS, PARTS } from "./suite/filter.ts"
import { PROPERTIES } from "./suite/properties.ts"
import { randomSeed, referenceCommand, runConformance, UsageError, type RunResult } from "./suite/run.ts"

/** Ends the command with an exit code (after the summary was printed). */
export class CliExit extends Data.TaggedError("CliExit")<{ readonly code: number; readonly message?: string }> {}

const out = (...lines: string[]): void => {
  for (const l of lines) process.stdout.write(`${l}\n`)
}
const err = (text: string): void => {
  process.stderr.write(`${text}\n`)
}

const listOf = (o: Option.Option<string>): string[] => (Option.isSome(o) ? o.value.split(",").map((s) => s.trim()).filter((s) => s !== "") : [])
const opt = <A>(o: Option.Option<A>): A | undefined => Option.getOrUndefined(o)

/** Runs a suite promise, prints its summary, and turns its exit code (or a usage error) into the command's. */
const report = (run: () => Promise<RunResult>) =>
  Effect.tryPromise({ try: run, catch: (e) => (e instanceof UsageError ? new CliExit({ code: 2, message: e.message }) : new CliExit({ code: 1, message: (e as Error).stack ?? String(e) })) }).pipe(
    Effect.flatMap((r) => {
      out(r.summary)
      return r.exitCode === 0 ? Effect.void : Effect.fail(new CliExit({ code: r.exitCode }))
    })
  )

const common = {
  junit: Flag.String("junit").pipe(Flag.withDescription("write a JUnit XML report to this file"), Flag.optional),
  json: Flag.String("json").pipe(Flag.withDescription("write a JSON report to this file"), Flag.optional),
  profile: Flag.Literals("profile", ["default", "thorough"]).pipe(Flag.withDescription("default finishes in under a minute; thorough runs many more cases"), Flag.withDefault("default" as const)),
  seed: Flag.Int("seed").pipe(Flag.withDescription("fast-check seed (printed by every run; a random one by default)"), Flag.optional),
  runs: Flag.Int("runs").pipe(Flag.withDescription("cases per property, overriding the profile"), Flag.optional)
}

// ------------------------------------------------------------------------------------------------- run

const run = Command.make(
  "run",
  {
    adapter: Flag.String("adapter").pipe(Flag.withDescription('the adapter command line, e.g. "python3 conformance/examples/python/adapter.py" (default: the reference adapter)'), Flag.optional),
    spec: Flag.String("spec").pipe(Flag.withDescription("the spec version directory whose vectors run"), Flag.withDefault("v1")),
    only: Flag.String("only").pipe(Flag.withDescription(`comma-separated parts (${PARTS.join(", ")}), areas (${AREAS.join(", ")}), operations or property names; a restricted run is partial`), Flag.optional),
    mutant: Flag.String("mutant").pipe(Flag.withDescription(`run against the reference adapter with one rule broken: ${MUTANTS.map((m) => m.name).join(", ")}`), Flag.optional),
    timeout: Flag.Int("timeout").pipe(Flag.withDescription("milliseconds one request may take"), Flag.withDefault(10_000)),
    verbose: Flag.Boolean("verbose").pipe(Flag.withDescription("show the adapter's stderr"), Flag.withDefault(false)),
    ...common
  },
  (c) =>
    report(() => {
      const mutant = opt(c.mutant)
      if (mutant !== undefined && Option.isSome(c.adapter)) throw new UsageError("--mutant runs the reference adapter; it cannot be combined with --adapter")
      if (mutant !== undefined && !MUTANTS.some((m) => m.name === mutant)) throw new UsageError(`--mutant: no mutant "${mutant}" (${MUTANTS.map((m) => m.name).join(", ")})`)
      const adapter = mutant !== undefined ? referenceCommand(mutant) : opt(c.adapter)
      return runConformance({
        ...(adapter !== undefined ? { adapter } : {}),
        spec: c.spec,
        only: listOf(c.only),
        profile: c.profile,
        seed: opt(c.seed) ?? randomSeed(),
        ...(Option.isSome(c.runs) ? { runs: c.runs.value } : {}),
        timeoutMs: c.timeout,
        ...(Option.isSome(c.junit) ? { junit: c.junit.value } : {}),
        ...(Option.isSome(c.json) ? { json: c.json.value } : {}),
        log: err,
        ...(c.verbose ? { onAdapterStderr: (t: string) => process.stderr.write(t) } : {})
      })
    })
).pipe(Command.withDescription("Run the conformance suite against an adapter: every vector, differential properties, model-based traces"))

// --------------------------------------------------------------------------------------------- program

const program = Command.make(
  "program",
  {
    only: Flag.String("only").pipe(Flag.withDescription("comma-separated trace sources: vectors, machines, generated"), Flag.optional),
    ...common
  },
  (c) =>
    report(async () => {
      const { runProgramTarget } = await import("./targets/program.ts")
      return runProgramTarget({
        only: listOf(c.only),
        profile: c.profile,
        seed: opt(c.seed) ?? randomSeed(),
        ...(Option.isSome(c.runs) ? { runs: c.runs.value } : {}),
        ...(Option.isSome(c.junit) ? { junit: c.junit.value } : {}),
        ...(Option.isSome(c.json) ? { json: c.json.value } : {}),
        log: err
      })
    })
).pipe(Command.withDescription("Run the apply traces against the compiled on-chain program in LiteSVM, diffed account by account with the spec"))

// ----------------------------------------------------------------------------------------------- miner

const miner = Command.make(
  "miner",
  {
    url: Flag.String("url").pipe(Flag.withDescription("the miner's base URL, e.g. http://127.0.0.1:7101"), Flag.optional),
    printChain: Flag.Boolean("print-chain").pipe(Flag.withDescription("print the dev-fixed chain section a miner needs for the ingest checks, and exit"), Flag.withDefault(false)),
    startReference: Flag.Boolean("start-reference").pipe(Flag.withDescription("start the reference miner (reference/miner) on that chain and test it"), Flag.withDefault(false)),
    junit: common.junit,
    json: common.json
  },
  (c) =>
    Effect.gen(function* () {
      const target = yield* Effect.promise(() => import("./targets/miner.ts"))
      if (c.printChain) {
        out(target.chainYaml())
        return
      }
      yield* report(() =>
        target.runMinerTarget({
          ...(Option.isSome(c.url) ? { url: c.url.value } : {}),
          startReference: c.startReference,
          ...(Option.isSome(c.junit) ? { junit: c.junit.value } : {}),
          ...(Option.isSome(c.json) ? { json: c.json.value } : {}),
          log: err
        })
      )
    })
).pipe(Command.withDescription("Black-box API contract tests against a running miner (spec/v1/14-miner-apis.md)"))

// ------------------------------------------------------------------------------------------------ list

const list = Command.make("list", {}, () =>
  Effect.sync(() => {
    out(`operations of spec ${SPEC_VERSION} (${OPERATION_NAMES.length}):`)
    for (const op of OPERATION_NAMES) out(`  ${op.padEnd(20)} ${OPERATION_DOCS[op].input} → ${OPERATION_DOCS[op].output}`)
    out("", `parts: ${PARTS.join(", ")}`, `areas: ${AREAS.join(", ")}`, "", "properties:")
    for (const p of PROPERTIES) out(`  ${p.name.padEnd(20)} ${p.area.padEnd(11)} ${p.description}`)
    out("", "mutants (--mutant):")
    for (const m of MUTANTS) out(`  ${m.name.padEnd(26)} [${m.rule}] ${m.description}`)
  })
).pipe(Command.withDescription("List operations, areas, properties and mutants"))

export const conformanceCommand = Command.make("conformance").pipe(
  Command.withDescription(`dotdns conformance suite (spec ${SPEC_VERSION}): vectors, differential properties and model-based traces through the adapter protocol`),
  Command.withSubcommands([run, program, miner, list])
)

/** Runs `dotdns conformance <argv>`; resolves to the exit code. */
export const runConformanceCli = async (argv: readonly string[]): Promise<number> => {
  const exit = await Effect.runPromiseExit(Command.runWith(conformanceCommand, { version: SPEC_VERSION })(argv).pipe(Effect.provide(NodeServices.layer)))
  if (Exit.isSuccess(exit)) return 0
  const failure = Cause.findErrorOption(exit.cause)
  if (Option.isSome(failure)) {
    const e = failure.value as { readonly _tag?: string; readonly message?: string; readonly code?: number }
    if (e._tag === "CliExit") {
      if (e.message !== undefined && e.message !== "") err(`dotdns conformance: ${e.message}`)
      return e.code ?? 1
    }
    if (e._tag === "ShowHelp") return 0
    err(`dotdns conformance: ${e.message ?? String(e)}`)
    return 2
  }
  err(`dotdns conformance: ${Cause.pretty(exit.cause)}`)
  return 1
}
