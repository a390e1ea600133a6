/**
 * `dotdns start` as a user runs it: the real `node bin/dotdns.js start` (its own process, which starts
 * the localnet, three miners, two witness gateways and the client as processes of their own) on
 * non-default loopback ports with a data dir in a temp folder. Debian's `dig` must get the verified
 * route within 60 s of the spawn; a route update by `dotdns demo route` must reach `dig` once its round
 * finalizes (on the real clock, no warps); SIGINT must stop everything with status 0 and free every port.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process"
import { createSocket } from "node:dgram"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { answerLines, dig, kdig } from "../../client/test/world.ts"
import { DOTDNS_BIN, readState } from "../Demo.ts"

const tcpFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = createServer()
    s.once("error", () => resolve(false))
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)))
  })
const udpFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = createSocket("udp4")
    s.once("error", () => resolve(false))
    s.bind(port, "127.0.0.1", () => s.close(() => resolve(true)))
  })

/**
 * Seven ports below Linux's ephemeral range (so nothing bound to port 0 meanwhile takes them): the RPC
 * port and the next one (PubSub), three miners, DNS (TCP and UDP), DoH https and http.
 */
const pickPorts = async () => {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 1_200) * 10
    const ports = Array.from({ length: 8 }, (_, i) => base + i)
    const ok = (await Promise.all(ports.map(tcpFree))).every(Boolean) && (await udpFree(base + 5))
    if (ok) return { rpc: base, miners: [base + 2, base + 3, base + 4], dns: base + 5, doh: base + 6, dohHttp: base + 7, all: ports }
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const dataDir = mkdtempSync(join(tmpdir(), "dotdns-start-"))
let proc: ChildProcess | undefined
let output = ""

afterAll(() => {
  // a failed run must not leave the demo's processes behind
  const state = readState(dataDir)
  if (proc?.exitCode === null) proc.kill("SIGKILL")
  for (const c of state?.children ?? []) if (alive(c.pid)) process.kill(-c.pid, "SIGKILL")
  rmSync(dataDir, { recursive: true, force: true })
})

describe("dotdns start", () => {
  it("names its default ports in --help", () => {
    const r = spawnSync(process.execPath, [DOTDNS_BIN, "start", "--help"], { encoding: "utf8" })
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/--rpc-port N .*default 8899\)/)
    expect(r.stdout).toMatch(/PubSub listens on N\+1/)
    expect(r.stdout).toMatch(/--miner-ports A,B,C .*default 7101,7102,7103\)/)
    expect(r.stdout).toMatch(/--dns-port N .*default 5353\)/)
    expect(r.stdout).toMatch(/--doh-port N .*default 8443\)/)
    expect(r.stdout).toMatch(/--doh-http-port N .*default 8053\)/)
    const top = spawnSync(process.execPath, [DOTDNS_BIN, "--help"], { encoding: "utf8" })
    expect(top.stdout).toMatch(/^ {2}start +run everything on loopback/m)
    expect(top.stdout).toMatch(/^ {2}demo +update a demo name's route/m)
    const bad = spawnSync(process.execPath, [DOTDNS_BIN, "start", "--dns-port", "x"], { encoding: "utf8" })
    expect([bad.status, bad.stderr]).toEqual([2, expect.stringContaining("--dns-port needs a port number")])
  })

  it(
    "answers dig within 60 s of the spawn, follows a route update, and stops cleanly on SIGINT",
    async () => {
      const p = await pickPorts()
      const t0 = Date.now()
      const child = spawn(
        process.execPath,
        [DOTDNS_BIN, "start", "--data-dir", dataDir, "--rpc-port", String(p.rpc), "--miner-ports", p.miners.join(","), "--dns-port", String(p.dns), "--doh-port", String(p.doh), "--doh-http-port", String(p.dohHttp)],
        { stdio: ["ignore", "pipe", "pipe"] }
      )
      proc = child
      child.stdout!.on("data", (d) => (output += d))
      child.stderr!.on("data", (d) => (output += d))
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })))
      let gone = false
      void exited.then(() => (gone = true))

      // the "ready" line
      while (!/dotdns start: ready in/.test(output)) {
        if (gone) throw new Error(`dotdns start exited before it was ready:\n${output}`)
        if (Date.now() - t0 > 60_000) throw new Error(`not ready after 60 s:\n${output}`)
        await sleep(100)
      }
      const readyMs = Date.now() - t0

      // Debian's dig, over UDP: the verified route
      const answer = await dig(p.dns, "hello.dns", "A")
      const firstAnswerMs = Date.now() - t0
      expect(answer.stdout, output).toMatch(/status: NOERROR/)
      expect(answerLines(answer.stdout)).toEqual([expect.stringMatching(/^hello\.dns\. \d+ IN A 10\.0\.0\.1$/)])
      expect(firstAnswerMs).toBeLessThan(60_000)
      // the other transports and names the ready text advertises
      expect(answerLines((await dig(p.dns, "www.hello.dns", "A", "+tcp")).stdout)).toEqual([
        expect.stringMatching(/^www\.hello\.dns\. \d+ IN CNAME hello\.dns\.$/),
        expect.stringMatching(/^hello\.dns\. \d+ IN A 10\.0\.0\.1$/)
      ])
      expect((await dig(p.dns, "mail.dns", "AAAA", "+short")).stdout.trim()).toBe("2001:db8::25")
      expect((await dig(p.dohHttp, "+http-plain", "hello.dns", "A", "+short")).stdout.trim()).toBe("10.0.0.1")
      expect((await kdig("@127.0.0.1", "-p", String(p.doh), "+https", "hello.dns", "A", "+short")).stdout.trim()).toBe("10.0.0.1")
      expect(output).toContain(`dig @127.0.0.1 -p ${p.dns} hello.dns A`)

      // the owner updates the route; nothing is warped any more: witnesses, aggregation, round, finality
      const state = readState(dataDir)!
      expect(state.children.map((c) => c.name).sort()).toEqual(["client", "localnet", "miner-1", "miner-2", "miner-3", "witness-1", "witness-2"])
      const tUpdate = Date.now()
      const update = spawnSync(process.execPath, [DOTDNS_BIN, "demo", "route", "hello.dns", "10.0.0.2", "--data-dir", dataDir], { encoding: "utf8" })
      expect(update.status, update.stderr + update.stdout).toBe(0)
      expect(update.stdout).toMatch(/published hello\.dns serial 2: A 10\.0\.0\.2/)
      let updatedMs: number | undefined
      while (Date.now() - tUpdate < 75_000) {
        const r = await dig(p.dns, "hello.dns", "A", "+short")
        if (r.stdout.trim() === "10.0.0.2") {
          updatedMs = Date.now() - tUpdate
          break
        }
        expect(r.stdout.trim()).toBe("10.0.0.1") // the old route until the new one is canonical, never anything else
        await sleep(1000)
      }
      expect(updatedMs, output).toBeDefined()
      // the orchestrator's watcher of the Name accounts (it polls once a second) reports it too
      for (let i = 0; i < 30 && !/hello\.dns: serial 2 is canonical now/.test(output); i++) await sleep(100)
      expect(output).toMatch(/hello\.dns: serial 2 is canonical now/)

      // Ctrl-C: every child stopped, exit 0, every port free
      child.kill("SIGINT")
      const status = await Promise.race([exited, sleep(45_000).then(() => undefined)])
      expect(status, output).toEqual({ code: 0, signal: null })
      expect(output).toMatch(/\[start\] stopped after [\d.]+ s; every port is free/)
      for (const c of state.children) expect(alive(c.pid), `${c.name} (pid ${c.pid}) still running`).toBe(false)
      for (const port of p.all) expect(await tcpFree(port), `port ${port}`).toBe(true)
      expect(await udpFree(p.dns)).toBe(true)
      expect(readState(dataDir)).toBeUndefined()
      console.log(`dotdns start: ready after ${readyMs} ms, dig answered after ${firstAnswerMs} ms; the route update reached dig after ${updatedMs} ms`)
      expect(readFileSync(join(dataDir, "keys", "owner.json"), "utf8")).toMatch(/^\[(\d+,){63}\d+\]$/)
    },
    200_000
  )
})
