import { describe, expect, it } from "vitest"
import { hashSymbolName, murmur3_32 } from "./murmur3.ts"
import { SYSCALLS, syscallHashes } from "./syscalls.ts"

describe("murmur3_32", () => {
  it("matches the reference vectors", () => {
    const enc = (s: string) => new TextEncoder().encode(s)
    expect(murmur3_32(enc(""))).toBe(0)
    expect(murmur3_32(enc("hello"))).toBe(0x248bfa47)
    expect(murmur3_32(enc("Hello, world!"))).toBe(0xc0363e43)
    expect(murmur3_32(enc("The quick brown fox jumps over the lazy dog"))).toBe(0x2e4ff723)
  })

  it("gives the syscall keys the Solana C SDK hard-codes for static syscalls", () => {
    expect(hashSymbolName("sol_log_")).toBe(544561597)
    expect(hashSymbolName("sol_log_64_")).toBe(1546269048)
    expect(hashSymbolName("sol_log_pubkey")).toBe(2129692874)
    expect(hashSymbolName("sol_log_compute_units_")).toBe(1387942038)
    expect(hashSymbolName("sol_log_data")).toBe(1930933300)
    expect(hashSymbolName("sol_create_program_address")).toBe(2474062396)
    expect(hashSymbolName("sol_try_find_program_address")).toBe(1213221432)
    expect(hashSymbolName("entrypoint")).toBe(0x71e3cf81)
  })

  it("gives every registered syscall a distinct key", () => {
    expect(syscallHashes().size).toBe(SYSCALLS.length)
  })
})
