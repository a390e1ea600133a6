/**
 * The demo world of `dotdns start`: who is who (keys derived from fixed labels and kept in the data dir
 * as Solana CLI keypair files), which names exist and what they route to, and the owner's side of a
 * route update — a record signed at serial + 1 and published to every miner (`POST /v1/routes`).
 * `dotdns demo route` (cli.ts) runs `updateRoute` against a running `dotdns start`, found through the
 * state file the orchestrator writes into the data dir.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { isIPv4, isIPv6 } from "node:net"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { Schema } from "effect"
import { hex } from "../../spec/src/bytes.ts"
import { keypairFromSeed, sign, type Keypair } from "../../spec/src/ed25519.ts"
import { H } from "../../spec/src/hash.ts"
import { nameHash, normalizeName } from "../../spec/src/name.ts"
import {
  checkRouteRecord, decodeRouteRecord, encodeRouteRecord, RECORD_TYPE, routeAuthDigest, routeAuthOf, routeHash, type DnsRecord, type RouteRecord
} from "../../spec/src/objects.ts"
import { renderRecord } from "../client/cli.ts"
import { readKeypairFile } from "../client/Config.ts"
import { keypairFileText } from "../miner/Identity.ts"

/** The repository root (the data dir defaults to `<root>/.dotdns`). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..")
export const DEFAULT_DATA_DIR = join(REPO_ROOT, ".dotdns")
export const DOTDNS_BIN = join(REPO_ROOT, "bin", "dotdns.js")

// ------------------------------------------------------------------------------------------ keys

/** Every key of the demo, by label: the file `<data-dir>/keys/<label>.json` holds it. */
export const KEY_LABELS = ["admin", "owner", "miner-1", "miner-2", "miner-3", "witness-1", "witness-2"] as const
export type KeyLabel = (typeof KEY_LABELS)[number]

/** The key a label derives to: the same on every machine, so a demo is reproducible (and worthless). */
export const demoKey = (label: string): Keypair => keypairFromSeed(H("dotdns/demo/key", new TextEncoder().encode(label)))

export const keyPath = (dataDir: string, label: string): string => join(dataDir, "keys", `${label}.json`)

/** The key file of `label`: written from `demoKey` when absent, read (and checked) when present. */
export const loadKey = (dataDir: string, label: string): Keypair => {
  const path = keyPath(dataDir, label)
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, keypairFileText(demoKey(label)), { mode: 0o600 })
  }
  const kp = readKeypairFile(path)
  if (typeof kp === "string") throw new Error(kp)
  return kp
}

// ------------------------------------------------------------------------------------------ records

const enc = new TextEncoder()

/** 16 bytes of an IPv6 address (no zone). */
export const ipv6Bytes = (text: string): Uint8Array => {
  if (!isIPv6(text)) throw new Error(`${text} is not an IPv6 address`)
  let s = text
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s)
  if (v4 !== null) {
    const b = v4[1]!.split(".").map(Number)
    s = `${s.slice(0, v4.index)}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`
  }
  const [head, tail] = s.includes("::") ? (s.split("::") as [string, string]) : [s, undefined]
  const h = head === "" ? [] : head.split(":")
  const t = tail === undefined || tail === "" ? [] : tail.split(":")
  const groups = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill("0"), ...t]
  const out = new Uint8Array(16)
  groups.forEach((g, i) => {
    const v = parseInt(g, 16)
    out[2 * i] = v >> 8
    out[2 * i + 1] = v & 0xff
  })
  return out
}

const TYPE_NAMES = Object.keys(RECORD_TYPE).filter((t) => t !== "HTTPS").join(", ")

/**
 * Records from the command line: a bare IPv4 or IPv6 address is an A or AAAA record; otherwise
 * `TYPE=value` with TYPE one of A, AAAA, CNAME, TXT (case-insensitive), e.g. `cname=hello.dns`,
 * `"txt=hello world"`.
 */
export const parseRecords = (args: readonly string[]): DnsRecord[] => {
  if (args.length === 0) throw new Error("give at least one record: an address (10.0.0.2, 2001:db8::2) or TYPE=value")
  return args.map((arg) => {
    if (isIPv4(arg)) return { type: RECORD_TYPE.A, data: Uint8Array.from(arg.split(".").map(Number)) }
    if (isIPv6(arg)) return { type: RECORD_TYPE.AAAA, data: ipv6Bytes(arg) }
    const m = /^([A-Za-z]+)[=:](.*)$/s.exec(arg)
    if (m === null) throw new Error(`"${arg}" is neither an address nor TYPE=value (TYPE: ${TYPE_NAMES})`)
    const type = m[1]!.toUpperCase()
    const value = m[2]!
    switch (type) {
      case "A":
        if (!isIPv4(value)) throw new Error(`A needs an IPv4 address, not "${value}"`)
        return { type: RECORD_TYPE.A, data: Uint8Array.from(value.split(".").map(Number)) }
      case "AAAA":
        return { type: RECORD_TYPE.AAAA, data: ipv6Bytes(value) }
      case "CNAME": {
        const target = value.replace(/\.$/, "").toLowerCase()
        return { type: RECORD_TYPE.CNAME, data: enc.encode(target) }
      }
      case "TXT":
        return { type: RECORD_TYPE.TXT, data: enc.encode(value) }
      default:
        throw new Error(`unknown record type ${type} (use ${TYPE_NAMES})`)
    }
  })
}

/** The records as DNS shows them: `A 10.0.0.1, TXT "…"`. */
export const describeRecords = (records: readonly DnsRecord[]): string =>
  records.map((r) => `${Object.entries(RECORD_TYPE).find(([, v]) => v === r.type)?.[0] ?? `TYPE${r.type}`} ${renderRecord(r)}`).join(", ")

/** TTL of the demo's records, in seconds. */
export const DEMO_TTL = 60

/** The demo names, in the order they are registered, and their first routes (serial 1). */
export const DEMO_ROUTES: ReadonlyArray<{ readonly name: string; readonly records: readonly string[] }> = [
  { name: "hello.dns", records: ["10.0.0.1"] },
  { name: "www.hello.dns", records: ["cname=hello.dns"] },
  { name: "mail.dns", records: ["2001:db8::25"] },
  { name: "txt.dns", records: ["txt=dotdns demo: routes are signed by their owner and finalized on Solana"] }
]

export interface SignedRoute {
  readonly record: RouteRecord
  readonly encoding: Uint8Array
  readonly signature: Uint8Array
  readonly routeHash: Uint8Array
}

/** The owner's record for `name` at `serial`, checked by the spec and signed over its RouteAuth. */
export const signRoute = (owner: Keypair, name: string, serial: bigint, records: readonly DnsRecord[], ttl = DEMO_TTL): SignedRoute => {
  const record: RouteRecord = { name, serial, ttl, records, owner: owner.publicKey }
  const bad = checkRouteRecord(record)
  if (bad !== undefined) throw new Error(`${bad.rule}: ${bad.message}`)
  return { record, encoding: encodeRouteRecord(record), signature: sign(owner, routeAuthDigest(routeAuthOf(record))), routeHash: routeHash(record) }
}

/** A normalized .dns name, or an error naming the rule. */
export const demoName = (input: string): string => {
  const n = normalizeName(input)
  if (typeof n !== "string") throw new Error(`${input} is not a valid .dns name [${n.rule}: ${n.message}]`)
  return n
}

// ------------------------------------------------------------------------------------------ miners

export interface PublishResult {
  readonly miner: string
  readonly status: number
  readonly message: string
}

/** `POST /v1/routes` to every miner (spec 14 extension): the owner publishes a signed record. */
export const publishRoute = (miners: readonly string[], route: SignedRoute): Promise<PublishResult[]> =>
  Promise.all(
    miners.map(async (miner): Promise<PublishResult> => {
      try {
        const res = await fetch(`${miner}/v1/routes`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ encoding: hex(route.encoding), signature: hex(route.signature) }),
          signal: AbortSignal.timeout(10_000)
        })
        const text = await res.text()
        let message = text
        try {
          const body = JSON.parse(text) as { status?: string; error?: { rule?: string; message?: string } }
          message = body.error !== undefined ? `${body.error.rule ?? ""} ${body.error.message ?? ""}`.trim() : body.status ?? text
        } catch {
          /* not JSON */
        }
        return { miner, status: res.status, message }
      } catch (e) {
        return { miner, status: 0, message: e instanceof Error ? e.message : String(e) }
      }
    })
  )

/** The highest serial any miner holds for `name` (`GET /v1/routes/{name}?latest=true`), 0 when none. */
export const latestPublishedSerial = async (miners: readonly string[], name: string): Promise<bigint> => {
  const serials = await Promise.all(
    miners.map(async (miner) => {
      try {
        const res = await fetch(`${miner}/v1/routes/${encodeURIComponent(name)}?latest=true`, { signal: AbortSignal.timeout(5_000) })
        if (!res.ok) return 0n
        const body = (await res.json()) as { encoding?: string }
        return body.encoding === undefined ? 0n : decodeRouteRecord(new Uint8Array(Buffer.from(body.encoding, "hex"))).serial
      } catch {
        return 0n
      }
    })
  )
  return serials.reduce((a, b) => (b > a ? b : a), 0n)
}

export { nameHash }

// ------------------------------------------------------------------------------------------ state

/** What a running `dotdns start` tells other commands: `<data-dir>/demo.json`, removed when it stops. */
export const DemoState = Schema.Struct({
  pid: Schema.Number,
  rpcUrl: Schema.String,
  miners: Schema.Array(Schema.String),
  dns: Schema.Struct({ host: Schema.String, port: Schema.Number }),
  doh: Schema.Struct({ https: Schema.String, http: Schema.String }),
  names: Schema.Array(Schema.String),
  slotMs: Schema.Number,
  epochSlots: Schema.Number,
  children: Schema.Array(Schema.Struct({ name: Schema.String, pid: Schema.Number }))
})
export type DemoState = typeof DemoState.Type

export const statePath = (dataDir: string): string => join(dataDir, "demo.json")

export const writeState = (dataDir: string, state: DemoState): void => writeFileSync(statePath(dataDir), `${JSON.stringify(state, null, 2)}\n`)

export const readState = (dataDir: string): DemoState | undefined => {
  const path = statePath(dataDir)
  if (!existsSync(path)) return undefined
  try {
    return Schema.decodeUnknownSync(DemoState)(JSON.parse(readFileSync(path, "utf8")))
  } catch {
    return undefined
  }
}
