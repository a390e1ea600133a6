/**
 * Dishonest committee members are caught and slashed by three honest miner processes with no human
 * action; an honest miner answers a reveal challenge on its own.
 *
 * The dishonest members are scripts with their own keys, and all but one a scripted "miner API" (peers
 * of the honest miners):
 *
 * - Mallory (epoch 1) submits aggregate A on-chain and gossips a different signed statement B for the
 *   same round → `prove_equivocation` [EQV-1, EQV-7]: jailed, slashed, stripped.
 * - Trudy (epoch 2) submits an aggregate with one leaf weighing more than its witness's stake, and
 *   serves its leaves → `pin_leaf` + `prove_bad_weight` [BLF-7].
 * - Wendy (epoch 2) submits a sound-looking aggregate and runs no API at all: no honest miner has a URL
 *   for her, and no listing names her aggregate. The watchers find it on chain (getProgramAccounts on
 *   Aggregate accounts) and, after the grace period, open reveal challenges on sampled leaves
 *   [RVL-1]; unanswered, they are settled at the deadline as upheld [RVL-10].
 * - An honest miner, challenged to reveal a leaf (opened with `dotdns miner challenge --reveal`),
 *   pins it and answers [RVL-7]; the challenge is rejected and the bond is the miner's.
 *
 * Both rounds still finalize on the honest stake. Slots: 50 = epoch 1; epoch E's submit window is
 * [(E+1)·50, (E+1)·50 + 20), its challenge_end (E+1)·50 + 40.
 */
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { SignedAggregateJson, toJson } from "../../../spec/src/json.ts"
import { toBase58 } from "../../../programs/client/base58.ts"
import { buildAggregate } from "../../../spec/src/aggregate.ts"
import { AGGREGATE_FLAG, CHALLENGE_STATUS, MEMBER_FLAG, ROUND_STATUS } from "../../../spec/src/accounts.ts"
import { equal, hex } from "../../../spec/src/bytes.ts"
import { sign, type Keypair } from "../../../spec/src/ed25519.ts"
import { nameHash } from "../../../spec/src/name.ts"
import { aggregateDigest, routeAuthDigest, routeAuthOf, type RouteRecord } from "../../../spec/src/objects.ts"
import type { Op } from "../../../spec/src/ops.ts"
import { minerEntryOf } from "../Chain.ts"
import { openingOf } from "../Submitter.ts"
import {
  bootstrap, followFeed, READER, read, runCli, SOL, startMiners, startNet, startScriptedPeer, until, untilEpoch, type ChainMiner, type Net, type ScriptedRound
} from "./e2e-support.ts"
import { encodeBinaryBatch, keypair, postBinary, postJson, routeHashOf, routeOf, signedRoute, signReceipt } from "./helpers.ts"

const admin = keypair("chl-admin")
const owner = keypair("chl-owner")
const honestKeys = [keypair("chl-miner", 1), keypair("chl-miner", 2), keypair("chl-miner", 3)]
const mallory = keypair("chl-mallory")
const trudy = keypair("chl-trudy")
const wendy = keypair("chl-wendy")
const W = [1, 2, 3, 4].map((i) => keypair("chl-witness", i))
const NAME = "hello.dns"
const NH = nameHash(NAME)
const records = [routeOf(NAME, owner, 1n, [192, 0, 2, 7]), routeOf(NAME, owner, 2n, [192, 0, 2, 8])] as const
const stakeOf = (witness: Uint8Array) => BigInt(W.findIndex((w) => equal(w.publicKey, witness)) + 1) * SOL
const receiptsOf = (epoch: bigint, record: RouteRecord) => W.map((w) => signReceipt(w, epoch, NAME, routeHashOf(record)))
const authOf = (record: RouteRecord) => ({ serial: record.serial, owner: owner.publicKey, signature: sign(owner, routeAuthDigest(routeAuthOf(record))) })

// Mallory, epoch 1: A on-chain (four receipts), B gossiped (three of them).
const malloryA = buildAggregate(receiptsOf(1n, records[0]), stakeOf, mallory.publicKey)
const malloryB = buildAggregate(receiptsOf(1n, records[0]).slice(0, 3), stakeOf, mallory.publicKey)
// Trudy, epoch 2: witness 1's leaf weighs one lamport more than its stake. Wendy, epoch 2: withholds.
const trudyAgg = buildAggregate(receiptsOf(2n, records[1]), (w) => stakeOf(w) + (equal(w, W[0]!.publicKey) ? 1n : 0n), trudy.publicKey)
const wendyAgg = buildAggregate(receiptsOf(2n, records[1]), stakeOf, wendy.publicKey)
const signed = (k: Keypair, built: typeof malloryA) => sign(k, aggregateDigest(built.statement))

let net: Net
let miners: ChainMiner[] = []
const scripted: { close(): Promise<void> }[] = []

const minerEntry = async (k: Keypair) => minerEntryOf(await read(net.client(READER).minerSet), k.publicKey)
const untilJailed = (k: Keypair, what: string) =>
  until(what, async () => {
    const e = await minerEntry(k)
    return e !== undefined && e.jailed === 1 ? e : undefined
  })
const submitAs = (k: Keypair, built: typeof malloryA, record: RouteRecord): Promise<string> => {
  const op: Op = { kind: "submitAggregate", statement: built.statement, opening: openingOf(built.leaves), auth: authOf(record) }
  return net.send(k, op)
}
const publish = async (epoch: bigint, record: RouteRecord) => {
  for (const m of miners) expect((await postJson(`${m.url}/v1/routes`, signedRoute(record, owner))).status).toBe(200)
  for (const m of miners) expect((await postBinary(`${m.url}/v1/receipts`, encodeBinaryBatch(receiptsOf(epoch, record)))).body.accepted).toBe(4)
}
const untilCanonical = (record: RouteRecord) =>
  until(`serial ${record.serial} canonical`, async () => {
    const n = await read(net.client(READER).name(NH))
    return n !== undefined && equal(n.routeHash, routeHashOf(record)) ? n : undefined
  })

beforeAll(async () => {
  net = await startNet()
  await bootstrap(net, { admin, owner, allowlist: [...honestKeys, mallory, trudy, wendy], witnesses: W, name: NAME }, [...honestKeys, mallory])
  // Trudy and Wendy hold the minimum stake: the honest three keep quorum (15 of 22 SOL) in every round.
  for (const k of [trudy, wendy]) await net.send(k, { kind: "minerBond", miner: k.publicKey, amount: 1n * SOL })
  const peers = await Promise.all([
    startScriptedPeer(mallory, new Map<bigint, ScriptedRound>([[1n, { built: malloryB, signature: signed(mallory, malloryB), serveLeaves: false }]])),
    startScriptedPeer(trudy, new Map<bigint, ScriptedRound>([[2n, { built: trudyAgg, signature: signed(trudy, trudyAgg), serveLeaves: true }]]))
    // Wendy serves no API: nobody has a URL for her.
  ])
  scripted.push(...peers)
  miners = await startMiners(net.rpcUrl, honestKeys, peers.map((p) => p.url))
}, 90_000)

afterAll(async () => {
  if (process.env.DOTDNS_E2E_LOGS) for (const m of miners) console.log(`--- ${m.url}\n${m.output()}`)
  await Promise.all(miners.map((m) => m.stop()))
  await Promise.all(scripted.map((p) => p.close()))
  await net?.close()
})

describe("challenges filed by the miners themselves", () => {
  it("an equivocating peer is proven, slashed and jailed; the round still finalizes", async () => {
    await net.warp(50n)
    await untilEpoch(net, 1n)
    expect((await read(net.client(READER).committee(1n)))?.memberCount).toBe(6)
    await publish(1n, records[0])
    const feed = followFeed(miners[0]!.url, ["challenge.settled"])
    const before = (await minerEntry(mallory))!

    // Epoch 2's window: Mallory submits A on-chain while its API gossips B.
    await net.warp(100n)
    await untilEpoch(net, 2n)
    await submitAs(mallory, malloryA, records[0])

    const after = await untilJailed(mallory, "Mallory jailed")
    // slash_bps = 1000: a tenth of the bonded stake is gone.
    const bonded = before.active + before.pending
    expect(after.active + after.pending).toBe(bonded - bonded / 10n)
    const agg = await read(net.client(READER).aggregate(1n, NH, mallory.publicKey))
    expect((agg!.flags & AGGREGATE_FLAG.equivocated) !== 0).toBe(true)
    const round = await read(net.client(READER).round(1n, NH))
    expect((round!.memberFlags[agg!.memberIndex]! & MEMBER_FLAG.stripped) !== 0).toBe(true)
    // Exactly one honest proof landed; the others lost the race (EQV-3), which is no failure.
    await until("a proof logged", async () => miners.some((m) => /"message":"proveEquivocation filed"/.test(m.output())) || undefined)
    expect(miners.filter((m) => /"message":"proveEquivocation filed"/.test(m.output())).length).toBe(1)
    if (/"message":"proveEquivocation filed"/.test(miners[0]!.output())) {
      const event = await until("challenge.settled on the feed", async () => feed.events.find((e) => e.type === "challenge.settled"))
      expect(event.data).toMatchObject({ kind: "equivocation", miner: hex(mallory.publicKey), status: "upheld" })
    }
    await feed.close()
    // Filing the same proof by hand (`dotdns miner challenge --file`) now breaks EQV-3, and says so.
    const file = join(miners[0]!.dir, "statements.json")
    writeFileSync(file, JSON.stringify({ statements: [malloryA, malloryB].map((b) => toJson(SignedAggregateJson, { statement: b.statement, signature: signed(mallory, b) })) }))
    const manual = await runCli(["challenge", "--config", miners[0]!.config, "--file", file])
    expect([manual.code, manual.out]).toEqual([1, expect.stringMatching(/rejected by the program: EQV-3/)])

    // The honest aggregates hold 15 of 22 SOL of committee stake: quorum, and finality at slot 140.
    await until("honest aggregates on-chain", async () => {
      const all = await Promise.all(honestKeys.map((k) => read(net.client(READER).aggregate(1n, NH, k.publicKey))))
      return all.every((a) => a !== undefined) || undefined
    })
    await net.warp(140n)
    expect((await untilCanonical(records[0])).serial).toBe(1n)
    expect((await read(net.client(READER).round(1n, NH)))!.routes[0]!.weight).toBe(15n * SOL)
  })

  it("a wrong leaf weight is pinned and proven; a withheld aggregate is revealed and upheld; an honest miner answers its reveal", async () => {
    // Epoch 2 (slot 140): the owner's serial 2 and receipts for it.
    await publish(2n, records[1])
    await net.warp(150n)
    await untilEpoch(net, 3n)
    await submitAs(trudy, trudyAgg, records[1])
    await submitAs(wendy, wendyAgg, records[1])

    // Trudy: her served leaves rebuild her on-chain root, and leaf 0 (witness 1) is one lamport heavy.
    await untilJailed(trudy, "Trudy jailed")
    const pin = await read(net.client(READER).leafPin({ epoch: 2n, nameHash: NH, miner: trudy.publicKey, index: trudyAgg.leaves.findIndex((l) => equal(l.witness, W[0]!.publicKey)) }))
    expect(pin?.weight).toBe(stakeOf(W[0]!.publicKey) + 1n)
    // The miner logs the proof once it saw it confirmed, which may be after the test saw the jail.
    await until("the proof logged", async () => miners.some((m) => /"message":"proveBadWeight filed"/.test(m.output())) || undefined)

    // An honest miner is challenged to reveal one of its leaves, through the CLI of another.
    const target = honestKeys[0]!
    await until("honest aggregate on-chain", async () => (await read(net.client(READER).aggregate(2n, NH, target.publicKey))) !== undefined || undefined)
    const claimableBefore = (await minerEntry(target))!.claimable
    const opened = await runCli(["challenge", "--config", miners[1]!.config, "--reveal", `2/${NAME}/${toBase58(target.publicKey)}/1`])
    expect(opened.out, opened.out).toMatch(/openReveal: confirmed in slot \d+/)
    const answered = await until("the reveal answered", async () => {
      const c = await read(net.client(READER).challenge({ epoch: 2n, nameHash: NH, miner: target.publicKey, index: 1 }))
      return c !== undefined && c.status === CHALLENGE_STATUS.rejected ? c : undefined
    })
    expect((await minerEntry(target))!.claimable).toBe(claimableBefore + answered.bond)
    // A second reveal on the same leaf is refused with its rule.
    const again = await runCli(["challenge", "--config", miners[2]!.config, "--reveal", `2/${NAME}/${toBase58(target.publicKey)}/1`])
    expect([again.code, again.out]).toEqual([1, expect.stringMatching(/rejected by the program: RVL-3/)])

    // Wendy serves no API, but her aggregate is on chain. Half the challenge window after the submit
    // window (slot 180) the miners open reveals; nobody answers; at the deadline (190) they are upheld.
    await net.warp(180n)
    const challenged = await until("a reveal against Wendy", async () => {
      const open = await read(net.client(READER).programAccounts("Challenge", []))
      const mine = open.filter((c) => equal(c.account.miner, wendy.publicKey))
      return mine.length > 0 ? mine : undefined
    })
    expect(challenged[0]!.account.status).toBe(CHALLENGE_STATUS.open)
    await until("a watcher says why", async () => miners.some((m) => /an aggregate no known peer serves/.test(m.output())) || undefined)
    await net.warp(190n)
    await untilJailed(wendy, "Wendy jailed")
    const settled = await until("Wendy's reveals settled", async () => {
      const all = (await read(net.client(READER).programAccounts("Challenge", []))).filter((c) => equal(c.account.miner, wendy.publicKey))
      return all.every((c) => c.account.status !== CHALLENGE_STATUS.open) ? all : undefined
    })
    expect(settled.some((c) => c.account.status === CHALLENGE_STATUS.upheld)).toBe(true)

    // The round closes on the honest stake: serial 2 is canonical.
    expect((await untilCanonical(records[1])).serial).toBe(2n)
    expect((await read(net.client(READER).round(2n, NH)))!.status).toBe(ROUND_STATUS.finalized)
  })
})
