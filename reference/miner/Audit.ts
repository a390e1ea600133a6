/**
 * Audit data [API-5]: the miner's aggregates, their leaves with the signed receipts behind them,
 * inclusion proofs that verify against the on-chain root with the spec's `verifyInclusion`, and the CAR
 * batches of their receipts. The chain half writes through `publish` after it has signed a statement;
 * everything else only reads it back.
 */
import { mkdirSync, openSync, closeSync, fsyncSync, readFileSync, renameSync, writeSync } from "node:fs"
import { join } from "node:path"
import { Context, Data, Effect, Layer } from "effect"
import { HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { decodeAccount } from "../../programs/client/decode.ts"
import { findPda, seeds } from "../../programs/client/pda.ts"
import { equal, hex } from "../../spec/src/bytes.ts"
import { verify } from "../../spec/src/ed25519.ts"
import { ProtocolError } from "../../spec/src/errors.ts"
import { buildLevels, inclusionPath, leafNode, verifyInclusion, type SumNode } from "../../spec/src/merkle.ts"
import { rootOfLeaves } from "../../spec/src/merkle-fast.ts"
import { nameHash, normalizeName } from "../../spec/src/name.ts"
import type { BuiltAggregate } from "../../spec/src/aggregate.ts"
import { aggregateDigest, decodeAggregate, encodeAggregate, type Leaf } from "../../spec/src/objects.ts"
import { BadRequest, MinerApi, NotFound, Unavailable } from "./Api.ts"
import { parseCid, type ReceiptCar } from "./Car.ts"

export { carOf } from "./Car.ts"
import { parseKey } from "../config/yaml-config.ts"
import { MinerConfig } from "./Config.ts"
import { Identity } from "./Identity.ts"
import { SolanaRpc } from "./Rpc.ts"
import type { AggregateSummaryJson, LeavesResponse, MinerAggregateResponse, ProofJson, RootJson } from "./schemas.ts"
import { Repository, type AggregateOutcome, type BatchRow, type StorageError, type StoredAggregate, type StoredReceipt } from "./Storage.ts"

// ------------------------------------------------------------------------------------------- errors

export class AuditNotFound extends Data.TaggedError("AuditNotFound")<{ readonly message: string }> {}
export class AuditError extends Data.TaggedError("AuditError")<{ readonly message: string }> {}

// ------------------------------------------------------------------------------------------ helpers

/** Writes a file so that it is either absent or complete and durable (temp file, fsync, rename). */
export const writeFileDurably = (path: string, bytes: Uint8Array): void => {
  const tmp = `${path}.tmp-${process.pid}`
  const fd = openSync(tmp, "w", 0o644)
  try {
    writeSync(fd, bytes)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, path)
  const dir = openSync(join(path, ".."), "r")
  try {
    fsyncSync(dir)
  } finally {
    closeSync(dir)
  }
}

export interface Proof {
  readonly aggregate: StoredAggregate
  readonly index: number
  readonly size: number
  readonly leaf: Leaf
  readonly leafNode: SumNode
  readonly path: readonly SumNode[]
  readonly root: SumNode
}

/** The inclusion proof of leaf `index`, checked with the spec's verifier before it is served. */
export const proveLeaf = (aggregate: StoredAggregate, leaves: readonly Leaf[], index: number): Proof | AuditError | AuditNotFound => {
  if (index >= leaves.length) return new AuditNotFound({ message: `leaf ${index} is outside an aggregate of ${leaves.length}` })
  const levels = buildLevels(leaves.map(leafNode))
  const root = levels[levels.length - 1]![0]!
  if (!equal(root.hash, aggregate.receiptRoot) || root.sum !== aggregate.support)
    return new AuditError({ message: "stored leaves do not rebuild the stored root" })
  const path = inclusionPath(levels, index)
  const node = levels[0]![index]!
  if (!verifyInclusion(node, index, leaves.length, path, root)) return new AuditError({ message: "inclusion proof does not verify" })
  return { aggregate, index, size: leaves.length, leaf: leaves[index]!, leafNode: node, path, root }
}

/** A `GET /v1/roots/{epoch}` entry: the summary, with the statement digest and signature a watcher compares. */
export const rootEntryOf = (a: StoredAggregate): RootJson => ({
  nameHash: a.nameHash,
  routeHash: a.routeHash,
  receiptRoot: a.receiptRoot,
  support: a.support,
  receiptCount: a.receiptCount,
  miner: a.miner,
  statementHash: a.digest,
  signature: a.signature
})

export const summaryOf = (a: StoredAggregate): AggregateSummaryJson => ({ epoch: a.epoch, ...rootEntryOf(a), batchCid: a.batchCid, cursor: a.cursor })

// ------------------------------------------------------------------------------------------ service

export interface PublishInput {
  /** The aggregate as `buildAggregate` built it; `built.statement` is what was signed (batch_cid set when it carries a batch). */
  readonly built: BuiltAggregate
  readonly signature: Uint8Array
  /** The CAR batch (`carOf`), when the statement carries its CID. */
  readonly car?: ReceiptCar
}

/** What an on-chain `Aggregate` account says of a statement; undefined when not read. */
export interface OnChain {
  readonly onChain: boolean
  readonly flags: number
}

export class Audit extends Context.Service<
  Audit,
  {
    /**
     * Stores a signed aggregate so the audit endpoints serve it: for the chain half, after signing. The
     * leaves must rebuild the statement's root and support, the signature must be the statement
     * miner's, and a CAR must be the one the statement names.
     */
    publish(input: PublishInput): Effect.Effect<AggregateOutcome, AuditError>
    /** Writes a CAR batch into data_dir/batches (durably) and records it. */
    storeBatch(car: ReceiptCar, epoch: bigint, nameHash: Uint8Array): Effect.Effect<BatchRow, AuditError>
    aggregates(q: { readonly epoch?: bigint; readonly nameHash?: Uint8Array; readonly miner?: Uint8Array; readonly limit?: number }): Effect.Effect<readonly StoredAggregate[], AuditError>
    aggregate(epoch: bigint, nameHash: Uint8Array, miner: Uint8Array): Effect.Effect<StoredAggregate, AuditNotFound | AuditError>
    leaves(epoch: bigint, nameHash: Uint8Array, miner: Uint8Array): Effect.Effect<readonly Leaf[], AuditNotFound | AuditError>
    proof(epoch: bigint, nameHash: Uint8Array, miner: Uint8Array, index: number): Effect.Effect<Proof, AuditNotFound | AuditError>
    /** Whether the statement is on-chain (its Aggregate account holds its hash), read over RPC in rpc mode. */
    onChain(a: StoredAggregate): Effect.Effect<OnChain>
    batchBytes(cid: string): Effect.Effect<Uint8Array, AuditNotFound | AuditError>
  }
>()("dotdns/miner/Audit") {
  static readonly layer = Layer.effect(
    Audit,
    Effect.gen(function* () {
      const repo = yield* Repository
      const config = yield* MinerConfig
      const rpc = yield* SolanaRpc
      const batchDir = join(config.dataDir, "batches")
      yield* Effect.sync(() => mkdirSync(batchDir, { recursive: true }))
      const storageDown = (e: StorageError) => new AuditError({ message: `storage: ${e.message}` })

      const storeBatch = Effect.fn("Audit.storeBatch")(function* (car: ReceiptCar, epoch: bigint, h: Uint8Array) {
        const path = join(batchDir, `${car.cid}.car`)
        yield* Effect.try({ try: () => writeFileDurably(path, car.bytes), catch: (e) => new AuditError({ message: `cannot write ${path}: ${String(e)}` }) })
        const row: BatchRow = { cid: car.cid, epoch, nameHash: h, path, size: car.bytes.length }
        yield* repo.putBatch(row).pipe(Effect.mapError(storageDown))
        return row
      })

      const publish = Effect.fn("Audit.publish")(function* (input: PublishInput) {
        const s = input.built.statement
        const leaves = input.built.leaves
        const digest = aggregateDigest(s)
        if (!verify(s.miner, digest, input.signature)) return yield* new AuditError({ message: "the signature is not the statement miner's [AGG-1]" })
        if (leaves.length !== s.receiptCount) return yield* new AuditError({ message: `${leaves.length} leaves for receipt_count ${s.receiptCount}` })
        const root = rootOfLeaves(leaves)
        if (!equal(root.hash, s.receiptRoot) || root.sum !== s.support) return yield* new AuditError({ message: "the leaves do not rebuild the statement's root and support" })
        if (input.car !== undefined) {
          if (s.batchCid === null || !equal(s.batchCid, input.car.cidBytes)) return yield* new AuditError({ message: "the statement's batch_cid is not the CAR's root CID" })
          yield* storeBatch(input.car, s.epoch, s.nameHash)
        }
        return yield* repo
          .putAggregate(
            {
              epoch: s.epoch,
              nameHash: s.nameHash,
              routeHash: s.routeHash,
              miner: s.miner,
              encoding: encodeAggregate(s),
              digest,
              signature: input.signature,
              receiptRoot: s.receiptRoot,
              support: s.support,
              receiptCount: s.receiptCount,
              batchCid: input.car?.cid ?? null
            },
            leaves
          )
          .pipe(Effect.mapError(storageDown))
      })

      const aggregate = Effect.fn("Audit.aggregate")(function* (epoch: bigint, h: Uint8Array, miner: Uint8Array) {
        const a = yield* repo.aggregate(epoch, h, miner).pipe(Effect.mapError(storageDown))
        if (a === undefined) return yield* new AuditNotFound({ message: `no aggregate of miner ${hex(miner)} for epoch ${epoch}, name_hash ${hex(h)}` })
        return a
      })

      const leaves = Effect.fn("Audit.leaves")(function* (epoch: bigint, h: Uint8Array, miner: Uint8Array) {
        const a = yield* aggregate(epoch, h, miner)
        return yield* repo.leaves(a.epoch, a.nameHash, a.miner).pipe(Effect.mapError(storageDown))
      })

      const proof = Effect.fn("Audit.proof")(function* (epoch: bigint, h: Uint8Array, miner: Uint8Array, index: number) {
        const a = yield* aggregate(epoch, h, miner)
        const ls = yield* repo.leaves(a.epoch, a.nameHash, a.miner).pipe(Effect.mapError(storageDown))
        const p = proveLeaf(a, ls, index)
        if (p instanceof AuditError || p instanceof AuditNotFound) return yield* p
        return p
      })

      const onChain = (a: StoredAggregate): Effect.Effect<OnChain> =>
        config.chain.mode !== "rpc"
          ? Effect.succeed({ onChain: false, flags: 0 })
          : rpc.getAccountInfo(findPda(seeds.aggregate(a.epoch, a.nameHash, a.miner), config.programId).address).pipe(
              Effect.map((acc) => {
                const account = acc !== undefined && equal(acc.owner, config.programId) ? decodeAccount("Aggregate", acc.data) : undefined
                return account !== undefined && equal(account.statementHash, a.digest) ? { onChain: true, flags: account.flags } : { onChain: false, flags: 0 }
              }),
              Effect.orElseSucceed(() => ({ onChain: false, flags: 0 }))
            )

      const batchBytes = Effect.fn("Audit.batchBytes")(function* (cid: string) {
        const row = yield* repo.batch(cid).pipe(Effect.mapError(storageDown))
        if (row === undefined) return yield* new AuditNotFound({ message: `no batch ${cid}` })
        return yield* Effect.try({ try: () => new Uint8Array(readFileSync(row.path)), catch: (e) => new AuditError({ message: `cannot read ${row.path}: ${String(e)}` }) })
      })

      return Audit.of({
        publish,
        storeBatch,
        aggregates: (q) => repo.aggregates(q).pipe(Effect.mapError(storageDown)),
        aggregate,
        leaves,
        proof,
        onChain,
        batchBytes
      })
    })
  )
}

// --------------------------------------------------------------------------------------------- HTTP

const nameHashOf = (input: string): Uint8Array | BadRequest => {
  if (/^[0-9a-f]{64}$/.test(input)) return new Uint8Array(Buffer.from(input, "hex"))
  const n = normalizeName(input)
  return n instanceof ProtocolError ? new BadRequest({ rule: n.rule, message: n.message }) : nameHash(n)
}

const keyOf = (input: string): Uint8Array | BadRequest => parseKey(input) ?? new BadRequest({ message: `"${input}" is not a 32-byte key (64 hex digits or base58)` })

const auditFailure = <A>(e: AuditNotFound | AuditError): Effect.Effect<A, NotFound | Unavailable> =>
  e._tag === "AuditNotFound" ? Effect.fail(new NotFound({ message: e.message })) : Effect.fail(new Unavailable({ message: e.message }))

const unavailable = (e: AuditError) => new Unavailable({ message: e.message })

const proofJson = (p: Proof, r: StoredReceipt | undefined): ProofJson => ({
  index: p.index,
  size: p.size,
  leaf: p.leaf,
  path: p.path,
  root: p.root,
  leafNode: p.leafNode,
  receipt:
    r !== undefined && equal(r.receiptHash, p.leaf.receiptHash)
      ? { receipt: { epoch: r.epoch, nameHash: r.nameHash, routeHash: r.routeHash, witness: r.witness }, signature: r.signature }
      : null
})

export const AuditHttp = HttpApiBuilder.group(MinerApi, "audit", (handlers) =>
  Effect.gen(function* () {
    const audit = yield* Audit
    const repo = yield* Repository
    const identity = yield* Identity
    const receiptOf = (epoch: bigint, h: Uint8Array, witness: Uint8Array) => repo.receipt(epoch, h, witness).pipe(Effect.mapError((e) => new Unavailable({ message: e.message })))

    const proofFor = (epoch: bigint, h: Uint8Array, miner: Uint8Array, index: number) =>
      Effect.gen(function* () {
        const p = yield* audit.proof(epoch, h, miner, index).pipe(Effect.catch(auditFailure<never>))
        return proofJson(p, yield* receiptOf(epoch, h, p.leaf.witness))
      })

    return handlers
      .handle("roots", ({ params }) =>
        Effect.gen(function* () {
          const rows = yield* audit.aggregates({ epoch: params.epoch, miner: identity.publicKey }).pipe(Effect.mapError(unavailable))
          return { roots: rows.map(rootEntryOf) }
        })
      )
      .handle("list", ({ query }) =>
        Effect.gen(function* () {
          const h = query.name === undefined ? undefined : nameHashOf(query.name)
          if (h instanceof BadRequest) return yield* h
          const miner = query.miner === undefined ? undefined : keyOf(query.miner)
          if (miner instanceof BadRequest) return yield* miner
          const rows = yield* audit.aggregates({ epoch: query.epoch, nameHash: h, miner, limit: query.limit ?? 100 }).pipe(Effect.mapError(unavailable))
          return { aggregates: rows.map(summaryOf) }
        })
      )
      .handle("round", ({ params }) =>
        Effect.gen(function* () {
          const rows = yield* audit.aggregates({ epoch: params.epoch, nameHash: params.nameHash }).pipe(Effect.mapError(unavailable))
          const chain = yield* Effect.forEach(rows, audit.onChain, { concurrency: 8 })
          return {
            aggregates: rows.map((a, i) => ({ statement: decodeAggregate(a.encoding), statementHash: a.digest, signature: a.signature, onChain: chain[i]!.onChain, flags: chain[i]!.flags }))
          }
        })
      )
      .handle("get", ({ params }) =>
        Effect.gen(function* () {
          const miner = keyOf(params.miner)
          if (miner instanceof BadRequest) return yield* miner
          const a = yield* audit.aggregate(params.epoch, params.nameHash, miner).pipe(Effect.catch(auditFailure<never>))
          return { statement: decodeAggregate(a.encoding), signature: a.signature, statementHash: a.digest, encoding: a.encoding, batchCid: a.batchCid } satisfies MinerAggregateResponse
        })
      )
      .handle("leaves", ({ params, query }) =>
        Effect.gen(function* () {
          const miner = keyOf(params.miner)
          if (miner instanceof BadRequest) return yield* miner
          const all = yield* audit.leaves(params.epoch, params.nameHash, miner).pipe(Effect.catch(auditFailure<never>))
          const offset = query.offset ?? 0
          const page = all.slice(offset, offset + (query.limit ?? 1000))
          // The signed receipts behind the page, one read for all of them (the receipts share epoch and name).
          const stored = page.length === 0 ? [] : yield* repo.receipts({ epoch: params.epoch, nameHash: params.nameHash }).pipe(Effect.mapError((e) => new Unavailable({ message: e.message })))
          const byHash = new Map(stored.map((r) => [hex(r.receiptHash), r]))
          return {
            leaves: page.map((leaf, i) => {
              const r = byHash.get(hex(leaf.receiptHash))
              return {
                index: offset + i,
                leaf,
                receipt: r === undefined ? null : { receipt: { epoch: r.epoch, nameHash: r.nameHash, routeHash: r.routeHash, witness: r.witness }, signature: r.signature }
              }
            }),
            next: offset + page.length < all.length ? offset + page.length : null
          } satisfies LeavesResponse
        })
      )
      .handle("proof", ({ params }) =>
        Effect.gen(function* () {
          const miner = keyOf(params.miner)
          if (miner instanceof BadRequest) return yield* miner
          return yield* proofFor(params.epoch, params.nameHash, miner, params.index)
        })
      )
      .handle("ownProof", ({ params }) => proofFor(params.epoch, params.nameHash, identity.publicKey, params.index))
      .handle("batch", ({ params }) =>
        Effect.gen(function* () {
          if (parseCid(params.cid) === undefined) return yield* new BadRequest({ message: "not a CID" })
          const bytes = yield* audit.batchBytes(params.cid).pipe(Effect.catch(auditFailure<never>))
          return HttpServerResponse.uint8Array(bytes, { contentType: "application/vnd.ipld.car" })
        })
      )
  })
)
