/**
 * The scenario every program test starts from (spec/test/flow.test.ts's setup, in lockstep): three
 * allowlisted miners, four witnesses, hello.dns registered and a funded pool, at epoch 2.
 */
import type { Keypair } from "../../../spec/src/ed25519.ts"
import { sign } from "../../../spec/src/ed25519.ts"
import { leafOf } from "../../../spec/src/aggregate.ts"
import { buildLevels, inclusionPath, leafNode, rootChildren, type SumNode } from "../../../spec/src/merkle.ts"
import { aggregateDigest, routeHash, type AggregateStatement, type Leaf } from "../../../spec/src/objects.ts"
import type { LeafRef, Op, RootOpening, SignedAggregate } from "../../../spec/src/ops.ts"
import { LOCALNET_PARAMS, type Params } from "../../../spec/src/params.ts"
import { aggregateFor, key, nameHash, receipt, route } from "../../../spec/test/world.ts"
import type { RuntimeKind } from "../../client/runtime.ts"
import { Lockstep } from "./lockstep.ts"

export const admin = key("admin")
export const miners = [key("m1"), key("m2"), key("m3")] as const
export const witnesses = [key("w1"), key("w2"), key("w3"), key("w4")] as const
export const owner = key("owner")
export const challenger = key("challenger")
export const outsider = key("outsider")
export const NAME = "hello.dns"
export const NH = nameHash(NAME)

export interface SetupOptions {
  readonly params?: Params
  /** Stop after initialization and bonding, before registering and cranking. */
  readonly bare?: boolean
  /** Default: `DOTDNS_RUNTIME`, else LiteSVM. */
  readonly runtime?: RuntimeKind
}

export const setup = (opts: SetupOptions = {}): Lockstep => {
  const params = opts.params ?? LOCALNET_PARAMS
  const l = new Lockstep({ params, ...(opts.runtime !== undefined ? { runtime: opts.runtime } : {}) })
  for (const k of [admin, ...miners, ...witnesses, owner, challenger, outsider]) l.actor(k)
  l.run({ kind: "initialize", authority: admin.publicKey, params, allowlist: miners.map((m) => m.publicKey) })
  for (const m of miners) l.run({ kind: "minerBond", miner: m.publicKey, amount: 5_000_000_000n })
  witnesses.forEach((x, i) => l.run({ kind: "witnessBond", witness: x.publicKey, amount: BigInt(i + 1) * 1_000_000_000n }))
  if (opts.bare === true) return l
  l.run({ kind: "registerName", owner: owner.publicKey, name: NAME })
  l.run({ kind: "fundPool", funder: admin.publicKey, amount: 10_000_000n })
  l.toEpoch(2n)
  return l
}

/**
 * What the chain did with each op so far whose carried signature does not verify [SIG-1]: nothing to
 * report on LiteSVM, where the Ed25519 program rejected every one; on bankrun, which does not run the
 * precompile's checks, what the program did instead — accepted, or the later rule it named — which the
 * harness has checked is exactly what `apply` without its SIG-1 check does (then undone on the chain).
 */
export const sig1Gaps = (l: Lockstep): ("accepted" | string)[] => l.precompileGaps.map((g) => g.chain)

/** `expected` on a runtime without the precompile's checks (bankrun), none where it runs (LiteSVM). */
export const expectSig1Gaps = (l: Lockstep, expected: readonly string[]): void => {
  const got = sig1Gaps(l)
  const want = l.runtime.verifiesPrecompiles ? [] : expected
  if (JSON.stringify(got) !== JSON.stringify(want))
    throw new Error(`${l.runtime.kind}: forged signatures ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`)
  if (process.env["DOTDNS_SHOW_GAPS"] === "1") console.log(l.runtime.kind, JSON.stringify(got))
}

/** hello.dns's route at `serial`, signed by its owner. */
export const helloRoute = (serial = 1n, ip = "10.0.0.1") => route(NAME, serial, owner, ip)

/** An aggregate of `ws`' receipts for (E, hello.dns, record) by `miner`. */
export const aggregate = (l: Lockstep, miner: Keypair, E: bigint, record = helloRoute().record, ws: readonly Keypair[] = witnesses) =>
  aggregateFor(l.world, miner, ws, E, NAME, record)

export const signed = (miner: Keypair, statement: AggregateStatement): SignedAggregate => ({ statement, signature: sign(miner, aggregateDigest(statement)) })

/**
 * The submission op of an aggregate, with an authorization when `auth` is given: the key it names
 * (`auth.owner`, carried in the Ed25519 instruction) is hello.dns's owner unless stated.
 */
export const submit = (
  a: { statement: AggregateStatement; opening: RootOpening },
  auth: { serial: bigint; signature: Uint8Array; owner?: Uint8Array } | null
): Op => ({
  kind: "submitAggregate",
  statement: a.statement,
  opening: a.opening,
  auth: auth === null ? null : { serial: auth.serial, owner: auth.owner ?? owner.publicKey, signature: auth.signature }
})

/** Every miner submits the same route for epoch E in epoch E+1's window; returns the aggregates. */
export const submitAll = (l: Lockstep, E: bigint, serial = 1n, ms: readonly Keypair[] = miners) => {
  const { record, signature } = helloRoute(serial)
  l.toEpoch(E + 1n, 1n)
  return ms.map((m) => {
    const a = aggregate(l, m, E, record)
    l.run(submit(a, { serial, signature }))
    return a
  })
}

export const roundOf = (l: Lockstep, E: bigint) => l.state.rounds.get(`${E}/${Buffer.from(NH).toString("hex")}`)!

/** An aggregate over exactly these leaves, in this order (a dishonest miner's): statement, opening, proofs. */
export const customAggregate = (leaves: readonly Leaf[], E: bigint, miner: Keypair, record = helloRoute().record) => {
  const levels = buildLevels(leaves.map(leafNode))
  const root = levels[levels.length - 1]![0]!
  const statement: AggregateStatement = {
    epoch: E,
    nameHash: NH,
    routeHash: routeHash(record),
    receiptRoot: root.hash,
    support: root.sum,
    receiptCount: leaves.length,
    miner: miner.publicKey,
    batchCid: null
  }
  const opening: RootOpening = leaves.length === 1 ? { kind: "leaf", leaf: leaves[0]! } : { kind: "node", ...rootChildren(levels[0]!) }
  return { statement, opening, leaves, proof: (i: number) => inclusionPath(levels, i) }
}

/** The leaf of `w`'s receipt for (E, hello.dns, record) with the given weight. */
export const leafFor = (w: Keypair, E: bigint, weight: bigint, record = helloRoute().record): Leaf =>
  leafOf(receipt(w, E, NAME, routeHash(record)), weight)

export const ref = (E: bigint, miner: Keypair, index: number): LeafRef => ({ epoch: E, nameHash: NH, miner: miner.publicKey, index })

/** The pinLeaf op for leaf `index` of an aggregate. */
export const pin = (a: { leaves: readonly Leaf[]; proof(i: number): SumNode[]; statement: AggregateStatement }, index: number): Op => ({
  kind: "pinLeaf",
  leafRef: { epoch: a.statement.epoch, nameHash: a.statement.nameHash, miner: a.statement.miner, index },
  leaf: a.leaves[index]!,
  path: a.proof(index)
})

/** m1 submits an aggregate of custom leaves for epoch 2 next to honest m2, m3. */
export const dishonest = (leaves: (l: Lockstep) => Leaf[]) => {
  const l = setup()
  const { record, signature } = helloRoute()
  l.toEpoch(3n, 1n)
  const bad = customAggregate(leaves(l), 2n, miners[0], record)
  l.run(submit(bad, { serial: 1n, signature }))
  const honest = [miners[1], miners[2]].map((m) => {
    const a = aggregate(l, m, 2n, record)
    l.run(submit(a, null))
    return a
  })
  return { l, bad, honest }
}
