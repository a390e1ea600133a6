/**
 * `Repository` on SQLite (node:sqlite). WAL with `synchronous=FULL`: a commit is fsynced before it
 * returns, so a receipt acknowledged to a witness survives kill -9 and power loss [API-1]. One
 * connection, used synchronously from the event loop, serializes every write, so event cursors are
 * committed in order and a reader can never see cursor n+1 before n [API-4].
 */
import { mkdirSync } from "node:fs"
import { dirname } from "node:path"
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite"
import { Effect, Layer } from "effect"
import type { Leaf } from "../../spec/src/objects.ts"
import {
  aggregateEventData, dedupeBatch, EVENT, makeHeadHub, SCHEMA_VERSION, schemaMismatch, receiptsEventData, Repository, routeEventData, sameBytes, serialKey,
  StorageError, submissionEventData,
  type AggregateOutcome, type BatchRow, type ClaimOutcome, type FinalityOutcome, type ReceiptOutcome, type ReceiptRow,
  type RepositoryShape, type RouteOutcome, type StoredAggregate, type StoredEvent, type StoredFinality, type StoredReceipt,
  type StoredRouteRecord, type SubmissionPatch, type SubmissionRow, type SubmissionStatus,
  nextAction, type ChainActionRow, type ChainActionStatus, type StoredPeerStatement
} from "./Storage.ts"

// #region sqlite-schema
export const SQLITE_SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
  cursor INTEGER PRIMARY KEY AUTOINCREMENT,
  type TEXT NOT NULL,
  key TEXT NOT NULL,
  data TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS events_type ON events (type, cursor);
CREATE TABLE IF NOT EXISTS receipts (
  epoch INTEGER NOT NULL,
  name_hash BLOB NOT NULL,
  witness BLOB NOT NULL,
  route_hash BLOB NOT NULL,
  signature BLOB NOT NULL,
  receipt_hash BLOB NOT NULL,
  weight TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (epoch, name_hash, witness)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS route_records (
  name_hash BLOB NOT NULL,
  serial TEXT NOT NULL,
  name TEXT NOT NULL,
  name_account BLOB NOT NULL,
  record BLOB NOT NULL,
  signature BLOB NOT NULL,
  route_hash BLOB NOT NULL,
  owner BLOB NOT NULL,
  cursor INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (name_hash, serial)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS route_records_cursor ON route_records (cursor);
CREATE TABLE IF NOT EXISTS finalities (
  name_hash BLOB NOT NULL,
  serial TEXT NOT NULL,
  route_hash BLOB NOT NULL,
  route_epoch INTEGER NOT NULL,
  cursor INTEGER NOT NULL,
  observed_at INTEGER NOT NULL,
  PRIMARY KEY (name_hash, serial)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS finalities_cursor ON finalities (cursor);
CREATE TABLE IF NOT EXISTS aggregates (
  epoch INTEGER NOT NULL,
  name_hash BLOB NOT NULL,
  miner BLOB NOT NULL,
  route_hash BLOB NOT NULL,
  encoding BLOB NOT NULL,
  digest BLOB NOT NULL,
  signature BLOB NOT NULL,
  receipt_root BLOB NOT NULL,
  support TEXT NOT NULL,
  receipt_count INTEGER NOT NULL,
  batch_cid TEXT,
  cursor INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (epoch, name_hash, miner)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS aggregate_leaves (
  epoch INTEGER NOT NULL,
  name_hash BLOB NOT NULL,
  miner BLOB NOT NULL,
  idx INTEGER NOT NULL,
  receipt_hash BLOB NOT NULL,
  witness BLOB NOT NULL,
  weight TEXT NOT NULL,
  PRIMARY KEY (epoch, name_hash, miner, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS batches (
  cid TEXT PRIMARY KEY,
  epoch INTEGER NOT NULL,
  name_hash BLOB NOT NULL,
  path TEXT NOT NULL,
  size INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS submissions (
  epoch INTEGER NOT NULL,
  name_hash BLOB NOT NULL,
  digest BLOB NOT NULL,
  status TEXT NOT NULL,
  tx_signature TEXT,
  error TEXT,
  attempts INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (epoch, name_hash)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS peer_statements (
  epoch INTEGER NOT NULL,
  name_hash BLOB NOT NULL,
  miner BLOB NOT NULL,
  digest BLOB NOT NULL,
  encoding BLOB NOT NULL,
  signature BLOB NOT NULL,
  source TEXT NOT NULL,
  observed_at INTEGER NOT NULL,
  PRIMARY KEY (epoch, name_hash, miner, digest)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS chain_actions (
  key TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  name_hash BLOB NOT NULL,
  miner BLOB NOT NULL,
  idx INTEGER,
  status TEXT NOT NULL,
  tx_signature TEXT,
  error TEXT,
  attempts INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS chain_actions_kind ON chain_actions (kind, status);
INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '2');
`
// #endregion sqlite-schema

type Row = Record<string, SQLInputValue>

const u8 = (v: SQLInputValue): Uint8Array => v as Uint8Array
const num = (v: SQLInputValue): number => Number(v as bigint | number)
const big = (v: SQLInputValue): bigint => BigInt(v as bigint | number | string)
const str = (v: SQLInputValue): string => v as string
const strOrNull = (v: SQLInputValue): string | null => (v === null ? null : (v as string))

const toReceipt = (r: Row): StoredReceipt => ({
  epoch: big(r.epoch!),
  nameHash: u8(r.name_hash!),
  routeHash: u8(r.route_hash!),
  witness: u8(r.witness!),
  signature: u8(r.signature!),
  receiptHash: u8(r.receipt_hash!),
  weight: big(r.weight!),
  receivedAt: num(r.received_at!)
})

const toRoute = (r: Row): StoredRouteRecord => ({
  name: str(r.name!),
  nameHash: u8(r.name_hash!),
  nameAccount: u8(r.name_account!),
  serial: big(r.serial!),
  record: u8(r.record!),
  signature: u8(r.signature!),
  routeHash: u8(r.route_hash!),
  owner: u8(r.owner!),
  cursor: num(r.cursor!),
  receivedAt: num(r.received_at!)
})

const toAggregate = (r: Row): StoredAggregate => ({
  epoch: big(r.epoch!),
  nameHash: u8(r.name_hash!),
  miner: u8(r.miner!),
  routeHash: u8(r.route_hash!),
  encoding: u8(r.encoding!),
  digest: u8(r.digest!),
  signature: u8(r.signature!),
  receiptRoot: u8(r.receipt_root!),
  support: big(r.support!),
  receiptCount: num(r.receipt_count!),
  batchCid: strOrNull(r.batch_cid!),
  cursor: num(r.cursor!),
  createdAt: num(r.created_at!)
})

const toSubmission = (r: Row): SubmissionRow => ({
  epoch: big(r.epoch!),
  nameHash: u8(r.name_hash!),
  digest: u8(r.digest!),
  status: str(r.status!) as SubmissionStatus,
  txSignature: strOrNull(r.tx_signature!),
  error: strOrNull(r.error!),
  attempts: num(r.attempts!),
  createdAt: num(r.created_at!),
  updatedAt: num(r.updated_at!)
})

const toPeerStatement = (r: Row): StoredPeerStatement => ({
  epoch: big(r.epoch!),
  nameHash: u8(r.name_hash!),
  miner: u8(r.miner!),
  digest: u8(r.digest!),
  encoding: u8(r.encoding!),
  signature: u8(r.signature!),
  source: str(r.source!),
  observedAt: num(r.observed_at!)
})

const toAction = (r: Row): ChainActionRow => ({
  key: str(r.key!),
  kind: str(r.kind!),
  epoch: big(r.epoch!),
  nameHash: u8(r.name_hash!),
  miner: u8(r.miner!),
  index: r.idx === null ? null : num(r.idx!),
  status: str(r.status!) as ChainActionStatus,
  txSignature: strOrNull(r.tx_signature!),
  error: strOrNull(r.error!),
  attempts: num(r.attempts!),
  createdAt: num(r.created_at!),
  updatedAt: num(r.updated_at!)
})

const toEvent = (r: Row): StoredEvent => ({
  cursor: num(r.cursor!),
  type: str(r.type!),
  key: str(r.key!),
  at: num(r.created_at!),
  data: JSON.parse(str(r.data!))
})

/** Opens (creating if needed) a database with the miner's pragmas and schema. */
export const openSqlite = (path: string): DatabaseSync => {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true })
  const db = new DatabaseSync(path)
  db.exec("PRAGMA journal_mode = WAL")
  db.exec("PRAGMA synchronous = FULL")
  db.exec("PRAGMA busy_timeout = 5000")
  db.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
  const version = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined
  if (version !== undefined && version.value !== SCHEMA_VERSION) {
    db.close()
    throw new Error(schemaMismatch(version.value))
  }
  db.exec(SQLITE_SCHEMA)
  return db
}

export const makeSqliteRepository = Effect.fn("SqliteRepository.make")(function* (path: string) {
  const db = yield* Effect.acquireRelease(
    Effect.try({ try: () => openSqlite(path), catch: (cause) => new StorageError({ op: "open", message: `cannot open ${path}: ${String(cause)}`, cause }) }),
    (db) => Effect.sync(() => db.isOpen && db.close())
  )
  const hub = yield* makeHeadHub
  yield* Effect.addFinalizer(() => hub.shutdown)

  const statements = new Map<string, StatementSync>()
  const stmt = (sql: string): StatementSync => {
    let s = statements.get(sql)
    if (s === undefined) {
      s = db.prepare(sql)
      s.setReadBigInts(true)
      statements.set(sql, s)
    }
    return s
  }

  /** Runs `body` in one write transaction; the head hub hears of new events after COMMIT. */
  const write = <A>(op: string, body: () => A): Effect.Effect<A, StorageError> =>
    Effect.try({
      try: () => {
        const before = lastCursor
        db.exec("BEGIN IMMEDIATE")
        try {
          const a = body()
          db.exec("COMMIT")
          if (lastCursor !== before) hub.publish(lastCursor)
          return a
        } catch (e) {
          if (db.isTransaction) db.exec("ROLLBACK")
          lastCursor = before
          throw e
        }
      },
      catch: (cause) => new StorageError({ op, message: String(cause), cause })
    })

  const read = <A>(op: string, body: () => A): Effect.Effect<A, StorageError> =>
    Effect.try({ try: body, catch: (cause) => new StorageError({ op, message: String(cause), cause }) })

  let lastCursor = num((stmt("SELECT COALESCE(MAX(cursor), 0) AS c FROM events").get() as Row).c!)

  /** Inside a write transaction only. */
  const appendEventTx = (type: string, key: string, data: unknown, at: number): number => {
    const r = stmt("INSERT INTO events (type, key, data, created_at) VALUES (?, ?, ?, ?)").run(type, key, JSON.stringify(data), at)
    lastCursor = num(r.lastInsertRowid)
    return lastCursor
  }

  const insertReceipts: RepositoryShape["insertReceipts"] = (rows) =>
    write("insertReceipts", () => {
      const now = Date.now()
      const { unique, earlier } = dedupeBatch(rows)
      const outcomes: ReceiptOutcome[] = new Array(rows.length)
      const ins = stmt(
        "INSERT INTO receipts (epoch, name_hash, witness, route_hash, signature, receipt_hash, weight, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
      )
      const existing = stmt("SELECT receipt_hash FROM receipts WHERE epoch = ? AND name_hash = ? AND witness = ?")
      const accepted: ReceiptRow[] = []
      for (const i of unique) {
        const r = rows[i]!
        const res = ins.run(r.epoch, r.nameHash, r.witness, r.routeHash, r.signature, r.receiptHash, r.weight.toString(), now)
        if (Number(res.changes) === 1) {
          outcomes[i] = "accepted"
          accepted.push(r)
        } else {
          const prev = existing.get(r.epoch, r.nameHash, r.witness) as Row
          outcomes[i] = sameBytes(u8(prev.receipt_hash!), r.receiptHash) ? "duplicate" : "conflict"
        }
      }
      for (let i = 0; i < rows.length; i++) {
        const first = earlier[i]
        if (first !== undefined) outcomes[i] = sameBytes(rows[first]!.receiptHash, rows[i]!.receiptHash) ? "duplicate" : "conflict"
      }
      const cursor = accepted.length > 0 ? appendEventTx(EVENT.receiptsAccepted, String(accepted.length), receiptsEventData(accepted), now) : undefined
      return { outcomes, cursor }
    })

  const receipts: RepositoryShape["receipts"] = (q) =>
    read("receipts", () => {
      const where = ["epoch = ?"]
      const args: SQLInputValue[] = [q.epoch]
      if (q.nameHash) (where.push("name_hash = ?"), args.push(q.nameHash))
      if (q.routeHash) (where.push("route_hash = ?"), args.push(q.routeHash))
      if (q.afterWitness) (where.push("witness > ?"), args.push(q.afterWitness))
      args.push(q.limit ?? -1)
      return (stmt(`SELECT * FROM receipts WHERE ${where.join(" AND ")} ORDER BY name_hash, witness LIMIT ?`).all(...args) as Row[]).map(toReceipt)
    })

  const receipt: RepositoryShape["receipt"] = (epoch, nameHash, witness) =>
    read("receipt", () => {
      const r = stmt("SELECT * FROM receipts WHERE epoch = ? AND name_hash = ? AND witness = ?").get(epoch, nameHash, witness) as Row | undefined
      return r === undefined ? undefined : toReceipt(r)
    })

  const receiptGroups: RepositoryShape["receiptGroups"] = (epoch) =>
    read("receiptGroups", () =>
      (stmt("SELECT name_hash, route_hash, COUNT(*) AS n FROM receipts WHERE epoch = ? GROUP BY name_hash, route_hash ORDER BY name_hash, route_hash").all(epoch) as Row[]).map(
        (r) => ({ nameHash: u8(r.name_hash!), routeHash: u8(r.route_hash!), count: num(r.n!) })
      )
    )

  const countReceipts: RepositoryShape["countReceipts"] = (epoch) =>
    read("countReceipts", () =>
      num(((epoch === undefined ? stmt("SELECT COUNT(*) AS n FROM receipts").get() : stmt("SELECT COUNT(*) AS n FROM receipts WHERE epoch = ?").get(epoch)) as Row).n!)
    )

  const selectRoute = (nameHash: Uint8Array, serial: bigint): StoredRouteRecord | undefined => {
    const r = stmt("SELECT * FROM route_records WHERE name_hash = ? AND serial = ?").get(nameHash, serialKey(serial)) as Row | undefined
    return r === undefined ? undefined : toRoute(r)
  }

  const putRouteRecord: RepositoryShape["putRouteRecord"] = (row) =>
    write("putRouteRecord", (): RouteOutcome => {
      const prev = selectRoute(row.nameHash, row.serial)
      if (prev !== undefined)
        return sameBytes(prev.record, row.record) && sameBytes(prev.signature, row.signature)
          ? { _tag: "duplicate", stored: prev }
          : { _tag: "conflict", existing: prev }
      const now = Date.now()
      const cursor = appendEventTx(EVENT.routePublished, row.name, routeEventData(row), now)
      stmt(
        "INSERT INTO route_records (name_hash, serial, name, name_account, record, signature, route_hash, owner, cursor, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
      ).run(row.nameHash, serialKey(row.serial), row.name, row.nameAccount, row.record, row.signature, row.routeHash, row.owner, cursor, now)
      return { _tag: "accepted", stored: { ...row, cursor, receivedAt: now } }
    })

  const latestRouteRecord: RepositoryShape["latestRouteRecord"] = (nameHash) =>
    read("latestRouteRecord", () => {
      const r = stmt("SELECT * FROM route_records WHERE name_hash = ? ORDER BY serial DESC LIMIT 1").get(nameHash) as Row | undefined
      return r === undefined ? undefined : toRoute(r)
    })

  const routeRecord: RepositoryShape["routeRecord"] = (nameHash, serial) => read("routeRecord", () => selectRoute(nameHash, serial))

  const routeRecordByHash: RepositoryShape["routeRecordByHash"] = (nameHash, routeHash) =>
    read("routeRecordByHash", () => {
      const r = stmt("SELECT * FROM route_records WHERE name_hash = ? AND route_hash = ? ORDER BY serial DESC LIMIT 1").get(nameHash, routeHash) as Row | undefined
      return r === undefined ? undefined : toRoute(r)
    })

  const routeRecordsSince: RepositoryShape["routeRecordsSince"] = (since, limit) =>
    read("routeRecordsSince", () => (stmt("SELECT * FROM route_records WHERE cursor > ? ORDER BY cursor LIMIT ?").all(since, limit) as Row[]).map(toRoute))

  const selectAggregate = (epoch: bigint, nameHash: Uint8Array, miner?: Uint8Array): StoredAggregate | undefined => {
    const r = (
      miner === undefined
        ? stmt("SELECT * FROM aggregates WHERE epoch = ? AND name_hash = ? ORDER BY miner LIMIT 1").get(epoch, nameHash)
        : stmt("SELECT * FROM aggregates WHERE epoch = ? AND name_hash = ? AND miner = ?").get(epoch, nameHash, miner)
    ) as Row | undefined
    return r === undefined ? undefined : toAggregate(r)
  }

  const putAggregate: RepositoryShape["putAggregate"] = (row, leaves) =>
    write("putAggregate", (): AggregateOutcome => {
      const prev = selectAggregate(row.epoch, row.nameHash, row.miner)
      if (prev !== undefined) return sameBytes(prev.digest, row.digest) ? { _tag: "exists", stored: prev } : { _tag: "conflict", existing: prev }
      if (leaves.length !== row.receiptCount) throw new RangeError(`${leaves.length} leaves for receipt_count ${row.receiptCount}`)
      const now = Date.now()
      const cursor = appendEventTx(EVENT.aggregateStored, `${row.epoch}/${Buffer.from(row.nameHash).toString("hex")}`, aggregateEventData(row), now)
      stmt(
        "INSERT INTO aggregates (epoch, name_hash, miner, route_hash, encoding, digest, signature, receipt_root, support, receipt_count, batch_cid, cursor, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
      ).run(row.epoch, row.nameHash, row.miner, row.routeHash, row.encoding, row.digest, row.signature, row.receiptRoot, row.support.toString(), row.receiptCount, row.batchCid, cursor, now)
      const ins = stmt("INSERT INTO aggregate_leaves (epoch, name_hash, miner, idx, receipt_hash, witness, weight) VALUES (?, ?, ?, ?, ?, ?, ?)")
      leaves.forEach((l, i) => ins.run(row.epoch, row.nameHash, row.miner, i, l.receiptHash, l.witness, l.weight.toString()))
      return { _tag: "stored", stored: { ...row, cursor, createdAt: now } }
    })

  const aggregate: RepositoryShape["aggregate"] = (epoch, nameHash, miner) => read("aggregate", () => selectAggregate(epoch, nameHash, miner))

  const aggregates: RepositoryShape["aggregates"] = (q) =>
    read("aggregates", () => {
      const where: string[] = []
      const args: SQLInputValue[] = []
      if (q.epoch !== undefined) (where.push("epoch = ?"), args.push(q.epoch))
      if (q.nameHash) (where.push("name_hash = ?"), args.push(q.nameHash))
      if (q.miner) (where.push("miner = ?"), args.push(q.miner))
      args.push(q.limit ?? -1)
      const w = where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""
      return (stmt(`SELECT * FROM aggregates ${w} ORDER BY epoch, name_hash, miner LIMIT ?`).all(...args) as Row[]).map(toAggregate)
    })

  const leaves: RepositoryShape["leaves"] = (epoch, nameHash, miner) =>
    read("leaves", () =>
      (stmt("SELECT receipt_hash, witness, weight FROM aggregate_leaves WHERE epoch = ? AND name_hash = ? AND miner = ? ORDER BY idx").all(epoch, nameHash, miner) as Row[]).map(
        (r): Leaf => ({ receiptHash: u8(r.receipt_hash!), witness: u8(r.witness!), weight: big(r.weight!) })
      )
    )

  const putBatch: RepositoryShape["putBatch"] = (row) =>
    write("putBatch", () => {
      stmt("INSERT OR IGNORE INTO batches (cid, epoch, name_hash, path, size, created_at) VALUES (?, ?, ?, ?, ?, ?)").run(row.cid, row.epoch, row.nameHash, row.path, row.size, Date.now())
    })

  const batch: RepositoryShape["batch"] = (cid) =>
    read("batch", () => {
      const r = stmt("SELECT * FROM batches WHERE cid = ?").get(cid) as Row | undefined
      return r === undefined ? undefined : { cid: str(r.cid!), epoch: big(r.epoch!), nameHash: u8(r.name_hash!), path: str(r.path!), size: num(r.size!) } satisfies BatchRow
    })

  const selectSubmission = (epoch: bigint, nameHash: Uint8Array): SubmissionRow | undefined => {
    const r = stmt("SELECT * FROM submissions WHERE epoch = ? AND name_hash = ?").get(epoch, nameHash) as Row | undefined
    return r === undefined ? undefined : toSubmission(r)
  }

  const claimSubmission: RepositoryShape["claimSubmission"] = (epoch, nameHash, digest) =>
    write("claimSubmission", (): ClaimOutcome => {
      const prev = selectSubmission(epoch, nameHash)
      if (prev !== undefined) return sameBytes(prev.digest, digest) ? { _tag: "existing", row: prev } : { _tag: "conflict", row: prev }
      const now = Date.now()
      const row: SubmissionRow = { epoch, nameHash, digest, status: "prepared", txSignature: null, error: null, attempts: 0, createdAt: now, updatedAt: now }
      stmt("INSERT INTO submissions (epoch, name_hash, digest, status, tx_signature, error, attempts, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)").run(
        epoch, nameHash, digest, row.status, null, null, 0, now, now
      )
      appendEventTx(EVENT.submissionUpdated, `${epoch}/${Buffer.from(nameHash).toString("hex")}`, submissionEventData(row), now)
      return { _tag: "claimed", row }
    })

  const updateSubmission: RepositoryShape["updateSubmission"] = (epoch, nameHash, patch: SubmissionPatch) =>
    write("updateSubmission", () => {
      const prev = selectSubmission(epoch, nameHash)
      if (prev === undefined) throw new RangeError(`no submission for ${epoch}/${Buffer.from(nameHash).toString("hex")}`)
      const now = Date.now()
      const row: SubmissionRow = {
        ...prev,
        status: patch.status,
        txSignature: patch.txSignature === undefined ? prev.txSignature : patch.txSignature,
        error: patch.error === undefined ? prev.error : patch.error,
        attempts: prev.attempts + (patch.incrementAttempts ? 1 : 0),
        updatedAt: now
      }
      stmt("UPDATE submissions SET status = ?, tx_signature = ?, error = ?, attempts = ?, updated_at = ? WHERE epoch = ? AND name_hash = ?").run(
        row.status, row.txSignature, row.error, row.attempts, now, epoch, nameHash
      )
      appendEventTx(EVENT.submissionUpdated, `${epoch}/${Buffer.from(nameHash).toString("hex")}`, submissionEventData(row), now)
      return row
    })

  const submission: RepositoryShape["submission"] = (epoch, nameHash) => read("submission", () => selectSubmission(epoch, nameHash))

  const submissions: RepositoryShape["submissions"] = (q) =>
    read("submissions", () => {
      const where: string[] = []
      const args: SQLInputValue[] = []
      if (q.status !== undefined) (where.push("status = ?"), args.push(q.status))
      if (q.epoch !== undefined) (where.push("epoch = ?"), args.push(q.epoch))
      const w = where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""
      return (stmt(`SELECT * FROM submissions ${w} ORDER BY epoch, name_hash`).all(...args) as Row[]).map(toSubmission)
    })

  const appendEvent: RepositoryShape["appendEvent"] = (type, key, data) => write("appendEvent", () => appendEventTx(type, key, data, Date.now()))

  const events: RepositoryShape["events"] = (q) =>
    read("events", () => {
      if (q.types === undefined || q.types.length === 0)
        return (stmt("SELECT * FROM events WHERE cursor > ? ORDER BY cursor LIMIT ?").all(q.since, q.limit) as Row[]).map(toEvent)
      const marks = q.types.map(() => "?").join(", ")
      return (stmt(`SELECT * FROM events WHERE cursor > ? AND type IN (${marks}) ORDER BY cursor LIMIT ?`).all(q.since, ...q.types, q.limit) as Row[]).map(toEvent)
    })

  const FINALITY_SELECT =
    "SELECT f.serial AS f_serial, f.route_hash AS f_route_hash, f.route_epoch, f.cursor AS f_cursor, f.observed_at, r.* FROM finalities f JOIN route_records r ON r.name_hash = f.name_hash AND r.serial = f.serial"
  const toFinality = (r: Row): StoredFinality => ({
    nameHash: u8(r.name_hash!),
    serial: big(r.f_serial!),
    routeHash: u8(r.f_route_hash!),
    routeEpoch: big(r.route_epoch!),
    cursor: num(r.f_cursor!),
    observedAt: num(r.observed_at!),
    route: toRoute(r)
  })
  const selectFinality = (nameHash: Uint8Array, serial: bigint): StoredFinality | undefined => {
    const r = stmt(`${FINALITY_SELECT} WHERE f.name_hash = ? AND f.serial = ?`).get(nameHash, serialKey(serial)) as Row | undefined
    return r === undefined ? undefined : toFinality(r)
  }

  const putFinality: RepositoryShape["putFinality"] = (f) =>
    write("putFinality", (): FinalityOutcome => {
      const prev = selectFinality(f.nameHash, f.serial)
      if (prev !== undefined) return { _tag: "exists", stored: prev }
      const route = selectRoute(f.nameHash, f.serial)
      if (route === undefined || !sameBytes(route.routeHash, f.routeHash)) return { _tag: "missing" }
      const now = Date.now()
      const cursor = appendEventTx(EVENT.routeFinalized, route.name, routeEventData(route, f.routeEpoch), now)
      stmt("INSERT INTO finalities (name_hash, serial, route_hash, route_epoch, cursor, observed_at) VALUES (?, ?, ?, ?, ?, ?)").run(
        f.nameHash, serialKey(f.serial), f.routeHash, f.routeEpoch, cursor, now
      )
      return { _tag: "recorded", stored: { ...f, cursor, observedAt: now, route } }
    })

  const finalitiesSince: RepositoryShape["finalitiesSince"] = (since, limit) =>
    read("finalitiesSince", () => (stmt(`${FINALITY_SELECT} WHERE f.cursor > ? ORDER BY f.cursor LIMIT ?`).all(since, limit) as Row[]).map(toFinality))

  const latestFinality: RepositoryShape["latestFinality"] = (nameHash) =>
    read("latestFinality", () => {
      const r = stmt(`${FINALITY_SELECT} WHERE f.name_hash = ? ORDER BY f.serial DESC LIMIT 1`).get(nameHash) as Row | undefined
      return r === undefined ? undefined : toFinality(r)
    })

  // ---------------------------------------------------------------------------------- chain half

  const putPeerStatement: RepositoryShape["putPeerStatement"] = (row) =>
    write("putPeerStatement", () => {
      const r = stmt(
        "INSERT INTO peer_statements (epoch, name_hash, miner, digest, encoding, signature, source, observed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
      ).run(row.epoch, row.nameHash, row.miner, row.digest, row.encoding, row.signature, row.source, Date.now())
      return Number(r.changes) === 1 ? "stored" : "exists"
    })

  const peerStatements: RepositoryShape["peerStatements"] = (q) =>
    read("peerStatements", () => {
      const where = ["epoch = ?"]
      const args: SQLInputValue[] = [q.epoch]
      if (q.nameHash) (where.push("name_hash = ?"), args.push(q.nameHash))
      if (q.miner) (where.push("miner = ?"), args.push(q.miner))
      return (stmt(`SELECT * FROM peer_statements WHERE ${where.join(" AND ")} ORDER BY observed_at, digest`).all(...args) as Row[]).map(toPeerStatement)
    })

  const selectAction = (key: string): ChainActionRow | undefined => {
    const r = stmt("SELECT * FROM chain_actions WHERE key = ?").get(key) as Row | undefined
    return r === undefined ? undefined : toAction(r)
  }

  const recordAction: RepositoryShape["recordAction"] = (input) =>
    write("recordAction", () => {
      const row = nextAction(input, selectAction(input.key), Date.now())
      stmt(
        `INSERT INTO chain_actions (key, kind, epoch, name_hash, miner, idx, status, tx_signature, error, attempts, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET status = excluded.status, tx_signature = excluded.tx_signature, error = excluded.error,
           attempts = excluded.attempts, updated_at = excluded.updated_at`
      ).run(row.key, row.kind, row.epoch, row.nameHash, row.miner, row.index, row.status, row.txSignature, row.error, row.attempts, row.createdAt, row.updatedAt)
      return row
    })

  const action: RepositoryShape["action"] = (key) => read("action", () => selectAction(key))

  const actions: RepositoryShape["actions"] = (q) =>
    read("actions", () => {
      const where: string[] = []
      const args: SQLInputValue[] = []
      if (q.kind !== undefined) (where.push("kind = ?"), args.push(q.kind))
      if (q.status !== undefined) (where.push("status = ?"), args.push(q.status))
      if (q.epoch !== undefined) (where.push("epoch = ?"), args.push(q.epoch))
      const w = where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""
      return (stmt(`SELECT * FROM chain_actions ${w} ORDER BY key`).all(...args) as Row[]).map(toAction)
    })

  return Repository.of({
    engine: "sqlite",
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
    head: Effect.sync(() => lastCursor),
    heads: hub.subscribe,
    ping: read("ping", () => void stmt("SELECT 1").get()),
    putPeerStatement,
    peerStatements,
    recordAction,
    action,
    actions
  })
})

export const SqliteRepository = {
  /** A repository in the SQLite file at `path` (":memory:" for tests), closed with the layer's scope. */
  layer: (path: string): Layer.Layer<Repository, StorageError> => Layer.effect(Repository, makeSqliteRepository(path))
}
