import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { PublicKey } from "@solana/web3.js"
import { LiteSVM } from "litesvm"
import { address, getTransactionDecoder, lamports } from "@solana/kit"
import { keypairFromSeed, sign } from "../../spec/src/ed25519.ts"
import { H } from "../../spec/src/hash.ts"
import { findPda, seeds } from "./pda.ts"
import { signTransaction, type Instruction } from "./message.ts"
import { ed25519Instruction } from "./ed25519-instruction.ts"
import { fromBase58, toBase58 } from "./base58.ts"
import { DEV_PROGRAM_ID } from "./program-id.ts"
import { SYSTEM_PROGRAM_ID } from "./instructions.ts"

const kp = (label: string) => keypairFromSeed(H("client-test", new TextEncoder().encode(label)))

describe("PDA derivation", () => {
  it("agrees with @solana/web3.js findProgramAddressSync, so every account lands at its PDA [ACC-4]", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 0, maxLength: 32 }), { minLength: 1, maxLength: 4 }), (s) => {
        const [addr, bump] = PublicKey.findProgramAddressSync(s.map((x) => Buffer.from(x)), new PublicKey(DEV_PROGRAM_ID))
        const ours = findPda(s, DEV_PROGRAM_ID)
        expect(toBase58(ours.address)).toBe(addr.toBase58())
        expect(ours.bump).toBe(bump)
      }),
      { numRuns: 200 }
    )
    const cfg = PublicKey.findProgramAddressSync([Buffer.from("config")], new PublicKey(DEV_PROGRAM_ID))[0]
    expect(toBase58(findPda(seeds.config(), DEV_PROGRAM_ID).address)).toBe(cfg.toBase58())
  })
})

const transfer = (from: Uint8Array, to: Uint8Array, amount: bigint): Instruction => {
  const data = new Uint8Array(12)
  const v = new DataView(data.buffer)
  v.setUint32(0, 2, true)
  v.setBigUint64(4, amount, true)
  return { programId: SYSTEM_PROGRAM_ID, keys: [{ pubkey: from, isSigner: true, isWritable: true }, { pubkey: to, isSigner: false, isWritable: true }], data }
}

describe("transactions compiled and signed here", () => {
  const svm = new LiteSVM()
  const payer = kp("payer")
  const alice = kp("alice")
  const bob = kp("bob")
  svm.airdrop(address(toBase58(payer.publicKey)), lamports(10_000_000_000n))
  svm.airdrop(address(toBase58(alice.publicKey)), lamports(10_000_000_000n))
  const send = (ixs: Instruction[]) => {
    const tx = signTransaction(payer, ixs, fromBase58(svm.latestBlockhash()), (pk) => [alice, bob].find((k) => toBase58(k.publicKey) === toBase58(pk)))
    const r = svm.sendTransaction(getTransactionDecoder().decode(tx.wire))
    svm.expireBlockhash()
    return r
  }

  it("moves lamports with a second signer that is not the fee payer", () => {
    const r = send([transfer(alice.publicKey, bob.publicKey, 1_000_000_000n)])
    expect("err" in r).toBe(false)
    expect(svm.getBalance(address(toBase58(bob.publicKey)))).toBe(1_000_000_000n)
    expect(svm.getBalance(address(toBase58(alice.publicKey)))).toBe(10_000_000_000n - 1_000_000_000n)
  })

  it("builds Ed25519-program instructions the runtime verifies, and rejects a forged one", () => {
    const digest = H("dotdns/v1/receipt", Uint8Array.of(1, 2, 3))
    const good = { publicKey: alice.publicKey, message: digest, signature: sign(alice, digest) }
    const other = { publicKey: bob.publicKey, message: H("x"), signature: sign(bob, H("x")) }
    expect("err" in send([ed25519Instruction([good, other])])).toBe(false)
    const forged = { ...good, signature: Uint8Array.from(good.signature, (b, i) => (i === 5 ? b ^ 1 : b)) }
    expect("err" in send([ed25519Instruction([forged])])).toBe(true)
  })
})
