/**
 * The client's listeners on real sockets: DNS over UDP and TCP (RFC 1035, RFC 7766) on one port, DoH
 * (RFC 8484, `/dns-query`, GET `?dns=` and POST `application/dns-message`) over HTTPS with HTTP/2 and
 * HTTP/1.1, and over plain HTTP. Each is acquired in the layer's scope and closed with it. In gateway
 * mode every query first takes a token from its source's bucket: over the limit, UDP is dropped, TCP
 * gets REFUSED (EDE 18) and DoH gets HTTP 429.
 */
import { createSocket, type Socket as UdpSocket } from "node:dgram"
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http"
import { createSecureServer, createServer as createH2cServer, type Http2SecureServer, type Http2ServerRequest, type Http2ServerResponse } from "node:http2"
import { createServer as createTcpServer, isIPv6, type Server as TcpServer, type Socket } from "node:net"
import { Duplex } from "node:stream"
import dnsPacket from "dns-packet"
import { Context, Data, Effect, Layer } from "effect"
import { ClientConfig } from "./Config.ts"
import { Responder } from "./Responder.ts"
import { ensureCertificate, type TlsMaterial } from "./Tls.ts"

export class ListenError extends Data.TaggedError("ListenError")<{ readonly what: string; readonly message: string }> {}

export interface BoundAddress {
  readonly host: string
  readonly port: number
}

export class Endpoints extends Context.Service<
  Endpoints,
  {
    /** UDP and TCP share this port. */
    readonly dns: BoundAddress
    readonly tcp: boolean
    /** `https://host:port/dns-query`, when enabled. */
    readonly https: (BoundAddress & { readonly url: string }) | undefined
    readonly http: (BoundAddress & { readonly url: string }) | undefined
    readonly tls: TlsMaterial | undefined
  }
>()("dotdns/client/Endpoints") {}

const MAX_DNS_MESSAGE = 65535

const hostForUrl = (host: string) => (isIPv6(host) ? `[${host}]` : host)

// ------------------------------------------------------------------------------------------ UDP

const bindUdp = (host: string, port: number, onMessage: (socket: UdpSocket, msg: Buffer, address: string, port: number) => void) =>
  Effect.callback<UdpSocket, ListenError>((resume) => {
    const socket = createSocket({
      type: isIPv6(host) ? "udp6" : "udp4",
      recvBufferSize: 4 * 1024 * 1024,
      sendBufferSize: 4 * 1024 * 1024,
      // addresses are always literal IPs here: skip the asynchronous dns.lookup on every send
      lookup: (address, _options, callback) => callback(null, address, address.includes(":") ? 6 : 4)
    })
    const onError = (e: Error) => {
      socket.close()
      resume(Effect.fail(new ListenError({ what: `${host}:${port}/udp`, message: e.message })))
    }
    socket.once("error", onError)
    socket.bind(port, host, () => {
      socket.off("error", onError)
      socket.on("error", () => {})
      socket.on("message", (msg, rinfo) => onMessage(socket, msg, rinfo.address, rinfo.port))
      resume(Effect.succeed(socket))
    })
  })

// ------------------------------------------------------------------------------------------ TCP

const listenTcp = (host: string, port: number, maxConnections: number, onConnection: (s: Socket) => void) =>
  Effect.callback<TcpServer, ListenError>((resume) => {
    const server = createTcpServer({ noDelay: true }, onConnection)
    server.maxConnections = maxConnections
    const onError = (e: Error) => resume(Effect.fail(new ListenError({ what: `${host}:${port}/tcp`, message: e.message })))
    server.once("error", onError)
    server.listen(port, host, () => {
      server.off("error", onError)
      server.on("error", () => {})
      resume(Effect.succeed(server))
    })
  })

/** Closes a server and every connection it still holds (keep-alive, HTTP/2 sessions, idle TCP). */
const closeServer = (s: TcpServer | Http2SecureServer, sockets: Set<Socket>) =>
  Effect.callback<void>((resume) => {
    s.close(() => resume(Effect.void))
    for (const c of sockets) c.destroy()
  })

const track = (s: TcpServer | Http2SecureServer): Set<Socket> => {
  const sockets = new Set<Socket>()
  s.on("connection", (c: Socket) => {
    sockets.add(c)
    c.once("close", () => sockets.delete(c))
  })
  return sockets
}

// ------------------------------------------------------------------------------------------ DoH

/** The freshness lifetime of a DoH answer: its smallest TTL (RFC 8484 §5.1). */
const maxAge = (reply: Buffer): number => {
  try {
    const p = dnsPacket.decode(reply)
    let min = Number.POSITIVE_INFINITY
    for (const a of [...(p.answers ?? []), ...(p.authorities ?? [])]) if ("ttl" in a && typeof a.ttl === "number") min = Math.min(min, a.ttl)
    return Number.isFinite(min) ? min : 0
  } catch {
    return 0
  }
}

type Req = IncomingMessage | Http2ServerRequest
/** What the handler uses of an HTTP/1.1 or HTTP/2 (compatibility API) response. */
interface Res {
  writeHead(status: number, headers: Record<string, string>): unknown
  end(body?: string | Buffer): unknown
  destroy(): unknown
}

const plain = (res: Res, status: number, text: string, headers: Record<string, string> = {}) => {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", ...headers })
  res.end(`${text}\n`)
}

const dohHandler = (responder: Responder["Service"]) => (req: Req, res: ServerResponse | Http2ServerResponse) => handle(responder, req, res as Res)

const handle = (responder: Responder["Service"], req: Req, res: Res): void => {
  const url = new URL(req.url ?? "/", "http://localhost")
  if (url.pathname !== "/dns-query") return plain(res, 404, "not found: DoH is served at /dns-query")
  if (!responder.allow(req.socket.remoteAddress ?? "")) return plain(res, 429, "rate limit exceeded", { "retry-after": "1" })
  const answer = (query: Buffer) => {
    const send = (reply: Buffer | undefined) => {
      try {
        if (reply === undefined) return plain(res, 400, "not a DNS query")
        res.writeHead(200, { "content-type": "application/dns-message", "content-length": String(reply.length), "cache-control": `max-age=${maxAge(reply)}` })
        res.end(reply)
      } catch {
        // the stream or connection went away while the answer was being resolved
      }
    }
    const r = responder.respond(query, "doh")
    if (r instanceof Promise) r.then(send, () => send(undefined))
    else send(r)
  }
  if (req.method === "GET" || req.method === "HEAD") {
    const dns = url.searchParams.get("dns")
    if (dns === null || !/^[A-Za-z0-9_-]+$/.test(dns)) return plain(res, 400, "missing or malformed dns parameter (base64url, RFC 8484 §4.1)")
    const query = Buffer.from(dns, "base64url")
    if (query.length > MAX_DNS_MESSAGE) return plain(res, 414, "query too long")
    return answer(query)
  }
  if (req.method === "POST") {
    const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase()
    if (type !== "application/dns-message") return plain(res, 415, "Content-Type must be application/dns-message")
    const chunks: Buffer[] = []
    let size = 0
    let tooBig = false
    req.on("data", (c: Buffer) => {
      size += c.length
      if (size > MAX_DNS_MESSAGE) tooBig = true
      else chunks.push(c)
    })
    req.on("end", () => (tooBig ? plain(res, 413, "a DNS message is at most 65535 bytes") : answer(Buffer.concat(chunks))))
    req.on("error", () => res.destroy())
    return
  }
  return plain(res, 405, "method not allowed", { allow: "GET, POST" })
}

const listenHttp = <S extends TcpServer | Http2SecureServer>(server: S, host: string, port: number, what: string) =>
  Effect.callback<S, ListenError>((resume) => {
    const onError = (e: Error) => resume(Effect.fail(new ListenError({ what: `${host}:${port} (${what})`, message: e.message })))
    server.once("error", onError)
    server.listen(port, host, () => {
      server.off("error", onError)
      server.on("error", () => {})
      resume(Effect.succeed(server))
    })
  })

/** A duplex over `socket` whose readable side starts with `first`. */
const replaying = (socket: Socket, first: Buffer): Duplex => {
  const d = new Duplex({
    read() {
      socket.resume()
    },
    write(chunk: Buffer, _enc, cb) {
      socket.write(chunk, cb)
    },
    final(cb) {
      socket.end(cb)
    },
    destroy(err, cb) {
      socket.destroy(err ?? undefined)
      cb(err)
    }
  })
  d.push(first)
  socket.on("data", (c: Buffer) => {
    if (!d.push(c)) socket.pause()
  })
  socket.on("end", () => d.push(null))
  socket.on("close", () => d.destroy())
  return d
}

const portOf = (s: { address(): unknown }): number => {
  const a = s.address()
  return typeof a === "object" && a !== null && "port" in a ? Number(a.port) : 0
}

// ------------------------------------------------------------------------------------------ layer

export const ServersLive = Layer.effect(
  Endpoints,
  Effect.gen(function* () {
    const config = yield* ClientConfig
    const responder = yield* Responder
    const { host } = config.dns
    const limited = config.mode === "gateway"

    const reply = (socket: UdpSocket, b: Buffer | undefined, address: string, port: number) => {
      if (b === undefined) return
      try {
        socket.send(b, port, address)
      } catch {
        // the socket closed while the answer was being resolved
      }
    }
    const onUdp = (socket: UdpSocket, msg: Buffer, address: string, port: number) => {
      if (limited && !responder.allow(address)) return
      const r = responder.respond(msg, "udp")
      if (r === undefined) return
      if (r instanceof Promise) r.then((b) => reply(socket, b, address, port), () => {})
      else socket.send(r, port, address)
    }

    /** Most queries of one TCP connection answered concurrently; past it the connection is paused. */
    const TCP_IN_FLIGHT = 64
    const onTcp = (s: Socket) => {
      s.setTimeout(config.dns.tcpIdleMs, () => s.destroy())
      s.on("error", () => {})
      let buf: Buffer = Buffer.alloc(0)
      let inFlight = 0
      const write = (b: Buffer | undefined) => {
        if (b === undefined || s.destroyed) return
        const len = Buffer.allocUnsafe(2)
        len.writeUInt16BE(b.length)
        s.write(Buffer.concat([len, b]))
      }
      const settle = (b: Buffer | undefined) => {
        write(b)
        if (--inFlight < TCP_IN_FLIGHT && s.isPaused()) s.resume()
      }
      s.on("data", (chunk: Buffer) => {
        buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk])
        while (buf.length >= 2) {
          const n = buf.readUInt16BE(0)
          if (buf.length < 2 + n) break
          const msg = buf.subarray(2, 2 + n)
          buf = buf.subarray(2 + n)
          if (limited && !responder.allow(s.remoteAddress ?? "")) {
            write(responder.refuseRateLimited(msg))
            continue
          }
          const r = responder.respond(msg, "tcp")
          if (r instanceof Promise) {
            if (++inFlight >= TCP_IN_FLIGHT) s.pause()
            r.then(settle, () => settle(undefined))
          } else write(r)
        }
      })
    }

    // UDP and TCP on one port; with port 0 the kernel's UDP pick is reused for TCP (retried if taken)
    let udp: UdpSocket | undefined
    let tcp: TcpServer | undefined
    for (let attempt = 0; ; attempt++) {
      const u = yield* bindUdp(host, config.dns.port, onUdp)
      const port = portOf(u)
      if (!config.dns.tcp) {
        udp = u
        break
      }
      const t = yield* Effect.result(listenTcp(host, port, config.dns.maxTcpConnections, onTcp))
      if (t._tag === "Success") {
        udp = u
        tcp = t.success
        break
      }
      u.close()
      if (config.dns.port !== 0 || attempt >= 8) return yield* t.failure
    }
    const udpSocket = udp
    yield* Effect.addFinalizer(() => Effect.sync(() => udpSocket.close()))
    if (tcp !== undefined) {
      const t = tcp
      const sockets = track(t)
      yield* Effect.addFinalizer(() => closeServer(t, sockets))
    }
    const dns = { host, port: portOf(udpSocket) }

    let tls: TlsMaterial | undefined
    let https: (BoundAddress & { url: string }) | undefined
    if (config.doh.https.enabled) {
      tls = yield* ensureCertificate({ dataDir: config.dataDir, ...config.doh.https })
      const server = createSecureServer({ key: tls.key, cert: tls.cert, allowHTTP1: true }, dohHandler(responder))
      const sockets = track(server)
      const s = yield* listenHttp(server, config.doh.https.host, config.doh.https.port, "DoH over HTTPS")
      yield* Effect.addFinalizer(() => closeServer(s, sockets))
      const port = portOf(s)
      https = { host: config.doh.https.host, port, url: `https://${hostForUrl(config.doh.https.host)}:${port}/dns-query` }
    }
    let http: (BoundAddress & { url: string }) | undefined
    if (config.doh.http.enabled) {
      // plain HTTP speaks HTTP/1.1 and HTTP/2 with prior knowledge (h2c, what `dig +http-plain` uses):
      // the first bytes of a connection pick the protocol
      const handler = dohHandler(responder)
      const h1 = createHttpServer({ keepAliveTimeout: 30_000 }, handler)
      const h2 = createH2cServer({}, handler)
      const front = createTcpServer({ noDelay: true }, (socket) => {
        let seen: Buffer = Buffer.alloc(0)
        const onData = (chunk: Buffer) => {
          seen = Buffer.concat([seen, chunk])
          if (seen.length < 3) return
          socket.off("data", onData)
          if (seen.subarray(0, 3).toString("latin1") !== "PRI") {
            socket.pause()
            socket.unshift(seen)
            h1.emit("connection", socket)
            socket.resume()
            return
          }
          // nghttp2 reads the native handle, past bytes already read: hand it a stream that replays them
          h2.emit("connection", replaying(socket, seen))
        }
        socket.on("data", onData)
        socket.on("error", () => {})
      })
      const sockets = track(front)
      const s = yield* listenHttp(front, config.doh.http.host, config.doh.http.port, "DoH over HTTP")
      yield* Effect.addFinalizer(() => closeServer(s, sockets))
      const port = portOf(s)
      http = { host: config.doh.http.host, port, url: `http://${hostForUrl(config.doh.http.host)}:${port}/dns-query` }
    }
    yield* Effect.logInfo(
      `dotdns client listening: dns ${hostForUrl(dns.host)}:${dns.port} (udp${tcp ? "+tcp" : ""})${https ? `, ${https.url}` : ""}${http ? `, ${http.url}` : ""}`
    )
    return Endpoints.of({ dns, tcp: tcp !== undefined, https, http, tls })
  })
)
