/**
 * Throws ≥ 10,000 malformed HTTP requests and ≥ 1,000 malformed WebSocket frames at a localnet
 * running as its own process (so a crash is seen, not hidden in the test runner), then checks it
 * still answers correctly. Loopback only, bounded in count and time, seeded (FUZZ_SEED overrides).
 */
import { getBase58Decoder, getBase58Encoder } from "@solana/kit"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { keypairFromSeed, type Ed25519Keypair } from "../ed25519.ts"
import { WsClient, rpc, sleep, spawnLocalnet, type RpcReply, type SpawnedLocalnet } from "./helpers.ts"

const SEED = Number(process.env["FUZZ_SEED"] ?? 20250611)
const HTTP_REQUESTS = 10_500
const WS_FRAMES = 1_500
const CONCURRENCY = 16
const TIME_BUDGET_MS = 50_000

const b58 = getBase58Decoder()

/** mulberry32: small, fast, seedable. */
const prng = (seed: number) => {
  let a = seed >>> 0
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number): number => Math.floor(next() * n)
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!
  const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => int(256))
  return { next, int, pick, bytes }
}
type Rng = ReturnType<typeof prng>

const METHODS = [
  "getAccountInfo", "getBalance", "getMultipleAccounts", "getProgramAccounts", "getLatestBlockhash", "isBlockhashValid",
  "sendTransaction", "simulateTransaction", "getSignatureStatuses", "getTransaction", "getSlot", "getBlockHeight",
  "getEpochInfo", "getMinimumBalanceForRentExemption", "requestAirdrop", "getHealth", "getVersion", "getGenesisHash",
  "getFeeForMessage", "getRecentPrioritizationFees", "getSignaturesForAddress", "getBlockTime", "getEpochSchedule",
  "dotdns_warpSlot", "dotdns_setAccount", "dotdns_info", "accountSubscribe", "nonexistentMethod", "", "constructor", "__proto__"
] as const

const PROGRAMS = [
  "11111111111111111111111111111111",
  "MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr",
  "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",
  "ComputeBudget111111111111111111111111111111",
  "AddressLookupTab1e1111111111111111111111111",
  "BPFLoaderUpgradeab1e11111111111111111111111",
  "Stake11111111111111111111111111111111111111",
  "Vote111111111111111111111111111111111111111",
  "SysvarC1ock11111111111111111111111111111111"
].map(b58ToBytes)

function b58ToBytes(text: string): Uint8Array {
  return new Uint8Array(getBase58Encoder().encode(text))
}

const shortVec = (n: number): number[] => {
  const out: number[] = []
  let v = n
  for (;;) {
    const b = v & 0x7f
    v >>= 7
    if (v === 0) return [...out, b]
    out.push(b | 0x80)
  }
}

/** A well-formed, properly signed transaction with nonsense instructions: gets past decoding into the SVM. */
const signedGarbage = (r: Rng, payer: Ed25519Keypair, blockhash: Uint8Array): Uint8Array => {
  const extra = Array.from({ length: r.int(5) }, () => (r.next() < 0.6 ? r.pick(PROGRAMS) : r.bytes(32)))
  const keys = [payer.publicKey, ...extra, r.pick(PROGRAMS)]
  const unique = keys.filter((k, i) => keys.findIndex((o) => Buffer.compare(Buffer.from(o), Buffer.from(k)) === 0) === i)
  const instructions: number[] = []
  const ixCount = 1 + r.int(3)
  for (let i = 0; i < ixCount; i++) {
    const accounts = Array.from({ length: r.int(4) }, () => r.int(unique.length))
    const data = r.next() < 0.3 ? [2, 0, 0, 0, ...r.bytes(8)] : [...r.bytes(r.int(48))]
    const program = r.next() < 0.7 ? unique.length - 1 : 1 + r.int(unique.length - 1)
    instructions.push(program, ...shortVec(accounts.length), ...accounts, ...shortVec(data.length), ...data)
  }
  const v0 = r.next() < 0.3
  const message = Uint8Array.from([
    ...(v0 ? [0x80] : []),
    1,
    0,
    r.int(unique.length),
    ...shortVec(unique.length),
    ...unique.flatMap((k) => [...k]),
    ...(r.next() < 0.8 ? blockhash : r.bytes(32)),
    ...shortVec(ixCount),
    ...instructions,
    ...(v0 ? (r.next() < 0.5 ? [0] : [1, ...r.bytes(32), 1, r.int(4), 0]) : [])
  ])
  return Uint8Array.from([1, ...payer.sign(message), ...message])
}

const randomJson = (r: Rng, depth = 0): unknown => {
  const roll = r.int(depth > 3 ? 8 : 11)
  switch (roll) {
    case 0: return null
    case 1: return r.next() < 0.5
    case 2: return r.pick([0, -1, 1.5, 2 ** 53, 2 ** 64, -(2 ** 63), 1e308, Number.MIN_VALUE, 255, 256, 65535])
    case 3: return r.pick(["", "base64", "base58", "jsonParsed", "finalized", "processed", "x".repeat(r.int(3000)), "11111111111111111111111111111111"])
    case 4: return b58.decode(r.bytes(r.pick([31, 32, 33, 64, 65])))
    case 5: return Buffer.from(r.bytes(r.int(200))).toString("base64")
    case 6: return String.fromCharCode(...Array.from({ length: r.int(20) }, () => r.int(0xffff)))
    case 7: return r.int(1_000_000)
    case 8: return Array.from({ length: r.int(5) }, () => randomJson(r, depth + 1))
    case 9: {
      const keys = ["encoding", "commitment", "filters", "dataSlice", "minContextSlot", "skipPreflight", "sigVerify", "replaceRecentBlockhash", "accounts", "limit", "before", "memcmp", "dataSize", "offset", "bytes", "lamports", "data", "__proto__"]
      return Object.fromEntries(Array.from({ length: r.int(4) }, () => [r.pick(keys), randomJson(r, depth + 1)]))
    }
    default: return { memcmp: { offset: r.int(100), bytes: randomJson(r, depth + 1), encoding: r.pick(["base58", "base64", "hex"]) } }
  }
}

const nested = (depth: number): string => "[".repeat(depth) + "]".repeat(depth)

interface Body {
  readonly text: string | Uint8Array
}

const envelope = (method: string, params: unknown, id: unknown = 1): string => JSON.stringify({ jsonrpc: "2.0", id, method, params })

const makeBody = (r: Rng, payers: readonly Ed25519Keypair[], blockhash: () => Uint8Array): Body => {
  switch (r.int(12)) {
    case 0:
      return { text: r.bytes(r.int(2000)) }
    case 1: {
      const full = envelope(r.pick(METHODS), randomJson(r))
      return { text: full.slice(0, r.int(full.length)) }
    }
    case 2:
    case 3:
      return { text: envelope(r.pick(METHODS), r.next() < 0.8 ? [randomJson(r), randomJson(r)] : randomJson(r)) }
    case 4: {
      const n = r.pick(["1e400", "-1e400", "18446744073709551616", "1e-400", "-0", "9007199254740993", "123456789012345678901234567890"])
      return { text: `{"jsonrpc":"2.0","id":${r.pick([n, "1"])},"method":"${r.pick(METHODS)}","params":[${n},{"minContextSlot":${n}}]}` }
    }
    case 5: {
      // Parsing depth costs the server time, so the deepest kind is rare.
      const depth = r.next() < 0.03 ? 100_000 : r.pick([100, 1000, 10_000])
      return { text: r.next() < 0.5 ? nested(depth) : `{"jsonrpc":"2.0","id":1,"method":"getBalance","params":${nested(depth)}}` }
    }
    case 6: {
      const junk = r.pick([
        () => "0OIl" + b58.decode(r.bytes(r.int(300))),
        () => b58.decode(r.bytes(r.int(1300))),
        () => Buffer.from(r.bytes(r.int(1300))).toString("base64"),
        () => Buffer.from(r.bytes(r.int(1300))).toString("base64").slice(1),
        () => "====" + Buffer.from(r.bytes(40)).toString("base64"),
        () => Buffer.from(r.bytes(2000)).toString("base64")
      ])()
      const encoding = r.pick(["base58", "base64", undefined, "hex"])
      return { text: envelope(r.pick(["sendTransaction", "simulateTransaction"]), [junk, { encoding, skipPreflight: r.next() < 0.5, sigVerify: r.next() < 0.5 }]) }
    }
    case 7:
    case 8: {
      const tx = signedGarbage(r, r.pick(payers), blockhash())
      if (r.next() < 0.2) tx[r.int(tx.length)]! ^= 1 << r.int(8)
      const method = r.next() < 0.75 ? "sendTransaction" : "simulateTransaction"
      const config = method === "sendTransaction" ? { encoding: "base64", skipPreflight: r.next() < 0.5 } : { encoding: "base64", sigVerify: r.next() < 0.5, replaceRecentBlockhash: r.next() < 0.3, innerInstructions: true }
      return { text: envelope(method, [Buffer.from(tx).toString("base64"), config]) }
    }
    case 9: {
      const items = Array.from({ length: 1 + r.int(20) }, () => (r.next() < 0.7 ? { jsonrpc: "2.0", id: r.int(100), method: r.pick(METHODS), params: randomJson(r) } : randomJson(r)))
      return { text: JSON.stringify(items) }
    }
    case 10:
      return {
        text: JSON.stringify({ jsonrpc: r.pick(["2.0", "1.0", 2, null]), id: r.pick([1, "a", null, {}, [], 1.5]), method: r.pick([...METHODS, 5, null]), params: randomJson(r) })
      }
    default:
      return { text: envelope(r.pick(["getProgramAccounts", "getAccountInfo", "getMultipleAccounts"]), [r.pick([b58.decode(r.pick(PROGRAMS)), randomJson(r)]), randomJson(r)]) }
  }
}

let node: SpawnedLocalnet

beforeAll(async () => {
  node = await spawnLocalnet(["--slot-time", "100", "--quiet"])
})

afterAll(async () => {
  await node?.stop()
})

describe("fuzz", () => {
  it(`survives ${HTTP_REQUESTS} malformed HTTP requests and ${WS_FRAMES} WebSocket frames (seed ${SEED})`, async () => {
    const started = Date.now()
    const r = prng(SEED)
    const payers = Array.from({ length: 6 }, (_, i) => keypairFromSeed(Uint8Array.from({ length: 32 }, (_, j) => (SEED + i * 31 + j) & 0xff)))
    for (const p of payers) expect((await rpc(node.rpcUrl, "requestAirdrop", [b58.decode(p.publicKey), 100_000_000_000])).error).toBeUndefined()
    let latest = b58ToBytes(((await rpc(node.rpcUrl, "getLatestBlockhash")).result as { value: { blockhash: string } }).value.blockhash)
    const refresh = setInterval(() => {
      void rpc(node.rpcUrl, "getLatestBlockhash").then((x) => {
        latest = b58ToBytes((x.result as { value: { blockhash: string } }).value.blockhash)
      }, () => {})
    }, 2000)

    const codes = new Map<string, number>()
    const bump = (k: string) => codes.set(k, (codes.get(k) ?? 0) + 1)
    const failures: string[] = []
    const bodies = Array.from({ length: HTTP_REQUESTS }, () => makeBody(r, payers, () => latest))
    let cursor = 0
    const worker = async () => {
      while (cursor < bodies.length && Date.now() - started < TIME_BUDGET_MS) {
        const body = bodies[cursor++]!
        try {
          const res = await fetch(node.rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body: body.text })
          const text = await res.text()
          bump(`http ${res.status}`)
          if (res.status !== 200) failures.push(`status ${res.status}`)
          if (text === "") continue
          const parsed = JSON.parse(text) as RpcReply | RpcReply[]
          for (const reply of Array.isArray(parsed) ? parsed : [parsed]) {
            if (reply.jsonrpc !== "2.0" || ("result" in reply) === (reply.error !== undefined)) failures.push(`not JSON-RPC: ${text.slice(0, 120)}`)
            if (reply.error !== undefined) bump(String(reply.error.code))
            else bump("result")
          }
        } catch (e) {
          failures.push(`transport: ${String(e)}`)
        }
      }
    }
    await Promise.all(Array.from({ length: CONCURRENCY }, worker))
    clearInterval(refresh)
    const sent = cursor
    expect(failures.slice(0, 10)).toEqual([])
    expect(sent).toBe(HTTP_REQUESTS)
    for (const code of ["-32700", "-32600", "-32601", "-32602", "-32002", "-32003", "result"]) expect(codes.get(code) ?? 0, `${code} in ${JSON.stringify([...codes])}`).toBeGreaterThan(0)

    // WebSocket: junk frames over a few connections, each connection then still subscribes.
    const clients = await Promise.all(Array.from({ length: 4 }, () => WsClient.connect(node.wsUrl)))
    for (let i = 0; i < WS_FRAMES; i++) {
      const c = clients[i % clients.length]!
      const roll = r.int(4)
      if (roll === 0) c.send(Buffer.from(r.bytes(r.int(500))).toString("latin1"))
      else if (roll === 1) c.send(envelope(r.pick(["accountSubscribe", "programSubscribe", "signatureSubscribe", "logsSubscribe", "slotUnsubscribe", "accountUnsubscribe"]), randomJson(r), r.int(1000)))
      else if (roll === 2) c.send(nested(r.pick([10, 1000, 20_000])))
      else c.send(JSON.stringify(Array.from({ length: r.int(10) }, () => randomJson(r))))
    }
    for (const c of clients) {
      expect(typeof (await c.subscribe("slotSubscribe"))).toBe("number")
      c.close()
    }

    // Still alive and correct.
    expect(node.child.exitCode).toBeNull()
    expect((await rpc(node.rpcUrl, "getHealth")).result).toBe("ok")
    const slot = (await rpc(node.rpcUrl, "getSlot")).result as number
    await sleep(350)
    expect((await rpc(node.rpcUrl, "getSlot")).result as number).toBeGreaterThan(slot)
    const who = b58.decode(payers[0]!.publicKey.map((b) => b ^ 0x5a))
    expect((await rpc(node.rpcUrl, "requestAirdrop", [who, 1_000_000_000])).result).toBeTypeOf("string")
    expect(((await rpc(node.rpcUrl, "getBalance", [who])).result as { value: number }).value).toBe(1_000_000_000)
    expect(Date.now() - started).toBeLessThan(TIME_BUDGET_MS)
  }, 90_000)
})
