// The C SDK, exercised on-chain through tests/probe/probe.c in LiteSVM.

import {
  AccountRole,
  appendTransactionMessageInstruction,
  createTransactionMessage,
  generateKeyPairSigner,
  getAddressEncoder,
  lamports,
  pipe,
  setTransactionMessageFeePayerSigner,
  signTransactionMessageWithSigners,
} from "@solana/kit"
import type { AccountMeta, Address, KeyPairSigner } from "@solana/kit"
import fc from "fast-check"
import { FailedTransactionMetadata, LiteSVM } from "litesvm"
import { createHash } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { buildProgram } from "../build.ts"
import { clangAvailable } from "../toolchain/test-support/clang.ts"

const PROBE_SRC = fileURLToPath(new URL("./tests/probe", import.meta.url))
const SYSTEM_PROGRAM = "11111111111111111111111111111111" as Address
const U64 = (1n << 64n) - 1n

const u64le = (...values: bigint[]): Uint8Array => {
  const out = new Uint8Array(values.length * 8)
  values.forEach((v, i) => new DataView(out.buffer).setBigUint64(i * 8, v, true))
  return out
}
const readU64 = (bytes: Uint8Array, offset: number): bigint => new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(offset, true)

describe.skipIf(!clangAvailable)("dotdns C SDK (probe program on LiteSVM)", () => {
  const scratch = mkdtempSync(join(tmpdir(), "dotdns-sdk-probe-"))
  let svm: LiteSVM
  let programId: Address
  let payer: KeyPairSigner

  beforeAll(async () => {
    const build = buildProgram({ name: "probe", srcDir: PROBE_SRC, objDir: join(scratch, "obj"), outFile: join(scratch, "probe.so") })
    svm = new LiteSVM().withTransactionHistory(0n)
    programId = (await generateKeyPairSigner()).address
    svm.addProgram(programId, build.link.bytes)
    payer = await generateKeyPairSigner()
    svm.airdrop(payer.address, lamports(100_000_000_000n))
  })
  afterAll(() => rmSync(scratch, { recursive: true, force: true }))

  const call = async (data: Uint8Array, accounts: AccountMeta[] = []) => {
    const tx = await pipe(
      createTransactionMessage({ version: 0 }),
      (m) => setTransactionMessageFeePayerSigner(payer, m),
      (m) => svm.setTransactionMessageLifetimeUsingLatestBlockhash(m),
      (m) => appendTransactionMessageInstruction({ programAddress: programId, accounts, data }, m),
      (m) => signTransactionMessageWithSigners(m)
    )
    const result = svm.sendTransaction(tx)
    if (result instanceof FailedTransactionMetadata) throw new Error(`${result.toString()}\n${result.meta().logs().join("\n")}`)
    return result
  }

  const mulDiv = async (a: bigint, b: bigint, c: bigint) => {
    const out = (await call(Uint8Array.of(0, ...u64le(a, b, c)))).returnData().data()
    return { floorOk: out[0] === 1, ceilOk: out[1] === 1, floor: readU64(out, 2), ceil: readU64(out, 10), hi: readU64(out, 18), lo: readU64(out, 26) }
  }

  const expectMulDiv = async (a: bigint, b: bigint, c: bigint) => {
    const got = await mulDiv(a, b, c)
    const product = a * b
    expect(got.hi).toBe(product >> 64n)
    expect(got.lo).toBe(product & U64)
    const floor = c === 0n ? undefined : product / c
    const ceil = c === 0n ? undefined : (product + c - 1n) / c
    expect(got.floorOk).toBe(floor !== undefined && floor <= U64)
    if (got.floorOk) expect(got.floor).toBe(floor)
    expect(got.ceilOk).toBe(ceil !== undefined && ceil <= U64)
    if (got.ceilOk) expect(got.ceil).toBe(ceil)
  }

  it("mul_u64_wide / mul_div_u64 are exact on edge cases", async () => {
    const edges: Array<[bigint, bigint, bigint]> = [
      [0n, 0n, 1n],
      [U64, U64, U64],
      [U64, U64, 1n],
      [U64, 2n, 3n],
      [U64, U64, U64 - 1n],
      [1n << 63n, 1n << 63n, (1n << 63n) + 1n],
      [123456789n, 987654321n, 0n],
      [(1n << 64n) - 59n, (1n << 64n) - 83n, (1n << 64n) - 95n],
      [0xffff_ffffn, 0xffff_ffffn, 0x1_0000_0001n],
      [10n ** 18n, 3n, 7n],
      [1n << 32n, 1n << 32n, 1n << 32n],
      [0x8000_0000_0000_0001n, 0xffff_ffff_0000_0000n, 0x8000_0000_ffff_ffffn],
    ]
    for (const [a, b, c] of edges) await expectMulDiv(a, b, c)
  })

  it("mul_div_u64 matches BigInt floor/ceil for random operands", async () => {
    const u64 = fc.oneof(fc.bigInt({ min: 0n, max: U64 }), fc.bigInt({ min: 0n, max: 1n << 33n }), fc.constantFrom(0n, 1n, U64, 1n << 63n, 1n << 32n))
    await fc.assert(fc.asyncProperty(u64, u64, u64, expectMulDiv), { numRuns: 300 })
  })

  it("memcpy, memmove (overlapping), memset and memcmp resolve at link time and behave like libc", async () => {
    for (const payload of [new Uint8Array(0), Uint8Array.of(1), Uint8Array.from({ length: 62 }, (_, i) => (i * 37) & 0xff)]) {
      const out = (await call(Uint8Array.of(1, ...payload))).returnData().data()
      const n = payload.length
      const model = new Uint8Array(64).fill(0xab)
      model.set(payload, 0)
      model.copyWithin(1, 0, n)
      expect(Array.from(out.subarray(0, n + 1))).toEqual(Array.from(model.subarray(0, n + 1)))
      expect(out[n + 1]).toBe(0) // buf+1 now equals the payload
      expect(out[n + 2]).toBe(0)
    }
  })

  it("reads the Clock sysvar", async () => {
    const clock = svm.getClock()
    clock.slot = 4242n
    clock.unixTimestamp = 1_700_000_123n
    clock.epoch = 7n
    svm.setClock(clock)
    const out = (await call(Uint8Array.of(2))).returnData().data()
    expect(out.length).toBe(40)
    expect(readU64(out, 0)).toBe(4242n)
    expect(readU64(out, 16)).toBe(7n)
    expect(readU64(out, 32)).toBe(1_700_000_123n)
  })

  it("computes the rent-exempt minimum like the runtime, for the current and the old threshold", async () => {
    const current = svm.getRent()
    for (const threshold of [current.exemptionThreshold, 2, 0.5]) {
      const rent = svm.getRent()
      rent.exemptionThreshold = threshold
      svm.setRent(rent)
      for (const space of [0n, 64n, 10_000n]) {
        const out = (await call(Uint8Array.of(6, ...u64le(space)))).returnData().data()
        expect(readU64(out, 0)).toBe(svm.minimumBalanceForRentExemption(space))
      }
    }
    svm.setRent(current)
  })

  it("deserializes accounts, resolving duplicates and honouring capacity", async () => {
    const other = (await generateKeyPairSigner()).address
    svm.airdrop(other, lamports(5_000_000n))
    const third = (await generateKeyPairSigner()).address
    const accounts: AccountMeta[] = [
      { address: payer.address, role: AccountRole.WRITABLE_SIGNER },
      { address: other, role: AccountRole.WRITABLE },
      { address: payer.address, role: AccountRole.WRITABLE_SIGNER },
      { address: third, role: AccountRole.READONLY },
    ]
    const out = (await call(Uint8Array.of(3), accounts)).returnData().data()
    expect(out[0]).toBe(3) // capacity of the probe
    expect(out[1]).toBe(4)
    const entry = (i: number) => out.subarray(2 + i * 51, 2 + (i + 1) * 51)
    const key = (i: number) => Buffer.from(entry(i).subarray(0, 32))
    const enc = getAddressEncoder()
    expect(key(0)).toEqual(Buffer.from(enc.encode(payer.address)))
    expect(key(1)).toEqual(Buffer.from(enc.encode(other)))
    expect(key(2)).toEqual(key(0))
    expect(Array.from(entry(0).subarray(32, 35))).toEqual([1, 1, 0])
    expect(Array.from(entry(1).subarray(32, 35))).toEqual([0, 1, 0])
    expect(entry(2)).toEqual(entry(0))
    expect(readU64(entry(1), 43)).toBe(5_000_000n)
  })

  it("transfers lamports through a system-program CPI", async () => {
    const recipient = (await generateKeyPairSigner()).address
    await call(Uint8Array.of(4, ...u64le(1_234_567n)), [
      { address: payer.address, role: AccountRole.WRITABLE_SIGNER },
      { address: recipient, role: AccountRole.WRITABLE },
      { address: SYSTEM_PROGRAM, role: AccountRole.READONLY },
    ])
    expect(svm.getBalance(recipient)).toBe(1_234_567n)
  })

  it("hashes several slices in one sha256 syscall", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 2, maxLength: 300 }), async (payload) => {
        const out = (await call(Uint8Array.of(5, ...payload))).returnData().data()
        expect(Buffer.from(out)).toEqual(createHash("sha256").update(payload).digest())
      }),
      { numRuns: 40 }
    )
  })
})
