// The SBF linker: relocatable BPF objects in, SBPF v0 shared object out.

import { applyRelocations } from "./apply-relocations.ts"
import { readRelocatableObject } from "./elf-reader.ts"
import type { RelocatableObject } from "./elf-reader.ts"
import { placeCode, writeProgram } from "./elf-writer.ts"
import { InvalidInstructionError, MissingEntrypointError, SymbolHashCollisionError } from "./errors.ts"
import { checkCode } from "./instruction-check.ts"
import { locator } from "./locate.ts"
import { hashCallTarget, hashSymbolName } from "./murmur3.ts"
import { INSN_SIZE, OP_CALLX, OP_LDDW, decodeInsn } from "./sbpf-opcodes.ts"
import { planSections } from "./section-plan.ts"
import type { SectionPlan } from "./section-plan.ts"
import { buildSymbolTable } from "./symbol-table.ts"
import { syscallHashes } from "./syscalls.ts"

export interface LinkInput {
  /** Shown in error messages; usually the object's file name. */
  readonly name: string
  readonly bytes: Uint8Array
}

export interface LinkOptions {
  /** Symbol the loader starts at; defaults to "entrypoint". */
  readonly entrypoint?: string
}

export interface LinkResult {
  readonly bytes: Uint8Array
  readonly textSize: number
  readonly rodataSize: number
  /** Distinct syscalls the program calls, sorted. */
  readonly syscalls: readonly string[]
}

// LLVM encodes `callx` with the register in dst; SBPF v0 reads it from imm.
const normalizeCallx = (plan: SectionPlan, text: Uint8Array): void => {
  const view = new DataView(text.buffer, text.byteOffset, text.byteLength)
  for (const placed of plan.text) {
    const locate = locator(placed.object, placed.section)
    for (let o = 0; o < placed.section.size; o += INSN_SIZE) {
      const site = placed.offset + o
      const insn = decodeInsn(text, site)
      if (insn.opcode === OP_LDDW) {
        o += INSN_SIZE
        continue
      }
      if (insn.opcode !== OP_CALLX) continue
      const register = insn.imm === 0 ? insn.dst : insn.imm
      if ((insn.imm !== 0 && insn.dst !== 0 && insn.imm !== insn.dst) || register < 0 || register > 9) {
        throw new InvalidInstructionError(locate(o), OP_CALLX, `callx names no valid register (dst r${insn.dst}, imm ${insn.imm})`)
      }
      view.setInt32(site + 4, register, true)
    }
  }
}

// The loader keys internal functions by murmur3(pc) in the same table as the
// syscalls and "entrypoint"; a clash makes it reject the file at load time.
const checkCallKeys = (callTargets: ReadonlySet<number>, entryPc: number): void => {
  const syscalls = syscallHashes()
  const entryKey = hashSymbolName("entrypoint")
  const seen = new Map<number, number>()
  for (const pc of [...callTargets].sort((a, b) => a - b)) {
    const key = hashCallTarget(pc)
    const syscall = syscalls.get(key)
    if (syscall !== undefined) throw new SymbolHashCollisionError(key, `function at instruction ${pc} and syscall '${syscall}'`)
    if (key === entryKey && pc !== entryPc) throw new SymbolHashCollisionError(key, `function at instruction ${pc} and the entrypoint`)
    const other = seen.get(key)
    if (other !== undefined) throw new SymbolHashCollisionError(key, `functions at instructions ${other} and ${pc}`)
    seen.set(key, pc)
  }
}

export const linkObjects = (objects: readonly RelocatableObject[], options: LinkOptions = {}): LinkResult => {
  const entryName = options.entrypoint ?? "entrypoint"
  const plan = planSections(objects)
  for (const placed of plan.text) checkCode(placed.section.data, locator(placed.object, placed.section))

  const symbols = buildSymbolTable(objects, plan)
  const entry = symbols.lookupGlobal(entryName)
  if (entry.kind === "undefined") throw new MissingEntrypointError(entryName, "is not defined by any object (or is static)")
  if (entry.placed.region !== "text") throw new MissingEntrypointError(entryName, "is data, not a function")

  const { textOffset, rodataOffset } = placeCode(plan.textSize, plan.rodataSize, plan.rodataAlign)
  const text = new Uint8Array(plan.textSize)
  for (const placed of plan.text) text.set(placed.section.data, placed.offset)
  const rodata = new Uint8Array(plan.rodataSize)
  for (const placed of plan.rodata) rodata.set(placed.section.data, placed.offset)

  const outcome = applyRelocations(plan, symbols, { text, rodata, textOffset, rodataOffset })
  normalizeCallx(plan, text)

  const entryOffset = entry.placed.offset + entry.value
  if (entryOffset % INSN_SIZE !== 0 || entryOffset >= text.length) {
    throw new MissingEntrypointError(entryName, "does not start on an instruction inside .text")
  }
  checkCallKeys(outcome.callTargets, entryOffset / INSN_SIZE)

  const bytes = writeProgram({
    text,
    rodata,
    rodataAlign: plan.rodataAlign,
    entry: textOffset + entryOffset,
    syscallRelocations: outcome.syscalls,
  })
  return {
    bytes,
    textSize: text.length,
    rodataSize: rodata.length,
    syscalls: [...new Set(outcome.syscalls.map((s) => s.name))].sort(),
  }
}

/** Links relocatable objects (in the order given) into a loadable SBPF v0 program. */
export const link = (inputs: readonly LinkInput[], options: LinkOptions = {}): LinkResult =>
  linkObjects(
    inputs.map((input) => readRelocatableObject(input.name, input.bytes)),
    options
  )
