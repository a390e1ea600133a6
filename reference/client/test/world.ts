/**
 * The client's test world: a localnet whose dotdns program holds registered names and finalized
 * routes (built by real transactions, `chain-world.ts`); the reference miner (`reference/miner`, its
 * own process, `rpc` mode on that localnet) to which the owner published the records before their
 * round, and which serves them; a lying miner (`stand-in-miner.ts`, a test double) that serves records
 * the chain does not back; client settings on free loopback ports with a temporary data dir; and
 * helpers that run the Debian DNS tools (`dig`, `kdig`, `curl`).
 */
import { execFile } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { RECORD_TYPE, type RouteRecord } from "../../../spec/src/objects.ts"
import { clientSettings, type ClientConfigInput, type ClientSettings } from "../Config.ts"
import { hex } from "../../../spec/src/bytes.ts"
import { encodeRouteRecord } from "../../../spec/src/objects.ts"
import { DEV_PROGRAM_ID_BASE58 } from "../../../programs/client/program-id.ts"
import type { MinerProcess } from "../../miner/test/helpers.ts"
import { buildChainWorld, owner, signRoute, testKey, type ChainWorld, type SignedRoute } from "./chain-world.ts"
import { StandInMiner } from "./stand-in-miner.ts"

const txt = (s: string) => ({ type: RECORD_TYPE.TXT, data: new TextEncoder().encode(s) })
const route = (name: string, serial: bigint, records: RouteRecord["records"], ttl = 300): RouteRecord => ({ name, serial, ttl, records, owner: owner.publicKey })

/** SvcPriority 1, TargetName ".", alpn=h2 (RFC 9460 wire form). */
export const HTTPS_RDATA = Uint8Array.from([0x00, 0x01, 0x00, 0x00, 0x01, 0x00, 0x03, 0x02, 0x68, 0x32])

export const ROUTES = {
  hello: signRoute(
    route("hello.dns", 1n, [
      { type: RECORD_TYPE.A, data: Uint8Array.of(127, 0, 0, 1) },
      { type: RECORD_TYPE.AAAA, data: Uint8Array.from([...new Array(15).fill(0), 1]) },
      txt("hello from dotdns"),
      { type: RECORD_TYPE.HTTPS, data: HTTPS_RDATA }
    ])
  ),
  alias: signRoute(route("alias.dns", 1n, [{ type: RECORD_TYPE.CNAME, data: new TextEncoder().encode("hello.dns") }])),
  /** Seven 250-byte TXT records: about 1.8 kB of answer, more than any UDP limit here. */
  big: signRoute(route("big.dns", 1n, Array.from({ length: 7 }, (_, i) => txt(String.fromCharCode(97 + i).repeat(250))))),
  /** What the chain finalized for bad.dns… */
  bad: signRoute(route("bad.dns", 1n, [{ type: RECORD_TYPE.A, data: Uint8Array.of(192, 0, 2, 1) }])),
  /** …and the newer, validly signed record a miner serves instead: its hash is not the canonical one. */
  badServed: signRoute(route("bad.dns", 2n, [{ type: RECORD_TYPE.A, data: Uint8Array.of(198, 51, 100, 66) }])),
  sig: signRoute(route("sig.dns", 1n, [{ type: RECORD_TYPE.A, data: Uint8Array.of(192, 0, 2, 7) }])),
  short: signRoute(route("short.dns", 1n, [{ type: RECORD_TYPE.A, data: Uint8Array.of(192, 0, 2, 9) }], 3))
} as const

/** sig.dns as served: the canonical record under a signature by another key. */
export const SIG_SERVED: SignedRoute = { record: ROUTES.sig.record, signature: signRoute(ROUTES.sig.record, testKey("mallory")).signature }

export const REGISTERED = ["hello.dns", "alias.dns", "big.dns", "bad.dns", "sig.dns", "short.dns", "pending.dns"] as const

/** What the honest miner serves, and the lying one where it does not lie. */
export const HONEST = [ROUTES.hello, ROUTES.alias, ROUTES.big, ROUTES.bad, ROUTES.sig, ROUTES.short] as const

/**
 * Which honest miner the world runs: the reference miner (default), or — with
 * `DOTDNS_TEST_MINER=stand-in`, for working on the client while `reference/miner` is broken —
 * an honest stand-in serving the same records.
 */
export const HONEST_MINER: "reference" | "stand-in" = process.env.DOTDNS_TEST_MINER === "stand-in" ? "stand-in" : "reference"

export interface HonestMiner {
  readonly url: string
  stop(): Promise<unknown>
}

export interface TestWorld {
  readonly chain: ChainWorld
  /** The reference miner (see HONEST_MINER), serving the canonical records. */
  readonly miner: HonestMiner
  /** A test double of a dishonest miner: bad.dns's unfinalized serial 2, sig.dns under a forged signature. */
  readonly liar: StandInMiner
  readonly dataDirs: string[]
  /** Settings for a client of this world; `over` is merged into the YAML-shaped config. */
  settings(over?: ClientConfigInput): ClientSettings
  close(): Promise<void>
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)
const merge = (a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> => {
  const out: Record<string, unknown> = { ...a }
  for (const [k, v] of Object.entries(b)) out[k] = isObj(v) && isObj(out[k]) ? merge(out[k] as Record<string, unknown>, v) : v
  return out
}

export const tempDir = (label: string): string => mkdtempSync(join(tmpdir(), `dotdns-client-${label}-`))

/** The owner publishes a signed record to a miner (`POST /v1/routes`, spec 14). */
export const publishRoute = async (minerUrl: string, r: SignedRoute): Promise<number> => {
  const res = await fetch(`${minerUrl}/v1/routes`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ encoding: hex(encodeRouteRecord(r.record)), signature: hex(r.signature) })
  })
  await res.arrayBuffer()
  return res.status
}

const honestStandIn = async (): Promise<HonestMiner> => {
  const m = await StandInMiner.start()
  for (const r of HONEST) m.serve(r)
  return { url: m.url, stop: () => m.close() }
}

export const startWorld = async (): Promise<TestWorld> => {
  if (HONEST_MINER === "stand-in") {
    const chain = await buildChainWorld({ register: REGISTERED, finalize: HONEST })
    return assemble(chain, await honestStandIn())
  }
  const chain = await buildChainWorld({ register: REGISTERED, finalize: [] })
  let miner: MinerProcess | undefined
  try {
    // loaded here, so the stand-in mode works even when reference/miner does not load
    const { startMiner } = await import("../../miner/test/helpers.ts")
    miner = await startMiner({ rpc: { urls: [chain.rpcUrl], programId: DEV_PROGRAM_ID_BASE58 } })
    // the owner publishes before the round, as a real owner would
    for (const r of HONEST) {
      const status = await publishRoute(miner.url, r)
      if (status !== 200) throw new Error(`the reference miner refused ${r.record.name}: HTTP ${status}`)
    }
    await chain.finalize(HONEST)
  } catch (e) {
    await miner?.stop()
    await chain.net.close()
    throw e
  }
  return assemble(chain, miner)
}

const assemble = async (chain: ChainWorld, honest: HonestMiner): Promise<TestWorld> => {
  const liar = await StandInMiner.start()
  for (const r of [ROUTES.hello, ROUTES.alias, ROUTES.big, ROUTES.badServed, SIG_SERVED, ROUTES.short]) liar.serve(r)
  const dataDirs: string[] = []
  return {
    chain,
    miner: honest,
    liar,
    dataDirs,
    settings: (over = {}) => {
      const dir = tempDir("data")
      dataDirs.push(dir)
      const base: ClientConfigInput = {
        data_dir: dir,
        rpc: { urls: [chain.rpcUrl], commitment: "finalized" },
        miners: { urls: [honest.url], hedge_delay_ms: 50, timeout_ms: 2000, feeds: false },
        dns: { port: 0 },
        doh: { https: { port: 0 }, http: { port: 0 } },
        log: { level: "warn" }
      }
      return clientSettings(merge(base as Record<string, unknown>, over as Record<string, unknown>) as ClientConfigInput)
    },
    close: async () => {
      await liar.close()
      await honest.stop()
      await chain.net.close()
      for (const d of dataDirs) rmSync(d, { recursive: true, force: true })
    }
  }
}

// ------------------------------------------------------------------------------------------ tools

export interface ToolResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

export const run = (cmd: string, args: readonly string[], timeoutMs = 20_000): Promise<ToolResult> =>
  new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as NodeJS.ErrnoException).code === "number" ? Number((err as NodeJS.ErrnoException).code) : 1
      resolve({ code, stdout: String(stdout), stderr: String(stderr) })
    })
  })

/** `dig @127.0.0.1 -p PORT …` with no retries and a short timeout, so a silent server fails fast. */
export const dig = (port: number, ...args: string[]) => run("dig", ["@127.0.0.1", "-p", String(port), "+tries=1", "+time=3", ...args])
export const kdig = (...args: string[]) => run("kdig", ["+retry=0", "+timeout=3", ...args])

/** The answer section lines of dig output (`name ttl class type data`). */
export const answerLines = (out: string): string[] => {
  const lines = out.split("\n")
  const start = lines.findIndex((l) => l.startsWith(";; ANSWER SECTION:"))
  if (start < 0) return []
  const rest = lines.slice(start + 1)
  const end = rest.findIndex((l) => l.trim() === "")
  return (end < 0 ? rest : rest.slice(0, end)).map((l) => l.trim().split(/\s+/).join(" "))
}

export const statusOf = (out: string): string | undefined => /status: ([A-Z]+)/.exec(out)?.[1]
