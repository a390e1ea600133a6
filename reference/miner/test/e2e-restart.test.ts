/**
 * A miner killed and restarted resumes where it was and never submits twice.
 *
 * Miner A talks to the chain through a JSON-RPC proxy that sees every `submit_aggregate` it sends.
 * First A is killed (SIGKILL) mid-epoch with receipts ingested, and restarted: the receipts are there
 * and its duties go on. Then, in the submit window, the proxy forwards A's submission to the chain but
 * never lets the answer back, and goes down altogether; A is killed with its record at "sent". When it
 * comes back it reads the chain, finds its statement in its Aggregate account, records it as confirmed
 * — and the proxy has seen exactly one submission signature from A, ever. The round still finalizes
 * and A records the finality.
 */
import { DatabaseSync } from "node:sqlite"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { toBase58 } from "../../../programs/client/base58.ts"
import { AGGREGATE_FLAG } from "../../../spec/src/accounts.ts"
import { equal, hex } from "../../../spec/src/bytes.ts"
import { nameHash } from "../../../spec/src/name.ts"
import { bootstrap, READER, read, startMiners, startNet, startRpcProxy, until, untilEpoch, type ChainMiner, type Net, type RpcProxy } from "./e2e-support.ts"
import { encodeBinaryBatch, getJson, keypair, postBinary, postJson, routeHashOf, routeOf, signedRoute, signReceipt } from "./helpers.ts"

const admin = keypair("rst-admin")
const owner = keypair("rst-owner")
const minerKeys = [keypair("rst-miner", 1), keypair("rst-miner", 2), keypair("rst-miner", 3)]
const W = [1, 2, 3].map((i) => keypair("rst-witness", i))
const NAME = "hello.dns"
const NH = nameHash(NAME)
const record = routeOf(NAME, owner, 1n, [192, 0, 2, 9])
const ROUTE = routeHashOf(record)

let net: Net
let proxy: RpcProxy
let miners: ChainMiner[] = []

/** A's submission record for (epoch 1, hello.dns), read from its SQLite file (WAL: safe beside the process). */
const submissionOf = (m: ChainMiner): { status: string; tx_signature: string | null; attempts: number } | undefined => {
  const db = new DatabaseSync(join(m.dir, "data", "miner.sqlite"), { readOnly: true })
  try {
    const row = db.prepare("SELECT status, tx_signature, attempts FROM submissions WHERE epoch = 1 AND name_hash = ?").get(NH) as
      | { status: string; tx_signature: string | null; attempts: number | bigint }
      | undefined
    return row === undefined ? undefined : { ...row, attempts: Number(row.attempts) }
  } finally {
    db.close()
  }
}

beforeAll(async () => {
  net = await startNet()
  await bootstrap(net, { admin, owner, allowlist: minerKeys, witnesses: W, name: NAME }, minerKeys)
  proxy = await startRpcProxy(net.rpcUrl)
  miners = await startMiners([proxy.url, net.rpcUrl, net.rpcUrl], minerKeys)
}, 90_000)

afterAll(async () => {
  if (process.env.DOTDNS_E2E_LOGS) for (const m of miners) console.log(`--- ${m.url}\n${m.output()}`)
  await Promise.all(miners.map((m) => m.stop()))
  await proxy?.close()
  await net?.close()
})

describe("a miner killed and restarted", () => {
  it("keeps what it ingested when killed mid-epoch", async () => {
    await net.warp(50n)
    await untilEpoch(net, 1n)
    for (const m of miners) expect((await postJson(`${m.url}/v1/routes`, signedRoute(record, owner))).status).toBe(200)
    for (const m of miners) expect((await postBinary(`${m.url}/v1/receipts`, encodeBinaryBatch(W.map((w) => signReceipt(w, 1n, NAME, ROUTE))))).body.accepted).toBe(3)
    const a = miners[0]!
    expect(await a.kill9()).toBe("SIGKILL")
    await a.restart()
    const stored = await getJson(`${a.url}/v1/receipts?epoch=1&nameHash=${hex(NH)}`)
    expect(stored.body.receipts.length).toBe(3)
  })

  it("resumes a submission whose answer it never got, without sending it again", async () => {
    const a = miners[0]!
    const payer = toBase58(a.identity.publicKey)
    proxy.swallowSubmissions(a.identity.publicKey, 1_000)
    await net.warp(100n)
    // A's transaction lands; A hears nothing back.
    await until("A's aggregate on-chain", async () => {
      const agg = await read(net.client(READER).aggregate(1n, NH, a.identity.publicKey))
      return agg !== undefined && (agg.flags & AGGREGATE_FLAG.submitted) !== 0 ? agg : undefined
    })
    proxy.setDown(true)
    expect(await a.kill9()).toBe("SIGKILL")
    const before = submissionOf(a)
    expect(before?.status).toBe("sent")
    const landed = proxy.submissions.get(payer)
    expect(landed?.size).toBe(1)
    const signature = [...landed!][0]!
    expect(before?.tx_signature).toBe(signature)

    // Back, with the RPC up again: the chain says the statement is there; the record follows.
    proxy.setDown(false)
    proxy.swallowSubmissions(a.identity.publicKey, 0)
    await a.restart()
    const after = await until("A's record confirmed", async () => {
      const s = submissionOf(a)
      return s?.status === "confirmed" ? s : undefined
    })
    expect(after.attempts).toBe(before!.attempts)
    expect(proxy.submissions.get(payer)).toEqual(new Set([signature]))

    // The round finalizes, and the restarted miner records the finality like the others.
    await until("all aggregates on-chain", async () => {
      const all = await Promise.all(minerKeys.map((k) => read(net.client(READER).aggregate(1n, NH, k.publicKey))))
      return all.every((x) => x !== undefined) ? true : undefined
    })
    await net.warp(140n)
    await until("finality", async () => {
      const n = await read(net.client(READER).name(NH))
      return n !== undefined && equal(n.routeHash, ROUTE) ? true : undefined
    })
    const page = await until("A's reconciliation entry", async () => {
      const r = await getJson(`${a.url}/v1/routes?since=0`)
      return r.body.routes?.length > 0 ? r.body : undefined
    })
    expect(page.routes[0].routeHash).toBe(hex(ROUTE))
    expect(submissionOf(a)?.status).toBe("finalized")
    expect(proxy.submissions.get(payer)?.size).toBe(1)
  })
})
