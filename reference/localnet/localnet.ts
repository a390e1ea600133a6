/**
 * startLocalnet: a Solana JSON-RPC endpoint (HTTP, default port 8899) and PubSub endpoint
 * (WebSocket, port + 1) on 127.0.0.1 over one in-process LiteSVM chain, so several miner and client
 * processes can share a chain with the same code they run against devnet.
 */
import { once } from "node:events"
import type { Server } from "node:http"
import type { AddressInfo } from "node:net"
import type { LiteSVM } from "litesvm"
import { LocalChain } from "./chain.ts"
import { REPO_ROOT, defaultPrograms, type ProgramSpec } from "./default-programs.ts"
import { isAddressText } from "./encoding.ts"
import { createHttpRpcServer } from "./http-server.ts"
import { handleJsonRpc } from "./json-rpc.ts"
import { PubSub, createPubSubHttpServer } from "./pubsub.ts"
import { SOLANA_CORE_VERSION, createRpcMethods } from "./rpc-methods.ts"
import { readSnapshot, writeSnapshot } from "./snapshot.ts"

export type { ProgramSpec } from "./default-programs.ts"

export interface LocalnetOptions {
  /** HTTP port; PubSub listens on the next one. 0 picks a free pair. Default 8899. */
  readonly rpcPort?: number
  /**
   * Programs to preload. Undefined: the dotdns program if programs/dotdns/dotdns.so and
   * program-id.json exist. An empty array preloads nothing.
   */
  readonly programs?: readonly ProgramSpec[]
  /** Wall-clock length of a slot. 0 stops the clock: slots then only move by dotdns_warpSlot. Default 400. */
  readonly slotTimeMs?: number
  /** Default 432,000, like mainnet; at least 32. */
  readonly slotsPerEpoch?: number
  /** Loaded on start when present, written on close(). */
  readonly snapshotPath?: string
  /** Start fresh even if the snapshot file exists (it is still written on close). */
  readonly resetSnapshot?: boolean
  /** Faucet balance at genesis. Default 1,000,000 SOL. */
  readonly faucetLamports?: bigint
  /** Transactions kept for getTransaction and friends. Default 20,000. */
  readonly historyLimit?: number
  /** Largest HTTP body or WebSocket message accepted. Default 1 MiB. */
  readonly maxBodyBytes?: number
  readonly log?: (line: string) => void
}

export interface Localnet {
  readonly rpcUrl: string
  readonly wsUrl: string
  readonly rpcPort: number
  readonly wsPort: number
  /** The chain behind the endpoints; mutate through it (not `svm`) so subscribers hear of changes. */
  readonly chain: LocalChain
  /** Direct LiteSVM access for tests. Writes here bypass PubSub notifications. */
  readonly svm: LiteSVM
  readonly faucet: string
  readonly genesisHash: string
  readonly programs: readonly ProgramSpec[]
  /** Writes the snapshot now; returns its path, or undefined without snapshotPath. */
  saveSnapshot(): string | undefined
  /** Stops the clock and the servers, then writes the snapshot. Idempotent. */
  close(): Promise<void>
}

const HOST = "127.0.0.1"

const listen = (server: Server, port: number): Promise<number> =>
  new Promise((resolve, reject) => {
    const onError = (e: Error) => {
      server.off("listening", onListening)
      reject(e)
    }
    const onListening = () => {
      server.off("error", onError)
      resolve((server.address() as AddressInfo).port)
    }
    server.once("error", onError)
    server.once("listening", onListening)
    server.listen(port, HOST)
  })

const closeServer = async (server: Server): Promise<void> => {
  if (!server.listening) return
  const closed = once(server, "close")
  server.close()
  server.closeAllConnections()
  await closed
}

const isAddressInUse = (e: unknown): boolean => typeof e === "object" && e !== null && "code" in e && e.code === "EADDRINUSE"

/** Port 0: look for a free N with N+1 free too, so clients that derive the WS port still work. */
const listenPair = async (http: Server, ws: Server, rpcPort: number): Promise<[number, number]> => {
  if (rpcPort !== 0) {
    const p = await listen(http, rpcPort)
    try {
      return [p, await listen(ws, p + 1)]
    } catch (e) {
      await closeServer(http)
      throw e
    }
  }
  for (let attempt = 0; attempt < 20; attempt++) {
    const p = await listen(http, 0)
    if (p < 65535) {
      try {
        return [p, await listen(ws, p + 1)]
      } catch (e) {
        if (!isAddressInUse(e)) throw e
      }
    }
    await closeServer(http)
  }
  const p = await listen(http, 0)
  return [p, await listen(ws, 0)]
}

export const startLocalnet = async (options: LocalnetOptions = {}): Promise<Localnet> => {
  const log = options.log ?? (() => {})
  const rpcPort = options.rpcPort ?? 8899
  if (!Number.isInteger(rpcPort) || rpcPort < 0 || rpcPort > 65534) throw new RangeError("rpcPort must be 0..65534 (PubSub takes the next port)")
  const slotTimeMs = options.slotTimeMs ?? 400
  if (!Number.isFinite(slotTimeMs) || slotTimeMs < 0) throw new RangeError("slotTimeMs must be ≥ 0")
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024

  const programs = options.programs ?? defaultPrograms(REPO_ROOT, log)
  for (const p of programs) if (!isAddressText(p.programId)) throw new RangeError(`not a program id: ${p.programId}`)

  const genesis = options.snapshotPath !== undefined && options.resetSnapshot !== true ? readSnapshot(options.snapshotPath) : undefined
  const chain = new LocalChain({
    slotsPerEpoch: options.slotsPerEpoch ?? 432_000,
    slotTimeMs,
    faucetLamports: options.faucetLamports ?? 1_000_000_000_000_000n,
    historyLimit: options.historyLimit ?? 20_000,
    ...(genesis === undefined ? {} : { genesis }),
    log
  })
  if (genesis !== undefined) log(`restored ${genesis.accounts.length} accounts at slot ${genesis.slot} from ${options.snapshotPath}`)
  for (const p of programs) {
    chain.addProgram(p.programId, p.soPath)
    log(`preloaded program ${p.programId} from ${p.soPath}`)
  }

  const saveSnapshot = (): string | undefined => {
    if (options.snapshotPath === undefined) return undefined
    writeSnapshot(options.snapshotPath, chain)
    return options.snapshotPath
  }

  let wsPortValue = 0
  let rpcPortValue = 0
  const info = () => ({
    rpcUrl: `http://${HOST}:${rpcPortValue}`,
    wsUrl: `ws://${HOST}:${wsPortValue}`,
    faucet: chain.faucetAddress,
    genesisHash: chain.genesisHash,
    slotTimeMs,
    slotsPerEpoch: chain.slotsPerEpoch,
    programs: programs.map((p) => ({ programId: p.programId, soPath: p.soPath })),
    snapshotPath: options.snapshotPath ?? null,
    solanaCore: SOLANA_CORE_VERSION
  })
  const methods = createRpcMethods({ chain, saveSnapshot, info })
  const onInternalError = (e: unknown) => log(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`)
  const http = createHttpRpcServer({ maxBodyBytes, handle: (body) => handleJsonRpc(body, (m) => methods.get(m), onInternalError) })
  const wsServer = createPubSubHttpServer()
  const pubsub = new PubSub(chain, wsServer, { maxPayloadBytes: maxBodyBytes, log })

  try {
    ;[rpcPortValue, wsPortValue] = await listenPair(http, wsServer, rpcPort)
  } catch (e) {
    pubsub.close()
    await closeServer(wsServer)
    await closeServer(http)
    throw e
  }

  const timer = slotTimeMs > 0 ? setInterval(() => chain.advanceSlot(), slotTimeMs) : undefined
  timer?.unref()

  let closing: Promise<void> | undefined
  const close = (): Promise<void> => {
    closing ??= (async () => {
      if (timer !== undefined) clearInterval(timer)
      pubsub.close()
      await Promise.all([closeServer(http), closeServer(wsServer)])
      saveSnapshot()
    })()
    return closing
  }

  return {
    rpcUrl: `http://${HOST}:${rpcPortValue}`,
    wsUrl: `ws://${HOST}:${wsPortValue}`,
    rpcPort: rpcPortValue,
    wsPort: wsPortValue,
    chain,
    svm: chain.svm,
    faucet: chain.faucetAddress,
    genesisHash: chain.genesisHash,
    programs,
    saveSnapshot,
    close
  }
}
