// Builds every on-chain C program: programs/<name>/src/*.c -> programs/<name>/<name>.so
//
//   node programs/build.ts [--check] [name...]
//
// --check rebuilds into a temporary directory and fails if any byte differs
// from the committed .so (CI uses this to prove the binaries match the source).

import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { basename, dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import { LinkError } from "./toolchain/errors.ts"
import { link } from "./toolchain/link.ts"
import type { LinkResult } from "./toolchain/link.ts"

export const CLANG = "clang-19"

export const COMPILE_FLAGS: readonly string[] = [
  "-target",
  "bpf",
  "-mcpu=v2",
  "-O2",
  "-ffreestanding",
  "-fno-builtin",
  "-fno-stack-protector",
  "-nostdlib",
  "-fno-jump-tables",
  "-mllvm",
  "-bpf-stack-size=4096",
  "-Wall",
  "-Wextra",
  "-Werror",
  "-std=gnu17",
]

/** Repository root (the directory holding programs/). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..")
export const PROGRAMS_DIR = join(REPO_ROOT, "programs")
export const SDK_DIR = join(PROGRAMS_DIR, "sdk")
export const SDK_RUNTIME_DIR = join(SDK_DIR, "runtime")
/** Directories under programs/ that are tooling, never programs. */
const NOT_PROGRAMS = new Set(["build", "sdk", "toolchain"])

export class ToolchainMissingError extends Error {
  constructor() {
    super(`${CLANG} was not found on PATH: install it with 'apt-get install clang-19' (Debian/Ubuntu) to build the C programs`)
    this.name = "ToolchainMissingError"
  }
}

export class CompileError extends Error {
  readonly source: string
  constructor(source: string, output: string) {
    super(`${CLANG} failed on ${source}:\n${output}`)
    this.name = "CompileError"
    this.source = source
  }
}

export class CheckMismatchError extends Error {
  readonly programs: readonly string[]
  constructor(details: readonly string[], programs: readonly string[]) {
    super(`committed program binaries differ from a fresh build:\n${details.map((d) => `  ${d}`).join("\n")}\nrun 'npm run build:programs' and commit the result`)
    this.name = "CheckMismatchError"
    this.programs = programs
  }
}

export const hasClang = (): boolean => {
  try {
    execFileSync(CLANG, ["--version"], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
}

export const clangVersion = (): string => execFileSync(CLANG, ["--version"], { encoding: "utf8" }).split("\n")[0] ?? CLANG

const cFiles = (dir: string): string[] =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith(".c"))
        .sort()
        .map((f) => join(dir, f))
    : []

/** Names of programs: directories programs/<name>/src holding at least one .c file. */
export const discoverPrograms = (programsDir: string = PROGRAMS_DIR): string[] =>
  readdirSync(programsDir)
    .filter((name) => !NOT_PROGRAMS.has(name) && statSync(join(programsDir, name)).isDirectory())
    .filter((name) => cFiles(join(programsDir, name, "src")).length > 0)
    .sort()

export interface ProgramSpec {
  readonly name: string
  /** Directory of the program's .c files. */
  readonly srcDir: string
  /** Where the .o files go (created if missing). */
  readonly objDir: string
  /** Where the linked .so goes. */
  readonly outFile: string
}

export interface ProgramBuild {
  readonly name: string
  readonly outFile: string
  readonly objects: readonly string[]
  readonly link: LinkResult
}

/** Compiles one C file to a relocatable BPF object. */
export const compileC = (source: string, object: string, includeDirs: readonly string[]): void => {
  mkdirSync(dirname(object), { recursive: true })
  // Relative paths keep absolute checkout locations out of the objects.
  const args = [...COMPILE_FLAGS, ...includeDirs.flatMap((d) => ["-I", relative(REPO_ROOT, d) || "."]), "-c", relative(REPO_ROOT, source), "-o", object]
  try {
    execFileSync(CLANG, args, { cwd: REPO_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })
  } catch (error) {
    if (error instanceof Error && "code" in error && error.code === "ENOENT") throw new ToolchainMissingError()
    const stderr = error instanceof Error && "stderr" in error ? String(error.stderr) : String(error)
    throw new CompileError(relative(REPO_ROOT, source), stderr)
  }
}

/** Compiles a program's sources plus the SDK runtime and links them with our SBF linker. */
export const buildProgram = (spec: ProgramSpec): ProgramBuild => {
  if (!hasClang()) throw new ToolchainMissingError()
  const sources = cFiles(spec.srcDir)
  if (sources.length === 0) throw new CompileError(spec.srcDir, "no .c files")
  const includeDirs = [SDK_DIR, spec.srcDir]
  const objects: string[] = []
  for (const source of sources) {
    const object = join(spec.objDir, `${basename(source, ".c")}.o`)
    compileC(source, object, includeDirs)
    objects.push(object)
  }
  for (const source of cFiles(SDK_RUNTIME_DIR)) {
    const object = join(spec.objDir, "sdk", `${basename(source, ".c")}.o`)
    compileC(source, object, [SDK_DIR])
    objects.push(object)
  }
  const result = link(objects.map((o) => ({ name: relative(spec.objDir, o), bytes: new Uint8Array(readFileSync(o)) })))
  mkdirSync(dirname(spec.outFile), { recursive: true })
  writeFileSync(spec.outFile, result.bytes)
  return { name: spec.name, outFile: spec.outFile, objects, link: result }
}

/** The layout build:programs uses for programs/<name>. */
export const standardSpec = (name: string, buildRoot: string = join(PROGRAMS_DIR, "build")): ProgramSpec => ({
  name,
  srcDir: join(PROGRAMS_DIR, name, "src"),
  objDir: join(buildRoot, name),
  outFile: join(PROGRAMS_DIR, name, `${name}.so`),
})

export const buildAll = (names: readonly string[] = discoverPrograms()): ProgramBuild[] => names.map((name) => buildProgram(standardSpec(name)))

const firstDifference = (a: Uint8Array, b: Uint8Array): number => {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i
  return n
}

/** Rebuilds into a temporary directory and throws CheckMismatchError unless every committed .so matches. */
export const checkAll = (names: readonly string[] = discoverPrograms()): ProgramBuild[] => {
  if (!hasClang()) throw new ToolchainMissingError()
  const scratch = mkdtempSync(join(tmpdir(), "dotdns-programs-check-"))
  try {
    const builds: ProgramBuild[] = []
    const problems: string[] = []
    const bad: string[] = []
    for (const name of names) {
      const spec = standardSpec(name)
      const build = buildProgram({ ...spec, objDir: join(scratch, name), outFile: join(scratch, `${name}.so`) })
      builds.push(build)
      const committedPath = relative(REPO_ROOT, spec.outFile)
      if (!existsSync(spec.outFile)) {
        problems.push(`${committedPath}: missing`)
        bad.push(name)
        continue
      }
      const committed = new Uint8Array(readFileSync(spec.outFile))
      const fresh = build.link.bytes
      if (committed.length !== fresh.length || firstDifference(committed, fresh) < fresh.length) {
        problems.push(
          `${committedPath}: ${committed.length} bytes committed, ${fresh.length} rebuilt, first difference at byte ${firstDifference(committed, fresh)}`
        )
        bad.push(name)
      }
    }
    if (problems.length > 0) throw new CheckMismatchError([...problems, `(compiler: ${clangVersion()})`], bad)
    return builds
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
}

const main = (argv: readonly string[]): number => {
  const { values, positionals } = parseArgs({ args: [...argv], options: { check: { type: "boolean" } }, allowPositionals: true })
  const names = positionals.length > 0 ? positionals : discoverPrograms()
  try {
    const builds = values.check === true ? checkAll(names) : buildAll(names)
    for (const b of builds) {
      const where = values.check === true ? "matches" : "wrote"
      console.log(`${b.name}: ${where} ${relative(REPO_ROOT, standardSpec(b.name).outFile)} (${b.link.bytes.length} bytes; syscalls: ${b.link.syscalls.join(", ")})`)
    }
    return 0
  } catch (error) {
    if (error instanceof ToolchainMissingError || error instanceof CompileError || error instanceof CheckMismatchError || error instanceof LinkError) {
      console.error(`build:programs: ${error.message}`)
      return 1
    }
    throw error
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2))
}
