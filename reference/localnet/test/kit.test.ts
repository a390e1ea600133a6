/** The localnet as @solana/kit's RPC and RPC-subscriptions clients see it. */
import {
  AccountRole,
  assertIsTransactionWithBlockhashLifetime,
  address,
  airdropFactory,
  appendTransactionMessageInstructions,
  createSolanaRpc,
  createSolanaRpcSubscriptions,
  createTransactionMessage,
  devnet,
  generateKeyPairSigner,
  getAddressEncoder,
  getBase64EncodedWireTransaction,
  getSignatureFromTransaction,
  lamports,
  pipe,
  sendAndConfirmTransactionFactory,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  signTransactionMessageWithSigners,
  type AccountMeta,
  type AccountSignerMeta,
  type Address,
  type Base58EncodedBytes,
  type Instruction,
  type KeyPairSigner,
  type Signature
} from "@solana/kit"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { u64le } from "../encoding.ts"
import type { Localnet } from "../localnet.ts"
import { startTestLocalnet } from "./helpers.ts"

const SYSTEM = address("11111111111111111111111111111111")
const TOKEN = address("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")

let net: Localnet
const connect = (net: Localnet) => ({
  rpc: createSolanaRpc(devnet(net.rpcUrl)),
  subs: createSolanaRpcSubscriptions(devnet(net.wsUrl))
})
let rpc: ReturnType<typeof connect>["rpc"]
let subs: ReturnType<typeof connect>["subs"]
let payer: KeyPairSigner

type SignerInstruction = Instruction<string, readonly (AccountMeta | AccountSignerMeta)[]>

const transfer = (from: KeyPairSigner, to: Address, amount: bigint): SignerInstruction => ({
  programAddress: SYSTEM,
  accounts: [
    { address: from.address, role: AccountRole.WRITABLE_SIGNER, signer: from },
    { address: to, role: AccountRole.WRITABLE }
  ],
  data: Uint8Array.from([2, 0, 0, 0, ...u64le(amount)])
})

const createAccount = (from: KeyPairSigner, account: KeyPairSigner, amount: bigint, space: number, owner: Address): SignerInstruction => ({
  programAddress: SYSTEM,
  accounts: [
    { address: from.address, role: AccountRole.WRITABLE_SIGNER, signer: from },
    { address: account.address, role: AccountRole.WRITABLE_SIGNER, signer: account }
  ],
  data: Uint8Array.from([0, 0, 0, 0, ...u64le(amount), ...u64le(space), ...getAddressBytes(owner)])
})

const getAddressBytes = (a: Address): Uint8Array => new Uint8Array(getAddressEncoder().encode(a))

const initializeMint = (mint: Address, authority: Address): SignerInstruction => ({
  programAddress: TOKEN,
  accounts: [{ address: mint, role: AccountRole.WRITABLE }],
  data: Uint8Array.from([20, 0, ...getAddressBytes(authority), 0])
})

const sendAndConfirm = async (instructions: readonly SignerInstruction[]): Promise<Signature> => {
  const { value: latestBlockhash } = await rpc.getLatestBlockhash().send()
  const message = pipe(
    createTransactionMessage({ version: 0 }),
    (m) => setTransactionMessageFeePayerSigner(payer, m),
    (m) => setTransactionMessageLifetimeUsingBlockhash(latestBlockhash, m),
    (m) => appendTransactionMessageInstructions(instructions, m)
  )
  const signed = await signTransactionMessageWithSigners(message)
  assertIsTransactionWithBlockhashLifetime(signed)
  await sendAndConfirmTransactionFactory({ rpc, rpcSubscriptions: subs })(signed, { commitment: "confirmed" })
  return getSignatureFromTransaction(signed)
}

beforeAll(async () => {
  net = await startTestLocalnet()
  ;({ rpc, subs } = connect(net))
  payer = await generateKeyPairSigner()
  await airdropFactory({ rpc, rpcSubscriptions: subs })({ recipientAddress: payer.address, lamports: lamports(50_000_000_000n), commitment: "confirmed" })
})

afterAll(async () => {
  await net?.close()
})

describe("@solana/kit rpc", () => {
  it("reads u64 fields exactly", async () => {
    const { value } = await rpc.getAccountInfo(payer.address, { encoding: "base64" }).send()
    expect(value?.lamports).toBe(50_000_000_000n)
    const raw = await fetch(net.rpcUrl, { method: "POST", body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "getAccountInfo", params: [payer.address] }) })
    expect(await raw.text()).toContain('"rentEpoch":18446744073709551615')
    expect(value?.owner).toBe(SYSTEM)
    const faucet = await rpc.getBalance(address(net.faucet)).send()
    expect(faucet.value).toBeLessThan(1_000_000_000_000_000n)
  })

  it("sends and confirms a v0 transfer", async () => {
    const to = (await generateKeyPairSigner()).address
    const signature = await sendAndConfirm([transfer(payer, to, 1_000_000_000n)])
    expect((await rpc.getBalance(to).send()).value).toBe(1_000_000_000n)
    const tx = await rpc.getTransaction(signature, { maxSupportedTransactionVersion: 0, encoding: "json" }).send()
    expect(tx?.version).toBe(0)
    expect(tx?.meta?.fee).toBe(5000n)
    expect(tx?.meta?.err).toBeNull()
    const { value } = await rpc.getSignatureStatuses([signature]).send()
    expect(value[0]?.confirmationStatus).toBe("finalized")
  })

  it("answers getProgramAccounts with filters", async () => {
    const authority = (await generateKeyPairSigner()).address
    const mint = await generateKeyPairSigner()
    const rent = await rpc.getMinimumBalanceForRentExemption(82n).send()
    await sendAndConfirm([createAccount(payer, mint, rent, 82, TOKEN), initializeMint(mint.address, authority)])
    const found = await rpc
      .getProgramAccounts(TOKEN, { encoding: "base64", filters: [{ dataSize: 82n }, { memcmp: { offset: 4n, bytes: authority as string as Base58EncodedBytes, encoding: "base58" } }] })
      .send()
    expect(found.map((a) => a.pubkey)).toEqual([mint.address])
  })
})

describe("@solana/kit subscriptions", () => {
  it("delivers received and processed signature notifications", async () => {
    const abort = new AbortController()
    const to = (await generateKeyPairSigner()).address
    const { value: latestBlockhash } = await rpc.getLatestBlockhash().send()
    const signed = await signTransactionMessageWithSigners(
      pipe(
        createTransactionMessage({ version: 0 }),
        (m) => setTransactionMessageFeePayerSigner(payer, m),
        (m) => setTransactionMessageLifetimeUsingBlockhash(latestBlockhash, m),
        (m) => appendTransactionMessageInstructions([transfer(payer, to, 2_000_000n)], m)
      )
    )
    const signature = getSignatureFromTransaction(signed)
    const stream = await subs.signatureNotifications(signature, { commitment: "confirmed", enableReceivedNotification: true }).subscribe({ abortSignal: abort.signal })
    // Kit only queues notifications for an iterator that is already being polled.
    const iterator = stream[Symbol.asyncIterator]()
    const first = iterator.next()
    await rpc.sendTransaction(getBase64EncodedWireTransaction(signed), { encoding: "base64" }).send()
    const seen = [(await first).value?.value, (await iterator.next()).value?.value]
    abort.abort()
    expect(seen).toEqual(["receivedSignature", { err: null }])
  })

  it("delivers account, program (filtered) and slot notifications", async () => {
    const abort = new AbortController()
    const owner = (await generateKeyPairSigner()).address
    const watched = await generateKeyPairSigner()
    const other = await generateKeyPairSigner()

    const accounts = await subs.accountNotifications(watched.address, { commitment: "confirmed", encoding: "base64" }).subscribe({ abortSignal: abort.signal })
    const programs = await subs.programNotifications(owner, { commitment: "confirmed", encoding: "base64", filters: [{ dataSize: 24n }] }).subscribe({ abortSignal: abort.signal })
    const slots = await subs.slotNotifications().subscribe({ abortSignal: abort.signal })

    const nextAccount = accounts[Symbol.asyncIterator]().next()
    const nextProgram = programs[Symbol.asyncIterator]().next()
    const rent = await rpc.getMinimumBalanceForRentExemption(24n).send()
    await sendAndConfirm([createAccount(payer, other, rent, 8, owner), createAccount(payer, watched, rent, 24, owner)])

    const account = await nextAccount
    expect(account.value?.value.lamports).toBe(rent)
    expect(account.value?.value.owner).toBe(owner)
    const program = await nextProgram
    expect(program.value?.value.pubkey).toBe(watched.address)
    expect(program.value?.value.account.space).toBe(24n)

    const seen: bigint[] = []
    for await (const s of slots) {
      seen.push(s.slot)
      if (seen.length === 3) break
    }
    expect(seen[1]! > seen[0]! && seen[2]! > seen[1]!).toBe(true)
    abort.abort()
  })
})
