// Deploys hello.so through the upgradeable loader's own instructions, so the
// cluster's deployment-time ELF checks (reject_broken_elfs, syscall
// registration) run on our linker's output, not just the lenient test loader.

import {
  AccountRole,
  appendTransactionMessageInstructions,
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
import { createHash } from "node:crypto"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { hashInstruction } from "./hello-instructions.ts"

const LOADER = "BPFLoaderUpgradeab1e11111111111111111111111" as Address
const SYSTEM_PROGRAM = "11111111111111111111111111111111" as Address
const SYSVAR_RENT = "SysvarRent111111111111111111111111111111111" as Address
const SYSVAR_CLOCK = "SysvarC1ock11111111111111111111111111111111" as Address
const BUFFER_METADATA = 37 // enum tag u32 + Option<authority> (1 + 32)
const PROGRAM_ACCOUNT_SIZE = 36 // enum tag u32 + programdata address
const WRITE_CHUNK = 900 // keeps each Write transaction under the 1232-byte packet limit

const bytes = (...parts: Array<ArrayLike<number>>): Uint8Array => Uint8Array.from(parts.flatMap((p) => Array.from(p)))
const u32 = (v: number): Uint8Array => {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, v, true)
  return b
}
const u64 = (v: bigint): Uint8Array => {
  const b = new Uint8Array(8)
  new DataView(b.buffer).setBigUint64(0, v, true)
  return b
}

const createAccount = (payer: KeyPairSigner, account: KeyPairSigner, lamportsAmount: bigint, space: number, owner: Address): Instruction => ({
  programAddress: SYSTEM_PROGRAM,
  accounts: [
    { address: payer.address, role: AccountRole.WRITABLE_SIGNER },
    { address: account.address, role: AccountRole.WRITABLE_SIGNER },
  ],
  data: bytes(u32(0), u64(lamportsAmount), u64(BigInt(space)), getAddressEncoder().encode(owner)),
})

const deploy = async (so: Uint8Array) => {
  const svm = new LiteSVM()
  const payer = await generateKeyPairSigner()
  const buffer = await generateKeyPairSigner()
  const program = await generateKeyPairSigner()
  svm.airdrop(payer.address, lamports(100_000_000_000n))

  const send = async (instructions: Instruction[]) => {
    const tx = await pipe(
      createTransactionMessage({ version: 0 }),
      (m) => setTransactionMessageFeePayerSigner(payer, m),
      (m) => svm.setTransactionMessageLifetimeUsingLatestBlockhash(m),
      (m) => appendTransactionMessageInstructions(instructions, m),
      (m) => signTransactionMessageWithSigners(m)
    )
    const result = svm.sendTransaction(tx)
    if (result instanceof FailedTransactionMetadata) throw new Error(`${result.toString()}\n${result.meta().logs().join("\n")}`)
    return result
  }
  // The new accounts must sign their own creation; kit finds signers through the account metas.
  const withSigner = (ix: Instruction, signer: KeyPairSigner): Instruction => ({
    ...ix,
    accounts: (ix.accounts ?? []).map((a) => (a.address === signer.address ? { ...a, signer } : a)),
  })

  const bufferSize = BUFFER_METADATA + so.length
  await send([
    withSigner(createAccount(payer, buffer, svm.minimumBalanceForRentExemption(BigInt(bufferSize)), bufferSize, LOADER), buffer),
    {
      programAddress: LOADER,
      accounts: [
        { address: buffer.address, role: AccountRole.WRITABLE },
        { address: payer.address, role: AccountRole.READONLY },
      ],
      data: u32(0), // InitializeBuffer
    },
  ])
  for (let offset = 0; offset < so.length; offset += WRITE_CHUNK) {
    const chunk = so.subarray(offset, offset + WRITE_CHUNK)
    await send([
      {
        programAddress: LOADER,
        accounts: [
          { address: buffer.address, role: AccountRole.WRITABLE },
          { address: payer.address, role: AccountRole.READONLY_SIGNER },
        ],
        data: bytes(u32(1), u32(offset), u64(BigInt(chunk.length)), chunk), // Write
      },
    ])
  }

  const [programData] = await getProgramDerivedAddress({ programAddress: LOADER, seeds: [getAddressEncoder().encode(program.address)] })
  await send([
    withSigner(createAccount(payer, program, svm.minimumBalanceForRentExemption(BigInt(PROGRAM_ACCOUNT_SIZE)), PROGRAM_ACCOUNT_SIZE, LOADER), program),
    {
      programAddress: LOADER,
      accounts: [
        { address: payer.address, role: AccountRole.WRITABLE_SIGNER },
        { address: programData, role: AccountRole.WRITABLE },
        { address: program.address, role: AccountRole.WRITABLE },
        { address: buffer.address, role: AccountRole.WRITABLE },
        { address: SYSVAR_RENT, role: AccountRole.READONLY },
        { address: SYSVAR_CLOCK, role: AccountRole.READONLY },
        { address: SYSTEM_PROGRAM, role: AccountRole.READONLY },
        { address: payer.address, role: AccountRole.READONLY_SIGNER },
      ],
      data: bytes(u32(2), u64(BigInt(so.length))), // DeployWithMaxDataLen
    },
  ])
  // A deployed program becomes executable from the next slot on.
  svm.warpToSlot(svm.getClock().slot + 1n)
  return { programId: program.address, send }
}

const HELLO_SO = new Uint8Array(readFileSync(fileURLToPath(new URL("./hello.so", import.meta.url))))

describe("hello deployed through the upgradeable loader", () => {
  it("passes deployment verification and runs", async () => {
    const { programId, send } = await deploy(HELLO_SO)
    const data = hashInstruction(Uint8Array.from({ length: 31 }, (_, i) => i))
    const result = await send([{ programAddress: programId, accounts: [], data }])
    expect(Buffer.from(result.returnData().data())).toEqual(createHash("sha256").update(data).digest())
  })

  it("is refused at deployment when a syscall name is not registered (what the linker prevents)", async () => {
    const patched = HELLO_SO.slice()
    const name = new TextEncoder().encode("sol_sha256\0")
    const at = Buffer.from(patched).indexOf(Buffer.from(name))
    expect(at).toBeGreaterThan(0)
    patched[at + 9] = "7".charCodeAt(0) // sol_sha257
    await expect(deploy(patched)).rejects.toThrow(/Unresolved symbol \(sol_sha257\)/)
  })
})
