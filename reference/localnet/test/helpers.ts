/** Shared by the localnet tests: raw JSON-RPC over HTTP and WebSocket, and a child-process launcher. */
import { spawn, type ChildProcess } from "node:child_process"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"
import { WebSocket } from "ws"
import { startLocalnet, type Localnet, type LocalnetOptions } from "../localnet.ts"

export const CLI_MAIN = fileURLToPath(new URL("../cli-main.ts", import.meta.url))
export const REPO = fileURLToPath(new URL("../../../", import.meta.url))

/** Free ports, a quick clock, and no dotdns program, whatever programs/ holds. */
export const startTestLocalnet = (options: LocalnetOptions = {}): Promise<Localnet> =>
  startLocalnet({ rpcPort: 0, slotTimeMs: 100, programs: [], ...options })

export interface RpcReply {
  readonly jsonrpc?: string
  readonly id?: unknown
  readonly result?: unknown
  readonly error?: { readonly code: number; readonly message: string; readonly data?: unknown }
}

export const rpc = async (url: string, method: string, params?: unknown): Promise<RpcReply> => {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, ...(params === undefined ? {} : { params }) })
  })
  return (await res.json()) as RpcReply
}

export const post = async (url: string, body: string | Uint8Array): Promise<{ status: number; text: string }> => {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body })
  return { status: res.status, text: await res.text() }
}

export interface Notification {
  readonly method: string
  readonly params: { readonly result: unknown; readonly subscription: number }
}

/** A bare PubSub client: requests by id, notifications queued until asked for. */
export class WsClient {
  private readonly socket: WebSocket
  private nextId = 1
  private readonly pending = new Map<number, (reply: RpcReply) => void>()
  private readonly notifications: Notification[] = []
  /** Every message received, in order. */
  readonly received: (RpcReply & Partial<Notification>)[] = []
  private waiters: (() => void)[] = []
  readonly closed: Promise<{ code: number }>

  private constructor(socket: WebSocket) {
    this.socket = socket
    this.closed = new Promise((resolve) => socket.on("close", (code) => resolve({ code })))
    socket.on("message", (data) => {
      const msg = JSON.parse(data.toString()) as RpcReply & Partial<Notification>
      this.received.push(msg)
      if (typeof msg.id === "number" && this.pending.has(msg.id)) {
        this.pending.get(msg.id)!(msg)
        this.pending.delete(msg.id)
      } else if (typeof msg.method === "string") {
        this.notifications.push(msg as Notification)
        for (const w of this.waiters.splice(0)) w()
      }
    })
  }

  static connect(url: string): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url)
      socket.once("open", () => resolve(new WsClient(socket)))
      socket.once("error", reject)
    })
  }

  send(text: string): void {
    this.socket.send(text)
  }

  request(method: string, params?: unknown): Promise<RpcReply> {
    const id = this.nextId++
    return new Promise((resolve) => {
      this.pending.set(id, resolve)
      this.socket.send(JSON.stringify({ jsonrpc: "2.0", id, method, ...(params === undefined ? {} : { params }) }))
    })
  }

  async subscribe(method: string, params?: unknown): Promise<number> {
    const reply = await this.request(method, params)
    if (typeof reply.result !== "number") throw new Error(`${method} failed: ${JSON.stringify(reply.error)}`)
    return reply.result
  }

  /** Resolves with (and consumes) the first queued notification that matches. */
  async next(predicate: (n: Notification) => boolean, timeoutMs = 5000): Promise<Notification> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const i = this.notifications.findIndex(predicate)
      if (i >= 0) return this.notifications.splice(i, 1)[0]!
      const left = deadline - Date.now()
      if (left <= 0) throw new Error("timed out waiting for a notification")
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left)
        this.waiters.push(() => {
          clearTimeout(t)
          resolve()
        })
      })
    }
  }

  queued(predicate: (n: Notification) => boolean): Notification[] {
    return this.notifications.filter(predicate)
  }

  close(): void {
    this.socket.close()
  }
}

export interface SpawnedLocalnet {
  readonly child: ChildProcess
  readonly rpcUrl: string
  readonly wsUrl: string
  readonly faucet: string
  readonly stderr: () => string
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>
}

/**
 * Starts `node cli-main.ts` and reads the endpoints from its first stdout line. Without the dotdns
 * program, so these tests do not depend on the state of a program build in progress elsewhere.
 */
export const spawnLocalnet = (args: readonly string[]): Promise<SpawnedLocalnet> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_MAIN, "--rpc-port", "0", "--no-dotdns-program", ...args], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] })
    let err = ""
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()))
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)))
    const timer = setTimeout(() => reject(new Error(`localnet did not start: ${err}`)), 30_000)
    child.once("exit", (code) => reject(new Error(`localnet exited with ${code}: ${err}`)))
    const lines = createInterface({ input: child.stdout! })
    lines.once("line", (line) => {
      clearTimeout(timer)
      const info = JSON.parse(line) as { rpcUrl: string; wsUrl: string; faucet: string }
      resolve({
        child,
        rpcUrl: info.rpcUrl,
        wsUrl: info.wsUrl,
        faucet: info.faucet,
        stderr: () => err,
        stop: async () => {
          if (child.exitCode === null) child.kill("SIGTERM")
          return exited
        }
      })
    })
  })

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
