/**
 * `dotdns sim`: run (exit codes, naming the failed expectation, outputs), list, sweep (a small grid
 * on worker threads, with the phase plot), and argument errors.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { runSimCli, type SimCliIo } from "../cli.ts"
import { SCENARIO_DIR } from "./scenarios.ts"

const root = mkdtempSync(join(tmpdir(), "dotdns-sim-cli-"))
afterAll(() => rmSync(root, { recursive: true, force: true }))

const capture = () => {
  const out: string[] = []
  const err: string[] = []
  const io: SimCliIo = { stdout: (l) => out.push(l), stderr: (l) => err.push(l), progress: (t) => err.push(t) }
  return { io, out, err }
}

const SMALL = `name: small
seed: 5
epochs: 4
population:
  miners:
    - { id: m, count: 3, stake: 10 }
  witnesses:
    - { id: w, count: 3, stake: 1 }
  names:
    - { name: a.dns, updates: { every: 1, from: 2 } }
expectations:
  - route_finalized: { name: a.dns, serial: 2, by_epoch: 3 }
  - route_finalized: { name: a.dns, serial: 9 }
`

describe("dotdns sim", () => {
  it("run: exit 1 names the expectation that failed, writes the three outputs", async () => {
    const file = join(root, "small.yaml")
    writeFileSync(file, SMALL)
    const out = join(root, "out-small")
    const c = capture()
    const code = await runSimCli(["run", file, "--out", out], c.io)
    expect(code).toBe(1)
    expect(c.out[0]).toMatch(/^scenario small on litesvm \(seed 5\): failed — 1\/2 expectations hold/)
    expect(c.out.join("\n")).toContain(`✗ ${file}:13: {"route_finalized":{"name":"a.dns","serial":9}} — never finalized`)
    expect(c.err.join("\n")).toContain("1 expectation failed: line 13")
    for (const f of ["events.jsonl", "metrics.json", "report.html"]) expect(existsSync(join(out, f))).toBe(true)
    const metrics = JSON.parse(readFileSync(join(out, "metrics.json"), "utf8")) as { status: string; expectations: { ok: boolean }[] }
    expect(metrics.status).toBe("failed")
    expect(readFileSync(join(out, "report.html"), "utf8")).toMatch(/<svg[^>]*>.*round outcomes/s)
  }, 60_000)

  it("run: a passing scenario exits 0; --seed overrides the file's seed", async () => {
    const c = capture()
    const code = await runSimCli(["run", `${SCENARIO_DIR}equivocation-onchain.yaml`, "--out", join(root, "eq"), "--seed", "77", "--quiet"], c.io)
    expect(code).toBe(0)
    expect(c.out[0]).toMatch(/seed 77\): passed/)
  }, 60_000)

  it("run: not applicable on bankrun when the scenario needs signature checks (exit 0, says why)", async () => {
    const c = capture()
    const code = await runSimCli(["run", `${SCENARIO_DIR}forged-authorization.yaml`, "--backend", "bankrun", "--out", join(root, "na")], c.io)
    expect(code).toBe(0)
    expect(c.out[0]).toMatch(/not-applicable — needs signature-checks/)
    expect(readFileSync(join(root, "na", "events.jsonl"), "utf8")).toMatch(/"type":"run.not_applicable"/)
  }, 60_000)

  it("run: a bad file exits 2 with line-pointing errors", async () => {
    const file = join(root, "bad.yaml")
    writeFileSync(file, SMALL.replace("stake: 10", "stake: ten"))
    const c = capture()
    expect(await runSimCli(["run", file], c.io)).toBe(2)
    expect(c.err).toEqual([`${file}:6:33: population.miners[0].stake: Expected number`])
  })

  it("list: scenarios and built-in strategies", async () => {
    const c = capture()
    expect(await runSimCli(["list"], c.io)).toBe(0)
    const text = c.out.join("\n")
    expect(text).toMatch(/coalition-40\.yaml/)
    expect(text).toMatch(/forged-authorization\.yaml\s+\[needs signature-checks\]/)
    for (const s of ["equivocator", "inflator", "duplicator", "mismatcher", "withholder", "censor", "coalition", "late", "governance", "grinder", "forger"]) expect(text).toContain(`  ${s} `)
  })

  it("sweep: runs the grid on worker threads and writes the phase plot", async () => {
    const file = join(root, "sweep.yaml")
    writeFileSync(
      file,
      `${SMALL.replace("  - route_finalized: { name: a.dns, serial: 9 }\n", "")}sweep:\n  grid:\n    parameters.quorum_bps: [6667, 9000]\n    population.witnesses.0.stake: [1]\n  workers: 2\n`
    )
    const out = join(root, "out-sweep")
    const c = capture()
    expect(await runSimCli(["sweep", file, "--out", out], c.io)).toBe(0)
    expect(c.out[0]).toMatch(/^sweep small: 2 runs in [\d.]+ s — 2 safe and live, 0 safe but stuck, 0 unsafe$/)
    expect(c.err.join("")).toMatch(/\[#+\] 2\/2 runs/)
    const sweep = JSON.parse(readFileSync(join(out, "sweep.json"), "utf8")) as { cells: { values: Record<string, unknown>; safe: boolean }[] }
    expect(sweep.cells.map((x) => x.values["parameters.quorum_bps"])).toEqual([6667, 9000])
    expect(readFileSync(join(out, "report.html"), "utf8")).toContain("safe and live")
  }, 120_000)

  it("usage errors exit 2", async () => {
    for (const argv of [["run"], ["bogus"], ["run", "x.yaml", "--backend", "geth"], ["run", "x.yaml", "--seed", "-1"], []]) {
      const c = capture()
      expect(await runSimCli(argv, c.io), argv.join(" ")).toBe(2)
    }
    const c = capture()
    expect(await runSimCli(["--help"], c.io)).toBe(0)
    expect(c.out[0]).toMatch(/^usage: dotdns sim/)
  })
})
