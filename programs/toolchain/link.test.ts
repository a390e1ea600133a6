import { describe, expect, it } from "vitest"
import { MM_PROGRAM_START, R_BPF_64_32, R_BPF_64_64, R_BPF_64_ABS64, SHT_NOBITS } from "./elf-constants.ts"
import {
  DuplicateSymbolError,
  InvalidInstructionError,
  InvalidObjectError,
  MissingEntrypointError,
  RelocationError,
  StackFrameError,
  UndefinedSymbolError,
  UnknownSyscallError,
  WritableDataError,
} from "./errors.ts"
import { link } from "./link.ts"
import { verifySbfProgram } from "./sbf-verify.ts"
import { add32Imm, addImm, callLocal, callRel, callx, code, exit, insn, ja, jeq32Imm, lddw, ldxdw, movImm, movReg, stxdw } from "./test-support/bpf-asm.ts"
import { DATA, RODATA, TEXT, buildObject } from "./test-support/object-builder.ts"
import type { ObjSpec } from "./test-support/object-builder.ts"
import { runProgram } from "./test-support/run-program.ts"

const obj = (name: string, spec: ObjSpec) => ({ name, bytes: buildObject(spec) })

/** entrypoint: `return <value>` (non-zero return surfaces as a custom error). */
const returning = (value: number, extra: Partial<ObjSpec> = {}) =>
  obj("main.o", {
    sections: [{ name: ".text", flags: TEXT, data: code(movImm(0, value), exit()) }],
    symbols: [{ name: "entrypoint", section: ".text", type: "func", size: 16 }],
    ...extra,
  })

const expectThrow = <E extends Error>(fn: () => unknown, type: new (...args: never[]) => E): E => {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(type)
    return error as E
  }
  throw new Error(`expected ${type.name}`)
}

describe("linker: good objects", () => {
  it("links a minimal program the loader accepts, and it runs", async () => {
    const result = link([returning(0)])
    expect(verifySbfProgram(result.bytes)).toEqual([])
    const run = await runProgram(result.bytes)
    expect(run.ok).toBe(true)
  })

  it("is deterministic: same objects, same bytes", () => {
    const inputs = [returning(7)]
    expect(link(inputs).bytes).toEqual(link(inputs).bytes)
  })

  it("leaves syscalls as `call -1` with a dynamic relocation and runs them", async () => {
    const message = new TextEncoder().encode("linked by dotdns")
    const main = obj("main.o", {
      sections: [
        { name: ".text", flags: TEXT, data: code(lddw(1, 0n), movImm(2, message.length), callRel(), movImm(0, 0), exit()) },
        { name: ".rodata.str1.1", flags: RODATA, data: message, align: 1 },
      ],
      symbols: [
        { name: ".rodata.str1.1", section: ".rodata.str1.1", type: "section", bind: "local" },
        { name: "entrypoint", section: ".text", type: "func", size: 48 },
        { name: "sol_log_" },
      ],
      relocations: [
        { section: ".text", offset: 0, type: R_BPF_64_64, symbol: ".rodata.str1.1" },
        { section: ".text", offset: 24, type: R_BPF_64_32, symbol: "sol_log_" },
      ],
    })
    const result = link([main])
    expect(result.syscalls).toEqual(["sol_log_"])
    expect(verifySbfProgram(result.bytes)).toEqual([])
    const run = await runProgram(result.bytes)
    expect(run.logs).toContain("Program log: linked by dotdns")
  })

  it("resolves calls and data across objects and merges .rodata and .data.rel.ro", async () => {
    // helper.o: helper() loads table[1] (a pointer to `value`) and returns *that.
    const helper = obj("helper.o", {
      sections: [
        { name: ".text.helper", flags: TEXT, data: code(lddw(1, 8n), ldxdw(1, 1, 0), ldxdw(0, 1, 0), exit()) },
        { name: ".rodata.value", flags: RODATA, data: new Uint8Array([42, 0, 0, 0, 0, 0, 0, 0]) },
        { name: ".data.rel.ro", flags: DATA, data: new Uint8Array(16) },
      ],
      symbols: [
        { name: "table", section: ".data.rel.ro", type: "object", size: 16, bind: "local" },
        { name: "value", section: ".rodata.value", type: "object", size: 8 },
        { name: "helper", section: ".text.helper", type: "func", size: 40 },
      ],
      relocations: [
        { section: ".text.helper", offset: 0, type: R_BPF_64_64, symbol: "table" },
        { section: ".data.rel.ro", offset: 0, type: R_BPF_64_ABS64, symbol: "value" },
        { section: ".data.rel.ro", offset: 8, type: R_BPF_64_ABS64, symbol: "value" },
      ],
    })
    const main = obj("main.o", {
      sections: [{ name: ".text", flags: TEXT, data: code(callRel(), exit()) }],
      symbols: [
        { name: "entrypoint", section: ".text", type: "func", size: 16 },
        { name: "helper" },
      ],
      relocations: [{ section: ".text", offset: 0, type: R_BPF_64_32, symbol: "helper" }],
    })
    const result = link([main, helper])
    expect(verifySbfProgram(result.bytes)).toEqual([])
    const run = await runProgram(result.bytes)
    expect(run.customError).toBe(42)
  })

  it("rewrites LLVM's `callx dst` into the imm-register form SBPF v0 executes", async () => {
    // entrypoint: r2 = &target; callx r2; exit   target: r0 = 9; exit
    const main = obj("main.o", {
      sections: [{ name: ".text", flags: TEXT, data: code(lddw(2, 32n), callx(2), exit(), movImm(0, 9), exit()) }],
      symbols: [
        { name: ".text", section: ".text", type: "section", bind: "local" },
        { name: "entrypoint", section: ".text", type: "func", size: 32 },
        { name: "target", section: ".text", value: 32, type: "func", size: 16, bind: "local" },
      ],
      relocations: [{ section: ".text", offset: 0, type: R_BPF_64_64, symbol: ".text" }],
    })
    const result = link([main])
    const run = await runProgram(result.bytes)
    expect(run.customError).toBe(9)
  })

  it("writes 0x100000000 + address for pointers into the program image", () => {
    const main = obj("main.o", {
      sections: [
        { name: ".text", flags: TEXT, data: code(movImm(0, 0), exit()) },
        { name: ".rodata", flags: RODATA, data: new Uint8Array(8) },
      ],
      symbols: [
        { name: "entrypoint", section: ".text", type: "func", size: 16 },
        { name: "self", section: ".rodata", type: "object", size: 8, bind: "local" },
      ],
      relocations: [{ section: ".rodata", offset: 0, type: R_BPF_64_ABS64, symbol: "self" }],
    })
    const bytes = link([main]).bytes
    const view = new DataView(bytes.buffer)
    const shoff = Number(view.getBigUint64(40, true))
    const rodataHeader = shoff + 2 * 64 // section 2 is .rodata
    const offset = Number(view.getBigUint64(rodataHeader + 24, true))
    expect(view.getBigUint64(offset, true)).toBe(MM_PROGRAM_START + BigInt(offset))
  })
})

describe("linker: rejections", () => {
  it("rejects 32-bit ALU instructions, naming function and offset", () => {
    const bad = obj("alu.o", {
      sections: [{ name: ".text", flags: TEXT, data: code(movImm(0, 1), add32Imm(0, 1), exit()) }],
      symbols: [{ name: "entrypoint", section: ".text", type: "func", size: 24 }],
    })
    const error = expectThrow(() => link([bad]), InvalidInstructionError)
    expect(error.message).toContain("alu.o: entrypoint+0x8")
    expect(error.message).toContain("32-bit ALU")
    expect(error.at.func).toBe("entrypoint")
    expect(error.at.funcOffset).toBe(8)
  })

  it("rejects JMP32 instructions", () => {
    const bad = obj("jmp.o", {
      sections: [{ name: ".text", flags: TEXT, data: code(movImm(0, 1), movImm(1, 0), jeq32Imm(1, 0, 0), exit()) }],
      symbols: [{ name: "entrypoint", section: ".text", type: "func", size: 32 }],
    })
    const error = expectThrow(() => link([bad]), InvalidInstructionError)
    expect(error.message).toContain("JMP32")
    expect(error.at.funcOffset).toBe(16)
  })

  it("rejects unknown opcodes (cpu=v4 sign-extending loads, atomics, garbage)", () => {
    for (const opcode of [0x91, 0xdb, 0xff, 0xd7]) {
      const bad = obj("op.o", {
        sections: [{ name: ".text", flags: TEXT, data: code(insn(opcode, 1, 2), movImm(0, 0), exit()) }],
        symbols: [{ name: "entrypoint", section: ".text", type: "func", size: 24 }],
      })
      expect(expectThrow(() => link([bad]), InvalidInstructionError).opcode).toBe(opcode)
    }
  })

  it("rejects cpu=v4 encodings hidden in the offset field (sdiv, movsx)", () => {
    const bad = obj("sdiv.o", {
      sections: [{ name: ".text", flags: TEXT, data: code(movImm(0, 8), insn(0x37, 0, 0, 1, 2), exit()) }],
      symbols: [{ name: "entrypoint", section: ".text", type: "func", size: 24 }],
    })
    expect(expectThrow(() => link([bad]), InvalidInstructionError).message).toContain("cpu=v4")
  })

  it("rejects stack accesses outside the 4096-byte frame, directly and through a copied r10", () => {
    const direct = obj("stack.o", {
      sections: [{ name: ".text", flags: TEXT, data: code(movImm(0, 0), stxdw(10, -4104, 0), exit()) }],
      symbols: [{ name: "entrypoint", section: ".text", type: "func", size: 24 }],
    })
    expect(expectThrow(() => link([direct]), StackFrameError).stackOffset).toBe(-4104)
    const derived = obj("stack2.o", {
      sections: [{ name: ".text", flags: TEXT, data: code(movReg(1, 10), addImm(1, -5000), movImm(0, 0), exit()) }],
      symbols: [{ name: "big_locals", section: ".text", type: "func", size: 32 }],
    })
    const error = expectThrow(() => link([derived]), StackFrameError)
    expect(error.message).toContain("big_locals+0x8")
    const positive = obj("stack3.o", {
      sections: [{ name: ".text", flags: TEXT, data: code(movImm(0, 0), ldxdw(0, 10, 0), exit()) }],
      symbols: [{ name: "entrypoint", section: ".text", type: "func", size: 24 }],
    })
    expectThrow(() => link([positive]), StackFrameError)
  })

  it("accepts the full frame: r10-4096 .. r10-8", () => {
    const edge = obj("edge.o", {
      sections: [{ name: ".text", flags: TEXT, data: code(movImm(0, 0), stxdw(10, -4096, 0), stxdw(10, -8, 0), exit()) }],
      symbols: [{ name: "entrypoint", section: ".text", type: "func", size: 32 }],
    })
    expect(verifySbfProgram(link([edge]).bytes)).toEqual([])
  })

  it("rejects unknown syscalls and suggests the registered name", () => {
    const typo = obj("typo.o", {
      sections: [{ name: ".text", flags: TEXT, data: code(callRel(), movImm(0, 0), exit()) }],
      symbols: [
        { name: "entrypoint", section: ".text", type: "func", size: 24 },
        { name: "sol_log" },
      ],
      relocations: [{ section: ".text", offset: 0, type: R_BPF_64_32, symbol: "sol_log" }],
    })
    const error = expectThrow(() => link([typo]), UnknownSyscallError)
    expect(error.symbol).toBe("sol_log")
    expect(error.suggestion).toBe("sol_log_")
    expect(error.message).toContain("typo.o:entrypoint")
  })

  it("rejects an undefined non-syscall symbol, naming it", () => {
    const missing = obj("main.o", {
      sections: [{ name: ".text", flags: TEXT, data: code(callRel(), exit()) }],
      symbols: [
        { name: "entrypoint", section: ".text", type: "func", size: 16 },
        { name: "compute_fee" },
      ],
      relocations: [{ section: ".text", offset: 0, type: R_BPF_64_32, symbol: "compute_fee" }],
    })
    const error = expectThrow(() => link([missing]), UndefinedSymbolError)
    expect(error.symbol).toBe("compute_fee")
    expect(error.message).toContain("undefined symbol 'compute_fee'")
  })

  it("rejects writable .data, .bss and COMMON symbols, naming the symbol", () => {
    const data = returning(0, {
      sections: [
        { name: ".text", flags: TEXT, data: code(movImm(0, 0), exit()) },
        { name: ".data", flags: DATA, data: new Uint8Array(8) },
      ],
      symbols: [
        { name: "entrypoint", section: ".text", type: "func", size: 16 },
        { name: "counter", section: ".data", type: "object", size: 8 },
      ],
    })
    const error = expectThrow(() => link([data]), WritableDataError)
    expect(error.symbols).toEqual(["counter"])
    expect(error.message).toContain("'counter'")

    const bss = returning(0, {
      sections: [
        { name: ".text", flags: TEXT, data: code(movImm(0, 0), exit()) },
        { name: ".bss", flags: DATA, type: SHT_NOBITS, size: 64 },
      ],
      symbols: [
        { name: "entrypoint", section: ".text", type: "func", size: 16 },
        { name: "scratch", section: ".bss", type: "object", size: 64 },
      ],
    })
    expect(expectThrow(() => link([bss]), WritableDataError).section).toBe(".bss")

    const common = returning(0, {
      symbols: [
        { name: "entrypoint", section: ".text", type: "func", size: 16 },
        { name: "shared", section: "COMMON", type: "object", size: 8 },
      ],
    })
    expect(expectThrow(() => link([common]), WritableDataError).symbols).toEqual(["shared"])
  })

  it("rejects a missing entrypoint and duplicate definitions", () => {
    const noEntry = obj("lib.o", {
      sections: [{ name: ".text", flags: TEXT, data: code(movImm(0, 0), exit()) }],
      symbols: [{ name: "helper", section: ".text", type: "func", size: 16 }],
    })
    expectThrow(() => link([noEntry]), MissingEntrypointError)
    expect(expectThrow(() => link([returning(0), returning(1)]), DuplicateSymbolError).symbol).toBe("entrypoint")
  })

  it("rejects calls with no target and relocations on the wrong instruction", () => {
    const dangling = obj("dangling.o", {
      sections: [{ name: ".text", flags: TEXT, data: code(callRel(), exit()) }],
      symbols: [{ name: "entrypoint", section: ".text", type: "func", size: 16 }],
    })
    expectThrow(() => link([dangling]), RelocationError)
    const outside = obj("outside.o", {
      sections: [{ name: ".text", flags: TEXT, data: code(callLocal(5), exit()) }],
      symbols: [{ name: "entrypoint", section: ".text", type: "func", size: 16 }],
    })
    expectThrow(() => link([outside]), RelocationError)
    const misplaced = obj("misplaced.o", {
      sections: [{ name: ".text", flags: TEXT, data: code(movImm(0, 0), exit()) }],
      symbols: [
        { name: "entrypoint", section: ".text", type: "func", size: 16 },
        { name: "sol_log_" },
      ],
      relocations: [{ section: ".text", offset: 0, type: R_BPF_64_32, symbol: "sol_log_" }],
    })
    expectThrow(() => link([misplaced]), RelocationError)
  })

  it("rejects jumps out of a section", () => {
    const jump = obj("jump.o", {
      sections: [{ name: ".text", flags: TEXT, data: code(ja(4), movImm(0, 0), exit()) }],
      symbols: [{ name: "entrypoint", section: ".text", type: "func", size: 24 }],
    })
    expectThrow(() => link([jump]), InvalidInstructionError)
  })

  it("rejects inputs that are not BPF relocatable objects", () => {
    expectThrow(() => link([{ name: "junk.o", bytes: new Uint8Array(100) }]), InvalidObjectError)
    const x86 = { name: "x86.o", bytes: buildObject({ machine: 62, sections: [{ name: ".text", flags: TEXT, data: code(exit()) }] }) }
    expect(expectThrow(() => link([x86]), InvalidObjectError).message).toContain("EM_BPF")
    const linked = { name: "prog.so", bytes: buildObject({ elfType: 3, sections: [{ name: ".text", flags: TEXT, data: code(exit()) }] }) }
    expect(expectThrow(() => link([linked]), InvalidObjectError).message).toContain("ET_REL")
  })
})
