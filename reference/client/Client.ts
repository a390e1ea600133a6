/**
 * The client assembled: `ResolverLive` (chain, miners, cache, receipts, resolver — what `dotdns resolve`
 * needs) and `ClientLive` (that plus forwarding, the responder and the listeners — what
 * `dotdns client start` runs). Both need only a `ClientConfig`. `startClient` builds `ClientLive` in
 * its own scope for tests, benchmarks and the CLI, and hands back the services and a `close`.
 */
import { Context, Effect, Exit, Layer, Logger, References, Scope } from "effect"
import { Chain } from "./Chain.ts"
import { ClientConfig, type ClientSettings } from "./Config.ts"
import { Forwarder } from "./Forwarder.ts"
import { Miners } from "./Miners.ts"
import { Receipts } from "./Receipts.ts"
import { Resolver } from "./Resolver.ts"
import { Responder } from "./Responder.ts"
import { RouteCache } from "./RouteCache.ts"
import { Endpoints, ServersLive } from "./Servers.ts"

const Base = Layer.mergeAll(Chain.layer, Miners.layer, RouteCache.layer, Forwarder.layer)

/** Resolution with verification, cache and receipts; no listeners. */
export const ResolverLive = Resolver.layer.pipe(Layer.provideMerge(Receipts.layer.pipe(Layer.provideMerge(Base))))

/** The whole client: resolver, responder, UDP/TCP DNS and DoH listeners. */
export const ClientLive = ServersLive.pipe(Layer.provideMerge(Responder.layer.pipe(Layer.provideMerge(ResolverLive))))

export type ClientServices = Layer.Success<typeof ClientLive> | ClientConfig

// ------------------------------------------------------------------------------------------ logging

const LEVELS = { debug: "Debug", info: "Info", warn: "Warn", error: "Error" } as const

const render = (v: unknown): unknown => (typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString("hex") : v)

/** One line per event: JSON (`{"time","level","message",…fields}`) or `LEVEL message k=v …`. */
export const clientLogger = (write: (line: string) => void, format: "json" | "pretty") =>
  Logger.make((o) => {
    const parts = Array.isArray(o.message) ? o.message : [o.message]
    const text = parts.filter((p) => typeof p !== "object" || p === null).map(String).join(" ")
    const fields: Record<string, unknown> = {}
    for (const p of parts) if (typeof p === "object" && p !== null) for (const [k, v] of Object.entries(p)) fields[k] = render(v)
    const level = o.logLevel.toLowerCase()
    if (format === "json") write(JSON.stringify({ time: o.date.toISOString(), level, message: text, ...fields }))
    else write(`${level.toUpperCase().padEnd(5)} ${text}${Object.entries(fields).map(([k, v]) => ` ${k}=${JSON.stringify(v)}`).join("")}`)
  })

export const loggingLayer = (settings: Pick<ClientSettings, "log">, write: (line: string) => void) =>
  Layer.mergeAll(
    Logger.layer([clientLogger(write, settings.log.format)]),
    Layer.succeed(References.MinimumLogLevel, LEVELS[settings.log.level])
  )

// ------------------------------------------------------------------------------------------ running

export interface RunningClient {
  readonly settings: ClientSettings
  readonly endpoints: Endpoints["Service"]
  readonly resolver: Resolver["Service"]
  readonly responder: Responder["Service"]
  readonly receipts: Receipts["Service"]
  readonly cache: RouteCache["Service"]
  /** Runs an effect with the client's services. */
  run<A, E>(effect: Effect.Effect<A, E, ClientServices>): Promise<A>
  /** Stops the listeners and background work and saves the cache; idempotent. */
  close(): Promise<void>
}

export interface StartOptions {
  /** Where log lines go (default: stderr). */
  readonly log?: (line: string) => void
}

export const startClient = async (settings: ClientSettings, options: StartOptions = {}): Promise<RunningClient> => {
  const write = options.log ?? ((line: string) => process.stderr.write(`${line}\n`))
  const scope = Effect.runSync(Scope.make())
  const layer = ClientLive.pipe(Layer.provideMerge(ClientConfig.layerValue(settings)), Layer.provideMerge(loggingLayer(settings, write)))
  const exit = await Effect.runPromiseExit(Layer.buildWithScope(layer, scope))
  if (Exit.isFailure(exit)) {
    await Effect.runPromise(Scope.close(scope, exit))
    const err = exit.cause
    throw new Error(`the client did not start: ${String(err)}`)
  }
  const ctx = exit.value
  let closed: Promise<void> | undefined
  return {
    settings,
    endpoints: Context.get(ctx, Endpoints),
    resolver: Context.get(ctx, Resolver),
    responder: Context.get(ctx, Responder),
    receipts: Context.get(ctx, Receipts),
    cache: Context.get(ctx, RouteCache),
    run: (effect) => Effect.runPromise(Effect.provide(effect, ctx)),
    close: () => (closed ??= Effect.runPromise(Scope.close(scope, Exit.void)))
  }
}
