/**
 * The on-chain half of the client's test world: a localnet with the dotdns program, driven by real
 * dotdns transactions sent over JSON-RPC (`sendTransaction`), never by writing account bytes. Each op
 * is built from a spec op (`programs/client/instructions.ts` `buildOp`), signed
 * (`programs/client/message.ts` `signTransaction`) and also applied to the executable spec, whose state
 * gives the builder its view of the chain and the aggregates their witness weights. After each op the
 * test checks that the transaction landed without error.
 *
 * `buildChainWorld` registers names, lets witnesses sign receipts for routes in one epoch, has every
 * allowlisted miner submit an aggregate in the next epoch, warps past the challenge window and
 * finalizes the rounds: afterwards each name's `Name` account holds its canonical `route_hash`.
 */
import { apply, isError } from "../../../spec/src/apply.ts"
import { hex } from "../../../spec/src/bytes.ts"
import { keypairFromSeed, sign, type Keypair } from "../../../spec/src/ed25519.ts"
import { H } from "../../../spec/src/hash.ts"
import { nameHash } from "../../../spec/src/name.ts"
import { routeAuthDigest, routeAuthOf, routeHash, type RouteRecord } from "../../../spec/src/objects.ts"
import type { Op } from "../../../spec/src/ops.ts"
import { LOCALNET_PARAMS, param, type Params } from "../../../spec/src/params.ts"
import { emptyState, roundKey, witnessKey, witnessStakeAt, type State } from "../../../spec/src/state.ts"
import { aggregateFor, type World } from "../../../spec/test/world.ts"
import { fromBase58, toBase58 } from "../../../programs/client/base58.ts"
import { buildOp, type ChainView } from "../../../programs/client/instructions.ts"
import { signTransaction } from "../../../programs/client/message.ts"
import { findPda, seeds } from "../../../programs/client/pda.ts"
import { DEV_PROGRAM_ID } from "../../../programs/client/program-id.ts"
import { startLocalnet, type Localnet } from "../../localnet/index.ts"

export const testKey = (label: string): Keypair => keypairFromSeed(H("dotdns/client-test/key", new TextEncoder().encode(label)))

export const admin = testKey("admin")
export const miners = [testKey("m1"), testKey("m2"), testKey("m3")] as const
export const witnesses = [testKey("w1"), testKey("w2"), testKey("w3"), testKey("w4")] as const
export const owner = testKey("owner")
const payer = testKey("payer")

export interface SignedRoute {
  readonly record: RouteRecord
  readonly signature: Uint8Array
}

export const signRoute = (record: RouteRecord, by: Keypair = owner): SignedRoute => ({
  record,
  signature: sign(by, routeAuthDigest(routeAuthOf(record)))
})

/** JSON-RPC over HTTP, failing on an error reply. */
export const rpcCall = async (url: string, method: string, params: readonly unknown[] = []): Promise<unknown> => {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params })
  })
  const body = (await res.json()) as { result?: unknown; error?: { code: number; message: string; data?: unknown } }
  if (body.error !== undefined) throw new Error(`${method}: ${body.error.code} ${body.error.message} ${JSON.stringify(body.error.data ?? null)}`)
  return body.result
}

/** A local chain and the spec state that mirrors it. */
export class ChainWorld implements ChainView {
  readonly net: Localnet
  readonly params: Params
  state: State = emptyState()
  slot = 0n
  private readonly keys = new Map<string, Keypair>()

  constructor(net: Localnet, params: Params) {
    this.net = net
    this.params = params
    for (const k of [admin, ...miners, ...witnesses, owner, payer]) this.keys.set(hex(k.publicKey), k)
  }

  get L(): bigint {
    return param(this.params, "epochLengthSlots")
  }
  get rpcUrl(): string {
    return this.net.rpcUrl
  }

  // ChainView from the mirrored spec state
  config() {
    return this.state.config
  }
  name(nh: Uint8Array) {
    return this.state.names.get(hex(nh))
  }
  pin() {
    return undefined
  }
  challenge() {
    return undefined
  }

  addKey(kp: Keypair): void {
    this.keys.set(hex(kp.publicKey), kp)
  }

  async airdrop(to: Uint8Array, lamports: bigint): Promise<void> {
    await rpcCall(this.rpcUrl, "requestAirdrop", [toBase58(to), Number(lamports)])
  }

  async warpTo(slot: bigint): Promise<void> {
    if (slot <= this.slot) return
    await rpcCall(this.rpcUrl, "dotdns_warpSlot", [Number(slot)])
    this.slot = slot
  }

  /** Sends `op` as a dotdns transaction and applies it to the spec; both must accept it. */
  async run(op: Op): Promise<void> {
    const expected = apply(this.state, op, { slot: this.slot })
    if (isError(expected)) throw new Error(`spec rejects ${op.kind}: [${expected.rule}] ${expected.message}`)
    const built = buildOp(op, { programId: DEV_PROGRAM_ID, payer: payer.publicKey, slot: this.slot, view: this })
    const bh = (await rpcCall(this.rpcUrl, "getLatestBlockhash", [{ commitment: "finalized" }])) as { value: { blockhash: string } }
    const tx = signTransaction(payer, built.instructions, fromBase58(bh.value.blockhash), (pk) => this.keys.get(hex(pk)))
    const sig = (await rpcCall(this.rpcUrl, "sendTransaction", [Buffer.from(tx.wire).toString("base64"), { encoding: "base64" }])) as string
    const status = (await rpcCall(this.rpcUrl, "getSignatureStatuses", [[sig]])) as { value: ({ err: unknown } | null)[] }
    const st = status.value[0]
    if (st === null || st === undefined || st.err !== null) throw new Error(`${op.kind} did not land: ${JSON.stringify(st)}`)
    this.state = expected
  }

  /** Warps to `offset` slots into `epoch` and cranks the protocol up to it. */
  async toEpoch(epoch: bigint, offset = 0n): Promise<void> {
    await this.warpTo(epoch * this.L + offset)
    while (this.state.config!.currentEpoch < epoch) await this.run({ kind: "advanceEpoch" })
  }

  stakeOf(witness: Uint8Array, epoch: bigint): bigint {
    return witnessStakeAt(this.state.witnesses.get(witnessKey(witness)), epoch)
  }

  nameAccountAddress(name: string): Uint8Array {
    return findPda(seeds.name(nameHash(name)), DEV_PROGRAM_ID).address
  }

  /** Runs one round per route: receipts in epoch E, aggregates by every miner in E+1, finality. */
  async finalize(routes: readonly SignedRoute[]): Promise<void> {
    const E = this.state.config!.currentEpoch
    await this.toEpoch(E + 1n, 1n)
    const view = { stakeOf: (k: Uint8Array, e: bigint) => this.stakeOf(k, e) } as unknown as World
    for (const r of routes) {
      for (const [i, m] of miners.entries()) {
        const a = aggregateFor(view, m, witnesses, E, r.record.name, r.record)
        await this.run({
          kind: "submitAggregate",
          statement: a.statement,
          opening: a.opening,
          auth: i === 0 ? { serial: r.record.serial, owner: r.record.owner, signature: r.signature } : null
        })
      }
    }
    let end = 0n
    for (const r of routes) {
      const round = this.state.rounds.get(roundKey(E, nameHash(r.record.name)))!
      if (round.challengeEnd > end) end = round.challengeEnd
    }
    await this.warpTo(end)
    for (const r of routes) await this.run({ kind: "finalizeRound", epoch: E, nameHash: nameHash(r.record.name) })
    for (const r of routes) {
      const n = this.name(nameHash(r.record.name))!
      if (hex(n.routeHash) !== hex(routeHash(r.record))) throw new Error(`${r.record.name} did not finalize`)
    }
  }
}

export interface ChainWorldOptions {
  /** Names to register (owned by `owner`). */
  readonly register: readonly string[]
  /** Routes to finalize (their names must be registered). */
  readonly finalize: readonly SignedRoute[]
  readonly params?: Params
}

/**
 * Starts a localnet (stopped clock, free ports, the dotdns program) and builds the protocol state:
 * initialize, three bonded allowlisted miners, four bonded witnesses, the names registered, then one
 * round per route to finality.
 */
export const buildChainWorld = async (o: ChainWorldOptions): Promise<ChainWorld> => {
  const net = await startLocalnet({ rpcPort: 0, slotTimeMs: 0, log: () => {} })
  const w = new ChainWorld(net, o.params ?? LOCALNET_PARAMS)
  try {
    w.slot = BigInt((await rpcCall(net.rpcUrl, "getSlot")) as number)
    for (const k of [payer, admin, ...miners, ...witnesses, owner]) await w.airdrop(k.publicKey, 100_000_000_000n)
    await w.run({ kind: "initialize", authority: admin.publicKey, params: w.params, allowlist: miners.map((m) => m.publicKey) })
    for (const m of miners) await w.run({ kind: "minerBond", miner: m.publicKey, amount: 5_000_000_000n })
    for (const [i, x] of witnesses.entries()) await w.run({ kind: "witnessBond", witness: x.publicKey, amount: BigInt(i + 1) * 1_000_000_000n })
    for (const name of o.register) await w.run({ kind: "registerName", owner: owner.publicKey, name })
    await w.toEpoch(2n)
    if (o.finalize.length > 0) await w.finalize(o.finalize)
    return w
  } catch (e) {
    await net.close()
    throw e
  }
}
