/**
 * The chain half without processes: its pure rules (route choice, leaf faults, sampling, error
 * decoding, action records), `ChainTx` against a localnet (rule ids from program errors, RPC outages
 * retried), and the duties driven step by step in-process — the way the simulator drives them: the
 * test warps the chain and calls `Cranker.tick`, `Aggregator.cutoff`, `Submitter.submitPending` and
 * `ChainLoop.tick` itself, with no timer running.
 */
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Layer, ManagedRuntime, References } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { buildAggregate } from "../../../spec/src/aggregate.ts"
import { AGGREGATE_FLAG, AggregateLayout, ROUND_STATUS, type AggregateAccount } from "../../../spec/src/accounts.ts"
import { equal, hex, u64le } from "../../../spec/src/bytes.ts"
import { decodeFixed, encodeFixed } from "../../../spec/src/layout.ts"
import { SPEC_VERSION } from "../../../spec/src/version.ts"
import { sign } from "../../../spec/src/ed25519.ts"
import { nameHash } from "../../../spec/src/name.ts"
import { aggregateDigest, encodeAggregate, encodeRouteRecord, receiptHash, routeAuthDigest, routeAuthOf } from "../../../spec/src/objects.ts"
import { LOCALNET_PARAMS } from "../../../spec/src/params.ts"
import { ruleCode } from "../../../spec/src/rules.ts"
import { findPda, seeds } from "../../../programs/client/pda.ts"
import { chooseRoute, eligible, type RouteCandidate } from "../Aggregator.ts"
import { Aggregator } from "../Aggregator.ts"
import { Audit } from "../Audit.ts"
import { ChainTx, customCodeOf, customCodeOfMessage } from "../Chain.ts"
import { ChainLoop, DutiesLive } from "../ChainLoop.ts"
import { ChainViews } from "../ChainViews.ts"
import { MinerConfig, parseConfig, type MinerSettings } from "../Config.ts"
import { Cranker } from "../Cranker.ts"
import { Identity } from "../Identity.ts"
import { SolanaRpc } from "../Rpc.ts"
import { SqliteRepository } from "../SqliteRepository.ts"
import { nextAction, Repository } from "../Storage.ts"
import { Submitter } from "../Submitter.ts"
import { AGGREGATE_OFFSET, checkStatement, findLeafFault, foreignPeer, sampleIndices } from "../Watcher.ts"
import { bootstrap, DEV_PROGRAM_ID, DEV_PROGRAM_ID_BASE58, READER, read, SOL, startNet, startRpcProxy, type Net } from "./e2e-support.ts"
import { keypair, routeHashOf, routeOf, signReceipt } from "./helpers.ts"

const W = [1, 2, 3].map((i) => keypair("ch-witness", i))
const stake = (w: Uint8Array) => BigInt(W.findIndex((k) => equal(k.publicKey, w)) + 1) * SOL

// ------------------------------------------------------------------------------------------ pure rules

describe("pure rules", () => {
  it("decodes the rule of a custom program error, from the error or its message", () => {
    expect(customCodeOf({ InstructionError: [1, { Custom: ruleCode("STK-11") }] })).toBe(911)
    expect(customCodeOf("BlockhashNotFound")).toBeUndefined()
    expect(customCodeOfMessage("Transaction simulation failed: Error processing Instruction 1: custom program error: 0x38f")).toBe(911)
  })

  it("chooses the route with the most support among authorized ones, deterministically", () => {
    const owner = keypair("ch-owner")
    const cand = (fill: number, support: bigint, serial: bigint | undefined, inRound = false): RouteCandidate => ({
      routeHash: new Uint8Array(32).fill(fill),
      receipts: [],
      weights: new Map(),
      support,
      record:
        serial === undefined
          ? undefined
          : { name: "a.dns", nameHash: new Uint8Array(32), nameAccount: new Uint8Array(32), serial, record: new Uint8Array(), signature: new Uint8Array(64), routeHash: new Uint8Array(32).fill(fill), owner: owner.publicKey, cursor: 1, receivedAt: 0 },
      inRound
    })
    const a = cand(1, 10n, 3n)
    const b = cand(2, 20n, undefined) // most support, but no owner-signed record and not in the round
    const c = cand(3, 10n, 4n)
    const d = cand(4, 5n, 1n) // at the canonical serial: a rollback
    const usable = [a, b, c, d].filter((x) => eligible(x, 1n, owner.publicKey))
    expect(usable.map((x) => x.routeHash[0])).toEqual([1, 3])
    expect(chooseRoute(usable)?.routeHash[0]).toBe(3) // tie on support: the newer serial
    expect(eligible(cand(5, 1n, undefined, true), 9n, owner.publicKey)).toBe(true) // already in the round
    expect(eligible(cand(6, 1n, 5n), 1n, keypair("someone-else").publicKey)).toBe(false)
  })

  it("samples leaves from the seed alone", () => {
    const seed = new Uint8Array(32).fill(9)
    const one = sampleIndices(seed, 3n, new Uint8Array(32), new Uint8Array(32), 100, 5)
    expect(one).toEqual(sampleIndices(seed, 3n, new Uint8Array(32), new Uint8Array(32), 100, 5))
    expect(new Set(one).size).toBe(5)
    expect(sampleIndices(seed, 3n, new Uint8Array(32), new Uint8Array(32), 3, 5)).toEqual([0, 1, 2])
  })

  it("finds every provable fault of served leaves", () => {
    const miner = keypair("ch-miner")
    const route = new Uint8Array(32).fill(7)
    const receipts = W.map((w) => signReceipt(w, 4n, "x.dns", route))
    const built = buildAggregate(receipts, stake, miner.publicKey)
    const agg = { epoch: 4n, nameHash: nameHash("x.dns"), routeHash: route } as AggregateAccount
    const served = new Map(built.receipts.map((r, i) => [i, r] as const))
    const base = { leaves: built.leaves, receipts: served, stakes: built.leaves.map((l) => l.weight), aggregate: agg, sample: [0, 1, 2] }
    expect(findLeafFault(base)).toBeUndefined()
    expect(findLeafFault({ ...base, stakes: [built.leaves[0]!.weight, 1n, built.leaves[2]!.weight] })).toEqual({ kind: "badWeight", index: 1 })
    expect(findLeafFault({ ...base, leaves: [built.leaves[0]!, built.leaves[0]!, built.leaves[2]!], stakes: [built.leaves[0]!.weight, built.leaves[0]!.weight, built.leaves[2]!.weight] })).toEqual({ kind: "badOrder", index: 0 })
    expect(findLeafFault({ ...base, receipts: new Map([[0, null], [1, served.get(1)!], [2, served.get(2)!]]) })).toEqual({ kind: "reveal", index: 0 })
    // A receipt for another route that hashes to its leaf: a provable mismatch.
    const other = signReceipt(W[0]!, 4n, "x.dns", new Uint8Array(32).fill(8))
    const leaves = [{ ...built.leaves[0]!, receiptHash: receiptHash(other.receipt, other.signature) }, ...built.leaves.slice(1)]
    const fault = findLeafFault({ ...base, leaves, receipts: new Map([[0, other], [1, served.get(1)!], [2, served.get(2)!]]) })
    expect(fault?.kind).toBe("mismatch")
  })

  it("accepts a served statement only with the miner's signature over its encoding", () => {
    const miner = keypair("ch-miner")
    const built = buildAggregate(W.map((w) => signReceipt(w, 4n, "x.dns", new Uint8Array(32).fill(7))), stake, miner.publicKey)
    const s = built.statement
    const good = { statement: s, encoding: encodeAggregate(s), signature: sign(miner, aggregateDigest(s)) }
    expect(checkStatement(good)?.statement.support).toBe(s.support)
    expect(checkStatement({ ...good, signature: sign(keypair("other"), aggregateDigest(s)) })).toBeUndefined()
    expect(checkStatement({ ...good, statement: { ...s, support: 1n } })).toBeUndefined()
  })

  it("tells statements apart by digest, batch_cid included; filters Aggregate accounts by flags and epoch", () => {
    const miner = keypair("ch-miner")
    const s = buildAggregate(W.map((w) => signReceipt(w, 4n, "x.dns", new Uint8Array(32).fill(7))), stake, miner.publicKey).statement
    const other = { ...s, batchCid: Uint8Array.of(0x01, 0x71, 0x12, 0x20, ...new Uint8Array(32).fill(3)) }
    // Same route, root, support, count: a summary without the digest cannot tell them apart.
    expect(hex(aggregateDigest(other))).not.toBe(hex(aggregateDigest(s)))
    const account = encodeFixed(AggregateLayout, { ...decodeFixed(AggregateLayout, new Uint8Array(AggregateLayout.size), "zero"), flags: AGGREGATE_FLAG.submitted, epoch: 4n })
    expect(account[AGGREGATE_OFFSET.flags]).toBe(AGGREGATE_FLAG.submitted)
    expect(account.subarray(AGGREGATE_OFFSET.epoch, AGGREGATE_OFFSET.epoch + 8)).toEqual(u64le(4n))
  })

  it("ignores peers of another program or major spec version [VER-1]", () => {
    const me = { miner: keypair("ch-peer").publicKey, programId: DEV_PROGRAM_ID, specVersion: SPEC_VERSION }
    expect(foreignPeer(me, DEV_PROGRAM_ID)).toBeUndefined()
    expect(foreignPeer({ ...me, specVersion: `${SPEC_VERSION.split(".")[0]}.9.0` }, DEV_PROGRAM_ID)).toBeUndefined()
    expect(foreignPeer({ ...me, programId: new Uint8Array(32).fill(1) }, DEV_PROGRAM_ID)).toMatch(/acts on program/)
    expect(foreignPeer({ ...me, specVersion: "99.0.0" }, DEV_PROGRAM_ID)).toMatch(/VER-1/)
  })

  it("records actions: attempts count sends, unspecified fields are kept", () => {
    const input = { key: "k", kind: "openReveal", epoch: 1n, nameHash: new Uint8Array(32), miner: new Uint8Array(32), index: 3 }
    const a = nextAction({ ...input, status: "pending" }, undefined, 10)
    const b = nextAction({ ...input, status: "sent", txSignature: "sig" }, a, 11)
    const c = nextAction({ ...input, status: "confirmed" }, b, 12)
    expect([a.attempts, b.attempts, c.attempts, c.txSignature, c.createdAt, c.updatedAt]).toEqual([0, 1, 1, "sig", 10, 12])
  })
})

// ------------------------------------------------------------------------------------------ on a chain

const admin = keypair("ch-admin")
const owner = keypair("ch-owner")
const miner = keypair("ch-miner")
const NAME = "hello.dns"
const NH = nameHash(NAME)
const record = routeOf(NAME, owner, 1n, [192, 0, 2, 3])
const ROUTE = routeHashOf(record)

let net: Net

beforeAll(async () => {
  net = await startNet()
  await bootstrap(net, { admin, owner, allowlist: [miner], witnesses: W, name: NAME }, [miner])
}, 60_000)

afterAll(async () => {
  await net?.close()
})

describe("ChainTx over JSON-RPC", () => {
  it("returns the rule a program refusal names", async () => {
    const stranger = keypair("ch-stranger")
    await net.airdrop(stranger.publicKey, 10n * SOL)
    const r = await Effect.runPromise(Effect.result(net.client(stranger).send({ kind: "minerBond", miner: stranger.publicKey, amount: 2n * SOL })))
    expect(r._tag === "Failure" && r.failure._tag === "TxRejected" ? r.failure.rule : r).toBe("STK-11")
    const again = await Effect.runPromise(Effect.result(net.client(admin).send({ kind: "initialize", authority: admin.publicKey, params: LOCALNET_PARAMS, allowlist: [] })))
    expect(again._tag === "Failure" && again.failure._tag === "TxRejected" ? again.failure.rule : again).toBe("ACC-9")
  })

  it("rides out an RPC outage with backoff", async () => {
    const proxy = await startRpcProxy(net.rpcUrl)
    try {
      const rpc = Effect.runSync(SolanaRpc.make({ urls: [proxy.url], commitment: "confirmed", timeoutMs: 2000 }))
      const chain = Effect.runSync(ChainTx.make(rpc, { programId: DEV_PROGRAM_ID, payer: admin, commitment: "confirmed", retries: 4, retryBaseMs: 40 }))
      proxy.setDown(true)
      setTimeout(() => proxy.setDown(false), 300)
      const config = await read(chain.config)
      expect(config?.currentEpoch).toBe(0n)
      // Down for good: the typed error after the retries, never a hang.
      proxy.setDown(true)
      const r = await Effect.runPromise(Effect.result(chain.slot))
      expect(r._tag === "Failure" ? r.failure._tag : r).toBe("RpcError")
    } finally {
      await proxy.close()
    }
  })
})

describe("the duties, driven step by step", () => {
  it("cranks, cuts off, submits once, finalizes — each at the slot the test sets", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dotdns-chain-half-"))
    const yaml = [
      `program_id: ${DEV_PROGRAM_ID_BASE58}`,
      `rpc: { urls: ["${net.rpcUrl}"], commitment: confirmed }`,
      "storage: { kind: sqlite, path: ':memory:' }",
      "chain: { mode: rpc }",
      "duties: { car_batches: false }"
    ].join("\n")
    const settings = parseConfig(yaml, join(dir, "miner.yaml"), {}) as MinerSettings
    expect(settings.duties.carBatches).toBe(false)
    const layer = ChainLoop.layer.pipe(
      Layer.provideMerge(DutiesLive),
      Layer.provideMerge(Audit.layer),
      Layer.provideMerge(Layer.mergeAll(SqliteRepository.layer(":memory:"), ChainViews, Identity.layerKeypair(miner))),
      Layer.provideMerge(MinerConfig.layerValue(settings)),
      Layer.provideMerge(Layer.succeed(References.MinimumLogLevel, "Warn"))
    )
    const rt = ManagedRuntime.make(layer)
    try {
      const run = <A, E>(e: Effect.Effect<A, E, Layer.Success<typeof layer>>) => rt.runPromise(e)

      // Epoch 0 → 1: the crank moves the protocol epoch and seats the miner.
      await net.warp(50n)
      expect((await run(Effect.gen(function* () { return yield* (yield* Cranker).tick }))).advanced).toEqual([1n])
      expect((await read(net.client(READER).committee(1n)))?.memberCount).toBe(1)

      // The miner's store gets a verified record and three receipts of epoch 1 (what Routes and Ingest write).
      await run(
        Effect.gen(function* () {
          const repo = yield* Repository
          yield* repo.putRouteRecord({
            name: NAME,
            nameHash: NH,
            nameAccount: findPda(seeds.name(NH), DEV_PROGRAM_ID).address,
            serial: 1n,
            record: encodeRouteRecord(record),
            signature: sign(owner, routeAuthDigest(routeAuthOf(record))),
            routeHash: ROUTE,
            owner: owner.publicKey
          })
          const rs = W.map((w) => signReceipt(w, 1n, NAME, ROUTE))
          yield* repo.insertReceipts(rs.map((r) => ({ ...r.receipt, signature: r.signature, receiptHash: receiptHash(r.receipt, r.signature), weight: stake(r.receipt.witness) })))
        })
      )

      // Before the boundary the cut-off does nothing; at slot 100 it builds one aggregate.
      expect(await run(Effect.gen(function* () { return yield* (yield* Aggregator).cutoff(1n) }))).toEqual([])
      await net.warp(100n)
      const loop1 = await run(Effect.gen(function* () { return yield* (yield* ChainLoop).tick }))
      expect(loop1.failed).toEqual([])
      expect(loop1.crank?.advanced).toEqual([2n])
      expect(loop1.cutoff?.map((c) => c._tag)).toEqual(["built"])
      expect(loop1.submit?.map((s) => s.status)).toEqual(["confirmed"])
      const onChain = await read(net.client(READER).aggregate(1n, NH, miner.publicKey))
      expect((onChain!.flags & AGGREGATE_FLAG.submitted) !== 0).toBe(true)
      expect(onChain!.support).toBe(6n * SOL)

      // Again: nothing new is signed and nothing is sent.
      const again = await run(Effect.all([Effect.gen(function* () { return yield* (yield* Aggregator).cutoff(1n) }), Effect.gen(function* () { return yield* (yield* Submitter).submitPending })]))
      expect(again[0].map((c) => c._tag)).toEqual(["exists"])
      expect(again[1].map((s) => [s.status, s.detail])).toEqual([["confirmed", undefined]])

      // At challenge_end the crank finalizes and the finality is recorded.
      await net.warp(140n)
      const loop2 = await run(Effect.gen(function* () { return yield* (yield* ChainLoop).tick }))
      expect(loop2.crank?.finalized).toEqual([`1/${hex(NH)}`])
      expect(loop2.crank?.observed).toEqual([`1/${hex(NH)}`])
      expect((await read(net.client(READER).round(1n, NH)))?.status).toBe(ROUND_STATUS.finalized)
      const sub = await run(Effect.gen(function* () { return yield* (yield* Repository).submission(1n, NH) }))
      expect([sub?.status, sub?.attempts]).toEqual(["finalized", 1])
    } finally {
      await rt.dispose()
    }
  })
})
