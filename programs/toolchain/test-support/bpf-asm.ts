// Tiny BPF assembler for hand-built test objects.

import { encodeInsn } from "../sbpf-opcodes.ts"

export const insn = (opcode: number, dst = 0, src = 0, off = 0, imm = 0): Uint8Array => encodeInsn({ opcode, dst, src, off, imm })

export const code = (...parts: readonly Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

export const movImm = (dst: number, imm: number): Uint8Array => insn(0xb7, dst, 0, 0, imm)
export const movReg = (dst: number, src: number): Uint8Array => insn(0xbf, dst, src)
export const addImm = (dst: number, imm: number): Uint8Array => insn(0x07, dst, 0, 0, imm)
export const add32Imm = (dst: number, imm: number): Uint8Array => insn(0x04, dst, 0, 0, imm)
export const jeq32Imm = (dst: number, imm: number, off: number): Uint8Array => insn(0x16, dst, 0, off, imm)
export const ja = (off: number): Uint8Array => insn(0x05, 0, 0, off)
export const exit = (): Uint8Array => insn(0x95)
/** `call -1`, to be patched through a relocation (syscall or cross-section function). */
export const callRel = (): Uint8Array => insn(0x85, 0, 1, 0, -1)
export const callLocal = (imm: number): Uint8Array => insn(0x85, 0, 1, 0, imm)
export const callx = (reg: number): Uint8Array => insn(0x8d, reg)
export const lddw = (dst: number, value: bigint): Uint8Array =>
  code(insn(0x18, dst, 0, 0, Number(BigInt.asIntN(32, value & 0xffff_ffffn))), insn(0, 0, 0, 0, Number(BigInt.asIntN(32, value >> 32n))))
export const stxdw = (base: number, off: number, src: number): Uint8Array => insn(0x7b, base, src, off)
export const ldxdw = (dst: number, base: number, off: number): Uint8Array => insn(0x79, dst, base, off)
export const ldxb = (dst: number, base: number, off: number): Uint8Array => insn(0x71, dst, base, off)
