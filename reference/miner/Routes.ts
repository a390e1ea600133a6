/**
 * Route records and finalities. `POST /v1/routes` takes a record and the owner's signature over its
 * RouteAuth digest, checks it with the spec (encoding [RTE-1], shape [RTE-2..5], signature [RTE-8])
 * and against the chain (the signer owns the name; the serial is above the canonical one, or the
 * record is the canonical route itself [RTE-6]), stores it and publishes `route.published`.
 *
 * A finality — the name's canonical route became this record — is recorded when the miner observes it:
 * the chain half calls `observeFinality` when it sees a round finalize, and a published record that is
 * already canonical on-chain counts as observed. `GET /v1/routes/{name}` serves the canonical record
 * [API-3]; `GET /v1/routes?since=` pages the finalities in the order observed [API-4].
 */
import { Context, Data, Effect, Layer } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { equal, hex } from "../../spec/src/bytes.ts"
import { verify } from "../../spec/src/ed25519.ts"
import { DecodeError, ProtocolError } from "../../spec/src/errors.ts"
import { nameHash, normalizeName } from "../../spec/src/name.ts"
import { checkRouteRecord, decodeRouteRecord, routeAuthDigest, routeAuthOf, routeHash, type RouteRecord } from "../../spec/src/objects.ts"
import { BadRequest, Conflict, MinerApi, NotFound, Unavailable, Unprocessable } from "./Api.ts"
import * as Metrics from "./Metrics.ts"
import { NameRegistry, type NameState } from "./Names.ts"
import type { ChainError } from "./Rpc.ts"
import type { RouteLookupResponse, RoutePage, RouteSubmitResponse } from "./schemas.ts"
import { Repository, routeEntry, type FinalityOutcome, type StorageError, type StoredFinality, type StoredRouteRecord } from "./Storage.ts"

// ------------------------------------------------------------------------------------------- errors

/** The record breaks a protocol rule; nothing was stored. `malformed`: it did not even decode. */
export class RouteRejected extends Data.TaggedError("RouteRejected")<{ readonly rule: string; readonly message: string; readonly malformed: boolean }> {}
/** Another record holds the same (name, serial). */
export class RouteConflict extends Data.TaggedError("RouteConflict")<{ readonly existing: StoredRouteRecord }> {}
export class RoutesUnavailable extends Data.TaggedError("RoutesUnavailable")<{ readonly message: string }> {}

// ------------------------------------------------------------------------------------------ helpers

/** Whether the name's canonical route on-chain is exactly this record. */
export const isCanonical = (record: RouteRecord, rh: Uint8Array, state: NameState | undefined): boolean =>
  state !== undefined && state.serial === record.serial && equal(state.routeHash, rh)

/**
 * Every check of a submitted record that needs no chain: the spec's decoder and semantic checks and
 * the owner's signature over the record's RouteAuth [RTE-8].
 */
export const checkSubmission = (encoding: Uint8Array, signature: Uint8Array): RouteRecord | RouteRejected => {
  let record: RouteRecord
  try {
    record = decodeRouteRecord(encoding)
  } catch (e) {
    if (e instanceof DecodeError) return new RouteRejected({ rule: e.rule, message: e.message, malformed: true })
    throw e
  }
  const bad = checkRouteRecord(record)
  if (bad) return new RouteRejected({ rule: bad.rule, message: bad.message, malformed: false })
  if (!verify(record.owner, routeAuthDigest(routeAuthOf(record)), signature))
    return new RouteRejected({ rule: "RTE-8", message: "the signature is not the owner's over the record's RouteAuth digest", malformed: false })
  return record
}

/** The chain's side: the name is registered, the record's owner owns it, the serial is newer or canonical [RTE-6]. */
export const checkAgainstChain = (record: RouteRecord, rh: Uint8Array, state: NameState | undefined): RouteRejected | undefined => {
  if (state === undefined) return new RouteRejected({ rule: "RND-6", message: `${record.name} is not registered`, malformed: false })
  if (!equal(state.owner, record.owner))
    return new RouteRejected({ rule: "RTE-8", message: `the record's owner ${hex(record.owner)} is not the name's owner ${hex(state.owner)}`, malformed: false })
  if (record.serial <= state.serial && !isCanonical(record, rh, state))
    return new RouteRejected({ rule: "RTE-6", message: `serial ${record.serial} is not above the canonical serial ${state.serial}`, malformed: false })
  return undefined
}

export interface SubmitResult {
  readonly status: "accepted" | "duplicate"
  readonly stored: StoredRouteRecord
  readonly canonical: boolean
}

export interface Lookup {
  /** The canonical record (with its route epoch), or with `latest` the newest verified one. */
  readonly entry: { readonly route: StoredRouteRecord; readonly routeEpoch: bigint | undefined } | undefined
  /** The Name account as read now, or why it could not be read. */
  readonly chain: NameState | undefined | ChainError
}

// ------------------------------------------------------------------------------------------ service

export class Routes extends Context.Service<
  Routes,
  {
    submit(encoding: Uint8Array, signature: Uint8Array): Effect.Effect<SubmitResult, RouteRejected | RouteConflict | RoutesUnavailable>
    lookup(name: string, options?: { readonly latest?: boolean }): Effect.Effect<Lookup, RouteRejected | RoutesUnavailable>
    /**
     * For the chain half: the round of `nameHash` finalized, so its canonical route is now the Name
     * account's. Reads the account and records the finality (and its `route.finalized` event) when the
     * miner holds that record; `missing` when it does not (fetch it from a peer, then call again).
     */
    observeFinality(nameHash: Uint8Array): Effect.Effect<FinalityOutcome, RoutesUnavailable>
    /** Finalities after a cursor, in the order observed. */
    finalitiesSince(cursor: number, limit: number): Effect.Effect<readonly StoredFinality[], RoutesUnavailable>
  }
>()("dotdns/miner/Routes") {
  static readonly layer = Layer.effect(
    Routes,
    Effect.gen(function* () {
      const repo = yield* Repository
      const names = yield* NameRegistry
      const storageDown = (e: StorageError) => new RoutesUnavailable({ message: `storage: ${e.message}` })
      const chainDown = (e: ChainError) => new RoutesUnavailable({ message: `chain: ${e.message}` })

      const submit = Effect.fn("Routes.submit")(function* (encoding: Uint8Array, signature: Uint8Array) {
        const record = checkSubmission(encoding, signature)
        if (record instanceof RouteRejected) return yield* record
        const h = nameHash(record.name)
        const rh = routeHash(record)
        const state = yield* names.lookup(h).pipe(Effect.mapError(chainDown))
        const bad = checkAgainstChain(record, rh, state)
        if (bad) return yield* bad
        const outcome = yield* repo
          .putRouteRecord({ name: record.name, nameHash: h, nameAccount: names.address(h), serial: record.serial, record: encoding, signature, routeHash: rh, owner: record.owner })
          .pipe(Effect.mapError(storageDown))
        if (outcome._tag === "conflict") return yield* new RouteConflict({ existing: outcome.existing })
        const canonical = isCanonical(record, rh, state)
        // A record that is canonical already: the miner has now observed that finality.
        if (canonical) yield* repo.putFinality({ nameHash: h, serial: record.serial, routeHash: rh, routeEpoch: state!.routeEpoch }).pipe(Effect.mapError(storageDown))
        return { status: outcome._tag, stored: outcome.stored, canonical } satisfies SubmitResult
      })

      const lookup = Effect.fn("Routes.lookup")(function* (input: string, options?: { readonly latest?: boolean }) {
        const normalized = normalizeName(input)
        if (normalized instanceof ProtocolError) return yield* new RouteRejected({ rule: normalized.rule, message: normalized.message, malformed: true })
        const h = nameHash(normalized)
        const chain: NameState | undefined | ChainError = yield* Effect.match(names.lookup(h), { onFailure: (e) => e, onSuccess: (s) => s })
        if (options?.latest) {
          const route = yield* repo.latestRouteRecord(h).pipe(Effect.mapError(storageDown))
          const canonical = route !== undefined && chain !== undefined && "owner" in chain && chain.serial === route.serial && equal(chain.routeHash, route.routeHash)
          return { entry: route === undefined ? undefined : { route, routeEpoch: canonical ? chain.routeEpoch : undefined }, chain } satisfies Lookup
        }
        if (chain !== undefined && "owner" in chain) {
          // The chain says which route is canonical; serve it if this miner holds its record.
          const route = chain.serial === 0n ? undefined : yield* repo.routeRecord(h, chain.serial).pipe(Effect.mapError(storageDown))
          const entry = route !== undefined && equal(route.routeHash, chain.routeHash) ? { route, routeEpoch: chain.routeEpoch } : undefined
          return { entry, chain } satisfies Lookup
        }
        if (chain === undefined) return { entry: undefined, chain } satisfies Lookup
        // The chain cannot be read: the newest finality this miner observed (clients verify it anyway).
        const last = yield* repo.latestFinality(h).pipe(Effect.mapError(storageDown))
        return { entry: last === undefined ? undefined : { route: last.route, routeEpoch: last.routeEpoch }, chain } satisfies Lookup
      })

      const observeFinality = Effect.fn("Routes.observeFinality")(function* (h: Uint8Array) {
        const state = yield* names.lookup(h).pipe(Effect.mapError(chainDown))
        if (state === undefined || state.serial === 0n) return { _tag: "missing" } satisfies FinalityOutcome
        return yield* repo
          .putFinality({ nameHash: h, serial: state.serial, routeHash: state.routeHash, routeEpoch: state.routeEpoch })
          .pipe(Effect.mapError(storageDown))
      })

      return Routes.of({
        submit,
        lookup,
        observeFinality,
        finalitiesSince: (cursor, limit) => repo.finalitiesSince(cursor, limit).pipe(Effect.mapError(storageDown))
      })
    })
  )
}

// --------------------------------------------------------------------------------------------- HTTP

const lookupResponse = (l: Lookup): RouteLookupResponse | undefined => {
  if (l.entry === undefined) return undefined
  const entry = routeEntry(l.entry.route, l.entry.routeEpoch)
  if (l.chain === undefined) return { ...entry, canonical: null, canonicalError: "the name has no Name account" }
  if (!("owner" in l.chain)) return { ...entry, canonical: null, canonicalError: l.chain.message }
  return {
    ...entry,
    canonical: {
      owner: l.chain.owner,
      routeHash: l.chain.routeHash,
      serial: l.chain.serial,
      routeEpoch: l.chain.routeEpoch,
      matches: equal(l.chain.routeHash, l.entry.route.routeHash)
    }
  }
}

export const RoutesHttp = HttpApiBuilder.group(MinerApi, "routes", (handlers) =>
  Effect.gen(function* () {
    const routes = yield* Routes
    return handlers
      .handle("submit", ({ payload }) =>
        routes.submit(payload.encoding, payload.signature).pipe(
          Effect.tap((r) => Metrics.count(Metrics.routesTotal, 1, { status: r.status })),
          Effect.map((r): RouteSubmitResponse => ({
            status: r.status,
            name: r.stored.name,
            nameHash: r.stored.nameHash,
            serial: r.stored.serial,
            routeHash: r.stored.routeHash,
            canonical: r.canonical,
            cursor: r.stored.cursor
          })),
          Effect.tapError((e) => Metrics.count(Metrics.routesTotal, 1, { status: e._tag === "RoutesUnavailable" ? "unavailable" : "rejected" })),
          Effect.catchTags({
            RouteRejected: (e: RouteRejected) => Effect.fail(e.malformed ? new BadRequest({ rule: e.rule, message: e.message }) : new Unprocessable({ rule: e.rule, message: e.message })),
            RouteConflict: (e: RouteConflict) =>
              Effect.fail(new Conflict({ rule: "RTE-6", message: `serial ${e.existing.serial} of ${e.existing.name} already holds another record (route ${hex(e.existing.routeHash)})` })),
            RoutesUnavailable: (e: RoutesUnavailable) => Effect.fail(new Unavailable({ message: e.message }))
          })
        )
      )
      .handle("lookup", ({ params, query }) =>
        routes.lookup(params.name, { latest: query.latest === "true" }).pipe(
          Effect.catchTags({
            RouteRejected: (e: RouteRejected) => Effect.fail(new BadRequest({ rule: e.rule, message: e.message })),
            RoutesUnavailable: (e: RoutesUnavailable) => Effect.fail(new Unavailable({ message: e.message }))
          }),
          Effect.flatMap((l) => {
            const body = lookupResponse(l)
            return body === undefined
              ? Effect.fail(new NotFound({ message: `no ${query.latest === "true" ? "verified" : "canonical"} route record for ${params.name} at this miner` }))
              : Effect.succeed(body)
          })
        )
      )
      .handle("list", ({ query }) =>
        Effect.gen(function* () {
          const since = query.since ?? 0
          const limit = query.limit ?? 100
          const items = yield* routes.finalitiesSince(since, limit).pipe(Effect.mapError((e) => new Unavailable({ message: e.message })))
          return {
            routes: items.map((f) => ({ ...routeEntry(f.route, f.routeEpoch), cursor: f.cursor })),
            next: items.length > 0 ? items[items.length - 1]!.cursor : since,
            complete: items.length < limit
          } satisfies RoutePage
        })
      )
  })
)
