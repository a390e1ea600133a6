/**
 * A fixed population and the op builders the transition vectors, the account vectors and the property
 * tests share: four miners (three allowlisted), five witnesses, two owners with a name each, an admin.
 */
import { aggregateOver, buildAggregate, leafOf, type BuiltAggregate, type SignedReceipt } from "../../src/aggregate.ts"
import { hex } from "../../src/bytes.ts"
import { sign, type Keypair } from "../../src/ed25519.ts"
import type { SumNode } from "../../src/merkle.ts"
import { nameHash } from "../../src/name.ts"
import { aggregateDigest, routeHash, type AggregateStatement, type Leaf, type RouteRecord } from "../../src/objects.ts"
import type { LeafRef, Op, RootOpening, SignedAggregate } from "../../src/ops.ts"
import { LOCALNET_PARAMS, type Params } from "../../src/params.ts"
import { key, receipt, route, World } from "../world.ts"

export const admin = key("admin")
export const miners = [key("m1"), key("m2"), key("m3"), key("m4")] as const
export const [m1, m2, m3, m4] = miners
export const witnesses = [key("w1"), key("w2"), key("w3"), key("w4"), key("w5")] as const
export const [w1, w2, w3, w4, w5] = witnesses
export const owners = [key("o1"), key("o2")] as const
export const [o1, o2] = owners
export const ALPHA = "alpha.dns"
export const BETA = "beta.dns"
export const outsider = key("outsider")

export const MINER_STAKE = 5_000_000_000n
export const witnessStake = (i: number): bigint => BigInt(i + 1) * 1_000_000_000n

export const initOp = (params: Params = LOCALNET_PARAMS, allowlist: readonly Keypair[] = [m1, m2, m3, m4]): Op => ({
  kind: "initialize",
  authority: admin.publicKey,
  params,
  allowlist: allowlist.map((k) => k.publicKey)
})

/**
 * Epoch 2 of a running protocol: m1..m4 allowlisted, m1..m3 bonded 5 SOL each (committee 2 = m1, m2,
 * m3), m4 not bonded, w1..w4 bonded 1..4 SOL, alpha.dns owned by o1, beta.dns by o2, a funded pool.
 */
export const setup = (params: Params = LOCALNET_PARAMS): World => {
  const w = new World(params)
  w.run(initOp(params))
  for (const m of [m1, m2, m3]) w.run({ kind: "minerBond", miner: m.publicKey, amount: MINER_STAKE })
  witnesses.slice(0, 4).forEach((x, i) => w.run({ kind: "witnessBond", witness: x.publicKey, amount: witnessStake(i) }))
  w.run({ kind: "registerName", owner: o1.publicKey, name: ALPHA })
  w.run({ kind: "registerName", owner: o2.publicKey, name: BETA })
  w.run({ kind: "fundPool", funder: admin.publicKey, amount: 10_000_000n })
  w.toEpoch(2n)
  return w
}

export const alphaRoute = (serial = 1n, ip = "10.0.0.1") => route(ALPHA, serial, o1, ip)
export const betaRoute = (serial = 1n, ip = "10.0.1.1") => route(BETA, serial, o2, ip)

export type SignedRoute = { record: RouteRecord; signature: Uint8Array }

/** An honest aggregate of `ws`' receipts for (epoch, route), weights from the world's witness stakes. */
export const honest = (w: World, miner: Keypair, ws: readonly Keypair[], epoch: bigint, r: SignedRoute): BuiltAggregate =>
  buildAggregate(
    ws.map((x) => receipt(x, epoch, r.record.name, routeHash(r.record))),
    (k) => w.stakeOf(k, epoch),
    miner.publicKey
  )

export const submitOp = (agg: { statement: AggregateStatement; opening: RootOpening }, r: SignedRoute | null): Op => ({
  kind: "submitAggregate",
  statement: agg.statement,
  opening: agg.opening,
  auth: r === null ? null : { serial: r.record.serial, owner: r.record.owner, signature: r.signature }
})

export const signed = (miner: Keypair, statement: AggregateStatement): SignedAggregate => ({
  statement,
  signature: sign(miner, aggregateDigest(statement))
})

export const leafRef = (epoch: bigint, name: string, miner: Keypair, index: number): LeafRef => ({
  epoch,
  nameHash: nameHash(name),
  miner: miner.publicKey,
  index
})

export type Custom = ReturnType<typeof aggregateOver>

/** An aggregate over exactly these leaves, in this order — honest or not. */
export const custom = (miner: Keypair, epoch: bigint, name: string, rh: Uint8Array, leaves: readonly Leaf[]): Custom =>
  aggregateOver(leaves, { epoch, nameHash: nameHash(name), routeHash: rh, miner: miner.publicKey, batchCid: null })

export const leafOfReceipt = leafOf

export const pinOp = (agg: { leaves: readonly Leaf[]; proof(i: number): SumNode[]; statement: AggregateStatement }, index: number): Op => ({
  kind: "pinLeaf",
  leafRef: { epoch: agg.statement.epoch, nameHash: agg.statement.nameHash, miner: agg.statement.miner, index },
  leaf: agg.leaves[index]!,
  path: agg.proof(index)
})

export const refOf = (agg: { statement: AggregateStatement }, index: number): LeafRef => ({
  epoch: agg.statement.epoch,
  nameHash: agg.statement.nameHash,
  miner: agg.statement.miner,
  index
})

/** Sorted by witness key, as leaves must be. */
export const byWitness = <T extends { publicKey: Uint8Array }>(ks: readonly T[]): T[] => [...ks].sort((a, b) => (hex(a.publicKey) < hex(b.publicKey) ? -1 : 1))

export { nameHash, receipt, route, routeHash, World, key }

/**
 * A world holding an account of every kind: a finalized round of alpha.dns for epoch 2 with pinned
 * leaves, an answered reveal challenge and a witness claim, and a queued proposal with a veto.
 */
export const richWorld = (): World => {
  const w = setup()
  const E = 2n
  const r = alphaRoute()
  w.toEpoch(3n, 1n)
  const aggs = [m1, m2, m3].map((m) => honest(w, m, [w1, w2, w3, w4], E, r))
  aggs.forEach((a, i) => w.run(submitOp(a, i === 0 ? r : null)))
  w.run(pinOp(aggs[0]!, 0))
  w.run({ kind: "openReveal", challenger: outsider.publicKey, leafRef: refOf(aggs[1]!, 1) })
  w.run(pinOp(aggs[1]!, 1))
  const rc = aggs[1]!.receipts[1]!
  w.run({ kind: "respondReveal", leafRef: refOf(aggs[1]!, 1), receipt: rc.receipt, signature: rc.signature })
  w.warpTo(w.state.rounds.get(`${E}/${hex(nameHash(ALPHA))}`)!.challengeEnd)
  w.run({ kind: "finalizeRound", epoch: E, nameHash: nameHash(ALPHA) })
  w.run({ kind: "claimWitnessReward", leafRef: refOf(aggs[0]!, 0) })
  w.run({ kind: "propose", proposer: admin.publicKey, changes: [{ kind: 0, param: 17, value: 2_000_000n, key: new Uint8Array(32) }], etaEpoch: 6n })
  w.run({ kind: "veto", voter: w1.publicKey, proposalId: 0n })
  return w
}
