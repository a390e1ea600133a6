/**
 * The runtime port on both adapters (LiteSVM, bankrun): outcomes name the failing instruction and its
 * custom code, accounts round-trip, identical transactions are re-signed under a new blockhash — and
 * the known difference: bankrun runs no Ed25519-program checks (nor transaction signature checks), so
 * a forged signature passes there. The lockstep harness turns that into asserted `precompileGaps`
 * (see rounds.test.ts and challenges.test.ts, which run on both runtimes).
 */
import { describe, expect, it } from "vitest"
import { keypairFromSeed, sign } from "../../../spec/src/ed25519.ts"
import { H } from "../../../spec/src/hash.ts"
import { ruleCode } from "../../../spec/src/rules.ts"
import { ed25519Instruction } from "../../client/ed25519-instruction.ts"
import { SYSTEM_PROGRAM_ID } from "../../client/instructions.ts"
import type { Instruction } from "../../client/message.ts"
import { DEV_PROGRAM_ID, PROGRAM_SO } from "../../client/program-id.ts"
import { RUNTIME_KINDS, SYSTEM_OWNER } from "../../client/runtime.ts"
import { createRuntime, SvmHarness } from "../../client/svm.ts"
import { admin, setup } from "./fixture.ts"

const kp = (label: string) => keypairFromSeed(H("dotdns/runtime-test", new TextEncoder().encode(label)))
const alice = kp("alice")
const bob = kp("bob")

const transfer = (from: Uint8Array, to: Uint8Array, amount: bigint): Instruction => {
  const data = new Uint8Array(12)
  const v = new DataView(data.buffer)
  v.setUint32(0, 2, true)
  v.setBigUint64(4, amount, true)
  return { programId: SYSTEM_PROGRAM_ID, keys: [{ pubkey: from, isSigner: true, isWritable: true }, { pubkey: to, isSigner: false, isWritable: true }], data }
}

describe.each(RUNTIME_KINDS)("the %s runtime", (kind) => {
  const harness = () => {
    const h = new SvmHarness({ runtime: kind })
    h.addKey(alice)
    h.fund(alice.publicKey, 10_000_000_000n)
    return h
  }

  it("names the failing instruction and its custom code", () => {
    const h = harness()
    const out = h.sendInstructions([transfer(alice.publicKey, bob.publicKey, 1n), { programId: h.programId, keys: [], data: Uint8Array.of(27) }])
    expect(out.ok).toBe(false)
    if (out.ok) return
    expect(out.instruction).toBe(1)
    expect(out.code).toBe(ruleCode("ACC-10"))
    // the failed transaction moved nothing but the payer's fee
    expect(h.balance(bob.publicKey)).toBe(0n)
    h.close()
  })

  it("writes, reads and credits accounts, and sends an identical transaction twice", () => {
    const h = harness()
    const rt = h.runtime
    const at = kp("somewhere").publicKey
    rt.setAccount(at, { lamports: 5_000_000n, data: Uint8Array.of(1, 2, 3), owner: h.programId, executable: false })
    rt.airdrop(at, 7n)
    expect(rt.getAccount(at)).toEqual({ lamports: 5_000_007n, data: Uint8Array.of(1, 2, 3), owner: h.programId, executable: false })
    expect(rt.getAccount(kp("nowhere").publicKey)).toBeUndefined()
    const ix = transfer(alice.publicKey, bob.publicKey, 1_000_000n)
    expect(h.sendInstructions([ix]).ok).toBe(true)
    expect(h.sendInstructions([ix]).ok).toBe(true)
    expect(h.balance(bob.publicKey)).toBe(2_000_000n)
    expect(rt.rentExemptMinimum(100)).toBe(1_586_880n)
    h.close()
  })

  it(kind === "litesvm" ? "verifies Ed25519-program signatures" : "does NOT verify Ed25519-program signatures: a forged one passes", () => {
    const h = harness()
    const digest = H("dotdns/runtime-test/digest")
    const good = { publicKey: alice.publicKey, message: digest, signature: sign(alice, digest) }
    const forged = { ...good, signature: Uint8Array.from(good.signature, (b, i) => (i === 5 ? b ^ 1 : b)) }
    expect(h.sendInstructions([ed25519Instruction([good])]).ok).toBe(true)
    const out = h.sendInstructions([ed25519Instruction([forged])])
    expect(h.runtime.verifiesPrecompiles).toBe(kind === "litesvm")
    if (kind === "litesvm") expect(out).toMatchObject({ ok: false, instruction: 0 })
    else expect(out.ok).toBe(true)
    h.close()
  })

  it(kind === "litesvm" ? "verifies transaction signatures" : "does NOT verify transaction signatures", () => {
    const h = harness()
    const impostor = { publicKey: alice.publicKey, secretKey: H("not alice's secret") }
    const out = h.sendInstructions([transfer(alice.publicKey, bob.publicKey, 1_000_000n)], (pk) => (Buffer.compare(pk, alice.publicKey) === 0 ? impostor : undefined))
    expect(h.runtime.verifiesSignatures).toBe(kind === "litesvm")
    expect(out.ok).toBe(kind !== "litesvm")
    h.close()
  })

  it("runs the lockstep scenario fixture", () => {
    const l = setup({ runtime: kind })
    expect(l.runtime.kind).toBe(kind)
    expect(l.state.config!.currentEpoch).toBe(2n)
    expect(l.chain.config()?.authority).toEqual(admin.publicKey)
    l.close()
  })
})

describe("bankrun's context pool", () => {
  it("hands a released context over empty, and refuses a runtime whose context was taken over", () => {
    const at = kp("pooled").publicKey
    const first = createRuntime("bankrun", { programId: DEV_PROGRAM_ID, soPath: PROGRAM_SO })
    first.setAccount(at, { lamports: 1_000_000n, data: new Uint8Array(8), owner: SYSTEM_OWNER, executable: false })
    first.setSlot(12_345n)
    first.close()
    const second = createRuntime("bankrun", { programId: DEV_PROGRAM_ID, soPath: PROGRAM_SO })
    expect(second.getAccount(at)).toBeUndefined()
    // the programs the reset may have named are intact: a system transfer still works
    const h = new SvmHarness({ runtime: "bankrun" })
    h.addKey(alice)
    h.fund(alice.publicKey, 10_000_000n)
    expect(h.sendInstructions([transfer(alice.publicKey, bob.publicKey, 1_000_000n)]).ok).toBe(true)
    h.close()
    // six more in use at once: the pool (six per program) takes over the context leased longest ago
    const later = Array.from({ length: 6 }, () => createRuntime("bankrun", { programId: DEV_PROGRAM_ID, soPath: PROGRAM_SO }))
    expect(() => second.getAccount(at)).toThrow(/leased to a newer runtime/)
    for (const r of [second, ...later]) r.close()
  })
})
