// Every way a link can fail has its own class so callers (build script, tests)
// can branch on `instanceof` and the message alone is enough to fix the C code.

/** Where in the input an instruction-level problem sits. */
export interface CodeLocation {
  readonly object: string
  readonly section: string
  /** Byte offset inside the input section. */
  readonly sectionOffset: number
  /** Enclosing function symbol, or the section name when none covers the offset. */
  readonly func: string
  /** Byte offset from the start of `func`. */
  readonly funcOffset: number
}

export const formatLocation = (at: CodeLocation): string =>
  `${at.object}: ${at.func}+0x${at.funcOffset.toString(16)} (${at.section}+0x${at.sectionOffset.toString(16)})`

export abstract class LinkError extends Error {
  abstract readonly code: string
  constructor(message: string) {
    super(message)
    this.name = new.target.name
  }
}

export class InvalidObjectError extends LinkError {
  readonly code = "invalid-object"
  readonly object: string
  constructor(object: string, detail: string) {
    super(`${object}: not a usable BPF relocatable object: ${detail}`)
    this.object = object
  }
}

export class UnsupportedSectionError extends LinkError {
  readonly code = "unsupported-section"
  readonly object: string
  readonly section: string
  constructor(object: string, section: string, detail: string) {
    super(`${object}: section ${section} cannot go into an SBF program: ${detail}`)
    this.object = object
    this.section = section
  }
}

export class WritableDataError extends LinkError {
  readonly code = "writable-data"
  readonly object: string
  readonly section: string
  readonly symbols: readonly string[]
  constructor(object: string, section: string, symbols: readonly string[]) {
    const what = symbols.length > 0 ? `symbol${symbols.length > 1 ? "s" : ""} ${symbols.map((s) => `'${s}'`).join(", ")}` : "unnamed data"
    super(
      `${object}: ${what} in writable section ${section}: SBF programs have no writable globals; ` +
        `make it const (read-only) or keep the state in an account or on the stack`
    )
    this.object = object
    this.section = section
    this.symbols = symbols
  }
}

export class UndefinedSymbolError extends LinkError {
  readonly code = "undefined-symbol"
  readonly symbol: string
  readonly referencedFrom: readonly string[]
  constructor(symbol: string, referencedFrom: readonly string[], hint?: string) {
    super(
      `undefined symbol '${symbol}', referenced from ${referencedFrom.join(", ")}` +
        (hint !== undefined ? `; ${hint}` : "")
    )
    this.symbol = symbol
    this.referencedFrom = referencedFrom
  }
}

export class UnknownSyscallError extends LinkError {
  readonly code = "unknown-syscall"
  readonly symbol: string
  readonly referencedFrom: readonly string[]
  readonly suggestion: string | undefined
  constructor(symbol: string, referencedFrom: readonly string[], suggestion: string | undefined) {
    super(
      `unknown syscall '${symbol}', called from ${referencedFrom.join(", ")}: the runtime registers no such syscall, ` +
        `so the program would fail only when this call executes` +
        (suggestion !== undefined ? `; did you mean '${suggestion}'?` : "")
    )
    this.symbol = symbol
    this.referencedFrom = referencedFrom
    this.suggestion = suggestion
  }
}

export class DuplicateSymbolError extends LinkError {
  readonly code = "duplicate-symbol"
  readonly symbol: string
  readonly objects: readonly string[]
  constructor(symbol: string, objects: readonly string[]) {
    super(`symbol '${symbol}' is defined more than once: in ${objects.join(" and ")}`)
    this.symbol = symbol
    this.objects = objects
  }
}

export class MissingEntrypointError extends LinkError {
  readonly code = "missing-entrypoint"
  constructor(symbol: string, detail: string) {
    super(`entrypoint '${symbol}' ${detail}; define 'uint64_t ${symbol}(const uint8_t *input)'`)
  }
}

export class InvalidInstructionError extends LinkError {
  readonly code = "invalid-instruction"
  readonly at: CodeLocation
  readonly opcode: number
  constructor(at: CodeLocation, opcode: number, reason: string) {
    super(`${formatLocation(at)}: instruction opcode 0x${opcode.toString(16).padStart(2, "0")}: ${reason}`)
    this.at = at
    this.opcode = opcode
  }
}

export class StackFrameError extends LinkError {
  readonly code = "stack-frame"
  readonly at: CodeLocation
  readonly stackOffset: number
  constructor(at: CodeLocation, stackOffset: number, detail: string) {
    super(`${formatLocation(at)}: ${detail}`)
    this.at = at
    this.stackOffset = stackOffset
  }
}

export class RelocationError extends LinkError {
  readonly code = "relocation"
  readonly at: CodeLocation
  constructor(at: CodeLocation, detail: string) {
    super(`${formatLocation(at)}: ${detail}`)
    this.at = at
  }
}

export class SymbolHashCollisionError extends LinkError {
  readonly code = "symbol-hash-collision"
  readonly hash: number
  constructor(hash: number, detail: string) {
    super(`murmur3 key 0x${hash.toString(16).padStart(8, "0")} collides: ${detail}; the loader would reject the program`)
    this.hash = hash
  }
}
