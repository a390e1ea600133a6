// Reads the relocatable ELF64 objects clang-19 emits for `-target bpf`.

import {
  EHDR_SIZE,
  ELFCLASS64,
  ELFDATA2LSB,
  ELF_MAGIC,
  EM_BPF,
  ET_REL,
  REL_SIZE,
  RELA_SIZE,
  SHDR_SIZE,
  SHT_NOBITS,
  SHT_REL,
  SHT_RELA,
  SHT_STRTAB,
  SHT_SYMTAB,
  SYM_SIZE,
} from "./elf-constants.ts"
import { InvalidObjectError } from "./errors.ts"

export interface InputSection {
  readonly index: number
  readonly name: string
  readonly type: number
  readonly flags: number
  readonly align: number
  readonly size: number
  readonly link: number
  readonly info: number
  /** Empty for SHT_NOBITS. */
  readonly data: Uint8Array
}

export interface InputSymbol {
  readonly index: number
  readonly name: string
  readonly value: number
  readonly size: number
  readonly bind: number
  readonly type: number
  readonly shndx: number
}

export interface InputRelocation {
  readonly offset: number
  readonly type: number
  readonly symbol: number
  /** Explicit addend (RELA); undefined means the addend is implicit in the patched bytes (REL). */
  readonly addend: bigint | undefined
}

export interface RelocatableObject {
  readonly name: string
  readonly sections: readonly InputSection[]
  readonly symbols: readonly InputSymbol[]
  /** Relocations keyed by the index of the section they patch. */
  readonly relocations: ReadonlyMap<number, readonly InputRelocation[]>
}

const decoder = new TextDecoder("utf-8", { fatal: false })

const cString = (bytes: Uint8Array, offset: number): string => {
  let end = offset
  while (end < bytes.length && bytes[end] !== 0) end++
  return decoder.decode(bytes.subarray(offset, end))
}

const toNumber = (value: bigint, what: string, objectName: string): number => {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new InvalidObjectError(objectName, `${what} is too large`)
  return Number(value)
}

export const readRelocatableObject = (name: string, bytes: Uint8Array): RelocatableObject => {
  const fail = (detail: string): never => {
    throw new InvalidObjectError(name, detail)
  }
  if (bytes.length < EHDR_SIZE) fail("file is shorter than an ELF header")
  if (!ELF_MAGIC.every((b, i) => bytes[i] === b)) fail("missing ELF magic")
  if (bytes[4] !== ELFCLASS64) fail("not ELF64")
  if (bytes[5] !== ELFDATA2LSB) fail("not little-endian (compile with -target bpf, not bpfeb)")
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const type = view.getUint16(16, true)
  if (type !== ET_REL) fail(`e_type ${type} is not ET_REL (pass objects from 'clang -c', not linked files)`)
  const machine = view.getUint16(18, true)
  if (machine !== EM_BPF) fail(`e_machine ${machine} is not EM_BPF (247)`)

  const shoff = toNumber(view.getBigUint64(40, true), "e_shoff", name)
  const shentsize = view.getUint16(58, true)
  const shnum = view.getUint16(60, true)
  const shstrndx = view.getUint16(62, true)
  if (shentsize !== SHDR_SIZE) fail(`e_shentsize ${shentsize} is not ${SHDR_SIZE}`)
  if (shoff + shnum * SHDR_SIZE > bytes.length) fail("section header table runs past the end of the file")
  if (shstrndx >= shnum) fail("e_shstrndx is out of range")

  interface RawHeader {
    nameOffset: number
    type: number
    flags: number
    offset: number
    size: number
    link: number
    info: number
    align: number
    entsize: number
  }
  const raw: RawHeader[] = []
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * SHDR_SIZE
    const header: RawHeader = {
      nameOffset: view.getUint32(o, true),
      type: view.getUint32(o + 4, true),
      flags: toNumber(view.getBigUint64(o + 8, true), "sh_flags", name),
      offset: toNumber(view.getBigUint64(o + 24, true), "sh_offset", name),
      size: toNumber(view.getBigUint64(o + 32, true), "sh_size", name),
      link: view.getUint32(o + 40, true),
      info: view.getUint32(o + 44, true),
      align: toNumber(view.getBigUint64(o + 48, true), "sh_addralign", name),
      entsize: toNumber(view.getBigUint64(o + 56, true), "sh_entsize", name),
    }
    if (header.type !== SHT_NOBITS && header.offset + header.size > bytes.length) {
      fail(`section #${i} runs past the end of the file`)
    }
    raw.push(header)
  }
  const shstr = raw[shstrndx]!
  if (shstr.type !== SHT_STRTAB) fail("e_shstrndx does not name a string table")
  const shstrBytes = bytes.subarray(shstr.offset, shstr.offset + shstr.size)

  const sections: InputSection[] = raw.map((h, index) => ({
    index,
    name: cString(shstrBytes, h.nameOffset),
    type: h.type,
    flags: h.flags,
    align: Math.max(1, h.align),
    size: h.size,
    link: h.link,
    info: h.info,
    data: h.type === SHT_NOBITS ? new Uint8Array(0) : bytes.subarray(h.offset, h.offset + h.size),
  }))

  const symtabIndex = raw.findIndex((h) => h.type === SHT_SYMTAB)
  const symbols: InputSymbol[] = []
  if (symtabIndex >= 0) {
    const symtab = raw[symtabIndex]!
    if (symtab.entsize !== SYM_SIZE) fail(`.symtab entry size ${symtab.entsize} is not ${SYM_SIZE}`)
    const strtab = raw[symtab.link]
    if (strtab === undefined || strtab.type !== SHT_STRTAB) fail(".symtab does not link to a string table")
    const strBytes = bytes.subarray(strtab!.offset, strtab!.offset + strtab!.size)
    const count = Math.floor(symtab.size / SYM_SIZE)
    for (let i = 0; i < count; i++) {
      const o = symtab.offset + i * SYM_SIZE
      const info = view.getUint8(o + 4)
      symbols.push({
        index: i,
        name: cString(strBytes, view.getUint32(o, true)),
        bind: info >> 4,
        type: info & 0xf,
        shndx: view.getUint16(o + 6, true),
        value: toNumber(view.getBigUint64(o + 8, true), "st_value", name),
        size: toNumber(view.getBigUint64(o + 16, true), "st_size", name),
      })
    }
  }

  const relocations = new Map<number, InputRelocation[]>()
  raw.forEach((h, index) => {
    if (h.type !== SHT_REL && h.type !== SHT_RELA) return
    const isRela = h.type === SHT_RELA
    const entry = isRela ? RELA_SIZE : REL_SIZE
    if (h.info >= shnum) fail(`relocation section ${sections[index]!.name} targets a missing section`)
    const list = relocations.get(h.info) ?? []
    for (let o = h.offset; o + entry <= h.offset + h.size; o += entry) {
      const rInfo = view.getBigUint64(o + 8, true)
      list.push({
        offset: toNumber(view.getBigUint64(o, true), "r_offset", name),
        type: Number(rInfo & 0xffff_ffffn),
        symbol: Number(rInfo >> 32n),
        addend: isRela ? view.getBigInt64(o + 16, true) : undefined,
      })
    }
    relocations.set(h.info, list)
  })

  return { name, sections, symbols, relocations }
}
