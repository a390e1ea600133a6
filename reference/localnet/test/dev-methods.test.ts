/** The dotdns_* dev methods, the slot clock, and blockhash expiry. */
import { Connection, Keypair, LAMPORTS_PER_SOL, NONCE_ACCOUNT_LENGTH, SystemProgram, Transaction, sendAndConfirmTransaction } from "@solana/web3.js"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Localnet } from "../localnet.ts"
import { WsClient, rpc, sleep, startTestLocalnet } from "./helpers.ts"

const CLOCK = "SysvarC1ock11111111111111111111111111111111"

/** The Clock sysvar as programs see it. */
const readClock = async (url: string) => {
  const reply = await rpc(url, "getAccountInfo", [CLOCK, { encoding: "base64" }])
  const data = Buffer.from((reply.result as { value: { data: [string] } }).value.data[0], "base64")
  return { slot: Number(data.readBigUInt64LE(0)), epoch: Number(data.readBigUInt64LE(16)), unixTimestamp: Number(data.readBigInt64LE(32)) }
}

describe("a manual clock (slotTimeMs 0)", () => {
  let net: Localnet
  beforeAll(async () => {
    net = await startTestLocalnet({ slotTimeMs: 0, slotsPerEpoch: 32 })
  })
  afterAll(async () => {
    await net?.close()
  })

  it("only moves slots by warps, and writes them to the Clock sysvar", async () => {
    const start = (await rpc(net.rpcUrl, "getSlot")).result as number
    await sleep(250)
    expect((await rpc(net.rpcUrl, "getSlot")).result).toBe(start)

    const before = await readClock(net.rpcUrl)
    const warped = await rpc(net.rpcUrl, "dotdns_warpSlot", [start + 10])
    expect(warped.result).toMatchObject({ slot: start + 10, epoch: 0 })
    const clock = await readClock(net.rpcUrl)
    expect(clock.slot).toBe(start + 10)
    // 10 slots of nominal 400 ms moved unix time forward by ~4 s.
    expect(clock.unixTimestamp - before.unixTimestamp).toBeGreaterThanOrEqual(3)

    const later = clock.unixTimestamp + 86_400
    await rpc(net.rpcUrl, "dotdns_warpSlot", [start + 11, { unixTimestamp: later }])
    expect((await readClock(net.rpcUrl)).unixTimestamp).toBe(later)

    expect((await rpc(net.rpcUrl, "dotdns_warpSlot", [start])).error?.code).toBe(-32602)
    expect((await rpc(net.rpcUrl, "dotdns_warpSlot", [start + 12, { unixTimestamp: 5 }])).error?.code).toBe(-32602)
  })

  it("warps to the next epoch", async () => {
    const result = (await rpc(net.rpcUrl, "dotdns_warpEpoch")).result as { epoch: number; slot: number }
    const info = (await rpc(net.rpcUrl, "getEpochInfo")).result as { epoch: number; slotIndex: number; slotsInEpoch: number }
    expect(info).toMatchObject({ epoch: result.epoch, slotIndex: 0, slotsInEpoch: 32 })
    expect(result.slot).toBe(result.epoch * 32)
    expect((await readClock(net.rpcUrl)).epoch).toBe(result.epoch)
    expect((await rpc(net.rpcUrl, "dotdns_warpEpoch", [result.epoch])).error?.code).toBe(-32602)
    expect(((await rpc(net.rpcUrl, "dotdns_warpEpoch", [result.epoch + 3])).result as { epoch: number }).epoch).toBe(result.epoch + 3)
  })

  it("expires blockhashes 150 blocks after they were produced", async () => {
    const connection = new Connection(net.rpcUrl, "confirmed")
    const payer = Keypair.generate()
    await rpc(net.rpcUrl, "requestAirdrop", [payer.publicKey.toBase58(), LAMPORTS_PER_SOL])
    const { blockhash, lastValidBlockHeight } = await connection.getLatestBlockhash()
    const slot = await connection.getSlot()
    await rpc(net.rpcUrl, "dotdns_warpSlot", [slot + 150])
    expect((await connection.isBlockhashValid(blockhash)).value).toBe(true)
    expect(await connection.getBlockHeight()).toBe(lastValidBlockHeight)
    await rpc(net.rpcUrl, "dotdns_warpSlot", [slot + 151])
    expect((await connection.isBlockhashValid(blockhash)).value).toBe(false)

    const tx = new Transaction({ feePayer: payer.publicKey, recentBlockhash: blockhash }).add(
      SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: Keypair.generate().publicKey, lamports: 1_000_000 })
    )
    tx.sign(payer)
    const wire = tx.serialize().toString("base64")
    const preflight = await rpc(net.rpcUrl, "sendTransaction", [wire, { encoding: "base64" }])
    expect(preflight.error).toMatchObject({ code: -32002, message: "Transaction simulation failed: Blockhash not found" })
    expect((preflight.error?.data as { err: unknown }).err).toBe("BlockhashNotFound")

    // Without preflight a validator accepts the bytes and silently never lands them.
    const skipped = await rpc(net.rpcUrl, "sendTransaction", [wire, { encoding: "base64", skipPreflight: true }])
    expect(skipped.result).toBeTypeOf("string")
    const status = await connection.getSignatureStatus(skipped.result as string, { searchTransactionHistory: true })
    expect(status.value).toBeNull()
    expect(await connection.getBalance(payer.publicKey)).toBe(LAMPORTS_PER_SOL)
  })
  it("accepts a durable-nonce transaction long after its blockhash expired", async () => {
    const connection = new Connection(net.rpcUrl, "confirmed")
    const payer = Keypair.generate()
    const nonce = Keypair.generate()
    await rpc(net.rpcUrl, "requestAirdrop", [payer.publicKey.toBase58(), LAMPORTS_PER_SOL])
    const rent = await connection.getMinimumBalanceForRentExemption(NONCE_ACCOUNT_LENGTH)
    const setup = new Transaction().add(
      ...SystemProgram.createNonceAccount({ fromPubkey: payer.publicKey, noncePubkey: nonce.publicKey, authorizedPubkey: payer.publicKey, lamports: rent }).instructions
    )
    await sendAndConfirmTransaction(connection, setup, [payer, nonce])
    const stored = (await connection.getNonce(nonce.publicKey))!.nonce

    await rpc(net.rpcUrl, "dotdns_warpSlot", [(await connection.getSlot()) + 500])
    const to = Keypair.generate().publicKey
    const tx = new Transaction({
      feePayer: payer.publicKey,
      nonceInfo: { nonce: stored, nonceInstruction: SystemProgram.nonceAdvance({ noncePubkey: nonce.publicKey, authorizedPubkey: payer.publicKey }) }
    }).add(SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: to, lamports: 2_000_000 }))
    tx.sign(payer)
    const reply = await rpc(net.rpcUrl, "sendTransaction", [tx.serialize().toString("base64"), { encoding: "base64" }])
    expect(reply.error).toBeUndefined()
    expect(await connection.getBalance(to)).toBe(2_000_000)
    expect((await connection.getNonce(nonce.publicKey))!.nonce).not.toBe(stored)
    // The nonce moved on, so the same transaction cannot be replayed.
    const replay = await rpc(net.rpcUrl, "sendTransaction", [tx.serialize().toString("base64"), { encoding: "base64" }])
    expect(replay.error?.code).toBe(-32002)
  })
})

describe("account and info dev methods", () => {
  let net: Localnet
  beforeAll(async () => {
    net = await startTestLocalnet()
  })
  afterAll(async () => {
    await net?.close()
  })

  it("sets an account and notifies account and program subscribers", async () => {
    const target = Keypair.generate().publicKey.toBase58()
    const owner = Keypair.generate().publicKey.toBase58()
    const ws = await WsClient.connect(net.wsUrl)
    const accountSub = await ws.subscribe("accountSubscribe", [target, { encoding: "base64" }])
    const programSub = await ws.subscribe("programSubscribe", [owner, { encoding: "base64", filters: [{ memcmp: { offset: 1, bytes: "5" } }] }])
    const data = Buffer.from([9, 4, 5, 6]).toString("base64")
    const reply = await rpc(net.rpcUrl, "dotdns_setAccount", [target, { lamports: "5000000", owner, data: [data, "base64"] }])
    expect(reply.error).toBeUndefined()

    const account = await ws.next((n) => n.params.subscription === accountSub)
    expect(account.method).toBe("accountNotification")
    expect(account.params.result).toMatchObject({ value: { lamports: 5_000_000, owner, data: [data, "base64"], space: 4 } })
    const program = await ws.next((n) => n.params.subscription === programSub)
    expect(program.method).toBe("programNotification")
    expect(program.params.result).toMatchObject({ value: { pubkey: target } })

    const info = await rpc(net.rpcUrl, "getAccountInfo", [target, { encoding: "base64" }])
    expect((info.result as { value: { data: [string] } }).value.data[0]).toBe(data)
    expect((await rpc(net.rpcUrl, "dotdns_setAccount", [target, { lamports: -1 }])).error?.code).toBe(-32602)
    ws.close()
  })

  it("describes itself and refuses to snapshot without a file", async () => {
    const info = (await rpc(net.rpcUrl, "dotdns_info")).result as Record<string, unknown>
    expect(info).toMatchObject({ rpcUrl: net.rpcUrl, wsUrl: net.wsUrl, faucet: net.faucet, genesisHash: net.genesisHash, slotTimeMs: 100 })
    expect((await rpc(net.rpcUrl, "dotdns_saveSnapshot")).error?.code).toBe(-32600)
  })
})
