/**
 * The Repository contract, one suite run against both engines: SQLite (a temp file) and PostgreSQL (a
 * real server started for the run). Without PostgreSQL binaries the second run is skipped with a loud
 * warning, never silently.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { it } from "@effect/vitest"
import { Effect, Layer, PubSub } from "effect"
import { afterAll, beforeAll, describe, expect, it as vit } from "vitest"
import { U64_MAX } from "../../../spec/src/codec.ts"
import { encodeRouteRecord, routeHash } from "../../../spec/src/objects.ts"
import { nameHash } from "../../../spec/src/name.ts"
import { PostgresRepository } from "../PostgresRepository.ts"
import { SqliteRepository } from "../SqliteRepository.ts"
import { Repository, type AggregateRow, type ReceiptRow, type RouteRecordRow } from "../Storage.ts"
import { keypair, routeOf } from "./helpers.ts"
import { findPostgresBin, startPostgres, warnNoPostgres, type TestPostgres } from "./postgres.ts"

const b = (fill: number, n = 32) => new Uint8Array(n).fill(fill)
const NAME = nameHash("store.dns")

const receipt = (witness: number, route = 1, epoch = 7n, name = NAME, weight = 100n): ReceiptRow => ({
  epoch,
  nameHash: name,
  routeHash: b(route),
  witness: b(witness),
  signature: b(witness, 64),
  receiptHash: b((witness ^ 0xff ^ (route << 4)) & 0xff),
  weight
})

const routeRow = (serial: bigint, ip = 1): RouteRecordRow => {
  const r = routeOf("store.dns", keypair("store-owner"), serial, [10, 0, 0, ip])
  return { name: r.name, nameHash: nameHash(r.name), nameAccount: b(0xac), serial, record: encodeRouteRecord(r), signature: b(serial === 0n ? 1 : Number(serial % 250n), 64), routeHash: routeHash(r), owner: r.owner }
}

const aggregateRow = (digest: number, miner = b(0x99)): AggregateRow => ({
  epoch: 7n,
  nameHash: NAME,
  routeHash: b(1),
  miner,
  encoding: b(digest, 100),
  digest: b(digest),
  signature: b(digest, 64),
  receiptRoot: b(0x42),
  support: 300n,
  receiptCount: 3,
  batchCid: null
})

/** The contract; `fresh` gives an empty repository, `reopen` the same storage again after its scope closed. */
const contract = (engine: string, fresh: () => Promise<{ layer: Layer.Layer<Repository, unknown>; reopen: () => Layer.Layer<Repository, unknown> }>) => {
  const run = <A>(body: Effect.Effect<A, unknown, Repository>) =>
    Effect.promise(fresh).pipe(Effect.flatMap(({ layer }) => Effect.provide(body, layer)))

  describe(engine, () => {
    it.effect("dedupes receipts by (epoch, name, witness): first wins, in a batch and across batches [RCP-5]", () =>
      run(
        Effect.gen(function* () {
          const repo = yield* Repository
          const resigned = { ...receipt(1), receiptHash: b(0x77) } // the same receipt under another signature
          const first = yield* repo.insertReceipts([receipt(1), receipt(2), receipt(1), receipt(3, 2), receipt(3), resigned])
          expect(first.outcomes).toEqual(["accepted", "accepted", "duplicate", "accepted", "conflict", "conflict"])
          expect(first.cursor).toBe(1)
          const second = yield* repo.insertReceipts([receipt(1), receipt(2, 9), receipt(4)])
          expect(second.outcomes).toEqual(["duplicate", "conflict", "accepted"])
          expect(second.cursor).toBe(2)
          const none = yield* repo.insertReceipts([receipt(4)])
          expect(none).toEqual({ outcomes: ["duplicate"], cursor: undefined })
          expect(yield* repo.countReceipts()).toBe(4)
          expect(yield* repo.head).toBe(2)
        })
      )
    )

    it.effect("queries receipts by epoch, name and route in leaf order, with keyset paging", () =>
      run(
        Effect.gen(function* () {
          const repo = yield* Repository
          const other = nameHash("other.dns")
          yield* repo.insertReceipts([receipt(9), receipt(3), receipt(5, 2), receipt(7), receipt(1, 1, 8n), receipt(2, 1, 7n, other, U64_MAX)])
          const all = yield* repo.receipts({ epoch: 7n, nameHash: NAME })
          expect(all.map((r) => r.witness[0])).toEqual([3, 5, 7, 9])
          expect((yield* repo.receipts({ epoch: 7n, nameHash: NAME, routeHash: b(1) })).map((r) => r.witness[0])).toEqual([3, 7, 9])
          expect((yield* repo.receipts({ epoch: 7n, nameHash: NAME, afterWitness: b(5), limit: 1 })).map((r) => r.witness[0])).toEqual([7])
          const big = yield* repo.receipt(7n, other, b(2))
          expect(big?.weight).toBe(U64_MAX)
          expect(big?.signature).toEqual(b(2, 64))
          expect(big?.receiptHash).toEqual(b((2 ^ 0xff ^ (1 << 4)) & 0xff))
          expect(yield* repo.receipt(7n, other, b(3))).toBeUndefined()
          const groups = yield* repo.receiptGroups(7n)
          expect(groups.map((g) => [g.nameHash[0], g.routeHash[0], g.count]).sort()).toEqual(
            [[NAME[0], 1, 3], [NAME[0], 2, 1], [other[0], 1, 1]].sort()
          )
          expect(yield* repo.countReceipts(8n)).toBe(1)
        })
      )
    )

    it.effect("appends one receipts event per accepted batch, readable by cursor and kind, and wakes subscribers", () =>
      run(
        Effect.scoped(
          Effect.gen(function* () {
            const repo = yield* Repository
            const wake = yield* repo.heads
            yield* repo.insertReceipts([receipt(1), receipt(2)])
            expect(yield* PubSub.take(wake)).toBe(1)
            const c = yield* repo.appendEvent("challenge", "7/x", { leaf: 3 })
            expect(c).toBe(2)
            const events = yield* repo.events({ since: 0, limit: 10 })
            expect(events.map((e) => [e.cursor, e.type])).toEqual([[1, "receipts.accepted"], [2, "challenge"]])
            const data = events[0]!.data as { count: number; batch: string }
            expect(data.count).toBe(2)
            expect(Buffer.from(data.batch, "base64")).toHaveLength(2 * 170)
            expect(events[1]!.data).toEqual({ leaf: 3 })
            expect((yield* repo.events({ since: 1, limit: 10 })).map((e) => e.cursor)).toEqual([2])
            expect((yield* repo.events({ since: 0, limit: 10, types: ["challenge"] })).map((e) => e.cursor)).toEqual([2])
            expect(yield* repo.events({ since: 0, limit: 1 })).toHaveLength(1)
          })
        )
      )
    )

    it.effect("keeps route records by (name, serial) and serves the highest serial, u64 order included", () =>
      run(
        Effect.gen(function* () {
          const repo = yield* Repository
          const r2 = yield* repo.putRouteRecord(routeRow(2n))
          expect(r2._tag).toBe("accepted")
          expect((yield* repo.putRouteRecord(routeRow(2n)))._tag).toBe("duplicate")
          const conflict = yield* repo.putRouteRecord(routeRow(2n, 9))
          expect(conflict._tag).toBe("conflict")
          yield* repo.putRouteRecord(routeRow(10n))
          yield* repo.putRouteRecord(routeRow(9n))
          yield* repo.putRouteRecord(routeRow((1n << 63n) + 5n))
          yield* repo.putRouteRecord(routeRow(3n))
          expect((yield* repo.latestRouteRecord(NAME))?.serial).toBe((1n << 63n) + 5n)
          expect((yield* repo.routeRecord(NAME, 9n))?.record).toEqual(routeRow(9n).record)
          expect(yield* repo.latestRouteRecord(b(0))).toBeUndefined()
          const page1 = yield* repo.routeRecordsSince(0, 2)
          const page2 = yield* repo.routeRecordsSince(page1[1]!.cursor, 10)
          expect([...page1, ...page2].map((r) => r.serial)).toEqual([2n, 10n, 9n, (1n << 63n) + 5n, 3n])
          const events = yield* repo.events({ since: 0, limit: 10, types: ["route.published"] })
          expect(events.map((e) => e.cursor)).toEqual([...page1, ...page2].map((r) => r.cursor))
          expect(events[0]!.data).toMatchObject({ name: "store.dns", nameAccount: "ac".repeat(32), record: { serial: "2" } })
          expect((yield* repo.routeRecordByHash(NAME, routeRow(9n).routeHash))?.serial).toBe(9n)
          expect(yield* repo.routeRecordByHash(NAME, b(0))).toBeUndefined()
        })
      )
    )

    it.effect("records each observed finality once, for a record it holds, and pages them by cursor [API-4]", () =>
      run(
        Effect.gen(function* () {
          const repo = yield* Repository
          yield* repo.putRouteRecord(routeRow(2n))
          yield* repo.putRouteRecord(routeRow(3n))
          const missing = yield* repo.putFinality({ nameHash: NAME, serial: 4n, routeHash: routeRow(4n).routeHash, routeEpoch: 9n })
          expect(missing._tag).toBe("missing")
          const wrongRoute = yield* repo.putFinality({ nameHash: NAME, serial: 2n, routeHash: b(1), routeEpoch: 9n })
          expect(wrongRoute._tag).toBe("missing")
          const f3 = yield* repo.putFinality({ nameHash: NAME, serial: 3n, routeHash: routeRow(3n).routeHash, routeEpoch: 9n })
          expect(f3._tag).toBe("recorded")
          expect((yield* repo.putFinality({ nameHash: NAME, serial: 3n, routeHash: routeRow(3n).routeHash, routeEpoch: 9n }))._tag).toBe("exists")
          const f2 = yield* repo.putFinality({ nameHash: NAME, serial: 2n, routeHash: routeRow(2n).routeHash, routeEpoch: 7n })
          expect(f2._tag).toBe("recorded")
          const all = yield* repo.finalitiesSince(0, 10)
          expect(all.map((f) => [f.serial, f.routeEpoch, f.route.serial])).toEqual([[3n, 9n, 3n], [2n, 7n, 2n]])
          expect((yield* repo.finalitiesSince(all[0]!.cursor, 10)).map((f) => f.serial)).toEqual([2n])
          expect((yield* repo.latestFinality(NAME))?.serial).toBe(3n)
          const events = yield* repo.events({ since: 0, limit: 10, types: ["route.finalized"] })
          expect(events.map((e) => e.cursor)).toEqual(all.map((f) => f.cursor))
          expect(events[0]!.data).toMatchObject({ routeEpoch: "9", record: { serial: "3" } })
        })
      )
    )

    it.effect("stores an aggregate with its leaves once; a different statement for the same round is a conflict", () =>
      run(
        Effect.gen(function* () {
          const repo = yield* Repository
          const leaves = [1, 2, 3].map((w) => ({ receiptHash: b(w + 100), witness: b(w), weight: 100n }))
          const stored = yield* repo.putAggregate(aggregateRow(1), leaves)
          expect(stored._tag).toBe("stored")
          expect((yield* repo.putAggregate(aggregateRow(1), leaves))._tag).toBe("exists")
          expect((yield* repo.putAggregate(aggregateRow(2), leaves))._tag).toBe("conflict")
          yield* repo.putAggregate(aggregateRow(3, b(0x11)), leaves)
          expect(yield* repo.leaves(7n, NAME, b(0x99))).toEqual(leaves)
          expect((yield* repo.aggregate(7n, NAME, b(0x99)))?.digest).toEqual(b(1))
          expect((yield* repo.aggregate(7n, NAME))?.miner).toEqual(b(0x11))
          expect(yield* repo.aggregates({ epoch: 7n })).toHaveLength(2)
          expect(yield* repo.aggregates({ miner: b(0x11) })).toHaveLength(1)
          expect(yield* repo.aggregates({ epoch: 8n })).toHaveLength(0)
          yield* repo.putBatch({ cid: "bafytest", epoch: 7n, nameHash: NAME, path: "/tmp/x.car", size: 10 })
          expect(yield* repo.batch("bafytest")).toEqual({ cid: "bafytest", epoch: 7n, nameHash: NAME, path: "/tmp/x.car", size: 10 })
          expect(yield* repo.batch("nope")).toBeUndefined()
          expect((yield* repo.events({ since: 0, limit: 10, types: ["aggregate.stored"] })).length).toBe(2)
        })
      )
    )

    it.effect("records submissions so a restart never submits a second statement [EQV-2]", () =>
      run(
        Effect.gen(function* () {
          const repo = yield* Repository
          const claimed = yield* repo.claimSubmission(7n, NAME, b(1))
          expect(claimed._tag).toBe("claimed")
          expect(claimed.row.status).toBe("prepared")
          expect((yield* repo.claimSubmission(7n, NAME, b(1)))._tag).toBe("existing")
          expect((yield* repo.claimSubmission(7n, NAME, b(2)))._tag).toBe("conflict")
          const sent = yield* repo.updateSubmission(7n, NAME, { status: "sent", txSignature: "5sig", incrementAttempts: true })
          expect(sent).toMatchObject({ status: "sent", txSignature: "5sig", attempts: 1, error: null })
          const existing = yield* repo.claimSubmission(7n, NAME, b(1))
          expect(existing._tag === "existing" && existing.row.txSignature).toBe("5sig")
          yield* repo.claimSubmission(8n, NAME, b(3))
          expect((yield* repo.submissions({ status: "sent" })).map((s) => s.epoch)).toEqual([7n])
          expect((yield* repo.submissions({})).map((s) => s.epoch)).toEqual([7n, 8n])
          expect((yield* repo.submission(8n, NAME))?.status).toBe("prepared")
          expect((yield* repo.events({ since: 0, limit: 10, types: ["submission.updated"] })).length).toBe(3)
        })
      )
    )

    it.effect("keeps peers' statements per digest and the chain half's actions by key", () =>
      run(
        Effect.gen(function* () {
          const repo = yield* Repository
          const statement = (digest: number, miner = b(0x51)) => ({
            epoch: 7n, nameHash: NAME, miner, digest: b(digest), encoding: b(digest, 151), signature: b(digest, 64), source: "http://peer"
          })
          expect(yield* repo.putPeerStatement(statement(1))).toBe("stored")
          expect(yield* repo.putPeerStatement(statement(1))).toBe("exists")
          // A second statement of the same miner for the same round is kept beside the first: equivocation evidence.
          expect(yield* repo.putPeerStatement(statement(2))).toBe("stored")
          yield* repo.putPeerStatement(statement(3, b(0x52)))
          const seen = yield* repo.peerStatements({ epoch: 7n, nameHash: NAME, miner: b(0x51) })
          expect(seen.map((x) => x.digest[0])).toEqual([1, 2])
          expect(seen[0]).toMatchObject({ encoding: b(1, 151), signature: b(1, 64), source: "http://peer" })
          expect((yield* repo.peerStatements({ epoch: 7n })).length).toBe(3)
          expect(yield* repo.peerStatements({ epoch: 8n })).toEqual([])

          const base = { key: "reveal/7/x/y/3", kind: "openReveal", epoch: 7n, nameHash: NAME, miner: b(0x51), index: 3 }
          expect(yield* repo.action(base.key)).toBeUndefined()
          yield* repo.recordAction({ ...base, status: "pending" })
          yield* repo.recordAction({ ...base, status: "sent", txSignature: "5sig" })
          const done = yield* repo.recordAction({ ...base, status: "confirmed" })
          expect(done).toMatchObject({ status: "confirmed", txSignature: "5sig", attempts: 1, error: null, index: 3 })
          expect(yield* repo.action(base.key)).toEqual(done)
          yield* repo.recordAction({ key: "equivocation/7/x/y", kind: "proveEquivocation", epoch: 7n, nameHash: NAME, miner: b(0x52), index: null, status: "lost", error: "EQV-3" })
          expect((yield* repo.actions({})).map((x) => x.key)).toEqual(["equivocation/7/x/y", "reveal/7/x/y/3"])
          expect((yield* repo.actions({ kind: "openReveal", status: "confirmed" })).map((x) => x.index)).toEqual([3])
          expect((yield* repo.actions({ status: "lost" }))[0]).toMatchObject({ index: null, error: "EQV-3", attempts: 0 })
          expect(yield* repo.actions({ epoch: 8n })).toEqual([])
        })
      )
    )

    it.effect("keeps everything across close and reopen", () =>
      Effect.gen(function* () {
        const { layer, reopen } = yield* Effect.promise(fresh)
        yield* Effect.provide(
          Effect.gen(function* () {
            const repo = yield* Repository
            yield* repo.insertReceipts([receipt(1), receipt(2)])
            yield* repo.putRouteRecord(routeRow(4n))
          }),
          layer
        )
        yield* Effect.provide(
          Effect.gen(function* () {
            const repo = yield* Repository
            expect(yield* repo.countReceipts()).toBe(2)
            expect((yield* repo.latestRouteRecord(NAME))?.serial).toBe(4n)
            expect(yield* repo.head).toBe(2)
            const c = (yield* repo.insertReceipts([receipt(3)])).cursor
            expect(c).toBe(3)
          }),
          reopen()
        )
      })
    )
  })
}

// ------------------------------------------------------------------------------------------ engines

const dirs: string[] = []
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

contract("SqliteRepository", async () => {
  const dir = mkdtempSync(join(tmpdir(), "dotdns-store-"))
  dirs.push(dir)
  const path = join(dir, "miner.sqlite")
  return { layer: SqliteRepository.layer(path), reopen: () => SqliteRepository.layer(path) }
})

describe("schema version", () => {
  vit("refuses a database of another schema version with a clear message", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dotdns-store-"))
    dirs.push(dir)
    const path = join(dir, "old.sqlite")
    const db = new DatabaseSync(path)
    db.exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta VALUES ('schema_version', '1')")
    db.close()
    const err = await Effect.runPromise(Effect.flip(Effect.scoped(Layer.build(SqliteRepository.layer(path)))))
    expect(err.message).toMatch(/schema version 1, this miner needs/)
  })
})

const pgAvailable = findPostgresBin() !== undefined
if (!pgAvailable) {
  warnNoPostgres("the Repository contract against PostgreSQL")
  describe.skip("PostgresRepository", () => {})
} else {
  let pg: TestPostgres | undefined
  let n = 0
  beforeAll(async () => {
    pg = await startPostgres()
  })
  afterAll(() => pg?.stop())
  contract("PostgresRepository", async () => {
    const url = await pg!.createDatabase(`contract_${++n}`)
    return { layer: PostgresRepository.layer(url), reopen: () => PostgresRepository.layer(url) }
  })
}
