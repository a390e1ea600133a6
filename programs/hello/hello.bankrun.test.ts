import { Keypair, PublicKey, SystemProgram, Transaction, TransactionInstruction } from "@solana/web3.js"
import { createHash, randomBytes } from "node:crypto"
import { dirname } from "node:path"
import { fileURLToPath } from "node:url"
import { start } from "solana-bankrun"
import type { BanksTransactionResultWithMeta, ProgramTestContext } from "solana-bankrun"
import { beforeAll, describe, expect, it } from "vitest"
import { HELLO_PDA_SEED, PDA_MAGIC, createPdaInstruction, failInstruction, hashInstruction } from "./hello-instructions.ts"

// bankrun resolves programs by name from $SBF_OUT_DIR/<name>.so.
const HELLO_DIR = dirname(fileURLToPath(new URL("./hello.so", import.meta.url)))

describe("hello on solana-bankrun", () => {
  let context: ProgramTestContext
  const programId = Keypair.generate().publicKey

  beforeAll(async () => {
    process.env["SBF_OUT_DIR"] = HELLO_DIR
    // bankrun otherwise echoes every program log line at DEBUG level.
    process.env["RUST_LOG"] ??= "error"
    context = await start([{ name: "hello", programId }], [])
  })

  const run = async (keys: TransactionInstruction["keys"], data: Uint8Array): Promise<BanksTransactionResultWithMeta> => {
    const [blockhash] = (await context.banksClient.getLatestBlockhash()) ?? [context.lastBlockhash]
    const tx = new Transaction({ feePayer: context.payer.publicKey, recentBlockhash: blockhash })
    tx.add(new TransactionInstruction({ programId, keys, data: Buffer.from(data) }))
    tx.sign(context.payer)
    return context.banksClient.tryProcessTransaction(tx)
  }

  it("returns sha256 of its instruction data", async () => {
    const data = hashInstruction(new Uint8Array(randomBytes(63)))
    const result = await run([], data)
    expect(result.result).toBeNull()
    expect(result.meta?.logMessages).toContain("Program log: hello from C")
    expect(Buffer.from(result.meta?.returnData?.data ?? [])).toEqual(createHash("sha256").update(data).digest())
    expect(result.meta?.returnData?.programId.toBase58()).toBe(programId.toBase58())
  })

  it("creates a PDA through a system-program CPI", async () => {
    const payer = context.payer.publicKey
    const [pda, bump] = PublicKey.findProgramAddressSync([Buffer.from(HELLO_PDA_SEED), payer.toBuffer()], programId)
    const space = 48n
    const rent = (await context.banksClient.getRent()).minimumBalance(space)
    const result = await run(
      [
        { pubkey: payer, isSigner: true, isWritable: true },
        { pubkey: pda, isSigner: false, isWritable: true },
        { pubkey: SystemProgram.programId, isSigner: false, isWritable: false },
      ],
      createPdaInstruction(bump, rent, space)
    )
    expect(result.result, result.meta?.logMessages.join("\n")).toBeNull()
    const account = await context.banksClient.getAccount(pda)
    expect(account?.owner.toBase58()).toBe(programId.toBase58())
    expect(account?.data.length).toBe(Number(space))
    expect(Buffer.from(account?.data.subarray(0, PDA_MAGIC.length) ?? [])).toEqual(Buffer.from(PDA_MAGIC))
  })

  it("surfaces its custom error code", async () => {
    const result = await run([], failInstruction(0xd0d5))
    expect(result.result).toContain("custom program error: 0xd0d5")
  })
})
