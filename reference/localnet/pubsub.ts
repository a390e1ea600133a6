/**
 * Solana's PubSub protocol over WebSocket. Notifications are pushed as the chain commits, one per
 * transaction that writes a watched account (Solana batches to one per slot; with instant
 * finality there is nothing to wait for).
 */
import { createServer, type Server } from "node:http"
import { WebSocket, WebSocketServer, type RawData } from "ws"
import { matchesFilters, parseFilters, uiAccount, type AccountEncoding, type AccountFilter, type DataSlice } from "./account-encoding.ts"
import type { LocalChain } from "./chain.ts"
import { encodeJson } from "./encoding.ts"
import type { TransactionRecord } from "./history.ts"
import { handleJsonRpc, type Handler } from "./json-rpc.ts"
import { invalidParams } from "./rpc-errors.ts"
import { Params, decodeParams, pubkeyParam, signatureParam } from "./rpc-params.ts"
import { SYSTEM_PROGRAM } from "./well-known.ts"

type Kind = "account" | "program" | "signature" | "slot" | "root" | "logs"

interface Subscription {
  readonly id: number
  readonly kind: Kind
  readonly conn: Connection
  readonly method: string
  readonly key?: string
  readonly encoding?: AccountEncoding
  readonly slice?: DataSlice | undefined
  readonly filters?: readonly AccountFilter[]
  readonly received?: boolean
  readonly mentions?: string | undefined
}

interface Connection {
  readonly socket: WebSocket
  readonly subs: Set<number>
  /** Work to run after the current response is on the wire (e.g. an already-landed signature). */
  readonly after: (() => void)[]
}

const NOTIFICATION_METHOD: Record<Kind, string> = {
  account: "accountNotification",
  program: "programNotification",
  signature: "signatureNotification",
  slot: "slotNotification",
  root: "rootNotification",
  logs: "logsNotification"
}

const UNSUBSCRIBE: Record<string, Kind> = {
  accountUnsubscribe: "account",
  programUnsubscribe: "program",
  signatureUnsubscribe: "signature",
  slotUnsubscribe: "slot",
  rootUnsubscribe: "root",
  logsUnsubscribe: "logs"
}

/** A client that stops reading gets dropped rather than buffered without bound. */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024

export interface PubSubOptions {
  readonly maxPayloadBytes: number
  readonly log: (line: string) => void
}

export class PubSub {
  private readonly wss: WebSocketServer
  private readonly subs = new Map<number, Subscription>()
  private readonly byKey = new Map<string, Set<Subscription>>()
  private nextId = 0
  private readonly unlisten: (() => void)[]
  private readonly chain: LocalChain
  private readonly log: (line: string) => void

  constructor(chain: LocalChain, server: Server, options: PubSubOptions) {
    this.chain = chain
    this.log = options.log
    this.wss = new WebSocketServer({ server, maxPayload: options.maxPayloadBytes, perMessageDeflate: false })
    this.wss.on("error", (e) => this.log(`pubsub: ${e.message}`))
    this.wss.on("connection", (socket) => this.accept(socket))
    this.unlisten = [
      chain.on("slot", (s) => {
        this.broadcast("slot", undefined, { parent: s.parent, root: s.root, slot: s.slot })
        this.broadcast("root", undefined, s.root)
      }),
      chain.on("received", (signature) => this.onReceived(signature)),
      chain.on("transaction", (r) => this.onTransaction(r)),
      chain.on("accounts", (a) => this.onAccounts(a.slot, a.addresses))
    ]
  }

  get subscriptionCount(): number {
    return this.subs.size
  }

  close(): void {
    for (const off of this.unlisten) off()
    for (const client of this.wss.clients) client.terminate()
    this.wss.close()
  }

  private accept(socket: WebSocket): void {
    const conn: Connection = { socket, subs: new Set(), after: [] }
    socket.on("error", () => socket.terminate())
    socket.on("close", () => {
      for (const id of conn.subs) this.remove(id)
      conn.subs.clear()
    })
    socket.on("message", (data: RawData, isBinary: boolean) => {
      const text = isBinary ? "" : rawText(data)
      const answer = handleJsonRpc(text, (method) => this.resolve(conn, method), (e) => this.log(`pubsub internal error: ${String(e)}`))
      if (answer !== undefined) this.send(conn, answer)
      const after = conn.after.splice(0)
      for (const job of after) job()
    })
  }

  private send(conn: Connection, text: string): void {
    const socket = conn.socket
    if (socket.readyState !== WebSocket.OPEN) return
    if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      socket.terminate()
      return
    }
    socket.send(text)
  }

  private notify(sub: Subscription, result: unknown): void {
    this.send(sub.conn, `{"jsonrpc":"2.0","method":"${NOTIFICATION_METHOD[sub.kind]}","params":{"result":${encodeJson(result)},"subscription":${sub.id}}}`)
  }

  private context(value: unknown): unknown {
    return { context: { slot: this.chain.slot }, value }
  }

  private add(conn: Connection, sub: Omit<Subscription, "id" | "conn">): number {
    const id = this.nextId++
    const full: Subscription = { ...sub, id, conn }
    this.subs.set(id, full)
    conn.subs.add(id)
    const key = indexKey(full.kind, full.key)
    let set = this.byKey.get(key)
    if (set === undefined) {
      set = new Set()
      this.byKey.set(key, set)
    }
    set.add(full)
    return id
  }

  private remove(id: number): boolean {
    const sub = this.subs.get(id)
    if (sub === undefined) return false
    this.subs.delete(id)
    sub.conn.subs.delete(id)
    const key = indexKey(sub.kind, sub.key)
    const set = this.byKey.get(key)
    set?.delete(sub)
    if (set?.size === 0) this.byKey.delete(key)
    return true
  }

  private resolve(conn: Connection, method: string): Handler | undefined {
    const unsubscribeKind = UNSUBSCRIBE[method]
    if (unsubscribeKind !== undefined) {
      return (p) => {
        const [id] = decodeParams(Params.unsubscribe, p)
        const sub = this.subs.get(id)
        if (sub === undefined || sub.kind !== unsubscribeKind || sub.conn !== conn) throw invalidParams("Invalid subscription id.")
        return this.remove(id)
      }
    }
    switch (method) {
      case "accountSubscribe":
        return (p) => {
          const [address, config] = decodeParams(Params.accountSubscribe, p)
          return this.add(conn, { kind: "account", method, key: pubkeyParam(address), encoding: config?.encoding ?? "binary", slice: config?.dataSlice ?? undefined })
        }
      case "programSubscribe":
        return (p) => {
          const [program, config] = decodeParams(Params.programSubscribe, p)
          return this.add(conn, {
            kind: "program",
            method,
            key: pubkeyParam(program),
            encoding: config?.encoding ?? "binary",
            slice: config?.dataSlice ?? undefined,
            filters: parseFilters(config?.filters)
          })
        }
      case "signatureSubscribe":
        return (p) => {
          const [signature, config] = decodeParams(Params.signatureSubscribe, p)
          const key = signatureParam(signature)
          const id = this.add(conn, { kind: "signature", method, key, received: config?.enableReceivedNotification === true })
          const landed = this.chain.history.get(key)
          if (landed !== undefined) {
            conn.after.push(() => {
              const sub = this.subs.get(id)
              if (sub === undefined) return
              this.notify(sub, { context: { slot: landed.slot }, value: { err: landed.err } })
              this.remove(id)
            })
          }
          return id
        }
      case "slotSubscribe":
        return (p) => (decodeParams(Params.none, p), this.add(conn, { kind: "slot", method }))
      case "rootSubscribe":
        return (p) => (decodeParams(Params.none, p), this.add(conn, { kind: "root", method }))
      case "logsSubscribe":
        return (p) => {
          const [filter] = decodeParams(Params.logsSubscribe, p)
          if (typeof filter === "string") return this.add(conn, { kind: "logs", method })
          if (filter.mentions.length !== 1) throw invalidParams("Invalid Request: Only 1 address supported")
          return this.add(conn, { kind: "logs", method, mentions: pubkeyParam(filter.mentions[0]!) })
        }
      default:
        return undefined
    }
  }

  private broadcast(kind: Kind, key: string | undefined, result: unknown): void {
    const set = this.byKey.get(indexKey(kind, key))
    if (set === undefined) return
    for (const sub of [...set]) this.notify(sub, result)
  }

  private onReceived(signature: string): void {
    const set = this.byKey.get(indexKey("signature", signature))
    if (set === undefined) return
    for (const sub of set) if (sub.received === true) this.notify(sub, this.context("receivedSignature"))
  }

  private onTransaction(r: TransactionRecord): void {
    const set = this.byKey.get(indexKey("signature", r.signature))
    if (set !== undefined) {
      for (const sub of [...set]) {
        this.notify(sub, { context: { slot: r.slot }, value: { err: r.err } })
        this.remove(sub.id)
      }
    }
    const logs = this.byKey.get(indexKey("logs", undefined))
    if (logs === undefined) return
    const value = { context: { slot: r.slot }, value: { signature: r.signature, err: r.err, logs: r.logs } }
    for (const sub of logs) if (sub.mentions === undefined || r.accountKeys.includes(sub.mentions)) this.notify(sub, value)
  }

  private onAccounts(slot: number, addresses: readonly string[]): void {
    for (const address of addresses) {
      const accountSubs = this.byKey.get(indexKey("account", address))
      const account = this.chain.getAccount(address)
      if (accountSubs !== undefined) {
        // A closed account is announced as Solana does: zero lamports, System-owned, no data.
        const state = account ?? { address, lamports: 0n, owner: SYSTEM_PROGRAM, executable: false, data: new Uint8Array() }
        for (const sub of accountSubs) this.notify(sub, { context: { slot }, value: uiAccount(state, sub.encoding ?? "binary", sub.slice) })
      }
      if (account === null) continue
      const programSubs = this.byKey.get(indexKey("program", account.owner))
      if (programSubs === undefined) continue
      for (const sub of programSubs) {
        if (!matchesFilters(account.data, sub.filters ?? [])) continue
        this.notify(sub, { context: { slot }, value: { pubkey: address, account: uiAccount(account, sub.encoding ?? "binary", sub.slice) } })
      }
    }
  }
}

/** The PubSub port only speaks WebSocket; plain HTTP gets 426 instead of the RPC. */
export const createPubSubHttpServer = (): Server => {
  const server = createServer({ headersTimeout: 10_000, requestTimeout: 30_000 }, (req, res) => {
    req.resume()
    res.writeHead(426, { "content-type": "text/plain", upgrade: "websocket" })
    res.end("this is the Solana PubSub endpoint: connect with WebSocket\n")
  })
  server.on("clientError", (_err, socket) => socket.destroy())
  return server
}

const indexKey = (kind: Kind, key: string | undefined): string => (key === undefined ? kind : `${kind}:${key}`)

const rawText = (data: RawData): string => {
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8")
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString("utf8")
  return data.toString("utf8")
}
