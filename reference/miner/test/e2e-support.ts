/**
 * End-to-end fixtures: a localnet (in-process, the dotdns program preloaded, the clock stopped so only
 * warps move it), protocol setup by spec ops sent over JSON-RPC (through the miner's own `ChainTx`),
 * real miner processes (`cli-main.ts start`, rpc mode, peers wired to each other) and CLI runs, and a
 * JSON-RPC proxy that counts each miner's `submit_aggregate` sends and can swallow answers (an RPC
 * outage after the transaction landed).
 */
import { spawn, type ChildProcess } from "node:child_process"
import { createServer, type Server } from "node:http"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fromBase58, toBase58 } from "../../../programs/client/base58.ts"
import { DEV_PROGRAM_ID, DEV_PROGRAM_ID_BASE58 } from "../../../programs/client/program-id.ts"
import { hex } from "../../../spec/src/bytes.ts"
import type { Keypair } from "../../../spec/src/ed25519.ts"
import type { BuiltAggregate } from "../../../spec/src/aggregate.ts"
import { AggregateStatementJson, LeafJson, SignedReceiptJson, SumNodeJson, toJson } from "../../../spec/src/json.ts"
import { aggregateDigest, encodeAggregate } from "../../../spec/src/objects.ts"
import { startLocalnet, type Localnet } from "../../localnet/index.ts"
import { connectDevChain, rpcMinerConfigYaml, type DevChain } from "../DevChain.ts"
import { keypairFileText } from "../Identity.ts"
import { CLI_MAIN } from "./helpers.ts"
import { freePort } from "./postgres.ts"

export { DEV_PROGRAM_ID, DEV_PROGRAM_ID_BASE58 }
export { read, SOL, until } from "../DevChain.ts"

// ------------------------------------------------------------------------------------------ chain

/** A DevChain (../DevChain.ts) over an in-process localnet of its own. */
export interface Net extends DevChain {
  readonly localnet: Localnet
  close(): Promise<void>
}

export const startNet = async (): Promise<Net> => {
  const localnet = await startLocalnet({ rpcPort: 0, slotTimeMs: 0 })
  if (!localnet.programs.some((p) => p.programId === DEV_PROGRAM_ID_BASE58)) throw new Error("the dotdns program is not built (npm run build:programs)")
  return { ...connectDevChain(localnet.rpcUrl), localnet, close: () => localnet.close() }
}

// ------------------------------------------------------------------------------------------ miners

export interface ChainMiner {
  readonly url: string
  readonly port: number
  readonly dir: string
  readonly config: string
  readonly identity: Keypair
  readonly output: () => string
  /** Resolves with the exit code (or signal name) of the current process. */
  exited(): Promise<number | string>
  stop(): Promise<number | string>
  kill9(): Promise<number | string>
  /** Starts the process again on the same directory, port and identity. */
  restart(): Promise<void>
}

const live = new Set<ChildProcess>()
process.once("exit", () => {
  for (const p of live) p.kill("SIGKILL")
})

export interface MinerSpec {
  readonly identity: Keypair
  readonly port: number
  readonly rpcUrl: string
  readonly peers: readonly string[]
  readonly tickMs?: number
  readonly extraYaml?: string
}

/** Writes miner.yaml and identity.json into a fresh directory. */
export const writeMinerDir = (m: MinerSpec): { dir: string; config: string } => {
  const dir = mkdtempSync(join(tmpdir(), "dotdns-e2e-miner-"))
  writeFileSync(join(dir, "identity.json"), keypairFileText(m.identity))
  const config = join(dir, "miner.yaml")
  writeFileSync(config, rpcMinerConfigYaml({ port: m.port, rpcUrl: m.rpcUrl, peers: m.peers, tickMs: m.tickMs ?? 150, ...(m.extraYaml === undefined ? {} : { extraYaml: m.extraYaml }) }))
  return { dir, config }
}

const spawnProcess = (config: string, sink: { out: string }) => {
  const proc = spawn(process.execPath, [CLI_MAIN, "start", "--config", config], { stdio: ["ignore", "pipe", "pipe"] })
  proc.stdout!.on("data", (d) => (sink.out += d))
  proc.stderr!.on("data", (d) => (sink.out += d))
  live.add(proc)
  const exited = new Promise<number | string>((resolve) =>
    proc.once("exit", (code, signal) => {
      live.delete(proc)
      resolve(code ?? signal ?? -1)
    })
  )
  return { proc, exited }
}

const waitHealthy = async (url: string, exited: Promise<unknown>, output: () => string): Promise<void> => {
  let gone = false
  void exited.then(() => (gone = true))
  const deadline = Date.now() + 30_000
  while (!gone && Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`miner at ${url} did not start:\n${output()}`)
}

/**
 * Starts miners whose peers are each other (plus `extraPeers`), all at once. `rpcUrl` is every miner's
 * endpoint, or one per miner (e.g. a proxy in front of one of them).
 */
export const startMiners = async (rpcUrl: string | readonly string[], identities: readonly Keypair[], extraPeers: readonly string[] = []): Promise<ChainMiner[]> => {
  const ports = await Promise.all(identities.map(() => freePort()))
  const urls = ports.map((p) => `http://127.0.0.1:${p}`)
  return Promise.all(
    identities.map(async (identity, i) => {
      const rpc = typeof rpcUrl === "string" ? rpcUrl : rpcUrl[i]!
      const { dir, config } = writeMinerDir({ identity, port: ports[i]!, rpcUrl: rpc, peers: [...urls.filter((_, j) => j !== i), ...extraPeers] })
      const sink = { out: "" }
      let current = spawnProcess(config, sink)
      const url = urls[i]!
      await waitHealthy(url, current.exited, () => sink.out)
      const m: ChainMiner = {
        url,
        port: ports[i]!,
        dir,
        config,
        identity,
        output: () => sink.out,
        exited: () => current.exited,
        stop: async () => {
          current.proc.kill("SIGTERM")
          const timer = setTimeout(() => current.proc.kill("SIGKILL"), 15_000)
          const code = await current.exited
          clearTimeout(timer)
          return code
        },
        kill9: async () => {
          current.proc.kill("SIGKILL")
          return current.exited
        },
        restart: async () => {
          current = spawnProcess(config, sink)
          await waitHealthy(url, current.exited, () => sink.out)
        }
      }
      return m
    })
  )
}

/** Runs `cli-main.ts <args>` to completion. */
export const runCli = (args: readonly string[]): Promise<{ code: number | null; out: string }> =>
  new Promise((resolve) => {
    const proc = spawn(process.execPath, [CLI_MAIN, ...args], { stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    proc.stdout!.on("data", (d) => (out += d))
    proc.stderr!.on("data", (d) => (out += d))
    proc.once("exit", (code) => resolve({ code, out }))
  })

/** The JSON log lines of a miner whose `message` matches. */
export const logLines = (output: string, message: RegExp): Record<string, unknown>[] =>
  output
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>
      } catch {
        return {}
      }
    })
    .filter((j) => {
      const m = j.message
      return message.test(Array.isArray(m) ? m.join(" ") : String(m ?? ""))
    })

// ------------------------------------------------------------------------------------------ SSE

/** Collects the events of a miner's SSE feed until `close()`. */
export const followFeed = (url: string, types: readonly string[]) => {
  const events: { cursor: string; type: string; data: unknown }[] = []
  const controller = new AbortController()
  const done = (async () => {
    try {
      const res = await fetch(`${url}/v1/feed/sse?types=${types.join(",")}`, { signal: controller.signal, headers: { accept: "text/event-stream" } })
      const reader = res.body!.getReader()
      const decoder = new TextDecoder()
      let buffer = ""
      for (;;) {
        const { value, done } = await reader.read()
        if (done) return
        buffer += decoder.decode(value, { stream: true })
        let at: number
        while ((at = buffer.indexOf("\n\n")) >= 0) {
          const frame = buffer.slice(0, at)
          buffer = buffer.slice(at + 2)
          const data = frame.split("\n").find((l) => l.startsWith("data: "))
          if (data !== undefined) events.push(JSON.parse(data.slice(6)) as { cursor: string; type: string; data: unknown })
        }
      }
    } catch {
      /* aborted */
    }
  })()
  return {
    events,
    close: async () => {
      controller.abort()
      await done
    }
  }
}

// ------------------------------------------------------------------------------------------ RPC proxy

/** The dotdns instruction tag of submit_aggregate (spec 12). */
const SUBMIT_AGGREGATE_TAG = 13

const compactU16 = (b: Uint8Array, at: number): [number, number] => {
  let v = 0
  let shift = 0
  for (let i = at; ; i++) {
    const x = b[i]!
    v |= (x & 0x7f) << shift
    if ((x & 0x80) === 0) return [v, i + 1]
    shift += 7
  }
}

/** Fee payer, first signature and dotdns instruction tags of a legacy wire transaction. */
export const inspectTransaction = (wire: Uint8Array): { payer: string; signature: string; tags: number[] } => {
  let [n, at] = compactU16(wire, 0)
  const signature = toBase58(wire.subarray(at, at + 64))
  at += n * 64
  at += 3
  ;[n, at] = compactU16(wire, at)
  const keys: Uint8Array[] = []
  for (let i = 0; i < n; i++) keys.push(wire.subarray(at + i * 32, at + i * 32 + 32))
  at += n * 32 + 32
  let ixs: number
  ;[ixs, at] = compactU16(wire, at)
  const tags: number[] = []
  for (let i = 0; i < ixs; i++) {
    const program = keys[wire[at]!]!
    at += 1
    let accounts: number
    ;[accounts, at] = compactU16(wire, at)
    at += accounts
    let len: number
    ;[len, at] = compactU16(wire, at)
    if (toBase58(program) === DEV_PROGRAM_ID_BASE58) tags.push(wire[at]!)
    at += len
  }
  return { payer: toBase58(keys[0]!), signature, tags }
}

export interface RpcProxy {
  readonly url: string
  /** Distinct submit_aggregate transaction signatures sent, by fee payer (base58). */
  readonly submissions: Map<string, Set<string>>
  /** submit_aggregate sends (every attempt, same signature or not), by fee payer. */
  readonly sends: Map<string, number>
  /**
   * For this payer, forward submit_aggregate transactions but answer with a connection reset, `times`
   * times: the transaction lands, the miner never hears so.
   */
  swallowSubmissions(payer: Uint8Array, times: number): void
  /** While down, every request gets a connection reset (an RPC outage). */
  setDown(down: boolean): void
  close(): Promise<void>
}

export const startRpcProxy = async (target: string): Promise<RpcProxy> => {
  const submissions = new Map<string, Set<string>>()
  const sends = new Map<string, number>()
  const swallow = new Map<string, number>()
  let down = false
  const server: Server = createServer(async (req, res) => {
    if (down) {
      req.socket.destroy()
      return
    }
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const body = Buffer.concat(chunks)
    let drop = false
    try {
      const json = JSON.parse(body.toString("utf8")) as { method?: string; params?: unknown[] }
      if (json.method === "sendTransaction" && typeof json.params?.[0] === "string") {
        const cfg = json.params[1] as { encoding?: string } | undefined
        const wire = cfg?.encoding === "base64" ? new Uint8Array(Buffer.from(json.params[0], "base64")) : fromBase58(json.params[0])
        const tx = inspectTransaction(wire)
        if (tx.tags.includes(SUBMIT_AGGREGATE_TAG)) {
          const set = submissions.get(tx.payer) ?? new Set<string>()
          set.add(tx.signature)
          submissions.set(tx.payer, set)
          sends.set(tx.payer, (sends.get(tx.payer) ?? 0) + 1)
          const left = swallow.get(tx.payer) ?? 0
          if (left > 0) {
            swallow.set(tx.payer, left - 1)
            drop = true
          }
        }
      }
    } catch {
      /* not JSON: forward as is */
    }
    try {
      const upstream = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body })
      const text = await upstream.text()
      if (drop) {
        req.socket.destroy()
        return
      }
      res.writeHead(upstream.status, { "content-type": "application/json" })
      res.end(text)
    } catch {
      req.socket.destroy()
    }
  })
  const port = await freePort()
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", () => resolve()))
  return {
    url: `http://127.0.0.1:${port}`,
    submissions,
    sends,
    swallowSubmissions: (payer, times) => swallow.set(toBase58(payer), times),
    setDown: (d) => {
      down = d
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

// ------------------------------------------------------------------------------------------ scenario

export { bootstrap, READER, untilEpoch, type World } from "../DevChain.ts"

// ------------------------------------------------------------------------------------------ scripted peers

/** One round a scripted miner serves: a statement, its signature, and (optionally) its leaves and receipts. */
export interface ScriptedRound {
  readonly built: BuiltAggregate
  readonly signature: Uint8Array
  /** Serve leaves and proofs (false: withhold everything but the statement). */
  readonly serveLeaves: boolean
  /** Serve the statement at all. */
  readonly serveStatement?: boolean
}

/**
 * A scripted "miner API" for a key the test controls (a dishonest or silent miner): /v1/info, and per
 * epoch /v1/roots, the statement, leaves and proofs of what `rounds` says — the shapes of the real API.
 */
export const startScriptedPeer = async (miner: Keypair, rounds: Map<bigint, ScriptedRound>): Promise<{ url: string; close(): Promise<void> }> => {
  const me = hex(miner.publicKey)
  const server = createServer((req, res) => {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" })
      res.end(JSON.stringify(body))
    }
    const url = new URL(req.url ?? "/", "http://x")
    if (url.pathname === "/v1/info")
      return json(200, { miner: toBase58(miner.publicKey), programId: DEV_PROGRAM_ID_BASE58, specVersion: "1.0.0", chainMode: "rpc", storage: "script", headCursor: "0", peers: [] })
    const roots = /^\/v1\/roots\/(\d+)$/.exec(url.pathname)
    if (roots !== null) {
      const r = rounds.get(BigInt(roots[1]!))
      if (r === undefined || r.serveStatement === false) return json(200, { roots: [] })
      const s = r.built.statement
      return json(200, {
        roots: [
          {
            nameHash: hex(s.nameHash),
            routeHash: hex(s.routeHash),
            receiptRoot: hex(s.receiptRoot),
            support: String(s.support),
            receiptCount: s.receiptCount,
            miner: me,
            statementHash: hex(aggregateDigest(s)),
            signature: hex(r.signature)
          }
        ]
      })
    }
    const m = /^\/v1\/aggregates\/(\d+)\/([0-9a-f]{64})\/([0-9a-f]{64})(\/leaves|\/proofs\/(\d+))?$/.exec(url.pathname)
    const r = m === null ? undefined : rounds.get(BigInt(m[1]!))
    if (m === null || r === undefined || m[3] !== me || m[2] !== hex(r.built.statement.nameHash)) return json(404, { error: { message: "not here" } })
    const s = r.built.statement
    if (m[4] === undefined) {
      if (r.serveStatement === false) return json(404, { error: { message: "withheld" } })
      return json(200, { statement: toJson(AggregateStatementJson, s), signature: hex(r.signature), statementHash: hex(aggregateDigest(s)), encoding: hex(encodeAggregate(s)), batchCid: null })
    }
    if (!r.serveLeaves) return json(404, { error: { message: "withheld" } })
    const receiptOf = (i: number) => toJson(SignedReceiptJson, r.built.receipts[i]!)
    if (m[4] === "/leaves") return json(200, { leaves: r.built.leaves.map((leaf, index) => ({ index, leaf: toJson(LeafJson, leaf), receipt: receiptOf(index) })), next: null })
    const index = Number(m[5])
    if (index >= r.built.leaves.length) return json(404, { error: { message: "no such leaf" } })
    const levels = r.built.levels
    return json(200, {
      index,
      size: r.built.leaves.length,
      leaf: toJson(LeafJson, r.built.leaves[index]!),
      path: r.built.proof(index).map((n) => toJson(SumNodeJson, n)),
      root: toJson(SumNodeJson, levels[levels.length - 1]![0]!),
      leafNode: toJson(SumNodeJson, levels[0]![index]!),
      receipt: receiptOf(index)
    })
  })
  const port = await freePort()
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", () => resolve()))
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
