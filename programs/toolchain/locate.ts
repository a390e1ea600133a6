// Names the function that covers a code offset, so errors point at C functions.

import { STT_FUNC, STT_NOTYPE, STT_OBJECT } from "./elf-constants.ts"
import type { InputSection, RelocatableObject } from "./elf-reader.ts"
import type { CodeLocation } from "./errors.ts"

export const locator =
  (object: RelocatableObject, section: InputSection) =>
  (sectionOffset: number): CodeLocation => {
    const candidates = object.symbols.filter(
      (s) => s.shndx === section.index && s.name !== "" && (s.type === STT_FUNC || s.type === STT_NOTYPE || s.type === STT_OBJECT)
    )
    const covering = candidates.find((s) => s.type === STT_FUNC && s.value <= sectionOffset && sectionOffset < s.value + Math.max(s.size, 1))
    const preceding = candidates
      .filter((s) => s.value <= sectionOffset)
      .sort((a, b) => b.value - a.value || a.index - b.index)[0]
    const symbol = covering ?? preceding
    return {
      object: object.name,
      section: section.name,
      sectionOffset,
      func: symbol?.name ?? section.name,
      funcOffset: sectionOffset - (symbol?.value ?? 0),
    }
  }
