/**
 * Solana JSON-RPC answered in-process from the world, as the reference miner's `SolanaRpc` service,
 * so honest miners run their own code unchanged: `ChainTx`, `StakeView`, `NameRegistry`, `Audit` call
 * `call(method, params)` and get what a validator would answer, after a JSON round trip (numbers and
 * strings exactly as on the wire).
 *
 * The methods are the ones `reference/miner/Chain.ts` lists: getAccountInfo, getMultipleAccounts,
 * getSlot, getProgramAccounts (dataSize + memcmp filters), getLatestBlockhash, sendTransaction
 * (base64, with preflight: a failed transaction is answered with -32002 and its error and logs),
 * getSignatureStatuses, getTransaction (compute units) and getBalance. Parameter shapes, filters,
 * account rendering, JSON encoding and error codes are the localnet's (`reference/localnet`), reused.
 */
import { Effect } from "effect"
import { fromBase58, toBase58 } from "../../programs/client/base58.ts"
import { matchesFilters, parseFilters, uiAccount } from "../../reference/localnet/account-encoding.ts"
import type { AccountState } from "../../reference/localnet/chain.ts"
import { encodeJson } from "../../reference/localnet/encoding.ts"
import { ErrorCode, RpcError as WireError, invalidParams } from "../../reference/localnet/rpc-errors.ts"
import { Params, decodeParams, pubkeyParam, signatureParam } from "../../reference/localnet/rpc-params.ts"
import { RpcError, SolanaRpc, type AccountData } from "../../reference/miner/Rpc.ts"
import type { SvmAccount } from "./Svm.ts"
import type { TxRecord, World } from "./World.ts"

export const SIM_RPC_URL = "sim://world"

const SOLANA_CORE_VERSION = "4.3.0"
/** Solana's PACKET_DATA_SIZE in base64 characters. */
const MAX_BASE64_TRANSACTION_CHARS = 1644

const state = (address: string, a: SvmAccount, owner: string): AccountState => ({ address, lamports: a.lamports, owner, executable: a.executable, data: a.data })

/** Counts of JSON-RPC calls by method (the benchmark and the report show them). */
export type RpcCounts = Map<string, number>

export const makeRpcHandler = (world: World, counts: RpcCounts = new Map()) => {
  const withContext = (value: unknown) => ({ context: { apiVersion: SOLANA_CORE_VERSION, slot: world.slot }, value })
  // Base58 both ways is the RPC's hottest arithmetic; addresses repeat, so both directions are cached.
  const decoded = new Map<string, Uint8Array>()
  const encoded = new Map<string, string>()
  const keyOf = (text: string): Uint8Array => {
    let b = decoded.get(text)
    if (b === undefined) {
      b = fromBase58(pubkeyParam(text))
      if (decoded.size > 50_000) decoded.clear()
      decoded.set(text, b)
    }
    return b
  }
  const textOf = (b: Uint8Array): string => {
    const k = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1")
    let t = encoded.get(k)
    if (t === undefined) {
      t = toBase58(b)
      if (encoded.size > 50_000) encoded.clear()
      encoded.set(k, t)
    }
    return t
  }
  const accountJson = async (text: string) => {
    const a = await world.account(keyOf(text))
    return a === undefined ? null : uiAccount(state(text, a, textOf(a.owner)), "base64")
  }

  const methods: Record<string, (p: unknown) => unknown> = {
    getSlot: async (p) => (decodeParams(Params.context, p), world.slot),
    getBalance: async (p) => {
      const [address] = decodeParams(Params.getBalance, p)
      return withContext(await world.balance(keyOf(address)))
    },
    getAccountInfo: async (p) => {
      const [address] = decodeParams(Params.getAccountInfo, p)
      return withContext(await accountJson(address))
    },
    getMultipleAccounts: async (p) => {
      const [addresses] = decodeParams(Params.getMultipleAccounts, p)
      if (addresses.length > 100) throw invalidParams("Too many inputs provided; max 100")
      const out: unknown[] = []
      for (const a of addresses) out.push(await accountJson(a))
      return withContext(out)
    },
    getProgramAccounts: async (p) => {
      const [program, config] = decodeParams(Params.getProgramAccounts, p)
      const owner = keyOf(program)
      const filters = parseFilters(config?.filters)
      const matching: { address: Uint8Array; account: SvmAccount }[] = []
      if (Buffer.compare(owner, world.programId) === 0) for (const x of world.programAccounts()) if (matchesFilters(x.account.data, filters)) matching.push(x)
      // Sorted by address, as the localnet answers (sortResults defaults to true).
      matching.sort((a, b) => Buffer.compare(a.address, b.address))
      const out = matching.map(({ address, account }) => {
        const text = textOf(address)
        return { pubkey: text, account: uiAccount(state(text, account, program), "base64") }
      })
      return config?.withContext === true ? withContext(out) : out
    },
    getLatestBlockhash: async (p) => {
      decodeParams(Params.context, p)
      return withContext({ blockhash: textOf(await world.svm.latestBlockhash()), lastValidBlockHeight: Number(world.slot) + 150 })
    },
    sendTransaction: (p) => {
      const [text, config] = decodeParams(Params.sendTransaction, p)
      if ((config?.encoding ?? "base58") !== "base64") throw invalidParams("the simulator's RPC takes base64 transactions")
      if (text.length > MAX_BASE64_TRANSACTION_CHARS) throw invalidParams(`base64 encoded transaction too large: ${text.length} bytes`)
      const wire = new Uint8Array(Buffer.from(text, "base64"))
      const answer = (record: TxRecord) => {
        if (record.outcome.ok) return record.signature
        throw new WireError(ErrorCode.SendTransactionPreflightFailure, `Transaction simulation failed: ${record.outcome.message ?? "unknown error"}`, {
          err: record.outcome.err ?? null,
          logs: record.outcome.logs,
          unitsConsumed: record.outcome.cu
        })
      }
      // A synchronous runtime answers at once: no promise on the miners' hottest call.
      const now = world.submitNow(wire)
      return now !== undefined ? answer(now) : world.submit(wire).then(answer)
    },
    getSignatureStatuses: async (p) => {
      const [signatures] = decodeParams(Params.getSignatureStatuses, p)
      return withContext(
        signatures.map((s) => {
          const r = world.status(signatureParam(s))
          if (r === undefined) return null
          const err = r.outcome.ok ? null : (r.outcome.err ?? null)
          return { slot: r.slot, confirmations: null, err, status: err === null ? { Ok: null } : { Err: err }, confirmationStatus: "finalized" }
        })
      )
    },
    getTransaction: async (p) => {
      const [s] = decodeParams(Params.getTransaction, p)
      const r = world.status(signatureParam(s))
      if (r === undefined) return null
      return { slot: r.slot, blockTime: null, meta: { err: r.outcome.ok ? null : (r.outcome.err ?? null), computeUnitsConsumed: r.outcome.cu, logMessages: r.outcome.logs } }
    }
  }

  const json = (v: unknown): unknown => JSON.parse(encodeJson(v))
  /** Answers one call as a validator would, through JSON (so bigints become JSON numbers); a promise only when the world must wait. */
  return (method: string, params: readonly unknown[]): unknown => {
    counts.set(method, (counts.get(method) ?? 0) + 1)
    const m = methods[method]
    if (m === undefined) throw new WireError(ErrorCode.MethodNotFound, "Method not found")
    const r = m(params)
    return r instanceof Promise ? r.then(json) : json(r)
  }
}

const toAccount = (a: SvmAccount | undefined): AccountData | undefined => (a === undefined ? undefined : { owner: a.owner, lamports: a.lamports, data: new Uint8Array(a.data) })

/** The miner's `SolanaRpc` service over the world. Every failure carries a JSON-RPC code: nothing is retried. */
export const simSolanaRpc = (world: World, counts: RpcCounts = new Map()): SolanaRpc["Service"] => {
  const handle = makeRpcHandler(world, counts)
  const failure = (method: string, e: unknown) =>
    e instanceof WireError
      ? new RpcError({ method, url: SIM_RPC_URL, message: e.message, code: e.code, ...(e.data === undefined ? {} : { data: e.data }) })
      : new RpcError({ method, url: SIM_RPC_URL, message: e instanceof Error ? e.message : String(e), code: ErrorCode.InternalError })
  const call = (method: string, params: readonly unknown[]): Effect.Effect<unknown, RpcError> =>
    Effect.suspend(() => {
      let r: unknown
      try {
        r = handle(method, params)
      } catch (e) {
        return Effect.fail(failure(method, e))
      }
      return r instanceof Promise ? Effect.tryPromise({ try: () => r as Promise<unknown>, catch: (e) => failure(method, e) }) : Effect.succeed(r)
    })
  const count = (method: string) => counts.set(method, (counts.get(method) ?? 0) + 1)
  return SolanaRpc.of({
    urls: [SIM_RPC_URL],
    call,
    getAccountInfo: (address) =>
      Effect.promise(async () => {
        count("getAccountInfo")
        return toAccount(await world.account(address))
      }),
    getMultipleAccounts: (addresses) =>
      Effect.promise(async () => {
        count("getMultipleAccounts")
        const out: (AccountData | undefined)[] = []
        for (const a of addresses) out.push(toAccount(await world.account(a)))
        return out
      }),
    getSlot: Effect.sync(() => {
      count("getSlot")
      return world.slot
    })
  })
}
