/**
 * Every numbered rule is exercised somewhere: cited by a committed vector's `rules` or by a test file.
 * A rule nothing cites is a rule nothing checks.
 */
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { RULE_IDS } from "../src/catalog.ts"

const ROOT = fileURLToPath(new URL("../../", import.meta.url))
const SKIP = new Set(["node_modules", ".git", "dist", "cache"])

const walk = (dir: string, out: string[] = []): string[] => {
  for (const f of readdirSync(dir)) {
    if (SKIP.has(f) || f.startsWith(".")) continue
    const p = join(dir, f)
    if (statSync(p).isDirectory()) walk(p, out)
    else out.push(p)
  }
  return out
}

const citations = (): Set<string> => {
  const cited = new Set<string>()
  for (const f of walk(ROOT)) {
    if (f.includes(`${join("spec", "v1", "vectors")}`) && f.endsWith(".json")) {
      const v = JSON.parse(readFileSync(f, "utf8")) as { rules?: string[] }
      for (const r of v.rules ?? []) cited.add(r)
    } else if (f.endsWith(".test.ts") && !f.endsWith("rule-coverage.test.ts")) {
      for (const m of readFileSync(f, "utf8").matchAll(/\b([A-Z]{3}-\d+)\b/g)) cited.add(m[1]!)
    }
  }
  return cited
}

describe("rule coverage", () => {
  it("every catalogue rule is cited by a vector or a test", () => {
    const cited = citations()
    expect(RULE_IDS.filter((r) => !cited.has(r))).toEqual([])
  })
})
