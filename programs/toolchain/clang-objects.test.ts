// The linker against real clang-19 output. Skipped (with a warning) when clang-19 is absent.

import { describe, expect, it } from "vitest"
import { InvalidInstructionError, StackFrameError, UndefinedSymbolError, UnknownSyscallError, WritableDataError } from "./errors.ts"
import { link } from "./link.ts"
import { verifySbfProgram } from "./sbf-verify.ts"
import { clangAvailable, compileSnippet } from "./test-support/clang.ts"
import { runProgram } from "./test-support/run-program.ts"

const MAIN_C = `
#include <dotdns_sdk.h>
uint64_t scale(uint64_t x);
typedef uint64_t (*op_fn)(uint64_t);
static uint64_t twice(uint64_t x) { return 2 * x; }
static uint64_t plus_one(uint64_t x) { return x + 1; }
static const op_fn OPS[] = {twice, plus_one, scale};
static const char *const GREETINGS[] = {"first greeting", "second greeting"};
uint64_t entrypoint(const uint8_t *input) {
  SolAccountInfo accounts[1];
  SolParameters params;
  if (!sol_deserialize(input, &params, accounts, 1) || params.data_len < 3) return ERROR_INVALID_INSTRUCTION_DATA;
  sol_log(GREETINGS[params.data[0] & 1]);
  uint64_t value = OPS[params.data[1] % 3](params.data[2]);
  return ERROR_CUSTOM(value + 1000);
}
`

const SCALE_C = `
#include <dotdns_sdk.h>
static const uint64_t FACTORS[4] = {3, 5, 7, 11};
__attribute__((noinline)) static uint64_t factor(uint64_t i) { return FACTORS[i & 3]; }
uint64_t scale(uint64_t x) {
  sol_log("scaling");
  return x * factor(x);
}
`

describe.skipIf(!clangAvailable)("linker on clang-19 objects", () => {
  it("links two objects with cross-object calls, function-pointer and string tables, and runs them", async () => {
    const inputs = [
      { name: "main.o", bytes: compileSnippet(MAIN_C) },
      { name: "scale.o", bytes: compileSnippet(SCALE_C) },
    ]
    const result = link(inputs)
    expect(verifySbfProgram(result.bytes)).toEqual([])
    expect(result.syscalls).toEqual(["sol_log_"])

    const viaPointer = await runProgram(result.bytes, Uint8Array.of(1, 0, 20))
    expect(viaPointer.logs).toContain("Program log: second greeting")
    expect(viaPointer.customError).toBe(1000 + 40)

    const crossObject = await runProgram(result.bytes, Uint8Array.of(0, 2, 6))
    expect(crossObject.logs).toContain("Program log: first greeting")
    expect(crossObject.logs).toContain("Program log: scaling")
    expect(crossObject.customError).toBe(1000 + 6 * 7)

    expect(link(inputs).bytes).toEqual(result.bytes)
  })

  it("rejects 32-bit ALU code from -mcpu=v3, naming the function", () => {
    const source = `
      unsigned int mix32(unsigned int a, unsigned int b) { return (a * 31u) ^ (b + 7u); }
      unsigned long entrypoint(const unsigned char *in) { return mix32(in[0], in[1]); }`
    const error = (() => {
      try {
        link([{ name: "alu32.o", bytes: compileSnippet(source, { override: ["-mcpu=v3"] }) }])
      } catch (e) {
        return e
      }
      return undefined
    })()
    expect(error).toBeInstanceOf(InvalidInstructionError)
    expect(String(error)).toMatch(/alu32\.o: (mix32|entrypoint)\+0x/)
    expect(String(error)).toMatch(/32-bit|JMP32/)
  })

  it("rejects a frame bigger than 4096 bytes that clang let through", () => {
    const source = `
      extern void sol_log_(const char *, unsigned long);
      unsigned long entrypoint(const unsigned char *in) {
        volatile char buf[6000];
        buf[in[0]] = 1;
        buf[5999] = (char)in[1];
        sol_log_((const char *)buf, 16);
        return (unsigned long)buf[in[2]];
      }`
    const object = compileSnippet(source, { override: ["-bpf-stack-size=8192"] })
    expect(() => link([{ name: "stack.o", bytes: object }])).toThrow(StackFrameError)
    expect(() => link([{ name: "stack.o", bytes: object }])).toThrow(/stack\.o: entrypoint\+0x/)
  })

  it("rejects writable globals, naming them", () => {
    const bss = `unsigned long counter; unsigned long entrypoint(const unsigned char *in) { counter += in[0]; return 0; }`
    expect(() => link([{ name: "bss.o", bytes: compileSnippet(bss) }])).toThrow(WritableDataError)
    expect(() => link([{ name: "bss.o", bytes: compileSnippet(bss) }])).toThrow(/'counter'/)
    const data = `unsigned long table[2] = {1, 2}; unsigned long entrypoint(const unsigned char *in) { table[0] = in[0]; return table[1]; }`
    expect(() => link([{ name: "data.o", bytes: compileSnippet(data) }])).toThrow(/'table' in writable section \.data/)
  })

  it("rejects a misspelled syscall with a suggestion, and an undefined function by name", () => {
    const typo = `extern void sol_log(const char *, unsigned long);
      unsigned long entrypoint(const unsigned char *in) { sol_log("x", 1); return in[0]; }`
    expect(() => link([{ name: "typo.o", bytes: compileSnippet(typo) }])).toThrow(UnknownSyscallError)
    expect(() => link([{ name: "typo.o", bytes: compileSnippet(typo) }])).toThrow(/did you mean 'sol_log_'/)
    const missing = `unsigned long settle(unsigned long);
      unsigned long entrypoint(const unsigned char *in) { return settle(in[0]); }`
    expect(() => link([{ name: "missing.o", bytes: compileSnippet(missing) }])).toThrow(UndefinedSymbolError)
    expect(() => link([{ name: "missing.o", bytes: compileSnippet(missing) }])).toThrow(/undefined symbol 'settle'/)
  })
})
