import { describe, expect, it } from "vitest"
import { AGGREGATE_FLAG, CHALLENGE_STATUS, MEMBER_FLAG } from "../../../spec/src/accounts.ts"
import { leafOf } from "../../../spec/src/aggregate.ts"
import { hex } from "../../../spec/src/bytes.ts"
import { sign } from "../../../spec/src/ed25519.ts"
import { sortLeaves, type SumNode } from "../../../spec/src/merkle.ts"
import { routeHash, type Leaf } from "../../../spec/src/objects.ts"
import type { Op } from "../../../spec/src/ops.ts"
import { LOCALNET_PARAMS, PARAM } from "../../../spec/src/params.ts"
import { key, nameHash, receipt } from "../../../spec/test/world.ts"
import {
  admin, aggregate, challenger, dishonest, expectSig1Gaps, helloRoute, leafFor, miners, NAME, NH, outsider, pin, ref, roundOf, setup, signed, submit,
  submitAll, witnesses
} from "./fixture.ts"

const c = challenger.publicKey
const [m1, m2, m3] = miners
const [w1, w2, w3, w4] = witnesses
const entryOf = (l: ReturnType<typeof setup>, m: typeof m1) => l.state.minerSet!.entries.find((e) => hex(e.key) === hex(m.publicKey))!
const flagsOf = (l: ReturnType<typeof setup>, E: bigint, i: number) => roundOf(l, E).memberFlags[i]!

describe("equivocation", () => {
  it("proves two signed statements, marks the round, and jails the miner until jail_epochs pass", () => {
    const l = setup()
    l.toEpoch(3n, 1n)
    const a = signed(m1, aggregate(l, m1, 2n).statement)
    const b = signed(m1, aggregate(l, m1, 2n, helloRoute().record, witnesses.slice(1)).statement)
    const prove = (first: typeof a, second: typeof a | null): Op => ({ kind: "proveEquivocation", challenger: c, first, second })
    l.expectError(prove(a, null), "EQV-7")
    l.expectError(prove(a, a), "EQV-6")
    l.expectError(prove(a, signed(m2, aggregate(l, m2, 2n).statement)), "EQV-5")
    l.expectError(prove(a, signed(m1, { ...b.statement, epoch: 1n })), "EQV-5")
    l.expectError(prove(a, signed(m1, { ...b.statement, nameHash: nameHash("other.dns") })), "EQV-5")
    // A carried signature that does not verify fails the Ed25519 instruction first [SIG-1], even when
    // the proof is wrong in other ways too; without the Ed25519 instruction the program finds no
    // signature it requires [SIG-2].
    l.expectError(prove(a, { ...b, signature: b.signature.map((x, i) => (i === 9 ? x ^ 4 : x)) }), "SIG-1")
    l.expectError(prove({ ...a, signature: b.signature }, b), "SIG-1")
    l.expectError(prove(a, { ...signed(m2, aggregate(l, m2, 2n).statement), signature: a.signature }), "SIG-1")
    // bankrun runs no precompile check: two of the forged proofs slash there, the third is still malformed
    expectSig1Gaps(l, ["accepted", "accepted", "EQV-5"])
    expect(l.sendInstructions(prove(a, b), (ixs) => ixs.slice(1))).toBe("SIG-2")
    const o = signed(outsider, aggregate(l, outsider, 2n).statement)
    l.expectError(prove(o, signed(outsider, { ...o.statement, support: 1n })), "EQV-8")
    l.run(prove(a, b))
    expect(entryOf(l, m1).jailed).toBe(1)
    const marker = l.state.aggregates.get(`2/${hex(NH)}/${hex(m1.publicKey)}`)!
    expect(marker.flags).toBe(AGGREGATE_FLAG.equivocated)
    l.expectError(prove(b, a), "EQV-3")
    // jailed, the miner has no seat; the marker is no submitted aggregate
    l.expectError(submit(aggregate(l, m1, 2n), { serial: 1n, signature: helloRoute().signature }), "RND-4")
    l.expectError(pin(aggregate(l, m1, 2n), 0), "BLF-1")
    l.expectError({ kind: "unjail", miner: m1.publicKey }, "SLS-4")
    l.toEpoch(5n)
    l.run({ kind: "unjail", miner: m1.publicKey })
    l.expectError({ kind: "unjail", miner: m1.publicKey }, "SLS-4")
    // equivocation about an epoch whose challenge window is over
    l.warpTo(2n * 50n + 3n * 50n)
    l.expectError(prove(signed(m2, aggregate(l, m2, 2n).statement), signed(m2, aggregate(l, m2, 2n, helloRoute().record, witnesses.slice(2)).statement)), "EQV-4")
  })

  it("proves one statement against the on-chain aggregate and strips it", () => {
    const l = setup({ params: LOCALNET_PARAMS.map((v, i) => (i === PARAM.minMinerStake ? 5_000_000_000n : v)) })
    const aggs = submitAll(l, 2n)
    const other = signed(m2, aggregate(l, m2, 2n, helloRoute().record, witnesses.slice(1)).statement)
    l.expectError({ kind: "proveEquivocation", challenger: c, first: signed(m2, aggs[1]!.statement), second: null }, "EQV-6")
    l.run({ kind: "proveEquivocation", challenger: c, first: other, second: null })
    expect(flagsOf(l, 2n, 1)).toBe(MEMBER_FLAG.submitted | MEMBER_FLAG.stripped)
    expect(roundOf(l, 2n).routes[0]!.weight).toBe(10_000_000_000n)
    l.expectError({ kind: "proveEquivocation", challenger: c, first: other, second: null }, "EQV-3")
    // two off-chain statements while the on-chain one exists: strip and mark it
    const x = signed(m3, aggregate(l, m3, 2n, helloRoute().record, witnesses.slice(2)).statement)
    const y = signed(m3, aggregate(l, m3, 2n, helloRoute().record, witnesses.slice(3)).statement)
    l.run({ kind: "proveEquivocation", challenger: c, first: x, second: y })
    expect(roundOf(l, 2n).routes[0]!.weight).toBe(5_000_000_000n)
    // slashed below the minimum: unjail waits for a top-up to activate
    l.toEpoch(5n)
    l.expectError({ kind: "unjail", miner: m2.publicKey }, "SLS-4")
    l.run({ kind: "minerBond", miner: m2.publicKey, amount: 500_000_000n })
    l.toEpoch(6n)
    l.run({ kind: "unjail", miner: m2.publicKey })
  })
})


describe("the equivocation window", () => {
  it("ends at the round's stored challenge_end, or the computed one for a round never opened", () => {
    const params = LOCALNET_PARAMS.map((v, i) => (i === PARAM.challengeWindowSlots ? 20n : v))
    const l = setup({ params })
    l.run({
      kind: "propose",
      proposer: admin.publicKey,
      changes: [{ kind: 0, param: PARAM.challengeWindowSlots, value: 70n, key: new Uint8Array(32) }],
      etaEpoch: 4n
    })
    submitAll(l, 3n)
    l.toEpoch(4n, 30n)
    l.run({ kind: "execute", proposalId: 0n })
    l.toEpoch(5n, 10n)
    expect(l.state.config!.params[PARAM.challengeWindowSlots]).toBe(70n)
    const x = signed(m1, aggregate(l, m1, 3n, helloRoute().record, witnesses.slice(1)).statement)
    const y = signed(m1, aggregate(l, m1, 3n, helloRoute().record, witnesses.slice(2)).statement)
    const prove: Op = { kind: "proveEquivocation", challenger: c, first: x, second: y }
    l.expectError(prove, "EQV-4") // the round's stored end (4L + 40) is past
    // an empty stand-in for the round would fall back to the later computed end: refused
    const empty = key("no-round").publicKey
    const roundAt = [...l.accountsOf(prove).keys()].indexOf("round")
    expect(l.sendAltered(prove, (ix) => ({ ...ix, keys: ix.keys.map((k, i) => (i === roundAt ? { ...k, pubkey: empty } : k)) }))).toBe("ACC-5")
    // about a round never opened, the computed end (4L + 90) counts
    const other = (from: number) =>
      signed(m1, { ...aggregate(l, m1, 3n, helloRoute().record, witnesses.slice(from)).statement, nameHash: nameHash("other.dns") })
    l.run({ kind: "proveEquivocation", challenger: c, first: other(0), second: other(1) })
  })
})

describe("pins", () => {
  it("pins a leaf once, by a proof against the submitted root and support", () => {
    const { l, bad, honest } = dishonest(() => sortLeaves([leafFor(w1, 2n, 1_000_000_000n), leafFor(w2, 2n, 2_000_000_000n), leafFor(w3, 2n, 3_000_000_000n)]))
    const p = pin(bad, 2) as Extract<Op, { kind: "pinLeaf" }>
    l.expectError({ ...p, leafRef: { ...p.leafRef, miner: outsider.publicKey } }, "BLF-1")
    l.expectError({ ...p, leafRef: { ...p.leafRef, index: 3 } }, "BLF-2")
    l.expectError({ ...p, leafRef: { ...p.leafRef, index: 1 } }, "MRK-5")
    l.expectError({ ...p, leaf: { ...p.leaf, weight: p.leaf.weight + 1n } }, "MRK-5")
    l.expectError({ ...p, path: p.path.map((n: SumNode) => ({ ...n, sum: n.sum + 1n })) }, "MRK-5")
    l.expectError({ ...p, path: [...p.path, p.path[0]!] }, "MRK-5")
    l.expectError({ ...p, path: p.path.slice(1) }, "MRK-5")
    l.expectError({ ...p, path: Array.from({ length: 21 }, () => p.path[0]!) }, "MRK-5")
    l.expectError({ ...p, path: [{ ...p.path[0]!, sum: (1n << 64n) - 1n }, ...p.path.slice(1)] }, "MRK-5") // sums overflow [MRK-4]
    l.run(p)
    l.expectError(p, "BLF-3")
    l.run(pin(bad, 0))
    l.run(pin(honest[0]!, 3))
  })
})

describe("bad leaves", () => {
  it("upholds a wrong or zero weight and an unstaked witness; rejects a right one", () => {
    const ghost = key("ghost")
    const { l, bad, honest } = dishonest(() =>
      sortLeaves([leafFor(w1, 2n, 1_000_000_000n), leafFor(w2, 2n, 2_000_000_001n), leafFor(w3, 2n, 0n), leafFor(ghost, 2n, 5n)])
    )
    const at = (w: typeof w1) => bad.leaves.findIndex((x) => hex(x.witness) === hex(w.publicKey))
    const weight = (i: number): Op => ({ kind: "proveBadWeight", challenger: c, leafRef: ref(2n, m1, i) })
    l.expectError(weight(at(w1)), "BLF-6")
    for (const w of [w1, w2, w3, ghost]) l.run(pin(bad, at(w)))
    l.expectError(weight(at(w1)), "BLF-7")
    l.run(weight(at(ghost)))
    expect(flagsOf(l, 2n, 0) & MEMBER_FLAG.stripped).toBe(MEMBER_FLAG.stripped)
    l.expectError(weight(at(w2)), "BLF-5")
    l.run(pin(honest[0]!, 0))
    l.expectError({ kind: "proveBadWeight", challenger: c, leafRef: ref(2n, m2, 0) }, "BLF-7")
    l.warpTo(roundOf(l, 2n).challengeEnd)
    l.expectError({ kind: "proveBadWeight", challenger: c, leafRef: ref(2n, m2, 0) }, "BLF-4")
  })

  it("upholds a zero weight, and a weight off by one", () => {
    for (const target of [0n, 2_000_000_001n]) {
      const { l, bad } = dishonest(() => sortLeaves([leafFor(w1, 2n, 1_000_000_000n), leafFor(w2, 2n, target)]))
      const i = bad.leaves.findIndex((x) => x.weight === target)
      l.run(pin(bad, i))
      l.run({ kind: "proveBadWeight", challenger: c, leafRef: ref(2n, m1, i) })
    }
  })

  it("upholds a duplicate or misordered witness; rejects a strictly increasing pair", () => {
    const sorted = sortLeaves([leafFor(w1, 2n, 1_000_000_000n), leafFor(w2, 2n, 2_000_000_000n), leafFor(w3, 2n, 3_000_000_000n)])
    const { l, bad } = dishonest(() => [sorted[0]!, sorted[1]!, sorted[1]!, sorted[2]!])
    const order = (i: number): Op => ({ kind: "proveBadOrder", challenger: c, leafRef: ref(2n, m1, i) })
    l.run(pin(bad, 0))
    l.expectError(order(0), "BLF-6")
    l.run(pin(bad, 1))
    l.expectError(order(0), "BLF-8")
    l.run(pin(bad, 2))
    l.run(order(1))
    const second = dishonest(() => [sorted[2]!, sorted[0]!])
    second.l.run(pin(second.bad, 0))
    second.l.run(pin(second.bad, 1))
    second.l.run({ kind: "proveBadOrder", challenger: c, leafRef: ref(2n, m1, 0) })
  })

  it("upholds a revealed receipt that disagrees with the leaf or the aggregate", () => {
    const other = helloRoute(7n, "10.9.9.9").record
    const stray = receipt(w2, 2n, NAME, routeHash(other))
    const good = receipt(w1, 2n, NAME, routeHash(helloRoute().record))
    const { l, bad } = dishonest(() => sortLeaves([leafOf(good, 1_000_000_000n), leafOf(stray, 2_000_000_000n)]))
    const at = (r: typeof good) => bad.leaves.findIndex((x) => hex(x.witness) === hex(r.receipt.witness))
    const mismatch = (r: typeof good, i: number, signature = r.signature): Op => ({
      kind: "proveLeafMismatch",
      challenger: c,
      leafRef: ref(2n, m1, i),
      receipt: r.receipt,
      signature
    })
    l.expectError(mismatch(stray, at(stray)), "BLF-6")
    l.run(pin(bad, at(stray)))
    l.run(pin(bad, at(good)))
    l.expectError(mismatch(stray, at(good)), "BLF-9")
    l.expectError(mismatch(stray, at(stray), good.signature), "BLF-9")
    l.expectError(mismatch(good, at(good)), "BLF-10")
    l.run(mismatch(stray, at(stray)))
    l.expectError(mismatch(stray, at(stray)), "BLF-5")
  })
})

describe("reveal challenges", () => {
  it("is answered with the receipt: the bond goes to the miner", () => {
    const l = setup()
    const aggs = submitAll(l, 2n)
    const open = (m: typeof m1, i: number): Op => ({ kind: "openReveal", challenger: c, leafRef: ref(2n, m, i) })
    const respond = (m: typeof m1, i: number, r = aggs[0]!.receipts[i]!): Op => ({
      kind: "respondReveal",
      leafRef: ref(2n, m, i),
      receipt: r.receipt,
      signature: r.signature
    })
    l.expectError(open(outsider, 0), "BLF-1")
    l.expectError(open(m1, 4), "RVL-2")
    l.expectError(respond(m1, 1), "RVL-4")
    l.run(open(m1, 1))
    l.expectError(open(m1, 1), "RVL-3")
    l.run(open(m2, 2))
    expect(roundOf(l, 2n).openChallenges).toBe(2)
    l.expectError(respond(m1, 1), "RVL-6")
    l.run(pin(aggs[0]!, 1))
    l.expectError(respond(m1, 1, aggs[0]!.receipts[2]!), "RVL-7")
    l.run(respond(m1, 1))
    expect(l.state.challenges.get(`2/${hex(NH)}/${hex(m1.publicKey)}/1`)!.status).toBe(CHALLENGE_STATUS.rejected)
    expect(entryOf(l, m1).claimable).toBe(LOCALNET_PARAMS[PARAM.challengeBond]!)
    l.expectError(respond(m1, 1), "RVL-4")
    l.warpTo(roundOf(l, 2n).challengeEnd)
    l.expectError({ kind: "finalizeRound", epoch: 2n, nameHash: NH }, "QRM-7")
    l.expectError(open(m3, 0), "BLF-4")
    l.expectError(respond(m2, 2, aggs[1]!.receipts[2]!), "RVL-5")
    l.expectError({ kind: "resolveReveal", leafRef: ref(2n, m3, 0) }, "RVL-4")
    l.run({ kind: "resolveReveal", leafRef: ref(2n, m2, 2) })
    l.run({ kind: "finalizeRound", epoch: 2n, nameHash: NH })
    l.run({ kind: "claim", who: m1.publicKey, role: "miner" })
  })

  it("upholds an unanswered challenge, and settles one on a stripped aggregate as moot", () => {
    const { l, bad } = dishonest(() => sortLeaves([leafFor(w1, 2n, 1_000_000_000n), leafFor(w2, 2n, 7n), leafFor(w4, 2n, 4_000_000_000n)]))
    const open = (m: typeof m1, i: number): Op => ({ kind: "openReveal", challenger: c, leafRef: ref(2n, m, i) })
    l.run(open(m1, 0))
    l.run(open(m1, 1))
    l.run(open(m2, 0))
    l.expectError({ kind: "resolveReveal", leafRef: ref(2n, m1, 0) }, "RVL-10")
    const i7 = bad.leaves.findIndex((x) => x.weight === 7n)
    l.run(pin(bad, i7))
    l.run({ kind: "proveBadWeight", challenger: admin.publicKey, leafRef: ref(2n, m1, i7) })
    l.expectError(open(m1, 2), "BLF-5")
    l.warpTo(l.slot + LOCALNET_PARAMS[PARAM.responseWindowSlots]!)
    l.run({ kind: "resolveReveal", leafRef: ref(2n, m1, 0) })
    expect(l.state.challenges.get(`2/${hex(NH)}/${hex(m1.publicKey)}/0`)!.status).toBe(CHALLENGE_STATUS.moot)
    l.run({ kind: "resolveReveal", leafRef: ref(2n, m2, 0) })
    expect(l.state.challenges.get(`2/${hex(NH)}/${hex(m2.publicKey)}/0`)!.status).toBe(CHALLENGE_STATUS.upheld)
    expect(entryOf(l, m2).jailed).toBe(1)
    l.expectError({ kind: "resolveReveal", leafRef: ref(2n, m2, 0) }, "RVL-4")
    l.run({ kind: "resolveReveal", leafRef: ref(2n, m1, 1) })
    expect(roundOf(l, 2n).openChallenges).toBe(0)
  })

  it("rejects an answer whose leaf weight is wrong, or whose leaf holds a bad signature", () => {
    const bogus = { ...receipt(w3, 2n, NAME, routeHash(helloRoute().record)) }
    const forged = { receipt: bogus.receipt, signature: sign(w4, new Uint8Array(32)) }
    const { l, bad } = dishonest(() =>
      sortLeaves([leafOf(receipt(w1, 2n, NAME, routeHash(helloRoute().record)), 1_000_000_001n), leafOf(forged, 3_000_000_000n)])
    )
    const wrong = bad.leaves.findIndex((x) => x.weight === 1_000_000_001n)
    const sig = 1 - wrong
    for (const i of [wrong, sig]) {
      l.run({ kind: "openReveal", challenger: c, leafRef: ref(2n, m1, i) })
      l.run(pin(bad, i))
    }
    const r1 = receipt(w1, 2n, NAME, routeHash(helloRoute().record))
    l.expectError({ kind: "respondReveal", leafRef: ref(2n, m1, wrong), receipt: r1.receipt, signature: r1.signature }, "RVL-8")
    l.expectError({ kind: "respondReveal", leafRef: ref(2n, m1, sig), receipt: forged.receipt, signature: forged.signature }, "SIG-1")
    // a good receipt with another's signature: it does not verify, whatever the leaf says [SIG-1]
    l.expectError({ kind: "respondReveal", leafRef: ref(2n, m1, wrong), receipt: r1.receipt, signature: forged.signature }, "SIG-1")
    // bankrun: the forged receipt answers the challenge; the good receipt under another's signature
    // does not hash to the leaf [RVL-7]
    expectSig1Gaps(l, ["accepted", "RVL-7"])
  })
})
