/**
 * Audit endpoints [API-5] with the chain half's write path played by the test: receipts go in over
 * HTTP, then — as the aggregator will at cut-off — they are read back from storage, built into an
 * aggregate by the spec's `buildAggregate`, batched into a CAR, signed by the miner's identity and
 * published through `Audit.publish`. The miner process then serves them, and every proof verifies.
 */
import { join } from "node:path"
import { Effect, Layer } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { buildAggregate } from "../../../spec/src/aggregate.ts"
import { fromHex, hex } from "../../../spec/src/bytes.ts"
import { verify } from "../../../spec/src/ed25519.ts"
import { leafNode, verifyInclusion } from "../../../spec/src/merkle.ts"
import { nameHash } from "../../../spec/src/name.ts"
import { aggregateDigest, decodeAggregate, receiptDigest, receiptHash } from "../../../spec/src/objects.ts"
import { Audit, carOf } from "../Audit.ts"
import { readReceiptCar } from "../Car.ts"
import { MinerConfig } from "../Config.ts"
import { Identity } from "../Identity.ts"
import { SolanaRpc } from "../Rpc.ts"
import { Repository } from "../Storage.ts"
import { encodeBinaryBatch, getJson, postBinary, removeDir, signReceipt, startMiner, witnesses, type MinerProcess } from "./helpers.ts"

const EPOCH = 3n
const W = witnesses(37, "audit-witness")
const ROUTE = new Uint8Array(32).fill(0x77)
const NAME = "audited.dns"
let miner: MinerProcess

beforeAll(async () => {
  miner = await startMiner({
    dev: { epoch: EPOCH, witnesses: W.map((w, i) => ({ key: w.publicKey, stake: BigInt(1_000_000 + i * 7) })), names: [{ name: NAME, owner: W[0]!.publicKey }] }
  })
  const r = await postBinary(`${miner.url}/v1/receipts`, encodeBinaryBatch(W.map((w) => signReceipt(w, EPOCH, NAME, ROUTE))))
  expect(r.body.accepted).toBe(W.length)

  // The chain half's job at cut-off, done here in-process against the miner's own storage.
  const publish = Effect.gen(function* () {
    const repo = yield* Repository
    const audit = yield* Audit
    const identity = yield* Identity
    const rows = yield* repo.receipts({ epoch: EPOCH, nameHash: nameHash(NAME), routeHash: ROUTE })
    const signed = rows.map((r) => ({ receipt: { epoch: r.epoch, nameHash: r.nameHash, routeHash: r.routeHash, witness: r.witness }, signature: r.signature }))
    const weights = new Map(rows.map((r) => [hex(r.witness), r.weight]))
    const weightOf = (w: Uint8Array) => weights.get(hex(w))!
    // Build, batch, then build with the batch's CID and sign [AGG-1, AGG-6].
    const car = carOf(buildAggregate(signed, weightOf, identity.publicKey))
    const built = buildAggregate(signed, weightOf, identity.publicKey, car.cidBytes)
    const signature = identity.sign(aggregateDigest(built.statement))
    expect((yield* audit.publish({ built, signature, car }))._tag).toBe("stored")
    expect((yield* audit.publish({ built, signature, car }))._tag).toBe("exists")
    // A second statement for the round is refused by storage: it would be equivocation [EQV-1].
    const other = buildAggregate(signed.slice(1), weightOf, identity.publicKey)
    expect((yield* audit.publish({ built: other, signature: identity.sign(aggregateDigest(other.statement)) }))._tag).toBe("conflict")
    // Inconsistent data is never published.
    const forged = yield* Effect.flip(audit.publish({ built: { ...built, leaves: built.leaves.slice(1) }, signature }))
    expect(forged.message).toContain("leaves")
  })
  const config = join(miner.dir, "miner.yaml")
  const services = Audit.layer.pipe(
    Layer.provideMerge(Layer.mergeAll(Repository.layerFromConfig, Identity.layer, SolanaRpc.layer)),
    Layer.provide(MinerConfig.layer(config))
  )
  await Effect.runPromise(publish.pipe(Effect.provide(services)))
})

afterAll(async () => {
  if (miner) {
    await miner.stop()
    removeDir(miner.dir)
  }
})

const base = () => `${miner.url}/v1/aggregates/${EPOCH}/${hex(nameHash(NAME))}`
const mine = () => `${base()}/${hex(miner.identity.publicKey)}`

describe("audit endpoints [API-5]", () => {
  it("lists the miner's roots for an epoch, and its aggregates by epoch and name", async () => {
    const roots = await getJson(`${miner.url}/v1/roots/${EPOCH}`)
    expect(roots.body.roots).toEqual([expect.objectContaining({ nameHash: hex(nameHash(NAME)), routeHash: hex(ROUTE), receiptCount: W.length, miner: hex(miner.identity.publicKey) })])
    expect((await getJson(`${miner.url}/v1/roots/${EPOCH + 1n}`)).body.roots).toEqual([])
    const byName = await getJson(`${miner.url}/v1/aggregates?epoch=${EPOCH}&name=${NAME}`)
    expect(byName.body.aggregates).toHaveLength(1)
    expect(byName.body.aggregates[0]).toMatchObject({ epoch: "3", receiptCount: W.length, batchCid: expect.stringMatching(/^bafyrei/) })
    expect((await getJson(`${miner.url}/v1/aggregates?name=${hex(nameHash(NAME))}`)).body.aggregates).toEqual(byName.body.aggregates)
    expect((await getJson(`${miner.url}/v1/aggregates?name=Bad_Name`)).status).toBe(400)
  })

  it("serves every aggregate of the round, and the miner's signed statement", async () => {
    const round = await getJson(base())
    expect(round.body.aggregates).toHaveLength(1)
    expect(round.body.aggregates[0]).toMatchObject({ onChain: false, flags: 0, statement: { epoch: "3", receiptCount: W.length } })
    const r = await getJson(mine())
    expect(r.status).toBe(200)
    const statement = decodeAggregate(fromHex(r.body.encoding))
    expect(hex(aggregateDigest(statement))).toBe(r.body.statementHash)
    expect(verify(miner.identity.publicKey, aggregateDigest(statement), fromHex(r.body.signature))).toBe(true)
    // Every listing names the statement by its digest (batch_cid included) with the signature over it.
    const roots = await getJson(`${miner.url}/v1/roots/${EPOCH}`)
    const listed = [roots.body.roots[0], round.body.aggregates[0], (await getJson(`${miner.url}/v1/aggregates?epoch=${EPOCH}`)).body.aggregates[0]]
    for (const entry of listed) expect(entry).toMatchObject({ statementHash: r.body.statementHash, signature: r.body.signature })
    expect(r.body.statement).toMatchObject({ epoch: "3", receiptCount: W.length, support: statement.support.toString(), batchCid: hex(statement.batchCid!) })
    expect((await getJson(`${miner.url}/v1/aggregates/${EPOCH + 1n}/${hex(nameHash(NAME))}/${hex(miner.identity.publicKey)}`)).status).toBe(404)
    expect((await getJson(`${base()}/nope`)).status).toBe(400)
  })

  it("pages the leaves with the signed receipt behind each", async () => {
    const leaves: { index: number; leaf: { receiptHash: string; witness: string; weight: string }; receipt: { receipt: Record<string, string>; signature: string } }[] = []
    let offset: number | null = 0
    while (offset !== null) {
      const page: { body: { leaves: typeof leaves; next: number | null } } = await getJson(`${mine()}/leaves?offset=${offset}&limit=10`)
      leaves.push(...page.body.leaves)
      offset = page.body.next
    }
    expect(leaves.map((l) => l.index)).toEqual(W.map((_, i) => i))
    const witnessesInOrder = leaves.map((l) => l.leaf.witness)
    expect(witnessesInOrder).toEqual([...witnessesInOrder].sort())
    for (const l of leaves) {
      const rc = { epoch: BigInt(l.receipt.receipt.epoch!), nameHash: fromHex(l.receipt.receipt.nameHash!), routeHash: fromHex(l.receipt.receipt.routeHash!), witness: fromHex(l.receipt.receipt.witness!) }
      expect(verify(rc.witness, receiptDigest(rc), fromHex(l.receipt.signature))).toBe(true)
      expect(hex(receiptHash(rc, fromHex(l.receipt.signature)))).toBe(l.leaf.receiptHash)
    }
  })

  it("serves inclusion proofs that verify with the spec against the statement's root [MRK-5]", async () => {
    const statement = decodeAggregate(fromHex((await getJson(mine())).body.encoding))
    const root = { hash: statement.receiptRoot, sum: statement.support }
    for (const index of [0, 1, 17, W.length - 1]) {
      const p = (await getJson(`${mine()}/proofs/${index}`)).body
      const leaf = { receiptHash: fromHex(p.leaf.receiptHash), witness: fromHex(p.leaf.witness), weight: BigInt(p.leaf.weight) }
      const node = leafNode(leaf)
      expect(hex(node.hash)).toBe(p.leafNode.hash)
      const path = p.path.map((n: { hash: string; sum: string }) => ({ hash: fromHex(n.hash), sum: BigInt(n.sum) }))
      expect([p.index, p.size, p.root]).toEqual([index, W.length, { hash: hex(root.hash), sum: root.sum.toString() }])
      expect(verifyInclusion(node, index, p.size, path, root)).toBe(true)
      expect(verifyInclusion({ ...node, sum: node.sum + 1n }, index, p.size, path, root)).toBe(false)
      expect(p.receipt.receipt.witness).toBe(p.leaf.witness)
      expect((await getJson(`${base()}/proof/${index}`)).body).toEqual(p)
    }
    expect((await getJson(`${mine()}/proofs/${W.length}`)).status).toBe(404)
    expect((await getJson(`${mine()}/proofs/x`)).status).toBe(400)
  })

  it("serves the CAR batch under the statement's CID, laid out as spec 05 says [AGG-6]", async () => {
    const agg = (await getJson(mine())).body
    const statement = decodeAggregate(fromHex(agg.encoding))
    const res = await fetch(`${miner.url}/v1/batches/${agg.batchCid}`)
    expect(res.status).toBe(200)
    expect(res.headers.get("content-type")).toBe("application/vnd.ipld.car")
    const car = readReceiptCar(new Uint8Array(await res.arrayBuffer()))
    expect(hex(car.root.bytes)).toBe(hex(statement.batchCid!))
    expect(car.root.bytes).toHaveLength(36)
    expect(car.statement).toEqual({ ...statement, batchCid: null })
    const leaves = (await getJson(`${mine()}/leaves?limit=1000`)).body.leaves
    expect(car.receipts.map((r) => [hex(r.receipt.witness), r.weight.toString()])).toEqual(leaves.map((l: { leaf: { witness: string; weight: string } }) => [l.leaf.witness, l.leaf.weight]))
    expect((await fetch(`${miner.url}/v1/batches/bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy`)).status).toBe(404)
    expect((await fetch(`${miner.url}/v1/batches/not-a-cid`)).status).toBe(400)
  })
})
