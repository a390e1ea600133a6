/** The localnet as @solana/web3.js's Connection sees it, over real sockets. */
import {
  AddressLookupTableProgram,
  ComputeBudgetProgram,
  Connection,
  Keypair,
  LAMPORTS_PER_SOL,
  PublicKey,
  SendTransactionError,
  SystemProgram,
  Transaction,
  TransactionInstruction,
  TransactionMessage,
  VersionedTransaction,
  sendAndConfirmTransaction,
  type Commitment,
  type Signer
} from "@solana/web3.js"
import { getBase58Decoder, getBase58Encoder } from "@solana/kit"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Localnet } from "../localnet.ts"
import { rpc, sleep, startTestLocalnet } from "./helpers.ts"

const MEMO = new PublicKey("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")
const TOKEN = new PublicKey("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
const commitment: Commitment = "confirmed"

let net: Localnet
let connection: Connection
let payer: Keypair

const fund = async (to: PublicKey, lamports: number): Promise<void> => {
  const signature = await connection.requestAirdrop(to, lamports)
  const latest = await connection.getLatestBlockhash()
  const result = await connection.confirmTransaction({ signature, ...latest }, commitment)
  expect(result.value.err).toBeNull()
}

const memo = (text: string, signer?: PublicKey): TransactionInstruction =>
  new TransactionInstruction({
    programId: MEMO,
    keys: signer === undefined ? [] : [{ pubkey: signer, isSigner: true, isWritable: false }],
    data: Buffer.from(text)
  })

const send = (ixs: TransactionInstruction[], signers: Signer[] = [payer]) =>
  sendAndConfirmTransaction(connection, new Transaction().add(...ixs), signers, { commitment })

/** SPL Token InitializeMint2, so the Token program (not us) writes recognisable data. */
const createMint = async (authority: PublicKey): Promise<PublicKey> => {
  const mint = Keypair.generate()
  const space = 82
  const lamports = await connection.getMinimumBalanceForRentExemption(space)
  const init = new TransactionInstruction({
    programId: TOKEN,
    keys: [{ pubkey: mint.publicKey, isSigner: false, isWritable: true }],
    data: Buffer.concat([Buffer.from([20, 6]), authority.toBuffer(), Buffer.from([0])])
  })
  await send([SystemProgram.createAccount({ fromPubkey: payer.publicKey, newAccountPubkey: mint.publicKey, lamports, space, programId: TOKEN }), init], [payer, mint])
  return mint.publicKey
}

beforeAll(async () => {
  net = await startTestLocalnet()
  connection = new Connection(net.rpcUrl, { commitment, wsEndpoint: net.wsUrl })
  payer = Keypair.generate()
  await fund(payer.publicKey, 100 * LAMPORTS_PER_SOL)
})

afterAll(async () => {
  await net?.close()
})

describe("basic queries", () => {
  it("answers cluster and clock queries", async () => {
    expect(await rpc(net.rpcUrl, "getHealth")).toMatchObject({ result: "ok" })
    expect(await connection.getGenesisHash()).toBe(net.genesisHash)
    expect((await connection.getVersion())["solana-core"]).toMatch(/^\d+\.\d+\.\d+$/)
    const slot = await connection.getSlot()
    await sleep(350)
    expect(await connection.getSlot()).toBeGreaterThan(slot)
    const info = await connection.getEpochInfo()
    expect(info.absoluteSlot).toBeGreaterThanOrEqual(slot)
    expect(info.slotsInEpoch).toBe(432_000)
    expect(await connection.getBlockHeight()).toBeGreaterThanOrEqual(slot)
    expect(await connection.getMinimumBalanceForRentExemption(0)).toBe(890_880)
    const { blockhash, lastValidBlockHeight } = await connection.getLatestBlockhash()
    expect(lastValidBlockHeight).toBeGreaterThan(await connection.getBlockHeight())
    expect((await connection.isBlockhashValid(blockhash)).value).toBe(true)
    expect((await connection.isBlockhashValid(Keypair.generate().publicKey.toBase58())).value).toBe(false)
    expect(await connection.getBlockTime(await connection.getSlot())).toBeGreaterThan(1_600_000_000)
  })

  it("airdrops from the faucet and reports balances", async () => {
    const who = Keypair.generate().publicKey
    await fund(who, 2 * LAMPORTS_PER_SOL)
    await fund(who, 2 * LAMPORTS_PER_SOL) // the same request twice in a slot must not be a duplicate
    expect(await connection.getBalance(who)).toBe(4 * LAMPORTS_PER_SOL)
    const faucet = await connection.getAccountInfo(new PublicKey(net.faucet))
    expect(faucet?.owner.equals(SystemProgram.programId)).toBe(true)
    expect(await connection.getAccountInfo(Keypair.generate().publicKey)).toBeNull()
  })
})

describe("transactions", () => {
  it("transfers, and getTransaction reports Solana's meta", async () => {
    const to = Keypair.generate().publicKey
    const before = await connection.getBalance(payer.publicKey)
    const signature = await send([SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: to, lamports: LAMPORTS_PER_SOL })])
    expect(await connection.getBalance(to)).toBe(LAMPORTS_PER_SOL)
    expect(await connection.getBalance(payer.publicKey)).toBe(before - LAMPORTS_PER_SOL - 5000)

    const tx = await connection.getTransaction(signature, { commitment, maxSupportedTransactionVersion: 0 })
    expect(tx).not.toBeNull()
    expect(tx!.version).toBe("legacy")
    expect(tx!.meta!.err).toBeNull()
    expect(tx!.meta!.fee).toBe(5000)
    expect(tx!.meta!.preBalances[0]).toBe(before)
    expect(tx!.meta!.postBalances[0]).toBe(before - LAMPORTS_PER_SOL - 5000)
    expect(tx!.meta!.postBalances[1]).toBe(LAMPORTS_PER_SOL)
    expect(tx!.meta!.logMessages).toContain("Program 11111111111111111111111111111111 success")
    expect(tx!.meta!.computeUnitsConsumed).toBe(150)
    expect(tx!.transaction.signatures[0]).toBe(signature)
    expect(tx!.blockTime).toBeGreaterThan(1_600_000_000)

    const raw = await rpc(net.rpcUrl, "getTransaction", [signature, { encoding: "base64" }])
    const encoded = (raw.result as { transaction: [string, string] }).transaction
    expect(encoded[1]).toBe("base64")
    expect(VersionedTransaction.deserialize(Buffer.from(encoded[0], "base64")).signatures[0]).toBeDefined()

    const statuses = await connection.getSignatureStatuses([signature, "1".repeat(64)], { searchTransactionHistory: true })
    expect(statuses.value[0]).toMatchObject({ err: null, confirmationStatus: "finalized", confirmations: null })
    expect(statuses.value[1]).toBeNull()
  })

  it("rejects a failing transaction at preflight with Solana's error shape", async () => {
    const tx = new Transaction().add(SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: Keypair.generate().publicKey, lamports: 1000 * LAMPORTS_PER_SOL }))
    const err = await sendAndConfirmTransaction(connection, tx, [payer]).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SendTransactionError)
    expect((err as SendTransactionError).message).toContain("custom program error: 0x1")
    expect((err as SendTransactionError).logs?.some((l) => l.includes("insufficient lamports"))).toBe(true)

    // The raw error: code -32002 with data.err and data.logs.
    tx.recentBlockhash = (await connection.getLatestBlockhash()).blockhash
    tx.feePayer = payer.publicKey
    tx.sign(payer)
    const reply = await rpc(net.rpcUrl, "sendTransaction", [tx.serialize().toString("base64"), { encoding: "base64" }])
    expect(reply.error?.code).toBe(-32002)
    expect(reply.error?.message).toBe("Transaction simulation failed: Error processing Instruction 0: custom program error: 0x1")
    expect((reply.error?.data as { err: unknown }).err).toEqual({ InstructionError: [0, { Custom: 1 }] })
    expect((reply.error?.data as { logs: string[] }).logs.length).toBeGreaterThan(0)
  })

  it("lands a failing transaction sent with skipPreflight, charging its fee", async () => {
    const tx = new Transaction().add(memo("ok"), SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: Keypair.generate().publicKey, lamports: 1000 * LAMPORTS_PER_SOL }))
    const latest = await connection.getLatestBlockhash()
    tx.recentBlockhash = latest.blockhash
    tx.feePayer = payer.publicKey
    tx.sign(payer)
    const before = await connection.getBalance(payer.publicKey)
    const signature = await connection.sendRawTransaction(tx.serialize(), { skipPreflight: true })
    const confirmed = await connection.confirmTransaction({ signature, ...latest }, commitment)
    expect(confirmed.value.err).toEqual({ InstructionError: [1, { Custom: 1 }] })
    expect(await connection.getBalance(payer.publicKey)).toBe(before - 5000)
    const got = await connection.getTransaction(signature, { commitment, maxSupportedTransactionVersion: 0 })
    expect(got!.meta!.err).toEqual({ InstructionError: [1, { Custom: 1 }] })
    expect(got!.meta!.fee).toBe(5000)
  })

  it("accepts base58 and rejects bad signatures with -32003", async () => {
    const tx = new Transaction().add(memo("base58 please", payer.publicKey))
    tx.recentBlockhash = (await connection.getLatestBlockhash()).blockhash
    tx.feePayer = payer.publicKey
    tx.sign(payer)
    const wire = tx.serialize()
    const b58 = getBase58Decoder().decode(wire)
    const ok = await rpc(net.rpcUrl, "sendTransaction", [b58])
    expect(ok.result).toBe(getBase58Decoder().decode(tx.signature!))

    const forged = Buffer.from(wire)
    forged[5] = forged[5]! ^ 0xff
    const bad = await rpc(net.rpcUrl, "sendTransaction", [forged.toString("base64"), { encoding: "base64" }])
    expect(bad.error).toMatchObject({ code: -32003, message: "Transaction signature verification failure" })

    const again = await rpc(net.rpcUrl, "sendTransaction", [b58])
    expect(again.error?.code).toBe(-32002)
    expect((again.error?.data as { err: unknown }).err).toBe("AlreadyProcessed")
  })

  it("simulates with sigVerify, replaceRecentBlockhash and post-state accounts", async () => {
    const to = Keypair.generate().publicKey
    const tx = new Transaction().add(SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: to, lamports: 12345678 }))
    tx.recentBlockhash = Keypair.generate().publicKey.toBase58() // never produced
    tx.feePayer = payer.publicKey
    tx.sign(payer)
    const wire = tx.serialize().toString("base64")
    const stale = await rpc(net.rpcUrl, "simulateTransaction", [wire, { encoding: "base64", sigVerify: true }])
    expect((stale.result as { value: { err: unknown } }).value.err).toBe("BlockhashNotFound")

    const replaced = await rpc(net.rpcUrl, "simulateTransaction", [
      wire,
      { encoding: "base64", replaceRecentBlockhash: true, innerInstructions: true, accounts: { addresses: [to.toBase58()], encoding: "base64" } }
    ])
    const value = (replaced.result as { value: Record<string, unknown> }).value
    expect(value["err"]).toBeNull()
    expect(value["unitsConsumed"]).toBe(150)
    expect((value["replacementBlockhash"] as { blockhash: string }).blockhash).toBeTypeOf("string")
    expect((value["accounts"] as { lamports: number }[])[0]!.lamports).toBe(12345678)
    expect(await connection.getBalance(to)).toBe(0)

    const both = await rpc(net.rpcUrl, "simulateTransaction", [wire, { encoding: "base64", replaceRecentBlockhash: true, sigVerify: true }])
    expect(both.error?.code).toBe(-32602)

    const sim = await connection.simulateTransaction(new Transaction().add(memo("simulated")), [payer])
    expect(sim.value.err).toBeNull()
    expect(sim.value.logs).toContain("Program log: Memo (len 9)")
  })

  it("quotes fees that match what is charged, priority fees included", async () => {
    const fresh = Keypair.generate().publicKey
    const ixs = [
      ComputeBudgetProgram.setComputeUnitLimit({ units: 50_000 }),
      ComputeBudgetProgram.setComputeUnitPrice({ microLamports: 1_000_000 }),
      SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: fresh, lamports: LAMPORTS_PER_SOL })
    ]
    const { blockhash } = await connection.getLatestBlockhash()
    const message = new TransactionMessage({ payerKey: payer.publicKey, recentBlockhash: blockhash, instructions: ixs }).compileToLegacyMessage()
    const quoted = (await connection.getFeeForMessage(message)).value
    expect(quoted).toBe(5000 + 50_000)
    const signature = await send(ixs)
    const got = await connection.getTransaction(signature, { commitment, maxSupportedTransactionVersion: 0 })
    expect(got!.meta!.fee).toBe(quoted)
    // Per slot, the lowest price paid to write-lock the account: only this transaction touched `fresh`.
    const fees = await connection.getRecentPrioritizationFees({ lockedWritableAccounts: [fresh] })
    expect(fees.filter((f) => f.prioritizationFee > 0)).toEqual([{ slot: got!.slot, prioritizationFee: 1_000_000 }])
  })

  it("lists signatures for an address, newest first, with memos", async () => {
    const who = Keypair.generate()
    await fund(who.publicKey, LAMPORTS_PER_SOL)
    const first = await send([memo("one", who.publicKey)], [payer, who])
    const second = await send([memo("two", who.publicKey)], [payer, who])
    const list = await connection.getSignaturesForAddress(who.publicKey)
    expect(list.map((s) => s.signature).slice(0, 2)).toEqual([second, first])
    expect(list[0]!.memo).toBe("[3] two")
    expect(list).toHaveLength(3)
    const paged = await connection.getSignaturesForAddress(who.publicKey, { before: second, limit: 1 })
    expect(paged.map((s) => s.signature)).toEqual([first])
  })

  it("runs v0 transactions through an address lookup table", async () => {
    const recentSlot = (await connection.getSlot()) - 1
    const [create, table] = AddressLookupTableProgram.createLookupTable({ authority: payer.publicKey, payer: payer.publicKey, recentSlot })
    const targets = [Keypair.generate().publicKey, Keypair.generate().publicKey]
    const extend = AddressLookupTableProgram.extendLookupTable({ lookupTable: table, authority: payer.publicKey, payer: payer.publicKey, addresses: targets })
    const created = await send([create, extend])
    // Addresses appended in a slot are usable from the next one.
    const extendedIn = (await connection.getTransaction(created, { commitment, maxSupportedTransactionVersion: 0 }))!.slot
    while ((await connection.getSlot()) <= extendedIn) await sleep(20)

    // The lookup-table program creates and grows its account through System CPIs.
    const creation = await connection.getTransaction(created, { commitment, maxSupportedTransactionVersion: 0 })
    const inner = creation!.meta!.innerInstructions!
    expect(inner.map((i) => i.index)).toContain(0)
    const keys = creation!.transaction.message.staticAccountKeys
    expect(inner[0]!.instructions.every((ix) => keys[ix.programIdIndex]!.equals(SystemProgram.programId))).toBe(true)

    const lookup = (await connection.getAddressLookupTable(table)).value
    expect(lookup?.state.addresses.map((a) => a.toBase58())).toEqual(targets.map((a) => a.toBase58()))
    const { blockhash, lastValidBlockHeight } = await connection.getLatestBlockhash()
    const message = new TransactionMessage({
      payerKey: payer.publicKey,
      recentBlockhash: blockhash,
      instructions: targets.map((toPubkey) => SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey, lamports: LAMPORTS_PER_SOL }))
    }).compileToV0Message([lookup!])
    const tx = new VersionedTransaction(message)
    tx.sign([payer])
    const signature = await connection.sendTransaction(tx)
    expect((await connection.confirmTransaction({ signature, blockhash, lastValidBlockHeight }, commitment)).value.err).toBeNull()
    expect(await connection.getBalance(targets[1]!)).toBe(LAMPORTS_PER_SOL)

    const got = await connection.getTransaction(signature, { commitment, maxSupportedTransactionVersion: 0 })
    expect(got!.version).toBe(0)
    expect(got!.meta!.loadedAddresses!.writable.map((a) => a.toBase58())).toEqual(targets.map((a) => a.toBase58()))
    expect(got!.meta!.postBalances).toHaveLength(4)
    const legacyClient = await rpc(net.rpcUrl, "getTransaction", [signature, { encoding: "json" }])
    expect(legacyClient.error?.code).toBe(-32015)
  })
})

describe("accounts", () => {
  it("filters getProgramAccounts by memcmp (base58 and base64) and dataSize", async () => {
    const alice = Keypair.generate().publicKey
    const bob = Keypair.generate().publicKey
    const aliceMints = [await createMint(alice), await createMint(alice)]
    const bobMint = await createMint(bob)

    const byAlice = await connection.getProgramAccounts(TOKEN, { filters: [{ dataSize: 82 }, { memcmp: { offset: 4, bytes: alice.toBase58() } }] })
    expect(byAlice.map((a) => a.pubkey.toBase58()).sort()).toEqual(aliceMints.map((m) => m.toBase58()).sort())

    const byBob = await rpc(net.rpcUrl, "getProgramAccounts", [
      TOKEN.toBase58(),
      { encoding: "base64", withContext: true, filters: [{ memcmp: { offset: 4, bytes: bob.toBuffer().toString("base64"), encoding: "base64" } }] }
    ])
    const value = (byBob.result as { context: { slot: number }; value: { pubkey: string }[] }).value
    expect(value.map((v) => v.pubkey)).toEqual([bobMint.toBase58()])

    expect(await connection.getProgramAccounts(TOKEN, { filters: [{ dataSize: 83 }] })).toEqual([])
    const sliced = await connection.getProgramAccounts(TOKEN, { dataSlice: { offset: 4, length: 32 }, filters: [{ memcmp: { offset: 4, bytes: bob.toBase58() } }] })
    expect(sliced[0]!.account.data.equals(bob.toBuffer())).toBe(true)

    const many = await connection.getMultipleAccountsInfo([bobMint, Keypair.generate().publicKey])
    expect(many[0]!.owner.equals(TOKEN)).toBe(true)
    expect(many[1]).toBeNull()
  })

  it("encodes account data in base58, base64 and base64+zstd", async () => {
    const mint = await createMint(payer.publicKey)
    const b58 = await rpc(net.rpcUrl, "getAccountInfo", [mint.toBase58(), { encoding: "base58" }])
    const b64 = await rpc(net.rpcUrl, "getAccountInfo", [mint.toBase58(), { encoding: "base64" }])
    const legacy = await rpc(net.rpcUrl, "getAccountInfo", [mint.toBase58()])
    const zstd = await rpc(net.rpcUrl, "getAccountInfo", [mint.toBase58(), { encoding: "base64+zstd" }])
    const parsed = await rpc(net.rpcUrl, "getAccountInfo", [mint.toBase58(), { encoding: "jsonParsed" }])
    const data = (r: typeof b58) => (r.result as { value: { data: unknown } }).value.data
    const bytes = Buffer.from((data(b64) as [string])[0], "base64")
    expect(bytes.subarray(4, 36).equals(payer.publicKey.toBuffer())).toBe(true)
    expect(Buffer.from(getBase58Encoder().encode((data(b58) as [string])[0])).equals(bytes)).toBe(true)
    expect(typeof data(legacy)).toBe("string")
    expect((data(zstd) as string[])[1]).toBe("base64+zstd")
    expect(data(parsed)).toEqual(data(b64))
    const { zstdDecompressSync } = await import("node:zlib")
    expect(zstdDecompressSync(Buffer.from((data(zstd) as [string])[0], "base64")).equals(bytes)).toBe(true)
  })
})

describe("subscriptions", () => {
  it("notifies signature, account, program, logs and slot subscribers", async () => {
    const owner = Keypair.generate().publicKey
    const fresh = Keypair.generate()
    const slots: number[] = []
    const slotSub = connection.onSlotChange((s) => slots.push(s.slot))
    const accountChanges: number[] = []
    const accountSub = connection.onAccountChange(fresh.publicKey, (a) => accountChanges.push(a.lamports), { commitment })
    const programChanges: string[] = []
    const programSub = connection.onProgramAccountChange(owner, (a) => programChanges.push(a.accountId.toBase58()), { commitment, filters: [{ dataSize: 16 }] })
    const logs: string[] = []
    const logsSub = connection.onLogs(fresh.publicKey, (l) => logs.push(l.signature), commitment)
    await sleep(300) // let the subscriptions register

    const lamports = await connection.getMinimumBalanceForRentExemption(16)
    const tx = new Transaction().add(SystemProgram.createAccount({ fromPubkey: payer.publicKey, newAccountPubkey: fresh.publicKey, lamports, space: 16, programId: owner }))
    const latest = await connection.getLatestBlockhash()
    tx.recentBlockhash = latest.blockhash
    tx.feePayer = payer.publicKey
    tx.sign(payer, fresh)
    const signature = await connection.sendRawTransaction(tx.serialize())
    const landed = await new Promise<unknown>((resolve) => connection.onSignature(signature, (r) => resolve(r.err), commitment))
    expect(landed).toBeNull()

    const deadline = Date.now() + 5000
    while ((accountChanges.length === 0 || programChanges.length === 0 || logs.length === 0 || slots.length < 2) && Date.now() < deadline) await sleep(50)
    expect(accountChanges).toEqual([lamports])
    expect(programChanges).toEqual([fresh.publicKey.toBase58()])
    expect(logs).toEqual([signature])
    expect(slots.length).toBeGreaterThanOrEqual(2)
    await Promise.all([
      connection.removeSlotChangeListener(slotSub),
      connection.removeAccountChangeListener(accountSub),
      connection.removeProgramAccountChangeListener(programSub),
      connection.removeOnLogsListener(logsSub)
    ])
  })
})
