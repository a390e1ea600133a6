/**
 * STAND-IN MINER — a test double, not a miner. The honest miner of the tests is the reference miner
 * (`reference/miner`, see `world.ts`); this double plays the miners it cannot be: one that lies (serves
 * a validly signed record no round finalized, or a record under a forged signature), is slow, fails,
 * or whose feed the test drives — and it records the exact bytes of receipt posts. It serves only the
 * endpoints the client uses, in spec 14's shapes: `GET /v1/routes/{name}`, `POST /v1/receipts`
 * (answers `accepted` per 170-byte frame) and the WebSocket feed `GET /v1/ws`. It verifies nothing.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http"
import { WebSocketServer, type WebSocket } from "ws"
import { hex } from "../../../spec/src/bytes.ts"
import { RouteRecordJson, toJson } from "../../../spec/src/json.ts"
import { nameHash } from "../../../spec/src/name.ts"
import { encodeRouteRecord, routeHash } from "../../../spec/src/objects.ts"
import { findPda, seeds } from "../../../programs/client/pda.ts"
import { DEV_PROGRAM_ID } from "../../../programs/client/program-id.ts"
import type { SignedRoute } from "./chain-world.ts"

export interface ReceivedPost {
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
}

/** The spec 14 route lookup entry for a signed record. */
export const routeEntry = (r: SignedRoute) => ({
  name: r.record.name,
  nameHash: hex(nameHash(r.record.name)),
  nameAccount: hex(findPda(seeds.name(nameHash(r.record.name)), DEV_PROGRAM_ID).address),
  record: toJson(RouteRecordJson, r.record),
  encoding: hex(encodeRouteRecord(r.record)),
  routeHash: hex(routeHash(r.record)),
  signature: hex(r.signature),
  routeEpoch: "0"
})

export class StandInMiner {
  readonly url: string
  /** What `GET /v1/routes/{name}` serves; absent names get 404. */
  readonly routes = new Map<string, SignedRoute>()
  /** Every receipt batch posted, as received. */
  readonly posts: ReceivedPost[] = []
  /** Route lookups served, by name. */
  readonly lookups: string[] = []
  /** Milliseconds to wait before answering a lookup. */
  delayMs = 0
  /** Answer every lookup with this status instead. */
  failWith: number | undefined
  private readonly server: Server
  private readonly wss: WebSocketServer
  private readonly subscribers = new Set<WebSocket>()
  private cursor = 0

  private constructor(server: Server, wss: WebSocketServer, url: string) {
    this.server = server
    this.wss = wss
    this.url = url
  }

  static async start(): Promise<StandInMiner> {
    const server = createServer()
    const wss = new WebSocketServer({ noServer: true })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const addr = server.address()
    const port = typeof addr === "object" && addr !== null ? addr.port : 0
    const m = new StandInMiner(server, wss, `http://127.0.0.1:${port}`)
    server.on("request", (req, res) => void m.handle(req, res))
    server.on("upgrade", (req, socket, head) => {
      if (req.url !== "/v1/ws") return socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.once("message", () => m.subscribers.add(ws))
        ws.on("close", () => m.subscribers.delete(ws))
      })
    })
    return m
  }

  serve(r: SignedRoute): void {
    this.routes.set(r.record.name, r)
  }

  /** Pushes a `route.finalized` event to every subscriber. */
  publishFinalized(r: SignedRoute): void {
    const ev = JSON.stringify({ cursor: String(++this.cursor), type: "route.finalized", data: routeEntry(r) })
    for (const ws of this.subscribers) ws.send(ev)
  }

  get subscriberCount(): number {
    return this.subscribers.size
  }

  /** Closes every feed with 4410 ("cursor too old", spec 14 API-6). */
  resetFeeds(): void {
    for (const ws of this.subscribers) ws.close(4410, "cursor too old")
  }

  private async handle(req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url)
    const m = /^\/v1\/routes\/([^/]+)$/.exec(url.pathname)
    if (req.method === "GET" && m !== null) {
      const name = decodeURIComponent(m[1]!)
      this.lookups.push(name)
      if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs))
      if (this.failWith !== undefined) {
        res.writeHead(this.failWith, { "content-type": "application/json" })
        return void res.end(JSON.stringify({ error: { message: "stand-in failure" } }))
      }
      const r = this.routes.get(name)
      if (r === undefined) {
        res.writeHead(404, { "content-type": "application/json" })
        return void res.end(JSON.stringify({ error: { message: "no canonical record" } }))
      }
      res.writeHead(200, { "content-type": "application/json" })
      return void res.end(JSON.stringify(routeEntry(r)))
    }
    if (req.method === "POST" && url.pathname === "/v1/receipts") {
      const chunks: Buffer[] = []
      for await (const c of req) chunks.push(c as Buffer)
      const body = Buffer.concat(chunks)
      this.posts.push({ headers: req.headers, body })
      const n = body.length % 170 === 0 ? body.length / 170 : 0
      res.writeHead(200, { "content-type": "application/json" })
      return void res.end(JSON.stringify({ results: Array.from({ length: n }, (_, index) => ({ index, status: "accepted" })) }))
    }
    res.writeHead(404)
    res.end()
  }

  async close(): Promise<void> {
    for (const ws of this.subscribers) ws.terminate()
    this.wss.close()
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}

