// Static checks over one input code section, run before it is merged so that
// errors can name the object, function and offset the C author knows.

import type { CodeLocation } from "./errors.ts"
import { InvalidInstructionError, StackFrameError } from "./errors.ts"
import {
  INSN_SIZE,
  OP_ADD64_IMM,
  OP_LDDW,
  OP_MOV64_REG,
  OP_SUB64_IMM,
  REG_FP,
  SBPF_V0_OPCODES,
  decodeInsn,
  rejectionReason,
} from "./sbpf-opcodes.ts"

/** SBPF v0 gives every call frame exactly this many bytes below r10. */
export const STACK_FRAME_SIZE = 4096

export type Locate = (sectionOffset: number) => CodeLocation

const jumpTargets = (code: Uint8Array, count: number): Set<number> => {
  const targets = new Set<number>()
  for (let i = 0; i < count; i++) {
    const insn = decodeInsn(code, i * INSN_SIZE)
    const info = SBPF_V0_OPCODES.get(insn.opcode)
    if (info === undefined) continue
    if (info.kind === "ja" || info.kind === "jump-imm" || info.kind === "jump-reg") targets.add(i + 1 + insn.off)
    if (insn.opcode === OP_LDDW) i++
  }
  return targets
}

export const checkCode = (code: Uint8Array, locate: Locate): void => {
  const at = (index: number): CodeLocation => locate(index * INSN_SIZE)
  if (code.length % INSN_SIZE !== 0) {
    throw new InvalidInstructionError(at(Math.floor(code.length / INSN_SIZE)), 0, "code section size is not a multiple of 8 bytes")
  }
  const count = code.length / INSN_SIZE
  const targets = jumpTargets(code, count)
  const lddwSecondSlots = new Set<number>()

  // Offset from r10 of registers known to hold a frame address; undefined when unknown.
  const frame: Array<number | undefined> = new Array<number | undefined>(11).fill(undefined)
  const resetFrame = (): void => {
    frame.fill(undefined)
    frame[REG_FP] = 0
  }
  resetFrame()

  const checkFrameAddress = (index: number, base: number, disp: number, width: number, verb: string): void => {
    const origin = frame[base]
    if (origin === undefined) return
    const start = origin + disp
    if (start < -STACK_FRAME_SIZE || start + width > 0) {
      throw new StackFrameError(
        at(index),
        start,
        `${verb} of ${width} byte(s) at r10${start < 0 ? "" : "+"}${start} is outside the ${STACK_FRAME_SIZE}-byte stack frame ` +
          `(valid: r10-${STACK_FRAME_SIZE} .. r10-${width}); move large locals into an account or split the function`
      )
    }
  }

  for (let i = 0; i < count; i++) {
    if (targets.has(i) && i > 0) resetFrame()
    const insn = decodeInsn(code, i * INSN_SIZE)
    const info = SBPF_V0_OPCODES.get(insn.opcode)
    const reject = (reason: string): never => {
      throw new InvalidInstructionError(at(i), insn.opcode, reason)
    }
    if (info === undefined) reject(rejectionReason(insn.opcode))
    const kind = info!.kind
    const isStore = kind === "store-imm" || kind === "store-reg"

    if (insn.src > REG_FP) reject(`invalid source register r${insn.src}`)
    if (insn.dst > REG_FP || (insn.dst === REG_FP && !isStore)) {
      reject(insn.dst === REG_FP ? "writes the read-only frame pointer r10" : `invalid destination register r${insn.dst}`)
    }

    switch (kind) {
      case "lddw": {
        if (i + 1 >= count) reject("lddw is the last instruction; its second half is missing")
        const next = decodeInsn(code, (i + 1) * INSN_SIZE)
        if (next.opcode !== 0) reject("lddw is not followed by its zero-opcode second half")
        lddwSecondSlots.add(i + 1)
        frame[insn.dst] = undefined
        i++
        continue
      }
      case "alu-imm":
      case "alu-reg":
      case "shift-imm":
      case "divmod-imm":
      case "neg":
        if (insn.off !== 0) {
          reject("non-zero offset on an ALU instruction is a cpu=v4 encoding (signed div/mod or sign-extending move) that SBPF v0 ignores; compile with -mcpu=v2")
        }
        break
      case "endian":
        if (insn.imm !== 16 && insn.imm !== 32 && insn.imm !== 64) reject(`byte swap width ${insn.imm} is not 16, 32 or 64`)
        break
    }
    if (kind === "shift-imm" && (insn.imm < 0 || insn.imm >= 64)) reject(`shift by ${insn.imm} is outside 0..63`)
    if (kind === "divmod-imm" && insn.imm === 0) reject("division by the constant 0")

    if (kind === "ja" || kind === "jump-imm" || kind === "jump-reg") {
      const target = i + 1 + insn.off
      if (target < 0 || target >= count) reject(`jump to instruction ${target} leaves the section (0..${count - 1})`)
    }

    // Frame-address tracking.
    switch (kind) {
      case "load":
        checkFrameAddress(i, insn.src, insn.off, info!.width!, "load")
        frame[insn.dst] = undefined
        break
      case "store-imm":
      case "store-reg":
        checkFrameAddress(i, insn.dst, insn.off, info!.width!, "store")
        break
      case "call":
      case "callx":
        for (let r = 0; r <= 5; r++) frame[r] = undefined
        break
      case "ja":
      case "exit":
        resetFrame()
        break
      case "jump-imm":
      case "jump-reg":
        break
      default:
        if (insn.opcode === OP_MOV64_REG) {
          frame[insn.dst] = frame[insn.src]
        } else if ((insn.opcode === OP_ADD64_IMM || insn.opcode === OP_SUB64_IMM) && frame[insn.dst] !== undefined) {
          const moved = frame[insn.dst]! + (insn.opcode === OP_ADD64_IMM ? insn.imm : -insn.imm)
          frame[insn.dst] = moved
          if (moved < -STACK_FRAME_SIZE || moved > 0) {
            throw new StackFrameError(
              at(i),
              moved,
              `frame address r10${moved < 0 ? "" : "+"}${moved} is outside the ${STACK_FRAME_SIZE}-byte stack frame; ` +
                `this function needs more than ${STACK_FRAME_SIZE} bytes of stack: move large locals into an account or split the function`
            )
          }
        } else {
          frame[insn.dst] = undefined
        }
    }
  }

  for (let i = 0; i < count; i++) {
    const insn = decodeInsn(code, i * INSN_SIZE)
    const kind = SBPF_V0_OPCODES.get(insn.opcode)?.kind
    if (kind === "ja" || kind === "jump-imm" || kind === "jump-reg") {
      if (lddwSecondSlots.has(i + 1 + insn.off)) {
        throw new InvalidInstructionError(at(i), insn.opcode, "jump into the middle of an lddw")
      }
    }
    if (insn.opcode === OP_LDDW) i++
  }
}
