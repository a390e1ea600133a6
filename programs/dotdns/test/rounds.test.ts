import { describe, expect, it } from "vitest"
import { ROUND_STATUS } from "../../../spec/src/accounts.ts"
import { buildAggregate } from "../../../spec/src/aggregate.ts"
import { equal } from "../../../spec/src/bytes.ts"
import { U64_MAX } from "../../../spec/src/codec.ts"
import { MAX_LEAVES } from "../../../spec/src/merkle.ts"
import { routeAuthDigest, routeHash } from "../../../spec/src/objects.ts"
import { sign } from "../../../spec/src/ed25519.ts"
import { ed25519Instruction } from "../../client/ed25519-instruction.ts"
import type { Op } from "../../../spec/src/ops.ts"
import { LOCALNET_PARAMS, PARAM } from "../../../spec/src/params.ts"
import { key, nameHash, receipt, route } from "../../../spec/test/world.ts"
import { admin, aggregate, expectSig1Gaps, helloRoute, miners, NAME, NH, outsider, owner, roundOf, setup, submit, submitAll, witnesses } from "./fixture.ts"
import { Lockstep } from "./lockstep.ts"

const withParams = (over: Partial<Record<keyof typeof PARAM, bigint>>) =>
  LOCALNET_PARAMS.map((v, i) => {
    const k = (Object.keys(PARAM) as (keyof typeof PARAM)[]).find((n) => PARAM[n] === i)
    return k !== undefined && over[k] !== undefined ? over[k]! : v
  })

describe("rounds to finality, in lockstep", () => {
  it("finalizes a route held by a quorum of the committee, and pays out", () => {
    const l = setup()
    expect(l.state.committees.get("2")!.memberCount).toBe(3)
    const E = 2n
    const aggs = submitAll(l, E)
    expect(aggs[0]!.statement.support).toBe(10_000_000_000n)
    expect(roundOf(l, E).routes[0]!.weight).toBe(15_000_000_000n)
    l.expectError({ kind: "finalizeRound", epoch: E, nameHash: NH }, "QRM-6")
    l.warpTo(roundOf(l, E).challengeEnd)
    l.run({ kind: "finalizeRound", epoch: E, nameHash: NH })
    const n = l.state.names.get(Buffer.from(NH).toString("hex"))!
    expect(equal(n.routeHash, routeHash(helloRoute().record))).toBe(true)
    expect(roundOf(l, E).status).toBe(ROUND_STATUS.finalized)
    l.expectError({ kind: "finalizeRound", epoch: E, nameHash: NH }, "QRM-5")
    l.expectError({ kind: "finalizeRound", epoch: E + 1n, nameHash: NH }, "QRM-4")
    for (const m of miners) l.run({ kind: "claim", who: m.publicKey, role: "miner" })
    l.expectError({ kind: "claim", who: miners[0].publicKey, role: "miner" }, "RWD-6")
  })

  it("checks the window, committee, seat and name before anything else", () => {
    const l = setup()
    const { record, signature } = helloRoute()
    const auth = { serial: 1n, signature }
    const a = aggregate(l, miners[0], 2n, record)
    l.expectError(submit(a, auth), "RND-1") // epoch 2 itself: too early
    l.warpTo(3n * 50n + 20n)
    l.expectError(submit(a, auth), "RND-1") // the window is over
    // the window of epoch 3 is open, but nobody cranked to epoch 3: no committee
    l.warpTo(4n * 50n + 1n)
    l.expectError(submit(aggregate(l, miners[0], 3n, record), auth), "RND-2")
    l.toEpoch(3n, 1n)
    l.expectError(submit(aggregate(l, outsider, 2n, record), auth), "RND-3")
    const nope = route("nope.dns", 1n, owner)
    const other = buildAggregate([receipt(witnesses[0], 2n, "nope.dns", routeHash(nope.record))], () => 1_000_000_000n, miners[0].publicKey)
    // the authorization names its key, so it verifies without a Name account; the name check rejects
    l.expectError(submit(other, { serial: 1n, signature: nope.signature }), "RND-6")
    l.expectError(submit(other, null), "RND-6")
    l.run(submit(a, auth))
    l.expectError(submit(a, auth), "RND-7")
    const b = aggregate(l, miners[0], 2n, record, witnesses.slice(1))
    l.run(submit(b, null)) // a different second statement: slashed and jailed at once
    expect(l.state.minerSet!.entries[0]!.jailed).toBe(1)
    l.expectError(submit(aggregate(l, miners[0], 2n, record, witnesses.slice(2)), null), "RND-4")
  })

  it("checks the tree, the opening and the route authorization", () => {
    const l = setup()
    const { record, signature } = helloRoute()
    const auth = { serial: 1n, signature }
    l.toEpoch(3n, 1n)
    const a = aggregate(l, miners[0], 2n, record)
    const st = a.statement
    l.expectError({ ...submit(a, auth), statement: { ...st, receiptCount: 0 } } as Op, "AGG-2")
    l.expectError({ ...submit(a, auth), statement: { ...st, receiptCount: MAX_LEAVES + 1 } } as Op, "AGG-2")
    l.expectError({ ...submit(a, auth), statement: { ...st, receiptCount: 1 } } as Op, "AGG-3")
    l.expectError({ ...submit(a, auth), statement: { ...st, receiptRoot: new Uint8Array(32) } } as Op, "AGG-3")
    l.expectError({ ...submit(a, auth), statement: { ...st, support: st.support + 1n } } as Op, "AGG-4")
    if (a.opening.kind !== "node") throw new Error("four receipts open to two children")
    const overflow = { kind: "node" as const, left: { ...a.opening.left, sum: U64_MAX }, right: a.opening.right }
    l.expectError({ ...submit(a, auth), opening: overflow } as Op, "AGG-4")
    const single = aggregate(l, miners[1], 2n, record, witnesses.slice(0, 1))
    if (single.opening.kind !== "leaf") throw new Error("one receipt opens to its leaf")
    l.expectError({ ...submit(single, auth), opening: a.opening } as Op, "AGG-3")
    l.expectError({ ...submit(a, auth), opening: single.opening } as Op, "AGG-3")
    l.expectError(submit(a, null), "RND-5")
    const serial0 = sign(owner, routeAuthDigest({ nameHash: NH, serial: 0n, routeHash: st.routeHash }))
    l.expectError(submit(a, { serial: 0n, signature: serial0 }), "RND-8")
    // a carried signature that does not verify fails the Ed25519 instruction before dotdns runs [SIG-1]
    const forged = Uint8Array.from(signature, (x, i) => (i === 0 ? x ^ 1 : x))
    l.expectError(submit(a, { serial: 1n, signature: forged }), "SIG-1")
    l.expectError(submit(a, { serial: 2n, signature }), "SIG-1") // a valid signature, but over serial 1
    l.expectError(submit(a, { serial: 1n, signature, owner: outsider.publicKey }), "SIG-1") // o's signature under another key
    // bankrun does not run the Ed25519 program's checks: there the forged and the mis-serialed
    // authorizations are accepted (the program trusts the precompile), and the one under the outsider's
    // key is not the owner's [SIG-2] — each exactly as `apply` without SIG-1, then undone
    expectSig1Gaps(l, ["accepted", "accepted", "SIG-2"])
    // a valid signature by a key that is not the owner's: the one required is not carried [SIG-2]
    const digest1 = routeAuthDigest({ nameHash: NH, serial: 1n, routeHash: st.routeHash })
    l.expectError(submit(a, { serial: 1n, signature: sign(outsider, digest1), owner: outsider.publicKey }), "SIG-2")
    // without the Ed25519 instruction the program finds no proof
    expect(l.sendInstructions(submit(a, auth), (ixs) => ixs.slice(1))).toBe("SIG-2")
    // entries the precompile accepts but dotdns does not [SIG-3]: the data of another instruction
    // (index 0 named explicitly), or a message that is not exactly the 32-byte digest
    const digest = routeAuthDigest({ nameHash: NH, serial: 1n, routeHash: st.routeHash })
    const entry = ed25519Instruction([{ publicKey: owner.publicKey, message: digest, signature }])
    const explicit = Uint8Array.from(entry.data)
    for (const at of [4, 8, 14]) explicit.set([0, 0], at)
    expect(l.sendInstructions(submit(a, auth), (ixs) => [{ ...entry, data: explicit }, ixs[1]!])).toBe("SIG-2")
    const longer = Uint8Array.of(...digest, 0)
    const long = ed25519Instruction([{ publicKey: owner.publicKey, message: longer, signature: sign(owner, longer) }])
    expect(l.sendInstructions(submit(a, auth), (ixs) => [long, ixs[1]!])).toBe("SIG-2")
    // ... while a second Ed25519 instruction, or a second entry, is searched as well
    const noise = ed25519Instruction([{ publicKey: outsider.publicKey, message: digest, signature: sign(outsider, digest) }])
    const both = ed25519Instruction([
      { publicKey: outsider.publicKey, message: digest, signature: sign(outsider, digest) },
      { publicKey: owner.publicKey, message: digest, signature }
    ])
    expect(l.sendInstructions(submit(a, auth), (ixs) => [noise, ixs[1]!])).toBe("SIG-2")
    l.runInstructions(submit(single, auth), (ixs) => [noise, both, ixs[1]!], [])
    l.expectError(submit(single, auth), "RND-7")
    // the route is in the round now: later aggregates need no authorization
    l.run(submit(a, null))
    l.run(submit(aggregate(l, miners[2], 2n, record, witnesses.slice(1, 3)), null))
  })

  it("rejects a carried signature that does not verify first, on both sides [SIG-1]", () => {
    const l = setup()
    const { record, signature } = helloRoute()
    const junk = { serial: 1n, signature: new Uint8Array(64) }
    // outside the submit window, and with a bad signature: the signature decides
    l.toEpoch(2n, 49n)
    l.expectError(submit(aggregate(l, miners[0], 2n, record), junk), "SIG-1")
    l.toEpoch(3n, 1n)
    l.run(submit(aggregate(l, miners[0], 2n, record), { serial: 1n, signature }))
    // The route is in the round, so no authorization is needed; one that is carried must still verify.
    l.expectError(submit(aggregate(l, miners[1], 2n, record), junk), "SIG-1")
    l.checkState("after a rejected op")
    // bankrun: the later rule outside the window [RND-1]; an unneeded junk authorization accepted
    expectSig1Gaps(l, ["RND-1", "accepted"])
    l.run(submit(aggregate(l, miners[1], 2n, record), { serial: 1n, signature }))
    l.run(submit(aggregate(l, miners[2], 2n, record), null))
  })

  it("closes a round at its stored submit_end, whatever governance does to the window [RND-1]", () => {
    const l = setup()
    const E = 4n
    const { record, signature } = helloRoute()
    l.run({ kind: "propose", proposer: admin.publicKey, changes: [{ kind: 0, param: PARAM.submitWindowSlots, value: 50n, key: new Uint8Array(32) }], etaEpoch: 4n })
    l.toEpoch(4n)
    l.run({ kind: "execute", proposalId: 0n })
    // round 4 opens in epoch 5's window before the crank activates the wider window
    l.warpTo(5n * 50n + 1n)
    l.run(submit(aggregate(l, miners[0], E, record, witnesses.slice(0, 3)), { serial: 1n, signature }))
    l.run(submit(aggregate(l, miners[1], E, record), null))
    expect(roundOf(l, E).submitEnd).toBe(270n)
    l.toEpoch(5n, 20n)
    expect(l.state.config!.params[PARAM.submitWindowSlots]).toBe(50n)
    l.expectError(submit(aggregate(l, miners[2], E, record), null), "RND-1")
    l.expectError(submit(aggregate(l, miners[0], E, record), null), "RND-1") // not even an equivocation lands
    l.warpTo(roundOf(l, E).challengeEnd)
    l.run({ kind: "finalizeRound", epoch: E, nameHash: NH })
    expect(roundOf(l, E).status).toBe(ROUND_STATUS.failed)
    l.expectError(submit(aggregate(l, miners[2], E, record), null), "RND-1")
    // round 5 opens with the window of its own time
    l.toEpoch(6n, 45n)
    l.run(submit(aggregate(l, miners[2], 5n, record), { serial: 1n, signature }))
    expect(roundOf(l, 5n).submitEnd).toBe(350n)
  })

  it("holds at most four routes and counts only support ≥ min_support", () => {
    const many = Array.from({ length: 6 }, (_, i) => key(`rm${i}`))
    const params = withParams({ minSupport: 8_000_000_000n })
    const l = new Lockstep({ params })
    for (const k of [admin, ...many, ...witnesses, owner]) l.actor(k)
    l.run({ kind: "initialize", authority: admin.publicKey, params, allowlist: many.map((m) => m.publicKey) })
    for (const m of many) l.run({ kind: "minerBond", miner: m.publicKey, amount: 5_000_000_000n })
    witnesses.forEach((x, i) => l.run({ kind: "witnessBond", witness: x.publicKey, amount: BigInt(i + 1) * 1_000_000_000n }))
    l.run({ kind: "registerName", owner: owner.publicKey, name: NAME })
    l.toEpoch(3n, 1n)
    for (let i = 0; i < 4; i++) {
      const r = route(NAME, BigInt(i + 1), owner, `10.0.0.${i + 1}`)
      l.run(submit(aggregateFor(l, many[i]!, 2n, r.record, witnesses.slice(i)), { serial: BigInt(i + 1), signature: r.signature }))
    }
    const fifth = route(NAME, 5n, owner, "10.0.0.5")
    l.expectError(submit(aggregateFor(l, many[4]!, 2n, fifth.record, witnesses), { serial: 5n, signature: fifth.signature }), "RND-9")
    const round = roundOf(l, 2n)
    expect(round.routes.map((r) => r.weight)).toEqual([5_000_000_000n, 5_000_000_000n, 0n, 0n])
    l.warpTo(round.challengeEnd)
    l.run({ kind: "finalizeRound", epoch: 2n, nameHash: NH }) // no route reaches quorum
    expect(roundOf(l, 2n).status).toBe(ROUND_STATUS.failed)
  })

  it("fails a round whose route is no newer than the canonical one", () => {
    const l = setup()
    submitAll(l, 2n, 1n)
    submitAll(l, 3n, 2n)
    l.warpTo(roundOf(l, 3n).challengeEnd)
    l.run({ kind: "finalizeRound", epoch: 3n, nameHash: NH })
    l.run({ kind: "finalizeRound", epoch: 2n, nameHash: NH })
    expect(roundOf(l, 2n).status).toBe(ROUND_STATUS.failed)
    expect(roundOf(l, 3n).status).toBe(ROUND_STATUS.finalized)
    // one of three seats is not a quorum
    submitAll(l, 5n, 3n, miners.slice(0, 1))
    l.warpTo(roundOf(l, 5n).challengeEnd)
    l.run({ kind: "finalizeRound", epoch: 5n, nameHash: NH })
    expect(roundOf(l, 5n).status).toBe(ROUND_STATUS.failed)
  })

  it("pays what the pool holds when it holds less than round_reward", () => {
    const params = withParams({ registrationFee: 0n, roundReward: 1_000_000_000n, minerRewardBps: 3333n })
    const l = setup({ params })
    submitAll(l, 2n)
    l.warpTo(roundOf(l, 2n).challengeEnd)
    l.run({ kind: "finalizeRound", epoch: 2n, nameHash: NH })
    expect(l.state.config!.rewardPool).toBeLessThan(3n)
    expect(roundOf(l, 2n).witnessPool).toBe(10_000_000n - (10_000_000n * 3333n) / 10_000n)
  })
})

const aggregateFor = (l: Lockstep, m: ReturnType<typeof key>, E: bigint, record: Parameters<typeof routeHash>[0], ws: readonly ReturnType<typeof key>[]) =>
  buildAggregate(
    ws.map((w) => receipt(w, E, NAME, routeHash(record))),
    (k) => l.world.stakeOf(k, E),
    m.publicKey
  )

void nameHash
