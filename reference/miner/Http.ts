/**
 * The HTTP server: every group of `MinerApi` with its handlers, `/openapi.json` generated from the same
 * definition, and the operational endpoints (/healthz, /readyz, /metrics, /v1/info). Closing the layer
 * stops accepting connections and lets requests in flight finish (up to `SHUTDOWN_GRACE`).
 */
import { createServer } from "node:http"
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer, Metric } from "effect"
import { HttpRouter } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { toBase58 } from "../../programs/client/base58.ts"
import { SPEC_VERSION } from "../../spec/src/version.ts"
import { MinerApi, NotReady, RequestErrorsLayer } from "./Api.ts"
import { AuditHttp } from "./Audit.ts"
import { MinerConfig } from "./Config.ts"
import { EpochClock } from "./EpochClock.ts"
import { FeedHttp } from "./Feed.ts"
import { Identity } from "./Identity.ts"
import { IngestHttp } from "./Ingest.ts"
import * as Metrics from "./Metrics.ts"
import { RoutesHttp } from "./Routes.ts"
import { Repository } from "./Storage.ts"
import { Verifier } from "./Verifier.ts"

export const SHUTDOWN_GRACE = "5 seconds"

export const OpsHttp = HttpApiBuilder.group(MinerApi, "ops", (handlers) =>
  Effect.gen(function* () {
    const repo = yield* Repository
    const verifier = yield* Verifier
    const clock = yield* EpochClock
    const identity = yield* Identity
    const config = yield* MinerConfig
    yield* Metrics.registerAll

    const check = (name: string, e: Effect.Effect<string, { readonly message: string }>) =>
      e.pipe(
        Effect.timeout("3 seconds"),
        Effect.match({ onSuccess: (ok): readonly [string, string] => [name, ok], onFailure: (err): readonly [string, string] => [name, `failed: ${"message" in err ? err.message : String(err)}`] })
      )

    return handlers
      .handle("healthz", () => Effect.succeed({ status: "ok" as const, checks: { process: "ok" } }))
      .handle("readyz", () =>
        Effect.gen(function* () {
          const results = yield* Effect.all(
            [
              check("storage", Effect.as(repo.ping, "ok")),
              check("verifier", Effect.map(verifier.pending, (n) => (n === 0 ? "ok" : `ok (${n} pending)`))),
              check("chain", Effect.map(clock.now, (now) => `ok (epoch ${now.epoch}, slot ${now.slot})`))
            ],
            { concurrency: "unbounded" }
          )
          const checks = Object.fromEntries(results)
          const bad = results.filter(([, v]) => v.startsWith("failed"))
          if (bad.length > 0) return yield* new NotReady({ message: bad.map(([k, v]) => `${k}: ${v}`).join("; "), checks })
          yield* Metric.update(Metrics.currentEpoch, Number((yield* Effect.orDie(clock.now)).epoch))
          return { status: "ready" as const, checks }
        })
      )
      .handle("metrics", () => Metrics.render)
      .handle("info", () =>
        Effect.gen(function* () {
          return {
            miner: identity.address,
            programId: toBase58(config.programId),
            specVersion: SPEC_VERSION,
            chainMode: config.chain.mode,
            storage: repo.engine,
            headCursor: yield* repo.head.pipe(Effect.orElseSucceed(() => 0)),
            peers: config.peers
          }
        })
      )
  })
)

/** All API routes with their handlers; needs the feature services. */
export const ApiRoutes = HttpApiBuilder.layer(MinerApi, { openapiPath: "/openapi.json" }).pipe(
  Layer.provide([IngestHttp, RoutesHttp, AuditHttp, FeedHttp, OpsHttp]),
  Layer.provide(RequestErrorsLayer)
)

/** The Node HTTP server on the configured host and port. */
export const HttpServerLive = Layer.unwrap(
  Effect.gen(function* () {
    const config = yield* MinerConfig
    return HttpRouter.serve(ApiRoutes, { disableLogger: !config.log.requests }).pipe(
      Layer.provide(
        NodeHttpServer.layer(() => createServer({ keepAliveTimeout: 5_000, requestTimeout: 120_000 }), {
          port: config.http.port,
          host: config.http.host,
          gracefulShutdownTimeout: SHUTDOWN_GRACE
        })
      )
    )
  })
)
