// Resolves symbol references across objects to output addresses.

import { SHN_ABS, SHN_UNDEF, STB_GLOBAL, STB_LOCAL, STB_WEAK, STT_FILE, STT_SECTION } from "./elf-constants.ts"
import type { InputSymbol, RelocatableObject } from "./elf-reader.ts"
import { DuplicateSymbolError, InvalidObjectError } from "./errors.ts"
import type { PlacedSection, SectionPlan } from "./section-plan.ts"

export type Resolution =
  | { readonly kind: "defined"; readonly name: string; readonly placed: PlacedSection; readonly value: number }
  | { readonly kind: "undefined"; readonly name: string }

interface Definition {
  readonly objectIndex: number
  readonly symbol: InputSymbol
}

export interface SymbolTable {
  resolve(objectIndex: number, symbolIndex: number): Resolution
  lookupGlobal(name: string): Resolution
}

export const buildSymbolTable = (objects: readonly RelocatableObject[], plan: SectionPlan): SymbolTable => {
  const globals = new Map<string, Definition>()
  objects.forEach((object, objectIndex) => {
    for (const symbol of object.symbols) {
      if (symbol.bind === STB_LOCAL || symbol.shndx === SHN_UNDEF) continue
      if (symbol.type === STT_SECTION || symbol.type === STT_FILE) continue
      if (symbol.bind !== STB_GLOBAL && symbol.bind !== STB_WEAK) continue
      const existing = globals.get(symbol.name)
      if (existing === undefined) {
        globals.set(symbol.name, { objectIndex, symbol })
      } else if (existing.symbol.bind === STB_GLOBAL && symbol.bind === STB_GLOBAL) {
        throw new DuplicateSymbolError(symbol.name, [objects[existing.objectIndex]!.name, object.name])
      } else if (existing.symbol.bind === STB_WEAK && symbol.bind === STB_GLOBAL) {
        globals.set(symbol.name, { objectIndex, symbol })
      }
    }
  })

  const define = (objectIndex: number, symbol: InputSymbol): Resolution => {
    const object = objects[objectIndex]!
    if (symbol.shndx === SHN_ABS) {
      throw new InvalidObjectError(object.name, `absolute symbol '${symbol.name}' cannot be referenced from SBF code`)
    }
    const placed = plan.find(objectIndex, symbol.shndx)
    if (placed === undefined) {
      const section = object.sections[symbol.shndx]?.name ?? `#${symbol.shndx}`
      throw new InvalidObjectError(object.name, `symbol '${symbol.name || section}' lives in ${section}, which is not loaded into the program`)
    }
    return { kind: "defined", name: symbol.name || placed.section.name, placed, value: symbol.value }
  }

  const lookupGlobal = (name: string): Resolution => {
    const definition = globals.get(name)
    return definition === undefined ? { kind: "undefined", name } : define(definition.objectIndex, definition.symbol)
  }

  return {
    lookupGlobal,
    resolve: (objectIndex, symbolIndex) => {
      const object = objects[objectIndex]!
      const symbol = object.symbols[symbolIndex]
      if (symbol === undefined) throw new InvalidObjectError(object.name, `relocation names missing symbol #${symbolIndex}`)
      if (symbol.shndx === SHN_UNDEF) return lookupGlobal(symbol.name)
      // A global defined here may be overridden by a strong definition elsewhere (weak symbols).
      if (symbol.bind !== STB_LOCAL) return lookupGlobal(symbol.name)
      return define(objectIndex, symbol)
    },
  }
}
