// Resolves every relocation at link time except syscalls, which stay `call -1`
// for the loader to hash. Internal calls become pc-relative `call imm`, which
// the loader registers as internal functions.

import { MM_PROGRAM_START, R_BPF_64_32, R_BPF_64_64, R_BPF_64_ABS64, R_BPF_NONE } from "./elf-constants.ts"
import type { InputRelocation } from "./elf-reader.ts"
import type { CodeLocation } from "./errors.ts"
import { RelocationError, UndefinedSymbolError, UnknownSyscallError } from "./errors.ts"
import type { SyscallRelocation } from "./elf-writer.ts"
import { locator } from "./locate.ts"
import { INSN_SIZE, OP_CALL, OP_LDDW, decodeInsn } from "./sbpf-opcodes.ts"
import type { PlacedSection, SectionPlan } from "./section-plan.ts"
import type { Resolution, SymbolTable } from "./symbol-table.ts"
import { isKnownSyscall, looksLikeSyscall, suggestSyscall } from "./syscalls.ts"

export interface OutputBuffers {
  readonly text: Uint8Array
  readonly rodata: Uint8Array
  readonly textOffset: number
  readonly rodataOffset: number
}

export interface RelocationOutcome {
  readonly syscalls: readonly SyscallRelocation[]
  /** Instruction indices (into the merged .text) that some `call imm` targets. */
  readonly callTargets: ReadonlySet<number>
}

const formatRef = (at: CodeLocation): string => `${at.object}:${at.func}`

export const applyRelocations = (plan: SectionPlan, symbols: SymbolTable, out: OutputBuffers): RelocationOutcome => {
  const textView = new DataView(out.text.buffer, out.text.byteOffset, out.text.byteLength)
  const rodataView = new DataView(out.rodata.buffer, out.rodata.byteOffset, out.rodata.byteLength)
  const syscalls: SyscallRelocation[] = []
  const callTargets = new Set<number>()
  const undefinedRefs = new Map<string, Set<string>>()

  const addressOf = (r: Extract<Resolution, { kind: "defined" }>): number =>
    (r.placed.region === "text" ? out.textOffset : out.rodataOffset) + r.placed.offset + r.value

  const noteUndefined = (name: string, at: CodeLocation): void => {
    const refs = undefinedRefs.get(name) ?? new Set<string>()
    refs.add(formatRef(at))
    undefinedRefs.set(name, refs)
  }

  const relocateOne = (placed: PlacedSection, rel: InputRelocation): void => {
    const at = locator(placed.object, placed.section)(rel.offset)
    const fail = (detail: string): never => {
      throw new RelocationError(at, detail)
    }
    if (rel.type === R_BPF_NONE) return
    const site = placed.offset + rel.offset
    const target = symbols.resolve(placed.objectIndex, rel.symbol)

    switch (rel.type) {
      case R_BPF_64_64: {
        if (placed.region !== "text") fail("R_BPF_64_64 outside code")
        if (rel.offset + 2 * INSN_SIZE > placed.section.size) fail("R_BPF_64_64 runs past the end of the section")
        if (decodeInsn(out.text, site).opcode !== OP_LDDW) fail("R_BPF_64_64 does not patch an lddw instruction")
        if (target.kind === "undefined") {
          if (isKnownSyscall(target.name)) fail(`takes the address of syscall '${target.name}'; syscalls can only be called directly`)
          noteUndefined(target.name, at)
          return
        }
        const implicit = BigInt(textView.getUint32(site + 4, true)) | (BigInt(textView.getUint32(site + 12, true)) << 32n)
        const value = MM_PROGRAM_START + BigInt(addressOf(target)) + (rel.addend ?? implicit)
        textView.setUint32(site + 4, Number(value & 0xffff_ffffn), true)
        textView.setUint32(site + 12, Number(value >> 32n), true)
        return
      }
      case R_BPF_64_ABS64: {
        if (placed.region !== "rodata") fail("R_BPF_64_ABS64 inside code")
        if (rel.offset + 8 > placed.section.size) fail("R_BPF_64_ABS64 runs past the end of the section")
        if (target.kind === "undefined") {
          if (isKnownSyscall(target.name)) fail(`stores the address of syscall '${target.name}'; syscalls can only be called directly`)
          noteUndefined(target.name, at)
          return
        }
        const implicit = rodataView.getBigUint64(site, true)
        rodataView.setBigUint64(site, MM_PROGRAM_START + BigInt(addressOf(target)) + (rel.addend ?? implicit), true)
        return
      }
      case R_BPF_64_32: {
        if (placed.region !== "text") fail("R_BPF_64_32 outside code")
        const insn = decodeInsn(out.text, site)
        if (insn.opcode !== OP_CALL) fail("R_BPF_64_32 does not patch a call instruction")
        if (target.kind === "undefined") {
          if (isKnownSyscall(target.name)) {
            textView.setInt32(site + 4, -1, true)
            out.text[site + 1] = 0 // src 0 marks a syscall; src 1 an internal call
            syscalls.push({ offset: out.textOffset + site, name: target.name })
          } else {
            noteUndefined(target.name, at)
          }
          return
        }
        if (target.placed.region !== "text") fail(`calls '${target.name}', which is data, not a function`)
        // REL keeps the addend as an instruction displacement: byte target = S + (imm + 1) * 8.
        const addend = rel.addend ?? BigInt((insn.imm + 1) * INSN_SIZE)
        const destination = target.placed.offset + target.value + Number(addend)
        if (destination % INSN_SIZE !== 0 || destination < 0 || destination >= out.text.length) {
          fail(`call target '${target.name}' resolves outside the code`)
        }
        const pc = site / INSN_SIZE
        const targetPc = destination / INSN_SIZE
        textView.setInt32(site + 4, targetPc - (pc + 1), true)
        out.text[site + 1] = 0x10
        callTargets.add(targetPc)
        return
      }
      default:
        fail(`unsupported relocation type ${rel.type} in ${placed.section.name}`)
    }
  }

  for (const placed of [...plan.text, ...plan.rodata]) {
    const relocations = placed.object.relocations.get(placed.section.index) ?? []
    const relocated = new Set<number>()
    for (const rel of relocations) {
      relocateOne(placed, rel)
      relocated.add(rel.offset)
    }
    if (placed.region !== "text") continue
    // Calls the compiler already resolved inside one section carry no relocation.
    const locate = locator(placed.object, placed.section)
    const count = placed.section.size / INSN_SIZE
    for (let i = 0; i < count; i++) {
      const insn = decodeInsn(out.text, placed.offset + i * INSN_SIZE)
      if (insn.opcode === OP_LDDW) {
        i++
        continue
      }
      if (insn.opcode !== OP_CALL || relocated.has(i * INSN_SIZE)) continue
      if (insn.imm === -1) throw new RelocationError(locate(i * INSN_SIZE), "call -1 without a relocation naming its target")
      const local = i + 1 + insn.imm
      if (local < 0 || local >= count) throw new RelocationError(locate(i * INSN_SIZE), `call to instruction ${local} leaves its section`)
      callTargets.add(placed.offset / INSN_SIZE + local)
    }
  }

  const missing = [...undefinedRefs.keys()].sort()
  if (missing.length > 0) {
    const name = missing[0]!
    const refs = [...undefinedRefs.get(name)!].sort()
    if (looksLikeSyscall(name)) throw new UnknownSyscallError(name, refs, suggestSyscall(name))
    const others = missing.length > 1 ? `(also undefined: ${missing.slice(1).join(", ")})` : undefined
    throw new UndefinedSymbolError(name, refs, others)
  }
  syscalls.sort((a, b) => a.offset - b.offset)
  return { syscalls, callTargets }
}
