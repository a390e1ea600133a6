/**
 * The adversary interface. A strategy is a small object of hooks the engine calls at simulated times;
 * every hook *returns actions* — on-chain ops to send with a key the strategy holds, or off-chain
 * actions (what its miners' audit APIs serve, receipts its witnesses gossip) — and the engine carries
 * them out in order, logs them, and lets the honest actors react. A strategy never touches the world
 * directly: it reads it through `ctx.chain` and acts only through actions, so every attack is visible
 * in `events.jsonl`.
 *
 * When do hooks run? Each epoch is cut into ticks of `tick_slots` slots. In every tick:
 *
 *   1. the clock moves;
 *   2. `beforeTick` of every *active* strategy — the front-running position of a slot leader;
 *   3. every online honest miner runs its duties (`ChainLoop.tick` of the reference miner: at an
 *      epoch's first tick, the boundary crank, the cut-off and the previous epoch's submissions);
 *   4. what is scheduled for the tick: joins and leaves, route updates, timeline events;
 *   5. witnesses sign receipts (at `witness_offset`) and send them to every online miner;
 *   6. `afterTick` of every active strategy;
 *   7. clients resolve. Every transaction is recorded as it lands.
 *
 * A stopped strategy (`active: false`, or after `stop_adversary`) is not called: its miners follow the
 * honest protocol through `AdversaryMiner.follow` (aggregate, submit, publish, answer reveals), so
 * `start_adversary` / `stop_adversary` switch misbehaviour on and off, not the miners' presence.
 *
 * Writing your own: export a default function `(options) => Strategy` from a TypeScript module and name
 * it in a scenario (`adversary: { id: x, module: ./my-strategy.ts, options: {…} }`). See
 * `scenarios/strategies/example-strategy.ts` for a commented example.
 */
import type { AccountOf } from "../../programs/client/decode.ts"
import type { SignedReceipt } from "../../spec/src/aggregate.ts"
import type { Keypair } from "../../spec/src/ed25519.ts"
import type { Leaf, RouteRecord } from "../../spec/src/objects.ts"
import type { LeafRef, Op, SignedAggregate } from "../../spec/src/ops.ts"
import type { Params } from "../../spec/src/params.ts"
import type { Rng } from "../world/Rng.ts"
import type { SvmAccount } from "../world/Svm.ts"
import type { AdversaryMiner } from "./AdversaryMiner.ts"

/** Where a tick falls in its epoch, for the rounds of the previous epoch (E = epoch − 1). */
export type Phase =
  /** The first tick of the epoch: the crank has not run yet this epoch (unless a strategy runs it). */
  | "boundary"
  /** Inside the submit window of E's rounds (after the boundary tick). */
  | "submit"
  /** Submit window closed, E's challenge window open. */
  | "challenge"
  /** E's challenge window is over: rounds can be finalized. */
  | "settle"

export interface Tick {
  readonly epoch: bigint
  readonly slot: bigint
  /** Slots into the epoch. */
  readonly offset: bigint
  readonly phase: Phase
  /** epoch_length_slots, submit_window_slots, challenge_window_slots, response_window_slots. */
  readonly L: bigint
  readonly submitWindow: bigint
  readonly challengeWindow: bigint
  readonly responseWindow: bigint
  /** True on the last tick of the epoch. */
  readonly last: boolean
}

/** One action of a strategy. The engine executes actions in the order returned. */
export type Action =
  /** Send `op` in a transaction paid and signed by the key `as` (a miner, witness or key the strategy holds). */
  | { readonly kind: "op"; readonly as: string; readonly op: Op; readonly note?: string }
  /**
   * What a controlled miner's audit API serves for the statement's (epoch, name) from now on: the
   * signed statement, its leaves and the receipts behind them (null where it has none). Publishing a
   * second, different statement for the same round is off-chain equivocation, and honest watchers
   * that saw both can prove it.
   */
  | {
      readonly kind: "publish"
      readonly miner: string
      readonly statement: SignedAggregate
      readonly leaves: readonly Leaf[]
      readonly receipts: readonly (SignedReceipt | null)[]
    }
  /** The controlled miner's API stops serving leaves and proofs (it still answers info and roots). */
  | { readonly kind: "withhold"; readonly miner: string }
  /** Receipts (e.g. signed by controlled witnesses) sent to miners: `honest` = every online honest miner. */
  | { readonly kind: "receipts"; readonly to: "honest" | "all" | readonly string[]; readonly receipts: readonly SignedReceipt[] }
  /** A line in the event log. */
  | { readonly kind: "note"; readonly text: string; readonly data?: Readonly<Record<string, string | number | boolean>> }

export type Actions = readonly Action[]

/** A route record an owner published, as every miner received it. */
export interface PublishedRoute {
  readonly name: string
  readonly nameHash: Uint8Array
  readonly record: RouteRecord
  readonly encoding: Uint8Array
  /** The owner's signature over the record's RouteAuth [RTE-8]. */
  readonly signature: Uint8Array
  readonly routeHash: Uint8Array
  readonly serial: bigint
  readonly publishedSlot: bigint
}

export interface NameInfo {
  readonly name: string
  readonly nameHash: Uint8Array
  readonly owner: string
  /** Every record the owner published so far, by serial. */
  readonly routes: readonly PublishedRoute[]
}

/** A witness key the strategy holds: it signs whatever receipt the strategy asks for. */
export interface ControlledWitness {
  readonly label: string
  readonly keypair: Keypair
  readonly stake: bigint
  sign(epoch: bigint, nameHash: Uint8Array, routeHash: Uint8Array): SignedReceipt
}

/** Read-only chain state (mirrored accounts, decoded). */
export interface ChainReader {
  readonly slot: bigint
  readonly programId: Uint8Array
  config(): AccountOf<"Config"> | undefined
  minerSet(): AccountOf<"MinerSet"> | undefined
  committee(epoch: bigint): AccountOf<"Committee"> | undefined
  round(epoch: bigint, nameHash: Uint8Array): AccountOf<"Round"> | undefined
  name(nameHash: Uint8Array): AccountOf<"Name"> | undefined
  aggregate(epoch: bigint, nameHash: Uint8Array, miner: Uint8Array): AccountOf<"Aggregate"> | undefined
  witness(key: Uint8Array): AccountOf<"Witness"> | undefined
  proposal(id: bigint): AccountOf<"Proposal"> | undefined
  pin(ref: LeafRef): AccountOf<"LeafPin"> | undefined
  challenge(ref: LeafRef): AccountOf<"Challenge"> | undefined
  programAccounts(): Iterable<{ readonly address: Uint8Array; readonly account: SvmAccount }>
}

export interface StrategyContext {
  /** The adversary's id in the scenario. */
  readonly id: string
  readonly options: Readonly<Record<string, unknown>>
  /** This strategy's own random stream (seeded from the scenario seed and the adversary id). */
  readonly rng: Rng
  readonly chain: ChainReader
  /** The parameters in force now (Config.params). */
  params(): Params
  /** Miners this adversary drives. */
  readonly miners: readonly AdversaryMiner[]
  /** Witness keys it holds. */
  readonly witnesses: readonly ControlledWitness[]
  /** Other keys it holds, by id (e.g. `admin`, the governance authority). */
  readonly keys: ReadonlyMap<string, Keypair>
  readonly names: readonly NameInfo[]
  /** Every actor's public key by id (miners, witnesses, owners, admin). */
  publicKey(id: string): Uint8Array | undefined
  /** The id of a public key, or its hex. */
  label(key: Uint8Array): string
  /** Adds to a number this strategy reports in metrics.json under `adversary.<id>.<name>`. */
  count(name: string, by?: number): void
  /** Sets a number reported in metrics.json under `adversary.<id>.<name>`. */
  set(name: string, value: number): void
}

export interface Strategy {
  /** Shown by `dotdns sim list` and in reports. */
  readonly description: string
  /** Once, after setup (stake bonded, names registered, first routes published). */
  init?(ctx: StrategyContext): Actions | Promise<Actions>
  /** Every tick, before honest actors act (front-running position). */
  beforeTick?(ctx: StrategyContext, tick: Tick): Actions | Promise<Actions>
  /** Every tick, after honest actors acted. */
  afterTick?(ctx: StrategyContext, tick: Tick): Actions | Promise<Actions>
  /**
   * A client asks a controlled miner for a name's route. Return the record to serve (any record, even
   * a stale or forged one — clients verify), `null` to refuse, or `undefined` for the honest answer.
   */
  serveRoute?(ctx: StrategyContext, miner: AdversaryMiner, name: NameInfo): PublishedRoute | null | undefined
}

/** What a strategy module exports by default: a factory from the scenario's `options`, or a strategy. */
export type StrategyFactory = (options: Readonly<Record<string, unknown>>) => Strategy

// ------------------------------------------------------------------------------- option helpers

/** A numeric option (YAML number), or the default. */
export const numberOption = (o: Readonly<Record<string, unknown>>, key: string, fallback: number): number => {
  const v = o[key]
  if (v === undefined) return fallback
  if (typeof v !== "number" || !Number.isFinite(v)) throw new TypeError(`option ${key} must be a number, got ${JSON.stringify(v)}`)
  return v
}

export const stringOption = <T extends string>(o: Readonly<Record<string, unknown>>, key: string, allowed: readonly T[], fallback: T): T => {
  const v = o[key]
  if (v === undefined) return fallback
  if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) throw new TypeError(`option ${key} must be one of ${allowed.join(", ")}, got ${JSON.stringify(v)}`)
  return v as T
}

export const stringsOption = (o: Readonly<Record<string, unknown>>, key: string): readonly string[] => {
  const v = o[key]
  if (v === undefined) return []
  if (typeof v === "string") return [v]
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) throw new TypeError(`option ${key} must be a list of strings`)
  return v as string[]
}

export const booleanOption = (o: Readonly<Record<string, unknown>>, key: string, fallback: boolean): boolean => {
  const v = o[key]
  if (v === undefined) return fallback
  if (typeof v !== "boolean") throw new TypeError(`option ${key} must be true or false`)
  return v
}
