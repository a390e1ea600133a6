// Decides which input sections go into the single output .text and .rodata,
// and refuses the ones the SBPF v0 loader cannot map (writable data, .bss, TLS).

import { SHF_ALLOC, SHF_EXECINSTR, SHF_WRITE, SHN_COMMON, SHT_NOBITS, SHT_PROGBITS, STT_FILE, STT_SECTION } from "./elf-constants.ts"
import type { InputSection, RelocatableObject } from "./elf-reader.ts"
import { UnsupportedSectionError, WritableDataError } from "./errors.ts"

const SHF_TLS = 0x400

export type Region = "text" | "rodata"

export interface PlacedSection {
  readonly objectIndex: number
  readonly object: RelocatableObject
  readonly section: InputSection
  readonly region: Region
  /** Offset inside the merged output section. */
  readonly offset: number
}

export interface SectionPlan {
  readonly text: readonly PlacedSection[]
  readonly rodata: readonly PlacedSection[]
  readonly textSize: number
  readonly rodataSize: number
  readonly rodataAlign: number
  find(objectIndex: number, sectionIndex: number): PlacedSection | undefined
}

const isReadOnlyRelocated = (name: string): boolean => name === ".data.rel.ro" || name.startsWith(".data.rel.ro.")

const symbolsIn = (object: RelocatableObject, section: InputSection): string[] =>
  object.symbols
    .filter((s) => s.shndx === section.index && s.type !== STT_SECTION && s.type !== STT_FILE && s.name !== "")
    .map((s) => s.name)

const classify = (object: RelocatableObject, section: InputSection): Region | "skip" => {
  if (section.index === 0 || (section.flags & SHF_ALLOC) === 0) return "skip"
  const { name } = section
  if ((section.flags & SHF_TLS) !== 0) {
    throw new UnsupportedSectionError(object.name, name, "thread-local storage does not exist on SBF")
  }
  const writable = (section.flags & SHF_WRITE) !== 0
  if (section.type === SHT_NOBITS || (writable && !isReadOnlyRelocated(name))) {
    const symbols = symbolsIn(object, section)
    if (section.size === 0 && symbols.length === 0) return "skip"
    throw new WritableDataError(object.name, name, symbols)
  }
  if (section.type !== SHT_PROGBITS) {
    throw new UnsupportedSectionError(object.name, name, `section type ${section.type} is not loadable by the SBPF v0 loader`)
  }
  return (section.flags & SHF_EXECINSTR) !== 0 ? "text" : "rodata"
}

const alignUp = (value: number, align: number): number => Math.ceil(value / align) * align

export const planSections = (objects: readonly RelocatableObject[]): SectionPlan => {
  const text: PlacedSection[] = []
  const rodata: PlacedSection[] = []
  let textSize = 0
  let rodataSize = 0
  let rodataAlign = 1
  const byKey = new Map<string, PlacedSection>()

  objects.forEach((object, objectIndex) => {
    const common = object.symbols.filter((s) => s.shndx === SHN_COMMON).map((s) => s.name)
    if (common.length > 0) throw new WritableDataError(object.name, "COMMON", common)
    for (const section of object.sections) {
      const region = classify(object, section)
      if (region === "skip") continue
      if (section.size === 0) continue
      let placed: PlacedSection
      if (region === "text") {
        // Instructions are 8 bytes; keeping every piece 8-aligned keeps pc-relative math exact.
        textSize = alignUp(textSize, 8)
        placed = { objectIndex, object, section, region, offset: textSize }
        textSize += section.size
        text.push(placed)
      } else {
        rodataSize = alignUp(rodataSize, section.align)
        rodataAlign = Math.max(rodataAlign, section.align)
        placed = { objectIndex, object, section, region, offset: rodataSize }
        rodataSize += section.size
        rodata.push(placed)
      }
      byKey.set(`${objectIndex}:${section.index}`, placed)
    }
  })

  return {
    text,
    rodata,
    textSize,
    rodataSize,
    rodataAlign,
    find: (objectIndex, sectionIndex) => byKey.get(`${objectIndex}:${sectionIndex}`),
  }
}
