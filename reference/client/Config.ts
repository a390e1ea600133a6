/**
 * Client configuration: a YAML file, then `DOTDNS_CLIENT_*` environment overrides, validated by one
 * Schema. A bad value is reported with its field path and the line of the file it came from (or the
 * environment variable that set it). Every field has a default, so an empty file — or no file — is a
 * working loopback resolver against a localnet.
 */
import { existsSync, readFileSync } from "node:fs"
import { homedir } from "node:os"
import { dirname, isAbsolute, join, resolve } from "node:path"
import { Context, Effect, Layer, Schema } from "effect"
import { toBase58 } from "../../programs/client/base58.ts"
import { readKeypairJsonFile } from "../../programs/client/keypair-file.ts"
import { DEV_PROGRAM_ID_BASE58 } from "../../programs/client/program-id.ts"
import type { Keypair } from "../../spec/src/ed25519.ts"
import { ConfigError, decodeConfig, parseKey, parseYaml, type Env, type EnvOverrides, type LineOf } from "../config/yaml-config.ts"

export { ConfigError }

// ------------------------------------------------------------------------------------------- schema

const withDefault = <S extends Schema.Top>(schema: S, value: S["Encoded"]) => Schema.withDecodingDefaultKey<S>(Effect.succeed(value))(schema)

const Port = Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 0, maximum: 65535 })))
const PositiveInt = Schema.Int.pipe(Schema.check(Schema.isGreaterThanOrEqualTo(1)))
const NonNegativeInt = Schema.Int.pipe(Schema.check(Schema.isGreaterThanOrEqualTo(0)))
const HttpUrl = Schema.String.pipe(Schema.check(Schema.isPattern(/^https?:\/\/[^\s]+$/, { message: "Expected an http(s) URL" })))
const Host = Schema.String.pipe(Schema.check(Schema.isPattern(/^[0-9A-Za-z.:-]+$/, { message: "Expected an IP address or host name" })))
/** `host:port`, `[v6]:port` or a bare host (port 53). */
const HostPort = Schema.String.pipe(
  Schema.check(Schema.makeFilter((s: string) => parseHostPort(s) !== undefined || "Expected host:port (for example 127.0.0.1:53)"))
)
const Base58Key = Schema.String.pipe(
  Schema.check(Schema.makeFilter((s: string) => parseKey(s) !== undefined || "Expected a 32-byte key as base58 or 64 lowercase hex digits"))
)
const Probability = Schema.Number.pipe(Schema.check(Schema.isBetween({ minimum: 0, maximum: 1 })))

const RpcSection = Schema.Struct({
  urls: withDefault(Schema.Array(HttpUrl).pipe(Schema.check(Schema.isMinLength(1))), ["http://127.0.0.1:8899"]),
  /** `finalized` by spec 13; `confirmed` is allowed for development. */
  commitment: withDefault(Schema.Literals(["finalized", "confirmed"]), "finalized"),
  /** [CLI-5] endpoints that must answer; RECOMMENDED 2. */
  min_answers: withDefault(PositiveInt, 1),
  timeout_ms: withDefault(PositiveInt, 3000)
})
const MinersSection = Schema.Struct({
  urls: withDefault(Schema.Array(HttpUrl), ["http://127.0.0.1:7101"]),
  /** Fire the next miner when the first has not answered after this long. */
  hedge_delay_ms: withDefault(NonNegativeInt, 150),
  timeout_ms: withDefault(PositiveInt, 3000),
  /** Follow the miners' WebSocket feeds (`/v1/ws`) to refresh cached routes early. */
  feeds: withDefault(Schema.Boolean, true),
  /** Start each lookup at a random miner (spreads what each miner learns); false = in the order given. */
  spread: withDefault(Schema.Boolean, true)
})
const CacheSection = Schema.Struct({
  max_entries: withDefault(PositiveInt, 10_000),
  answer_entries: withDefault(PositiveInt, 50_000),
  /** NXDOMAIN / NODATA lifetime, at most 60 s (spec 13). */
  negative_ttl_s: withDefault(Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 0, maximum: 60 }))), 30),
  /** Verification-failure lifetime, 1..30 s (spec 13, RFC 9520). */
  failure_ttl_s: withDefault(Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 1, maximum: 30 }))), 5),
  /** Re-verify an entry that was used when this share of its TTL remains. */
  refresh_fraction: withDefault(Probability, 0.2),
  refresh_interval_ms: withDefault(PositiveInt, 1000),
  /** Keep verified routes in `<data_dir>/route-cache.json` across restarts. */
  persist: withDefault(Schema.Boolean, true)
})
const DnsSection = Schema.Struct({
  host: withDefault(Host, "127.0.0.1"),
  port: withDefault(Port, 5353),
  tcp: withDefault(Schema.Boolean, true),
  /** Our EDNS(0) UDP payload size (RFC 6891; 1232 per DNS Flag Day 2020). */
  udp_payload_size: withDefault(Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 512, maximum: 4096 }))), 1232),
  tcp_idle_ms: withDefault(PositiveInt, 10_000),
  max_tcp_connections: withDefault(PositiveInt, 1024)
})
const HttpsSection = Schema.Struct({
  enabled: withDefault(Schema.Boolean, true),
  host: withDefault(Host, "127.0.0.1"),
  port: withDefault(Port, 8443),
  /** PEM files; when absent a self-signed pair is generated in `<data_dir>/tls/`. */
  cert: Schema.optionalKey(Schema.String),
  key: Schema.optionalKey(Schema.String)
})
const HttpSection = Schema.Struct({
  enabled: withDefault(Schema.Boolean, true),
  host: withDefault(Host, "127.0.0.1"),
  port: withDefault(Port, 8053)
})
const DohSection = Schema.Struct({ https: withDefault(HttpsSection, {}), http: withDefault(HttpSection, {}) })
const ForwardSection = Schema.Struct({
  /** Resolver for names outside `.dns`; absent = answer REFUSED [CLI-7]. */
  upstream: Schema.optionalKey(Schema.NullOr(HostPort)),
  timeout_ms: withDefault(PositiveInt, 2000)
})
const ReceiptsSection = Schema.Struct({
  /** Opt-in [RCP-4]. In gateway mode receipts are on whenever a witness key is set. */
  enabled: withDefault(Schema.Boolean, false),
  /** Solana CLI keypair file (JSON array: seed ‖ public key) of a bonded witness. */
  witness_key: Schema.optionalKey(Schema.String),
  /** Probability of a receipt per (epoch, name) resolved; RECOMMENDED ≤ 0.1. */
  sample_rate: withDefault(Probability, 0.1),
  /** How often the chain's slot is read to decide when a batch is due. */
  poll_ms: withDefault(PositiveInt, 5000),
  /**
   * What a receipt witnesses: `verified`, the route answered (canonical); `published` (gateway mode
   * only), the newest owner-signed record the miners hold, checked against the on-chain owner and
   * above the canonical serial — what lets a new route gather support (Receipts.ts).
   */
  routes: withDefault(Schema.Literals(["verified", "published"]), "verified")
})
const GatewaySection = Schema.Struct({
  /** Per-source token bucket: sustained queries per second and burst. */
  rate_qps: withDefault(PositiveInt, 50),
  rate_burst: withDefault(PositiveInt, 200),
  /** Largest UDP response; larger answers are truncated (TC) to limit amplification. */
  max_udp_response: withDefault(Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 512, maximum: 4096 }))), 1232),
  /** Largest response over TCP or DoH. */
  max_response: withDefault(Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 512, maximum: 65535 }))), 16384),
  /** How often an operator witness posts its receipt batch. */
  publish_interval_ms: withDefault(PositiveInt, 10_000),
  /** Tracked sources before the oldest buckets are dropped. */
  max_sources: withDefault(PositiveInt, 100_000)
})
const LogSection = Schema.Struct({
  level: withDefault(Schema.Literals(["debug", "info", "warn", "error"]), "info"),
  format: withDefault(Schema.Literals(["json", "pretty"]), "json")
})

export const ClientConfigFile = Schema.Struct({
  mode: withDefault(Schema.Literals(["client", "gateway"]), "client"),
  /** Relative to the config file; default `$XDG_DATA_HOME/dotdns/client`. */
  data_dir: Schema.optionalKey(Schema.String),
  program_id: withDefault(Base58Key, DEV_PROGRAM_ID_BASE58),
  rpc: withDefault(RpcSection, {}),
  miners: withDefault(MinersSection, {}),
  cache: withDefault(CacheSection, {}),
  dns: withDefault(DnsSection, {}),
  doh: withDefault(DohSection, {}),
  forward: withDefault(ForwardSection, {}),
  receipts: withDefault(ReceiptsSection, {}),
  gateway: withDefault(GatewaySection, {}),
  log: withDefault(LogSection, {})
})
export type ClientConfigFile = typeof ClientConfigFile.Type
/** The config as written in YAML (every key optional). */
export type ClientConfigInput = typeof ClientConfigFile.Encoded

// ---------------------------------------------------------------------------------------- resolved

export interface HostPortValue {
  readonly host: string
  readonly port: number
}

/** The validated configuration with paths made absolute and keys parsed. */
export interface ClientSettings {
  readonly source: string
  readonly mode: "client" | "gateway"
  readonly dataDir: string
  readonly programId: Uint8Array
  readonly rpc: { readonly urls: readonly string[]; readonly commitment: "finalized" | "confirmed"; readonly minAnswers: number; readonly timeoutMs: number }
  readonly miners: {
    readonly urls: readonly string[]
    readonly hedgeDelayMs: number
    readonly timeoutMs: number
    readonly feeds: boolean
    readonly spread: boolean
  }
  readonly cache: {
    readonly maxEntries: number
    readonly answerEntries: number
    readonly negativeTtlS: number
    readonly failureTtlS: number
    readonly refreshFraction: number
    readonly refreshIntervalMs: number
    readonly persist: boolean
  }
  readonly dns: {
    readonly host: string
    readonly port: number
    readonly tcp: boolean
    readonly udpPayloadSize: number
    readonly tcpIdleMs: number
    readonly maxTcpConnections: number
  }
  readonly doh: {
    readonly https: { readonly enabled: boolean; readonly host: string; readonly port: number; readonly cert?: string; readonly key?: string }
    readonly http: { readonly enabled: boolean; readonly host: string; readonly port: number }
  }
  readonly forward: { readonly upstream: HostPortValue | undefined; readonly timeoutMs: number }
  readonly receipts: {
    readonly enabled: boolean
    readonly witness: Keypair | undefined
    readonly sampleRate: number
    readonly pollMs: number
    readonly routes: "verified" | "published"
  }
  readonly gateway: {
    readonly rateQps: number
    readonly rateBurst: number
    readonly maxUdpResponse: number
    readonly maxResponse: number
    readonly publishIntervalMs: number
    readonly maxSources: number
  }
  readonly log: { readonly level: "debug" | "info" | "warn" | "error"; readonly format: "json" | "pretty" }
}

export class ClientConfig extends Context.Service<ClientConfig, ClientSettings>()("dotdns/client/ClientConfig") {
  /** Reads and validates a config file (or only defaults and environment when `path` is undefined). */
  static readonly layer = (path: string | undefined, env: Readonly<Record<string, string | undefined>> = process.env) =>
    Layer.effect(ClientConfig, loadClientConfig(path, env))
  static readonly layerValue = (settings: ClientSettings) => Layer.succeed(ClientConfig, settings)
}

// ------------------------------------------------------------------------------------------ helpers

export const parseHostPort = (s: string): HostPortValue | undefined => {
  const v6 = /^\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?$/.exec(s)
  const v4 = /^([0-9A-Za-z.-]+)(?::(\d{1,5}))?$/.exec(s)
  const m = v6 ?? v4
  if (m === null) return undefined
  const port = m[2] === undefined ? 53 : Number(m[2])
  return port >= 1 && port <= 65535 ? { host: m[1]!, port } : undefined
}

/** A Solana CLI keypair file, or why it is not one. */
export const readKeypairFile = readKeypairJsonFile

/** Every environment override: `DOTDNS_CLIENT_<NAME>` → field path. Unknown `DOTDNS_CLIENT_*` names are errors. */
export const ENV_OVERRIDES: EnvOverrides = {
  DOTDNS_CLIENT_MODE: { path: ["mode"], kind: "string" },
  DOTDNS_CLIENT_DATA_DIR: { path: ["data_dir"], kind: "string" },
  DOTDNS_CLIENT_PROGRAM_ID: { path: ["program_id"], kind: "string" },
  DOTDNS_CLIENT_RPC_URLS: { path: ["rpc", "urls"], kind: "list" },
  DOTDNS_CLIENT_RPC_COMMITMENT: { path: ["rpc", "commitment"], kind: "string" },
  DOTDNS_CLIENT_RPC_MIN_ANSWERS: { path: ["rpc", "min_answers"], kind: "int" },
  DOTDNS_CLIENT_MINERS: { path: ["miners", "urls"], kind: "list" },
  DOTDNS_CLIENT_MINERS_FEEDS: { path: ["miners", "feeds"], kind: "bool" },
  DOTDNS_CLIENT_DNS_HOST: { path: ["dns", "host"], kind: "string" },
  DOTDNS_CLIENT_DNS_PORT: { path: ["dns", "port"], kind: "int" },
  DOTDNS_CLIENT_DOH_HTTPS_PORT: { path: ["doh", "https", "port"], kind: "int" },
  DOTDNS_CLIENT_DOH_HTTP_PORT: { path: ["doh", "http", "port"], kind: "int" },
  DOTDNS_CLIENT_UPSTREAM: { path: ["forward", "upstream"], kind: "string" },
  DOTDNS_CLIENT_RECEIPTS: { path: ["receipts", "enabled"], kind: "bool" },
  DOTDNS_CLIENT_WITNESS_KEY: { path: ["receipts", "witness_key"], kind: "string" },
  DOTDNS_CLIENT_SAMPLE_RATE: { path: ["receipts", "sample_rate"], kind: "number" },
  DOTDNS_CLIENT_RECEIPT_ROUTES: { path: ["receipts", "routes"], kind: "string" },
  DOTDNS_CLIENT_LOG_LEVEL: { path: ["log", "level"], kind: "string" },
  DOTDNS_CLIENT_LOG_FORMAT: { path: ["log", "format"], kind: "string" }
}

export const defaultDataDir = (env: Readonly<Record<string, string | undefined>>): string =>
  join(env.XDG_DATA_HOME ?? join(homedir(), ".local", "share"), "dotdns", "client")

/**
 * Validates a config value (the parsed YAML, or an object a test writes) with `DOTDNS_CLIENT_*`
 * overrides applied. `source` names the file for messages and anchors relative paths; `lines` maps a
 * field path to its line in the file.
 */
export const decodeClientConfig = (raw: unknown, source: string, env: Env, lineOf?: LineOf): ClientSettings | ConfigError => {
  const decoded = decodeConfig(ClientConfigFile, raw, { source, env, prefix: "DOTDNS_CLIENT_", overrides: ENV_OVERRIDES, ...(lineOf ? { lineOf } : {}) })
  return decoded.ok ? resolveSettings(decoded.value, source, env) : decoded.error
}

const resolveSettings = (c: ClientConfigFile, source: string, env: Readonly<Record<string, string | undefined>>): ClientSettings | ConfigError => {
  const base = source === "defaults" ? process.cwd() : dirname(resolve(source))
  const abs = (p: string, from: string = base) => (isAbsolute(p) ? p : resolve(from, p))
  const dataDir = c.data_dir === undefined ? defaultDataDir(env) : abs(c.data_dir)
  let witness: Keypair | undefined
  if (c.receipts.witness_key !== undefined) {
    const kp = readKeypairFile(abs(c.receipts.witness_key))
    if (typeof kp === "string") return new ConfigError({ source, field: "receipts.witness_key", message: kp })
    witness = kp
  }
  const receiptsOn = c.mode === "gateway" ? witness !== undefined : c.receipts.enabled
  if (c.mode === "client" && c.receipts.enabled && witness === undefined)
    return new ConfigError({ source, field: "receipts.witness_key", message: "receipts are enabled but no witness key is configured" })
  if (c.receipts.routes === "published" && c.mode !== "gateway")
    return new ConfigError({ source, field: "receipts.routes", message: "published routes are witnessed by operators only (mode: gateway); a client witnesses what it verified [RCP-4]" })
  if (c.rpc.min_answers > c.rpc.urls.length)
    return new ConfigError({ source, field: "rpc.min_answers", message: `${c.rpc.min_answers} answers required but only ${c.rpc.urls.length} RPC URL(s) configured` })
  if ((c.doh.https.cert === undefined) !== (c.doh.https.key === undefined))
    return new ConfigError({ source, field: "doh.https", message: "give both cert and key, or neither (a self-signed pair is then generated)" })
  const upstream = c.forward.upstream === undefined || c.forward.upstream === null ? undefined : parseHostPort(c.forward.upstream)
  return {
    source: source === "defaults" ? source : resolve(source),
    mode: c.mode,
    dataDir,
    programId: parseKey(c.program_id)!,
    rpc: { urls: c.rpc.urls, commitment: c.rpc.commitment, minAnswers: c.rpc.min_answers, timeoutMs: c.rpc.timeout_ms },
    miners: { urls: c.miners.urls, hedgeDelayMs: c.miners.hedge_delay_ms, timeoutMs: c.miners.timeout_ms, feeds: c.miners.feeds, spread: c.miners.spread },
    cache: {
      maxEntries: c.cache.max_entries,
      answerEntries: c.cache.answer_entries,
      negativeTtlS: c.cache.negative_ttl_s,
      failureTtlS: c.cache.failure_ttl_s,
      refreshFraction: c.cache.refresh_fraction,
      refreshIntervalMs: c.cache.refresh_interval_ms,
      persist: c.cache.persist
    },
    dns: {
      host: c.dns.host,
      port: c.dns.port,
      tcp: c.dns.tcp,
      udpPayloadSize: c.dns.udp_payload_size,
      tcpIdleMs: c.dns.tcp_idle_ms,
      maxTcpConnections: c.dns.max_tcp_connections
    },
    doh: {
      https: {
        enabled: c.doh.https.enabled,
        host: c.doh.https.host,
        port: c.doh.https.port,
        ...(c.doh.https.cert !== undefined ? { cert: abs(c.doh.https.cert) } : {}),
        ...(c.doh.https.key !== undefined ? { key: abs(c.doh.https.key) } : {})
      },
      http: { enabled: c.doh.http.enabled, host: c.doh.http.host, port: c.doh.http.port }
    },
    forward: { upstream, timeoutMs: c.forward.timeout_ms },
    receipts: { enabled: receiptsOn, witness, sampleRate: c.mode === "gateway" ? 1 : c.receipts.sample_rate, pollMs: c.receipts.poll_ms, routes: c.receipts.routes },
    gateway: {
      rateQps: c.gateway.rate_qps,
      rateBurst: c.gateway.rate_burst,
      maxUdpResponse: c.gateway.max_udp_response,
      maxResponse: c.gateway.max_response,
      publishIntervalMs: c.gateway.publish_interval_ms,
      maxSources: c.gateway.max_sources
    },
    log: { level: c.log.level, format: c.log.format }
  }
}

/** Parses YAML text and validates it; pure apart from reading a witness key file. */
export const parseClientConfig = (text: string, source: string, env: Env): ClientSettings | ConfigError => {
  const yaml = parseYaml(text, source)
  return "value" in yaml ? decodeClientConfig(yaml.value, source, env, yaml.lineOf) : yaml
}

export const loadClientConfig = Effect.fn("ClientConfig.load")(function* (
  path: string | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env
) {
  if (path === undefined) {
    const r = decodeClientConfig({}, "defaults", env)
    return r instanceof ConfigError ? yield* r : r
  }
  if (!existsSync(path)) return yield* new ConfigError({ source: path, message: "config file not found" })
  const text = yield* Effect.try({
    try: () => readFileSync(path, "utf8"),
    catch: (e) => new ConfigError({ source: path, message: `cannot read: ${String(e)}` })
  })
  const r = parseClientConfig(text, path, env)
  return r instanceof ConfigError ? yield* r : r
})

/** Settings for tests and embedding: the given YAML-shaped object, no environment. Throws a ConfigError. */
export const clientSettings = (input: ClientConfigInput, source = "defaults"): ClientSettings => {
  const r = decodeClientConfig(input, source, {})
  if (r instanceof ConfigError) throw r
  return r
}

export const programIdText = (s: ClientSettings): string => toBase58(s.programId)

/** A commented example config (what `dotdns client init` would write). */
export const EXAMPLE_CONFIG = `# dotdns client (spec v1). Every field is optional; DOTDNS_CLIENT_* variables override fields.
mode: client                 # or "gateway": public bind, per-source rate limits, operator receipts
# data_dir: ~/.local/share/dotdns/client
rpc:
  urls: [http://127.0.0.1:8899]   # several independent endpoints are RECOMMENDED
  commitment: finalized
  min_answers: 1                  # RECOMMENDED 2 [CLI-5]
miners:
  urls: [http://127.0.0.1:7101]
  hedge_delay_ms: 150
  feeds: true
cache:
  max_entries: 10000
  negative_ttl_s: 30
  failure_ttl_s: 5
dns:
  host: 127.0.0.1
  port: 5353
doh:
  https: { enabled: true, host: 127.0.0.1, port: 8443 }
  http: { enabled: true, host: 127.0.0.1, port: 8053 }
forward:
  upstream: null                 # e.g. 127.0.0.1:53 to forward names outside .dns
receipts:
  enabled: false                 # opt-in [RCP-4]
  # witness_key: witness.json
  sample_rate: 0.1
  # routes: verified             # gateway only: "published" witnesses owners' newest records (new routes need receipts)
`
