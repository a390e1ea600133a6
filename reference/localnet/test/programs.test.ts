/** Preloading SBF programs: explicit specs, and the dotdns program discovered under programs/dotdns/. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Connection, Keypair, PublicKey, Transaction, TransactionInstruction, sendAndConfirmTransaction } from "@solana/web3.js"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { defaultPrograms, programIdFromJson } from "../default-programs.ts"
import { base58Encode } from "../encoding.ts"
import { rpc, startTestLocalnet } from "./helpers.ts"

const dir = mkdtempSync(join(tmpdir(), "dotdns-localnet-programs-"))
let memoSo: string

beforeAll(async () => {
  // LiteSVM bundles SPL Memo under BPF loader 2, whose program account data is the ELF itself:
  // a real .so to preload without shipping one.
  const net = await startTestLocalnet()
  const memo = net.chain.getAccount("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")
  await net.close()
  memoSo = join(dir, "memo.so")
  writeFileSync(memoSo, memo!.data)
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe("program preloading", () => {
  it("serves a program preloaded from a .so under a chosen id", async () => {
    const programId = Keypair.generate().publicKey
    const net = await startTestLocalnet({ programs: [{ programId: programId.toBase58(), soPath: memoSo }] })
    try {
      const connection = new Connection(net.rpcUrl, "confirmed")
      const info = await connection.getAccountInfo(programId)
      expect(info?.executable).toBe(true)
      expect(info?.owner.toBase58()).toBe("BPFLoaderUpgradeab1e11111111111111111111111")
      const payer = Keypair.generate()
      const airdrop = await connection.requestAirdrop(payer.publicKey, 1_000_000_000)
      await connection.confirmTransaction({ signature: airdrop, ...(await connection.getLatestBlockhash()) })
      const ix = new TransactionInstruction({ programId, keys: [], data: Buffer.from("hello dotdns") })
      const signature = await sendAndConfirmTransaction(connection, new Transaction().add(ix), [payer])
      const tx = await connection.getTransaction(signature, { commitment: "confirmed", maxSupportedTransactionVersion: 0 })
      expect(tx!.meta!.logMessages).toContain("Program log: hello dotdns")
      expect((await rpc(net.rpcUrl, "dotdns_info")).result).toMatchObject({ programs: [{ programId: programId.toBase58(), soPath: memoSo }] })
    } finally {
      await net.close()
    }
  })

  it("fails to start on a missing or invalid .so, naming it", async () => {
    const id = Keypair.generate().publicKey.toBase58()
    await expect(startTestLocalnet({ programs: [{ programId: id, soPath: join(dir, "absent.so") }] })).rejects.toThrow(/absent\.so/)
    writeFileSync(join(dir, "junk.so"), "not an elf")
    await expect(startTestLocalnet({ programs: [{ programId: id, soPath: join(dir, "junk.so") }] })).rejects.toThrow(/junk\.so/)
    await expect(startTestLocalnet({ programs: [{ programId: "nope", soPath: memoSo }] })).rejects.toThrow(/not a program id/)
  })

  it("discovers programs/dotdns/dotdns.so with its id file", () => {
    const root = join(dir, "repo")
    const logs: string[] = []
    expect(defaultPrograms(root, (l) => logs.push(l))).toEqual([])
    mkdirSync(join(root, "programs", "dotdns"), { recursive: true })
    writeFileSync(join(root, "programs", "dotdns", "dotdns.so"), "elf")
    expect(defaultPrograms(root, (l) => logs.push(l))).toEqual([])
    expect(logs.at(-1)).toContain("program-id.json")
    const id = Keypair.generate().publicKey.toBase58()
    writeFileSync(join(root, "programs", "dotdns", "program-id.json"), JSON.stringify({ programId: id }))
    expect(defaultPrograms(root, () => {})).toEqual([{ programId: id, soPath: join(root, "programs", "dotdns", "dotdns.so") }])
  })

  it("reads a program id as a string, an object, or a CLI keypair file", () => {
    const kp = Keypair.generate()
    const id = kp.publicKey.toBase58()
    expect(programIdFromJson(id)).toBe(id)
    expect(programIdFromJson({ address: id })).toBe(id)
    expect(programIdFromJson([...kp.secretKey])).toBe(id)
    expect(programIdFromJson(base58Encode(new PublicKey(id).toBytes()))).toBe(id)
    expect(programIdFromJson("bogus")).toBeUndefined()
    expect(programIdFromJson([1, 2, 3])).toBeUndefined()
  })
})
