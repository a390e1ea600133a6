// Writes the shared object the SBPF v0 loader accepts: ET_DYN, e_flags 0,
// sections in ascending file order with sh_addr == sh_offset, one .text, and
// syscalls left as `call -1` with an R_BPF_64_32 against a .dynsym name.

import {
  DF_TEXTREL,
  DT_FLAGS,
  DT_NULL,
  DT_REL,
  DT_RELENT,
  DT_RELSZ,
  DT_STRSZ,
  DT_STRTAB,
  DT_SYMENT,
  DT_SYMTAB,
  DT_TEXTREL,
  DYN_SIZE,
  EHDR_SIZE,
  ELFCLASS64,
  ELFDATA2LSB,
  ELFOSABI_NONE,
  EM_BPF,
  ET_DYN,
  EV_CURRENT,
  PF_R,
  PF_X,
  PHDR_SIZE,
  PT_DYNAMIC,
  PT_LOAD,
  REL_SIZE,
  R_BPF_64_32,
  SHDR_SIZE,
  SHF_ALLOC,
  SHF_EXECINSTR,
  SHT_DYNAMIC,
  SHT_DYNSYM,
  SHT_PROGBITS,
  SHT_REL,
  SHT_STRTAB,
  STB_GLOBAL,
  STT_NOTYPE,
  SYM_SIZE,
} from "./elf-constants.ts"

export interface SyscallRelocation {
  /** File offset (== vaddr) of the `call -1` instruction. */
  readonly offset: number
  readonly name: string
}

export interface ProgramImage {
  readonly text: Uint8Array
  readonly rodata: Uint8Array
  readonly rodataAlign: number
  /** File offset (== vaddr) of the entry instruction. */
  readonly entry: number
  readonly syscallRelocations: readonly SyscallRelocation[]
}

export interface CodePlacement {
  readonly textOffset: number
  readonly rodataOffset: number
}

const alignUp = (value: number, align: number): number => Math.ceil(value / align) * align

const programHeaderCount = (hasRodata: boolean): number => (hasRodata ? 4 : 3)

/** Where .text and .rodata land; the linker needs this before it can resolve addresses. */
export const placeCode = (textSize: number, rodataSize: number, rodataAlign: number): CodePlacement => {
  const textOffset = alignUp(EHDR_SIZE + PHDR_SIZE * programHeaderCount(rodataSize > 0), 8)
  const rodataOffset = alignUp(textOffset + textSize, Math.max(8, rodataAlign))
  return { textOffset, rodataOffset }
}

const encoder = new TextEncoder()

class StringTable {
  private readonly parts: Uint8Array[] = [new Uint8Array(1)]
  private size = 1
  add(text: string): number {
    const at = this.size
    const bytes = encoder.encode(`${text}\0`)
    this.parts.push(bytes)
    this.size += bytes.length
    return at
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.size)
    let o = 0
    for (const p of this.parts) {
      out.set(p, o)
      o += p.length
    }
    return out
  }
}

interface SectionHeader {
  name: number
  type: number
  flags: number
  offset: number
  size: number
  link: number
  info: number
  align: number
  entsize: number
  addr: number
}

export const writeProgram = (image: ProgramImage): Uint8Array => {
  const hasRodata = image.rodata.length > 0
  const place = placeCode(image.text.length, image.rodata.length, image.rodataAlign)
  const names = [...new Set(image.syscallRelocations.map((r) => r.name))].sort()
  const relocations = [...image.syscallRelocations].sort((a, b) => a.offset - b.offset)
  const hasRel = relocations.length > 0

  const dynstr = new StringTable()
  const symbolIndex = new Map<string, number>()
  const dynsym = new Uint8Array(SYM_SIZE * (names.length + 1))
  const symView = new DataView(dynsym.buffer)
  names.forEach((name, i) => {
    const o = SYM_SIZE * (i + 1)
    symView.setUint32(o, dynstr.add(name), true)
    symView.setUint8(o + 4, (STB_GLOBAL << 4) | STT_NOTYPE)
    symbolIndex.set(name, i + 1)
  })
  const dynstrBytes = dynstr.bytes()

  const relDyn = new Uint8Array(REL_SIZE * relocations.length)
  const relView = new DataView(relDyn.buffer)
  relocations.forEach((r, i) => {
    relView.setBigUint64(i * REL_SIZE, BigInt(r.offset), true)
    relView.setBigUint64(i * REL_SIZE + 8, (BigInt(symbolIndex.get(r.name)!) << 32n) | BigInt(R_BPF_64_32), true)
  })

  const textEnd = place.textOffset + image.text.length
  const codeEnd = hasRodata ? place.rodataOffset + image.rodata.length : textEnd
  const dynamicOffset = alignUp(codeEnd, 8)
  const dynamicCount = (hasRel ? 3 : 0) + 4 + (hasRel ? 2 : 0) + 1
  const dynsymOffset = dynamicOffset + dynamicCount * DYN_SIZE
  const dynstrOffset = dynsymOffset + dynsym.length
  const relOffset = alignUp(dynstrOffset + dynstrBytes.length, 8)
  const loadEnd = hasRel ? relOffset + relDyn.length : dynstrOffset + dynstrBytes.length

  const dynamicEntries: Array<readonly [number, number]> = []
  if (hasRel) dynamicEntries.push([DT_REL, relOffset], [DT_RELSZ, relDyn.length], [DT_RELENT, REL_SIZE])
  dynamicEntries.push([DT_SYMTAB, dynsymOffset], [DT_SYMENT, SYM_SIZE], [DT_STRTAB, dynstrOffset], [DT_STRSZ, dynstrBytes.length])
  // Syscall relocations patch .text, which classic dynamic linking calls text relocation.
  if (hasRel) dynamicEntries.push([DT_TEXTREL, 0], [DT_FLAGS, DF_TEXTREL])
  dynamicEntries.push([DT_NULL, 0])

  const shstrtab = new StringTable()
  const headers: SectionHeader[] = [
    { name: 0, type: 0, flags: 0, offset: 0, size: 0, link: 0, info: 0, align: 0, entsize: 0, addr: 0 },
  ]
  const pushAlloc = (name: string, type: number, flags: number, offset: number, size: number, align: number, entsize = 0): number => {
    headers.push({ name: shstrtab.add(name), type, flags, offset, size, link: 0, info: 0, align, entsize, addr: offset })
    return headers.length - 1
  }
  pushAlloc(".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, place.textOffset, image.text.length, 8)
  if (hasRodata) pushAlloc(".rodata", SHT_PROGBITS, SHF_ALLOC, place.rodataOffset, image.rodata.length, Math.max(8, image.rodataAlign))
  const dynamicIndex = pushAlloc(".dynamic", SHT_DYNAMIC, SHF_ALLOC, dynamicOffset, dynamicCount * DYN_SIZE, 8, DYN_SIZE)
  const dynsymIndex = pushAlloc(".dynsym", SHT_DYNSYM, SHF_ALLOC, dynsymOffset, dynsym.length, 8, SYM_SIZE)
  const dynstrIndex = pushAlloc(".dynstr", SHT_STRTAB, SHF_ALLOC, dynstrOffset, dynstrBytes.length, 1)
  headers[dynamicIndex]!.link = dynstrIndex
  headers[dynsymIndex]!.link = dynstrIndex
  headers[dynsymIndex]!.info = 1
  if (hasRel) {
    const relIndex = pushAlloc(".rel.dyn", SHT_REL, SHF_ALLOC, relOffset, relDyn.length, 8, REL_SIZE)
    headers[relIndex]!.link = dynsymIndex
  }
  const shstrtabIndex = headers.length
  headers.push({ name: shstrtab.add(".shstrtab"), type: SHT_STRTAB, flags: 0, offset: 0, size: 0, link: 0, info: 0, align: 1, entsize: 0, addr: 0 })
  const shstrBytes = shstrtab.bytes()
  const shstrOffset = loadEnd
  headers[shstrtabIndex]!.offset = shstrOffset
  headers[shstrtabIndex]!.size = shstrBytes.length
  const shoff = alignUp(shstrOffset + shstrBytes.length, 8)
  const total = shoff + headers.length * SHDR_SIZE

  const out = new Uint8Array(total)
  const view = new DataView(out.buffer)

  out.set([0x7f, 0x45, 0x4c, 0x46, ELFCLASS64, ELFDATA2LSB, EV_CURRENT, ELFOSABI_NONE], 0)
  view.setUint16(16, ET_DYN, true)
  view.setUint16(18, EM_BPF, true)
  view.setUint32(20, EV_CURRENT, true)
  view.setBigUint64(24, BigInt(image.entry), true)
  view.setBigUint64(32, BigInt(EHDR_SIZE), true)
  view.setBigUint64(40, BigInt(shoff), true)
  view.setUint32(48, 0, true) // e_flags 0 selects SBPF v0
  view.setUint16(52, EHDR_SIZE, true)
  view.setUint16(54, PHDR_SIZE, true)
  const phdrs: Array<readonly [number, number, number, number]> = [[PT_LOAD, PF_R | PF_X, place.textOffset, image.text.length]]
  if (hasRodata) phdrs.push([PT_LOAD, PF_R, place.rodataOffset, image.rodata.length])
  phdrs.push([PT_LOAD, PF_R, dynamicOffset, loadEnd - dynamicOffset])
  phdrs.push([PT_DYNAMIC, PF_R, dynamicOffset, dynamicCount * DYN_SIZE])
  view.setUint16(56, phdrs.length, true)
  view.setUint16(58, SHDR_SIZE, true)
  view.setUint16(60, headers.length, true)
  view.setUint16(62, shstrtabIndex, true)

  phdrs.forEach(([type, flags, offset, size], i) => {
    const o = EHDR_SIZE + i * PHDR_SIZE
    view.setUint32(o, type, true)
    view.setUint32(o + 4, flags, true)
    view.setBigUint64(o + 8, BigInt(offset), true)
    view.setBigUint64(o + 16, BigInt(offset), true)
    view.setBigUint64(o + 24, BigInt(offset), true)
    view.setBigUint64(o + 32, BigInt(size), true)
    view.setBigUint64(o + 40, BigInt(size), true)
    view.setBigUint64(o + 48, 8n, true)
  })

  out.set(image.text, place.textOffset)
  if (hasRodata) out.set(image.rodata, place.rodataOffset)
  dynamicEntries.forEach(([tag, value], i) => {
    view.setBigUint64(dynamicOffset + i * DYN_SIZE, BigInt(tag), true)
    view.setBigUint64(dynamicOffset + i * DYN_SIZE + 8, BigInt(value), true)
  })
  out.set(dynsym, dynsymOffset)
  out.set(dynstrBytes, dynstrOffset)
  out.set(relDyn, relOffset)
  out.set(shstrBytes, shstrOffset)

  headers.forEach((h, i) => {
    const o = shoff + i * SHDR_SIZE
    view.setUint32(o, h.name, true)
    view.setUint32(o + 4, h.type, true)
    view.setBigUint64(o + 8, BigInt(h.flags), true)
    view.setBigUint64(o + 16, BigInt(h.addr), true)
    view.setBigUint64(o + 24, BigInt(h.offset), true)
    view.setBigUint64(o + 32, BigInt(h.size), true)
    view.setUint32(o + 40, h.link, true)
    view.setUint32(o + 44, h.info, true)
    view.setBigUint64(o + 48, BigInt(h.align), true)
    view.setBigUint64(o + 56, BigInt(h.entsize), true)
  })
  return out
}
