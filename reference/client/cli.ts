/**
 * `dotdns resolve <name>` and `dotdns client start`. `resolve` runs the resolver in-process (same
 * config, same data dir, so the persisted cache is shared) and prints the answer with every step of
 * its verification; `client start` runs the DNS/DoH endpoints until SIGINT/SIGTERM. The first stdout
 * line of `client start` is one JSON object naming the endpoints, for scripts and tests.
 */
import { Effect, Layer, Schema } from "effect"
import { hex } from "../../spec/src/bytes.ts"
import { normalizeName } from "../../spec/src/name.ts"
import { RECORD_TYPE, type DnsRecord } from "../../spec/src/objects.ts"
import { toBase58 } from "../../programs/client/base58.ts"
import { loggingLayer, ResolverLive, startClient } from "./Client.ts"
import { ClientConfig, ConfigError, EXAMPLE_CONFIG, loadClientConfig, type ClientSettings } from "./Config.ts"
import { cachedExtraText, EDE } from "./Failure.ts"
import { Resolver, type Resolution, type TraceStep } from "./Resolver.ts"

export interface CliIo {
  readonly stdout: (line: string) => void
  readonly stderr: (line: string) => void
  readonly env: Readonly<Record<string, string | undefined>>
}

const defaultIo: CliIo = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  env: process.env
}

/** Exit codes of `dotdns resolve`. */
export const RESOLVE_EXIT = { answered: 0, servfail: 1, usage: 2, nxdomain: 3 } as const

export const RESOLVE_USAGE = `usage: dotdns resolve <name> [options]

Resolves a .dns name the way the client does — cache, then the Name account over Solana RPC, then
the route record from the miners — and prints the answer and how it was verified.

options:
  -t, --type TYPE     A, AAAA, CNAME, TXT, HTTPS or ANY (default: every record of the route)
  --trace             print every verification step
  --json              print one JSON object
  --fresh             skip the cache (the result is still cached)
  -c, --config FILE   client config (YAML); DOTDNS_CLIENT_* variables override it
  -h, --help          this text

exit status: 0 answered (NOERROR, also with no records), 3 NXDOMAIN, 1 verification failure (SERVFAIL), 2 usage or config error`

export const CLIENT_USAGE = `usage: dotdns client <command> [options]

commands:
  start [-c FILE]     serve DNS (UDP+TCP) and DoH (HTTPS with HTTP/2 and HTTP/1.1, and plain HTTP) for .dns
                      names until SIGINT/SIGTERM; the first stdout line is a JSON object with the endpoints
  example-config      print a commented config file

options:
  -c, --config FILE   client config (YAML); DOTDNS_CLIENT_* variables override it
  -h, --help          this text`

class UsageError extends Error {}

const TYPES: Record<string, number> = { A: 1, AAAA: 28, CNAME: 5, TXT: 16, HTTPS: 65, ANY: 255 }

// ------------------------------------------------------------------------------------------ output

/** RFC 5952 text of an IPv6 address (the WHATWG URL parser canonicalizes it). */
const ipv6 = (b: Uint8Array): string => {
  const full = Array.from({ length: 8 }, (_, i) => ((b[2 * i]! << 8) | b[2 * i + 1]!).toString(16)).join(":")
  return new URL(`http://[${full}]/`).hostname.slice(1, -1)
}

const typeName = (t: number): string => Object.entries(RECORD_TYPE).find(([, v]) => v === t)?.[0] ?? `TYPE${t}`

export const renderRecord = (r: DnsRecord): string => {
  switch (r.type) {
    case RECORD_TYPE.A:
      return Array.from(r.data).join(".")
    case RECORD_TYPE.AAAA:
      return ipv6(r.data)
    case RECORD_TYPE.CNAME:
      return `${Buffer.from(r.data).toString("ascii")}.`
    case RECORD_TYPE.TXT:
      return JSON.stringify(Buffer.from(r.data).toString("latin1"))
    default:
      // RFC 3597 generic form
      return `\\# ${r.data.length} ${hex(r.data)}`
  }
}

const ResolveOutput = Schema.Struct({
  name: Schema.String,
  type: Schema.String,
  status: Schema.Literals(["NOERROR", "NXDOMAIN", "SERVFAIL"]),
  answers: Schema.Array(Schema.Struct({ name: Schema.String, type: Schema.String, ttl: Schema.Int, data: Schema.String })),
  ede: Schema.optionalKey(Schema.Struct({ code: Schema.Int, text: Schema.String })),
  verification: Schema.optionalKey(
    Schema.Struct({
      miner: Schema.String,
      serial: Schema.String,
      owner: Schema.String,
      nameAccount: Schema.String,
      routeHash: Schema.String,
      routeEpoch: Schema.String,
      signature: Schema.Literal("ok"),
      ownerMatch: Schema.Literal(true),
      routeHashMatch: Schema.Literal(true),
      cache: Schema.Literals(["hit", "miss"])
    })
  ),
  trace: Schema.optionalKey(Schema.Array(Schema.Struct({ step: Schema.String, ok: Schema.Boolean, detail: Schema.String })))
})
export type ResolveOutput = typeof ResolveOutput.Type

export const describeResolution = (name: string, qtype: number, r: Resolution, trace: readonly TraceStep[] | undefined): ResolveOutput => {
  const type = Object.entries(TYPES).find(([, v]) => v === qtype)?.[0] ?? "ANY"
  const base = { name, type, ...(trace ? { trace: [...trace] } : {}) }
  switch (r.kind) {
    case "nxdomain":
      return { ...base, status: "NXDOMAIN", answers: [] }
    case "nodata":
      return { ...base, status: "NOERROR", answers: [] }
    case "failure":
      return {
        ...base,
        status: "SERVFAIL",
        answers: [],
        ede: r.fromCache ? { code: EDE.cachedError, text: cachedExtraText(r.failure) } : { code: r.failure.ede, text: r.failure.extraText }
      }
    case "route": {
      const v = r.route
      const ttl = Math.max(0, Math.floor((v.expiresAt - Date.now()) / 1000))
      const cname = v.record.records.some((x) => x.type === RECORD_TYPE.CNAME)
      const answers = v.record.records
        .filter((x) => qtype === 255 || x.type === qtype || cname)
        .map((x) => ({ name: `${name}.`, type: typeName(x.type), ttl, data: renderRecord(x) }))
      return {
        ...base,
        status: "NOERROR",
        answers,
        verification: {
          miner: v.miner,
          serial: v.record.serial.toString(),
          owner: toBase58(v.record.owner),
          nameAccount: toBase58(v.account.address),
          routeHash: hex(v.routeHash),
          routeEpoch: v.account.routeEpoch.toString(),
          signature: "ok",
          ownerMatch: true,
          routeHashMatch: true,
          cache: r.fromCache ? "hit" : "miss"
        }
      }
    }
  }
}

const humanLines = (o: ResolveOutput): string[] => {
  const out: string[] = [`;; ${o.name} ${o.type}: ${o.status}${o.ede ? ` (EDE ${o.ede.code}: ${o.ede.text})` : ""}`]
  for (const a of o.answers) out.push(`${a.name}\t${a.ttl}\tIN\t${a.type}\t${a.data}`)
  if (o.status === "NOERROR" && o.answers.length === 0) out.push(";; no records (NODATA)")
  if (o.verification) {
    const v = o.verification
    out.push(
      `;; cache: ${v.cache}`,
      `;; miner: ${v.miner}`,
      `;; signature: ok (owner ${v.owner} signed serial ${v.serial})`,
      `;; on-chain owner: ${v.owner} (Name account ${v.nameAccount}) — matches`,
      `;; canonical route_hash: ${v.routeHash} (finalized in epoch ${v.routeEpoch}) — matches`
    )
  }
  if (o.trace) for (const s of o.trace) out.push(`${s.ok ? "✓" : "✗"} ${s.step.padEnd(10)} ${s.detail}`)
  return out
}

// ------------------------------------------------------------------------------------------ resolve

interface ResolveArgs {
  readonly name: string
  readonly qtype: number
  readonly trace: boolean
  readonly json: boolean
  readonly fresh: boolean
  readonly config: string | undefined
}

const parseResolveArgs = (argv: readonly string[]): ResolveArgs | "help" => {
  let name: string | undefined
  let qtype = 255
  let trace = false
  let json = false
  let fresh = false
  let config: string | undefined
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === "-h" || a === "--help") return "help"
    else if (a === "--trace") trace = true
    else if (a === "--json") json = true
    else if (a === "--fresh") fresh = true
    else if (a === "-t" || a === "--type") {
      const t = argv[++i]?.toUpperCase()
      if (t === undefined || TYPES[t] === undefined) throw new UsageError(`${a} needs one of ${Object.keys(TYPES).join(", ")}`)
      qtype = TYPES[t]!
    } else if (a === "-c" || a === "--config") {
      config = argv[++i]
      if (config === undefined) throw new UsageError(`${a} needs a file`)
    } else if (a.startsWith("-")) throw new UsageError(`unknown option ${a}`)
    else if (name === undefined) name = a
    else throw new UsageError(`unexpected argument ${a}`)
  }
  if (name === undefined) throw new UsageError("give a name to resolve, e.g. dotdns resolve hello.dns")
  return { name, qtype, trace, json, fresh, config }
}

const loadSettings = (path: string | undefined, env: CliIo["env"]) => Effect.runPromise(Effect.result(loadClientConfig(path, env)))

/** `dotdns resolve`; resolves with the exit status. */
export const runResolveCli = async (argv: readonly string[], io: CliIo = defaultIo): Promise<number> => {
  let args: ResolveArgs | "help"
  try {
    args = parseResolveArgs(argv)
  } catch (e) {
    io.stderr(`dotdns resolve: ${(e as Error).message}\n\n${RESOLVE_USAGE}`)
    return RESOLVE_EXIT.usage
  }
  if (args === "help") {
    io.stdout(RESOLVE_USAGE)
    return 0
  }
  const normalized = normalizeName(args.name)
  if (typeof normalized !== "string" && !args.name.toLowerCase().replace(/\.$/, "").endsWith(".dns")) {
    io.stderr(`dotdns resolve: ${args.name} is not a .dns name [${normalized.rule}: ${normalized.message}]`)
    return RESOLVE_EXIT.usage
  }
  const loaded = await loadSettings(args.config, io.env)
  if (loaded._tag === "Failure") {
    io.stderr(`dotdns resolve: config: ${loaded.failure.toString()}`)
    return RESOLVE_EXIT.usage
  }
  const settings: ClientSettings = { ...loaded.success, miners: { ...loaded.success.miners, feeds: false } }
  const trace: TraceStep[] | undefined = args.trace ? [] : undefined
  let resolution: Resolution
  if (typeof normalized !== "string") {
    trace?.push({ step: "normalize", ok: false, detail: `[${normalized.rule}] ${normalized.message}` })
    resolution = { kind: "nxdomain", expiresAt: Date.now(), fromCache: false }
  } else {
    trace?.push({ step: "normalize", ok: true, detail: normalized })
    const program = Effect.gen(function* () {
      const resolver = yield* Resolver
      return yield* resolver.resolve(normalized, { ...(trace ? { trace } : {}), fresh: args.fresh })
    })
    const layer = ResolverLive.pipe(Layer.provideMerge(ClientConfig.layerValue(settings)), Layer.provideMerge(loggingLayer({ log: { level: "error", format: "pretty" } }, io.stderr)))
    resolution = await Effect.runPromise(Effect.scoped(Effect.provide(program, layer)))
  }
  const out = describeResolution(typeof normalized === "string" ? normalized : args.name, args.qtype, resolution, trace)
  if (args.json) io.stdout(JSON.stringify(Schema.encodeSync(ResolveOutput)(out)))
  else for (const l of humanLines(out)) io.stdout(l)
  return out.status === "NOERROR" ? RESOLVE_EXIT.answered : out.status === "NXDOMAIN" ? RESOLVE_EXIT.nxdomain : RESOLVE_EXIT.servfail
}

// ------------------------------------------------------------------------------------------ client

export interface ClientCliOptions {
  /** Resolves to stop the client (default: SIGINT or SIGTERM). */
  readonly stopSignal?: Promise<void>
}

const signalled = (): Promise<void> =>
  new Promise((resolve) => {
    const done = () => {
      process.off("SIGINT", done)
      process.off("SIGTERM", done)
      resolve()
    }
    process.on("SIGINT", done)
    process.on("SIGTERM", done)
  })

/** `dotdns client …`; resolves with the exit status once stopped. */
export const runClientCli = async (argv: readonly string[], io: CliIo = defaultIo, options: ClientCliOptions = {}): Promise<number> => {
  const [command, ...rest] = argv
  if (command === undefined || command === "-h" || command === "--help" || command === "help") {
    ;(command === undefined ? io.stderr : io.stdout)(CLIENT_USAGE)
    return command === undefined ? 2 : 0
  }
  if (command === "example-config") {
    io.stdout(EXAMPLE_CONFIG)
    return 0
  }
  if (command !== "start") {
    io.stderr(`dotdns client: unknown command "${command}"\n\n${CLIENT_USAGE}`)
    return 2
  }
  let config: string | undefined
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!
    if (a === "-h" || a === "--help") {
      io.stdout(CLIENT_USAGE)
      return 0
    } else if (a === "-c" || a === "--config") {
      config = rest[++i]
      if (config === undefined) {
        io.stderr(`dotdns client start: ${a} needs a file`)
        return 2
      }
    } else {
      io.stderr(`dotdns client start: unexpected argument ${a}\n\n${CLIENT_USAGE}`)
      return 2
    }
  }
  const loaded = await loadSettings(config, io.env)
  if (loaded._tag === "Failure") {
    io.stderr(`dotdns client: config: ${(loaded.failure as ConfigError).toString()}`)
    return 2
  }
  const settings = loaded.success
  let client: Awaited<ReturnType<typeof startClient>>
  try {
    client = await startClient(settings, { log: io.stderr })
  } catch (e) {
    io.stderr(`dotdns client: ${(e as Error).message}`)
    return 1
  }
  const e = client.endpoints
  io.stdout(
    JSON.stringify({
      mode: settings.mode,
      dns: `${e.dns.host}:${e.dns.port}`,
      tcp: e.tcp,
      https: e.https?.url ?? null,
      http: e.http?.url ?? null,
      certificate: e.tls ? { path: e.tls.certPath, sha256: e.tls.fingerprint256 } : null,
      dataDir: settings.dataDir,
      pid: process.pid
    })
  )
  await (options.stopSignal ?? signalled())
  await client.close()
  return 0
}
