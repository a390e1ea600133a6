/** Snapshot persistence through the library entry point. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Connection, Keypair, LAMPORTS_PER_SOL, PublicKey, SystemProgram, Transaction, sendAndConfirmTransaction } from "@solana/web3.js"
import { afterAll, describe, expect, it } from "vitest"
import { SnapshotError } from "../snapshot.ts"
import { rpc, startTestLocalnet } from "./helpers.ts"

const dir = mkdtempSync(join(tmpdir(), "dotdns-localnet-"))

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe("snapshot", () => {
  it("round-trips balances, program-owned data, genesis hash and the clock", async () => {
    const path = join(dir, "state", "localnet.json")
    const first = await startTestLocalnet({ snapshotPath: path })
    const connection = new Connection(first.rpcUrl, "confirmed")
    const payer = Keypair.generate()
    const owned = Keypair.generate()
    const owner = Keypair.generate().publicKey
    const sig = await connection.requestAirdrop(payer.publicKey, 5 * LAMPORTS_PER_SOL)
    await connection.confirmTransaction({ signature: sig, ...(await connection.getLatestBlockhash()) })
    const rent = await connection.getMinimumBalanceForRentExemption(40)
    await sendAndConfirmTransaction(
      connection,
      new Transaction().add(SystemProgram.createAccount({ fromPubkey: payer.publicKey, newAccountPubkey: owned.publicKey, lamports: rent, space: 40, programId: owner })),
      [payer, owned]
    )
    await rpc(first.rpcUrl, "dotdns_setAccount", [owned.publicKey.toBase58(), { lamports: String(rent), owner: owner.toBase58(), data: [Buffer.alloc(40, 7).toString("base64"), "base64"] }])
    await rpc(first.rpcUrl, "dotdns_warpSlot", [1000])
    const balance = await connection.getBalance(payer.publicKey)
    const faucet = await connection.getBalance(new PublicKey(first.faucet))
    await first.close()
    await first.close() // idempotent

    const file = JSON.parse(readFileSync(path, "utf8")) as { format: string; slot: number; accounts: { address: string }[] }
    expect(file.format).toBe("dotdns-localnet-snapshot")
    expect(file.slot).toBeGreaterThanOrEqual(1000)
    expect(file.accounts.map((a) => a.address)).toContain(owned.publicKey.toBase58())

    const second = await startTestLocalnet({ snapshotPath: path })
    const again = new Connection(second.rpcUrl, "confirmed")
    expect(second.genesisHash).toBe(first.genesisHash)
    expect(second.faucet).toBe(first.faucet)
    expect(await again.getBalance(payer.publicKey)).toBe(balance)
    expect(await again.getBalance(new PublicKey(second.faucet))).toBe(faucet)
    const account = await again.getAccountInfo(owned.publicKey)
    expect(account?.owner.equals(owner)).toBe(true)
    expect(account?.data.equals(Buffer.alloc(40, 7))).toBe(true)
    expect(await again.getSlot()).toBeGreaterThan(1000)

    // The restored chain keeps working: the payer can still spend.
    await sendAndConfirmTransaction(again, new Transaction().add(SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: owner, lamports: LAMPORTS_PER_SOL })), [payer])
    expect(await again.getBalance(owner)).toBe(LAMPORTS_PER_SOL)
    expect((await rpc(second.rpcUrl, "dotdns_saveSnapshot")).result).toMatchObject({ path })
    await second.close()

    const fresh = await startTestLocalnet({ snapshotPath: path, resetSnapshot: true })
    expect(fresh.genesisHash).not.toBe(first.genesisHash)
    expect(await new Connection(fresh.rpcUrl).getBalance(payer.publicKey)).toBe(0)
    await fresh.close()
  })

  it("refuses to start from a corrupt snapshot", async () => {
    const path = join(dir, "corrupt.json")
    writeFileSync(path, '{"format":"dotdns-localnet-snapshot","version":1,"accounts":"nope"}')
    await expect(startTestLocalnet({ snapshotPath: path })).rejects.toBeInstanceOf(SnapshotError)
    writeFileSync(path, "{")
    await expect(startTestLocalnet({ snapshotPath: path })).rejects.toBeInstanceOf(SnapshotError)
  })
})
