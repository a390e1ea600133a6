/**
 * JSON-RPC 2.0 framing shared by the HTTP and WebSocket endpoints: parse, validate the envelope,
 * dispatch, and shape errors as Solana's jsonrpc-core does (`id: null` when the request was unusable,
 * no answer to notifications, one answer array per batch).
 */
import { encodeJson } from "./encoding.ts"
import { ErrorCode, RpcError } from "./rpc-errors.ts"

export type Handler = (params: unknown) => unknown
export type Resolve = (method: string) => Handler | undefined

type Id = string | number | null

const response = (id: Id, result: unknown): string => `{"jsonrpc":"2.0","result":${encodeJson(result)},"id":${encodeJson(id)}}`

export const errorResponse = (id: Id, code: number, message: string, data?: unknown): string =>
  `{"jsonrpc":"2.0","error":${encodeJson({ code, message, data })},"id":${encodeJson(id)}}`

const isId = (v: unknown): v is Id => v === null || typeof v === "string" || (typeof v === "number" && Number.isFinite(v))

const handleOne = (request: unknown, resolve: Resolve, onInternalError: (e: unknown) => void): string | undefined => {
  if (typeof request !== "object" || request === null || Array.isArray(request)) return errorResponse(null, ErrorCode.InvalidRequest, "Invalid request")
  const req = request as Record<string, unknown>
  const hasId = "id" in req
  const id = req["id"]
  if (hasId && !isId(id)) return errorResponse(null, ErrorCode.InvalidRequest, "Invalid request")
  const replyId: Id = hasId && isId(id) ? id : null
  const method = req["method"]
  const params = req["params"]
  if (req["jsonrpc"] !== "2.0" || typeof method !== "string" || (params !== undefined && (typeof params !== "object" || params === null))) {
    return errorResponse(replyId, ErrorCode.InvalidRequest, "Invalid request")
  }
  const handler = resolve(method)
  let out: string
  if (handler === undefined) {
    out = errorResponse(replyId, ErrorCode.MethodNotFound, "Method not found")
  } else {
    try {
      out = response(replyId, handler(params))
    } catch (e) {
      if (e instanceof RpcError) out = errorResponse(replyId, e.code, e.message, e.data)
      else {
        onInternalError(e)
        out = errorResponse(replyId, ErrorCode.InternalError, "Internal error")
      }
    }
  }
  return hasId ? out : undefined
}

/** The answer to a request body, or undefined when nothing is owed (notifications only). */
export const handleJsonRpc = (body: string, resolve: Resolve, onInternalError: (e: unknown) => void = () => {}): string | undefined => {
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    return errorResponse(null, ErrorCode.ParseError, "Parse error")
  }
  if (!Array.isArray(parsed)) return handleOne(parsed, resolve, onInternalError)
  if (parsed.length === 0) return errorResponse(null, ErrorCode.InvalidRequest, "Invalid request")
  const answers: string[] = []
  for (const item of parsed) {
    const a = handleOne(item, resolve, onInternalError)
    if (a !== undefined) answers.push(a)
  }
  return answers.length === 0 ? undefined : `[${answers.join(",")}]`
}
