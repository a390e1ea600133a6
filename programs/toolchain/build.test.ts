// The build module: reproducible .so files and a --check that CI can trust.

import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { PROGRAMS_DIR, REPO_ROOT, buildProgram, checkAll, discoverPrograms, standardSpec } from "../build.ts"
import { verifySbfProgram } from "./sbf-verify.ts"
import { clangAvailable } from "./test-support/clang.ts"

const scratch = mkdtempSync(join(tmpdir(), "dotdns-build-test-"))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

describe("build:programs", () => {
  it("finds the C programs under programs/", () => {
    expect(discoverPrograms()).toContain("hello")
    expect(discoverPrograms()).not.toContain("sdk")
  })

  it.skipIf(!clangAvailable)("builds hello reproducibly and matches the committed binary", () => {
    const spec = standardSpec("hello")
    const first = buildProgram({ ...spec, objDir: join(scratch, "a"), outFile: join(scratch, "a.so") })
    const second = buildProgram({ ...spec, objDir: join(scratch, "b"), outFile: join(scratch, "b.so") })
    expect(second.link.bytes).toEqual(first.link.bytes)
    expect(verifySbfProgram(first.link.bytes)).toEqual([])
    expect(new Uint8Array(readFileSync(join(PROGRAMS_DIR, "hello", "hello.so")))).toEqual(first.link.bytes)
  })

  it.skipIf(!clangAvailable)("--check passes on the committed binaries", () => {
    expect(checkAll().map((b) => b.name)).toEqual(discoverPrograms())
  })

  it("--check fails with an install hint when clang-19 is missing", () => {
    // An empty PATH hides clang-19; node is addressed by absolute path.
    const run = spawnSync(process.execPath, [join(PROGRAMS_DIR, "build.ts"), "--check"], {
      cwd: REPO_ROOT,
      env: { PATH: join(dirname(process.execPath), "no-such-dir") },
      encoding: "utf8",
    })
    expect(run.status).toBe(1)
    expect(run.stderr).toContain("apt-get install clang-19")
  })
})
