// The instruction subset we accept for SBPF v0. It is narrower than what the
// v0 verifier allows: 32-bit ALU ops are valid there but sign-extend their
// results (eBPF zero-extends), so code compiled for them computes wrong values.

export const INSN_SIZE = 8

export type OpKind =
  | "lddw"
  | "load"
  | "store-imm"
  | "store-reg"
  | "alu-imm"
  | "alu-reg"
  | "shift-imm"
  | "divmod-imm"
  | "neg"
  | "endian"
  | "ja"
  | "jump-imm"
  | "jump-reg"
  | "call"
  | "callx"
  | "exit"

export interface OpInfo {
  readonly mnemonic: string
  readonly kind: OpKind
  /** Access width in bytes for loads and stores. */
  readonly width?: number
}

export const OP_LDDW = 0x18
export const OP_CALL = 0x85
export const OP_CALLX = 0x8d
export const OP_EXIT = 0x95
export const OP_MOV64_REG = 0xbf
export const OP_ADD64_IMM = 0x07
export const OP_SUB64_IMM = 0x17
export const REG_FP = 10

const table = new Map<number, OpInfo>()
const add = (opcode: number, info: OpInfo): void => {
  table.set(opcode, info)
}

add(OP_LDDW, { mnemonic: "lddw", kind: "lddw" })
for (const [bits, width, suffix] of [
  [0x10, 1, "b"],
  [0x08, 2, "h"],
  [0x00, 4, "w"],
  [0x18, 8, "dw"],
] as const) {
  add(0x61 | bits, { mnemonic: `ldx${suffix}`, kind: "load", width })
  add(0x62 | bits, { mnemonic: `st${suffix}`, kind: "store-imm", width })
  add(0x63 | bits, { mnemonic: `stx${suffix}`, kind: "store-reg", width })
}

const alu: ReadonlyArray<readonly [number, string]> = [
  [0x00, "add64"],
  [0x10, "sub64"],
  [0x20, "mul64"],
  [0x30, "div64"],
  [0x40, "or64"],
  [0x50, "and64"],
  [0x60, "lsh64"],
  [0x70, "rsh64"],
  [0x90, "mod64"],
  [0xa0, "xor64"],
  [0xb0, "mov64"],
  [0xc0, "arsh64"],
]
for (const [op, mnemonic] of alu) {
  const isShift = op === 0x60 || op === 0x70 || op === 0xc0
  const isDivMod = op === 0x30 || op === 0x90
  add(0x07 | op, { mnemonic, kind: isShift ? "shift-imm" : isDivMod ? "divmod-imm" : "alu-imm" })
  add(0x0f | op, { mnemonic, kind: "alu-reg" })
}
add(0x87, { mnemonic: "neg64", kind: "neg" })
// Byte swaps live in the 32-bit ALU class but are width-explicit, so v0 runs them correctly.
add(0xd4, { mnemonic: "le", kind: "endian" })
add(0xdc, { mnemonic: "be", kind: "endian" })

add(0x05, { mnemonic: "ja", kind: "ja" })
const jumps: ReadonlyArray<readonly [number, string]> = [
  [0x10, "jeq"],
  [0x20, "jgt"],
  [0x30, "jge"],
  [0x40, "jset"],
  [0x50, "jne"],
  [0x60, "jsgt"],
  [0x70, "jsge"],
  [0xa0, "jlt"],
  [0xb0, "jle"],
  [0xc0, "jslt"],
  [0xd0, "jsle"],
]
for (const [op, mnemonic] of jumps) {
  add(0x05 | op, { mnemonic, kind: "jump-imm" })
  add(0x0d | op, { mnemonic, kind: "jump-reg" })
}
add(OP_CALL, { mnemonic: "call", kind: "call" })
add(OP_CALLX, { mnemonic: "callx", kind: "callx" })
add(OP_EXIT, { mnemonic: "exit", kind: "exit" })

export const SBPF_V0_OPCODES: ReadonlyMap<number, OpInfo> = table

const CLASS_ALU32 = 0x04
const CLASS_JMP32 = 0x06

/** Why an opcode outside the accepted set is refused, phrased for someone holding the C source. */
export const rejectionReason = (opcode: number): string => {
  const cls = opcode & 0x07
  if (cls === CLASS_ALU32) {
    return "32-bit ALU instruction: SBPF v0 sign-extends 32-bit results where eBPF zero-extends, so it would compute wrong values; compile with -mcpu=v2 and without -mattr=+alu32"
  }
  if (cls === CLASS_JMP32) {
    return "32-bit conditional jump (JMP32) is not part of SBPF v0; compile with -mcpu=v2"
  }
  if (opcode === 0xd7) return "64-bit bswap is a cpu=v4 encoding not in SBPF v0; compile with -mcpu=v2"
  if ((opcode & 0xe0) === 0xc0 && (cls === 0x03 || cls === 0x02)) {
    return "atomic memory operation is not part of SBPF v0"
  }
  if ((opcode & 0xe0) === 0x80 && cls === 0x01) {
    return "sign-extending load (cpu=v4) is not part of SBPF v0; compile with -mcpu=v2"
  }
  return "unknown or unsupported opcode for SBPF v0"
}

export interface Insn {
  readonly opcode: number
  readonly dst: number
  readonly src: number
  readonly off: number
  readonly imm: number
}

export const decodeInsn = (code: Uint8Array, byteOffset: number): Insn => {
  const view = new DataView(code.buffer, code.byteOffset + byteOffset, INSN_SIZE)
  const regs = view.getUint8(1)
  return {
    opcode: view.getUint8(0),
    dst: regs & 0x0f,
    src: regs >> 4,
    off: view.getInt16(2, true),
    imm: view.getInt32(4, true),
  }
}

export const encodeInsn = (insn: Insn): Uint8Array => {
  const bytes = new Uint8Array(INSN_SIZE)
  const view = new DataView(bytes.buffer)
  view.setUint8(0, insn.opcode)
  view.setUint8(1, (insn.src << 4) | (insn.dst & 0x0f))
  view.setInt16(2, insn.off, true)
  view.setInt32(4, insn.imm, true)
  return bytes
}
