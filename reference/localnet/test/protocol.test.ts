/** JSON-RPC framing, error codes and limits, over HTTP and WebSocket. */
import { request } from "node:http"
import { connect } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Localnet } from "../localnet.ts"
import { WsClient, post, rpc, startTestLocalnet, type RpcReply } from "./helpers.ts"

let net: Localnet

beforeAll(async () => {
  net = await startTestLocalnet()
})

afterAll(async () => {
  await net?.close()
})

const parse = (text: string): RpcReply => JSON.parse(text) as RpcReply

describe("envelope", () => {
  it("answers bad JSON with -32700 and id null", async () => {
    for (const body of ["{bad", "", "[1,", '{"jsonrpc":"2.0"', "\u0000\u0001"]) {
      const r = await post(net.rpcUrl, body)
      expect(r.status).toBe(200)
      expect(parse(r.text)).toEqual({ jsonrpc: "2.0", error: { code: -32700, message: "Parse error" }, id: null })
    }
  })

  it("answers malformed requests with -32600", async () => {
    const cases = [
      "5",
      '"getSlot"',
      "null",
      "{}",
      '{"jsonrpc":"1.0","id":1,"method":"getSlot"}',
      '{"jsonrpc":"2.0","id":1,"method":7}',
      '{"jsonrpc":"2.0","id":{"a":1},"method":"getSlot"}',
      '{"jsonrpc":"2.0","id":1,"method":"getSlot","params":"x"}',
      "[]"
    ]
    for (const body of cases) {
      const reply = parse((await post(net.rpcUrl, body)).text)
      expect(reply.error?.code, body).toBe(-32600)
    }
    expect(parse((await post(net.rpcUrl, '{"jsonrpc":"1.0","id":"abc","method":"getSlot"}')).text).id).toBe("abc")
  })

  it("answers unknown methods with -32601, keeping the id", async () => {
    const reply = parse((await post(net.rpcUrl, '{"jsonrpc":"2.0","id":"x-1","method":"getNothing"}')).text)
    expect(reply).toEqual({ jsonrpc: "2.0", error: { code: -32601, message: "Method not found" }, id: "x-1" })
    expect((await rpc(net.rpcUrl, "accountSubscribe", ["11111111111111111111111111111111"])).error?.code).toBe(-32601)
  })

  it("handles batches and notifications", async () => {
    const batch = [
      { jsonrpc: "2.0", id: 1, method: "getHealth" },
      { jsonrpc: "2.0", method: "getSlot" },
      { jsonrpc: "2.0", id: 2, method: "nope" },
      7,
      { jsonrpc: "2.0", id: 3, method: "getBalance", params: [1] }
    ]
    const replies = JSON.parse((await post(net.rpcUrl, JSON.stringify(batch))).text) as RpcReply[]
    expect(replies.map((r) => [r.id, r.result ?? r.error?.code])).toEqual([
      [1, "ok"],
      [2, -32601],
      [null, -32600],
      [3, -32602]
    ])
    const silent = await post(net.rpcUrl, JSON.stringify([{ jsonrpc: "2.0", method: "getSlot" }]))
    expect(silent).toEqual({ status: 200, text: "" })
    expect(await post(net.rpcUrl, JSON.stringify({ jsonrpc: "2.0", method: "getHealth" }))).toEqual({ status: 200, text: "" })
  })

  it("serves GET /health, refuses other verbs, allows CORS preflight", async () => {
    const health = await fetch(`${net.rpcUrl}/health`)
    expect([health.status, await health.text()]).toEqual([200, "ok"])
    expect((await fetch(net.rpcUrl)).status).toBe(405)
    const options = await fetch(net.rpcUrl, { method: "OPTIONS" })
    expect(options.status).toBe(204)
    expect(options.headers.get("access-control-allow-origin")).toBe("*")
  })
})

describe("params", () => {
  it("answers wrong params with -32602 and a message", async () => {
    const cases: [string, unknown][] = [
      ["getBalance", [5]],
      ["getBalance", ["not-a-key"]],
      ["getBalance", ["1111"]],
      ["getBalance", []],
      ["getBalance", { pubkey: "x" }],
      ["getSlot", [{ commitment: "bogus" }]],
      ["getSlot", [{ minContextSlot: -1 }]],
      ["getSlot", [{ minContextSlot: 1.5 }]],
      ["getHealth", [1]],
      ["getAccountInfo", ["11111111111111111111111111111111", { encoding: "utf8" }]],
      ["getMultipleAccounts", [Array.from({ length: 101 }, () => "11111111111111111111111111111111")]],
      ["getSignatureStatuses", [["abc"]]],
      ["getTransaction", ["1".repeat(64), { commitment: "processed" }]],
      ["getProgramAccounts", ["11111111111111111111111111111111", { filters: [{ memcmp: { offset: 0, bytes: "0OIl" } }] }]],
      ["getProgramAccounts", ["11111111111111111111111111111111", { filters: [{ dataSize: 1 }, { dataSize: 1 }, { dataSize: 1 }, { dataSize: 1 }, { dataSize: 1 }] }]],
      ["requestAirdrop", ["11111111111111111111111111111111", -5]],
      ["requestAirdrop", ["11111111111111111111111111111111", 2 ** 64]],
      ["sendTransaction", ["!!!"]],
      ["sendTransaction", ["AAAA", { encoding: "base64" }]],
      ["sendTransaction", ["A".repeat(5000), { encoding: "base64" }]],
      ["sendTransaction", [Buffer.from([1, ...new Uint8Array(64), 1, 0, 0, 0, ...new Uint8Array(32)]).toString("base64"), { encoding: "base64" }]],
      ["sendTransaction", ["AAAA", { encoding: "hex" }]],
      ["simulateTransaction", [[1, 2, 3]]],
      ["getFeeForMessage", ["%%%"]],
      ["isBlockhashValid", ["xyz"]]
    ]
    for (const [method, params] of cases) {
      const reply = await rpc(net.rpcUrl, method, params)
      expect(reply.error?.code, `${method} ${JSON.stringify(params).slice(0, 80)}`).toBe(-32602)
      expect(reply.error?.message.length).toBeGreaterThan(5)
    }
    for (const n of ["1e400", "-1e400", "18446744073709551616", "0.5"]) {
      const raw = parse((await post(net.rpcUrl, `{"jsonrpc":"2.0","id":1,"method":"getBlockTime","params":[${n}]}`)).text)
      expect(raw.error?.code, n).toBe(-32602)
    }
    const msg = (await rpc(net.rpcUrl, "getBalance", [5])).error?.message
    expect(msg).toBe("Invalid params: expected string at params[0]")
    const sanitize = await rpc(net.rpcUrl, "sendTransaction", [
      Buffer.from([1, ...new Uint8Array(64), 1, 0, 0, 0, ...new Uint8Array(32), 0]).toString("base64"),
      { encoding: "base64" }
    ])
    expect(sanitize.error?.message).toBe("invalid transaction: Transaction failed to sanitize accounts offsets correctly")
  })

  it("enforces minContextSlot with -32016", async () => {
    const reply = await rpc(net.rpcUrl, "getBalance", ["11111111111111111111111111111111", { minContextSlot: 10_000_000 }])
    expect(reply.error?.code).toBe(-32016)
    expect((reply.error?.data as { contextSlot: number }).contextSlot).toBeLessThan(10_000_000)
  })

  it("refuses base58 account data over 128 bytes with -32600", async () => {
    const big = "4QjEBrJnATvydaCoPb7j4cneA5vSJNFsAYHQwRAjAjmQ"
    net.chain.setAccount({ address: big, lamports: 10_000_000n, owner: "11111111111111111111111111111111", executable: false, data: new Uint8Array(200) })
    const reply = await rpc(net.rpcUrl, "getAccountInfo", [big, { encoding: "base58" }])
    expect(reply.error).toMatchObject({ code: -32600, message: "Encoded binary (base 58) data should be less than 128 bytes, please use Base64 encoding." })
    expect((await rpc(net.rpcUrl, "getAccountInfo", [big, { encoding: "base64" }])).result).toBeDefined()
  })
})

describe("body limits", () => {
  it("refuses a declared oversized body before reading it", async () => {
    const { port } = new URL(net.rpcUrl)
    const socket = connect(Number(port), "127.0.0.1")
    const response = await new Promise<string>((resolve, reject) => {
      let text = ""
      socket.on("data", (d) => {
        text += d.toString()
        if (text.includes("\r\n\r\n") && text.includes("}")) resolve(text)
      })
      socket.on("error", reject)
      socket.on("close", () => resolve(text))
      // Headers only: the 2 MiB body never comes, so an answer proves it was not awaited.
      socket.write(`POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${2 * 1024 * 1024}\r\n\r\n`)
    })
    socket.destroy()
    expect(response.startsWith("HTTP/1.1 413")).toBe(true)
    expect(response).toContain('"code":-32600')
    expect((await rpc(net.rpcUrl, "getHealth")).result).toBe("ok")
  })

  it("cuts off a chunked body once it crosses the limit", async () => {
    const { port } = new URL(net.rpcUrl)
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port: Number(port), method: "POST", headers: { "content-type": "application/json" } }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on("error", (e) => reject(e))
      const chunk = Buffer.alloc(64 * 1024, 0x20)
      let sent = 0
      const pump = () => {
        while (sent < 4 * 1024 * 1024) {
          sent += chunk.length
          if (!req.write(chunk)) {
            req.once("drain", pump)
            return
          }
        }
        req.end()
      }
      pump()
    }).catch((e: unknown) => (e instanceof Error && "code" in e && (e.code === "EPIPE" || e.code === "ECONNRESET") ? 413 : -1))
    expect(status).toBe(413)
    expect((await rpc(net.rpcUrl, "getHealth")).result).toBe("ok")
  })
})

describe("websocket", () => {
  it("frames errors like the HTTP side and rejects bad unsubscribes", async () => {
    const ws = await WsClient.connect(net.wsUrl)
    const replies = ws.received
    ws.send("{not json")
    ws.send('{"jsonrpc":"2.0","id":5,"method":"getSlot"}')
    ws.send('{"jsonrpc":"2.0","id":6,"method":"accountSubscribe","params":["bad"]}')
    ws.send('{"jsonrpc":"2.0","id":7,"method":"accountUnsubscribe","params":[999999]}')
    const id = await ws.subscribe("slotSubscribe")
    expect((await ws.request("accountUnsubscribe", [id])).error?.message).toBe("Invalid subscription id.")
    expect((await ws.request("slotUnsubscribe", [id])).result).toBe(true)
    expect(replies.find((r) => r.id === null)?.error?.code).toBe(-32700)
    expect(replies.find((r) => r.id === 5)?.error?.code).toBe(-32601)
    expect(replies.find((r) => r.id === 6)?.error?.code).toBe(-32602)
    expect(replies.find((r) => r.id === 7)?.error?.message).toBe("Invalid subscription id.")
    ws.close()
  })

  it("closes a connection that sends an oversized frame, and keeps serving", async () => {
    const ws = await WsClient.connect(net.wsUrl)
    ws.send("x".repeat(2 * 1024 * 1024))
    expect((await ws.closed).code).toBe(1009)
    const again = await WsClient.connect(net.wsUrl)
    expect(typeof (await again.subscribe("slotSubscribe"))).toBe("number")
    again.close()
  })

  it("answers plain HTTP on the PubSub port with 426", async () => {
    expect((await fetch(net.wsUrl.replace("ws:", "http:"))).status).toBe(426)
  })
})
