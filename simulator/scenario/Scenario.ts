/**
 * Scenario files (`scenarios/*.yaml`): one `effect/Schema` for the file, then a resolution step that
 * expands groups, converts SOL to lamports, applies parameter overrides to `LOCALNET_PARAMS` and checks
 * every cross-reference. Every error, from YAML syntax to a timeline event naming an unknown miner,
 * points at the line and column of the offending node (`yaml`'s `parseDocument` keeps the ranges):
 *
 *   scenarios/bad.yaml:14:7: population.miners[2].stake: Expected a value greater than or equal to 0
 *
 * The format, field by field, is documented in `scenarios/README.md`; this file is its definition.
 */
import { readFileSync } from "node:fs"
import { basename, dirname, resolve } from "node:path"
import { Schema, SchemaIssue } from "effect"
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from "yaml"
import { normalizeName, nameHash } from "../../spec/src/name.ts"
import { ProtocolError } from "../../spec/src/errors.ts"
import { checkParams, COMMITTEE_MODE, LOCALNET_PARAMS, PARAM, type ParamName, type Params } from "../../spec/src/params.ts"
import type { Capability } from "../world/Svm.ts"

// ------------------------------------------------------------------------------------------- errors

export class ScenarioError extends Error {
  override readonly name = "ScenarioError"
  readonly source: string
  readonly line: number | undefined
  readonly column: number | undefined
  /** `population.miners[2].stake`. */
  readonly path: string
  readonly detail: string
  constructor(o: { source: string; line?: number | undefined; column?: number | undefined; path: string; detail: string }) {
    const where = o.line === undefined ? o.source : `${o.source}:${o.line}:${o.column ?? 1}`
    super(o.path === "" ? `${where}: ${o.detail}` : `${where}: ${o.path}: ${o.detail}`)
    this.source = o.source
    this.line = o.line
    this.column = o.column
    this.path = o.path
    this.detail = o.detail
  }
}

/** One or more problems with a scenario file; `message` lists them all, one a line. */
export class ScenarioErrors extends Error {
  override readonly name = "ScenarioErrors"
  readonly errors: readonly ScenarioError[]
  constructor(errors: readonly ScenarioError[]) {
    super(errors.map((e) => e.message).join("\n"))
    this.errors = errors
  }
}

// ------------------------------------------------------------------------------------------- schema

const NonNegInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const PosInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))
/** SOL, possibly fractional (converted to whole lamports). */
const Sol = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))
const Share = Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 0.99 }))
const Id = Schema.String.check(Schema.isPattern(/^[a-z][a-z0-9_-]{0,31}$/, { message: "Expected an id: a lowercase letter, then up to 31 of a-z 0-9 _ -" }))
const Ids = Schema.Array(Id)
const Ipv4 = Schema.String.check(Schema.isPattern(/^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/, { message: "Expected an IPv4 address" }))
const Options = Schema.Record(Schema.String, Schema.Unknown)

/** When: an epoch number, or `{epoch, offset}` with the offset in slots into the epoch. */
const At = Schema.Union([NonNegInt, Schema.Struct({ epoch: NonNegInt, offset: Schema.optionalKey(NonNegInt) })])

const MinerGroup = Schema.Struct({
  id: Id,
  /** `count: 3` makes id1, id2, id3. */
  count: Schema.optionalKey(PosInt),
  stake: Sol,
  /** The adversary (by id) that drives these miners instead of the reference miner. */
  adversary: Schema.optionalKey(Id),
  /** On the allowlist at initialization (default true). */
  allowlisted: Schema.optionalKey(Schema.Boolean),
  /** Bond at this epoch instead of at setup. */
  join_epoch: Schema.optionalKey(NonNegInt),
  /** Unbond everything at this epoch. */
  leave_epoch: Schema.optionalKey(NonNegInt),
  /** An adversary miner serves an audit API peers can reach (default true). */
  api: Schema.optionalKey(Schema.Boolean)
})

const Distribution = Schema.Literals(["equal", "linear", "zipf", "random"])
const WitnessGroup = Schema.Struct({
  id: Id,
  count: Schema.optionalKey(PosInt),
  /** Each witness's stake… */
  stake: Schema.optionalKey(Sol),
  /** …or the group's total, spread by `distribution` (default equal). */
  total_stake: Schema.optionalKey(Sol),
  distribution: Schema.optionalKey(Distribution),
  /** The adversary that holds these witness keys (they then sign only what it tells them). */
  adversary: Schema.optionalKey(Id),
  /** Chance a witness signs a receipt for a name in an epoch (default 1). */
  coverage: Schema.optionalKey(Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1 })))
}).check(Schema.makeFilter((w) => (w.stake === undefined) !== (w.total_stake === undefined) || "give exactly one of stake, total_stake"))

const NameEntry = Schema.Struct({
  name: Schema.String,
  /** The owner's id (default: owner-<first label>). */
  owner: Schema.optionalKey(Id),
  /** The first route's A record (serial 1, published at setup). */
  a: Schema.optionalKey(Ipv4),
  /** Publish a new serial every `every` epochs from `from` (until `until`). */
  updates: Schema.optionalKey(Schema.Struct({ every: PosInt, from: Schema.optionalKey(NonNegInt), until: Schema.optionalKey(NonNegInt) }))
})

const ClientEntry = Schema.Struct({
  id: Id,
  /** Names it resolves (default: every name). */
  names: Schema.optionalKey(Schema.Array(Schema.String)),
  /** Resolve every n epochs (default 1), from epoch `from` (default 1), at `offset` slots into the epoch. */
  every: Schema.optionalKey(PosInt),
  from: Schema.optionalKey(NonNegInt),
  offset: Schema.optionalKey(NonNegInt)
})

const Population = Schema.Struct({
  miners: Schema.Array(MinerGroup).check(Schema.isMinLength(1)),
  /** Scales the stake of adversary miners so they hold this share of all miner stake (sweeps use it). */
  adversary_share: Schema.optionalKey(Share),
  witnesses: Schema.Array(WitnessGroup).check(Schema.isMinLength(1)),
  names: Schema.Array(NameEntry).check(Schema.isMinLength(1)),
  clients: Schema.optionalKey(Schema.Array(ClientEntry))
})

const AdversaryEntry = Schema.Struct({
  /** How miners and timeline events name it (default: `adversary`, or `adversary<n>` in a list). */
  id: Schema.optionalKey(Id),
  /** A built-in strategy (`dotdns sim list` shows them)… */
  strategy: Schema.optionalKey(Schema.String),
  /** …or a TypeScript module, relative to the scenario file, whose default export makes a Strategy. */
  module: Schema.optionalKey(Schema.String),
  /** Other keys it holds, by id (e.g. `admin`: the governance authority). */
  keys: Schema.optionalKey(Ids),
  /** Misbehaving from the start (default true); `start_adversary` / `stop_adversary` toggle it. */
  active: Schema.optionalKey(Schema.Boolean),
  options: Schema.optionalKey(Options)
}).check(Schema.makeFilter((a) => (a.strategy === undefined) !== (a.module === undefined) || "give exactly one of strategy, module"))

const Change = Schema.Struct({
  set_param: Schema.optionalKey(Schema.String),
  value: Schema.optionalKey(Schema.Union([NonNegInt, Schema.String])),
  allowlist_add: Schema.optionalKey(Id),
  allowlist_remove: Schema.optionalKey(Id),
  set_authority: Schema.optionalKey(Id)
})

const TIMELINE_ACTIONS = [
  "publish_route", "start_adversary", "stop_adversary", "offline", "online", "bond", "unbond", "unjail", "propose", "veto", "execute", "resolve", "note"
] as const

const TimelineEntry = Schema.Struct({
  at: At,
  publish_route: Schema.optionalKey(Schema.Struct({ name: Schema.String, serial: Schema.optionalKey(PosInt), a: Schema.optionalKey(Ipv4) })),
  start_adversary: Schema.optionalKey(Id),
  stop_adversary: Schema.optionalKey(Id),
  offline: Schema.optionalKey(Schema.Struct({ miners: Ids, until_epoch: Schema.optionalKey(NonNegInt) })),
  online: Schema.optionalKey(Schema.Struct({ miners: Ids })),
  bond: Schema.optionalKey(Schema.Struct({ miner: Schema.optionalKey(Id), witness: Schema.optionalKey(Id), amount: Sol })),
  unbond: Schema.optionalKey(Schema.Struct({ miner: Schema.optionalKey(Id), witness: Schema.optionalKey(Id), amount: Schema.optionalKey(Sol) })),
  /** The miner's operator sends `unjail` (refused before jail_epochs have passed [SLS-4]). */
  unjail: Schema.optionalKey(Schema.Struct({ miner: Id })),
  propose: Schema.optionalKey(
    Schema.Struct({ id: Id, by: Schema.optionalKey(Id), changes: Schema.Array(Change).check(Schema.isMinLength(1)), eta_in_epochs: Schema.optionalKey(NonNegInt) })
  ),
  veto: Schema.optionalKey(Schema.Struct({ proposal: Id, by: Schema.Union([Schema.Literals(["witnesses", "miners", "all"]), Ids]) })),
  execute: Schema.optionalKey(Schema.Struct({ proposal: Id, by: Schema.optionalKey(Id) })),
  resolve: Schema.optionalKey(Schema.Struct({ client: Id, name: Schema.String })),
  note: Schema.optionalKey(Schema.String)
}).check(
  Schema.makeFilter((e) => TIMELINE_ACTIONS.filter((k) => k in e).length === 1 || `an event has exactly one action: ${TIMELINE_ACTIONS.join(", ")}`)
)

const ExpectationEntry = Schema.Struct({
  miner: Schema.optionalKey(Id),
  slashed_by_epoch: Schema.optionalKey(NonNegInt),
  never_slashed: Schema.optionalKey(Schema.Literal(true)),
  jailed_by_epoch: Schema.optionalKey(NonNegInt),
  unjailed_by_epoch: Schema.optionalKey(NonNegInt),
  proposal: Schema.optionalKey(Id),
  never_executed: Schema.optionalKey(Schema.Literal(true)),
  executed: Schema.optionalKey(Schema.Literal(true)),
  vetoed: Schema.optionalKey(Schema.Literal(true)),
  no_noncanonical_route_finalized: Schema.optionalKey(Schema.Literal(true)),
  never_seated_while_jailed: Schema.optionalKey(Schema.Literal(true)),
  route_finalized: Schema.optionalKey(Schema.Struct({ name: Schema.String, serial: PosInt, by_epoch: Schema.optionalKey(NonNegInt) })),
  route_not_finalized: Schema.optionalKey(Schema.Struct({ name: Schema.String, serial: PosInt })),
  canonical_at_end: Schema.optionalKey(Schema.Struct({ name: Schema.String, serial: NonNegInt })),
  finality_latency_p95_max_epochs: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))),
  param: Schema.optionalKey(Schema.Struct({ name: Schema.String, value: Schema.Union([NonNegInt, Schema.String]), from_epoch: NonNegInt })),
  tx_rejected: Schema.optionalKey(Schema.Struct({ op: Schema.String, rule: Schema.optionalKey(Schema.String), by: Schema.optionalKey(Id), min: Schema.optionalKey(PosInt) })),
  tx_succeeded: Schema.optionalKey(Schema.Struct({ op: Schema.String, by: Schema.optionalKey(Id), min: Schema.optionalKey(PosInt), max: Schema.optionalKey(NonNegInt) })),
  challenge: Schema.optionalKey(
    Schema.Struct({
      kind: Schema.Literals(["equivocation", "badWeight", "badOrder", "mismatch", "reveal"]),
      against: Id,
      outcome: Schema.Literals(["upheld", "rejected", "moot"]),
      by_epoch: Schema.optionalKey(NonNegInt)
    })
  ),
  client_served: Schema.optionalKey(Schema.Struct({ client: Id, name: Schema.String, serial: PosInt, by_epoch: Schema.optionalKey(NonNegInt) })),
  metric: Schema.optionalKey(Schema.Struct({ path: Schema.String, min: Schema.optionalKey(Schema.Finite), max: Schema.optionalKey(Schema.Finite) }))
}).check(
  Schema.makeFilter((x) => {
    const kinds = EXPECTATION_KINDS.filter((k) => k.keys.some((key) => key in x))
    if (kinds.length !== 1) return `an expectation has exactly one kind: ${EXPECTATION_KINDS.map((k) => k.keys.join("|")).join(", ")}`
    const kind = kinds[0]!
    if (kind.needs !== undefined && !(kind.needs in x)) return `${kind.keys.join("/")} needs \`${kind.needs}:\``
    return true
  })
)

/** Kinds of expectation: the keys that select one, and the key it needs beside them. */
const EXPECTATION_KINDS: readonly { readonly keys: readonly string[]; readonly needs?: string }[] = [
  { keys: ["slashed_by_epoch", "never_slashed", "jailed_by_epoch", "unjailed_by_epoch"], needs: "miner" },
  { keys: ["never_executed", "executed", "vetoed"], needs: "proposal" },
  { keys: ["no_noncanonical_route_finalized"] },
  { keys: ["never_seated_while_jailed"] },
  { keys: ["route_finalized"] },
  { keys: ["route_not_finalized"] },
  { keys: ["canonical_at_end"] },
  { keys: ["finality_latency_p95_max_epochs"] },
  { keys: ["param"] },
  { keys: ["tx_rejected"] },
  { keys: ["tx_succeeded"] },
  { keys: ["challenge"] },
  { keys: ["client_served"] },
  { keys: ["metric"] }
]

const MinerOptions = Schema.Struct({
  car_batches: Schema.optionalKey(Schema.Boolean),
  audit_leaves: Schema.optionalKey(PosInt),
  challenges: Schema.optionalKey(Schema.Boolean),
  reveal_after_slots: Schema.optionalKey(NonNegInt),
  reveal_leaves: Schema.optionalKey(PosInt),
  reveal_budget: Schema.optionalKey(PosInt)
})

const SweepSection = Schema.Struct({
  /** Dotted paths into this file (e.g. `population.adversary_share`, `parameters.quorum_bps`) and their values. */
  grid: Schema.Record(Schema.String, Schema.Array(Schema.Union([Schema.Finite, Schema.String, Schema.Boolean])).check(Schema.isMinLength(1))),
  /** The grid keys on the phase plot's axes (default: the first two). */
  x: Schema.optionalKey(Schema.String),
  y: Schema.optionalKey(Schema.String),
  /** Runs in parallel (default: the number of CPUs). */
  workers: Schema.optionalKey(PosInt),
  /** Repeat each cell with seeds seed, seed+1, … (default 1). */
  seeds: Schema.optionalKey(PosInt)
})

export const ScenarioFile = Schema.Struct({
  name: Schema.optionalKey(Schema.String),
  description: Schema.optionalKey(Schema.String),
  seed: NonNegInt,
  /** Runtime features the scenario depends on; a backend without one reports the scenario not applicable. */
  needs: Schema.optionalKey(Schema.Array(Schema.Literal("signature-checks"))),
  /** The last epoch simulated. */
  epochs: PosInt,
  /** Slots between two ticks of every actor (default 5). */
  tick_slots: Schema.optionalKey(PosInt),
  /** Slot offset in each epoch at which witnesses sign and send receipts (default 5). */
  witness_offset: Schema.optionalKey(NonNegInt),
  parameters: Schema.optionalKey(Schema.Record(Schema.String, Schema.Union([NonNegInt, Schema.String]))),
  population: Population,
  adversaries: Schema.optionalKey(Schema.Array(AdversaryEntry)),
  /** Shorthand for a single adversary. */
  adversary: Schema.optionalKey(AdversaryEntry),
  timeline: Schema.optionalKey(Schema.Array(TimelineEntry)),
  expectations: Schema.optionalKey(Schema.Array(ExpectationEntry)),
  miner_options: Schema.optionalKey(MinerOptions),
  sweep: Schema.optionalKey(SweepSection)
})
export type ScenarioFile = typeof ScenarioFile.Type
export type ExpectationEntry = typeof ExpectationEntry.Type
export type TimelineEntry = typeof TimelineEntry.Type
export type SweepSection = typeof SweepSection.Type

// ------------------------------------------------------------------------------------ resolved form

export const LAMPORTS_PER_SOL = 1_000_000_000n
export const sol = (x: number): bigint => BigInt(Math.round(x * 1e9))

export interface MinerSpec {
  readonly label: string
  readonly stake: bigint
  readonly adversary: string | undefined
  readonly allowlisted: boolean
  readonly joinEpoch: bigint | undefined
  readonly leaveEpoch: bigint | undefined
  readonly api: boolean
}
export interface WitnessSpec {
  readonly label: string
  readonly stake: bigint
  readonly adversary: string | undefined
  readonly coverage: number
}
export interface NameSpec {
  readonly name: string
  readonly nameHash: Uint8Array
  readonly owner: string
  readonly a: string
  readonly updates: { readonly every: bigint; readonly from: bigint; readonly until: bigint | undefined } | undefined
}
export interface ClientSpec {
  readonly label: string
  readonly names: readonly string[]
  readonly every: bigint
  readonly from: bigint
  readonly offset: bigint
}
export interface AdversarySpec {
  readonly id: string
  readonly strategy: string | undefined
  /** Absolute path. */
  readonly module: string | undefined
  readonly keys: readonly string[]
  readonly active: boolean
  readonly options: Readonly<Record<string, unknown>>
}
export interface Located {
  /** 1-based line of the entry in the file. */
  readonly line: number
  /** The entry as written (one line of YAML-ish JSON), for messages. */
  readonly text: string
}
export interface TimelineEvent extends Located {
  readonly epoch: bigint
  readonly offset: bigint
  readonly entry: TimelineEntry
}
export interface Expectation extends Located {
  readonly entry: ExpectationEntry
}

export interface Scenario {
  readonly name: string
  readonly description: string
  readonly source: string
  /** Directory the scenario's relative paths resolve against. */
  readonly dir: string
  readonly seed: number
  readonly needs: readonly Capability[]
  readonly epochs: bigint
  readonly tickSlots: bigint
  readonly witnessOffset: bigint
  readonly params: Params
  readonly miners: readonly MinerSpec[]
  readonly witnesses: readonly WitnessSpec[]
  readonly names: readonly NameSpec[]
  readonly clients: readonly ClientSpec[]
  readonly adversaries: readonly AdversarySpec[]
  readonly timeline: readonly TimelineEvent[]
  readonly expectations: readonly Expectation[]
  readonly minerOptions: {
    readonly carBatches: boolean
    readonly auditLeaves: number
    readonly challenges: boolean
    readonly revealAfterSlots: bigint | undefined
    readonly revealLeaves: number
    readonly revealBudget: number
  }
  readonly sweep: SweepSection | undefined
  /** The file's data as parsed (sweeps set grid paths in it and resolve it again). */
  readonly raw: unknown
}

// ---------------------------------------------------------------------------------------- helpers

const PARAM_BY_SNAKE: ReadonlyMap<string, ParamName> = new Map(
  (Object.keys(PARAM) as ParamName[]).map((k) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), k])
)
export const paramSnakeNames = (): readonly string[] => [...PARAM_BY_SNAKE.keys()]
export const paramNameOf = (snake: string): ParamName | undefined => PARAM_BY_SNAKE.get(snake)

/** A parameter value: an integer, `"<n> SOL"`, or for committee_mode `allowlist` / `stake`. */
export const parseParamValue = (name: ParamName, v: number | string): bigint | string => {
  if (typeof v === "number") return BigInt(v)
  if (name === "committeeMode" && (v === "allowlist" || v === "stake")) return COMMITTEE_MODE[v]
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*SOL\s*$/i.exec(v)
  if (m !== null) return sol(Number(m[1]))
  if (/^[0-9]+$/.test(v)) return BigInt(v)
  return `Expected an integer or "<n> SOL"${name === "committeeMode" ? " or allowlist / stake" : ""}, got ${JSON.stringify(v)}`
}

type PathKey = string | number

const pathText = (path: readonly PathKey[]): string =>
  path.reduce<string>((s, k) => (typeof k === "number" ? `${s}[${k}]` : s === "" ? String(k) : `${s}.${k}`), "")

/**
 * Line and column of the deepest node on `path` (a missing key points at its parent). A scalar is
 * located at its value, unless `key` asks for the key itself (an unknown key, an unknown parameter).
 */
export const locate = (doc: Document, counter: LineCounter, path: readonly PathKey[], key = false): { line: number; column: number } | undefined => {
  let node: unknown = doc.contents
  const pos = (n: unknown) => {
    const r = (n as YamlNode | null)?.range
    return r ? counter.linePos(r[0]) : undefined
  }
  let at = pos(node)
  for (const k of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === k)
      if (pair === undefined) break
      at = pos(pair.key) ?? at
      node = pair.value
      // A scalar's error is about its value; a collection's about its key line.
      if (isScalar(node) && !(key && k === path[path.length - 1])) at = pos(node) ?? at
    } else if (isSeq(node) && typeof k === "number") {
      node = node.items[k]
      at = pos(node) ?? at
    } else break
  }
  return at === undefined ? undefined : { line: at.line, column: at.col }
}

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

const readable = (message: string, key: PathKey | undefined): string =>
  message === "Expected no excess property" ? `unknown key ${JSON.stringify(key)}` : message === "Missing key" ? "required key is missing" : message

const oneLine = (v: unknown): string => {
  const s = JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? x.toString() : x))
  return s.length > 140 ? `${s.slice(0, 137)}…` : s
}

// ------------------------------------------------------------------------------------------ parse

/** Parses and resolves a scenario; throws `ScenarioErrors` listing every problem with its line. */
export const parseScenario = (text: string, source: string, overrides: { readonly seed?: number } = {}): Scenario => {
  const counter = new LineCounter()
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true })
  if (doc.errors.length > 0)
    throw new ScenarioErrors(
      doc.errors.map((e) => {
        const p = counter.linePos(e.pos[0])
        return new ScenarioError({ source, line: p.line, column: p.col, path: "", detail: `YAML: ${e.message.split("\n")[0]}` })
      })
    )
  const raw: unknown = doc.toJS() ?? {}
  return resolveScenario(raw, { source, doc, counter, ...overrides })
}

export const loadScenario = (path: string, overrides: { readonly seed?: number } = {}): Scenario => {
  let text: string
  try {
    text = readFileSync(path, "utf8")
  } catch (e) {
    throw new ScenarioErrors([new ScenarioError({ source: path, path: "", detail: `cannot read: ${e instanceof Error ? e.message : String(e)}` })])
  }
  return parseScenario(text, path, overrides)
}

/** Validates and resolves parsed data (a file's, or one a sweep derived from it). */
export const resolveScenario = (
  raw: unknown,
  ctx: { readonly source: string; readonly doc?: Document; readonly counter?: LineCounter; readonly seed?: number }
): Scenario => {
  const errors: ScenarioError[] = []
  const at = (path: readonly PathKey[], detail: string, onKey = false): void => {
    const loc = ctx.doc !== undefined && ctx.counter !== undefined ? locate(ctx.doc, ctx.counter, path, onKey) : undefined
    errors.push(new ScenarioError({ source: ctx.source, line: loc?.line, column: loc?.column, path: pathText(path), detail }))
  }
  const lineOf = (path: readonly PathKey[]): number => (ctx.doc !== undefined && ctx.counter !== undefined ? (locate(ctx.doc, ctx.counter, path)?.line ?? 0) : 0)

  const decoded = Schema.decodeUnknownResult(ScenarioFile)(raw, { errors: "all", onExcessProperty: "error" })
  if (decoded._tag === "Failure") {
    for (const issue of formatter(decoded.failure.issue).issues) {
      const path = (issue.path ?? []).map((p) => (typeof p === "object" && p !== null && "key" in p ? (p as { key: PathKey }).key : (p as PathKey)))
      at(path, readable(issue.message, path[path.length - 1]), issue.message === "Expected no excess property")
    }
    throw new ScenarioErrors(errors)
  }
  const f = decoded.success

  // parameters
  const params = [...LOCALNET_PARAMS]
  for (const [k, v] of Object.entries(f.parameters ?? {})) {
    const name = PARAM_BY_SNAKE.get(k)
    if (name === undefined) {
      at(["parameters", k], `unknown parameter; known: ${[...PARAM_BY_SNAKE.keys()].join(", ")}`, true)
      continue
    }
    const value = parseParamValue(name, v)
    if (typeof value === "string") at(["parameters", k], value)
    else params[PARAM[name]] = value
  }
  const bad = checkParams(params)
  if (bad !== undefined) at(["parameters"], `[${bad.rule}] ${bad.message}`)

  // adversaries
  const advEntries = [...(f.adversaries ?? []).map((a, i) => ({ a, path: ["adversaries", i] as PathKey[] })), ...(f.adversary === undefined ? [] : [{ a: f.adversary, path: ["adversary"] as PathKey[] }])]
  const adversaries: AdversarySpec[] = []
  const advPaths: PathKey[][] = []
  const dir = dirname(resolve(ctx.source))
  advEntries.forEach(({ a, path }, i) => {
    advPaths.push(path)
    const id = a.id ?? (path[0] === "adversary" ? "adversary" : `adversary${i + 1}`)
    if (adversaries.some((x) => x.id === id)) at([...path, "id"], `adversary ${id} is defined twice`)
    adversaries.push({
      id,
      strategy: a.strategy,
      module: a.module === undefined ? undefined : resolve(dir, a.module),
      keys: a.keys ?? [],
      active: a.active ?? true,
      options: a.options ?? {}
    })
  })
  const advIds = new Set(adversaries.map((a) => a.id))

  // miners
  const miners: MinerSpec[] = []
  const labels = new Set<string>()
  const claim = (label: string, path: readonly PathKey[]) => {
    if (labels.has(label)) at(path, `id ${label} is used twice`)
    labels.add(label)
  }
  f.population.miners.forEach((g, i) => {
    if (g.adversary !== undefined && !advIds.has(g.adversary)) at(["population", "miners", i, "adversary"], `no adversary ${g.adversary} (define it under adversaries:)`)
    const n = g.count ?? 1
    for (let j = 1; j <= n; j++) {
      const label = g.count === undefined ? g.id : `${g.id}${j}`
      claim(label, ["population", "miners", i, "id"])
      miners.push({
        label,
        stake: sol(g.stake),
        adversary: g.adversary,
        allowlisted: g.allowlisted ?? true,
        joinEpoch: g.join_epoch === undefined ? undefined : BigInt(g.join_epoch),
        leaveEpoch: g.leave_epoch === undefined ? undefined : BigInt(g.leave_epoch),
        api: g.api ?? true
      })
    }
  })
  if (f.population.adversary_share !== undefined) {
    const adv = miners.filter((m) => m.adversary !== undefined)
    const honest = miners.filter((m) => m.adversary === undefined).reduce((s, m) => s + m.stake, 0n)
    if (adv.length === 0) at(["population", "adversary_share"], "no miner has an adversary: nothing to scale")
    else {
      // Adversary stake A with A / (A + H) = share, split evenly (to the lamport) over its miners.
      const share = f.population.adversary_share
      const total = BigInt(Math.round(Number(honest) * (share / (1 - share))))
      adv.forEach((m, k) => {
        const each = total / BigInt(adv.length) + (BigInt(k) < total % BigInt(adv.length) ? 1n : 0n)
        miners[miners.indexOf(m)] = { ...m, stake: each }
      })
    }
  }
  miners.forEach((m, i) => {
    if (m.stake < params[PARAM.minMinerStake]! && m.stake !== 0n)
      at(["population", "miners"], `miner ${m.label} (entry ${i}) has ${m.stake} lamports, below min_miner_stake ${params[PARAM.minMinerStake]}`)
  })

  // witnesses
  const witnesses: WitnessSpec[] = []
  f.population.witnesses.forEach((g, i) => {
    if (g.adversary !== undefined && !advIds.has(g.adversary)) at(["population", "witnesses", i, "adversary"], `no adversary ${g.adversary}`)
    const n = g.count ?? 1
    const stakes: bigint[] = []
    if (g.stake !== undefined) for (let j = 0; j < n; j++) stakes.push(sol(g.stake))
    else {
      const total = sol(g.total_stake ?? 0)
      const dist = g.distribution ?? "equal"
      const w = Array.from({ length: n }, (_, j) => (dist === "equal" ? 1 : dist === "linear" ? j + 1 : dist === "zipf" ? 1 / (j + 1) : 0))
      if (dist === "random") {
        // Deterministic in the scenario seed: a small LCG is enough to spread stake.
        let x = (f.seed * 2654435761 + i * 97) >>> 0
        for (let j = 0; j < n; j++) {
          x = (Math.imul(x, 1664525) + 1013904223) >>> 0
          w[j] = 0.2 + x / 2 ** 32
        }
      }
      const sum = w.reduce((a, b) => a + b, 0)
      let given = 0n
      for (let j = 0; j < n; j++) {
        const s = j === n - 1 ? total - given : BigInt(Math.floor((Number(total) * w[j]!) / sum))
        stakes.push(s)
        given += s
      }
    }
    stakes.forEach((s, j) => {
      const label = g.count === undefined ? g.id : `${g.id}${j + 1}`
      claim(label, ["population", "witnesses", i, "id"])
      if (s < params[PARAM.minWitnessStake]!) at(["population", "witnesses", i], `witness ${label} gets ${s} lamports, below min_witness_stake ${params[PARAM.minWitnessStake]}`)
      witnesses.push({ label, stake: s, adversary: g.adversary, coverage: g.coverage ?? 1 })
    })
  })

  // names and owners
  const names: NameSpec[] = []
  f.population.names.forEach((n, i) => {
    const normalized = normalizeName(n.name)
    if (normalized instanceof ProtocolError) {
      at(["population", "names", i, "name"], `[${normalized.rule}] ${normalized.message}`)
      return
    }
    if (names.some((x) => x.name === normalized)) at(["population", "names", i, "name"], `${normalized} is listed twice`)
    const owner = n.owner ?? `owner-${normalized.split(".")[0]!.slice(0, 24)}`
    if (miners.some((m) => m.label === owner) || witnesses.some((w) => w.label === owner)) at(["population", "names", i, "owner"], `owner id ${owner} is a miner or witness id`)
    names.push({
      name: normalized,
      nameHash: nameHash(normalized),
      owner,
      a: n.a ?? `10.0.${i % 256}.1`,
      updates: n.updates === undefined ? undefined : { every: BigInt(n.updates.every), from: BigInt(n.updates.from ?? 2), until: n.updates.until === undefined ? undefined : BigInt(n.updates.until) }
    })
  })
  const nameSet = new Set(names.map((n) => n.name))
  const checkName = (name: string, path: readonly PathKey[]) => {
    const n = normalizeName(name)
    if (n instanceof ProtocolError || !nameSet.has(n)) at(path, `no name ${name} in population.names`)
  }

  // clients
  const clients: ClientSpec[] = (f.population.clients ?? []).map((c, i) => {
    claim(c.id, ["population", "clients", i, "id"])
    ;(c.names ?? []).forEach((n, j) => checkName(n, ["population", "clients", i, "names", j]))
    return {
      label: c.id,
      names: (c.names ?? names.map((n) => n.name)).map((n) => { const x = normalizeName(n); return x instanceof ProtocolError ? n : x }),
      every: BigInt(c.every ?? 1),
      from: BigInt(c.from ?? 1),
      offset: BigInt(c.offset ?? 45)
    }
  })

  const L = params[PARAM.epochLengthSlots]!
  const tickSlots = BigInt(f.tick_slots ?? 5)
  const witnessOffset = BigInt(f.witness_offset ?? 5)
  if (tickSlots > L) at(["tick_slots"], `a tick (${tickSlots} slots) is longer than an epoch (${L})`)
  if (witnessOffset >= L) at(["witness_offset"], `must be below epoch_length_slots (${L})`)
  clients.forEach((c, i) => {
    if (c.offset >= L) at(["population", "clients", i, "offset"], `must be below epoch_length_slots (${L})`)
  })

  const minerIds = new Set(miners.map((m) => m.label))
  const witnessIds = new Set(witnesses.map((w) => w.label))
  const clientIds = new Set(clients.map((c) => c.label))
  // An adversary's `keys` are actors' keys it holds (e.g. admin) or identities of its own (funded with 100 SOL).
  const keyIds = new Set([...minerIds, ...witnessIds, ...names.map((n) => n.owner), "admin", ...adversaries.flatMap((a) => a.keys)])
  adversaries.forEach((a, i) =>
    a.keys.forEach((k, j) => {
      if (clientIds.has(k)) at([...advPaths[i]!, "keys", j], `${k} is a client, which holds no key`)
    })
  )

  // timeline
  const proposals = new Set<string>()
  const timeline: TimelineEvent[] = []
  ;(f.timeline ?? []).forEach((e, i) => {
    const p: PathKey[] = ["timeline", i]
    const epoch = BigInt(typeof e.at === "number" ? e.at : e.at.epoch)
    const offset = BigInt(typeof e.at === "number" ? 0 : (e.at.offset ?? 0))
    if (offset >= L) at([...p, "at", "offset"], `must be below epoch_length_slots (${L})`)
    if (epoch > BigInt(f.epochs)) at([...p, "at"], `epoch ${epoch} is after the last simulated epoch ${f.epochs}`)
    const miner = (id: string, path: PathKey[]) => {
      if (!minerIds.has(id)) at(path, `no miner ${id}`)
    }
    if (e.publish_route !== undefined) checkName(e.publish_route.name, [...p, "publish_route", "name"])
    if (e.start_adversary !== undefined && !advIds.has(e.start_adversary)) at([...p, "start_adversary"], `no adversary ${e.start_adversary}`)
    if (e.stop_adversary !== undefined && !advIds.has(e.stop_adversary)) at([...p, "stop_adversary"], `no adversary ${e.stop_adversary}`)
    e.offline?.miners.forEach((m, j) => miner(m, [...p, "offline", "miners", j]))
    e.online?.miners.forEach((m, j) => miner(m, [...p, "online", "miners", j]))
    if (e.unjail !== undefined) miner(e.unjail.miner, [...p, "unjail", "miner"])
    for (const k of ["bond", "unbond"] as const) {
      const b = e[k]
      if (b === undefined) continue
      if ((b.miner === undefined) === (b.witness === undefined)) at([...p, k], "give exactly one of miner, witness")
      if (b.miner !== undefined) miner(b.miner, [...p, k, "miner"])
      if (b.witness !== undefined && !witnessIds.has(b.witness)) at([...p, k, "witness"], `no witness ${b.witness}`)
    }
    if (e.propose !== undefined) {
      if (proposals.has(e.propose.id)) at([...p, "propose", "id"], `proposal ${e.propose.id} is proposed twice`)
      proposals.add(e.propose.id)
      if (e.propose.by !== undefined && !keyIds.has(e.propose.by)) at([...p, "propose", "by"], `no key ${e.propose.by}`)
      e.propose.changes.forEach((c, j) => {
        const cp: PathKey[] = [...p, "propose", "changes", j]
        const kinds = (["set_param", "allowlist_add", "allowlist_remove", "set_authority"] as const).filter((k) => c[k] !== undefined)
        if (kinds.length !== 1) return at(cp, "a change has exactly one of set_param, allowlist_add, allowlist_remove, set_authority")
        if (c.set_param !== undefined) {
          const name = PARAM_BY_SNAKE.get(c.set_param)
          if (name === undefined) at([...cp, "set_param"], `unknown parameter ${c.set_param}`)
          else if (c.value === undefined) at(cp, "set_param needs value:")
          else if (typeof parseParamValue(name, c.value) === "string") at([...cp, "value"], String(parseParamValue(name, c.value)))
        } else if (c.value !== undefined) at([...cp, "value"], "only set_param takes a value")
        for (const k of ["allowlist_add", "allowlist_remove", "set_authority"] as const) {
          const id = c[k]
          if (id !== undefined && !keyIds.has(id)) at([...cp, k], `no key ${id}`)
        }
      })
    }
    if (e.veto !== undefined) {
      if (!proposals.has(e.veto.proposal)) at([...p, "veto", "proposal"], `no earlier propose of ${e.veto.proposal}`)
      if (Array.isArray(e.veto.by)) e.veto.by.forEach((id, j) => { if (!minerIds.has(id) && !witnessIds.has(id)) at([...p, "veto", "by", j], `no miner or witness ${id}`) })
    }
    if (e.execute !== undefined && !proposals.has(e.execute.proposal)) at([...p, "execute", "proposal"], `no earlier propose of ${e.execute.proposal}`)
    if (e.resolve !== undefined) {
      if (!clientIds.has(e.resolve.client)) at([...p, "resolve", "client"], `no client ${e.resolve.client}`)
      checkName(e.resolve.name, [...p, "resolve", "name"])
    }
    timeline.push({ epoch, offset, entry: e, line: lineOf(p), text: oneLine(e) })
  })

  // expectations
  const expectations: Expectation[] = []
  ;(f.expectations ?? []).forEach((x, i) => {
    const p: PathKey[] = ["expectations", i]
    if (x.miner !== undefined && !minerIds.has(x.miner)) at([...p, "miner"], `no miner ${x.miner}`)
    if (x.proposal !== undefined && !proposals.has(x.proposal)) at([...p, "proposal"], `no proposal ${x.proposal} in the timeline`)
    if (x.route_finalized !== undefined) checkName(x.route_finalized.name, [...p, "route_finalized", "name"])
    if (x.route_not_finalized !== undefined) checkName(x.route_not_finalized.name, [...p, "route_not_finalized", "name"])
    if (x.canonical_at_end !== undefined) checkName(x.canonical_at_end.name, [...p, "canonical_at_end", "name"])
    if (x.client_served !== undefined) {
      if (!clientIds.has(x.client_served.client)) at([...p, "client_served", "client"], `no client ${x.client_served.client}`)
      checkName(x.client_served.name, [...p, "client_served", "name"])
    }
    if (x.challenge !== undefined && !minerIds.has(x.challenge.against)) at([...p, "challenge", "against"], `no miner ${x.challenge.against}`)
    if (x.param !== undefined) {
      const name = PARAM_BY_SNAKE.get(x.param.name)
      if (name === undefined) at([...p, "param", "name"], `unknown parameter ${x.param.name}`)
      else if (typeof parseParamValue(name, x.param.value) === "string") at([...p, "param", "value"], String(parseParamValue(name, x.param.value)))
    }
    expectations.push({ entry: x, line: lineOf(p), text: oneLine(x) })
  })
  if (f.sweep !== undefined) {
    const keys = Object.keys(f.sweep.grid)
    if (keys.length === 0) at(["sweep", "grid"], "a sweep needs at least one grid key")
    for (const k of [f.sweep.x, f.sweep.y]) if (k !== undefined && !keys.includes(k)) at(["sweep"], `axis ${k} is not a grid key`)
  }

  if (errors.length > 0) throw new ScenarioErrors(errors)
  const name = f.name ?? basename(ctx.source).replace(/\.ya?ml$/, "")
  return {
    name,
    description: f.description ?? "",
    source: ctx.source,
    dir,
    seed: ctx.seed ?? f.seed,
    needs: f.needs ?? [],
    epochs: BigInt(f.epochs),
    tickSlots,
    witnessOffset,
    params,
    miners,
    witnesses,
    names,
    clients,
    adversaries,
    timeline,
    expectations,
    minerOptions: {
      carBatches: f.miner_options?.car_batches ?? false,
      auditLeaves: f.miner_options?.audit_leaves ?? 8,
      challenges: f.miner_options?.challenges ?? true,
      revealAfterSlots: f.miner_options?.reveal_after_slots === undefined ? undefined : BigInt(f.miner_options.reveal_after_slots),
      revealLeaves: f.miner_options?.reveal_leaves ?? 1,
      revealBudget: f.miner_options?.reveal_budget ?? 8
    },
    sweep: f.sweep,
    raw
  }
}

/** Sets a dotted path (`parameters.quorum_bps`, `population.miners.0.count`) in parsed data, in a copy. */
export const withPath = (raw: unknown, path: string, value: unknown): unknown => {
  const root: unknown = structuredClone(raw)
  const keys = path.split(".")
  let cur = root as Record<string, unknown>
  for (const k of keys.slice(0, -1)) {
    const next = cur[k]
    if (typeof next !== "object" || next === null) cur[k] = {}
    cur = cur[k] as Record<string, unknown>
  }
  cur[keys[keys.length - 1]!] = value
  return root
}
