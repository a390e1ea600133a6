/**
 * Miner configuration: a YAML file, then `DOTDNS_MINER_*` environment overrides, validated by one
 * Schema. A bad value is reported with the field's path and the line of the file it came from (or the
 * environment variable that set it), so an operator never has to guess which setting is wrong.
 */
import { existsSync, readFileSync } from "node:fs"
import { cpus } from "node:os"
import { dirname, isAbsolute, resolve } from "node:path"
import { Context, Effect, Layer, Schema, SchemaGetter } from "effect"
import { toBase58 } from "../../programs/client/base58.ts"
import { DEV_PROGRAM_ID_BASE58 } from "../../programs/client/program-id.ts"
import { U64_MAX } from "../../spec/src/codec.ts"
import { ConfigError, decodeConfig, parseKey, parseYaml, type Env, type EnvOverrides } from "../config/yaml-config.ts"

// ------------------------------------------------------------------------------------------- errors

export { ConfigError }

// ------------------------------------------------------------------------------------------- schema

const Key32 = Schema.String.pipe(
  Schema.check(Schema.makeFilter((s: string) => parseKey(s) !== undefined || "Expected a 32-byte key as base58 or 64 lowercase hex digits")),
  Schema.decodeTo(Schema.Uint8Array, {
    decode: SchemaGetter.transform((s: string) => parseKey(s)!),
    encode: SchemaGetter.transform((b: Uint8Array) => toBase58(b))
  })
)

/** A u64 written as a YAML integer or a decimal string. */
const U64ish = Schema.Union([Schema.String, Schema.Number]).pipe(
  Schema.check(Schema.makeFilter((v: string | number) => /^(?:0|[1-9][0-9]{0,19})$/.test(String(v)) && BigInt(String(v)) <= U64_MAX && (typeof v === "string" || Number.isSafeInteger(v)) || "Expected an unsigned 64-bit integer (decimal)")),
  Schema.decodeTo(Schema.BigInt, {
    decode: SchemaGetter.transform((v: string | number) => BigInt(String(v))),
    encode: SchemaGetter.transform((b: bigint) => b.toString())
  })
)

const PortNumber = Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 0, maximum: 65535 })))
const PositiveInt = Schema.Int.pipe(Schema.check(Schema.isGreaterThanOrEqualTo(1)))
const HttpUrl = Schema.String.pipe(Schema.check(Schema.isPattern(/^https?:\/\/[^\s]+$/, { message: "Expected an http(s) URL" })))
const WsUrl = Schema.String.pipe(Schema.check(Schema.isPattern(/^wss?:\/\/[^\s]+$/, { message: "Expected a ws(s) URL" })))
const PostgresUrl = Schema.String.pipe(Schema.check(Schema.isPattern(/^postgres(?:ql)?:\/\/[^\s]+$/, { message: "Expected a postgres:// URL" })))

/** `schema` when the key is present, else `value` (an encoded value, decoded like any other). */
const withDefault = <S extends Schema.Top>(schema: S, value: S["Encoded"]) => Schema.withDecodingDefaultKey<S>(Effect.succeed(value))(schema)

const SqliteStorage = Schema.Struct({
  kind: Schema.Literal("sqlite"),
  /** Relative paths are inside data_dir. */
  path: withDefault(Schema.String, "miner.sqlite")
})
const PostgresStorage = Schema.Struct({ kind: Schema.Literal("postgres"), url: PostgresUrl })

const DevWitness = Schema.Struct({ key: Key32, stake: U64ish })
const DevName = Schema.Struct({
  name: Schema.String,
  owner: Key32,
  serial: withDefault(U64ish, 0),
  route_hash: Schema.optionalKey(Schema.String.pipe(Schema.check(Schema.isPattern(/^[0-9a-f]{64}$/, { message: "Expected 64 lowercase hex digits" }))))
})

/** Chain views over Solana JSON-RPC: Witness, Name and Config accounts of the program. */
const RpcChain = Schema.Struct({ mode: Schema.Literal("rpc") })
/**
 * DEVELOPMENT ONLY: a fixed epoch and fixed witness and name tables instead of the chain. For tests and
 * local development before the program is deployed; a miner in this mode checks nothing against
 * Solana and its aggregates would not verify on-chain.
 */
const DevFixedChain = Schema.Struct({
  mode: Schema.Literal("dev-fixed"),
  epoch: U64ish,
  epoch_length_slots: withDefault(U64ish, 50),
  witnesses: withDefault(Schema.Array(DevWitness), []),
  names: withDefault(Schema.Array(DevName), [])
})

const LogLevel = Schema.Literals(["trace", "debug", "info", "warn", "error"])
const Commitment = Schema.Literals(["processed", "confirmed", "finalized"])

const RpcSection = Schema.Struct({
  urls: withDefault(Schema.Array(HttpUrl).pipe(Schema.check(Schema.isMinLength(1))), ["http://127.0.0.1:8899"]),
  ws_url: Schema.optionalKey(WsUrl),
  commitment: withDefault(Commitment, "confirmed"),
  timeout_ms: withDefault(PositiveInt, 5000)
})
const HttpSection = Schema.Struct({
  host: withDefault(Schema.String, "127.0.0.1"),
  port: withDefault(PortNumber, 7101),
  /** Largest request body accepted; larger ones get 413 before they are read. */
  max_body_bytes: withDefault(PositiveInt, 2 * 1024 * 1024),
  /** Most receipts in one POST /v1/receipts. */
  max_batch: withDefault(PositiveInt, 10_000)
})
const VerifySection = Schema.Struct({
  workers: withDefault(PositiveInt, Math.max(1, Math.min(2, cpus().length))),
  /** Receipts per message to a worker. */
  chunk_size: withDefault(PositiveInt, 256),
  /** Receipts waiting for verification before ingest answers 503. */
  max_pending: withDefault(PositiveInt, 200_000)
})
const LogSection = Schema.Struct({
  level: withDefault(LogLevel, "info"),
  format: withDefault(Schema.Literals(["json", "pretty"]), "json"),
  /** Log every HTTP request (noisy under load). */
  requests: withDefault(Schema.Boolean, false)
})

/**
 * The chain half's duties: aggregation at the epoch cut-off, submission, cranks, watching peers and
 * answering challenges, run by one loop on the chain's slot (rpc mode only).
 */
const DutiesSection = Schema.Struct({
  enabled: withDefault(Schema.Boolean, true),
  /** How often the loop reads the slot and runs the duties. */
  tick_ms: withDefault(PositiveInt, 1000),
  /** Write each aggregate's receipts as a CAR batch and put its CID in the statement [AGG-6]. */
  car_batches: withDefault(Schema.Boolean, true),
  /** File equivocation, bad-leaf and reveal challenges against peers. */
  challenges: withDefault(Schema.Boolean, true),
  /** Leaves of each peer aggregate whose receipts are fetched and checked (the rest: weight and order only). */
  audit_leaves: withDefault(PositiveInt, 8),
  /** Slots after the submit window before a leaf a peer will not serve gets a reveal challenge; default half the challenge window. */
  reveal_after_slots: Schema.optionalKey(U64ish),
  /**
   * Leaves of one aggregate that cannot be audited (its miner serves no API this miner knows, or will
   * not serve the leaves) that get a reveal challenge, sampled from the seed.
   */
  reveal_leaves: withDefault(PositiveInt, 1),
  /** The most reveal challenges of this miner open at once: each holds `challenge_bond` until settled. */
  reveal_budget: withDefault(PositiveInt, 8),
  /** 64 hex digits: the seed of every sampling choice; default derived from the identity. */
  seed: Schema.optionalKey(Schema.String.pipe(Schema.check(Schema.isPattern(/^[0-9a-f]{64}$/, { message: "Expected 64 lowercase hex digits" }))))
})

export const ConfigFile = Schema.Struct({
  /** Solana CLI keypair file (JSON array of 64 bytes: seed ‖ public key). */
  identity: withDefault(Schema.String, "identity.json"),
  program_id: withDefault(Key32, DEV_PROGRAM_ID_BASE58),
  rpc: withDefault(RpcSection, {}),
  http: withDefault(HttpSection, {}),
  storage: withDefault(Schema.Union([SqliteStorage, PostgresStorage]), { kind: "sqlite" }),
  /** Where CAR batches (and the default SQLite file) live; relative to the config file. */
  data_dir: withDefault(Schema.String, "data"),
  /** Other miners' base URLs (reconciliation and feeds). */
  peers: withDefault(Schema.Array(HttpUrl), []),
  verify: withDefault(VerifySection, {}),
  chain: withDefault(Schema.Union([RpcChain, DevFixedChain]), { mode: "rpc" }),
  log: withDefault(LogSection, {}),
  duties: withDefault(DutiesSection, {})
})
export type ConfigFile = typeof ConfigFile.Type

// ---------------------------------------------------------------------------------------- resolved

export interface DevWitnessEntry {
  readonly key: Uint8Array
  readonly stake: bigint
}
export interface DevNameEntry {
  readonly name: string
  readonly owner: Uint8Array
  readonly serial: bigint
  readonly routeHash: string | undefined
}

export type ChainSettings =
  | { readonly mode: "rpc" }
  | {
      readonly mode: "dev-fixed"
      readonly epoch: bigint
      readonly epochLengthSlots: bigint
      readonly witnesses: readonly DevWitnessEntry[]
      readonly names: readonly DevNameEntry[]
    }

export type StorageSettings = { readonly kind: "sqlite"; readonly path: string } | { readonly kind: "postgres"; readonly url: string }

/** The validated configuration with paths made absolute. */
export interface MinerSettings {
  readonly source: string
  readonly identityPath: string
  readonly programId: Uint8Array
  readonly rpc: {
    readonly urls: readonly string[]
    readonly wsUrl: string
    readonly commitment: "processed" | "confirmed" | "finalized"
    readonly timeoutMs: number
  }
  readonly http: { readonly host: string; readonly port: number; readonly maxBodyBytes: number; readonly maxBatch: number }
  readonly storage: StorageSettings
  readonly dataDir: string
  readonly peers: readonly string[]
  readonly verify: { readonly workers: number; readonly chunkSize: number; readonly maxPending: number }
  readonly chain: ChainSettings
  readonly log: { readonly level: "trace" | "debug" | "info" | "warn" | "error"; readonly format: "json" | "pretty"; readonly requests: boolean }
  readonly duties: DutySettings
}

export interface DutySettings {
  readonly enabled: boolean
  readonly tickMs: number
  readonly carBatches: boolean
  readonly challenges: boolean
  readonly auditLeaves: number
  readonly revealAfterSlots: bigint | undefined
  /** Sampled leaves of an unauditable aggregate that get a reveal challenge. */
  readonly revealLeaves: number
  /** The most of this miner's reveal challenges open at once. */
  readonly revealBudget: number
  /** Hex; undefined = derived from the identity. */
  readonly seed: string | undefined
}

export class MinerConfig extends Context.Service<MinerConfig, MinerSettings>()("dotdns/miner/MinerConfig") {
  /** Reads and validates a config file with `DOTDNS_MINER_*` overrides from `env`. */
  static readonly layer = (path: string, env: Readonly<Record<string, string | undefined>> = process.env) =>
    Layer.effect(MinerConfig, loadConfig(path, env))

  static readonly layerValue = (settings: MinerSettings) => Layer.succeed(MinerConfig, settings)
}

// ------------------------------------------------------------------------------------------ helpers

/** Every environment override: `DOTDNS_MINER_<NAME>` → field path. Unknown `DOTDNS_MINER_*` names are errors. */
export const ENV_OVERRIDES: EnvOverrides = {
  DOTDNS_MINER_IDENTITY: { path: ["identity"], kind: "string" },
  DOTDNS_MINER_PROGRAM_ID: { path: ["program_id"], kind: "string" },
  DOTDNS_MINER_RPC_URLS: { path: ["rpc", "urls"], kind: "list" },
  DOTDNS_MINER_RPC_URL: { path: ["rpc", "urls"], kind: "list" },
  DOTDNS_MINER_WS_URL: { path: ["rpc", "ws_url"], kind: "string" },
  DOTDNS_MINER_RPC_COMMITMENT: { path: ["rpc", "commitment"], kind: "string" },
  DOTDNS_MINER_HTTP_HOST: { path: ["http", "host"], kind: "string" },
  DOTDNS_MINER_HTTP_PORT: { path: ["http", "port"], kind: "int" },
  DOTDNS_MINER_HTTP_MAX_BODY_BYTES: { path: ["http", "max_body_bytes"], kind: "int" },
  DOTDNS_MINER_HTTP_MAX_BATCH: { path: ["http", "max_batch"], kind: "int" },
  DOTDNS_MINER_STORAGE: { path: ["storage", "kind"], kind: "string" },
  DOTDNS_MINER_STORAGE_PATH: { path: ["storage", "path"], kind: "string" },
  DOTDNS_MINER_STORAGE_URL: { path: ["storage", "url"], kind: "string" },
  DOTDNS_MINER_DATA_DIR: { path: ["data_dir"], kind: "string" },
  DOTDNS_MINER_PEERS: { path: ["peers"], kind: "list" },
  DOTDNS_MINER_VERIFY_WORKERS: { path: ["verify", "workers"], kind: "int" },
  DOTDNS_MINER_VERIFY_CHUNK_SIZE: { path: ["verify", "chunk_size"], kind: "int" },
  DOTDNS_MINER_VERIFY_MAX_PENDING: { path: ["verify", "max_pending"], kind: "int" },
  DOTDNS_MINER_LOG_LEVEL: { path: ["log", "level"], kind: "string" },
  DOTDNS_MINER_LOG_FORMAT: { path: ["log", "format"], kind: "string" },
  DOTDNS_MINER_LOG_REQUESTS: { path: ["log", "requests"], kind: "bool" },
  DOTDNS_MINER_DUTIES_ENABLED: { path: ["duties", "enabled"], kind: "bool" },
  DOTDNS_MINER_DUTIES_TICK_MS: { path: ["duties", "tick_ms"], kind: "int" },
  DOTDNS_MINER_DUTIES_CHALLENGES: { path: ["duties", "challenges"], kind: "bool" }
}

/** Parses, overrides and validates; pure apart from reading the file. */
export const parseConfig = (text: string, source: string, env: Env): MinerSettings | ConfigError => {
  const yaml = parseYaml(text, source)
  if (!("value" in yaml)) return yaml
  const decoded = decodeConfig(ConfigFile, yaml.value, { source, env, prefix: "DOTDNS_MINER_", overrides: ENV_OVERRIDES, lineOf: yaml.lineOf })
  return decoded.ok ? resolveSettings(decoded.value, source) : decoded.error
}

const resolveSettings = (c: ConfigFile, source: string): MinerSettings => {
  const base = dirname(resolve(source))
  const abs = (p: string, from: string = base) => (isAbsolute(p) ? p : resolve(from, p))
  const dataDir = abs(c.data_dir)
  const firstRpc = new URL(c.rpc.urls[0]!)
  const derivedWs = `${firstRpc.protocol === "https:" ? "wss" : "ws"}://${firstRpc.hostname}:${Number(firstRpc.port || (firstRpc.protocol === "https:" ? 443 : 80)) + 1}`
  const chain: ChainSettings =
    c.chain.mode === "rpc"
      ? { mode: "rpc" }
      : {
          mode: "dev-fixed",
          epoch: c.chain.epoch,
          epochLengthSlots: c.chain.epoch_length_slots,
          witnesses: c.chain.witnesses.map((w) => ({ key: w.key, stake: w.stake })),
          names: c.chain.names.map((n) => ({ name: n.name, owner: n.owner, serial: n.serial, routeHash: n.route_hash }))
        }
  return {
    source: resolve(source),
    identityPath: abs(c.identity),
    programId: c.program_id,
    rpc: { urls: c.rpc.urls, wsUrl: c.rpc.ws_url ?? derivedWs, commitment: c.rpc.commitment, timeoutMs: c.rpc.timeout_ms },
    http: { host: c.http.host, port: c.http.port, maxBodyBytes: c.http.max_body_bytes, maxBatch: c.http.max_batch },
    storage: c.storage.kind === "sqlite" ? { kind: "sqlite", path: abs(c.storage.path, dataDir) } : { kind: "postgres", url: c.storage.url },
    dataDir,
    peers: c.peers,
    verify: { workers: c.verify.workers, chunkSize: c.verify.chunk_size, maxPending: c.verify.max_pending },
    chain,
    log: { level: c.log.level, format: c.log.format, requests: c.log.requests },
    duties: {
      enabled: c.duties.enabled,
      tickMs: c.duties.tick_ms,
      carBatches: c.duties.car_batches,
      challenges: c.duties.challenges,
      auditLeaves: c.duties.audit_leaves,
      revealAfterSlots: c.duties.reveal_after_slots,
      revealLeaves: c.duties.reveal_leaves,
      revealBudget: c.duties.reveal_budget,
      seed: c.duties.seed
    }
  }
}

export const loadConfig = Effect.fn("MinerConfig.load")(function* (
  path: string,
  env: Readonly<Record<string, string | undefined>> = process.env
) {
  if (!existsSync(path)) return yield* new ConfigError({ source: path, message: "config file not found (create one with `dotdns miner init`)" })
  const text = yield* Effect.try({
    try: () => readFileSync(path, "utf8"),
    catch: (e) => new ConfigError({ source: path, message: `cannot read: ${String(e)}` })
  })
  const result = parseConfig(text, path, env)
  return result instanceof ConfigError ? yield* result : result
})

/** The config file `dotdns miner init` writes: every field, commented. */
export const defaultConfigYaml = (o: { readonly identity: string; readonly port?: number; readonly programId?: string }): string =>
  `# dotdns miner configuration (spec v1). Every field is optional except where noted;
# DOTDNS_MINER_* environment variables override fields (see reference/miner/Config.ts).
identity: ${o.identity}            # Solana CLI keypair file (64-byte JSON array)
program_id: ${o.programId ?? DEV_PROGRAM_ID_BASE58}
rpc:
  urls: [http://127.0.0.1:8899]   # tried in order
  # ws_url: ws://127.0.0.1:8900   # default: first RPC URL's port + 1
  commitment: confirmed
http:
  host: 127.0.0.1
  port: ${o.port ?? 7101}
  max_body_bytes: 2097152         # spec 14: bodies above 2 MiB get 413
  max_batch: 10000                # spec 14: more receipts than this get 413
storage:
  kind: sqlite                    # or: kind: postgres, url: postgres://user@host:5432/db
  path: miner.sqlite              # relative to data_dir
data_dir: data
peers: []
verify:
  workers: 2
chain:
  mode: rpc                       # "dev-fixed" is a DEVELOPMENT-ONLY fixed table (see Config.ts)
log:
  level: info
  format: json
duties:                           # the chain half (rpc mode): aggregate, submit, crank, watch peers, answer challenges
  enabled: true
  tick_ms: 1000
  car_batches: true
  challenges: true
  audit_leaves: 8
  reveal_leaves: 1                # leaves of an aggregate nobody serves that get a reveal challenge
  reveal_budget: 8                # most reveal challenges open at once (each bonds challenge_bond)
`
