/**
 * The adapter protocol [CNF-1], [CNF-2], [CNF-3] from the suite's side: strict parsing, hello, answers
 * matched by id, per-request deadlines, crashes and protocol violations reported and survived, an
 * adapter whose version has no vectors refused, and operations an adapter does not offer reported as
 * not run — never as passed.
 */
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { Adapter, AdapterStartError } from "../suite/adapter.ts"
import { canonical, parseAnswer, parseHello, ProtocolViolation, versionCompatible } from "../suite/protocol.ts"
import { runConformance } from "../suite/run.ts"

const FAKE = fileURLToPath(new URL("./support/fake-adapter.ts", import.meta.url))
const fake = (mode: string): string => `${JSON.stringify(process.execPath)} ${JSON.stringify(FAKE)} ${mode}`
const start = (mode: string, timeoutMs = 5000, helloTimeoutMs?: number) =>
  Adapter.start({ command: fake(mode), timeoutMs, ...(helloTimeoutMs !== undefined ? { helloTimeoutMs } : {}) })
const HASH = { tag: "dotdns/v1/leaf", bytes: "00" }

describe("protocol lines", () => {
  it("parses a hello and refuses anything else [CNF-1]", () => {
    expect(parseHello('{"hello":{"spec":"1.0.0","implementation":"x","ops":["hash"]}}')).toEqual({ spec: "1.0.0", implementation: "x", ops: ["hash"] })
    expect(() => parseHello('{"hello":{"spec":"1.0.0","ops":["hash"]}}')).toThrow(/implementation/)
    expect(() => parseHello('{"hello":{"spec":"v1","implementation":"x","ops":[]}}')).toThrow(/MAJOR.MINOR.PATCH/)
    expect(() => parseHello('{"hello":{"spec":"1.0.0","implementation":"x","ops":["a","a"]}}')).toThrow(/twice/)
    expect(() => parseHello('{"id":1,"output":{}}')).toThrow(ProtocolViolation)
  })

  it("parses answers strictly [CNF-2]", () => {
    expect(parseAnswer('{"id":3,"output":{"digest":"ab"}}')).toEqual({ id: 3, answer: { output: { digest: "ab" } } })
    expect(parseAnswer('{"id":4,"error":{"rule":"MRK-5","message":"no"}}')).toEqual({ id: 4, answer: { error: { rule: "MRK-5", message: "no" } } })
    for (const bad of ['{"output":{}}', '{"id":1}', '{"id":1,"output":{},"extra":1}', '{"id":1,"error":{"rule":"X"}}', '{"id":1,"output":3}', "nope"])
      expect(() => parseAnswer(bad), bad).toThrow(ProtocolViolation)
  })

  it("compares outputs as canonical JSON: key order is free, values are not", () => {
    expect(canonical({ b: 1, a: [{ d: "x", c: null }] })).toBe(canonical({ a: [{ c: null, d: "x" }], b: 1 }))
    expect(canonical({ a: "1" })).not.toBe(canonical({ a: 1 }))
  })

  it("runs an adapter only against vectors of its major version, not newer than the suite", () => {
    expect(versionCompatible("1.0.0", "1.0.0")).toBe(true)
    expect(versionCompatible("1.0.0", "1.2.0")).toBe(true)
    expect(versionCompatible("1.3.0", "1.2.0")).toBe(false)
    expect(versionCompatible("2.0.0", "1.0.0")).toBe(false)
  })
})

describe("the adapter process", () => {
  it("reports an adapter that exits before its hello, with its stderr", async () => {
    const e = await start("no-hello").catch((x: unknown) => x)
    expect(e).toBeInstanceOf(AdapterStartError)
    expect((e as Error).message).toMatch(/exited with code 3 before its hello line/)
    expect((e as Error).message).toMatch(/boom: no hello today/)
  })

  it("refuses a malformed hello and times out a silent adapter", async () => {
    await expect(start("bad-hello")).rejects.toThrow(/hello.implementation/)
    await expect(start("silent", 5000, 400)).rejects.toThrow(/no hello line within 400 ms/)
  })

  it("matches answers by id when they come out of order", async () => {
    const a = await start("reverse")
    try {
      const [x, y] = await Promise.all([a.request("name_hash", { name: "a.dns" }), a.request("name_hash", { name: "b.dns" })])
      expect(x.kind === "answer" && y.kind === "answer").toBe(true)
      if (x.kind !== "answer" || y.kind !== "answer") return
      expect(x.answer).not.toEqual(y.answer)
      expect(x.answer).toEqual({ output: { digest: expect.any(String) } })
    } finally {
      await a.close()
    }
  })

  it("times out a hanging request, then carries on with a fresh adapter", async () => {
    const a = await start("hang-on:hash", 300)
    try {
      const r = await a.request("hash", HASH)
      expect(r).toMatchObject({ kind: "timeout", message: expect.stringMatching(/no answer within 300 ms/) })
      const next = await a.request("name_hash", { name: "a.dns" })
      expect(next.kind).toBe("answer")
      expect(a.restartCount).toBe(1)
    } finally {
      await a.close()
    }
  })

  it("reports a crash with the adapter's stderr, then restarts it", async () => {
    const a = await start("crash-on:hash")
    try {
      const r = await a.request("hash", HASH)
      expect(r.kind).toBe("crash")
      if (r.kind !== "crash") return
      expect(r.message).toMatch(/exited with code 9 while answering request \d+ \(hash\)/)
      expect(r.message).toMatch(/crashing on purpose/)
      expect((await a.request("name_hash", { name: "a.dns" })).kind).toBe("answer")
      expect(a.incidents.some((i) => i.includes("adapter restarted"))).toBe(true)
    } finally {
      await a.close()
    }
  })

  it("reports a line that is not an answer as a protocol violation [CNF-2]", async () => {
    const a = await start("garbage-on:hash")
    try {
      const r = await a.request("hash", HASH)
      expect(r).toMatchObject({ kind: "violation", message: expect.stringMatching(/not JSON/) })
      expect(a.incidents.some((i) => i.startsWith("protocol violation"))).toBe(true)
    } finally {
      await a.close()
    }
  })
})

describe("a run", () => {
  const quiet = () => undefined

  it("refuses an adapter stating a version this suite has no vectors for [CNF-1]", async () => {
    const r = await runConformance({ adapter: fake("spec:2.0.0"), spec: "v1", only: [], profile: "default", seed: 1, runs: 5, timeoutMs: 5000, log: quiet })
    expect(r.exitCode).toBe(1)
    expect(r.report.checks).toEqual([expect.objectContaining({ area: "adapter", name: "hello", status: "failed", reason: expect.stringMatching(/states spec 2.0.0.*refuses/) })])
  })

  it("fails when vector files go unread because the adapter does not offer their operations [CNF-3]", async () => {
    const r = await runConformance({ adapter: fake("ok:hash,name_hash"), spec: "v1", only: [], profile: "default", seed: 1, runs: 5, timeoutMs: 5000, log: quiet })
    expect(r.exitCode).toBe(1)
    const cnf3 = r.report.checks.find((c) => c.area === "consumption")!
    expect(cnf3.status).toBe("failed")
    expect(cnf3.details!.join("\n")).toMatch(/not consumed: op apply not offered/)
    // What it does offer passes; what it does not is not run, never passed.
    expect(r.report.checks.find((c) => c.part === "properties" && c.name === "hash")?.status).toBe("passed")
    expect(r.report.checks.find((c) => c.part === "properties" && c.name === "verify_inclusion")).toMatchObject({ status: "not-run", reason: "the adapter does not offer verify_inclusion" })
    expect(r.report.checks.filter((c) => c.part === "vectors" && c.status === "passed").every((c) => /^(hash|name_hash)-/.test(c.name))).toBe(true)
    expect(r.summary).toMatch(/verdict: FAIL/)
    expect(r.summary).toMatch(/operations the adapter does not offer: .*verify_inclusion/)
  })

  it("passes as partial when --only narrowed the run to what the adapter offers", async () => {
    const r = await runConformance({ adapter: fake("ok:hash,name_hash"), spec: "v1", only: ["hash,name_hash"], profile: "default", seed: 1, runs: 5, timeoutMs: 5000, log: quiet })
    expect(r.exitCode).toBe(0)
    expect(r.report.checks.find((c) => c.area === "consumption")).toMatchObject({ status: "not-run", reason: expect.stringMatching(/partial run \(--only\)/) })
    expect(r.summary).toMatch(/verdict: PARTIAL — restricted to hash,name_hash; not a conformance pass/)
  })
})
