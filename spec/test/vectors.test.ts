/**
 * The committed vectors [VER-3]: regenerating them gives the same bytes, and the executable spec — the
 * reference consumer — answers every one of them as the file says. A file nobody consumed fails the
 * run [CNF-3].
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, describe, expect, it } from "vitest"
import { RULES } from "../src/catalog.ts"
import { OPERATION_NAMES, runOperation } from "../src/conformance.ts"
import { SPEC_VERSION } from "../src/version.ts"
import { AREAS, type VectorFile } from "./vectors/case.ts"
import { writeVectors } from "./vectors/index.ts"

const DIR = fileURLToPath(new URL("../v1/vectors/", import.meta.url))

const listFiles = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name).slice(dir.length).replace(/^\//, ""))
    .sort()

const committed = listFiles(DIR)
const vectors = committed.filter((f) => f.endsWith(".json"))
const read = (path: string): VectorFile => JSON.parse(readFileSync(join(DIR, path), "utf8")) as VectorFile

describe("spec/v1/vectors", () => {
  it("is exactly what `npm run vectors` writes", () => {
    const tmp = mkdtempSync(join(tmpdir(), "dotdns-vectors-"))
    try {
      writeVectors(tmp)
      const fresh = listFiles(tmp)
      expect(fresh.filter((f) => !committed.includes(f)), "vectors missing from spec/v1/vectors: run npm run vectors").toEqual([])
      expect(committed.filter((f) => !fresh.includes(f)), "stale vectors in spec/v1/vectors: run npm run vectors").toEqual([])
      const differ = fresh.filter((f) => !readFileSync(join(tmp, f)).equals(readFileSync(join(DIR, f))))
      expect(differ, "vectors that differ from the generators: run npm run vectors").toEqual([])
    } finally {
      rmSync(tmp, { recursive: true, force: true })
    }
  })

  describe("replayed against the executable spec", () => {
    const consumed = new Set<string>()
    afterAll(() => {
      const missed = vectors.filter((f) => !consumed.has(f))
      if (missed.length > 0) throw new Error(`${missed.length} vector files were never consumed: ${missed.slice(0, 5).join(", ")}`)
    })
    for (const area of AREAS) {
      it(area, () => {
        const files = vectors.filter((f) => f.startsWith(`${area}/`))
        expect(files.length).toBeGreaterThan(0)
        for (const f of files) {
          const v = read(f)
          expect(v.spec, f).toBe(SPEC_VERSION)
          expect(v.area, f).toBe(area)
          expect(OPERATION_NAMES, f).toContain(v.op)
          expect(v.rules.length, f).toBeGreaterThan(0)
          for (const r of v.rules) expect(RULES[r], `${f} cites unknown rule ${r}`).toBeDefined()
          expect("output" in v !== "error" in v, `${f} has exactly one of output and error`).toBe(true)
          const answer = runOperation(v.op, v.input)
          if (v.error !== undefined) {
            expect("error" in answer ? answer.error.rule : "accepted", f).toBe(v.error.rule)
          } else {
            if ("error" in answer) throw new Error(`${f}: rejected with [${answer.error.rule}] ${answer.error.message}`)
            expect(JSON.stringify(answer.output), f).toBe(JSON.stringify(v.output))
          }
          consumed.add(f)
        }
      })
    }
  })

  it("cover every conformance operation and every rule the transition enforces", () => {
    expect(committed.filter((f) => !f.endsWith(".json"))).toEqual(["README.md"])
    const ops = new Set(vectors.map((f) => read(f).op))
    expect(OPERATION_NAMES.filter((o) => !ops.has(o))).toEqual([])
    const src = fileURLToPath(new URL("../src/transition/", import.meta.url))
    const text = readdirSync(src).map((f) => readFileSync(join(src, f), "utf8")).join("\n") + readFileSync(fileURLToPath(new URL("../src/params.ts", import.meta.url)), "utf8")
    const enforced = new Set([...text.matchAll(/"([A-Z]{3}-\d+)"/g)].map((m) => m[1]!))
    const hit = new Set<string>()
    for (const f of vectors.filter((x) => x.startsWith("transition/"))) {
      const v = read(f) as VectorFile & { output: { steps: { error?: { rule: string } }[] } }
      for (const s of v.output.steps) if (s.error) hit.add(s.error.rule)
    }
    expect([...enforced].filter((r) => !hit.has(r)).sort(), "transition rules no vector rejects with").toEqual([])
  })
})
