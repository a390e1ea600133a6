/**
 * An honest miner is the reference miner, unchanged: its services are composed from their own layers
 * (`reference/miner`) — Repository on SQLite in a temp directory, the Verifier, StakeView and
 * NameRegistry over Solana JSON-RPC, Ingest, Routes, Audit, ChainTx, and the chain half's step
 * functions (Cranker, Aggregator, Submitter, Responder, Watcher) run by `ChainLoop.tick` — and the
 * simulator only swaps the layers a test would swap:
 *
 * - `SolanaRpc`: the in-process JSON-RPC over the world (`world/Rpc.ts`) instead of HTTP;
 * - `EpochClock`: the world's slot read directly; the production clock caches the slot for 400 ms of
 *   wall-clock time, which would make a simulated run depend on how fast the host is;
 * - `Peers`: the other miners' audit APIs in-process (`peerOf`), built from the same services the
 *   HTTP handlers of `Audit.ts` use.
 *
 * The engine calls `tick()` at simulated slots, `ingest()` when witnesses send receipts, and
 * `publishRoute()` when an owner publishes a record.
 */
import { mkdirSync } from "node:fs"
import { join } from "node:path"
import { Effect, Layer, Logger, ManagedRuntime, References } from "effect"
import type { LogLevel } from "effect/LogLevel"
import type { SignedReceipt } from "../../spec/src/aggregate.ts"
import { equal, hex } from "../../spec/src/bytes.ts"
import type { Keypair } from "../../spec/src/ed25519.ts"
import { decodeAggregate } from "../../spec/src/objects.ts"
import { param } from "../../spec/src/params.ts"
import { SPEC_VERSION } from "../../spec/src/version.ts"
import { ChainTx } from "../../reference/miner/Chain.ts"
import { ChainLoop, type LoopReport } from "../../reference/miner/ChainLoop.ts"
import { MinerConfig, type MinerSettings } from "../../reference/miner/Config.ts"
import { Cranker } from "../../reference/miner/Cranker.ts"
import { Aggregator } from "../../reference/miner/Aggregator.ts"
import { Audit, rootEntryOf } from "../../reference/miner/Audit.ts"
import { EpochClock } from "../../reference/miner/EpochClock.ts"
import { Identity } from "../../reference/miner/Identity.ts"
import { encodeFramedBatch, Ingest, type IngestReport } from "../../reference/miner/Ingest.ts"
import { NameRegistry } from "../../reference/miner/Names.ts"
import { Responder } from "../../reference/miner/Responder.ts"
import { Routes, type Lookup } from "../../reference/miner/Routes.ts"
import { ChainStateError, SolanaRpc } from "../../reference/miner/Rpc.ts"
import { SqliteRepository } from "../../reference/miner/SqliteRepository.ts"
import { StakeView } from "../../reference/miner/StakeView.ts"
import { Repository } from "../../reference/miner/Storage.ts"
import { Submitter } from "../../reference/miner/Submitter.ts"
import { Verifier } from "../../reference/miner/Verifier.ts"
import { PeerError, Peers, Watcher, type Peer, type PeerLeaf } from "../../reference/miner/Watcher.ts"
import { SIM_RPC_URL } from "../world/Rpc.ts"
import type { World } from "../world/World.ts"

export interface HonestMinerOptions {
  readonly label: string
  readonly keypair: Keypair
  readonly world: World
  readonly rpc: SolanaRpc["Service"]
  /** A fresh directory for the SQLite file and CAR batches. */
  readonly dataDir: string
  /**
   * The other miners' APIs this miner gossips with. The watcher keeps this array (not a copy) and
   * walks it at every scan, so the engine fills it once every miner exists.
   */
  readonly peers: Peer[]
  /** 64 hex digits: the seed of the watcher's sampling. */
  readonly dutySeed: string
  readonly carBatches: boolean
  readonly challenges: boolean
  readonly auditLeaves: number
  readonly revealAfterSlots?: bigint
  /** Sampled leaves of an aggregate nobody serves that get a reveal challenge (`duties.reveal_leaves`). */
  readonly revealLeaves: number
  /** The most reveal challenges open at once (`duties.reveal_budget`). */
  readonly revealBudget: number
  /** Miner log lines at this level and above go to stderr, prefixed with the label ("None": silent). */
  readonly logLevel?: LogLevel
}

/** The miner's settings as its config file would give them (rpc mode, duties on). */
const settingsFor = (o: HonestMinerOptions): MinerSettings => ({
  source: join(o.dataDir, "miner.yaml"),
  identityPath: join(o.dataDir, "identity.json"),
  programId: o.world.programId,
  rpc: { urls: [SIM_RPC_URL], wsUrl: "sim://world/ws", commitment: "confirmed", timeoutMs: 5000 },
  http: { host: "127.0.0.1", port: 0, maxBodyBytes: 8 * 1024 * 1024, maxBatch: 20_000 },
  storage: { kind: "sqlite", path: join(o.dataDir, "miner.sqlite") },
  dataDir: o.dataDir,
  peers: [],
  verify: { workers: 1, chunkSize: 256, maxPending: 200_000 },
  chain: { mode: "rpc" },
  log: { level: "info", format: "json", requests: false },
  duties: {
    enabled: true,
    tickMs: 1000,
    carBatches: o.carBatches,
    challenges: o.challenges,
    auditLeaves: o.auditLeaves,
    revealAfterSlots: o.revealAfterSlots,
    revealLeaves: o.revealLeaves,
    revealBudget: o.revealBudget,
    seed: o.dutySeed
  }
})

/** The world's clock as the miner's `EpochClock`: `epoch = ⌊slot / epoch_length_slots⌋` [EPC-1], read now. */
export const worldEpochClock = (world: World) =>
  EpochClock.of({
    now: Effect.suspend(() => {
      const c = world.config()
      if (c === undefined) return Effect.fail(new ChainStateError({ account: "Config", message: "the protocol is not initialized (no Config account)" }))
      const L = param(c.params, "epochLengthSlots")
      const slot = world.slot
      return Effect.succeed({ epoch: slot / L, slot, epochLengthSlots: L })
    })
  })

const logLayer = (label: string, level: LogLevel) =>
  level === "None"
    ? Layer.succeed(References.MinimumLogLevel, "None")
    : Layer.mergeAll(
        Logger.layer([Logger.make(({ logLevel, message }) => process.stderr.write(`[${label}] ${logLevel}: ${Array.isArray(message) ? message.join(" ") : String(message)}\n`))]),
        Layer.succeed(References.MinimumLogLevel, level)
      )

const miss = <A>(e: { readonly _tag: string; readonly message: string }, url: string): Effect.Effect<A | undefined, PeerError> =>
  e._tag === "AuditNotFound" ? Effect.succeed(undefined) : Effect.fail(new PeerError({ url, message: e.message }))

export class HonestMiner {
  readonly label: string
  readonly keypair: Keypair
  readonly url: string
  readonly programId: Uint8Array
  readonly runtime: ManagedRuntime.ManagedRuntime<ChainLoop | Ingest | Routes | Audit | Repository, unknown>

  private constructor(label: string, keypair: Keypair, programId: Uint8Array, runtime: HonestMiner["runtime"]) {
    this.label = label
    this.keypair = keypair
    this.url = `sim://miner/${label}`
    this.programId = programId
    this.runtime = runtime
  }

  static async start(o: HonestMinerOptions): Promise<HonestMiner> {
    mkdirSync(o.dataDir, { recursive: true })
    const settings = settingsFor(o)
    const config = MinerConfig.layerValue(settings)
    const rpc = Layer.succeed(SolanaRpc, o.rpc)
    const base = Layer.mergeAll(
      SqliteRepository.layer(settings.storage.kind === "sqlite" ? settings.storage.path : ":memory:"),
      Verifier.layer,
      Identity.layerKeypair(o.keypair),
      Layer.succeed(EpochClock, worldEpochClock(o.world)),
      StakeView.layerRpc,
      NameRegistry.layerRpc
    ).pipe(Layer.provideMerge(rpc), Layer.provideMerge(config))
    const features = Layer.mergeAll(Ingest.layer, Routes.layer, Audit.layer)
    const chainTx = Layer.effect(ChainTx, ChainTx.make(o.rpc, { programId: o.world.programId, payer: o.keypair, commitment: "confirmed", pollIntervalMs: 0, maxPolls: 2, retries: 0 }))
    const peers = Layer.succeed(Peers, Peers.of({ peers: o.peers }))
    const duties = Layer.mergeAll(Cranker.layer, Aggregator.layer, Submitter.layer, Responder.layer, Watcher.layer).pipe(Layer.provideMerge(peers), Layer.provideMerge(chainTx))
    const app = ChainLoop.layer.pipe(Layer.provideMerge(duties), Layer.provideMerge(features), Layer.provideMerge(base), Layer.provideMerge(logLayer(o.label, o.logLevel ?? "None")))
    const runtime = ManagedRuntime.make(app)
    await runtime.runPromise(Effect.void)
    return new HonestMiner(o.label, o.keypair, o.world.programId, runtime)
  }

  get publicKey(): Uint8Array {
    return this.keypair.publicKey
  }

  /** Every duty once, at the world's slot (`ChainLoop.tick`: cranks, cut-off, submission, answers, audit). */
  tick(): Promise<LoopReport> {
    return this.runtime.runPromise(
      Effect.gen(function* () {
        const loop = yield* ChainLoop
        return yield* loop.tick
      })
    )
  }

  /** Receipts sent to `POST /v1/receipts`, as the binary batch body. */
  ingest(receipts: readonly SignedReceipt[]): Promise<IngestReport> {
    const frames = encodeFramedBatch(receipts)
    return this.runtime.runPromise(
      Effect.gen(function* () {
        const ingest = yield* Ingest
        return yield* ingest.submit({ frames, count: receipts.length })
      })
    )
  }

  /** A route record sent to `POST /v1/routes`; the outcome's tag, or the rule it broke. */
  publishRoute(encoding: Uint8Array, signature: Uint8Array): Promise<string> {
    return this.runtime.runPromise(
      Effect.gen(function* () {
        const routes = yield* Routes
        const r = yield* Effect.result(routes.submit(encoding, signature))
        if (r._tag === "Success") return r.success.status as string
        const e = r.failure
        return e._tag === "RouteRejected" ? `rejected ${e.rule}` : e._tag === "RouteConflict" ? "conflict" : `unavailable: ${e.message}`
      })
    )
  }

  /** `GET /v1/routes/{name}`: the canonical record this miner serves. */
  lookup(name: string): Promise<Lookup | undefined> {
    return this.runtime.runPromise(
      Effect.gen(function* () {
        const routes = yield* Routes
        return yield* routes.lookup(name)
      }).pipe(Effect.orElseSucceed(() => undefined))
    )
  }

  /** This miner's audit API as a peer sees it: the answers `Audit.ts`'s HTTP handlers give, in-process. */
  peer(): Peer {
    const url = this.url
    const me = this.keypair.publicKey
    const programId = this.programId
    const run = <A>(e: Effect.Effect<A, PeerError, Audit | Repository>): Effect.Effect<A, PeerError> =>
      Effect.promise(() => this.runtime.runPromise(Effect.result(e))).pipe(Effect.flatMap((r) => (r._tag === "Success" ? Effect.succeed(r.success) : Effect.fail(r.failure))))
    const storage = (e: { readonly message: string }) => new PeerError({ url, message: e.message })
    return {
      url,
      info: Effect.succeed({ miner: me, programId, specVersion: SPEC_VERSION }),
      roots: (epoch) =>
        run(
          Effect.gen(function* () {
            const audit = yield* Audit
            const rows = yield* audit.aggregates({ epoch, miner: me }).pipe(Effect.mapError(storage))
            // What `GET /v1/roots/{epoch}` lists, from the handler's own function.
            return rows.map(rootEntryOf)
          })
        ),
      statement: (epoch, h, miner) =>
        run(
          Effect.gen(function* () {
            const audit = yield* Audit
            const a = yield* audit.aggregate(epoch, h, miner).pipe(Effect.map((x) => x as typeof x | undefined), Effect.catch((e) => miss<never>(e, url)))
            return a === undefined ? undefined : { statement: decodeAggregate(a.encoding), encoding: a.encoding, signature: a.signature }
          })
        ),
      leaves: (epoch, h, miner) =>
        run(
          Effect.gen(function* () {
            const audit = yield* Audit
            const repo = yield* Repository
            const all = yield* audit.leaves(epoch, h, miner).pipe(Effect.map((x) => x as typeof x | undefined), Effect.catch((e) => miss<never>(e, url)))
            if (all === undefined) return undefined
            const stored = all.length === 0 ? [] : yield* repo.receipts({ epoch, nameHash: h }).pipe(Effect.mapError(storage))
            const byHash = new Map(stored.map((r) => [hex(r.receiptHash), r]))
            return all.map((leaf, index): PeerLeaf => {
              const r = byHash.get(hex(leaf.receiptHash))
              return { index, leaf, receipt: r === undefined ? null : { receipt: { epoch: r.epoch, nameHash: r.nameHash, routeHash: r.routeHash, witness: r.witness }, signature: r.signature } }
            })
          })
        ),
      proof: (epoch, h, miner, index) =>
        run(
          Effect.gen(function* () {
            const audit = yield* Audit
            const repo = yield* Repository
            const p = yield* audit.proof(epoch, h, miner, index).pipe(Effect.map((x) => x as typeof x | undefined), Effect.catch((e) => miss<never>(e, url)))
            if (p === undefined) return undefined
            const r = yield* repo.receipt(epoch, h, p.leaf.witness).pipe(Effect.mapError(storage))
            const receipt =
              r !== undefined && equal(r.receiptHash, p.leaf.receiptHash)
                ? { receipt: { epoch: r.epoch, nameHash: r.nameHash, routeHash: r.routeHash, witness: r.witness }, signature: r.signature }
                : null
            return { leaf: p.leaf, path: p.path, receipt }
          })
        )
    }
  }

  close(): Promise<void> {
    return this.runtime.dispose()
  }
}
