/**
 * A second language: the stdlib-only Python adapter (conformance/examples/python/adapter.py) passes the
 * suite for the areas it covers. The operations it does not offer, and the non-ASCII names it declines,
 * are reported as not run — never as passed — so the run is partial.
 */
import { spawnSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { REPO_ROOT, runConformance } from "../suite/run.ts"

const ADAPTER = "conformance/examples/python/adapter.py"
const hasPython = spawnSync("python3", ["--version"]).status === 0

describe.skipIf(!hasPython)("the Python example adapter", () => {
  it("is under 100 lines of stdlib Python", () => {
    const text = readFileSync(fileURLToPath(new URL(`../../${ADAPTER}`, import.meta.url)), "utf8")
    expect(text.split("\n").filter((l) => l !== "").length).toBeLessThan(100)
    const imports = [...text.matchAll(/^import (.+)$/gm)].flatMap((m) => m[1]!.split(",").map((s) => s.trim()))
    expect(imports.sort()).toEqual(["hashlib", "json", "sys"])
  })

  it("passes hashing, encoding, merkle and names, with what it does not offer reported as not run", async () => {
    const r = await runConformance({
      adapter: `python3 ${ADAPTER}`,
      spec: "v1",
      only: ["hashing,encoding,merkle,names"],
      profile: "default",
      seed: 11,
      runs: 300,
      timeoutMs: 10_000,
      log: () => undefined
    })
    expect(r.report.checks.filter((c) => c.status === "failed").map((c) => `${c.part}/${c.name}: ${c.reason}`)).toEqual([])
    expect(r.exitCode).toBe(0)
    expect(r.report.implementation).toMatch(/^dotdns python example adapter/)
    const passed = (part: string) => r.report.checks.filter((c) => c.part === part && c.status === "passed").map((c) => c.name)
    expect(passed("properties").sort()).toEqual(
      ["decode_leaf", "decode_receipt", "encode_leaf", "encode_receipt", "hash", "leaf_hash", "merkle_root", "name_hash", "node_hash", "normalize_name", "verify_inclusion"].sort()
    )
    expect(passed("vectors").length).toBeGreaterThan(150)
    // Unsupported operations: not run, with the reason.
    expect(r.report.checks.find((c) => c.part === "properties" && c.name === "inclusion_proof")).toMatchObject({ status: "not-run", reason: "the adapter does not offer inclusion_proof" })
    expect(r.report.checks.filter((c) => c.part === "vectors" && c.reason === "the adapter does not offer route_hash").length).toBeGreaterThan(0)
    // Non-ASCII names are declined (CNF-2): not run, not passed.
    expect(r.report.checks.filter((c) => c.part === "vectors" && c.area === "names" && c.reason?.startsWith("declined by the adapter (CNF-2)")).length).toBeGreaterThan(0)
    expect(r.report.checks.find((c) => c.part === "properties" && c.name === "normalize_name")?.declined).toBeGreaterThan(0)
    expect(r.summary).toMatch(/verdict: PARTIAL/)
    expect(r.summary).toMatch(/operations the adapter does not offer: .*inclusion_proof/)
  }, 60_000)

  it("fails the run without --only: its unread vectors break CNF-3", () => {
    const r = spawnSync(process.execPath, ["conformance/cli-main.ts", "run", "--adapter", `python3 ${ADAPTER}`, "--runs", "5", "--seed", "1"], { cwd: REPO_ROOT, encoding: "utf8" })
    expect(r.status).toBe(1)
    expect(r.stdout).toMatch(/✗ vectors\/consumption\/every vector file consumed \[CNF-3\]/)
    expect(r.stdout).toMatch(/verdict: FAIL/)
  }, 60_000)
})
