/**
 * The prose of spec v1 against the executable spec: generated tables are current, every catalogue rule
 * is defined exactly once (and nothing else is), every rule link and every code-region include resolves,
 * and every concern document ends with its security considerations.
 */
import { existsSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { RULE_IDS } from "../src/catalog.ts"
import { proseFiles, staleFiles, V1_DIR } from "../tools/gen-tables.ts"

const SPEC_DIR = join(dirname(fileURLToPath(import.meta.url)), "..")
const files = proseFiles()
const text = new Map(files.map((f) => [f, readFileSync(join(V1_DIR, f), "utf8")]))

/** Concern documents: `NN-name.md`. README and the `ext-*` drafts are exempt from the security-section rule. */
const CONCERNS = files.filter((f) => /^\d\d-.+\.md$/.test(f))

/** Strips fenced code blocks, so examples inside them are not read as definitions or links. */
const prose = (s: string): string => s.replace(/^```[\s\S]*?^```/gm, "")

const ANCHOR = /<a id="([^"]+)"><\/a>/g
const DEFINITION_LINE = /^(?:\s*(?:[-*+]|\d+\.)\s+)?<a id="([A-Z]+-\d+)"><\/a>\*\*\[([A-Z]+-\d+)\]\*\*\s+\S/
const RULE_LINK = /\[([A-Z]+-\d+)\]\(([^)#\s]*)#([^)\s]+)\)/g
const INCLUDE = /^<<<\s+@\/(\S+?)(?:#([\w*-]+))?\s*$/gm

interface Definition {
  readonly id: string
  readonly file: string
  readonly line: number
}

const definitions: Definition[] = []
const malformed: string[] = []
for (const [file, raw] of text) {
  const lines = prose(raw).split("\n")
  lines.forEach((line, i) => {
    for (const m of line.matchAll(ANCHOR)) {
      const id = m[1]!
      if (!/^[A-Z]+-\d+$/.test(id)) continue
      const d = DEFINITION_LINE.exec(line)
      const startsParagraph = /^\s*<a id=/.test(line) ? i === 0 || lines[i - 1]!.trim() === "" : true
      if (d === null || d[1] !== id || d[2] !== id || !startsParagraph) malformed.push(`${file}:${i + 1}: ${line.trim().slice(0, 80)}`)
      else definitions.push({ id, file, line: i + 1 })
    }
  })
}

describe("spec/v1 prose", () => {
  it("has every generated table current (npm run gen:tables)", () => {
    expect(staleFiles()).toEqual([])
  })

  it("defines rules only in the anchor form, at the start of a list item or paragraph", () => {
    expect(malformed).toEqual([])
  })

  it("defines every catalogue rule exactly once", () => {
    const count = new Map<string, string[]>()
    for (const d of definitions) count.set(d.id, [...(count.get(d.id) ?? []), `${d.file}:${d.line}`])
    const missing = RULE_IDS.filter((id) => !count.has(id))
    const repeated = [...count].filter(([, at]) => at.length > 1).map(([id, at]) => `${id} at ${at.join(", ")}`)
    expect(missing).toEqual([])
    expect(repeated).toEqual([])
  })

  it("defines no rule that is not in the catalogue", () => {
    const known = new Set<string>(RULE_IDS)
    expect(definitions.filter((d) => !known.has(d.id)).map((d) => `${d.id} at ${d.file}:${d.line}`)).toEqual([])
  })

  it("links every rule citation to an existing file and anchor", () => {
    const anchorsOf = new Map([...text].map(([f, s]) => [f, new Set([...s.matchAll(ANCHOR)].map((m) => m[1]!))]))
    const broken: string[] = []
    for (const [file, raw] of text) {
      for (const m of prose(raw).matchAll(RULE_LINK)) {
        const [all, label, target, anchor] = m as unknown as [string, string, string, string]
        const targetFile = target === "" ? file : target
        if (label !== anchor) broken.push(`${file}: ${all} (label and anchor differ)`)
        else if (!anchorsOf.has(targetFile)) broken.push(`${file}: ${all} (no file ${targetFile} in spec/v1)`)
        else if (!anchorsOf.get(targetFile)!.has(anchor)) broken.push(`${file}: ${all} (no anchor ${anchor} in ${targetFile})`)
      }
    }
    expect(broken).toEqual([])
  })

  it("includes code only from existing files and regions", () => {
    const broken: string[] = []
    let includes = 0
    for (const [file, raw] of text) {
      for (const m of raw.matchAll(INCLUDE)) {
        includes += 1
        const [, path, region] = m as unknown as [string, string, string | undefined]
        const source = join(SPEC_DIR, path)
        if (!existsSync(source)) {
          broken.push(`${file}: ${path} does not exist`)
          continue
        }
        if (region === undefined) continue
        const lines = readFileSync(source, "utf8").split("\n").map((l) => l.trim())
        const open = lines.filter((l) => l === `// #region ${region}`).length
        const close = lines.filter((l) => l === `// #endregion ${region}`).length
        if (open !== 1 || close !== 1) broken.push(`${file}: ${path}#${region} has ${open} region and ${close} endregion markers`)
        else if (lines.indexOf(`// #region ${region}`) > lines.indexOf(`// #endregion ${region}`))
          broken.push(`${file}: ${path}#${region} ends before it starts`)
      }
    }
    expect(includes).toBeGreaterThan(0)
    expect(broken).toEqual([])
  })

  it("ends every concern document with a Security considerations section", () => {
    expect(CONCERNS.length).toBe(17)
    const bad = CONCERNS.filter((f) => {
      const headings = [...prose(text.get(f)!).matchAll(/^## (.+)$/gm)].map((m) => m[1]!.trim())
      return headings[headings.length - 1] !== "Security considerations"
    })
    expect(bad).toEqual([])
  })

  it("has the index and the drafts", () => {
    for (const f of ["README.md", "ext-dyndns-hint.md", "ext-cache-snapshots.md"]) expect(files).toContain(f)
  })
})
