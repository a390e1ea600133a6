/**
 * `Repository` on PostgreSQL (pg). Commits are durable with the server's default
 * `synchronous_commit = on` [API-1]. Every write transaction first takes one advisory transaction lock,
 * so event cursors (a sequence) are committed in the order they were drawn: a reader can never see
 * cursor n+1 committed while n is still in flight, which is what makes cursor paging gap-free [API-4].
 */
import { Effect, Layer, Semaphore } from "effect"
import pg from "pg"
import type { Leaf } from "../../spec/src/objects.ts"
import {
  aggregateEventData, dedupeBatch, EVENT, makeHeadHub, SCHEMA_VERSION, schemaMismatch, receiptKey, receiptsEventData, Repository, routeEventData, sameBytes,
  StorageError, submissionEventData,
  type AggregateOutcome, type ClaimOutcome, type FinalityOutcome, type ReceiptOutcome, type ReceiptRow, type RepositoryShape,
  type RouteOutcome, type StoredAggregate, type StoredEvent, type StoredFinality, type StoredReceipt, type StoredRouteRecord, type SubmissionRow,
  type SubmissionStatus, nextAction, type ChainActionRow, type ChainActionStatus, type StoredPeerStatement
} from "./Storage.ts"

// #region postgres-schema
export const POSTGRES_SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
  cursor BIGSERIAL PRIMARY KEY,
  type TEXT NOT NULL,
  key TEXT NOT NULL,
  data JSONB NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_type ON events (type, cursor);
CREATE TABLE IF NOT EXISTS receipts (
  epoch BIGINT NOT NULL,
  name_hash BYTEA NOT NULL,
  witness BYTEA NOT NULL,
  route_hash BYTEA NOT NULL,
  signature BYTEA NOT NULL,
  receipt_hash BYTEA NOT NULL,
  weight NUMERIC(20, 0) NOT NULL,
  received_at BIGINT NOT NULL,
  PRIMARY KEY (epoch, name_hash, witness)
);
CREATE TABLE IF NOT EXISTS route_records (
  name_hash BYTEA NOT NULL,
  serial NUMERIC(20, 0) NOT NULL,
  name TEXT NOT NULL,
  name_account BYTEA NOT NULL,
  record BYTEA NOT NULL,
  signature BYTEA NOT NULL,
  route_hash BYTEA NOT NULL,
  owner BYTEA NOT NULL,
  cursor BIGINT NOT NULL,
  received_at BIGINT NOT NULL,
  PRIMARY KEY (name_hash, serial)
);
CREATE INDEX IF NOT EXISTS route_records_cursor ON route_records (cursor);
CREATE TABLE IF NOT EXISTS finalities (
  name_hash BYTEA NOT NULL,
  serial NUMERIC(20, 0) NOT NULL,
  route_hash BYTEA NOT NULL,
  route_epoch BIGINT NOT NULL,
  cursor BIGINT NOT NULL,
  observed_at BIGINT NOT NULL,
  PRIMARY KEY (name_hash, serial)
);
CREATE INDEX IF NOT EXISTS finalities_cursor ON finalities (cursor);
CREATE TABLE IF NOT EXISTS aggregates (
  epoch BIGINT NOT NULL,
  name_hash BYTEA NOT NULL,
  miner BYTEA NOT NULL,
  route_hash BYTEA NOT NULL,
  encoding BYTEA NOT NULL,
  digest BYTEA NOT NULL,
  signature BYTEA NOT NULL,
  receipt_root BYTEA NOT NULL,
  support NUMERIC(20, 0) NOT NULL,
  receipt_count INTEGER NOT NULL,
  batch_cid TEXT,
  cursor BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (epoch, name_hash, miner)
);
CREATE TABLE IF NOT EXISTS aggregate_leaves (
  epoch BIGINT NOT NULL,
  name_hash BYTEA NOT NULL,
  miner BYTEA NOT NULL,
  idx INTEGER NOT NULL,
  receipt_hash BYTEA NOT NULL,
  witness BYTEA NOT NULL,
  weight NUMERIC(20, 0) NOT NULL,
  PRIMARY KEY (epoch, name_hash, miner, idx)
);
CREATE TABLE IF NOT EXISTS batches (
  cid TEXT PRIMARY KEY,
  epoch BIGINT NOT NULL,
  name_hash BYTEA NOT NULL,
  path TEXT NOT NULL,
  size INTEGER NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS submissions (
  epoch BIGINT NOT NULL,
  name_hash BYTEA NOT NULL,
  digest BYTEA NOT NULL,
  status TEXT NOT NULL,
  tx_signature TEXT,
  error TEXT,
  attempts INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (epoch, name_hash)
);
CREATE TABLE IF NOT EXISTS peer_statements (
  epoch BIGINT NOT NULL,
  name_hash BYTEA NOT NULL,
  miner BYTEA NOT NULL,
  digest BYTEA NOT NULL,
  encoding BYTEA NOT NULL,
  signature BYTEA NOT NULL,
  source TEXT NOT NULL,
  observed_at BIGINT NOT NULL,
  PRIMARY KEY (epoch, name_hash, miner, digest)
);
CREATE TABLE IF NOT EXISTS chain_actions (
  key TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  epoch BIGINT NOT NULL,
  name_hash BYTEA NOT NULL,
  miner BYTEA NOT NULL,
  idx INTEGER,
  status TEXT NOT NULL,
  tx_signature TEXT,
  error TEXT,
  attempts INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS chain_actions_kind ON chain_actions (kind, status);
INSERT INTO meta (key, value) VALUES ('schema_version', '2') ON CONFLICT DO NOTHING;
`
// #endregion postgres-schema

/** The advisory lock every write transaction holds (an arbitrary constant: "dotdns" in ASCII). */
const WRITE_LOCK = 0x646f74646e73

type Row = Record<string, unknown>
type Query = (text: string, values?: unknown[]) => Promise<Row[]>

const buf = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength)
const u8 = (v: unknown): Uint8Array => new Uint8Array(v as Buffer)
const big = (v: unknown): bigint => BigInt(v as string | number)
const num = (v: unknown): number => Number(v as string | number)
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : (v as string))

const toReceipt = (r: Row): StoredReceipt => ({
  epoch: big(r.epoch),
  nameHash: u8(r.name_hash),
  routeHash: u8(r.route_hash),
  witness: u8(r.witness),
  signature: u8(r.signature),
  receiptHash: u8(r.receipt_hash),
  weight: big(r.weight),
  receivedAt: num(r.received_at)
})

const toRoute = (r: Row): StoredRouteRecord => ({
  name: r.name as string,
  nameHash: u8(r.name_hash),
  nameAccount: u8(r.name_account),
  serial: big(r.serial),
  record: u8(r.record),
  signature: u8(r.signature),
  routeHash: u8(r.route_hash),
  owner: u8(r.owner),
  cursor: num(r.cursor),
  receivedAt: num(r.received_at)
})

const toAggregate = (r: Row): StoredAggregate => ({
  epoch: big(r.epoch),
  nameHash: u8(r.name_hash),
  miner: u8(r.miner),
  routeHash: u8(r.route_hash),
  encoding: u8(r.encoding),
  digest: u8(r.digest),
  signature: u8(r.signature),
  receiptRoot: u8(r.receipt_root),
  support: big(r.support),
  receiptCount: num(r.receipt_count),
  batchCid: strOrNull(r.batch_cid),
  cursor: num(r.cursor),
  createdAt: num(r.created_at)
})

const toSubmission = (r: Row): SubmissionRow => ({
  epoch: big(r.epoch),
  nameHash: u8(r.name_hash),
  digest: u8(r.digest),
  status: r.status as SubmissionStatus,
  txSignature: strOrNull(r.tx_signature),
  error: strOrNull(r.error),
  attempts: num(r.attempts),
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at)
})

const toPeerStatement = (r: Row): StoredPeerStatement => ({
  epoch: big(r.epoch),
  nameHash: u8(r.name_hash),
  miner: u8(r.miner),
  digest: u8(r.digest),
  encoding: u8(r.encoding),
  signature: u8(r.signature),
  source: r.source as string,
  observedAt: num(r.observed_at)
})

const toAction = (r: Row): ChainActionRow => ({
  key: r.key as string,
  kind: r.kind as string,
  epoch: big(r.epoch),
  nameHash: u8(r.name_hash),
  miner: u8(r.miner),
  index: r.idx === null || r.idx === undefined ? null : num(r.idx),
  status: r.status as ChainActionStatus,
  txSignature: strOrNull(r.tx_signature),
  error: strOrNull(r.error),
  attempts: num(r.attempts),
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at)
})

const toEvent = (r: Row): StoredEvent => ({ cursor: num(r.cursor), type: r.type as string, key: r.key as string, at: num(r.created_at), data: r.data })

const FINALITY_SELECT =
  "SELECT f.serial AS f_serial, f.route_hash AS f_route_hash, f.route_epoch, f.cursor AS f_cursor, f.observed_at, r.* FROM finalities f JOIN route_records r ON r.name_hash = f.name_hash AND r.serial = f.serial"

const toFinality = (r: Row): StoredFinality => ({
  nameHash: u8(r.name_hash),
  serial: big(r.f_serial),
  routeHash: u8(r.f_route_hash),
  routeEpoch: big(r.route_epoch),
  cursor: num(r.f_cursor),
  observedAt: num(r.observed_at),
  route: toRoute(r)
})

const hexOf = (b: Uint8Array): string => buf(b).toString("hex")

export const makePostgresRepository = Effect.fn("PostgresRepository.make")(function* (url: string) {
  const pool = yield* Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        const pool = new pg.Pool({ connectionString: url, max: 8 })
        pool.on("error", () => {}) // an idle client's error is reported on its next use
        const c = await pool.connect()
        try {
          await c.query("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
          const found = (await c.query("SELECT value FROM meta WHERE key = 'schema_version'")).rows[0] as { value: string } | undefined
          if (found !== undefined && found.value !== SCHEMA_VERSION) throw new Error(schemaMismatch(found.value))
          await c.query(POSTGRES_SCHEMA)
        } finally {
          c.release()
        }
        return pool
      },
      catch: (cause) => new StorageError({ op: "open", message: `cannot open ${url.replace(/\/\/[^@]*@/, "//…@")}: ${String(cause)}`, cause })
    }),
    (pool) => Effect.promise(() => pool.end())
  )
  const hub = yield* makeHeadHub
  yield* Effect.addFinalizer(() => hub.shutdown)
  const writeLock = yield* Semaphore.make(1)

  const read = <A>(op: string, body: (q: Query) => Promise<A>): Effect.Effect<A, StorageError> =>
    Effect.tryPromise({
      try: () => body(async (text, values) => (await pool.query(text, values)).rows as Row[]),
      catch: (cause) => new StorageError({ op, message: String(cause), cause })
    })

  /** One serialized write transaction; `appended` collects event cursors for the head hub. */
  const write = <A>(op: string, body: (q: Query, append: (type: string, key: string, data: unknown, at: number) => Promise<number>) => Promise<A>) =>
    writeLock.withPermits(1)(
      Effect.tryPromise({
        try: async () => {
          const client = await pool.connect()
          let last = 0
          try {
            const q: Query = async (text, values) => (await client.query(text, values)).rows as Row[]
            await client.query("BEGIN")
            await client.query("SELECT pg_advisory_xact_lock($1)", [WRITE_LOCK])
            const append = async (type: string, key: string, data: unknown, at: number): Promise<number> => {
              const [r] = await q("INSERT INTO events (type, key, data, created_at) VALUES ($1, $2, $3, $4) RETURNING cursor", [type, key, JSON.stringify(data), at])
              last = num(r!.cursor)
              return last
            }
            const a = await body(q, append)
            await client.query("COMMIT")
            if (last > 0) hub.publish(last)
            return a
          } catch (e) {
            await client.query("ROLLBACK").catch(() => {})
            throw e
          } finally {
            client.release()
          }
        },
        catch: (cause) => new StorageError({ op, message: String(cause), cause })
      })
    )

  const insertReceipts: RepositoryShape["insertReceipts"] = (rows) =>
    write("insertReceipts", async (q, append) => {
      const now = Date.now()
      const { unique, earlier } = dedupeBatch(rows)
      const outcomes: ReceiptOutcome[] = new Array(rows.length)
      const u = unique.map((i) => rows[i]!)
      const inserted = new Set<string>()
      if (u.length > 0) {
        const returned = await q(
          `INSERT INTO receipts (epoch, name_hash, witness, route_hash, signature, receipt_hash, weight, received_at)
           SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::bytea[], $4::bytea[], $5::bytea[], $6::bytea[], $7::numeric[], $8::bigint[])
           ON CONFLICT DO NOTHING RETURNING epoch, name_hash, witness`,
          [
            u.map((r) => r.epoch.toString()),
            u.map((r) => buf(r.nameHash)),
            u.map((r) => buf(r.witness)),
            u.map((r) => buf(r.routeHash)),
            u.map((r) => buf(r.signature)),
            u.map((r) => buf(r.receiptHash)),
            u.map((r) => r.weight.toString()),
            u.map(() => String(now))
          ]
        )
        for (const r of returned) inserted.add(receiptKey(big(r.epoch), u8(r.name_hash), u8(r.witness)))
      }
      const notInserted = u.filter((r) => !inserted.has(receiptKey(r.epoch, r.nameHash, r.witness)))
      const existing = new Map<string, Uint8Array>()
      if (notInserted.length > 0) {
        const prev = await q(
          `SELECT r.epoch, r.name_hash, r.witness, r.receipt_hash FROM receipts r
           JOIN unnest($1::bigint[], $2::bytea[], $3::bytea[]) AS k(epoch, name_hash, witness)
             ON r.epoch = k.epoch AND r.name_hash = k.name_hash AND r.witness = k.witness`,
          [notInserted.map((r) => r.epoch.toString()), notInserted.map((r) => buf(r.nameHash)), notInserted.map((r) => buf(r.witness))]
        )
        for (const r of prev) existing.set(receiptKey(big(r.epoch), u8(r.name_hash), u8(r.witness)), u8(r.receipt_hash))
      }
      const accepted: ReceiptRow[] = []
      for (const i of unique) {
        const r = rows[i]!
        const k = receiptKey(r.epoch, r.nameHash, r.witness)
        if (inserted.has(k)) {
          outcomes[i] = "accepted"
          accepted.push(r)
        } else outcomes[i] = sameBytes(existing.get(k)!, r.receiptHash) ? "duplicate" : "conflict"
      }
      for (let i = 0; i < rows.length; i++) {
        const first = earlier[i]
        if (first !== undefined) outcomes[i] = sameBytes(rows[first]!.receiptHash, rows[i]!.receiptHash) ? "duplicate" : "conflict"
      }
      const cursor = accepted.length > 0 ? await append(EVENT.receiptsAccepted, String(accepted.length), receiptsEventData(accepted), now) : undefined
      return { outcomes, cursor }
    })

  const receipts: RepositoryShape["receipts"] = (query) =>
    read("receipts", async (q) => {
      const where = ["epoch = $1"]
      const args: unknown[] = [query.epoch.toString()]
      if (query.nameHash) (args.push(buf(query.nameHash)), where.push(`name_hash = $${args.length}`))
      if (query.routeHash) (args.push(buf(query.routeHash)), where.push(`route_hash = $${args.length}`))
      if (query.afterWitness) (args.push(buf(query.afterWitness)), where.push(`witness > $${args.length}`))
      const limit = query.limit === undefined ? "" : (args.push(query.limit), `LIMIT $${args.length}`)
      return (await q(`SELECT * FROM receipts WHERE ${where.join(" AND ")} ORDER BY name_hash, witness ${limit}`, args)).map(toReceipt)
    })

  const receipt: RepositoryShape["receipt"] = (epoch, nameHash, witness) =>
    read("receipt", async (q) => {
      const [r] = await q("SELECT * FROM receipts WHERE epoch = $1 AND name_hash = $2 AND witness = $3", [epoch.toString(), buf(nameHash), buf(witness)])
      return r === undefined ? undefined : toReceipt(r)
    })

  const receiptGroups: RepositoryShape["receiptGroups"] = (epoch) =>
    read("receiptGroups", async (q) =>
      (await q("SELECT name_hash, route_hash, COUNT(*) AS n FROM receipts WHERE epoch = $1 GROUP BY name_hash, route_hash ORDER BY name_hash, route_hash", [epoch.toString()])).map(
        (r) => ({ nameHash: u8(r.name_hash), routeHash: u8(r.route_hash), count: num(r.n) })
      )
    )

  const countReceipts: RepositoryShape["countReceipts"] = (epoch) =>
    read("countReceipts", async (q) => {
      const [r] = epoch === undefined ? await q("SELECT COUNT(*) AS n FROM receipts") : await q("SELECT COUNT(*) AS n FROM receipts WHERE epoch = $1", [epoch.toString()])
      return num(r!.n)
    })

  const selectRoute = async (q: Query, nameHash: Uint8Array, serial: bigint): Promise<StoredRouteRecord | undefined> => {
    const [r] = await q("SELECT * FROM route_records WHERE name_hash = $1 AND serial = $2", [buf(nameHash), serial.toString()])
    return r === undefined ? undefined : toRoute(r)
  }

  const putRouteRecord: RepositoryShape["putRouteRecord"] = (row) =>
    write("putRouteRecord", async (q, append): Promise<RouteOutcome> => {
      const prev = await selectRoute(q, row.nameHash, row.serial)
      if (prev !== undefined)
        return sameBytes(prev.record, row.record) && sameBytes(prev.signature, row.signature)
          ? { _tag: "duplicate", stored: prev }
          : { _tag: "conflict", existing: prev }
      const now = Date.now()
      const cursor = await append(EVENT.routePublished, row.name, routeEventData(row), now)
      await q(
        "INSERT INTO route_records (name_hash, serial, name, name_account, record, signature, route_hash, owner, cursor, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        [buf(row.nameHash), row.serial.toString(), row.name, buf(row.nameAccount), buf(row.record), buf(row.signature), buf(row.routeHash), buf(row.owner), cursor, now]
      )
      return { _tag: "accepted", stored: { ...row, cursor, receivedAt: now } }
    })

  const latestRouteRecord: RepositoryShape["latestRouteRecord"] = (nameHash) =>
    read("latestRouteRecord", async (q) => {
      const [r] = await q("SELECT * FROM route_records WHERE name_hash = $1 ORDER BY serial DESC LIMIT 1", [buf(nameHash)])
      return r === undefined ? undefined : toRoute(r)
    })

  const routeRecord: RepositoryShape["routeRecord"] = (nameHash, serial) => read("routeRecord", (q) => selectRoute(q, nameHash, serial))

  const routeRecordByHash: RepositoryShape["routeRecordByHash"] = (nameHash, routeHash) =>
    read("routeRecordByHash", async (q) => {
      const [r] = await q("SELECT * FROM route_records WHERE name_hash = $1 AND route_hash = $2 ORDER BY serial DESC LIMIT 1", [buf(nameHash), buf(routeHash)])
      return r === undefined ? undefined : toRoute(r)
    })

  const routeRecordsSince: RepositoryShape["routeRecordsSince"] = (since, limit) =>
    read("routeRecordsSince", async (q) => (await q("SELECT * FROM route_records WHERE cursor > $1 ORDER BY cursor LIMIT $2", [since, limit])).map(toRoute))

  const selectFinality = async (q: Query, nameHash: Uint8Array, serial: bigint): Promise<StoredFinality | undefined> => {
    const [r] = await q(`${FINALITY_SELECT} WHERE f.name_hash = $1 AND f.serial = $2`, [buf(nameHash), serial.toString()])
    return r === undefined ? undefined : toFinality(r)
  }

  const putFinality: RepositoryShape["putFinality"] = (f) =>
    write("putFinality", async (q, append): Promise<FinalityOutcome> => {
      const prev = await selectFinality(q, f.nameHash, f.serial)
      if (prev !== undefined) return { _tag: "exists", stored: prev }
      const route = await selectRoute(q, f.nameHash, f.serial)
      if (route === undefined || !sameBytes(route.routeHash, f.routeHash)) return { _tag: "missing" }
      const now = Date.now()
      const cursor = await append(EVENT.routeFinalized, route.name, routeEventData(route, f.routeEpoch), now)
      await q("INSERT INTO finalities (name_hash, serial, route_hash, route_epoch, cursor, observed_at) VALUES ($1, $2, $3, $4, $5, $6)", [
        buf(f.nameHash), f.serial.toString(), buf(f.routeHash), f.routeEpoch.toString(), cursor, now
      ])
      return { _tag: "recorded", stored: { ...f, cursor, observedAt: now, route } }
    })

  const finalitiesSince: RepositoryShape["finalitiesSince"] = (since, limit) =>
    read("finalitiesSince", async (q) => (await q(`${FINALITY_SELECT} WHERE f.cursor > $1 ORDER BY f.cursor LIMIT $2`, [since, limit])).map(toFinality))

  const latestFinality: RepositoryShape["latestFinality"] = (nameHash) =>
    read("latestFinality", async (q) => {
      const [r] = await q(`${FINALITY_SELECT} WHERE f.name_hash = $1 ORDER BY f.serial DESC LIMIT 1`, [buf(nameHash)])
      return r === undefined ? undefined : toFinality(r)
    })

  const selectAggregate = async (q: Query, epoch: bigint, nameHash: Uint8Array, miner?: Uint8Array): Promise<StoredAggregate | undefined> => {
    const [r] =
      miner === undefined
        ? await q("SELECT * FROM aggregates WHERE epoch = $1 AND name_hash = $2 ORDER BY miner LIMIT 1", [epoch.toString(), buf(nameHash)])
        : await q("SELECT * FROM aggregates WHERE epoch = $1 AND name_hash = $2 AND miner = $3", [epoch.toString(), buf(nameHash), buf(miner)])
    return r === undefined ? undefined : toAggregate(r)
  }

  const putAggregate: RepositoryShape["putAggregate"] = (row, leaves) =>
    write("putAggregate", async (q, append): Promise<AggregateOutcome> => {
      const prev = await selectAggregate(q, row.epoch, row.nameHash, row.miner)
      if (prev !== undefined) return sameBytes(prev.digest, row.digest) ? { _tag: "exists", stored: prev } : { _tag: "conflict", existing: prev }
      if (leaves.length !== row.receiptCount) throw new RangeError(`${leaves.length} leaves for receipt_count ${row.receiptCount}`)
      const now = Date.now()
      const cursor = await append(EVENT.aggregateStored, `${row.epoch}/${hexOf(row.nameHash)}`, aggregateEventData(row), now)
      await q(
        `INSERT INTO aggregates (epoch, name_hash, miner, route_hash, encoding, digest, signature, receipt_root, support, receipt_count, batch_cid, cursor, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
        [row.epoch.toString(), buf(row.nameHash), buf(row.miner), buf(row.routeHash), buf(row.encoding), buf(row.digest), buf(row.signature), buf(row.receiptRoot), row.support.toString(), row.receiptCount, row.batchCid, cursor, now]
      )
      if (leaves.length > 0)
        await q(
          `INSERT INTO aggregate_leaves (epoch, name_hash, miner, idx, receipt_hash, witness, weight)
           SELECT $1::bigint, $2::bytea, $3::bytea, i - 1, h, w, x FROM unnest($4::bytea[], $5::bytea[], $6::numeric[]) WITH ORDINALITY AS t(h, w, x, i)`,
          [row.epoch.toString(), buf(row.nameHash), buf(row.miner), leaves.map((l) => buf(l.receiptHash)), leaves.map((l) => buf(l.witness)), leaves.map((l) => l.weight.toString())]
        )
      return { _tag: "stored", stored: { ...row, cursor, createdAt: now } }
    })

  const aggregate: RepositoryShape["aggregate"] = (epoch, nameHash, miner) => read("aggregate", (q) => selectAggregate(q, epoch, nameHash, miner))

  const aggregates: RepositoryShape["aggregates"] = (query) =>
    read("aggregates", async (q) => {
      const where: string[] = []
      const args: unknown[] = []
      if (query.epoch !== undefined) (args.push(query.epoch.toString()), where.push(`epoch = $${args.length}`))
      if (query.nameHash) (args.push(buf(query.nameHash)), where.push(`name_hash = $${args.length}`))
      if (query.miner) (args.push(buf(query.miner)), where.push(`miner = $${args.length}`))
      const w = where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""
      const limit = query.limit === undefined ? "" : (args.push(query.limit), `LIMIT $${args.length}`)
      return (await q(`SELECT * FROM aggregates ${w} ORDER BY epoch, name_hash, miner ${limit}`, args)).map(toAggregate)
    })

  const leaves: RepositoryShape["leaves"] = (epoch, nameHash, miner) =>
    read("leaves", async (q) =>
      (await q("SELECT receipt_hash, witness, weight FROM aggregate_leaves WHERE epoch = $1 AND name_hash = $2 AND miner = $3 ORDER BY idx", [epoch.toString(), buf(nameHash), buf(miner)])).map(
        (r): Leaf => ({ receiptHash: u8(r.receipt_hash), witness: u8(r.witness), weight: big(r.weight) })
      )
    )

  const putBatch: RepositoryShape["putBatch"] = (row) =>
    write("putBatch", async (q) => {
      await q("INSERT INTO batches (cid, epoch, name_hash, path, size, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING", [
        row.cid, row.epoch.toString(), buf(row.nameHash), row.path, row.size, Date.now()
      ])
    })

  const batch: RepositoryShape["batch"] = (cid) =>
    read("batch", async (q) => {
      const [r] = await q("SELECT * FROM batches WHERE cid = $1", [cid])
      return r === undefined ? undefined : { cid: r.cid as string, epoch: big(r.epoch), nameHash: u8(r.name_hash), path: r.path as string, size: num(r.size) }
    })

  const selectSubmission = async (q: Query, epoch: bigint, nameHash: Uint8Array): Promise<SubmissionRow | undefined> => {
    const [r] = await q("SELECT * FROM submissions WHERE epoch = $1 AND name_hash = $2", [epoch.toString(), buf(nameHash)])
    return r === undefined ? undefined : toSubmission(r)
  }

  const claimSubmission: RepositoryShape["claimSubmission"] = (epoch, nameHash, digest) =>
    write("claimSubmission", async (q, append): Promise<ClaimOutcome> => {
      const prev = await selectSubmission(q, epoch, nameHash)
      if (prev !== undefined) return sameBytes(prev.digest, digest) ? { _tag: "existing", row: prev } : { _tag: "conflict", row: prev }
      const now = Date.now()
      const row: SubmissionRow = { epoch, nameHash, digest, status: "prepared", txSignature: null, error: null, attempts: 0, createdAt: now, updatedAt: now }
      await q("INSERT INTO submissions (epoch, name_hash, digest, status, tx_signature, error, attempts, created_at, updated_at) VALUES ($1, $2, $3, $4, NULL, NULL, 0, $5, $5)", [
        epoch.toString(), buf(nameHash), buf(digest), row.status, now
      ])
      await append(EVENT.submissionUpdated, `${epoch}/${hexOf(nameHash)}`, submissionEventData(row), now)
      return { _tag: "claimed", row }
    })

  const updateSubmission: RepositoryShape["updateSubmission"] = (epoch, nameHash, patch) =>
    write("updateSubmission", async (q, append) => {
      const prev = await selectSubmission(q, epoch, nameHash)
      if (prev === undefined) throw new RangeError(`no submission for ${epoch}/${hexOf(nameHash)}`)
      const now = Date.now()
      const row: SubmissionRow = {
        ...prev,
        status: patch.status,
        txSignature: patch.txSignature === undefined ? prev.txSignature : patch.txSignature,
        error: patch.error === undefined ? prev.error : patch.error,
        attempts: prev.attempts + (patch.incrementAttempts ? 1 : 0),
        updatedAt: now
      }
      await q("UPDATE submissions SET status = $1, tx_signature = $2, error = $3, attempts = $4, updated_at = $5 WHERE epoch = $6 AND name_hash = $7", [
        row.status, row.txSignature, row.error, row.attempts, now, epoch.toString(), buf(nameHash)
      ])
      await append(EVENT.submissionUpdated, `${epoch}/${hexOf(nameHash)}`, submissionEventData(row), now)
      return row
    })

  const submission: RepositoryShape["submission"] = (epoch, nameHash) => read("submission", (q) => selectSubmission(q, epoch, nameHash))

  const submissions: RepositoryShape["submissions"] = (query) =>
    read("submissions", async (q) => {
      const where: string[] = []
      const args: unknown[] = []
      if (query.status !== undefined) (args.push(query.status), where.push(`status = $${args.length}`))
      if (query.epoch !== undefined) (args.push(query.epoch.toString()), where.push(`epoch = $${args.length}`))
      const w = where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""
      return (await q(`SELECT * FROM submissions ${w} ORDER BY epoch, name_hash`, args)).map(toSubmission)
    })

  const appendEvent: RepositoryShape["appendEvent"] = (type, key, data) => write("appendEvent", (_q, append) => append(type, key, data, Date.now()))

  const events: RepositoryShape["events"] = (query) =>
    read("events", async (q) =>
      (query.types === undefined || query.types.length === 0
        ? await q("SELECT * FROM events WHERE cursor > $1 ORDER BY cursor LIMIT $2", [query.since, query.limit])
        : await q("SELECT * FROM events WHERE cursor > $1 AND type = ANY($3::text[]) ORDER BY cursor LIMIT $2", [query.since, query.limit, query.types])
      ).map(toEvent)
    )

  const head = read("head", async (q) => num((await q("SELECT COALESCE(MAX(cursor), 0) AS c FROM events"))[0]!.c))

  // ---------------------------------------------------------------------------------- chain half

  const putPeerStatement: RepositoryShape["putPeerStatement"] = (row) =>
    write("putPeerStatement", async (q) => {
      const inserted = await q(
        `INSERT INTO peer_statements (epoch, name_hash, miner, digest, encoding, signature, source, observed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING epoch`,
        [row.epoch.toString(), buf(row.nameHash), buf(row.miner), buf(row.digest), buf(row.encoding), buf(row.signature), row.source, Date.now()]
      )
      return inserted.length === 1 ? ("stored" as const) : ("exists" as const)
    })

  const peerStatements: RepositoryShape["peerStatements"] = (query) =>
    read("peerStatements", async (q) => {
      const where = ["epoch = $1"]
      const args: unknown[] = [query.epoch.toString()]
      if (query.nameHash) (args.push(buf(query.nameHash)), where.push(`name_hash = $${args.length}`))
      if (query.miner) (args.push(buf(query.miner)), where.push(`miner = $${args.length}`))
      return (await q(`SELECT * FROM peer_statements WHERE ${where.join(" AND ")} ORDER BY observed_at, digest`, args)).map(toPeerStatement)
    })

  const selectAction = async (q: Query, key: string): Promise<ChainActionRow | undefined> => {
    const [r] = await q("SELECT * FROM chain_actions WHERE key = $1", [key])
    return r === undefined ? undefined : toAction(r)
  }

  const recordAction: RepositoryShape["recordAction"] = (input) =>
    write("recordAction", async (q) => {
      const row = nextAction(input, await selectAction(q, input.key), Date.now())
      await q(
        `INSERT INTO chain_actions (key, kind, epoch, name_hash, miner, idx, status, tx_signature, error, attempts, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (key) DO UPDATE SET status = excluded.status, tx_signature = excluded.tx_signature, error = excluded.error,
           attempts = excluded.attempts, updated_at = excluded.updated_at`,
        [row.key, row.kind, row.epoch.toString(), buf(row.nameHash), buf(row.miner), row.index, row.status, row.txSignature, row.error, row.attempts, row.createdAt, row.updatedAt]
      )
      return row
    })

  const action: RepositoryShape["action"] = (key) => read("action", (q) => selectAction(q, key))

  const actions: RepositoryShape["actions"] = (query) =>
    read("actions", async (q) => {
      const where: string[] = []
      const args: unknown[] = []
      if (query.kind !== undefined) (args.push(query.kind), where.push(`kind = $${args.length}`))
      if (query.status !== undefined) (args.push(query.status), where.push(`status = $${args.length}`))
      if (query.epoch !== undefined) (args.push(query.epoch.toString()), where.push(`epoch = $${args.length}`))
      const w = where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""
      return (await q(`SELECT * FROM chain_actions ${w} ORDER BY key`, args)).map(toAction)
    })

  return Repository.of({
    engine: "postgres",
    insertReceipts,
    receipts,
    receipt,
    receiptGroups,
    countReceipts,
    putRouteRecord,
    latestRouteRecord,
    routeRecord,
    routeRecordByHash,
    routeRecordsSince,
    putFinality,
    finalitiesSince,
    latestFinality,
    putAggregate,
    aggregate,
    aggregates,
    leaves,
    putBatch,
    batch,
    claimSubmission,
    updateSubmission,
    submission,
    submissions,
    appendEvent,
    events,
    head,
    heads: hub.subscribe,
    ping: read("ping", async (q) => void (await q("SELECT 1"))),
    putPeerStatement,
    peerStatements,
    recordAction,
    action,
    actions
  })
})

export const PostgresRepository = {
  /** A repository in the database at `url` (the schema is created if missing); the pool closes with the scope. */
  layer: (url: string): Layer.Layer<Repository, StorageError> => Layer.effect(Repository, makePostgresRepository(url))
}
