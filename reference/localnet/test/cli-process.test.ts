/** The CLI as its own process, shared by other processes, persisted across a SIGTERM restart. */
import { execFile } from "node:child_process"
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { Connection, Keypair, PublicKey } from "@solana/web3.js"
import { afterAll, describe, expect, it } from "vitest"
import { parseLocalnetArgs, runLocalnetCli } from "../cli.ts"
import { CLI_MAIN, REPO, spawnLocalnet, type SpawnedLocalnet } from "./helpers.ts"

const run = promisify(execFile)
const CLIENT = fileURLToPath(new URL("./transfer-client.ts", import.meta.url))
const dir = mkdtempSync(join(tmpdir(), "dotdns-localnet-cli-"))
const running: SpawnedLocalnet[] = []

afterAll(async () => {
  await Promise.all(running.map((r) => r.stop()))
  rmSync(dir, { recursive: true, force: true })
})

describe("dotdns localnet (separate process)", () => {
  it("serves several client processes one chain and keeps it across a restart", async () => {
    const snapshot = join(dir, "chain.json")
    const node = await spawnLocalnet(["--snapshot", snapshot, "--slot-time", "50"])
    running.push(node)
    expect(node.rpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(Number(new URL(node.wsUrl).port)).toBe(Number(new URL(node.rpcUrl).port) + 1)

    const to = Keypair.generate().publicKey
    const clients = await Promise.all(
      [1, 2, 3].map((i) => run(process.execPath, [CLIENT, node.rpcUrl, to.toBase58(), String(i * 1_000_000)], { cwd: REPO, timeout: 30_000 }))
    )
    const signatures = clients.map((c) => (JSON.parse(c.stdout) as { signature: string }).signature)
    const connection = new Connection(node.rpcUrl, "confirmed")
    expect(await connection.getBalance(to)).toBe(6_000_000)
    const statuses = await connection.getSignatureStatuses(signatures)
    expect(statuses.value.every((s) => s?.err === null)).toBe(true)

    expect(await node.stop()).toBe(0)
    expect(existsSync(snapshot)).toBe(true)
    expect(node.stderr()).toContain("SIGTERM")

    const restarted = await spawnLocalnet(["--snapshot", snapshot])
    running.push(restarted)
    expect(await new Connection(restarted.rpcUrl, "confirmed").getBalance(new PublicKey(to))).toBe(6_000_000)
    expect(await restarted.stop()).toBe(0)
  })

  it("exits 2 on bad usage and prints help", async () => {
    const bad = await run(process.execPath, [CLI_MAIN, "--rpc-port", "nope"], { cwd: REPO }).catch((e: { code: number; stderr: string }) => e)
    expect(bad).toMatchObject({ code: 2 })
    expect((bad as { stderr: string }).stderr).toContain("--rpc-port needs a non-negative integer")
    const lines: string[] = []
    expect(await runLocalnetCli(["--help"], { stdout: (l) => lines.push(l), stderr: (l) => lines.push(l) })).toBe(0)
    expect(lines.join("\n")).toContain("--snapshot FILE")
    expect(await runLocalnetCli(["--frobnicate"], { stdout: () => {}, stderr: () => {} })).toBe(2)
  })

  it("parses its options", () => {
    const id = "12H1cRD4EpyY7dRf746cDk8fucn4nCbBJP6wE5en6M5y"
    expect(parseLocalnetArgs(["--rpc-port=0", "--slot-time", "0", "--faucet-lamports", "18446744073709551615", "--bpf-program", id, "x.so"]).options).toEqual({
      rpcPort: 0,
      slotTimeMs: 0,
      faucetLamports: 18446744073709551615n,
      programs: [{ programId: id, soPath: "x.so" }]
    })
    expect(parseLocalnetArgs(["--no-dotdns-program"]).options.programs).toEqual([])
    expect(parseLocalnetArgs([]).options.programs).toBeUndefined()
    expect(() => parseLocalnetArgs(["--faucet-lamports", "18446744073709551616"])).toThrow("u64")
    expect(() => parseLocalnetArgs(["--slots-per-epoch", "8"])).toThrow("between 32")
  })

  it("exits 1 when its port is taken", async () => {
    const first = await spawnLocalnet([])
    running.push(first)
    const port = new URL(first.rpcUrl).port
    const lines: string[] = []
    const code = await runLocalnetCli(["--rpc-port", port, "--no-dotdns-program"], { stdout: (l) => lines.push(l), stderr: (l) => lines.push(l) })
    expect(code).toBe(1)
    expect(lines.join("\n")).toContain("EADDRINUSE")
    await first.stop()
  })
})
