/**
 * `dotdns miner …`: the miner's command line.
 *
 *   init    generate an identity keypair and a config file
 *   start   run the miner (SIGINT/SIGTERM shut it down gracefully)
 *   status, register, bond, unbond, withdraw, unjail, claim, challenge — the chain half's (ChainCli.ts)
 *
 * A subcommand is one entry of `MINER_SUBCOMMANDS`: adding one is adding an `effect/cli` Command there.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { NodeServices } from "@effect/platform-node"
import { Cause, Console, Data, Effect, Exit, Fiber, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { SPEC_VERSION } from "../../spec/src/version.ts"
import { defaultConfigYaml } from "./Config.ts"
import { generateKeypairFile } from "./Identity.ts"
import { CHAIN_SUBCOMMANDS } from "./ChainCli.ts"
import { runMiner } from "./main.ts"
import { toBase58 } from "../../programs/client/base58.ts"

export class CliFailure extends Data.TaggedError("CliFailure")<{ readonly message: string; readonly code: number }> {}

const configFlag = Flag.String("config").pipe(Flag.withAlias("c"), Flag.withDescription("miner config file (YAML)"), Flag.withDefault("miner.yaml"))

const init = Command.make(
  "init",
  {
    dir: Flag.String("dir").pipe(Flag.withDescription("directory for miner.yaml and identity.json"), Flag.withDefault(".")),
    port: Flag.Int("port").pipe(Flag.withDescription("HTTP port"), Flag.withDefault(7101)),
    programId: Flag.String("program-id").pipe(Flag.withDescription("program id (base58); default: the development program"), Flag.optional),
    force: Flag.Boolean("force").pipe(Flag.withDescription("overwrite an existing miner.yaml (never a keypair)"), Flag.withDefault(false))
  },
  Effect.fn("cli.init")(function* ({ dir, port, programId, force }) {
    const root = resolve(dir)
    const configPath = join(root, "miner.yaml")
    const keyPath = join(root, "identity.json")
    if (existsSync(configPath) && !force) return yield* new CliFailure({ message: `${configPath} exists (use --force to overwrite it)`, code: 1 })
    yield* Effect.try({
      try: () => {
        mkdirSync(root, { recursive: true })
        const kp = existsSync(keyPath) ? undefined : generateKeypairFile(keyPath)
        writeFileSync(configPath, defaultConfigYaml({ identity: "identity.json", port, programId: Option.getOrUndefined(programId) }))
        return kp
      },
      catch: (e) => new CliFailure({ message: String(e), code: 1 })
    }).pipe(
      Effect.flatMap((kp) =>
        Console.log(
          [
            `wrote ${configPath}`,
            kp === undefined ? `kept existing keypair ${keyPath}` : `wrote ${keyPath} (miner ${toBase58(kp.publicKey)})`,
            `start with: dotdns miner start --config ${configPath}`
          ].join("\n")
        )
      )
    )
  })
).pipe(Command.withDescription("Generate an identity keypair and a config file"))

const start = Command.make("start", { config: configFlag }, ({ config }) => runMiner(resolve(config))).pipe(
  Command.withDescription("Run the miner until SIGINT or SIGTERM")
)

/** Every `dotdns miner` subcommand. */
export const MINER_SUBCOMMANDS = [init, start, ...CHAIN_SUBCOMMANDS] as const

export const minerCommand = Command.make("miner").pipe(
  Command.withDescription(`dotdns reference miner (spec ${SPEC_VERSION})`),
  Command.withSubcommands(MINER_SUBCOMMANDS)
)

/**
 * Runs `dotdns miner <argv>`; resolves to the exit code. SIGINT/SIGTERM interrupt the running command,
 * which for `start` means a graceful shutdown; a second signal exits at once.
 */
/** node:sqlite is stable enough for us; its one-time ExperimentalWarning would only clutter the JSON log. */
const quietSqliteWarning = (): void => {
  const emit = process.emitWarning.bind(process) as (w: string | Error, ...rest: unknown[]) => void
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if ((typeof warning === "string" ? warning : warning.message).includes("SQLite is an experimental feature")) return
    emit(warning, ...rest)
  }) as typeof process.emitWarning
}

export const runMinerCli = async (argv: readonly string[]): Promise<number> => {
  quietSqliteWarning()
  const program = Command.runWith(minerCommand, { version: SPEC_VERSION })(argv).pipe(Effect.provide(NodeServices.layer))
  const fiber = Effect.runFork(program)
  let signals = 0
  const onSignal = (signal: NodeJS.Signals) => {
    signals++
    if (signals > 1) process.exit(signal === "SIGINT" ? 130 : 143)
    Effect.runFork(Fiber.interrupt(fiber))
  }
  process.on("SIGINT", onSignal)
  process.on("SIGTERM", onSignal)
  try {
    const exit = await Effect.runPromise(Fiber.await(fiber))
    if (Exit.isSuccess(exit)) return 0
    if (Cause.hasInterruptsOnly(exit.cause)) return 0
    const failure = Cause.findErrorOption(exit.cause)
    if (Option.isSome(failure)) {
      const e = failure.value as { readonly _tag?: string; readonly message?: string; readonly code?: number; toString(): string }
      if (e._tag === "CliFailure") {
        console.error(`dotdns miner: ${e.message}`)
        return e.code ?? 1
      }
      // Help asked for: 0; help shown for a bad flag or argument: 2.
      if (e._tag === "ShowHelp") return ((e as { readonly errors?: readonly unknown[] }).errors?.length ?? 0) > 0 ? 2 : 0
      console.error(`dotdns miner: ${typeof e.toString === "function" && e.toString !== Object.prototype.toString ? e.toString() : e.message ?? String(e)}`)
      return 1
    }
    console.error(`dotdns miner: ${Cause.pretty(exit.cause)}`)
    return 1
  } finally {
    process.off("SIGINT", onSignal)
    process.off("SIGTERM", onSignal)
  }
}
