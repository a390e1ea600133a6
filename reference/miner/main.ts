/**
 * The miner application: feature layers merged once and launched. Reading the data path forward:
 * Ingest (receipts) → Storage → [chain half: Aggregator → Submitter] → Audit / Feed / Routes.
 *
 *   MinerConfig ─▶ Base (Repository, Verifier, ChainViews, Identity)
 *                ─▶ Features (Ingest, Routes, Audit, Feed)
 *                ─▶ App (HTTP server; ChainHalf: the duty loop of ChainLoop.ts — cranks, cut-off,
 *                        submission, challenge answers, peer audit; extra layers in `extensions`)
 *
 * Layers are released in reverse: on SIGINT/SIGTERM the HTTP server stops accepting and drains, then
 * the ingest committer finishes its last commit, then the verify workers stop and the database closes.
 */
import { mkdirSync } from "node:fs"
import { Effect, Layer, Logger, References } from "effect"
import { Audit } from "./Audit.ts"
import { ChainHalf } from "./ChainLoop.ts"
import { ChainViews } from "./ChainViews.ts"
import { MinerConfig } from "./Config.ts"
import { Feed } from "./Feed.ts"
import { HttpServerLive } from "./Http.ts"
import { Identity } from "./Identity.ts"
import { Ingest } from "./Ingest.ts"
import { Routes } from "./Routes.ts"
import { Repository } from "./Storage.ts"
import { Verifier } from "./Verifier.ts"

const LEVELS = { trace: "Trace", debug: "Debug", info: "Info", warn: "Warn", error: "Error" } as const

/** Structured logs: one JSON object per line on stdout (or pretty, for a terminal). */
export const Logging = Layer.unwrap(
  Effect.gen(function* () {
    const { log } = yield* MinerConfig
    return Layer.mergeAll(
      Logger.layer([log.format === "json" ? Logger.consoleJson : Logger.consolePretty()]),
      Layer.succeed(References.MinimumLogLevel, LEVELS[log.level])
    )
  })
)

const DataDir = Layer.effectDiscard(
  Effect.gen(function* () {
    const { dataDir } = yield* MinerConfig
    yield* Effect.sync(() => mkdirSync(dataDir, { recursive: true }))
  })
)

/** Storage, verify workers, chain views and the identity. */
export const Base = Layer.mergeAll(Repository.layerFromConfig, Verifier.layer, ChainViews, Identity.layer).pipe(Layer.provideMerge(DataDir))

/** The off-chain features. */
export const Features = Layer.mergeAll(Ingest.layer, Routes.layer, Audit.layer, Feed.layer)

/** A layer the chain half adds (aggregation at cut-off, submission, cranks, challenge watcher). */
export type Extension = Layer.Layer<never, unknown, Ingest | Routes | Audit | Feed | Repository | Verifier | Identity | MinerConfig | Layer.Success<typeof ChainViews>>

/**
 * The whole miner for a config file. `extensions` are merged beside the HTTP server and get every
 * service of Base and Features.
 */
export const minerLayer = (configPath: string, options: { readonly env?: Readonly<Record<string, string | undefined>>; readonly extensions?: readonly Extension[] } = {}) => {
  const App = Layer.mergeAll(HttpServerLive, ChainHalf, ...(options.extensions ?? []))
  return App.pipe(
    Layer.provideMerge(Features),
    Layer.provideMerge(Base),
    Layer.provideMerge(Logging),
    Layer.provideMerge(MinerConfig.layer(configPath, options.env))
  )
}

/** Runs the miner until interrupted. */
export const runMiner = (configPath: string, options?: Parameters<typeof minerLayer>[1]) =>
  Effect.gen(function* () {
    const config = yield* MinerConfig
    const identity = yield* Identity
    const feed = yield* Feed
    yield* Effect.logInfo("miner started").pipe(
      Effect.annotateLogs({ miner: identity.address, http: `http://${config.http.host}:${config.http.port}`, storage: config.storage.kind, chain: config.chain.mode })
    )
    return yield* Effect.never.pipe(
      Effect.onInterrupt(() => Effect.andThen(Effect.logInfo("miner stopping: ending feeds, draining requests, then closing storage"), feed.shutdown))
    )
  }).pipe(Effect.provide(minerLayer(configPath, options)))
