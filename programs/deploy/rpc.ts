/**
 * The little of Solana's JSON-RPC that deploying needs, over fetch: blockhash, rent, accounts, slot,
 * sending base64 wire transactions and waiting for their confirmation.
 */
import { toBase58 } from "../client/base58.ts"

export class RpcError extends Error {
  override readonly name = "RpcError"
  readonly code: number
  readonly data: unknown
  constructor(method: string, code: number, message: string, data: unknown) {
    super(`${method}: ${message} (${code})${logsOf(data)}`)
    this.code = code
    this.data = data
  }
}

const logsOf = (data: unknown): string => {
  if (typeof data !== "object" || data === null || !("logs" in data) || !Array.isArray(data.logs)) return ""
  return `\n${(data.logs as unknown[]).map(String).join("\n")}`
}

export interface AccountInfo {
  readonly lamports: bigint
  readonly owner: string
  readonly executable: boolean
  readonly data: Uint8Array
}

export type Commitment = "processed" | "confirmed" | "finalized"

export class Rpc {
  readonly url: string
  readonly commitment: Commitment
  private id = 0

  constructor(url: string, commitment: Commitment = "confirmed") {
    this.url = url
    this.commitment = commitment
  }

  async call<T>(method: string, params: unknown[] = []): Promise<T> {
    const res = await fetch(this.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: ++this.id, method, params })
    })
    if (!res.ok) throw new RpcError(method, res.status, `HTTP ${res.status} ${res.statusText}`, undefined)
    const body = (await res.json()) as { result?: T; error?: { code: number; message: string; data?: unknown } }
    if (body.error !== undefined) throw new RpcError(method, body.error.code, body.error.message, body.error.data)
    return body.result as T
  }

  async latestBlockhash(): Promise<string> {
    return (await this.call<{ value: { blockhash: string } }>("getLatestBlockhash", [{ commitment: this.commitment }])).value.blockhash
  }
  async slot(): Promise<number> {
    return this.call<number>("getSlot", [{ commitment: this.commitment }])
  }
  async rentExempt(size: number): Promise<bigint> {
    return BigInt(await this.call<number>("getMinimumBalanceForRentExemption", [size, { commitment: this.commitment }]))
  }
  async balance(address: Uint8Array): Promise<bigint> {
    return BigInt((await this.call<{ value: number }>("getBalance", [toBase58(address), { commitment: this.commitment }])).value)
  }
  async account(address: Uint8Array): Promise<AccountInfo | undefined> {
    const r = await this.call<{ value: { lamports: number; owner: string; executable: boolean; data: [string, string] } | null }>("getAccountInfo", [
      toBase58(address),
      { encoding: "base64", commitment: this.commitment }
    ])
    if (r.value === null) return undefined
    return { lamports: BigInt(r.value.lamports), owner: r.value.owner, executable: r.value.executable, data: new Uint8Array(Buffer.from(r.value.data[0], "base64")) }
  }
  /** Sends a signed wire transaction (preflight on); returns its signature. */
  async send(wire: Uint8Array): Promise<string> {
    return this.call<string>("sendTransaction", [Buffer.from(wire).toString("base64"), { encoding: "base64", preflightCommitment: this.commitment }])
  }
  async statuses(signatures: readonly string[]): Promise<({ slot: number; err: unknown; confirmationStatus: Commitment | null } | null)[]> {
    const out: ({ slot: number; err: unknown; confirmationStatus: Commitment | null } | null)[] = []
    for (let i = 0; i < signatures.length; i += 256)
      out.push(...(await this.call<{ value: ({ slot: number; err: unknown; confirmationStatus: Commitment | null } | null)[] }>("getSignatureStatuses", [signatures.slice(i, i + 256)])).value)
    return out
  }
  async requestAirdrop(address: Uint8Array, lamports: bigint): Promise<string> {
    return this.call<string>("requestAirdrop", [toBase58(address), Number(lamports)])
  }
}
