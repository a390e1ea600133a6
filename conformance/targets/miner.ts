/**
 * The miner target: black-box contract tests of a running miner's HTTP API against
 * spec/v1/14-miner-apis.md — nothing of the miner's code is used, only HTTP and the executable spec.
 *
 *   ops      GET /openapi.json (OpenAPI 3.1, info.version the spec version [VER-1]), /healthz, /readyz
 *   ingest   POST /v1/receipts, JSON and binary: accepted / duplicate / rejected in request order, each
 *            rejection with its rule and a message [API-2]; receipt_hash as the spec computes it
 *            [RCP-3]; re-posting is idempotent; another receipt of a witness for the same round is
 *            RCP-5; a body that is not whole frames is ENC-2 as a whole; over 10 000 receipts is 413
 *   ops      GET /v1/info: the miner key and program id (base58) and the spec version [VER-1]
 *   audit    GET /v1/roots/{epoch}, …/leaves, …/proofs/{i}: every proof verifies with the spec's
 *            verifyInclusion against the statement's root and support [API-5], [MRK-5]; every roots
 *            entry names its statement by digest (which the served statement hashes to) with the
 *            miner's signature over it [AGG-1]
 *   feed     GET /v1/events as Server-Sent Events: resuming from a cursor (Last-Event-ID) delivers
 *            exactly the later events, in order [API-6]; GET /v1/routes?since= pages [API-4]
 *
 * The ingest checks need witnesses with stake and a registered name: the miner must run on the chain
 * of `MINER_FIXTURE` (a dev-fixed chain table; `dotdns conformance miner --print-chain` prints it, and
 * `--start-reference` starts the reference miner on it).
 */
import { spawn, type ChildProcess } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { fromBase58 } from "../../programs/client/base58.ts"
import { hex } from "../../spec/src/bytes.ts"
import { keypairFromSeed, sign, verify, type Keypair } from "../../spec/src/ed25519.ts"
import { H } from "../../spec/src/hash.ts"
import { AggregateStatementJson, Hex32, Hex64, LeafJson, SumNodeJson, fromJson } from "../../spec/src/json.ts"
import { leafNode, verifyInclusion } from "../../spec/src/merkle.ts"
import { nameHash } from "../../spec/src/name.ts"
import { aggregateDigest, encodeReceipt, receiptDigest, receiptHash, RECORD_TYPE, routeHash, type Receipt, type RouteRecord } from "../../spec/src/objects.ts"
import { SPEC_VERSION } from "../../spec/src/version.ts"
import type { Check, Report } from "../suite/report.ts"
import { finish, UsageError, type RunResult } from "../suite/run.ts"

// -------------------------------------------------------------------------------------------- fixture

const keyOf = (label: string): Keypair => keypairFromSeed(H("dotdns/conformance/miner-fixture", new TextEncoder().encode(label)))

// #region fixture
/** The chain the ingest checks assume: an epoch, staked witnesses, one registered name. */
export const MINER_FIXTURE = {
  epoch: 7n,
  witnesses: [0, 1, 2, 3, 4, 5].map((i) => ({ key: keyOf(`witness-${i}`), stake: 1_000_000_000n + BigInt(i) })),
  unstaked: keyOf("unstaked"),
  owner: keyOf("owner"),
  name: "conformance.dns",
  unregistered: "not-registered-conformance.dns"
} as const
// #endregion fixture

const route = (serial: bigint, ip: number): RouteRecord => ({
  name: MINER_FIXTURE.name,
  serial,
  ttl: 300,
  records: [{ type: RECORD_TYPE.A, data: Uint8Array.of(10, 0, 0, ip) }],
  owner: MINER_FIXTURE.owner.publicKey
})
const ROUTE_1 = routeHash(route(1n, 1))
const ROUTE_2 = routeHash(route(2n, 2))

/** The `chain:` section of a reference-miner config for the fixture (dev-fixed mode). */
export const chainYaml = (): string =>
  [
    "chain:",
    "  mode: dev-fixed",
    `  epoch: ${MINER_FIXTURE.epoch}`,
    "  witnesses:",
    ...MINER_FIXTURE.witnesses.map((w) => `    - { key: "${hex(w.key.publicKey)}", stake: "${w.stake}" }`),
    "  names:",
    `    - { name: ${MINER_FIXTURE.name}, owner: "${hex(MINER_FIXTURE.owner.publicKey)}", serial: "0" }`
  ].join("\n")

interface Signed {
  readonly receipt: Receipt
  readonly signature: Uint8Array
}

const signed = (w: Keypair, name: string, rh: Uint8Array, epoch = MINER_FIXTURE.epoch): Signed => {
  const receipt: Receipt = { epoch, nameHash: nameHash(name), routeHash: rh, witness: w.publicKey }
  return { receipt, signature: sign(w, receiptDigest(receipt)) }
}
const receiptJson = (s: Signed) => ({
  receipt: { epoch: s.receipt.epoch.toString(), nameHash: hex(s.receipt.nameHash), routeHash: hex(s.receipt.routeHash), witness: hex(s.receipt.witness) },
  signature: hex(s.signature)
})
const frame = (s: Signed): Uint8Array => Uint8Array.from([...encodeReceipt(s.receipt), ...s.signature])

// ------------------------------------------------------------------------------------------ transport

export interface HttpRequest {
  readonly method: "GET" | "POST"
  readonly path: string
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: string | Uint8Array
}
export interface HttpResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}
/** How the target talks to the miner: real HTTP, or a recorded exchange in tests. */
export interface Transport {
  request(r: HttpRequest): Promise<HttpResponse>
  /** Reads Server-Sent Events from a GET until `max` events arrived or `ms` passed. */
  events(path: string, headers: Readonly<Record<string, string>>, max: number, ms: number): Promise<{ status: number; events: SseEvent[] }>
}
export interface SseEvent {
  readonly id?: string
  readonly event?: string
  readonly data: string
}

export const parseSse = (text: string): SseEvent[] => {
  const out: SseEvent[] = []
  for (const block of text.split(/\r?\n\r?\n/)) {
    let id: string | undefined
    let event: string | undefined
    const data: string[] = []
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith(":") || line === "") continue
      const i = line.indexOf(":")
      const field = i < 0 ? line : line.slice(0, i)
      const value = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "")
      if (field === "id") id = value
      else if (field === "event") event = value
      else if (field === "data") data.push(value)
    }
    if (data.length > 0 || event !== undefined) out.push({ ...(id !== undefined ? { id } : {}), ...(event !== undefined ? { event } : {}), data: data.join("\n") })
  }
  return out
}

export const httpTransport = (base: string): Transport => ({
  async request(r) {
    const res = await fetch(new URL(r.path, base), { method: r.method, headers: r.headers ?? {}, ...(r.body !== undefined ? { body: r.body } : {}), signal: AbortSignal.timeout(30_000) })
    return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() }
  },
  async events(path, headers, max, ms) {
    const ctl = new AbortController()
    const timer = setTimeout(() => ctl.abort(), ms)
    let text = ""
    let status = 0
    try {
      const res = await fetch(new URL(path, base), { headers: { accept: "text/event-stream", ...headers }, signal: ctl.signal })
      status = res.status
      if (res.body === null) return { status, events: [] }
      const reader = res.body.getReader()
      const dec = new TextDecoder()
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        text += dec.decode(value, { stream: true })
        if (parseSse(text.slice(0, text.lastIndexOf("\n\n") + 2)).length >= max) break
      }
      ctl.abort()
    } catch (e) {
      if (!ctl.signal.aborted) throw e
    } finally {
      clearTimeout(timer)
    }
    return { status, events: parseSse(text.slice(0, text.lastIndexOf("\n\n") + 2)) }
  }
})

// --------------------------------------------------------------------------------------------- checks

type Outcome = { readonly status: "passed"; readonly details?: string[] } | { readonly status: "failed"; readonly reason: string; readonly details?: string[] } | { readonly status: "not-run"; readonly reason: string }

class Failed extends Error {
  readonly details: string[]
  constructor(reason: string, details: string[] = []) {
    super(reason)
    this.details = details
  }
}
class NotRun extends Error {}

const expect = (ok: boolean, reason: string, details: string[] = []): void => {
  if (!ok) throw new Failed(reason, details)
}

const json = (r: HttpResponse, what: string): Record<string, unknown> => {
  try {
    const v = JSON.parse(r.body) as unknown
    if (typeof v !== "object" || v === null) throw new Error("not an object")
    return v as Record<string, unknown>
  } catch {
    throw new Failed(`${what}: the body is not a JSON object (status ${r.status})`, [r.body.slice(0, 300)])
  }
}

interface MinerCheck {
  readonly area: string
  readonly name: string
  readonly rules: readonly string[]
  readonly run: (t: Transport) => Promise<string[] | void>
}

interface ResultJson {
  readonly index?: number
  readonly status?: string
  readonly receiptHash?: string
  readonly rule?: string
  readonly message?: string
}

/** Checks one ingest response against what each receipt should get. */
const expectResults = (r: HttpResponse, want: readonly ({ status: "accepted" | "duplicate"; of: Signed } | { status: "rejected"; rule: string })[], what: string): string[] => {
  expect(r.status === 200, `${what}: status ${r.status}, expected 200`, [r.body.slice(0, 300)])
  const body = json(r, what)
  const results = body["results"] as ResultJson[] | undefined
  expect(Array.isArray(results) && results.length === want.length, `${what}: ${Array.isArray(results) ? results.length : "no"} results for ${want.length} receipts`)
  const problems: string[] = []
  want.forEach((w, i) => {
    const got = results![i]!
    if (got.index !== i) problems.push(`result ${i}: index ${got.index}, expected ${i} (results in request order)`)
    if (got.status !== w.status) problems.push(`receipt ${i}: ${got.status}${got.rule !== undefined ? ` [${got.rule}]` : ""}, expected ${w.status}${"rule" in w ? ` [${w.rule}]` : ""}`)
    else if (w.status === "rejected") {
      if (got.rule !== w.rule) problems.push(`receipt ${i}: rejected with [${got.rule}], expected [${w.rule}] [API-2]`)
      if (typeof got.message !== "string" || got.message === "") problems.push(`receipt ${i}: a rejection without a message [API-2]`)
    } else {
      const want_ = hex(receiptHash(w.of.receipt, w.of.signature))
      if (got.receiptHash !== want_) problems.push(`receipt ${i}: receiptHash ${got.receiptHash}, the spec's is ${want_} [RCP-3]`)
    }
  })
  expect(problems.length === 0, `${what}: ${problems[0]}`, problems.slice(1))
  return [`${want.length} results as expected`]
}

const postJson = (t: Transport, body: unknown) => t.request({ method: "POST", path: "/v1/receipts", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
const postFrames = (t: Transport, bytes: Uint8Array) => t.request({ method: "POST", path: "/v1/receipts", headers: { "content-type": "application/vnd.dotdns.receipts" }, body: bytes })

const W = MINER_FIXTURE.witnesses.map((w) => w.key)
/** Receipts the checks post, fixed so that a second run against the same miner sees duplicates, not surprises. */
const FIRST = signed(W[0]!, MINER_FIXTURE.name, ROUTE_1)
const SECOND = signed(W[1]!, MINER_FIXTURE.name, ROUTE_1)
const BAD_SIGNATURE: Signed = { ...signed(W[2]!, MINER_FIXTURE.name, ROUTE_1), signature: sign(W[3]!, receiptDigest(signed(W[2]!, MINER_FIXTURE.name, ROUTE_1).receipt)) }
const UNSTAKED = signed(MINER_FIXTURE.unstaked, MINER_FIXTURE.name, ROUTE_1)
const UNREGISTERED = signed(W[2]!, MINER_FIXTURE.unregistered, ROUTE_1)
const CONFLICTING = signed(W[0]!, MINER_FIXTURE.name, ROUTE_2)
const BINARY = signed(W[4]!, MINER_FIXTURE.name, ROUTE_1)

// #region miner-checks
export const MINER_CHECKS: readonly MinerCheck[] = [
  {
    area: "ops",
    name: "GET /openapi.json is an OpenAPI 3.1 document stating the spec version",
    rules: ["VER-1"],
    run: async (t) => {
      const r = await t.request({ method: "GET", path: "/openapi.json" })
      expect(r.status === 200, `status ${r.status}`)
      const doc = json(r, "/openapi.json")
      expect(typeof doc["openapi"] === "string" && (doc["openapi"] as string).startsWith("3.1"), `openapi is ${JSON.stringify(doc["openapi"])}, expected 3.1.x`)
      const version = (doc["info"] as { version?: unknown } | undefined)?.version
      expect(typeof version === "string" && version.split(".")[0] === SPEC_VERSION.split(".")[0], `info.version is ${JSON.stringify(version)}, expected a spec version ${SPEC_VERSION.split(".")[0]}.x [VER-1]`)
      const paths = Object.keys((doc["paths"] as Record<string, unknown> | undefined) ?? {})
      const missing = ["/v1/receipts", "/v1/routes", "/v1/events"].filter((p) => !paths.includes(p))
      expect(missing.length === 0, `the document lists no ${missing.join(", ")}`)
      return [`openapi ${doc["openapi"]}, info.version ${version}, ${paths.length} paths`]
    }
  },
  {
    area: "ops",
    name: "GET /healthz and /readyz",
    rules: [],
    run: async (t) => {
      const h = await t.request({ method: "GET", path: "/healthz" })
      expect(h.status === 200, `/healthz: status ${h.status}`)
      const r = await t.request({ method: "GET", path: "/readyz" })
      expect(r.status === 200 || r.status === 503, `/readyz: status ${r.status}, expected 200 or 503`)
      const body = json(r, "/readyz")
      if (r.status === 200) expect(body["status"] === "ready" && typeof body["checks"] === "object", `/readyz 200 without {"status": "ready", "checks": {…}}`, [r.body.slice(0, 200)])
      return [`/readyz ${r.status}`]
    }
  },
  {
    area: "ops",
    name: "GET /v1/info states the miner key, the program id and the spec version",
    rules: ["VER-1"],
    run: async (t) => {
      const r = await t.request({ method: "GET", path: "/v1/info" })
      expect(r.status === 200, `GET /v1/info: status ${r.status}`)
      const info = json(r, "/v1/info")
      const key = (field: string): string => {
        const v = info[field]
        let bytes: Uint8Array | undefined
        try {
          bytes = typeof v === "string" ? fromBase58(v) : undefined
        } catch {
          bytes = undefined
        }
        expect(bytes?.length === 32, `GET /v1/info: ${field} is ${JSON.stringify(v)}, expected a 32-byte key in base58`)
        return v as string
      }
      const miner = key("miner")
      const programId = key("programId")
      const version = info["specVersion"]
      expect(typeof version === "string" && version.split(".")[0] === SPEC_VERSION.split(".")[0], `GET /v1/info: specVersion is ${JSON.stringify(version)}, expected a spec version ${SPEC_VERSION.split(".")[0]}.x [VER-1]`)
      return [`miner ${miner}, program ${programId}, spec ${version}`]
    }
  },
  {
    area: "ingest",
    name: "a JSON batch: accepted, SIG-1, RCP-5 (no stake), RCP-5 (no name), in request order",
    rules: ["API-1", "API-2", "SIG-1", "RCP-5", "RCP-3"],
    run: async (t) => {
      const r = await postJson(t, { receipts: [FIRST, BAD_SIGNATURE, UNSTAKED, UNREGISTERED, SECOND].map(receiptJson) })
      // A second run against the same miner finds the valid ones already stored.
      const results = (JSON.parse(r.body) as { results?: ResultJson[] }).results
      const again = results?.[0]?.status === "duplicate"
      return expectResults(
        r,
        [
          { status: again ? "duplicate" : "accepted", of: FIRST },
          { status: "rejected", rule: "SIG-1" },
          { status: "rejected", rule: "RCP-5" },
          { status: "rejected", rule: "RCP-5" },
          { status: again ? "duplicate" : "accepted", of: SECOND }
        ],
        "POST /v1/receipts"
      )
    }
  },
  {
    area: "ingest",
    name: "re-posting is idempotent (duplicate); another receipt of the witness for the round is RCP-5",
    rules: ["API-2", "RCP-5"],
    run: async (t) => {
      await postJson(t, { receipts: [receiptJson(FIRST)] })
      const r = await postJson(t, { receipts: [FIRST, CONFLICTING, FIRST].map(receiptJson) })
      return expectResults(r, [{ status: "duplicate", of: FIRST }, { status: "rejected", rule: "RCP-5" }, { status: "duplicate", of: FIRST }], "POST /v1/receipts (again)")
    }
  },
  {
    area: "ingest",
    name: "binary frames (application/vnd.dotdns.receipts): accepted, ENC-5 (tag), VER-2 (version)",
    rules: ["ENC-5", "VER-2", "API-2"],
    run: async (t) => {
      const good = frame(BINARY)
      const badTag = Uint8Array.from(good)
      badTag[0] = 0x09
      const badVersion = Uint8Array.from(good)
      badVersion[1] = 0x02
      const r = await postFrames(t, Uint8Array.from([...good, ...badTag, ...badVersion]))
      const first = (JSON.parse(r.body) as { results?: ResultJson[] }).results?.[0]?.status
      return expectResults(r, [{ status: first === "duplicate" ? "duplicate" : "accepted", of: BINARY }, { status: "rejected", rule: "ENC-5" }, { status: "rejected", rule: "VER-2" }], "POST /v1/receipts (binary)")
    }
  },
  {
    area: "ingest",
    name: "a binary body that is not whole 170-byte frames is rejected as a whole with ENC-2",
    rules: ["ENC-2", "API-2"],
    run: async (t) => {
      const r = await postFrames(t, Uint8Array.from([...frame(BINARY), 0]))
      expect(r.status >= 400 && r.status < 500, `status ${r.status}, expected a 4xx`, [r.body.slice(0, 300)])
      const e = json(r, "the error").error as { rule?: string; message?: string } | undefined
      expect(e?.rule === "ENC-2" && typeof e.message === "string", `error ${JSON.stringify(e)}, expected {"rule": "ENC-2", "message": …}`)
      return [`status ${r.status}`]
    }
  },
  {
    area: "ingest",
    name: "more than 10 000 receipts in one request is refused with 413",
    rules: [],
    run: async (t) => {
      const one = frame(BINARY)
      const body = new Uint8Array(one.length * 10_001)
      for (let i = 0; i < 10_001; i++) body.set(one, i * one.length)
      const r = await postFrames(t, body)
      expect(r.status === 413, `status ${r.status} for 10 001 receipts (${body.length} bytes), expected 413`, [r.body.slice(0, 200)])
      return ["413"]
    }
  },
  {
    area: "audit",
    name: "every served inclusion proof verifies against its statement's root and support",
    rules: ["API-5", "MRK-5"],
    run: async (t) => {
      const found: string[] = []
      for (const epoch of [MINER_FIXTURE.epoch, MINER_FIXTURE.epoch - 1n]) {
        const r = await t.request({ method: "GET", path: `/v1/roots/${epoch}` })
        expect(r.status === 200, `GET /v1/roots/${epoch}: status ${r.status}`)
        const roots = json(r, `/v1/roots/${epoch}`)["roots"] as { nameHash: string; miner: string; receiptRoot: string; support: string; receiptCount: number }[] | undefined
        expect(Array.isArray(roots), `GET /v1/roots/${epoch}: no roots array`)
        for (const root of roots!) found.push(...(await verifyAggregate(t, epoch, root)))
      }
      if (found.length === 0) throw new NotRun(`the miner serves no aggregate for epochs ${MINER_FIXTURE.epoch - 1n}–${MINER_FIXTURE.epoch} yet (aggregates are built at the epoch's cut-off)`)
      return found
    }
  },
  {
    area: "audit",
    name: "every /v1/roots entry names its statement by digest, signed by the miner",
    rules: ["AGG-1", "EQV-1"],
    run: async (t) => {
      const found: string[] = []
      for (const epoch of [MINER_FIXTURE.epoch, MINER_FIXTURE.epoch - 1n]) {
        const r = await t.request({ method: "GET", path: `/v1/roots/${epoch}` })
        expect(r.status === 200, `GET /v1/roots/${epoch}: status ${r.status}`)
        const roots = json(r, `/v1/roots/${epoch}`)["roots"] as RootEntry[] | undefined
        expect(Array.isArray(roots), `GET /v1/roots/${epoch}: no roots array`)
        for (const root of roots!) found.push(await verifyStatement(t, epoch, root))
      }
      if (found.length === 0) throw new NotRun(`the miner serves no aggregate for epochs ${MINER_FIXTURE.epoch - 1n}–${MINER_FIXTURE.epoch} yet (aggregates are built at the epoch's cut-off)`)
      return found
    }
  },
  {
    area: "feed",
    name: "Server-Sent Events resume after a cursor with exactly the later events, in order",
    rules: ["API-6"],
    run: async (t) => {
      const all = await t.events("/v1/events?since=0", {}, 4, 1500)
      expect(all.status === 200, `GET /v1/events (text/event-stream): status ${all.status}`)
      const events = all.events.filter((e) => e.event !== "reset" && e.id !== undefined)
      if (events.length < 2) throw new NotRun(`the feed has ${events.length} events; resuming needs two`)
      const from = events[0]!.id!
      const rest = await t.events("/v1/events", { "last-event-id": from }, events.length - 1, 1500)
      const want = events.slice(1).map((e) => e.id)
      const got = rest.events.filter((e) => e.id !== undefined).slice(0, want.length).map((e) => e.id)
      expect(JSON.stringify(got) === JSON.stringify(want), `resuming after ${from} gave ids ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`)
      for (const e of events) {
        const data = JSON.parse(e.data) as { cursor?: unknown; type?: unknown }
        expect(data.cursor === e.id && typeof data.type === "string", `event ${e.id}: data is not {cursor: <its id>, type, data}`, [e.data.slice(0, 200)])
      }
      return [`${events.length} events, resumed after ${from}`]
    }
  },
  {
    area: "feed",
    name: "GET /v1/routes pages resume from `next` without gaps or repeats",
    rules: ["API-4"],
    run: async (t) => {
      const page = async (since?: string) => {
        const r = await t.request({ method: "GET", path: `/v1/routes?limit=1${since !== undefined ? `&since=${since}` : ""}` })
        expect(r.status === 200, `GET /v1/routes: status ${r.status}`)
        const b = json(r, "/v1/routes") as { routes?: unknown[]; next?: string; complete?: boolean }
        expect(Array.isArray(b.routes) && typeof b.next === "string" && typeof b.complete === "boolean", `GET /v1/routes: not {routes, next, complete}`, [r.body.slice(0, 200)])
        return b as { routes: unknown[]; next: string; complete: boolean }
      }
      const seen: string[] = []
      const cursors: string[] = []
      let p = await page()
      for (let i = 0; i < 50; i++) {
        seen.push(...p.routes.map((x) => JSON.stringify(x)))
        cursors.push(p.next)
        if (p.complete || p.routes.length === 0) break
        p = await page(p.next)
      }
      if (seen.length < 2) throw new NotRun(`the miner has ${seen.length} finalities to page through; the check needs two`)
      const resumed = await page(cursors[0])
      expect(JSON.stringify(resumed.routes[0]) === seen[1], "resuming from the first page's next cursor does not give the second entry")
      return [`${seen.length} entries`]
    }
  },
  {
    area: "routes",
    name: "GET /v1/routes/{name} is 404 for a name without a canonical record",
    rules: ["API-3"],
    run: async (t) => {
      const r = await t.request({ method: "GET", path: `/v1/routes/${MINER_FIXTURE.unregistered}` })
      expect(r.status === 404, `status ${r.status}, expected 404`)
      return ["404"]
    }
  }
]
// #endregion miner-checks

interface RootEntry {
  readonly nameHash: string
  readonly miner: string
  readonly receiptRoot: string
  readonly support: string
  readonly receiptCount: number
  readonly statementHash?: unknown
  readonly signature?: unknown
}

/**
 * One roots entry: its `statementHash` is the digest of the statement the miner serves for it (the
 * digest covers every field, `batchCid` included, which is what lets an auditor notice any change),
 * and its `signature` is the miner's over that digest.
 */
const verifyStatement = async (t: Transport, epoch: bigint, root: RootEntry): Promise<string> => {
  const what = `roots entry ${epoch}/${root.nameHash.slice(0, 12)}…/${root.miner.slice(0, 12)}…`
  let listed: Uint8Array
  let signature: Uint8Array
  let miner: Uint8Array
  try {
    listed = fromJson(Hex32, root.statementHash)
    signature = fromJson(Hex64, root.signature)
    miner = fromJson(Hex32, root.miner)
  } catch {
    throw new Failed(`${what}: no statementHash (32 bytes, hex) and signature (64 bytes, hex)`, [JSON.stringify(root).slice(0, 300)])
  }
  expect(verify(miner, listed, signature), `${what}: the listed signature is not the miner's over the listed statementHash [AGG-1]`)
  const path = `/v1/aggregates/${epoch}/${root.nameHash}/${root.miner}`
  const r = await t.request({ method: "GET", path })
  expect(r.status === 200, `GET ${path}: status ${r.status}`)
  let digest: Uint8Array
  try {
    digest = aggregateDigest(fromJson(AggregateStatementJson, json(r, path)["statement"]))
  } catch (e) {
    throw new Failed(`GET ${path}: the statement is malformed: ${(e as Error).message.split("\n")[0]}`)
  }
  expect(hex(digest) === hex(listed), `${what}: statementHash ${hex(listed).slice(0, 16)}… but the served statement hashes to ${hex(digest).slice(0, 16)}… [AGG-1]`)
  return `${epoch}/${root.nameHash.slice(0, 12)}…: digest and signature verify`
}

/** One aggregate of the miner: its leaves and each leaf's proof, verified with the spec. */
const verifyAggregate = async (t: Transport, epoch: bigint, root: { nameHash: string; miner: string; receiptRoot: string; support: string; receiptCount: number }): Promise<string[]> => {
  const base = `/v1/aggregates/${epoch}/${root.nameHash}/${root.miner}`
  const problems: string[] = []
  const count = Math.min(root.receiptCount, 64)
  for (let i = 0; i < count; i++) {
    const r = await t.request({ method: "GET", path: `${base}/proofs/${i}` })
    if (r.status !== 200) {
      problems.push(`${base}/proofs/${i}: status ${r.status}`)
      continue
    }
    const p = json(r, `${base}/proofs/${i}`) as { index?: number; size?: number; leaf?: unknown; path?: unknown[]; root?: unknown; receipt?: { receipt: Record<string, string>; signature: string } | null }
    try {
      const leaf = fromJson(LeafJson, p.leaf)
      const path = (p.path ?? []).map((n) => fromJson(SumNodeJson, n))
      const proofRoot = fromJson(SumNodeJson, p.root)
      const statementRoot = { hash: fromJson(Hex32, root.receiptRoot), sum: BigInt(root.support) }
      if (p.index !== i || p.size !== root.receiptCount) problems.push(`proof ${i}: index ${p.index}, size ${p.size}; expected ${i} of ${root.receiptCount}`)
      if (hex(proofRoot.hash) !== root.receiptRoot || proofRoot.sum !== statementRoot.sum) problems.push(`proof ${i}: its root is not the statement's receipt_root and support`)
      if (!verifyInclusion(leafNode(leaf), i, root.receiptCount, path, statementRoot)) problems.push(`proof ${i}: does not verify against the statement's root [MRK-5]`)
      if (p.receipt !== null && p.receipt !== undefined) {
        const rc = p.receipt.receipt
        const rh = receiptHash(
          { epoch: BigInt(rc["epoch"]!), nameHash: fromJson(Hex32, rc["nameHash"]), routeHash: fromJson(Hex32, rc["routeHash"]), witness: fromJson(Hex32, rc["witness"]) },
          new Uint8Array(Buffer.from(p.receipt.signature, "hex"))
        )
        if (hex(rh) !== hex(leaf.receiptHash)) problems.push(`proof ${i}: the receipt served with the leaf does not hash to its receipt_hash [RCP-3]`)
      }
    } catch (e) {
      problems.push(`proof ${i}: malformed: ${(e as Error).message.split("\n")[0]}`)
    }
  }
  expect(problems.length === 0, `aggregate ${epoch}/${root.nameHash.slice(0, 12)}…/${root.miner.slice(0, 12)}…: ${problems[0]}`, problems.slice(1, 10))
  return [`${epoch}/${root.nameHash.slice(0, 12)}…: ${count} proofs verify`]
}

/** Runs every check against a transport. */
export const runMinerChecks = async (t: Transport, log: (line: string) => void = () => undefined): Promise<Check[]> => {
  const out: Check[] = []
  for (const c of MINER_CHECKS) {
    const started = performance.now()
    let o: Outcome
    try {
      const details = await c.run(t)
      o = { status: "passed", ...(details !== undefined ? { details } : {}) }
    } catch (e) {
      if (e instanceof NotRun) o = { status: "not-run", reason: e.message }
      else if (e instanceof Failed) o = { status: "failed", reason: e.message, details: e.details }
      else o = { status: "failed", reason: `the request failed: ${(e as Error).message}` }
    }
    const check: Check = { part: "miner", area: c.area, name: c.name, rules: c.rules, ms: performance.now() - started, ...o }
    log(`  ${o.status === "passed" ? "✓" : o.status === "failed" ? "✗" : "-"} ${c.area}: ${c.name}${o.status !== "passed" ? ` — ${o.reason}` : ""}`)
    out.push(check)
  }
  return out
}

// ----------------------------------------------------------------------------------- reference miner

const MINER_MAIN = fileURLToPath(new URL("../../reference/miner/cli-main.ts", import.meta.url))

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer()
    s.once("error", reject)
    s.listen(0, "127.0.0.1", () => {
      const a = s.address()
      s.close(() => (typeof a === "object" && a !== null ? resolve(a.port) : reject(new Error("no port"))))
    })
  })

/** Starts the reference miner on the fixture's chain in a temporary directory (its own `init`, then our config). */
export const startReferenceMiner = async (log: (line: string) => void): Promise<{ url: string; stop: () => Promise<void>; output: () => string }> => {
  const dir = mkdtempSync(join(tmpdir(), "dotdns-conformance-miner-"))
  const port = await freePort()
  const run = (args: string[]): ChildProcess => spawn(process.execPath, [MINER_MAIN, ...args], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] })
  let output = ""
  const init = run(["init", "--dir", dir, "--port", String(port)])
  init.stdout?.on("data", (d) => (output += d))
  init.stderr?.on("data", (d) => (output += d))
  const code = await new Promise<number | null>((resolve) => init.once("exit", resolve))
  if (code !== 0) throw new Error(`dotdns miner init failed (${code}):\n${output}`)
  writeFileSync(
    join(dir, "miner.yaml"),
    [`identity: identity.json`, `http: { host: 127.0.0.1, port: ${port} }`, "data_dir: data", "log: { level: warn, format: json }", chainYaml(), ""].join("\n")
  )
  const proc = run(["start", "--config", join(dir, "miner.yaml")])
  proc.stdout?.on("data", (d) => (output += d))
  proc.stderr?.on("data", (d) => (output += d))
  let exited = false
  const gone = new Promise<void>((resolve) => proc.once("exit", () => ((exited = true), resolve())))
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 30_000
  for (;;) {
    if (exited) throw new Error(`the reference miner exited:\n${output}`)
    try {
      if ((await fetch(`${url}/healthz`)).ok) break
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      proc.kill("SIGKILL")
      throw new Error(`the reference miner did not answer /healthz within 30 s:\n${output}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  log(`reference miner on ${url} (${dir})`)
  return {
    url,
    output: () => output,
    stop: async () => {
      proc.kill("SIGTERM")
      const timer = setTimeout(() => proc.kill("SIGKILL"), 15_000)
      await gone
      clearTimeout(timer)
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

export interface MinerOptions {
  readonly url?: string
  readonly startReference?: boolean
  readonly junit?: string
  readonly json?: string
  readonly log: (line: string) => void
  /** A transport to use instead of HTTP (tests). */
  readonly transport?: Transport
}

export const runMinerTarget = async (o: MinerOptions): Promise<RunResult> => {
  const started = performance.now()
  const startedAt = new Date().toISOString()
  let miner: Awaited<ReturnType<typeof startReferenceMiner>> | undefined
  let url = o.url
  if (o.transport === undefined && url === undefined) {
    if (o.startReference !== true) throw new UsageError("give --url <base> of a running miner, or --start-reference")
    miner = await startReferenceMiner(o.log)
    url = miner.url
  }
  let checks: Check[]
  try {
    checks = await runMinerChecks(o.transport ?? httpTransport(url!), o.log)
  } finally {
    await miner?.stop()
  }
  const report: Report = {
    title: "dotdns conformance miner",
    target: miner !== undefined ? `reference miner (reference/miner) at ${url}` : (url ?? "a recorded exchange"),
    spec: `14-miner-apis.md (suite ${SPEC_VERSION})`,
    startedAt,
    ms: performance.now() - started,
    checks,
    notes: [`ingest checks assume the fixture chain (dotdns conformance miner --print-chain): epoch ${MINER_FIXTURE.epoch}, ${MINER_FIXTURE.witnesses.length} staked witnesses, ${MINER_FIXTURE.name} registered`]
  }
  return finish(report, o)
}
