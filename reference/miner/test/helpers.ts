/**
 * Test fixtures: witnesses and owners with deterministic keys, signed receipts and route records, miner
 * config files, and a real miner process (`node reference/miner/cli-main.ts start`) on a free port.
 */
import { spawn, type ChildProcess } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import type { SignedReceipt } from "../../../spec/src/aggregate.ts"
import { hex } from "../../../spec/src/bytes.ts"
import { keypairFromSeed, sign, type Keypair } from "../../../spec/src/ed25519.ts"
import { nameHash } from "../../../spec/src/name.ts"
import {
  encodeRouteRecord, RECORD_TYPE, receiptDigest, routeAuthDigest, routeAuthOf, routeHash, type RouteRecord
} from "../../../spec/src/objects.ts"
import { keypairFileText } from "../Identity.ts"
import { encodeBinaryBatch, encodeFramedBatch } from "../Ingest.ts"
import { freePort } from "./postgres.ts"

export const CLI_MAIN = fileURLToPath(new URL("../cli-main.ts", import.meta.url))

export const keypair = (label: string, i = 0): Keypair => {
  const seed = new Uint8Array(32)
  const text = new TextEncoder().encode(`${label}/${i}`)
  seed.set(text.subarray(0, 32))
  seed[31] ^= i & 0xff
  seed[30] ^= (i >> 8) & 0xff
  return keypairFromSeed(seed)
}

export const witnesses = (n: number, label = "witness"): Keypair[] => Array.from({ length: n }, (_, i) => keypair(label, i))

export const signReceipt = (kp: Keypair, epoch: bigint, name: string, route: Uint8Array): SignedReceipt => {
  const receipt = { epoch, nameHash: nameHash(name), routeHash: route, witness: kp.publicKey }
  return { receipt, signature: sign(kp, receiptDigest(receipt)) }
}

/** The JSON form of a signed receipt in a POST /v1/receipts batch. */
export const receiptInput = (r: SignedReceipt) => ({
  receipt: { epoch: r.receipt.epoch.toString(), nameHash: hex(r.receipt.nameHash), routeHash: hex(r.receipt.routeHash), witness: hex(r.receipt.witness) },
  signature: hex(r.signature)
})

export const routeOf = (name: string, owner: Keypair, serial: bigint, ip: readonly number[] = [10, 0, 0, 1]): RouteRecord => ({
  name,
  serial,
  ttl: 300,
  records: [{ type: RECORD_TYPE.A, data: Uint8Array.from(ip) }],
  owner: owner.publicKey
})

export const signedRoute = (record: RouteRecord, signer: Keypair) => ({
  encoding: hex(encodeRouteRecord(record)),
  signature: hex(sign(signer, routeAuthDigest(routeAuthOf(record))))
})

export const routeHashOf = (record: RouteRecord): Uint8Array => routeHash(record)

export { encodeBinaryBatch, encodeFramedBatch }

// ------------------------------------------------------------------------------------------- process

export interface DevChain {
  readonly epoch: bigint
  readonly witnesses: readonly { readonly key: Uint8Array; readonly stake: bigint }[]
  /** `serial` and `routeHash` are the name's canonical state (a finalized route), zero by default. */
  readonly names: readonly { readonly name: string; readonly owner: Uint8Array; readonly serial?: bigint; readonly routeHash?: Uint8Array }[]
}

export interface MinerOptions {
  readonly dev?: DevChain
  /** `rpc` mode against these URLs instead of dev-fixed. */
  readonly rpc?: { readonly urls: readonly string[]; readonly programId: string }
  readonly storage?: { readonly kind: "sqlite" } | { readonly kind: "postgres"; readonly url: string }
  readonly http?: { readonly maxBodyBytes?: number; readonly maxBatch?: number }
  readonly verifyWorkers?: number
  /** Reuse a directory (restarts); a fresh temp dir otherwise. */
  readonly dir?: string
  readonly identity?: Keypair
  readonly env?: Record<string, string>
}

export const minerConfigYaml = (o: MinerOptions & { readonly port: number }): string => {
  const lines = [
    "identity: identity.json",
    `http: { host: 127.0.0.1, port: ${o.port}, max_body_bytes: ${o.http?.maxBodyBytes ?? 8 * 1024 * 1024}, max_batch: ${o.http?.maxBatch ?? 20000} }`,
    "data_dir: data",
    `verify: { workers: ${o.verifyWorkers ?? 2} }`,
    "log: { level: info, format: json }"
  ]
  if (o.storage?.kind === "postgres") lines.push(`storage: { kind: postgres, url: "${o.storage.url}" }`)
  if (o.rpc) {
    lines.push(`program_id: ${o.rpc.programId}`, `rpc: { urls: [${o.rpc.urls.map((u) => `"${u}"`).join(", ")}], commitment: processed }`, "chain: { mode: rpc }")
  } else {
    const dev = o.dev!
    lines.push("chain:", "  mode: dev-fixed", `  epoch: ${dev.epoch}`, dev.witnesses.length === 0 ? "  witnesses: []" : "  witnesses:")
    for (const w of dev.witnesses) lines.push(`    - { key: "${hex(w.key)}", stake: "${w.stake}" }`)
    lines.push(dev.names.length === 0 ? "  names: []" : "  names:")
    for (const n of dev.names)
      lines.push(`    - { name: ${n.name}, owner: "${hex(n.owner)}", serial: "${n.serial ?? 0n}"${n.routeHash ? `, route_hash: "${hex(n.routeHash)}"` : ""} }`)
  }
  return lines.join("\n") + "\n"
}

export interface MinerProcess {
  readonly url: string
  readonly port: number
  readonly dir: string
  readonly identity: Keypair
  readonly proc: ChildProcess
  readonly output: () => string
  /** Resolves with the exit code (or signal name). */
  readonly exited: Promise<number | string>
  /** SIGTERM and wait. */
  stop(): Promise<number | string>
  kill9(): Promise<number | string>
}

/** Children still running; killed if the test process exits first, so no miner outlives its test run. */
const live = new Set<ChildProcess>()
process.once("exit", () => {
  for (const p of live) p.kill("SIGKILL")
})

export const startMiner = async (o: MinerOptions): Promise<MinerProcess> => {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), "dotdns-miner-"))
  const port = await freePort()
  const identity = o.identity ?? keypair("miner", port)
  writeFileSync(join(dir, "identity.json"), keypairFileText(identity))
  const config = join(dir, "miner.yaml")
  writeFileSync(config, minerConfigYaml({ ...o, port }))
  const proc = spawn(process.execPath, [CLI_MAIN, "start", "--config", config], {
    env: { ...process.env, ...o.env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let out = ""
  proc.stdout!.on("data", (d) => (out += d))
  proc.stderr!.on("data", (d) => (out += d))
  live.add(proc)
  const exited = new Promise<number | string>((resolve) =>
    proc.once("exit", (code, signal) => {
      live.delete(proc)
      resolve(code ?? signal ?? -1)
    })
  )
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 30_000
  let ready = false
  let gone = false
  void exited.then(() => (gone = true))
  while (!ready && !gone && Date.now() < deadline) {
    try {
      ready = (await fetch(`${url}/healthz`)).ok
    } catch {
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  if (!ready) {
    proc.kill("SIGKILL")
    throw new Error(`miner did not start:\n${out}`)
  }
  return {
    url,
    port,
    dir,
    identity,
    proc,
    output: () => out,
    exited,
    stop: async () => {
      proc.kill("SIGTERM")
      // A miner that does not finish its graceful shutdown in time is a failure, but never a leak.
      const timer = setTimeout(() => proc.kill("SIGKILL"), 15_000)
      const code = await exited
      clearTimeout(timer)
      return code
    },
    kill9: async () => {
      proc.kill("SIGKILL")
      return exited
    }
  }
}

export const removeDir = (dir: string): void => rmSync(dir, { recursive: true, force: true })

// ---------------------------------------------------------------------------------------------- HTTP

export interface Answer<T = unknown> {
  readonly status: number
  readonly body: T
  readonly headers: Headers
}

export const postJson = async <T = any>(url: string, body: unknown): Promise<Answer<T>> => {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body) })
  const text = await res.text()
  return { status: res.status, body: text.length > 0 ? JSON.parse(text) : undefined, headers: res.headers }
}

export const postBinary = async <T = any>(url: string, bytes: Uint8Array, contentType = "application/octet-stream"): Promise<Answer<T>> => {
  const res = await fetch(url, { method: "POST", headers: { "content-type": contentType }, body: bytes })
  const text = await res.text()
  return { status: res.status, body: text.length > 0 ? JSON.parse(text) : undefined, headers: res.headers }
}

export const getJson = async <T = any>(url: string, headers: Record<string, string> = {}): Promise<Answer<T>> => {
  const res = await fetch(url, { headers })
  const text = await res.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: body as T, headers: res.headers }
}
