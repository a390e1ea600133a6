// Builds ELF64 relocatable BPF objects by hand, so linker tests can feed it
// exactly the malformed or unusual inputs a rule is about.

import {
  EHDR_SIZE,
  EM_BPF,
  ET_REL,
  REL_SIZE,
  SHDR_SIZE,
  SHF_ALLOC,
  SHF_EXECINSTR,
  SHF_WRITE,
  SHN_COMMON,
  SHT_NOBITS,
  SHT_PROGBITS,
  SHT_REL,
  SHT_STRTAB,
  SHT_SYMTAB,
  STB_GLOBAL,
  STB_LOCAL,
  STB_WEAK,
  STT_FUNC,
  STT_NOTYPE,
  STT_OBJECT,
  STT_SECTION,
  SYM_SIZE,
} from "../elf-constants.ts"

export interface ObjSection {
  readonly name: string
  readonly data?: Uint8Array
  readonly flags?: number
  readonly type?: number
  readonly align?: number
  /** Size for NOBITS sections. */
  readonly size?: number
}

export interface ObjSymbol {
  readonly name: string
  /** Section name; omitted means undefined (UND); "COMMON" makes a common symbol. */
  readonly section?: string
  readonly value?: number
  readonly size?: number
  readonly bind?: "local" | "global" | "weak"
  readonly type?: "func" | "object" | "notype" | "section"
}

export interface ObjRelocation {
  readonly section: string
  readonly offset: number
  readonly type: number
  readonly symbol: string
}

export interface ObjSpec {
  readonly sections: readonly ObjSection[]
  readonly symbols?: readonly ObjSymbol[]
  readonly relocations?: readonly ObjRelocation[]
  readonly machine?: number
  readonly elfType?: number
}

export const TEXT = SHF_ALLOC | SHF_EXECINSTR
export const RODATA = SHF_ALLOC
export const DATA = SHF_ALLOC | SHF_WRITE

const bindOf = (b: ObjSymbol["bind"]): number => (b === "local" ? STB_LOCAL : b === "weak" ? STB_WEAK : STB_GLOBAL)
const typeOf = (t: ObjSymbol["type"]): number =>
  t === "func" ? STT_FUNC : t === "object" ? STT_OBJECT : t === "section" ? STT_SECTION : STT_NOTYPE

class Strings {
  private readonly chunks: number[] = [0]
  add(s: string): number {
    if (s === "") return 0
    const at = this.chunks.length
    for (const b of new TextEncoder().encode(s)) this.chunks.push(b)
    this.chunks.push(0)
    return at
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.chunks)
  }
}

export const buildObject = (spec: ObjSpec): Uint8Array => {
  const shstr = new Strings()
  const str = new Strings()
  // Section order: NULL, user sections, their .rel sections, .symtab, .strtab, .shstrtab.
  const sectionIndex = new Map<string, number>()
  spec.sections.forEach((s, i) => sectionIndex.set(s.name, i + 1))
  const relTargets = [...new Set((spec.relocations ?? []).map((r) => r.section))]
  const firstRel = spec.sections.length + 1
  const symtabIndex = firstRel + relTargets.length
  const strtabIndex = symtabIndex + 1
  const shstrtabIndex = strtabIndex + 1

  const symbols = [...(spec.symbols ?? [])]
  const ordered = [...symbols.filter((s) => s.bind === "local"), ...symbols.filter((s) => s.bind !== "local")]
  const symbolIndex = new Map<string, number>()
  ordered.forEach((s, i) => symbolIndex.set(s.name, i + 1))
  const firstGlobal = 1 + symbols.filter((s) => s.bind === "local").length
  const symtab = new Uint8Array(SYM_SIZE * (ordered.length + 1))
  const symView = new DataView(symtab.buffer)
  ordered.forEach((s, i) => {
    const o = (i + 1) * SYM_SIZE
    symView.setUint32(o, s.type === "section" ? 0 : str.add(s.name), true)
    symView.setUint8(o + 4, (bindOf(s.bind) << 4) | typeOf(s.type))
    const shndx = s.section === undefined ? 0 : s.section === "COMMON" ? SHN_COMMON : sectionIndex.get(s.section)
    if (shndx === undefined) throw new Error(`symbol ${s.name}: no section ${s.section}`)
    symView.setUint16(o + 6, shndx, true)
    symView.setBigUint64(o + 8, BigInt(s.value ?? 0), true)
    symView.setBigUint64(o + 16, BigInt(s.size ?? 0), true)
  })

  const relBodies = relTargets.map((target) => {
    const list = (spec.relocations ?? []).filter((r) => r.section === target)
    const body = new Uint8Array(REL_SIZE * list.length)
    const view = new DataView(body.buffer)
    list.forEach((r, i) => {
      const sym = symbolIndex.get(r.symbol)
      if (sym === undefined) throw new Error(`relocation against unknown test symbol ${r.symbol}`)
      view.setBigUint64(i * REL_SIZE, BigInt(r.offset), true)
      view.setBigUint64(i * REL_SIZE + 8, (BigInt(sym) << 32n) | BigInt(r.type), true)
    })
    return body
  })

  interface Header {
    name: number
    type: number
    flags: number
    data: Uint8Array
    size: number
    link: number
    info: number
    align: number
    entsize: number
    offset: number
  }
  const headers: Header[] = [{ name: 0, type: 0, flags: 0, data: new Uint8Array(0), size: 0, link: 0, info: 0, align: 0, entsize: 0, offset: 0 }]
  for (const s of spec.sections) {
    const type = s.type ?? SHT_PROGBITS
    const data = type === SHT_NOBITS ? new Uint8Array(0) : (s.data ?? new Uint8Array(0))
    headers.push({ name: shstr.add(s.name), type, flags: s.flags ?? 0, data, size: type === SHT_NOBITS ? (s.size ?? 0) : data.length, link: 0, info: 0, align: s.align ?? 8, entsize: 0, offset: 0 })
  }
  relTargets.forEach((target, i) => {
    const body = relBodies[i]!
    headers.push({ name: shstr.add(`.rel${target}`), type: SHT_REL, flags: 0x40, data: body, size: body.length, link: symtabIndex, info: sectionIndex.get(target)!, align: 8, entsize: REL_SIZE, offset: 0 })
  })
  headers.push({ name: shstr.add(".symtab"), type: SHT_SYMTAB, flags: 0, data: symtab, size: symtab.length, link: strtabIndex, info: firstGlobal, align: 8, entsize: SYM_SIZE, offset: 0 })
  const strBytes = str.bytes()
  headers.push({ name: shstr.add(".strtab"), type: SHT_STRTAB, flags: 0, data: strBytes, size: strBytes.length, link: 0, info: 0, align: 1, entsize: 0, offset: 0 })
  const shstrName = shstr.add(".shstrtab")
  const shstrBytes = shstr.bytes()
  headers.push({ name: shstrName, type: SHT_STRTAB, flags: 0, data: shstrBytes, size: shstrBytes.length, link: 0, info: 0, align: 1, entsize: 0, offset: 0 })

  let cursor = EHDR_SIZE
  for (const h of headers.slice(1)) {
    cursor = Math.ceil(cursor / Math.max(1, h.align)) * Math.max(1, h.align)
    h.offset = cursor
    cursor += h.data.length
  }
  const shoff = Math.ceil(cursor / 8) * 8
  const out = new Uint8Array(shoff + headers.length * SHDR_SIZE)
  const view = new DataView(out.buffer)
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0)
  view.setUint16(16, spec.elfType ?? ET_REL, true)
  view.setUint16(18, spec.machine ?? EM_BPF, true)
  view.setUint32(20, 1, true)
  view.setBigUint64(40, BigInt(shoff), true)
  view.setUint16(52, EHDR_SIZE, true)
  view.setUint16(58, SHDR_SIZE, true)
  view.setUint16(60, headers.length, true)
  view.setUint16(62, shstrtabIndex, true)
  headers.forEach((h, i) => {
    out.set(h.data, h.offset)
    const o = shoff + i * SHDR_SIZE
    view.setUint32(o, h.name, true)
    view.setUint32(o + 4, h.type, true)
    view.setBigUint64(o + 8, BigInt(h.flags), true)
    view.setBigUint64(o + 24, BigInt(h.offset), true)
    view.setBigUint64(o + 32, BigInt(h.size), true)
    view.setUint32(o + 40, h.link, true)
    view.setUint32(o + 44, h.info, true)
    view.setBigUint64(o + 48, BigInt(h.align), true)
    view.setBigUint64(o + 56, BigInt(h.entsize), true)
  })
  return out
}
