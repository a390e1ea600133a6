/**
 * The miner in `rpc` mode against a real localnet (reference/localnet, Solana JSON-RPC over LiteSVM).
 * The dotdns program need not be deployed: the protocol accounts it would hold — Config, Witness and
 * Name — are produced by the executable spec (`apply` of initialize, witness bonds and name
 * registration) and written at their PDAs, so the chain views read exactly the bytes the program will
 * write. Covers EpochClock (Config + getSlot), StakeView (Witness, `witnessStakeAt`) and
 * NameRegistry (Name: registered, owner, canonical serial).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { toBase58 } from "../../../programs/client/base58.ts"
import { DEV_PROGRAM_ID, DEV_PROGRAM_ID_BASE58 } from "../../../programs/client/program-id.ts"
import { findPda, seeds } from "../../../programs/client/pda.ts"
import { startLocalnet, type Localnet } from "../../localnet/index.ts"
import { apply, isError } from "../../../spec/src/apply.ts"
import { fromHex, hex } from "../../../spec/src/bytes.ts"
import { encodeAccount, stateAccounts } from "../../../spec/src/json.ts"
import { nameHash } from "../../../spec/src/name.ts"
import { LOCALNET_PARAMS } from "../../../spec/src/params.ts"
import { emptyState, type State } from "../../../spec/src/state.ts"
import type { Op } from "../../../spec/src/ops.ts"
import {
  encodeBinaryBatch, getJson, keypair, postBinary, postJson, removeDir, routeHashOf, routeOf, signedRoute, signReceipt, startMiner, witnesses,
  type MinerProcess
} from "./helpers.ts"

const W = witnesses(6, "ln-witness")
const owner = keypair("ln-owner")
const authority = keypair("ln-authority")
const NAME = "chain.dns"
const ROUTE = new Uint8Array(32).fill(0xc4)
/** LOCALNET_PARAMS: 50-slot epochs; slot 120 is epoch 2. */
const SLOT = 120

let localnet: Localnet
let miner: MinerProcess
let state: State

const step = (s: State, op: Op): State => {
  const next = apply(s, op, { slot: 0n })
  if (isError(next)) throw new Error(`${op.kind}: ${next.rule} ${next.message}`)
  return next
}

/** Writes a state's Config, Witness and Name accounts at their PDAs, owned by the program. */
const publishState = (s: State) => {
  for (const [key, data] of stateAccounts(s)) {
    const [kind, id] = key.split("/") as [string, string | undefined]
    const pda =
      kind === "Config" ? seeds.config() : kind === "Witness" ? seeds.witness(fromHex(id!)) : kind === "Name" ? seeds.name(fromHex(id!)) : undefined
    if (pda === undefined) continue
    localnet.chain.setAccount({ address: toBase58(findPda(pda, DEV_PROGRAM_ID).address), lamports: 10_000_000n, owner: DEV_PROGRAM_ID_BASE58, executable: false, data })
  }
}

beforeAll(async () => {
  localnet = await startLocalnet({ rpcPort: 0, programs: [], slotTimeMs: 0 })
  state = step(emptyState(), { kind: "initialize", authority: authority.publicKey, params: LOCALNET_PARAMS, allowlist: [] })
  // W[0..3] bond in epoch 0, so they have stake from epoch 1 [STK-9]; W[4] and W[5] never bond.
  for (const w of W.slice(0, 4)) state = step(state, { kind: "witnessBond", witness: w.publicKey, amount: 250_000_000n })
  state = step(state, { kind: "registerName", owner: owner.publicKey, name: NAME })
  publishState(state)
  localnet.chain.warpToSlot(SLOT)
  miner = await startMiner({ rpc: { urls: [localnet.rpcUrl], programId: DEV_PROGRAM_ID_BASE58 } })
}, 60_000)

afterAll(async () => {
  if (miner) {
    await miner.stop()
    removeDir(miner.dir)
  }
  await localnet?.close()
})

describe("miner on a localnet (rpc mode)", () => {
  it("is ready once Config and the slot are readable", async () => {
    const r = await getJson(`${miner.url}/readyz`)
    expect(r.status).toBe(200)
    expect((await getJson(`${miner.url}/v1/info`)).body.chainMode).toBe("rpc")
  })

  it("weighs receipts by on-chain witness stake and checks the name and the epoch", async () => {
    const batch = [
      signReceipt(W[0]!, 2n, NAME, ROUTE), // current epoch, staked
      signReceipt(W[1]!, 1n, NAME, ROUTE), // previous epoch, staked since epoch 1
      signReceipt(W[4]!, 2n, NAME, ROUTE), // no Witness account
      signReceipt(W[2]!, 2n, "unregistered.dns", ROUTE), // no Name account
      signReceipt(W[3]!, 3n, NAME, ROUTE), // a future epoch
      signReceipt(W[3]!, 0n, NAME, ROUTE) // closed epoch
    ]
    const r = await postBinary(`${miner.url}/v1/receipts`, encodeBinaryBatch(batch))
    expect(r.status).toBe(200)
    expect(r.body.results.map((x: { status: string; rule?: string }) => x.rule ?? x.status)).toEqual(["accepted", "accepted", "RCP-5", "RCP-5", "RCP-5", "RCP-5"])
    expect(r.body.results[2].message).toContain("no stake in epoch 2")
    const stored = await getJson(`${miner.url}/v1/receipts?epoch=2&nameHash=${hex(nameHash(NAME))}`)
    expect(stored.body.receipts.map((x: { weight: string }) => x.weight)).toEqual(["250000000"])
  })

  it("reads a witness that bonded after the miner started", async () => {
    // W[5] bonds now (epoch 0 of the spec state: a checkpoint at epoch 1).
    state = step(state, { kind: "witnessBond", witness: W[5]!.publicKey, amount: 300_000_000n })
    publishState(state)
    const r = await postBinary(`${miner.url}/v1/receipts`, encodeBinaryBatch([signReceipt(W[5]!, 2n, NAME, ROUTE)]))
    expect(r.body.results[0].status).toBe("accepted")
  })

  it("checks route records against the on-chain owner and canonical serial", async () => {
    const r1 = await postJson(`${miner.url}/v1/routes`, signedRoute(routeOf(NAME, owner, 1n), owner))
    expect(r1.status).toBe(200)
    // No route is canonical yet: the lookup has nothing to serve, `latest` serves the published record.
    expect((await getJson(`${miner.url}/v1/routes/${NAME}`)).status).toBe(404)
    const got = await getJson(`${miner.url}/v1/routes/${NAME}?latest=true`)
    expect(got.body.nameAccount).toBe(hex(findPda(seeds.name(nameHash(NAME)), DEV_PROGRAM_ID).address))
    expect(got.body.canonical).toEqual({ owner: hex(owner.publicKey), routeHash: "00".repeat(32), serial: "0", routeEpoch: "0", matches: false })
    // The name changes hands on-chain: records by the old owner are refused from now on.
    const newOwner = keypair("ln-new-owner")
    state = step(state, { kind: "transferName", owner: owner.publicKey, nameHash: nameHash(NAME), newOwner: newOwner.publicKey })
    publishState(state)
    const stale = await postJson(`${miner.url}/v1/routes`, signedRoute(routeOf(NAME, owner, 2n), owner))
    expect([stale.status, stale.body.error.rule]).toEqual([422, "RTE-8"])
    expect((await postJson(`${miner.url}/v1/routes`, signedRoute(routeOf(NAME, newOwner, 2n), newOwner))).status).toBe(200)
    // The round finalizes serial 2 in epoch 1 (what finalize_round writes into the Name account).
    const name = state.names.get(hex(nameHash(NAME)))!
    const address = toBase58(findPda(seeds.name(nameHash(NAME)), DEV_PROGRAM_ID).address)
    const finalized = routeOf(NAME, newOwner, 2n)
    localnet.chain.setAccount({
      address, lamports: 10_000_000n, owner: DEV_PROGRAM_ID_BASE58, executable: false,
      data: encodeAccount("Name", { ...name, serial: 2n, routeHash: routeHashOf(finalized), routeEpoch: 1n })
    })
    const canonical = await getJson(`${miner.url}/v1/routes/${NAME}`)
    expect(canonical.body).toMatchObject({ record: { serial: "2" }, routeEpoch: "1", canonical: { serial: "2", matches: true } })
    // Serial 2 is canonical now: a record at or below it is stale [RTE-6].
    const old = await postJson(`${miner.url}/v1/routes`, signedRoute(routeOf(NAME, newOwner, 2n, [10, 9, 9, 9]), newOwner))
    expect([old.status, old.body.error.rule]).toEqual([422, "RTE-6"])
  })

  it("reports the chain unavailable when RPC is gone", async () => {
    await localnet.close()
    await new Promise((r) => setTimeout(r, 500)) // past the clock's slot cache
    const r = await postBinary(`${miner.url}/v1/receipts`, encodeBinaryBatch([signReceipt(W[2]!, 2n, "other-unregistered.dns", ROUTE)]))
    expect([r.status, JSON.stringify(r.body)]).toEqual([503, expect.stringContaining("chain view")])
    expect((await getJson(`${miner.url}/readyz`)).status).toBe(503)
  })
})
