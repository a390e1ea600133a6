/**
 * `dotdns program deploy|upgrade`: puts programs/dotdns/dotdns.so (or another `.so`) on a cluster
 * through the BPF upgradeable loader over JSON-RPC. Progress goes to stderr; the last stdout line is a
 * JSON summary for scripts.
 */
import { readFileSync } from "node:fs"
import { toBase58, fromBase58 } from "../client/base58.ts"
import { PROGRAM_SO } from "../client/program-id.ts"
import { deployProgram, upgradeProgram, type AuthorityChoice } from "./deploy.ts"
import { readKeypair, readSignerOrPubkey, writeKeypair } from "./keypair.ts"
import { Rpc } from "./rpc.ts"

export const PROGRAM_USAGE = `usage: dotdns program <deploy|upgrade> --rpc <url> --keypair <file> [options]

Deploys or upgrades an SBF program through the BPF upgradeable loader over JSON-RPC: a buffer filled by
Write transactions (each within 1232 bytes), then DeployWithMaxDataLen or Upgrade. Keypairs are Solana
CLI JSON files (an array of 64 bytes).

deploy options:
  --rpc URL                       JSON-RPC endpoint (e.g. http://127.0.0.1:8899)
  --keypair FILE                  fee payer; also the upgrade authority unless --upgrade-authority
  --program-keypair FILE          the program's address; a fresh keypair otherwise (see --save-program-keypair)
  --save-program-keypair FILE     write the generated program keypair there
  --upgrade-authority FILE|PUBKEY a keypair that signs the deployment, or a public key the authority is
                                  handed to afterwards
  --final                         deploy immutable: no upgrade authority
  --so PATH                       the program (default programs/dotdns/dotdns.so)
  --max-len N                     ProgramData capacity in bytes (default twice the program)

upgrade options:
  --rpc URL, --keypair FILE, --so PATH as above
  --program-id PUBKEY | --program-keypair FILE   the program to upgrade
  --upgrade-authority FILE        the authority's keypair (default --keypair)

  -h, --help                      this text`

export interface ProgramCliIo {
  readonly stdout: (line: string) => void
  readonly stderr: (line: string) => void
}

const defaultIo: ProgramCliIo = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`)
}

class UsageError extends Error {}

const FLAGS = new Set(["--rpc", "--keypair", "--program-keypair", "--save-program-keypair", "--upgrade-authority", "--so", "--max-len", "--program-id"])

const parse = (argv: readonly string[]): { command: string | undefined; opts: Map<string, string>; final: boolean; help: boolean } => {
  const [command, ...rest] = argv
  const opts = new Map<string, string>()
  let final = false
  let help = command === "-h" || command === "--help"
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!
    if (a === "-h" || a === "--help") help = true
    else if (a === "--final") final = true
    else if (FLAGS.has(a)) {
      const v = rest[++i]
      if (v === undefined) throw new UsageError(`${a} needs a value`)
      opts.set(a, v)
    } else throw new UsageError(`unknown option ${a}`)
  }
  return { command: help ? undefined : command, opts, final, help }
}

const need = (opts: Map<string, string>, flag: string): string => {
  const v = opts.get(flag)
  if (v === undefined) throw new UsageError(`${flag} is required`)
  return v
}

export const runProgramCli = async (argv: string[], io: ProgramCliIo = defaultIo): Promise<number> => {
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse(argv)
    if (parsed.help) {
      io.stdout(PROGRAM_USAGE)
      return 0
    }
    if (parsed.command !== "deploy" && parsed.command !== "upgrade") throw new UsageError(parsed.command === undefined ? "deploy or upgrade?" : `unknown command ${parsed.command}`)
  } catch (e) {
    if (!(e instanceof UsageError)) throw e
    io.stderr(`dotdns program: ${e.message}\n\n${PROGRAM_USAGE}`)
    return 2
  }
  const { command, opts, final } = parsed
  try {
    const rpc = new Rpc(need(opts, "--rpc"))
    const payer = readKeypair(need(opts, "--keypair"))
    const soPath = opts.get("--so") ?? PROGRAM_SO
    const so = new Uint8Array(readFileSync(soPath))
    const log = (line: string) => io.stderr(line)
    if (command === "deploy") {
      if (opts.has("--program-id")) throw new UsageError("deploy takes --program-keypair (the new address must sign), not --program-id")
      const ua = opts.get("--upgrade-authority")
      if (final && ua !== undefined) throw new UsageError("--final and --upgrade-authority exclude each other")
      let upgradeAuthority: AuthorityChoice | undefined
      if (final) upgradeAuthority = { none: true }
      else if (ua !== undefined) {
        const a = readSignerOrPubkey(ua)
        upgradeAuthority = a.keypair !== undefined ? { keypair: a.keypair } : { publicKey: a.publicKey }
      }
      const programKeypair = opts.get("--program-keypair")
      const maxLen = opts.get("--max-len")
      if (maxLen !== undefined && !/^\d+$/.test(maxLen)) throw new UsageError("--max-len needs a byte count")
      const r = await deployProgram({
        rpc,
        payer,
        so,
        ...(programKeypair !== undefined ? { program: readKeypair(programKeypair) } : {}),
        ...(upgradeAuthority !== undefined ? { upgradeAuthority } : {}),
        ...(maxLen !== undefined ? { maxDataLen: Number(maxLen) } : {}),
        log
      })
      const save = opts.get("--save-program-keypair")
      if (r.generatedProgram !== undefined && save !== undefined) {
        writeKeypair(save, r.generatedProgram)
        log(`program keypair written to ${save}`)
      }
      log(`deployed ${soPath} as ${toBase58(r.programId)} at slot ${r.slot}`)
      io.stdout(JSON.stringify({
        command: "deploy",
        programId: toBase58(r.programId),
        programData: toBase58(r.programData),
        upgradeAuthority: r.upgradeAuthority === null ? null : toBase58(r.upgradeAuthority),
        bytes: so.length,
        maxDataLen: r.maxDataLen,
        writes: r.writes,
        chunk: r.chunk,
        slot: r.slot,
        signature: r.signature
      }))
      return 0
    }
    const programKeypair = opts.get("--program-keypair")
    const programIdText = opts.get("--program-id")
    if ((programKeypair === undefined) === (programIdText === undefined)) throw new UsageError("upgrade needs one of --program-id or --program-keypair")
    const programId = programKeypair !== undefined ? readKeypair(programKeypair).publicKey : fromBase58(programIdText!)
    const ua = opts.get("--upgrade-authority")
    const r = await upgradeProgram({ rpc, payer, programId, so, ...(ua !== undefined ? { authority: readKeypair(ua) } : {}), log })
    log(`upgraded ${toBase58(programId)} to ${soPath} at slot ${r.slot}`)
    io.stdout(JSON.stringify({ command: "upgrade", programId: toBase58(programId), bytes: so.length, writes: r.writes, slot: r.slot, signature: r.signature }))
    return 0
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`dotdns program: ${e.message}\n\n${PROGRAM_USAGE}`)
      return 2
    }
    io.stderr(`dotdns program ${command}: ${(e as Error).message}`)
    return 1
  }
}
