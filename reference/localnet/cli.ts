/**
 * `dotdns localnet`: runs startLocalnet until SIGINT/SIGTERM. The first stdout line is a JSON object
 * with the endpoints, so scripts and tests can start it with --rpc-port 0 and read where it landed;
 * everything for humans goes to stderr.
 */
import { startLocalnet, type LocalnetOptions, type ProgramSpec } from "./localnet.ts"
import { SnapshotError } from "./snapshot.ts"

export const LOCALNET_USAGE = `usage: dotdns localnet [options]

Serves Solana JSON-RPC on http://127.0.0.1:<rpc-port> and PubSub on ws://127.0.0.1:<rpc-port + 1>
over an in-process SVM. Stops on SIGINT/SIGTERM, writing the snapshot if one is configured.

options:
  --rpc-port N               HTTP port, PubSub on N+1; 0 picks free ports (default 8899)
  --bpf-program ID PATH      preload an SBF program (repeatable); without any, the dotdns program
                             is preloaded from programs/dotdns/ when built
  --no-dotdns-program        do not preload programs/dotdns/dotdns.so
  --slot-time MS             slot length in milliseconds; 0 = slots move only by dotdns_warpSlot (default 400)
  --slots-per-epoch N        epoch length, ≥ 32 (default 432000)
  --snapshot FILE            load accounts from FILE on start, save them there on exit
  --reset                    ignore an existing snapshot (it is still written on exit)
  --faucet-lamports N        faucet balance at genesis (default 1000000000000000 = 1M SOL)
  --history-limit N          transactions kept for getTransaction/getSignatureStatuses (default 20000)
  --max-body-bytes N         largest HTTP body / WebSocket message (default 1048576)
  --quiet                    nothing on stderr except errors
  -h, --help                 this text`

export interface CliIo {
  readonly stdout: (line: string) => void
  readonly stderr: (line: string) => void
}

const defaultIo: CliIo = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`)
}

class UsageError extends Error {}

interface ParsedArgs {
  readonly help: boolean
  readonly quiet: boolean
  readonly options: LocalnetOptions
}

const integer = (flag: string, text: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number => {
  if (text === undefined || !/^\d+$/.test(text)) throw new UsageError(`${flag} needs a non-negative integer`)
  const n = Number(text)
  if (n < min || n > max) throw new UsageError(`${flag} must be between ${min} and ${max}`)
  return n
}

export const parseLocalnetArgs = (argv: readonly string[]): ParsedArgs => {
  let help = false
  let quiet = false
  let noDefaultProgram = false
  const programs: ProgramSpec[] = []
  let options: LocalnetOptions = {}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const eq = arg.indexOf("=")
    const [flag, inline] = arg.startsWith("--") && eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined]
    const value = (): string | undefined => inline ?? argv[++i]
    switch (flag) {
      case "-h":
      case "--help":
        help = true
        break
      case "--quiet":
        quiet = true
        break
      case "--no-dotdns-program":
        noDefaultProgram = true
        break
      case "--reset":
        options = { ...options, resetSnapshot: true }
        break
      case "--rpc-port":
        options = { ...options, rpcPort: integer(flag, value(), 0, 65534) }
        break
      case "--slot-time":
        options = { ...options, slotTimeMs: integer(flag, value(), 0) }
        break
      case "--slots-per-epoch":
        options = { ...options, slotsPerEpoch: integer(flag, value(), 32) }
        break
      case "--history-limit":
        options = { ...options, historyLimit: integer(flag, value(), 1) }
        break
      case "--max-body-bytes":
        options = { ...options, maxBodyBytes: integer(flag, value(), 1024) }
        break
      case "--faucet-lamports": {
        const text = value()
        if (text === undefined || !/^\d{1,20}$/.test(text) || BigInt(text) > 18446744073709551615n) throw new UsageError("--faucet-lamports needs a u64")
        options = { ...options, faucetLamports: BigInt(text) }
        break
      }
      case "--snapshot": {
        const path = value()
        if (path === undefined || path === "") throw new UsageError("--snapshot needs a file")
        options = { ...options, snapshotPath: path }
        break
      }
      case "--bpf-program": {
        const programId = argv[++i]
        const soPath = argv[++i]
        if (programId === undefined || soPath === undefined) throw new UsageError("--bpf-program needs a program id and a .so path")
        programs.push({ programId, soPath })
        break
      }
      default:
        throw new UsageError(`unknown option ${arg}`)
    }
  }
  if (programs.length > 0 || noDefaultProgram) options = { ...options, programs }
  return { help, quiet, options }
}

/**
 * Resolves with the exit code once the localnet has stopped (after a signal), 2 on bad usage and 1
 * when it cannot start.
 */
export const runLocalnetCli = async (argv: string[], io: CliIo = defaultIo): Promise<number> => {
  let parsed: ParsedArgs
  try {
    parsed = parseLocalnetArgs(argv)
  } catch (e) {
    if (!(e instanceof UsageError)) throw e
    io.stderr(`dotdns localnet: ${e.message}\n\n${LOCALNET_USAGE}`)
    return 2
  }
  if (parsed.help) {
    io.stdout(LOCALNET_USAGE)
    return 0
  }
  const log = parsed.quiet ? () => {} : (line: string) => io.stderr(`localnet: ${line}`)
  let net
  try {
    net = await startLocalnet({ ...parsed.options, log })
  } catch (e) {
    const why = e instanceof SnapshotError || e instanceof RangeError ? e.message : e instanceof Error ? `${e.message}` : String(e)
    io.stderr(`dotdns localnet: cannot start: ${why}`)
    return 1
  }
  io.stdout(
    JSON.stringify({
      rpcUrl: net.rpcUrl,
      wsUrl: net.wsUrl,
      faucet: net.faucet,
      genesisHash: net.genesisHash,
      slot: net.chain.slot,
      programs: net.programs.map((p) => p.programId),
      pid: process.pid
    })
  )
  log(`JSON-RPC ${net.rpcUrl}  PubSub ${net.wsUrl}  faucet ${net.faucet}`)

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const stop = (s: NodeJS.Signals) => {
      process.off("SIGINT", stop)
      process.off("SIGTERM", stop)
      resolve(s)
    }
    process.on("SIGINT", stop)
    process.on("SIGTERM", stop)
  })
  log(`${signal}: shutting down`)
  try {
    await net.close()
  } catch (e) {
    io.stderr(`dotdns localnet: failed to save snapshot: ${e instanceof Error ? e.message : String(e)}`)
    return 1
  }
  if (parsed.options.snapshotPath !== undefined) log(`snapshot written to ${parsed.options.snapshotPath}`)
  return 0
}
