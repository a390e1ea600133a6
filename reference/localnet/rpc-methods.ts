/**
 * The HTTP JSON-RPC methods. Commitment parameters are accepted and ignored: a single node that
 * executes each transaction as it arrives has every state "processed", "confirmed" and "finalized"
 * at once.
 */
import { checkBase58Size, matchesFilters, parseFilters, uiAccount, type AccountEncoding, type DataSlice } from "./account-encoding.ts"
import type { AccountState, LocalChain, SendOutcome } from "./chain.ts"
import { base58Decode, base64Decode } from "./encoding.ts"
import { ErrorCode, RpcError, invalidParams, invalidRequest } from "./rpc-errors.ts"
import { Params, decodeParams, pubkeyParam, signatureParam } from "./rpc-params.ts"
import { metaJson, simulationJson, transactionJson, type TransactionEncoding } from "./transaction-json.ts"
import { MAX_TRANSACTION_BYTES } from "./wire-transaction.ts"

/** The Agave runtime LiteSVM 1.5 embeds (solana-program-runtime 4.3); reported by getVersion and in every context. */
export const SOLANA_CORE_VERSION = "4.3.0"
const FEATURE_SET = 0

/** Solana keeps signature statuses for this many slots unless searchTransactionHistory is set. */
const STATUS_CACHE_SLOTS = 300
const MAX_BASE58_TRANSACTION_CHARS = 1683
const MAX_BASE64_TRANSACTION_CHARS = 1644

export type MethodHandler = (params: unknown) => unknown

export interface RpcContext {
  readonly chain: LocalChain
  /** Writes the snapshot now; undefined when no snapshot file is configured. */
  readonly saveSnapshot: () => string | undefined
  readonly info: () => Record<string, unknown>
}

const decodeWire = (text: string, encoding: "base58" | "base64", what: string): Uint8Array => {
  const max = encoding === "base58" ? MAX_BASE58_TRANSACTION_CHARS : MAX_BASE64_TRANSACTION_CHARS
  if (text.length > max) {
    throw invalidParams(`${encoding} encoded ${what} too large: ${text.length} bytes (max: encoded/raw ${max}/${MAX_TRANSACTION_BYTES})`)
  }
  const bytes = encoding === "base58" ? base58Decode(text) : base64Decode(text)
  if (bytes === undefined) throw invalidParams(`invalid ${encoding} encoding: ${what}`)
  return bytes
}

const TX = "solana_transaction::versioned::VersionedTransaction"

export const createRpcMethods = (ctx: RpcContext): ReadonlyMap<string, MethodHandler> => {
  const chain = ctx.chain
  const withContext = (value: unknown) => ({ context: { apiVersion: SOLANA_CORE_VERSION, slot: chain.slot }, value })

  const checkMinContextSlot = (config: { readonly minContextSlot?: number | null } | null | undefined): void => {
    const min = config?.minContextSlot
    if (min !== undefined && min !== null && min > chain.slot) {
      throw new RpcError(ErrorCode.MinContextSlotNotReached, "Minimum context slot has not been reached", { contextSlot: chain.slot })
    }
  }

  const accountJson = (a: AccountState | null, encoding: AccountEncoding, slice: DataSlice | undefined): unknown => {
    if (a === null) return null
    checkBase58Size(a, encoding, slice)
    return uiAccount(a, encoding, slice)
  }

  const sliceOf = (config: { readonly encoding?: AccountEncoding | null; readonly dataSlice?: DataSlice | null } | null | undefined): DataSlice | undefined => {
    const slice = config?.dataSlice ?? undefined
    if (slice !== undefined && config?.encoding === "jsonParsed") {
      throw invalidRequest("Sliced account data can only be encoded using binary (base 58) or base64 encoding.")
    }
    return slice
  }

  const sendResult = (outcome: SendOutcome): string => {
    switch (outcome.kind) {
      case "accepted":
        return outcome.signature
      case "badSignature":
        throw new RpcError(ErrorCode.TransactionSignatureVerificationFailure, "Transaction signature verification failure")
      case "preflightFailed":
        throw new RpcError(
          ErrorCode.SendTransactionPreflightFailure,
          `Transaction simulation failed: ${outcome.simulation.errMessage ?? "unknown error"}`,
          simulationJson(outcome.simulation, null, false)
        )
    }
  }

  const methods: Record<string, MethodHandler> = {
    getHealth: (p) => (decodeParams(Params.none, p), "ok"),
    getVersion: (p) => (decodeParams(Params.none, p), { "solana-core": SOLANA_CORE_VERSION, "feature-set": FEATURE_SET }),
    getGenesisHash: (p) => (decodeParams(Params.none, p), chain.genesisHash),
    getIdentity: (p) => (decodeParams(Params.none, p), { identity: chain.identity }),
    getSlot: (p) => {
      const [config] = decodeParams(Params.context, p)
      checkMinContextSlot(config)
      return chain.slot
    },
    getBlockHeight: (p) => {
      const [config] = decodeParams(Params.context, p)
      checkMinContextSlot(config)
      return chain.blockHeight
    },
    getTransactionCount: (p) => {
      const [config] = decodeParams(Params.context, p)
      checkMinContextSlot(config)
      return chain.history.count
    },
    getEpochInfo: (p) => {
      const [config] = decodeParams(Params.context, p)
      checkMinContextSlot(config)
      return {
        absoluteSlot: chain.slot,
        blockHeight: chain.blockHeight,
        epoch: chain.epoch,
        slotIndex: chain.slot - chain.firstSlotOfEpoch(chain.epoch),
        slotsInEpoch: chain.slotsPerEpoch,
        transactionCount: chain.history.count
      }
    },
    getEpochSchedule: (p) => {
      decodeParams(Params.none, p)
      return { slotsPerEpoch: chain.slotsPerEpoch, leaderScheduleSlotOffset: chain.slotsPerEpoch, warmup: false, firstNormalEpoch: 0, firstNormalSlot: 0 }
    },
    getBlockTime: (p) => {
      const [slot] = decodeParams(Params.getBlockTime, p)
      const time = chain.blockTime(slot)
      if (time === undefined) throw new RpcError(ErrorCode.BlockNotAvailable, `Block not available for slot ${slot}`)
      return time
    },
    getLatestBlockhash: (p) => {
      const [config] = decodeParams(Params.context, p)
      checkMinContextSlot(config)
      return withContext(chain.latestBlockhash)
    },
    isBlockhashValid: (p) => {
      const [hash, config] = decodeParams(Params.isBlockhashValid, p)
      checkMinContextSlot(config)
      const bytes = base58Decode(hash)
      if (bytes === undefined) throw invalidParams("Invalid param: Invalid")
      if (bytes.length !== 32) throw invalidParams("Invalid param: WrongSize")
      return withContext(chain.isBlockhashValid(hash))
    },
    getMinimumBalanceForRentExemption: (p) => {
      const [len] = decodeParams(Params.getMinimumBalanceForRentExemption, p)
      return chain.svm.minimumBalanceForRentExemption(BigInt(len))
    },
    getFeeForMessage: (p) => {
      const [message, config] = decodeParams(Params.getFeeForMessage, p)
      checkMinContextSlot(config)
      const bytes = decodeWire(message, "base64", "solana_message::versioned::VersionedMessage")
      return withContext(chain.feeForMessage(bytes))
    },
    getRecentPrioritizationFees: (p) => {
      const [accounts] = decodeParams(Params.getRecentPrioritizationFees, p)
      const list = accounts ?? []
      if (list.length > 128) throw invalidParams("Too many inputs provided; max 128")
      return chain.recentPrioritizationFees(list.map(pubkeyParam))
    },
    getBalance: (p) => {
      const [address, config] = decodeParams(Params.getBalance, p)
      checkMinContextSlot(config)
      return withContext(chain.getBalance(pubkeyParam(address)))
    },
    getAccountInfo: (p) => {
      const [address, config] = decodeParams(Params.getAccountInfo, p)
      checkMinContextSlot(config)
      const slice = sliceOf(config)
      return withContext(accountJson(chain.getAccount(pubkeyParam(address)), config?.encoding ?? "binary", slice))
    },
    getMultipleAccounts: (p) => {
      const [addresses, config] = decodeParams(Params.getMultipleAccounts, p)
      checkMinContextSlot(config)
      if (addresses.length > 100) throw invalidParams("Too many inputs provided; max 100")
      const slice = sliceOf(config)
      const encoding = config?.encoding ?? "base64"
      const keys = addresses.map(pubkeyParam)
      return withContext(keys.map((k) => accountJson(chain.getAccount(k), encoding, slice)))
    },
    getProgramAccounts: (p) => {
      const [program, config] = decodeParams(Params.getProgramAccounts, p)
      checkMinContextSlot(config)
      const slice = sliceOf(config)
      const filters = parseFilters(config?.filters)
      const encoding = config?.encoding ?? "binary"
      const matching = chain.getProgramAccounts(pubkeyParam(program)).filter((a) => matchesFilters(a.data, filters))
      if (config?.sortResults !== false) {
        matching.sort((a, b) => Buffer.compare(base58Decode(a.address) ?? Buffer.alloc(0), base58Decode(b.address) ?? Buffer.alloc(0)))
      }
      const value = matching.map((a) => ({ pubkey: a.address, account: accountJson(a, encoding, slice) }))
      return config?.withContext === true ? withContext(value) : value
    },
    requestAirdrop: (p) => {
      const [address, lamports] = decodeParams(Params.requestAirdrop, p)
      const outcome = chain.airdrop(pubkeyParam(address), BigInt(lamports))
      if (outcome.kind === "preflightFailed") {
        throw new RpcError(ErrorCode.InternalError, `airdrop request failed: ${outcome.simulation.errMessage ?? "unknown error"}`)
      }
      return sendResult(outcome)
    },
    sendTransaction: (p) => {
      const [text, config] = decodeParams(Params.sendTransaction, p)
      checkMinContextSlot(config)
      const bytes = decodeWire(text, config?.encoding ?? "base58", TX)
      return sendResult(chain.send(bytes, { skipPreflight: config?.skipPreflight === true }))
    },
    simulateTransaction: (p) => {
      const [text, config] = decodeParams(Params.simulateTransaction, p)
      checkMinContextSlot(config)
      const prepared = chain.prepare(decodeWire(text, config?.encoding ?? "base58", TX))
      const sigVerify = config?.sigVerify === true
      const replaceRecentBlockhash = config?.replaceRecentBlockhash === true
      if (sigVerify && replaceRecentBlockhash) throw invalidParams("sigVerify may not be used with replaceRecentBlockhash")
      if (sigVerify && !chain.verifySignatures(prepared.tx)) {
        throw new RpcError(ErrorCode.TransactionSignatureVerificationFailure, "Transaction signature verification failure")
      }
      const simulation = chain.simulate(prepared, { replaceRecentBlockhash })
      let accounts: unknown[] | null = null
      const requested = config?.accounts
      if (requested !== undefined && requested !== null) {
        const encoding = requested.encoding ?? "base64"
        if (encoding === "binary" || encoding === "base58") throw invalidParams("base58 encoding not supported")
        if (requested.addresses.length > simulation.accountKeys.length) {
          throw invalidParams(`Too many accounts provided; max ${simulation.accountKeys.length}`)
        }
        const keys = requested.addresses.map(pubkeyParam)
        accounts =
          simulation.err !== null
            ? keys.map(() => null)
            : keys.map((k) => {
                const post = simulation.postAccounts.has(k) ? (simulation.postAccounts.get(k) ?? null) : chain.getAccount(k)
                return post === null ? null : uiAccount(post, encoding)
              })
      }
      return withContext(simulationJson(simulation, accounts, config?.innerInstructions === true))
    },
    getSignatureStatuses: (p) => {
      const [signatures, config] = decodeParams(Params.getSignatureStatuses, p)
      if (signatures.length > 256) throw invalidParams("Too many inputs provided; max 256")
      const search = config?.searchTransactionHistory === true
      const value = signatures.map((text) => {
        const r = chain.history.get(signatureParam(text))
        if (r === undefined || (!search && chain.slot - r.slot > STATUS_CACHE_SLOTS)) return null
        return { slot: r.slot, confirmations: null, err: r.err, status: r.err === null ? { Ok: null } : { Err: r.err }, confirmationStatus: "finalized" }
      })
      return withContext(value)
    },
    getTransaction: (p) => {
      const [text, raw] = decodeParams(Params.getTransaction, p)
      const config = typeof raw === "string" ? { encoding: raw } : (raw ?? {})
      if ("commitment" in config && config.commitment === "processed") throw invalidParams("Method does not support commitment below `confirmed`")
      const encoding: TransactionEncoding = config.encoding ?? "json"
      const maxVersion = "maxSupportedTransactionVersion" in config ? (config.maxSupportedTransactionVersion ?? undefined) : undefined
      const r = chain.history.get(signatureParam(text))
      if (r === undefined) return null
      const version = r.tx.message.version
      if (version === 0 && maxVersion === undefined) {
        throw new RpcError(
          ErrorCode.UnsupportedTransactionVersion,
          'Transaction version (0) is not supported by the requesting client. Please try the request again with the following configuration parameter: "maxSupportedTransactionVersion": 0'
        )
      }
      return {
        slot: r.slot,
        blockTime: r.blockTime,
        transaction: transactionJson(r, encoding),
        meta: metaJson(r, encoding),
        ...(maxVersion === undefined ? {} : { version })
      }
    },
    getSignaturesForAddress: (p) => {
      const [address, config] = decodeParams(Params.getSignaturesForAddress, p)
      checkMinContextSlot(config)
      const key = pubkeyParam(address)
      const limit = config?.limit ?? 1000
      if (limit < 1 || limit > 1000) throw invalidParams("Invalid limit; max 1000")
      const before = config?.before === undefined || config.before === null ? undefined : signatureParam(config.before)
      const until = config?.until === undefined || config.until === null ? undefined : signatureParam(config.until)
      const out: unknown[] = []
      let started = before === undefined
      for (const r of chain.history.newestFirst()) {
        if (!started) {
          started = r.signature === before
          continue
        }
        if (r.signature === until || out.length >= limit) break
        if (!r.accountKeys.includes(key)) continue
        out.push({ signature: r.signature, slot: r.slot, err: r.err, memo: r.memo, blockTime: r.blockTime, confirmationStatus: "finalized" })
      }
      return out
    },

    // Dev methods: not part of Solana's API, prefixed so they cannot collide with it.
    dotdns_warpSlot: (p) => {
      const [slot, config] = decodeParams(Params.warpSlot, p)
      chain.warpToSlot(slot, config?.unixTimestamp ?? undefined)
      return clockJson()
    },
    dotdns_warpEpoch: (p) => {
      const [epoch] = decodeParams(Params.warpEpoch, p)
      const target = epoch ?? chain.epoch + 1
      if (target <= chain.epoch) throw invalidParams(`Invalid param: epoch must be greater than the current epoch ${chain.epoch}`)
      chain.warpToSlot(chain.firstSlotOfEpoch(target))
      return clockJson()
    },
    dotdns_setAccount: (p) => {
      const [address, spec] = decodeParams(Params.setAccount, p)
      const lamports = typeof spec.lamports === "number" ? BigInt(spec.lamports) : parseU64(spec.lamports)
      const data = spec.data === undefined || spec.data === null ? new Uint8Array() : (spec.data[1] === "base64" ? base64Decode(spec.data[0]) : base58Decode(spec.data[0]))
      if (data === undefined) throw invalidParams("Invalid param: data is not valid for its encoding")
      if (data.length > 10 * 1024 * 1024) throw invalidParams("Invalid param: data exceeds 10 MiB")
      const owner = spec.owner === undefined || spec.owner === null ? "11111111111111111111111111111111" : pubkeyParam(spec.owner)
      try {
        chain.setAccount({ address: pubkeyParam(address), lamports, owner, executable: spec.executable === true, data })
      } catch (e) {
        if (e instanceof RpcError) throw e
        throw invalidParams(`Invalid param: LiteSVM refused the account: ${e instanceof Error ? e.message : String(e)}`)
      }
      return withContext(null)
    },
    dotdns_saveSnapshot: (p) => {
      decodeParams(Params.none, p)
      const path = ctx.saveSnapshot()
      if (path === undefined) throw invalidRequest("no snapshot file configured (start with --snapshot <file>)")
      return { path, slot: chain.slot }
    },
    dotdns_info: (p) => (decodeParams(Params.none, p), ctx.info())
  }

  const clockJson = () => ({ slot: chain.slot, blockHeight: chain.blockHeight, epoch: chain.epoch, unixTimestamp: chain.unixTimestamp, blockhash: chain.latestBlockhash.blockhash })

  return new Map(Object.entries(methods))
}

const parseU64 = (text: string): bigint => {
  if (!/^\d{1,20}$/.test(text)) throw invalidParams("Invalid param: lamports must be a u64")
  const v = BigInt(text)
  if (v > 18446744073709551615n) throw invalidParams("Invalid param: lamports must be a u64")
  return v
}
