/**
 * The client with the reference miner (`reference/miner`, its own process, in `rpc` mode on the same
 * localnet): the owner publishes records to the miner (`POST /v1/routes`), a round finalizes them on
 * chain, and the client resolves through the miner's `GET /v1/routes/{name}`, follows its WebSocket
 * feed and posts receipts to it. No stand-in here: this is the miner's actual API.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { hex } from "../../../spec/src/bytes.ts"
import { nameHash } from "../../../spec/src/name.ts"
import { encodeRouteRecord, RECORD_TYPE } from "../../../spec/src/objects.ts"
import { DEV_PROGRAM_ID_BASE58 } from "../../../programs/client/program-id.ts"
import type { MinerProcess } from "../../miner/test/helpers.ts"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { startClient, type RunningClient } from "../Client.ts"
import { buildChainWorld, owner, signRoute, witnesses, type ChainWorld, type SignedRoute } from "./chain-world.ts"
import { answerLines, dig, HONEST_MINER, ROUTES, statusOf, tempDir } from "./world.ts"

let chain: ChainWorld
let miner: MinerProcess
const clients: RunningClient[] = []
const dirs: string[] = []

const publish = async (r: SignedRoute): Promise<number> => {
  const res = await fetch(`${miner.url}/v1/routes`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ encoding: hex(encodeRouteRecord(r.record)), signature: hex(r.signature) })
  })
  await res.arrayBuffer()
  return res.status
}

const start = async (over: Record<string, unknown> = {}) => {
  const dir = tempDir("refminer")
  dirs.push(dir)
  const { clientSettings } = await import("../Config.ts")
  const c = await startClient(
    clientSettings({
      data_dir: dir,
      rpc: { urls: [chain.rpcUrl] },
      miners: { urls: [miner.url], feeds: false },
      dns: { port: 0 },
      doh: { https: { enabled: false }, http: { enabled: false } },
      log: { level: "error" },
      ...over
    }),
    { log: () => {} }
  )
  clients.push(c)
  return c
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const waitFor = async (cond: () => boolean | Promise<boolean>, ms = 15_000) => {
  const end = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("timed out waiting")
    await sleep(100)
  }
}

beforeAll(async () => {
  if (HONEST_MINER === "stand-in") return
  chain = await buildChainWorld({ register: ["hello.dns", "alias.dns", "bad.dns"], finalize: [] })
  const { startMiner } = await import("../../miner/test/helpers.ts")
  miner = await startMiner({ rpc: { urls: [chain.rpcUrl], programId: DEV_PROGRAM_ID_BASE58 } })
  // owners publish to the miner before the round; the miner checks them against the chain
  for (const r of [ROUTES.hello, ROUTES.alias, ROUTES.bad]) expect(await publish(r)).toBe(200)
  await chain.finalize([ROUTES.hello, ROUTES.alias, ROUTES.bad])
  // bad.dns's owner then publishes serial 2, which no round has finalized
  expect(await publish(ROUTES.badServed)).toBe(200)
})
afterAll(async () => {
  for (const c of clients) await c.close()
  await miner?.stop()
  await chain?.net.close()
})

describe.skipIf(HONEST_MINER === "stand-in")("with the reference miner", () => {
  it("resolves through its route lookup and verifies against the chain", async () => {
    const c = await start()
    const port = c.endpoints.dns.port
    expect(answerLines((await dig(port, "hello.dns", "A")).stdout)).toEqual([expect.stringMatching(/^hello\.dns\. \d+ IN A 127\.0\.0\.1$/)])
    expect(answerLines((await dig(port, "alias.dns", "A")).stdout)).toHaveLength(2)
    // bad.dns's owner published serial 2 after the round: the canonical record is still serial 1's
    const bad = await dig(port, "bad.dns", "A")
    expect(statusOf(bad.stdout)).toBe("NOERROR")
    expect(answerLines(bad.stdout)).toEqual([expect.stringMatching(/^bad\.dns\. \d+ IN A 192\.0\.2\.1$/)])
  })

  it("re-verifies on the miner's feed, and keeps the canonical route when a newer one is only published", async () => {
    const c = await start({ miners: { urls: [miner.url], feeds: true } })
    const port = c.endpoints.dns.port
    await dig(port, "hello.dns", "A")
    const before = c.cache.peek("hello.dns")
    if (before?.kind !== "route") throw new Error("not cached")
    await sleep(1000) // the feed connects
    const v2 = signRoute({ name: "hello.dns", serial: 2n, ttl: 300, records: [{ type: RECORD_TYPE.A, data: Uint8Array.of(127, 0, 0, 2) }], owner: owner.publicKey })
    expect(await publish(v2)).toBe(200)
    await waitFor(() => {
      const e = c.cache.peek("hello.dns")
      return e?.kind === "route" && e.route.verifiedAt > before.route.verifiedAt
    })
    const after = c.cache.peek("hello.dns")
    expect(after?.kind === "route" && after.route.record.serial).toBe(1n)
    expect(answerLines((await dig(port, "hello.dns", "A")).stdout)[0]).toMatch(/127\.0\.0\.1$/)
  })

  it("posts receipts the miner accepts and stores", async () => {
    const dir = tempDir("refminer-key")
    dirs.push(dir)
    const keyFile = join(dir, "witness.json")
    const w = witnesses[1]
    writeFileSync(keyFile, JSON.stringify([...w.secretKey, ...w.publicKey]))
    const E = chain.slot / chain.L + 1n
    await chain.warpTo(E * chain.L)
    const c = await start({ receipts: { enabled: true, witness_key: keyFile, sample_rate: 1, poll_ms: 100 } })
    await waitFor(() => c.receipts.status().epoch === E)
    await dig(c.endpoints.dns.port, "alias.dns", "A")
    await chain.warpTo((E + 1n) * chain.L + 5n)
    await waitFor(() => c.receipts.status().posted > 0)
    const res = await fetch(`${miner.url}/v1/receipts?epoch=${E}`)
    type Stored = { receipt?: { witness: string; nameHash: string }; witness?: string; nameHash?: string }
    const body = (await res.json()) as { receipts?: Stored[]; items?: Stored[] }
    const stored = (body.receipts ?? body.items ?? []).map((i) => ({ witness: i.receipt?.witness ?? i.witness, nameHash: i.receipt?.nameHash ?? i.nameHash }))
    expect(stored.map((x) => x.witness)).toEqual([hex(w.publicKey), hex(w.publicKey)])
    expect(new Set(stored.map((x) => x.nameHash))).toEqual(new Set([hex(nameHash("hello.dns")), hex(nameHash("alias.dns"))]))
  })
})
