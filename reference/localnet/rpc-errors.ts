/** JSON-RPC 2.0 errors with the codes Solana's RPC documents and clients match on. */

export const ErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  SendTransactionPreflightFailure: -32002,
  TransactionSignatureVerificationFailure: -32003,
  BlockNotAvailable: -32004,
  UnsupportedTransactionVersion: -32015,
  MinContextSlotNotReached: -32016
} as const

export class RpcError extends Error {
  override readonly name = "RpcError"
  readonly code: number
  readonly data: unknown
  constructor(code: number, message: string, data?: unknown) {
    super(message)
    this.code = code
    this.data = data
  }
}

export const invalidParams = (message: string): RpcError => new RpcError(ErrorCode.InvalidParams, message)

export const invalidRequest = (message = "Invalid request"): RpcError => new RpcError(ErrorCode.InvalidRequest, message)
