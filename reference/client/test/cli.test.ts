/**
 * `dotdns resolve` and `dotdns client start`: in-process through `runResolveCli`/`runClientCli`, and
 * `dotdns client start` as a separate process (`bin/dotdns.js`) answering dig, stopped by SIGTERM.
 */
import { spawn } from "node:child_process"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runClientCli, runResolveCli, RESOLVE_EXIT, type CliIo } from "../cli.ts"
import { answerLines, dig, startWorld, tempDir, type TestWorld } from "./world.ts"

const BIN = fileURLToPath(new URL("../../../bin/dotdns.js", import.meta.url))

let world: TestWorld
let configFile: string
/** The same, with the lying miner as the only miner. */
let liarConfig: string
let dataDir: string

const capture = (env: Record<string, string | undefined> = {}) => {
  const out: string[] = []
  const err: string[] = []
  const io: CliIo = { stdout: (l) => out.push(l), stderr: (l) => err.push(l), env }
  return { io, out, err }
}

beforeAll(async () => {
  world = await startWorld()
  const dir = tempDir("cli")
  world.dataDirs.push(dir)
  dataDir = join(dir, "data")
  configFile = join(dir, "client.yaml")
  writeFileSync(
    configFile,
    [
      "# test client",
      `data_dir: ${dataDir}`,
      "rpc:",
      `  urls: [${world.chain.rpcUrl}]`,
      "miners:",
      `  urls: [${world.miner.url}]`,
      "  feeds: false",
      "dns:",
      "  port: 0",
      "doh:",
      "  https: { port: 0 }",
      "  http: { port: 0 }",
      "log: { level: warn }",
      ""
    ].join("\n")
  )
  liarConfig = join(dir, "liar.yaml")
  writeFileSync(liarConfig, [`data_dir: ${join(dir, "liar-data")}`, "rpc:", `  urls: [${world.chain.rpcUrl}]`, "miners:", `  urls: [${world.liar.url}]`, "  feeds: false", ""].join("\n"))
})
afterAll(async () => {
  await world?.close()
})

describe("dotdns resolve", () => {
  it("prints the answer and every verification step, then a cache hit", async () => {
    const a = capture()
    expect(await runResolveCli(["hello.dns", "--config", configFile, "--type", "A"], a.io)).toBe(RESOLVE_EXIT.answered)
    const text = a.out.join("\n")
    expect(text).toMatch(/^hello\.dns\.\t\d+\tIN\tA\t127\.0\.0\.1$/m)
    expect(text).toMatch(/^;; cache: miss$/m)
    expect(text).toMatch(new RegExp(`^;; miner: ${world.miner.url}$`, "m"))
    expect(text).toMatch(/^;; signature: ok \(owner \w+ signed serial 1\)$/m)
    expect(text).toMatch(/^;; on-chain owner: \w+ \(Name account \w+\) — matches$/m)
    expect(text).toMatch(/^;; canonical route_hash: [0-9a-f]{64} \(finalized in epoch 2\) — matches$/m)
    // the verified route was persisted in the data dir: the next run is a cache hit
    const b = capture()
    expect(await runResolveCli(["hello.dns", "-c", configFile, "--json"], b.io)).toBe(0)
    const json = JSON.parse(b.out[0]!) as { status: string; answers: { type: string; data: string }[]; verification: { cache: string; signature: string } }
    expect(json.status).toBe("NOERROR")
    expect(json.verification).toMatchObject({ cache: "hit", signature: "ok", ownerMatch: true, routeHashMatch: true })
    expect(json.answers.map((x) => `${x.type} ${x.data}`)).toEqual(["A 127.0.0.1", "AAAA ::1", 'TXT "hello from dotdns"', "HTTPS \\# 10 00010000010003026832"])
  })

  it("--trace lists RPC reads, the miner, signature, owner and hash checks", async () => {
    const c = capture()
    expect(await runResolveCli(["Alias.DNS.", "-c", configFile, "--trace", "--fresh"], c.io)).toBe(0)
    const steps = c.out.filter((l) => /^[✓✗] /.test(l)).map((l) => l.slice(2).split(/\s+/)[0])
    expect(steps).toEqual(["normalize", "rpc", "chain", "miner", "signature", "owner", "route_hash"])
    expect(c.out.join("\n")).toMatch(/✓ rpc +http:\/\/127\.0\.0\.1:\d+ @\d+: owner \w+, route_hash [0-9a-f]{64}, serial 1/)
    expect(c.out.join("\n")).toMatch(/^alias\.dns\.\t\d+\tIN\tCNAME\thello\.dns\.$/m)
  })

  it("exits 1 with the EDE on a verification failure and 3 on NXDOMAIN", async () => {
    const bad = capture()
    expect(await runResolveCli(["bad.dns", "-c", liarConfig, "--json", "--trace"], bad.io)).toBe(RESOLVE_EXIT.servfail)
    const j = JSON.parse(bad.out[0]!) as { status: string; ede: { code: number; text: string }; trace: { step: string; ok: boolean }[] }
    expect(j.status).toBe("SERVFAIL")
    expect(j.ede.code).toBe(24)
    expect(j.ede.text).toMatch(/^dotdns CLI-4: /)
    expect(j.trace.at(-1)).toMatchObject({ step: "verification", ok: false })
    const nx = capture()
    expect(await runResolveCli(["nope.dns", "-c", configFile], nx.io)).toBe(RESOLVE_EXIT.nxdomain)
    expect(nx.out[0]).toBe(";; nope.dns ANY: NXDOMAIN")
  })

  it("reports usage and config errors clearly", async () => {
    const u = capture()
    expect(await runResolveCli([], u.io)).toBe(2)
    expect(u.err[0]).toMatch(/give a name to resolve/)
    const notDns = capture()
    expect(await runResolveCli(["example.com"], notDns.io)).toBe(2)
    expect(notDns.err[0]).toMatch(/example\.com is not a \.dns name/)
    const bad = join(tempDir("badcfg"), "c.yaml")
    writeFileSync(bad, "rpc:\n  urls: [ftp://nope]\n")
    const c = capture()
    expect(await runResolveCli(["hello.dns", "-c", bad], c.io)).toBe(2)
    expect(c.err[0]).toMatch(/c\.yaml:2: rpc\.urls\.0: Expected an http\(s\) URL/)
    const e = capture({ DOTDNS_CLIENT_RPC_MIN_ANSWERS: "zero" })
    expect(await runResolveCli(["hello.dns", "-c", configFile], e.io)).toBe(2)
    expect(e.err[0]).toMatch(/environment: rpc\.min_answers \(from DOTDNS_CLIENT_RPC_MIN_ANSWERS\)/)
  })
})

describe("dotdns client start", () => {
  it("runs in-process until stopped and prints its endpoints first", async () => {
    const c = capture()
    let stop!: () => void
    const stopped = new Promise<void>((r) => (stop = r))
    const done = runClientCli(["start", "-c", configFile], c.io, { stopSignal: stopped })
    while (c.out.length === 0) await new Promise((r) => setTimeout(r, 20))
    const info = JSON.parse(c.out[0]!) as { dns: string; https: string; http: string; certificate: { path: string } }
    const port = Number(info.dns.split(":")[1])
    expect(answerLines((await dig(port, "hello.dns", "A")).stdout)).toHaveLength(1)
    expect(info.https).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/dns-query$/)
    expect(info.certificate.path).toBe(join(dataDir, "tls", "doh-cert.pem"))
    stop()
    expect(await done).toBe(0)
  })

  it("runs as a process of its own: answers dig, stops on SIGTERM with status 0", async () => {
    const child = spawn(process.execPath, [BIN, "client", "start", "--config", configFile], { stdio: ["ignore", "pipe", "pipe"] })
    const stderr: string[] = []
    child.stderr.on("data", (d: Buffer) => stderr.push(String(d)))
    const first = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once("line", resolve)
      child.once("exit", (code) => reject(new Error(`exited ${code}: ${stderr.join("")}`)))
    })
    const info = JSON.parse(first) as { dns: string; pid: number }
    expect(info.pid).toBe(child.pid)
    const port = Number(info.dns.split(":")[1])
    expect(answerLines((await dig(port, "alias.dns", "A")).stdout)).toHaveLength(2)
    const code = await new Promise<number | null>((resolve) => {
      child.once("exit", resolve)
      child.kill("SIGTERM")
    })
    expect(code).toBe(0)
  })

  it("fails with a clear message when its port is taken", async () => {
    const busy = capture()
    let stop!: () => void
    const stopped = new Promise<void>((r) => (stop = r))
    const first = runClientCli(["start", "-c", configFile], busy.io, { stopSignal: stopped })
    while (busy.out.length === 0) await new Promise((r) => setTimeout(r, 20))
    const port = Number((JSON.parse(busy.out[0]!) as { dns: string }).dns.split(":")[1])
    const second = capture({ DOTDNS_CLIENT_DNS_PORT: String(port) })
    expect(await runClientCli(["start", "-c", configFile], second.io)).toBe(1)
    expect(second.err.join("\n")).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}/udp.*EADDRINUSE|EADDRINUSE.*${port}`))
    stop()
    await first
  })
})
