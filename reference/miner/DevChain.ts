/**
 * A development driver for a dotdns chain reached over Solana JSON-RPC (a localnet, in-process or its
 * own process): any JSON-RPC method (the localnet's `dotdns_*` dev methods included), a `ChainTx` per
 * fee payer (the miner's own transaction code, used as a plain client), spec ops sent and confirmed,
 * warps, airdrops, and the protocol's first epoch (`bootstrap`). Also the YAML of an `rpc`-mode miner.
 *
 * Shared by the miner's end-to-end tests (`test/e2e-support.ts`) and `dotdns start`
 * (`reference/start`), so both set the protocol up the same way.
 */
import { Effect } from "effect"
import { toBase58 } from "../../programs/client/base58.ts"
import { DEV_PROGRAM_ID, DEV_PROGRAM_ID_BASE58 } from "../../programs/client/program-id.ts"
import { hex } from "../../spec/src/bytes.ts"
import { keypairFromSeed, type Keypair } from "../../spec/src/ed25519.ts"
import type { Op } from "../../spec/src/ops.ts"
import { LOCALNET_PARAMS, type Params } from "../../spec/src/params.ts"
import { ChainTx, type ChainTxShape } from "./Chain.ts"
import { SolanaRpc } from "./Rpc.ts"

export const SOL = 1_000_000_000n

// ------------------------------------------------------------------------------------------ chain

export interface DevChain {
  readonly rpcUrl: string
  /** Any JSON-RPC method; throws on a JSON-RPC error. */
  rpc<T = unknown>(method: string, params?: readonly unknown[]): Promise<T>
  /** A ChainTx whose fee payer is `payer` (the miner code, used as a plain client). */
  client(payer: Keypair): ChainTxShape
  /** Sends an op paid by `payer`, signed also by `signers`; throws with the rule the program named. */
  send(payer: Keypair, op: Op, signers?: readonly Keypair[]): Promise<string>
  /** `dotdns_warpSlot`: the chain jumps forward to `slot` (localnet only). */
  warp(slot: bigint): Promise<void>
  slot(): Promise<bigint>
  airdrop(to: Uint8Array, lamports: bigint): Promise<void>
}

/** A DevChain over the JSON-RPC endpoint at `rpcUrl`. */
export const connectDevChain = (rpcUrl: string, options: { readonly programId?: Uint8Array } = {}): DevChain => {
  const programId = options.programId ?? DEV_PROGRAM_ID
  const rpcService = Effect.runSync(SolanaRpc.make({ urls: [rpcUrl], commitment: "confirmed", timeoutMs: 10_000 }))
  const clients = new Map<string, ChainTxShape>()
  const client = (payer: Keypair): ChainTxShape => {
    const k = hex(payer.publicKey)
    let c = clients.get(k)
    if (c === undefined) {
      c = Effect.runSync(ChainTx.make(rpcService, { programId, payer, commitment: "confirmed", pollIntervalMs: 20 }))
      clients.set(k, c)
    }
    return c
  }
  let id = 0
  const rpc = async <T>(method: string, params: readonly unknown[] = []): Promise<T> => {
    const res = await fetch(rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params }) })
    const body = (await res.json()) as { result?: T; error?: { code: number; message: string } }
    if (body.error !== undefined) throw new Error(`${method}: ${body.error.code} ${body.error.message}`)
    return body.result as T
  }
  return {
    rpcUrl,
    rpc,
    client,
    send: async (payer, op, signers = []) => {
      const r = await Effect.runPromise(Effect.result(client(payer).send(op, { signers })))
      if (r._tag === "Failure") {
        const e = r.failure
        throw new Error(`${op.kind}: ${e._tag}${"rule" in e && e.rule !== undefined ? ` ${e.rule}` : ""}: ${e.message}`)
      }
      return r.success.signature
    },
    warp: async (slot) => {
      await rpc("dotdns_warpSlot", [Number(slot)])
    },
    slot: async () => BigInt(await rpc<number>("getSlot", [])),
    airdrop: async (to, lamports) => {
      await rpc("requestAirdrop", [toBase58(to), Number(lamports)])
    }
  }
}

/** Reads an account through a ChainTx effect; a failure becomes a thrown defect. */
export const read = <A>(e: Effect.Effect<A, unknown>): Promise<A> => Effect.runPromise(Effect.orDie(e))

/** Polls `probe` until it returns a defined value (or throws after `ms`). */
export const until = async <T>(what: string, probe: () => Promise<T | undefined | false>, ms = 30_000, every = 100): Promise<T> => {
  const deadline = Date.now() + ms
  let last: unknown
  for (;;) {
    try {
      const v = await probe()
      if (v !== undefined && v !== false) return v
    } catch (e) {
      last = e
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last === undefined ? "" : `: ${String(last)}`}`)
    await new Promise((r) => setTimeout(r, every))
  }
}

// ------------------------------------------------------------------------------------------ protocol

export interface World {
  readonly admin: Keypair
  readonly owner: Keypair
  readonly allowlist: readonly Keypair[]
  readonly witnesses: readonly Keypair[]
  readonly name: string
  /** More names the owner registers after `name` (none by default). */
  readonly names?: readonly string[]
  /** Default LOCALNET_PARAMS. */
  readonly params?: Params
}

/**
 * Epoch 0 of a fresh chain: airdrops, `initialize` with the params (LOCALNET by default) and the
 * allowlist, witness bonds (1, 2, 3, … SOL, active from epoch 1), the names registered and the reward
 * pool funded. `bonded` miners bond 5 SOL each now (the rest are left to the caller).
 */
export const bootstrap = async (net: DevChain, w: World, bonded: readonly Keypair[]): Promise<void> => {
  for (const k of [w.admin, w.owner, ...w.allowlist, ...w.witnesses]) await net.airdrop(k.publicKey, 100n * SOL)
  await net.send(w.admin, { kind: "initialize", authority: w.admin.publicKey, params: w.params ?? LOCALNET_PARAMS, allowlist: w.allowlist.map((m) => m.publicKey) })
  for (const [i, k] of w.witnesses.entries()) await net.send(k, { kind: "witnessBond", witness: k.publicKey, amount: BigInt(i + 1) * SOL })
  for (const name of [w.name, ...(w.names ?? [])]) await net.send(w.owner, { kind: "registerName", owner: w.owner.publicKey, name })
  await net.send(w.admin, { kind: "fundPool", funder: w.admin.publicKey, amount: 10_000_000n })
  for (const m of bonded) await net.send(m, { kind: "minerBond", miner: m.publicKey, amount: 5n * SOL })
}

/** A key for reads only (it never pays). */
export const READER: Keypair = keypairFromSeed(new Uint8Array(32).fill(7))

/** Waits until the miners' cranks moved Config to `epoch` (after a warp). */
export const untilEpoch = (net: DevChain, epoch: bigint, ms?: number) =>
  until(`protocol epoch ${epoch}`, async () => ((await read(net.client(READER).config))?.currentEpoch === epoch ? true : undefined), ms)

// ------------------------------------------------------------------------------------------ miners

export interface RpcMinerSpec {
  readonly port: number
  readonly rpcUrl: string
  readonly peers: readonly string[]
  /** The keypair file, relative to the config (default identity.json). */
  readonly identity?: string
  readonly dataDir?: string
  readonly tickMs?: number
  readonly auditLeaves?: number
  readonly verifyWorkers?: number
  readonly log?: { readonly level: "trace" | "debug" | "info" | "warn" | "error"; readonly format: "json" | "pretty" }
  readonly extraYaml?: string
}

/** miner.yaml of a miner in `rpc` mode on the development program, its duties on. */
export const rpcMinerConfigYaml = (m: RpcMinerSpec): string =>
  [
    `identity: ${m.identity ?? "identity.json"}`,
    `program_id: ${DEV_PROGRAM_ID_BASE58}`,
    `rpc: { urls: ["${m.rpcUrl}"], commitment: confirmed, timeout_ms: 5000 }`,
    `http: { host: 127.0.0.1, port: ${m.port} }`,
    `data_dir: ${m.dataDir ?? "data"}`,
    `peers: [${m.peers.map((p) => `"${p}"`).join(", ")}]`,
    `verify: { workers: ${m.verifyWorkers ?? 1} }`,
    "chain: { mode: rpc }",
    `log: { level: ${m.log?.level ?? "info"}, format: ${m.log?.format ?? "json"} }`,
    `duties: { tick_ms: ${m.tickMs ?? 150}, audit_leaves: ${m.auditLeaves ?? 4} }`,
    m.extraYaml ?? ""
  ].join("\n") + "\n"
