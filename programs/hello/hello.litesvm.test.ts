import {
  AccountRole,
  appendTransactionMessageInstruction,
  createTransactionMessage,
  generateKeyPairSigner,
  getAddressEncoder,
  getProgramDerivedAddress,
  lamports,
  pipe,
  setTransactionMessageFeePayerSigner,
  signTransactionMessageWithSigners,
} from "@solana/kit"
import type { Address, Instruction, KeyPairSigner } from "@solana/kit"
import { FailedTransactionMetadata, LiteSVM } from "litesvm"
import type { TransactionMetadata } from "litesvm"
import { createHash, randomBytes } from "node:crypto"
import { fileURLToPath } from "node:url"
import { beforeAll, describe, expect, it } from "vitest"
import { HELLO_PDA_SEED, PDA_MAGIC, createPdaInstruction, failInstruction, hashInstruction } from "./hello-instructions.ts"

const SO_PATH = fileURLToPath(new URL("./hello.so", import.meta.url))
const SYSTEM_PROGRAM = "11111111111111111111111111111111" as Address

interface Harness {
  readonly svm: LiteSVM
  readonly programId: Address
  readonly payer: KeyPairSigner
}

const send = async (h: Harness, ix: Instruction): Promise<TransactionMetadata | FailedTransactionMetadata> => {
  const tx = await pipe(
    createTransactionMessage({ version: 0 }),
    (m) => setTransactionMessageFeePayerSigner(h.payer, m),
    (m) => h.svm.setTransactionMessageLifetimeUsingLatestBlockhash(m),
    (m) => appendTransactionMessageInstruction(ix, m),
    (m) => signTransactionMessageWithSigners(m)
  )
  return h.svm.sendTransaction(tx)
}

const expectSuccess = (result: TransactionMetadata | FailedTransactionMetadata): TransactionMetadata => {
  if (result instanceof FailedTransactionMetadata) {
    throw new Error(`transaction failed: ${result.toString()}\n${result.meta().logs().join("\n")}`)
  }
  return result
}

describe("hello on LiteSVM", () => {
  let h: Harness
  beforeAll(async () => {
    const svm = new LiteSVM()
    const programId = (await generateKeyPairSigner()).address
    svm.addProgramFromFile(programId, SO_PATH)
    const payer = await generateKeyPairSigner()
    svm.airdrop(payer.address, lamports(10_000_000_000n))
    h = { svm, programId, payer }
  })

  it("runs, logs and returns sha256 of its instruction data", async () => {
    const data = hashInstruction(new Uint8Array(randomBytes(63)))
    const result = expectSuccess(await send(h, { programAddress: h.programId, accounts: [], data }))
    expect(result.logs()).toContain("Program log: hello from C")
    const expected = createHash("sha256").update(data).digest()
    expect(Buffer.from(result.returnData().data())).toEqual(expected)
    expect(Buffer.from(result.returnData().programId())).toEqual(Buffer.from(getAddressEncoder().encode(h.programId)))
    console.info(`hello sha256(64 bytes): ${result.computeUnitsConsumed()} CU for the whole instruction`)
  })

  it("hashes empty-payload and 1 KiB inputs exactly", async () => {
    for (const size of [0, 1, 55, 56, 1000]) {
      const data = hashInstruction(new Uint8Array(randomBytes(size)))
      const result = expectSuccess(await send(h, { programAddress: h.programId, accounts: [], data }))
      expect(Buffer.from(result.returnData().data())).toEqual(createHash("sha256").update(data).digest())
    }
  })

  it("creates a PDA through a system-program CPI with signer seeds", async () => {
    const space = 64n
    const [pda, bump] = await getProgramDerivedAddress({
      programAddress: h.programId,
      seeds: [HELLO_PDA_SEED, getAddressEncoder().encode(h.payer.address)],
    })
    const rent = h.svm.minimumBalanceForRentExemption(space)
    const result = expectSuccess(
      await send(h, {
        programAddress: h.programId,
        accounts: [
          { address: h.payer.address, role: AccountRole.WRITABLE_SIGNER },
          { address: pda, role: AccountRole.WRITABLE },
          { address: SYSTEM_PROGRAM, role: AccountRole.READONLY },
        ],
        data: createPdaInstruction(bump, rent, space),
      })
    )
    expect(result.logs()).toContain("Program log: pda created")
    const account = h.svm.getAccount(pda)
    expect(account.exists).toBe(true)
    if (!account.exists) return
    expect(account.programAddress).toBe(h.programId)
    expect(BigInt(account.lamports)).toBe(rent)
    expect(account.data.length).toBe(Number(space))
    expect(Buffer.from(account.data.subarray(0, PDA_MAGIC.length))).toEqual(Buffer.from(PDA_MAGIC))
    console.info(`hello PDA create via CPI: ${result.computeUnitsConsumed()} CU for the whole instruction`)
  })

  it("rejects a PDA that does not match the seeds", async () => {
    const [pda, bump] = await getProgramDerivedAddress({
      programAddress: h.programId,
      seeds: [HELLO_PDA_SEED, getAddressEncoder().encode(h.payer.address)],
    })
    const result = await send(h, {
      programAddress: h.programId,
      accounts: [
        { address: h.payer.address, role: AccountRole.WRITABLE_SIGNER },
        { address: pda, role: AccountRole.WRITABLE },
        { address: SYSTEM_PROGRAM, role: AccountRole.READONLY },
      ],
      data: createPdaInstruction((bump + 1) % 256, 1_000_000n, 8n),
    })
    expect(result).toBeInstanceOf(FailedTransactionMetadata)
  })

  it("surfaces its custom error code", async () => {
    const result = await send(h, { programAddress: h.programId, accounts: [], data: failInstruction(0xd0d5) })
    expect(result).toBeInstanceOf(FailedTransactionMetadata)
    if (!(result instanceof FailedTransactionMetadata)) return
    // litesvm exports only the metadata classes, so the error variants are told apart by shape.
    const err = result.err()
    if (typeof err !== "object" || !("err" in err)) throw new Error(`expected an instruction error, got ${result.toString()}`)
    const inner = err.err()
    expect(typeof inner === "object" && "code" in inner ? inner.code : undefined).toBe(0xd0d5)
    expect(result.meta().logs().join("\n")).toContain("custom program error: 0xd0d5")
  })
})
