// Structural checks a finished .so must pass to load as an SBPF v0 program,
// written from the loader's rules (anza-xyz/sbpf elf.rs / elf_parser) so tests
// can assert our output without a runtime. Returns the list of violations.

import {
  DT_NULL,
  DT_REL,
  DT_RELENT,
  DT_RELSZ,
  DT_SYMTAB,
  DYN_SIZE,
  EHDR_SIZE,
  ELFCLASS64,
  ELFDATA2LSB,
  EM_BPF,
  ET_DYN,
  PHDR_SIZE,
  REL_SIZE,
  R_BPF_64_32,
  SHDR_SIZE,
  SHF_ALLOC,
  SHF_WRITE,
  SHT_DYNAMIC,
  SHT_NOBITS,
  SHT_NULL,
  SYM_SIZE,
} from "./elf-constants.ts"
import { INSN_SIZE, OP_CALL, OP_LDDW, decodeInsn } from "./sbpf-opcodes.ts"
import { isKnownSyscall } from "./syscalls.ts"

interface Shdr {
  name: string
  type: number
  flags: bigint
  addr: bigint
  offset: number
  size: number
}

const SECTION_NAME_MAX = 16

export const verifySbfProgram = (bytes: Uint8Array): string[] => {
  const problems: string[] = []
  if (bytes.length < EHDR_SIZE) return ["shorter than an ELF header"]
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const u16 = (o: number): number => view.getUint16(o, true)
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) problems.push("bad magic")
  if (bytes[4] !== ELFCLASS64 || bytes[5] !== ELFDATA2LSB || bytes[6] !== 1 || bytes[7] !== 0) problems.push("bad e_ident")
  if (u16(16) !== ET_DYN) problems.push("e_type is not ET_DYN")
  if (u16(18) !== EM_BPF) problems.push("e_machine is not EM_BPF")
  if (view.getUint32(48, true) !== 0) problems.push("e_flags is not 0 (SBPF v0)")
  if (u16(52) !== EHDR_SIZE || u16(54) !== PHDR_SIZE || u16(58) !== SHDR_SIZE) problems.push("bad header entry sizes")
  const entry = Number(view.getBigUint64(24, true))
  const phoff = Number(view.getBigUint64(32, true))
  const shoff = Number(view.getBigUint64(40, true))
  const phnum = u16(56)
  const shnum = u16(60)
  const shstrndx = u16(62)
  if (shstrndx >= shnum) return [...problems, "e_shstrndx out of range"]
  if (shoff + shnum * SHDR_SIZE > bytes.length) return [...problems, "section headers past end of file"]
  const headerRanges: Array<readonly [number, number]> = [
    [0, EHDR_SIZE],
    [phoff, phoff + phnum * PHDR_SIZE],
    [shoff, shoff + shnum * SHDR_SIZE],
  ]

  const raw = Array.from({ length: shnum }, (_, i) => {
    const o = shoff + i * SHDR_SIZE
    return {
      nameOffset: view.getUint32(o, true),
      type: view.getUint32(o + 4, true),
      flags: view.getBigUint64(o + 8, true),
      addr: view.getBigUint64(o + 16, true),
      offset: Number(view.getBigUint64(o + 24, true)),
      size: Number(view.getBigUint64(o + 32, true)),
    }
  })
  const strtab = raw[shstrndx]!
  const nameAt = (offset: number): string => {
    const start = strtab.offset + offset
    let end = start
    while (end < strtab.offset + strtab.size && bytes[end] !== 0) end++
    return new TextDecoder().decode(bytes.subarray(start, end))
  }
  const sections: Shdr[] = raw.map((r) => ({ ...r, name: nameAt(r.nameOffset) }))
  if (sections[0]?.type !== SHT_NULL) problems.push("section 0 is not SHT_NULL")

  let cursor = 0
  for (const s of sections) {
    if (s.name.length >= SECTION_NAME_MAX) problems.push(`section name ${s.name} is ${SECTION_NAME_MAX} bytes or longer`)
    if (s.type === SHT_NOBITS) {
      problems.push(`NOBITS section ${s.name}`)
      continue
    }
    if (s.offset < cursor) problems.push(`section ${s.name} is out of ascending file order`)
    cursor = Math.max(cursor, s.offset + s.size)
    if (s.offset + s.size > bytes.length) problems.push(`section ${s.name} runs past the end of the file`)
    if (s.size > 0) {
      for (const [a, b] of headerRanges) if (s.offset < b && a < s.offset + s.size) problems.push(`section ${s.name} overlaps a header table`)
    }
    if ((s.flags & BigInt(SHF_ALLOC)) !== 0n && s.addr !== BigInt(s.offset)) problems.push(`section ${s.name}: sh_addr != sh_offset`)
    if (s.name.startsWith(".bss") || ((s.flags & BigInt(SHF_WRITE)) !== 0n && s.name.startsWith(".data") && !s.name.startsWith(".data.rel"))) {
      problems.push(`writable section ${s.name}`)
    }
  }

  const texts = sections.filter((s) => s.name === ".text")
  if (texts.length !== 1) return [...problems, `${texts.length} .text sections (need exactly one)`]
  const text = texts[0]!
  if (entry < text.offset || entry >= text.offset + text.size || (entry - text.offset) % INSN_SIZE !== 0) problems.push("e_entry is not an instruction in .text")
  const code = bytes.subarray(text.offset, text.offset + text.size)
  const count = code.length / INSN_SIZE
  if (!Number.isInteger(count)) problems.push(".text size is not a multiple of 8")
  for (let i = 0; i < Math.floor(count); i++) {
    const insn = decodeInsn(code, i * INSN_SIZE)
    if (insn.opcode === OP_LDDW) {
      i++
      continue
    }
    if (insn.opcode === OP_CALL && insn.imm !== -1) {
      const target = i + 1 + insn.imm
      if (target < 0 || target >= count) problems.push(`call at instruction ${i} jumps outside .text`)
    }
  }

  const dynamic = sections.find((s) => s.type === SHT_DYNAMIC)
  if (dynamic === undefined) return problems
  if (dynamic.offset % 8 !== 0) problems.push(".dynamic is not 8-aligned")
  const tags = new Map<number, number>()
  for (let o = dynamic.offset; o + DYN_SIZE <= dynamic.offset + dynamic.size; o += DYN_SIZE) {
    const tag = Number(view.getBigUint64(o, true))
    if (tag === DT_NULL) break
    tags.set(tag, Number(view.getBigUint64(o + 8, true)))
  }
  const symtabAddr = tags.get(DT_SYMTAB)
  const dynsym = sections.find((s) => symtabAddr !== undefined && s.addr === BigInt(symtabAddr))
  if (symtabAddr !== undefined && dynsym === undefined) problems.push("DT_SYMTAB names no section")
  if (dynsym !== undefined && dynsym.offset % 8 !== 0) problems.push(".dynsym is not 8-aligned")
  const dynstr = sections.find((s) => s.name === ".dynstr")
  const relAddr = tags.get(DT_REL)
  if (relAddr === undefined) return problems
  const relSize = tags.get(DT_RELSZ) ?? 0
  if (tags.get(DT_RELENT) !== REL_SIZE) problems.push("DT_RELENT is not 16")
  if (relSize === 0) problems.push("DT_RELSZ is 0")
  if (relAddr % 8 !== 0) problems.push("DT_REL is not 8-aligned")
  if (dynsym === undefined || dynstr === undefined) return [...problems, "relocations without .dynsym/.dynstr"]
  for (let o = relAddr; o + REL_SIZE <= relAddr + relSize; o += REL_SIZE) {
    const offset = Number(view.getBigUint64(o, true))
    const info = view.getBigUint64(o + 8, true)
    const type = Number(info & 0xffff_ffffn)
    const symbol = Number(info >> 32n)
    if (type !== R_BPF_64_32) {
      problems.push(`relocation type ${type} at 0x${offset.toString(16)}`)
      continue
    }
    const nameOffset = view.getUint32(dynsym.offset + symbol * SYM_SIZE, true)
    let end = dynstr.offset + nameOffset
    while (end < dynstr.offset + dynstr.size && bytes[end] !== 0) end++
    const name = new TextDecoder().decode(bytes.subarray(dynstr.offset + nameOffset, end))
    if (!isKnownSyscall(name)) problems.push(`relocation against unknown syscall '${name}'`)
    if (offset < text.offset || offset >= text.offset + text.size) {
      problems.push(`syscall relocation at 0x${offset.toString(16)} outside .text`)
      continue
    }
    const insn = decodeInsn(bytes, offset)
    if (insn.opcode !== OP_CALL || insn.imm !== -1) problems.push(`syscall relocation at 0x${offset.toString(16)} is not on a 'call -1'`)
  }
  return problems
}
