/**
 * End to end, real processes: a localnet with the dotdns program, the protocol initialized by spec ops
 * over JSON-RPC (LOCALNET params, the three miners on the allowlist), three miner processes that
 * register through the CLI and then run on their own — and a route the owner publishes becomes
 * canonical on-chain through them alone:
 *
 *   receipts in (epoch 1) → aggregates on-chain (epoch 2's submit window) → round finalized
 *   (Name.route_hash = the record's) → `route.finalized` delivered on the feed → reconciliation
 *   (`GET /v1/routes?since=`) returns it.
 *
 * The clock is stopped (slot time 0); the test warps it: slot 50 = epoch 1, 100 = epoch 2 (submit
 * window [100, 120)), 140 = the round's challenge_end.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { toBase58 } from "../../../programs/client/base58.ts"
import { AGGREGATE_FLAG, ROUND_STATUS } from "../../../spec/src/accounts.ts"
import { equal, hex } from "../../../spec/src/bytes.ts"
import { nameHash } from "../../../spec/src/name.ts"
import { LOCALNET_PARAMS } from "../../../spec/src/params.ts"
import { minerEntryOf } from "../Chain.ts"
import { followFeed, read, runCli, SOL, startMiners, startNet, until, type ChainMiner, type Net } from "./e2e-support.ts"
import { getJson, keypair, postBinary, postJson, routeHashOf, routeOf, signedRoute, signReceipt, encodeBinaryBatch } from "./helpers.ts"

const admin = keypair("e2e-admin")
const owner = keypair("e2e-owner")
const minerKeys = [keypair("e2e-miner", 1), keypair("e2e-miner", 2), keypair("e2e-miner", 3)]
const W = [1, 2, 3, 4].map((i) => keypair("e2e-witness", i))
const NAME = "hello.dns"
const NH = nameHash(NAME)
const record = routeOf(NAME, owner, 1n, [192, 0, 2, 1])
const ROUTE = routeHashOf(record)

let net: Net
let miners: ChainMiner[] = []

beforeAll(async () => {
  net = await startNet()
  for (const k of [admin, owner, ...minerKeys, ...W]) await net.airdrop(k.publicKey, 100n * SOL)
  await net.send(admin, { kind: "initialize", authority: admin.publicKey, params: LOCALNET_PARAMS, allowlist: minerKeys.map((m) => m.publicKey) })
  for (const [i, w] of W.entries()) await net.send(w, { kind: "witnessBond", witness: w.publicKey, amount: BigInt(i + 1) * SOL })
  await net.send(owner, { kind: "registerName", owner: owner.publicKey, name: NAME })
  await net.send(admin, { kind: "fundPool", funder: admin.publicKey, amount: 10_000_000n })
  miners = await startMiners(net.rpcUrl, minerKeys)
}, 90_000)

afterAll(async () => {
  if (process.env.DOTDNS_E2E_LOGS) for (const m of miners) console.log(`--- ${m.url}\n${m.output()}`)
  await Promise.all(miners.map((m) => m.stop()))
  await net?.close()
})

describe("three miner processes on a localnet", () => {
  it("register through the CLI and see their stake with `status`", async () => {
    const results = await Promise.all(miners.map((m) => runCli(["register", "--config", m.config, "--amount", String(5n * SOL)])))
    for (const r of results) expect(r.out, r.out).toMatch(/register 5000000000 lamports for .*: confirmed in slot 0/)
    // A second register is refused with a clear message.
    const again = await runCli(["register", "--config", miners[0]!.config, "--amount", "1"])
    expect([again.code, again.out]).toEqual([1, expect.stringMatching(/registered already; use `dotdns miner bond`/)])
    const set = await read(net.client(admin).minerSet)
    for (const m of minerKeys) expect(minerEntryOf(set, m.publicKey)?.pending).toBe(5n * SOL)
    const status = await runCli(["status", "--config", miners[1]!.config])
    expect(status.code, status.out).toBe(0)
    expect(status.out).toContain(`miner         ${toBase58(minerKeys[1]!.publicKey)}`)
    expect(status.out).toMatch(/stake +active 0, pending 5000000000/)
    expect(status.out).toMatch(/committee +not seated in epoch 0/)
  })

  it("crank the epoch: epoch 1's committee seats the three miners", async () => {
    await net.warp(50n)
    const committee = await until("committee of epoch 1", async () => {
      const c = await read(net.client(admin).committee(1n))
      return c !== undefined && c.memberCount === 3 ? c : undefined
    })
    expect(committee.members.slice(0, 3).map((m) => toBase58(m.key)).sort()).toEqual(minerKeys.map((m) => toBase58(m.publicKey)).sort())
    expect((await read(net.client(admin).config))?.currentEpoch).toBe(1n)
  })

  it("receipts in → aggregates on-chain → finalized → feed → reconciliation", async () => {
    // The owner publishes the record; witnesses post receipts for epoch 1 to every miner.
    for (const m of miners) expect((await postJson(`${m.url}/v1/routes`, signedRoute(record, owner))).status).toBe(200)
    const batch = encodeBinaryBatch(W.map((w) => signReceipt(w, 1n, NAME, ROUTE)))
    for (const m of miners) {
      const r = await postBinary(`${m.url}/v1/receipts`, batch)
      expect(r.body.accepted, JSON.stringify(r.body)).toBe(4)
    }
    const feed = followFeed(miners[2]!.url, ["route.finalized"])

    // Epoch 2: cut-off of epoch 1 and the submit window [100, 120).
    await net.warp(100n)
    const aggregates = await until(
      "three aggregates on-chain",
      async () => {
        const all = await Promise.all(minerKeys.map((m) => read(net.client(admin).aggregate(1n, NH, m.publicKey))))
        return all.every((a) => a !== undefined && (a.flags & AGGREGATE_FLAG.submitted) !== 0) ? all : undefined
      },
      30_000
    )
    for (const a of aggregates) {
      expect(a!.support).toBe(10n * SOL) // 1 + 2 + 3 + 4 SOL of witness stake
      expect(a!.receiptCount).toBe(4)
      expect(equal(a!.routeHash, ROUTE)).toBe(true)
      expect(a!.cidLen).toBe(36) // the CAR batch's CID rides in the statement
    }
    // The statement on-chain is the one each miner serves for audit.
    const served = await getJson(`${miners[0]!.url}/v1/aggregates/1/${hex(NH)}/${hex(minerKeys[0]!.publicKey)}`)
    expect(served.body.statementHash).toBe(hex(aggregates[0]!.statementHash))
    const round = await read(net.client(admin).round(1n, NH))
    expect(round?.routes[0]?.weight).toBe(15n * SOL)

    // Past challenge_end (140) a miner finalizes the round; the Name account takes the route.
    await net.warp(140n)
    const name = await until("the name's canonical route", async () => {
      const n = await read(net.client(admin).name(NH))
      return n !== undefined && equal(n.routeHash, ROUTE) ? n : undefined
    })
    expect([name.serial, name.routeEpoch]).toEqual([1n, 1n])
    expect((await read(net.client(admin).round(1n, NH)))?.status).toBe(ROUND_STATUS.finalized)

    // The feed delivers route.finalized, and reconciliation returns the record.
    const event = await until("route.finalized on the feed", async () => feed.events.find((e) => e.type === "route.finalized"))
    await feed.close()
    expect(JSON.stringify(event.data)).toContain(hex(ROUTE))
    for (const m of miners) {
      const page = await until("reconciliation entry", async () => {
        const r = await getJson(`${m.url}/v1/routes?since=0`)
        return r.body.routes?.length > 0 ? r.body : undefined
      })
      expect(page.routes[0].routeHash).toBe(hex(ROUTE))
      expect(page.routes[0].signature).toBe(signedRoute(record, owner).signature)
    }
    // The miners recorded their submissions as done: nothing pending.
    const status = await runCli(["status", "--config", miners[0]!.config])
    expect(status.out, status.out).toMatch(/submissions +0 pending/)
    expect(status.out).toMatch(/committee +seat \d of 3 in epoch 2/)
  })
})
