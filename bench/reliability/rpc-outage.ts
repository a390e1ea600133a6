/**
 * RPC outages while miners run: a localnet with the dotdns program, three miner processes in `rpc`
 * mode, miner A talking to the chain through a JSON-RPC proxy (reference/miner/test/e2e-support.ts)
 * that can drop every connection (the RPC port gone) or forward A's `submit_aggregate` and swallow the
 * answer (landed, never heard). Each epoch takes one kind of outage across A's submission window:
 *
 *   down      the RPC is unreachable as the window opens, for `outageMs`, then back;
 *   swallow   A's submission lands but A never hears so, then the RPC is down for `outageMs`;
 *   flapping  the RPC goes down and up every 300 ms for `outageMs`.
 *
 * Pass: every epoch, A's aggregate lands and the round finalizes to the new route; the proxy saw
 * exactly one distinct `submit_aggregate` signature from A per epoch (retries re-send the same bytes:
 * A never submits twice); and A is still healthy at the end.
 */
import { AGGREGATE_FLAG } from "../../spec/src/accounts.ts"
import { equal } from "../../spec/src/bytes.ts"
import { toBase58 } from "../../programs/client/base58.ts"
import { nameHash } from "../../spec/src/name.ts"
import { bootstrap, READER, read, startMiners, startNet, startRpcProxy, until, untilEpoch, type ChainMiner, type Net, type RpcProxy } from "../../reference/miner/test/e2e-support.ts"
import { encodeBinaryBatch, keypair, postBinary, postJson, routeHashOf, routeOf, signedRoute, signReceipt } from "../../reference/miner/test/helpers.ts"

export type OutageKind = "down" | "swallow" | "flapping"

export interface OutageReport {
  readonly pass: boolean
  readonly epochs: readonly {
    epoch: number
    kind: OutageKind
    outageMs: number
    landedAfterMs: number | null
    finalized: boolean
    distinctSignaturesFromA: number
    sendsFromA: number
    error?: string
  }[]
  readonly seconds: number
  readonly healthyAtEnd: boolean
}

export const rpcOutages = async (opts: { outageMs?: number; kinds?: readonly OutageKind[]; log?: (s: string) => void } = {}): Promise<OutageReport> => {
  const t0 = Date.now()
  const log = opts.log ?? (() => {})
  const outageMs = opts.outageMs ?? 2500
  const kinds = opts.kinds ?? ["down", "swallow", "flapping"]
  const admin = keypair("rel-rpc-admin")
  const owner = keypair("rel-rpc-owner")
  const minerKeys = [1, 2, 3].map((i) => keypair("rel-rpc-miner", i))
  const W = [1, 2, 3].map((i) => keypair("rel-rpc-witness", i))
  const NAME = "hello.dns"
  const NH = nameHash(NAME)
  let net: Net | undefined
  let proxy: RpcProxy | undefined
  let miners: ChainMiner[] = []
  const epochs: OutageReport["epochs"][number][] = []
  try {
    net = await startNet()
    const n = net
    await bootstrap(n, { admin, owner, allowlist: minerKeys, witnesses: W, name: NAME }, minerKeys)
    proxy = await startRpcProxy(n.rpcUrl)
    const p = proxy
    miners = await startMiners([p.url, n.rpcUrl, n.rpcUrl], minerKeys)
    const a = miners[0]!
    const payer = toBase58(a.identity.publicKey)
    const seen = () => p.submissions.get(payer)?.size ?? 0
    for (const [i, kind] of kinds.entries()) {
      const E = BigInt(i + 1)
      const base = Number(E) * 50
      // Epoch E (slots [50·E, 50·E + 50)): the previous round finalized at 50·E + 40 already lies in it.
      if ((await n.slot()) < BigInt(base)) await n.warp(BigInt(base))
      await untilEpoch(n, E)
      const record = routeOf(NAME, owner, E, [192, 0, 2, Number(E)])
      const route = routeHashOf(record)
      for (const m of miners) {
        const r = await postJson(`${m.url}/v1/routes`, signedRoute(record, owner))
        if (r.status !== 200) throw new Error(`route not taken by ${m.url}: ${JSON.stringify(r.body)}`)
        await postBinary(`${m.url}/v1/receipts`, encodeBinaryBatch(W.map((w) => signReceipt(w, E, NAME, route))))
      }
      const before = seen()
      const sendsBefore = p.sends.get(payer) ?? 0
      let error: string | undefined
      let landedAfterMs: number | null = null
      let finalized = false
      // The outage, across the opening of the submission window [(E+1)·50, +20).
      if (kind === "down") p.setDown(true)
      if (kind === "swallow") p.swallowSubmissions(a.identity.publicKey, 1000)
      const tWindow = Date.now()
      await n.warp(BigInt(base + 50))
      const outage = (async () => {
        if (kind === "down") {
          await new Promise((r) => setTimeout(r, outageMs))
          p.setDown(false)
        } else if (kind === "swallow") {
          await until("A's aggregate on-chain (answer swallowed)", async () => {
            const agg = await read(n.client(READER).aggregate(E, NH, a.identity.publicKey))
            return agg !== undefined && (agg.flags & AGGREGATE_FLAG.submitted) !== 0 ? true : undefined
          }, 30_000)
          p.setDown(true)
          await new Promise((r) => setTimeout(r, outageMs))
          p.swallowSubmissions(a.identity.publicKey, 0)
          p.setDown(false)
        } else {
          const end = Date.now() + outageMs
          let down = false
          while (Date.now() < end) {
            down = !down
            p.setDown(down)
            await new Promise((r) => setTimeout(r, 300))
          }
          p.setDown(false)
        }
      })()
      try {
        await until(`A's aggregate of epoch ${E} on-chain`, async () => {
          const agg = await read(n.client(READER).aggregate(E, NH, a.identity.publicKey))
          return agg !== undefined && (agg.flags & AGGREGATE_FLAG.submitted) !== 0 ? true : undefined
        }, 45_000)
        landedAfterMs = Date.now() - tWindow
        await outage
        await until(`all aggregates of epoch ${E}`, async () => {
          const all = await Promise.all(minerKeys.map((k) => read(n.client(READER).aggregate(E, NH, k.publicKey))))
          return all.every((x) => x !== undefined) ? true : undefined
        }, 45_000)
        await n.warp(BigInt(base + 90))
        await until(`epoch ${E} finalized`, async () => {
          const nm = await read(n.client(READER).name(NH))
          return nm !== undefined && equal(nm.routeHash, route) ? true : undefined
        }, 45_000)
        finalized = true
        // Give A time to resolve any pending record (a wrong one would re-send now).
        await new Promise((r) => setTimeout(r, 1500))
      } catch (e) {
        error = e instanceof Error ? e.message : String(e)
        await outage.catch(() => {})
        p.setDown(false)
      }
      const distinct = seen() - before
      epochs.push({ epoch: Number(E), kind, outageMs, landedAfterMs, finalized, distinctSignaturesFromA: distinct, sendsFromA: (p.sends.get(payer) ?? 0) - sendsBefore, ...(error ? { error } : {}) })
      log(`rpc outage, epoch ${E} (${kind}, ${outageMs} ms): A's aggregate landed after ${landedAfterMs ?? "—"} ms; ${distinct} distinct submission signature(s) from A; finalized ${finalized}${error ? `; ${error}` : ""}`)
      if (error !== undefined) break
    }
    const healthyAtEnd = await fetch(`${a.url}/healthz`).then((r) => r.ok).catch(() => false)
    return {
      pass: epochs.length === kinds.length && epochs.every((e) => e.finalized && e.distinctSignaturesFromA === 1) && healthyAtEnd,
      epochs,
      seconds: Math.round((Date.now() - t0) / 1000),
      healthyAtEnd
    }
  } finally {
    await Promise.all(miners.map((m) => m.stop()))
    await proxy?.close()
    await net?.close()
  }
}
