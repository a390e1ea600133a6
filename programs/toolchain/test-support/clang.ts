// Compiles C snippets with clang-19 for linker tests that want real compiler output.

import { execFileSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { CLANG, COMPILE_FLAGS, SDK_DIR, hasClang } from "../../build.ts"

export const clangAvailable = hasClang()

if (!clangAvailable) {
  console.warn(`SKIPPING clang-based toolchain tests: ${CLANG} is not installed (apt-get install clang-19)`)
}

export interface SnippetOptions {
  /** Each replaces the standard flag with the same option name (text before '='), in place. */
  readonly override?: readonly string[]
}

/** Compiles one C source to a relocatable BPF object with the build's flags (warnings not fatal). */
export const compileSnippet = (source: string, options: SnippetOptions = {}): Uint8Array => {
  const dir = mkdtempSync(join(tmpdir(), "dotdns-clang-"))
  try {
    const file = join(dir, "snippet.c")
    writeFileSync(file, source)
    const overrides = options.override ?? []
    const key = (flag: string): string => flag.split("=")[0]!
    const flags = COMPILE_FLAGS.filter((f) => f !== "-Werror").map((f) => overrides.find((o) => key(o) === key(f)) ?? f)
    const extra = overrides.filter((o) => !flags.includes(o))
    execFileSync(CLANG, [...flags, ...extra, "-I", SDK_DIR, "-c", file, "-o", join(dir, "snippet.o")], { stdio: ["ignore", "ignore", "pipe"] })
    return new Uint8Array(readFileSync(join(dir, "snippet.o")))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
