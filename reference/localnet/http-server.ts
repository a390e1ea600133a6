/**
 * The HTTP side of the RPC. Bodies are capped: a declared Content-Length over the cap is refused
 * before a byte of body is read, and a chunked body is cut off as soon as it crosses it, so a
 * client cannot make the process buffer more than the cap.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import { errorResponse } from "./json-rpc.ts"
import { ErrorCode } from "./rpc-errors.ts"

export interface HttpRpcOptions {
  readonly maxBodyBytes: number
  /** Returns the response body, or undefined when nothing is owed. */
  readonly handle: (body: string) => string | undefined
}

const CORS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "POST, GET, OPTIONS",
  "access-control-allow-headers": "content-type, solana-client"
}

const send = (res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}): void => {
  if (res.headersSent) return
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body), ...CORS, ...extra })
  res.end(body)
}

const refuseTooLarge = (req: IncomingMessage, res: ServerResponse, max: number): void => {
  // Closing is the only way to stop a client mid-upload; the response goes out first.
  send(res, 413, errorResponse(null, ErrorCode.InvalidRequest, `Request body too large: limit is ${max} bytes`), { connection: "close" })
  res.once("finish", () => req.socket.destroySoon())
  req.pause()
}

export const createHttpRpcServer = (options: HttpRpcOptions): Server => {
  const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 }, (req, res) => {
    req.on("error", () => {})
    res.on("error", () => {})
    if (req.method === "OPTIONS") {
      res.writeHead(204, CORS)
      res.end()
      return
    }
    if (req.method === "GET" && (req.url === "/health" || req.url?.startsWith("/health?") === true)) {
      res.writeHead(200, { "content-type": "text/plain", ...CORS })
      res.end("ok")
      return
    }
    if (req.method !== "POST") {
      send(res, 405, errorResponse(null, ErrorCode.InvalidRequest, "Used HTTP Method is not allowed. POST or OPTIONS is required"))
      return
    }
    const declared = Number(req.headers["content-length"] ?? "0")
    if (Number.isFinite(declared) && declared > options.maxBodyBytes) {
      refuseTooLarge(req, res, options.maxBodyBytes)
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    let refused = false
    req.on("data", (chunk: Buffer) => {
      if (refused) return
      size += chunk.length
      if (size > options.maxBodyBytes) {
        refused = true
        chunks.length = 0
        refuseTooLarge(req, res, options.maxBodyBytes)
        return
      }
      chunks.push(chunk)
    })
    req.on("end", () => {
      if (refused) return
      let answer: string | undefined
      try {
        answer = options.handle(Buffer.concat(chunks).toString("utf8"))
      } catch {
        answer = errorResponse(null, ErrorCode.InternalError, "Internal error")
      }
      if (answer === undefined) {
        res.writeHead(200, { "content-length": 0, ...CORS })
        res.end()
      } else send(res, 200, answer)
    })
  })
  server.on("clientError", (_err, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n")
    else socket.destroy()
  })
  return server
}
