/**
 * `dotdns start`: the whole system on one machine, each part a real process of its own —
 *
 *   localnet   `dotdns localnet` (JSON-RPC :8899, PubSub :8900, the dotdns program preloaded)
 *   miner-1…3  `dotdns miner start` (:7101–7103, SQLite, peers of each other, chain duties on)
 *   witness-1…2 `dotdns client start` in gateway mode with a bonded witness key, witnessing the routes
 *              owners publish (`receipts.routes: published`), on ephemeral loopback ports
 *   client     `dotdns client start` (DNS UDP+TCP :5353, DoH https :8443 and http :8053)
 *
 * and the demo world: keys in `<data-dir>/keys`, the protocol initialized over JSON-RPC with
 * LOCALNET params (50-slot epochs: submit window 20, challenge window 20), the miners bonded, two
 * witnesses bonded, four names registered and their first routes published to the miners.
 *
 * Timing. The chain runs on a real clock (400 ms slots, 20 s epochs) from the start, but the first
 * routes' way to finality is bootstrapped by warping the clock (`dotdns_warpSlot`) past each wait as
 * soon as what it waits for has happened: into epoch 1 at the slot the witnesses' batches are due
 * (slot 42 of 50, `publishedFrom`; the committee is seated and the witnesses' stake active by then) →
 * receipts on every miner → epoch 2 (cut-off: the miners aggregate and submit) → every aggregate on
 * chain → the rounds' challenge_end (the miners finalize) → every name canonical. From then on nothing
 * is warped: a route update published before slot 42 of epoch E is witnessed in E, one published
 * later in E+1, and it is canonical 40 slots (submit + challenge window) into the epoch after that —
 * 20 to 40 s after it was published.
 *
 * The witnesses witness what users ask them for; the orchestrator plays those users, asking each
 * witness for every demo name every couple of seconds over DNS.
 */
import { createSocket } from "node:dgram"
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { join, relative } from "node:path"
import dnsPacket from "dns-packet"
import { stringify } from "yaml"
import { AGGREGATE_FLAG } from "../../spec/src/accounts.ts"
import { equal, hex } from "../../spec/src/bytes.ts"
import { LOCALNET_PARAMS, param, type Params } from "../../spec/src/params.ts"
import type { ClientConfigInput } from "../client/Config.ts"
import { publishedFrom } from "../client/Receipts.ts"
import { bootstrap, connectDevChain, read, READER, rpcMinerConfigYaml, type DevChain } from "../miner/DevChain.ts"
import {
  DEMO_ROUTES, describeRecords, DOTDNS_BIN, keyPath, loadKey, nameHash, parseRecords, publishRoute, REPO_ROOT, signRoute, statePath, writeState,
  type DemoState, type SignedRoute
} from "./Demo.ts"
import { describeExit, spawnChild, type Child } from "./Processes.ts"

// ------------------------------------------------------------------------------------------ options

export interface StartOptions {
  readonly dataDir: string
  readonly rpcPort: number
  readonly minerPorts: readonly [number, number, number]
  readonly dnsPort: number
  readonly dohPort: number
  readonly dohHttpPort: number
  /** Wall-clock slot length of the localnet. */
  readonly slotMs: number
  /** Every line of every child, as it comes. */
  readonly verbose: boolean
  /** Where the orchestrator's own lines go (stdout by default). */
  readonly out?: (line: string) => void
  /** Resolves to stop (default: SIGINT or SIGTERM). */
  readonly stop?: Promise<void>
}

export const DEFAULTS = {
  rpcPort: 8899,
  minerPorts: [7101, 7102, 7103] as const,
  dnsPort: 5353,
  dohPort: 8443,
  dohHttpPort: 8053,
  slotMs: 400
} as const

const PARAMS = LOCALNET_PARAMS
const L = param(PARAMS, "epochLengthSlots")

/** The parts of the params the witnesses' schedule depends on. */
export const epochInfoOf = (p: Params) => ({
  epochLength: param(p, "epochLengthSlots"),
  submitWindow: param(p, "submitWindowSlots"),
  challengeWindow: param(p, "challengeWindowSlots")
})
const WITNESSES = 2
const MINER_TICK_MS = 250

// ------------------------------------------------------------------------------------------ output

const useColor = process.stdout.isTTY === true && process.env.NO_COLOR === undefined
const COLORS = ["36", "32", "33", "35", "34", "96", "92", "93"]
const paint = (code: string, s: string) => (useColor ? `\x1b[${code}m${s}\x1b[0m` : s)

/** A child's log line as data: JSON logs (the miner's and the client's) or plain text (the localnet's). */
export const parseLogLine = (line: string): { level: string; message: string; fields: Record<string, unknown> } => {
  if (!line.startsWith("{")) return { level: "info", message: line, fields: {} }
  try {
    const j = JSON.parse(line) as Record<string, unknown>
    const level = String(j.level ?? j.logLevel ?? "info").toLowerCase()
    const message = Array.isArray(j.message) ? j.message.filter((m) => typeof m !== "object").join(" ") : String(j.message ?? "")
    const skip = new Set(["time", "timestamp", "level", "message", "fiberId", "spans", "annotations"])
    const fields: Record<string, unknown> = { ...(typeof j.annotations === "object" && j.annotations !== null ? (j.annotations as Record<string, unknown>) : {}) }
    for (const [k, v] of Object.entries(j)) if (!skip.has(k)) fields[k] = v
    return { level, message, fields }
  } catch {
    return { level: "info", message: line, fields: {} }
  }
}

/**
 * Without --verbose, what a person watching the demo sees of a child's line: warnings and errors, and
 * the protocol's milestones in a few words (name hashes shown as names); undefined hides the line.
 */
export const presentLine = (line: string, names: ReadonlyMap<string, string>): string | undefined => {
  const { level, message, fields } = parseLogLine(line)
  const nameOf = (v: unknown) => (typeof v === "string" ? names.get(v) ?? `${v.slice(0, 8)}…` : "?")
  const f = fields as Record<string, string | undefined>
  switch (message) {
    case "epoch advanced":
      return `epoch ${f.epoch} begins (advance_epoch cranked)`
    case "aggregate submitted":
      return `submitted its aggregate of ${nameOf(f.nameHash)} for epoch ${f.epoch}`
    case "round closed":
      return `finalized the round of ${nameOf(f.nameHash)} (epoch ${f.epoch})`
    case "miner started":
      return `started: ${f.http}, identity ${f.miner}`
  }
  if (/^receipts: posted/.test(message)) return message
  if (/^dotdns client listening/.test(message)) return message.replace(/^dotdns client /, "")
  if (/^localnet: (JSON-RPC|preloaded)/.test(message)) return message.replace(/^localnet: /, "")
  if ((LEVEL_RANK[level] ?? 2) < LEVEL_RANK.warn!) return undefined
  const kv = Object.entries(fields)
    .filter(([k]) => k !== "tx" && k !== "cause")
    .map(([k, v]) => `${k === "nameHash" ? "name" : k}=${k === "nameHash" ? nameOf(v) : typeof v === "string" ? (/^[0-9a-f]{64}$/.test(v) ? `${v.slice(0, 8)}…` : v) : JSON.stringify(v)}`)
    .join(" ")
  return `${level.toUpperCase()} ${message}${kv ? `  ${kv}` : ""}`
}

const LEVEL_RANK: Record<string, number> = { trace: 0, debug: 1, info: 2, warn: 3, warning: 3, error: 4, fatal: 5 }

// ------------------------------------------------------------------------------------------ helpers

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

class Stopped extends Error {}

/** Whether a TCP (and for DNS also UDP) port on 127.0.0.1 can be bound now. */
const portFree = (port: number, udp: boolean): Promise<boolean> =>
  new Promise((resolve) => {
    const srv = createServer()
    srv.once("error", () => resolve(false))
    srv.listen(port, "127.0.0.1", () =>
      srv.close(() => {
        if (!udp) return resolve(true)
        const s = createSocket("udp4")
        s.once("error", () => resolve(false))
        s.bind(port, "127.0.0.1", () => s.close(() => resolve(true)))
      })
    )
  })

/** One DNS question over UDP; undefined on timeout. */
export const dnsQuery = (port: number, name: string, type: "A" | "AAAA" | "TXT" | "CNAME", timeoutMs = 2000): Promise<dnsPacket.Packet | undefined> =>
  new Promise((resolve) => {
    const sock = createSocket("udp4")
    const id = Math.floor(Math.random() * 65535)
    const done = (p: dnsPacket.Packet | undefined) => {
      clearTimeout(timer)
      sock.close()
      resolve(p)
    }
    const timer = setTimeout(() => done(undefined), timeoutMs)
    sock.on("error", () => done(undefined))
    sock.on("message", (msg) => {
      try {
        const p = dnsPacket.decode(msg)
        if (p.id === id) done(p)
      } catch {
        /* not for us */
      }
    })
    sock.send(dnsPacket.encode({ type: "query", id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type }] }), port, "127.0.0.1")
  })

const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

const cmdlineOf = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ")
  } catch {
    return ""
  }
}

// ------------------------------------------------------------------------------------------ configs

interface Layout {
  readonly dataDir: string
  readonly minerDir: (i: number) => string
  readonly witnessDir: (i: number) => string
  readonly clientDir: string
}

const layoutOf = (dataDir: string): Layout => ({
  dataDir,
  minerDir: (i) => join(dataDir, `miner-${i + 1}`),
  witnessDir: (i) => join(dataDir, `witness-${i + 1}`),
  clientDir: join(dataDir, "client")
})

const clientYaml = (c: ClientConfigInput): string => `# written by dotdns start; rewritten on every start\n${stringify(c)}`

// ------------------------------------------------------------------------------------------ run

/** Runs the demo until stopped; resolves with the exit code (0 after a clean stop). */
export const runStart = async (o: StartOptions): Promise<number> => {
  const t0 = Date.now()
  const out = o.out ?? ((line: string) => process.stdout.write(`${line}\n`))
  const say = (line: string) => out(`${paint("1", "[start]")} ${line}`)
  const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`
  const layout = layoutOf(o.dataDir)
  mkdirSync(o.dataDir, { recursive: true })

  // ---- one orchestrator per data dir; children a killed one left behind are stopped first
  const lockPath = join(o.dataDir, "start.pid")
  if (existsSync(lockPath)) {
    const pid = Number(readFileSync(lockPath, "utf8").trim())
    if (Number.isInteger(pid) && pid !== process.pid && pidAlive(pid) && cmdlineOf(pid).includes("start")) {
      out(`dotdns start: another dotdns start (pid ${pid}) is running with ${o.dataDir}; stop it first`)
      return 1
    }
  }
  const childrenPath = join(o.dataDir, "children.json")
  if (existsSync(childrenPath)) {
    try {
      const stale = (JSON.parse(readFileSync(childrenPath, "utf8")) as { name: string; pid: number }[]).filter(
        (c) => pidAlive(c.pid) && cmdlineOf(c.pid).includes(DOTDNS_BIN)
      )
      for (const c of stale) {
        say(`stopping ${c.name} (pid ${c.pid}) left running by an earlier dotdns start`)
        try {
          process.kill(-c.pid, "SIGKILL")
        } catch {
          /* gone */
        }
      }
      for (let i = 0; i < 50 && stale.some((c) => pidAlive(c.pid)); i++) await sleep(100)
    } catch {
      /* unreadable: ignore */
    }
  }
  rmSync(statePath(o.dataDir), { force: true })
  writeFileSync(lockPath, `${process.pid}\n`)
  const unlock = () => {
    rmSync(lockPath, { force: true })
    rmSync(statePath(o.dataDir), { force: true })
    rmSync(childrenPath, { force: true })
  }

  // ---- the ports, all at once, before anything starts
  const wanted: { port: number; flag: string; udp: boolean }[] = [
    { port: o.rpcPort, flag: "--rpc-port", udp: false },
    { port: o.rpcPort + 1, flag: "--rpc-port (PubSub on +1)", udp: false },
    ...o.minerPorts.map((port) => ({ port, flag: "--miner-ports", udp: false })),
    { port: o.dnsPort, flag: "--dns-port", udp: true },
    { port: o.dohPort, flag: "--doh-port", udp: false },
    { port: o.dohHttpPort, flag: "--doh-http-port", udp: false }
  ]
  const busy = (await Promise.all(wanted.map(async (w) => ((await portFree(w.port, w.udp)) ? undefined : w)))).filter((w) => w !== undefined)
  if (busy.length > 0) {
    for (const b of busy) out(`dotdns start: 127.0.0.1:${b.port} is in use (${b.flag}); pick another port or stop what holds it`)
    unlock()
    return 1
  }

  // ---- keys and configs; each start is a fresh chain, so the miners' and clients' state goes
  const key = (label: string) => loadKey(o.dataDir, label)
  const admin = key("admin")
  const owner = key("owner")
  const minerKeys = [0, 1, 2].map((i) => key(`miner-${i + 1}`))
  const witnessKeys = Array.from({ length: WITNESSES }, (_, i) => key(`witness-${i + 1}`))
  const rpcUrl = `http://127.0.0.1:${o.rpcPort}`
  const minerUrls = o.minerPorts.map((p) => `http://127.0.0.1:${p}`)
  for (let i = 0; i < 3; i++) {
    const dir = layout.minerDir(i)
    rmSync(join(dir, "data"), { recursive: true, force: true })
    mkdirSync(dir, { recursive: true })
    writeFileSync(
      join(dir, "miner.yaml"),
      `# written by dotdns start; rewritten on every start\n${rpcMinerConfigYaml({
        port: o.minerPorts[i]!,
        rpcUrl,
        peers: minerUrls.filter((_, j) => j !== i),
        identity: relative(dir, keyPath(o.dataDir, `miner-${i + 1}`)),
        tickMs: MINER_TICK_MS,
        log: { level: "info", format: "json" }
      })}`
    )
  }
  const common = {
    rpc: { urls: [rpcUrl], commitment: "finalized" as const },
    miners: { urls: minerUrls, hedge_delay_ms: 100, timeout_ms: 3000 }
  }
  for (let i = 0; i < WITNESSES; i++) {
    const dir = layout.witnessDir(i)
    rmSync(join(dir, "data"), { recursive: true, force: true })
    mkdirSync(dir, { recursive: true })
    writeFileSync(
      join(dir, "client.yaml"),
      clientYaml({
        mode: "gateway",
        data_dir: "data",
        ...common,
        miners: { ...common.miners, feeds: false },
        cache: { persist: false, negative_ttl_s: 5 },
        dns: { host: "127.0.0.1", port: 0, tcp: false },
        doh: { https: { enabled: false }, http: { enabled: false } },
        receipts: { witness_key: relative(dir, keyPath(o.dataDir, `witness-${i + 1}`)), poll_ms: 500, routes: "published" },
        gateway: { publish_interval_ms: 1000 },
        log: { level: "info", format: "json" }
      })
    )
  }
  rmSync(join(layout.clientDir, "route-cache.json"), { force: true })
  mkdirSync(layout.clientDir, { recursive: true })
  const clientConfigPath = join(layout.clientDir, "client.yaml")
  writeFileSync(
    clientConfigPath,
    clientYaml({
      data_dir: ".",
      ...common,
      cache: { negative_ttl_s: 5, failure_ttl_s: 2 },
      dns: { host: "127.0.0.1", port: o.dnsPort },
      doh: { https: { host: "127.0.0.1", port: o.dohPort }, http: { host: "127.0.0.1", port: o.dohHttpPort } },
      log: { level: "info", format: "json" }
    })
  )

  // `dotdns resolve --config` for non-default ports: the same endpoints, a cache of its own
  writeFileSync(join(o.dataDir, "resolve.yaml"), clientYaml({ data_dir: "resolve", ...common, cache: { persist: false }, log: { level: "warn", format: "pretty" } }))

  // ---- children
  const children: Child[] = []
  let stopping = false
  let failure: string | undefined
  const colorOf = new Map<string, string>()
  const hashes = new Map(DEMO_ROUTES.map((r) => [hex(nameHash(r.name)), r.name]))
  const onLine = (name: string, line: string, stream: "stdout" | "stderr") => {
    if (!o.verbose) {
      // the JSON line each of localnet and client prints first is for scripts; the orchestrator reads it
      if (stream === "stdout" && line.startsWith('{"') && /"pid":\d+\}$/.test(line)) return
      const shown = presentLine(line, hashes)
      if (shown === undefined) return
      line = shown
    }
    if (!colorOf.has(name)) colorOf.set(name, COLORS[colorOf.size % COLORS.length]!)
    out(`${paint(colorOf.get(name)!, `[${name}]`.padEnd(12))}${line}`)
  }
  let wake: () => void = () => {}
  const woken = new Promise<void>((r) => (wake = r))
  const start = (name: string, args: readonly string[]): Child => {
    const c = spawnChild({ name, command: process.execPath, args: [DOTDNS_BIN, ...args], cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: "1" }, onLine })
    children.push(c)
    // so that a next start can stop what a killed orchestrator leaves behind
    writeFileSync(childrenPath, JSON.stringify(children.map((x) => ({ name: x.name, pid: x.pid }))))
    void c.exited.then((s) => {
      if (stopping) return
      failure ??= `${name} ${describeExit(s)}`
      wake()
    })
    return c
  }
  const check = () => {
    if (stopping || failure !== undefined) throw new Stopped(failure ?? "stopped")
  }
  /** Waits for `probe` to return a value, checking for a stop or a dead child in between. */
  const waitFor = async <T>(what: string, probe: () => Promise<T | undefined | false>, ms = 30_000, every = 150): Promise<T> => {
    const deadline = Date.now() + ms
    let last: unknown
    for (;;) {
      check()
      try {
        const v = await probe()
        if (v !== undefined && v !== false) return v
      } catch (e) {
        last = e
      }
      if (Date.now() > deadline) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}${last === undefined ? "" : `: ${String(last)}`}`)
      await Promise.race([sleep(every), woken])
    }
  }

  // ---- signals
  let signals = 0
  let firstSignalAt = 0
  const onSignal = (sig: NodeJS.Signals) => {
    // one Ctrl-C can arrive twice: from the terminal and forwarded by a parent such as `npm start`
    if (signals > 0 && Date.now() - firstSignalAt < 1500) return
    if (signals === 0) firstSignalAt = Date.now()
    signals++
    if (signals === 1) {
      out("")
      say(`${sig}: stopping (the client, the witnesses, the miners, then the localnet)…`)
      stopping = true
      wake()
    } else if (signals === 2) say("still stopping; a third signal kills everything at once")
    else {
      for (const c of children) if (c.running()) process.kill(-c.pid, "SIGKILL")
      unlock()
      process.exit(130)
    }
  }
  const stopSignal = o.stop ?? new Promise<void>(() => {})
  void stopSignal.then(() => onSignal("SIGTERM"))
  if (o.stop === undefined) {
    process.on("SIGINT", onSignal)
    process.on("SIGTERM", onSignal)
  }

  const shutdown = async (code: number): Promise<number> => {
    stopping = true
    traffic.stop = true
    const order = [children.filter((c) => c.name === "client" || c.name.startsWith("witness")), children.filter((c) => c.name.startsWith("miner")), children.filter((c) => c.name === "localnet")]
    for (const group of order)
      await Promise.all(
        group.map(async (c) => {
          const wasRunning = c.running()
          const s = await c.stop(10_000)
          if (wasRunning && o.verbose) say(`${c.name} ${describeExit(s)}`)
        })
      )
    unlock()
    if (o.stop === undefined) {
      process.off("SIGINT", onSignal)
      process.off("SIGTERM", onSignal)
    }
    say(code === 0 ? `stopped after ${elapsed()}; every port is free` : `stopped (exit ${code})`)
    return code
  }

  const traffic = { stop: false, ports: [] as number[], everyMs: 1000 }

  try {
    say(`data dir ${o.dataDir}; starting the localnet on ${rpcUrl}`)
    const localnet = start("localnet", ["localnet", "--rpc-port", String(o.rpcPort), "--slot-time", String(o.slotMs)])
    const info = JSON.parse(await Promise.race([localnet.firstLine, woken.then(() => Promise.reject(new Stopped(failure ?? "stopped")))])) as { rpcUrl: string }
    check()
    const net: DevChain = connectDevChain(info.rpcUrl)

    // everything else starts now and gets ready while the protocol is set up
    say(`starting 3 miners (${minerUrls.join(", ")}), ${WITNESSES} witness gateways and the client`)
    minerUrls.forEach((_, i) => start(`miner-${i + 1}`, ["miner", "start", "--config", join(layout.minerDir(i), "miner.yaml")]))
    const witnesses = Array.from({ length: WITNESSES }, (_, i) => start(`witness-${i + 1}`, ["client", "start", "--config", join(layout.witnessDir(i), "client.yaml")]))
    const client = start("client", ["client", "start", "--config", clientConfigPath])

    const names = DEMO_ROUTES.map((r) => r.name)
    await bootstrap(net, { admin, owner, allowlist: minerKeys, witnesses: witnessKeys, name: names[0]!, names: names.slice(1), params: PARAMS }, minerKeys)
    check()
    const firstEpoch = (await net.slot()) / L
    say(`protocol initialized in epoch ${firstEpoch}: 3 miners bonded, ${WITNESSES} witnesses bonded, ${names.length} names registered (${elapsed()})`)

    // the owner publishes the first routes to every miner
    await waitFor(
      "the miners' HTTP APIs",
      async () => (await Promise.all(minerUrls.map(async (u) => (await fetch(`${u}/healthz`).catch(() => undefined))?.ok === true))).every(Boolean),
      60_000
    )
    const routes: SignedRoute[] = DEMO_ROUTES.map((r) => signRoute(owner, r.name, 1n, parseRecords(r.records)))
    for (const r of routes) {
      const results = await publishRoute(minerUrls, r)
      const bad = results.filter((x) => x.status !== 200)
      if (bad.length > 0) throw new Error(`publishing ${r.record.name}: ${bad.map((b) => `${b.miner}: HTTP ${b.status} ${b.message}`).join("; ")}`)
    }
    say(`owner published ${routes.map((r) => `${r.record.name} (${describeRecords(r.record.records)})`).join(", ")}`)

    // users of the witness gateways: every demo name, over and over
    traffic.ports = await Promise.all(witnesses.map(async (w) => Number(/:(\d+)$/.exec((JSON.parse(await w.firstLine) as { dns: string }).dns)![1])))
    void (async () => {
      while (!traffic.stop) {
        await Promise.all(traffic.ports.flatMap((port) => names.map((n) => dnsQuery(port, n, "A", 1500))))
        await sleep(traffic.everyMs)
      }
    })()

    // ---- the first round, warped: epoch E1 (witness slot) → receipts → E1+1 → aggregates → challenge_end → final
    const E1 = firstEpoch + 1n
    const warpTo = async (slot: bigint) => {
      if ((await net.slot()) < slot) await net.warp(slot)
    }
    const witnessSlot = E1 * L + publishedFrom(epochInfoOf(PARAMS))
    await warpTo(witnessSlot)
    say(`warped to slot ${witnessSlot} of epoch ${E1}, where the witnesses' batches are due: they witness the published routes`)
    const expected = names.length * WITNESSES
    await waitFor(
      `${expected} receipts of epoch ${E1} on every miner`,
      async () => {
        const counts = await Promise.all(
          minerUrls.map(async (u) => ((await (await fetch(`${u}/v1/receipts?epoch=${E1}&limit=1000`)).json()) as { receipts?: unknown[] }).receipts?.length ?? 0)
        )
        return counts.every((c) => c >= expected)
      },
      45_000
    )
    await warpTo((E1 + 1n) * L)
    say(`receipts in; warped to epoch ${E1 + 1n} (slot ${(E1 + 1n) * L}): the miners aggregate and submit (${elapsed()})`)
    const reader = net.client(READER)
    await waitFor(
      "every miner's aggregate on chain",
      async () => {
        for (const r of routes)
          for (const m of minerKeys) {
            const a = await read(reader.aggregate(E1, nameHash(r.record.name), m.publicKey))
            if (a === undefined || (a.flags & AGGREGATE_FLAG.submitted) === 0) return false
          }
        return true
      },
      45_000
    )
    let end = 0n
    for (const r of routes) {
      const round = await read(reader.round(E1, nameHash(r.record.name)))
      if (round !== undefined && round.challengeEnd > end) end = round.challengeEnd
    }
    await warpTo(end)
    say(`aggregates on chain; warped to slot ${end}, the end of the challenge window: the miners finalize (${elapsed()})`)
    await waitFor(
      "every demo name canonical",
      async () => {
        for (const r of routes) {
          const n = await read(reader.name(nameHash(r.record.name)))
          if (n === undefined || !equal(n.routeHash, r.routeHash)) return false
        }
        return true
      },
      45_000
    )
    traffic.everyMs = 2000

    // ---- the client answers with the verified route
    const clientInfo = JSON.parse(await client.firstLine) as { dns: string; https: string | null; http: string | null }
    await waitFor(
      "the client's answer for hello.dns",
      async () => {
        const p = await dnsQuery(o.dnsPort, "hello.dns", "A", 1500)
        return p?.answers?.some((a) => a.type === "A" && a.data === "10.0.0.1") === true
      },
      20_000,
      250
    )
    const state: DemoState = {
      pid: process.pid,
      rpcUrl,
      miners: minerUrls,
      dns: { host: "127.0.0.1", port: o.dnsPort },
      doh: { https: clientInfo.https ?? "", http: clientInfo.http ?? "" },
      names,
      slotMs: o.slotMs,
      epochSlots: Number(L),
      children: children.map((c) => ({ name: c.name, pid: c.pid }))
    }
    writeState(o.dataDir, state)
    for (const l of readyText(o, state, elapsed())) out(l)
    void watchNames(net, names, say, () => stopping || failure !== undefined)

    await woken
    if (failure !== undefined && !stopping) {
      say(paint("31", `${failure}; stopping everything`))
      return await shutdown(1)
    }
    return await shutdown(0)
  } catch (e) {
    if (e instanceof Stopped || stopping) {
      if (failure !== undefined && !stopping) say(paint("31", `${failure}; stopping everything`))
      return await shutdown(failure !== undefined && !stopping ? 1 : 0)
    }
    say(paint("31", `failed: ${e instanceof Error ? e.message : String(e)}`))
    return await shutdown(1)
  }
}

/** Prints when a demo name's canonical route changes (a route update finalized). */
const watchNames = async (net: DevChain, names: readonly string[], say: (l: string) => void, done: () => boolean) => {
  const reader = net.client(READER)
  const seen = new Map<string, string>()
  while (!done()) {
    for (const name of names) {
      try {
        const n = await read(reader.name(nameHash(name)))
        if (n === undefined) continue
        const key = `${n.serial}/${hex(n.routeHash)}`
        const before = seen.get(name)
        seen.set(name, key)
        if (before !== undefined && before !== key) say(`${name}: serial ${n.serial} is canonical now (finalized in epoch ${n.routeEpoch}'s round)`)
      } catch {
        /* the localnet is going away */
      }
    }
    await sleep(500)
  }
}

const readyText = (o: StartOptions, s: DemoState, took: string): string[] => {
  const bin = process.cwd() === REPO_ROOT ? "node bin/dotdns.js" : `node ${DOTDNS_BIN}`
  const dataFlag = o.dataDir === join(REPO_ROOT, ".dotdns") ? "" : ` --data-dir ${o.dataDir}`
  const defaults = o.rpcPort === DEFAULTS.rpcPort && o.minerPorts[0] === DEFAULTS.minerPorts[0]
  const clientFlag = defaults ? "" : ` --config ${join(o.dataDir, "resolve.yaml")}`
  const https = s.doh.https
  return [
    "",
    paint("1;32", `dotdns start: ready in ${took} — ${s.names.join(", ")} resolve through the verifying client`),
    "",
    `  localnet   JSON-RPC ${s.rpcUrl}   PubSub ws://127.0.0.1:${o.rpcPort + 1}   (${o.slotMs} ms slots, ${s.epochSlots}-slot epochs)`,
    `  miners     ${s.miners.join("   ")}`,
    `  witnesses  ${WITNESSES} gateways witnessing the owners' published routes (keys in ${join(o.dataDir, "keys")})`,
    `  client     DNS udp+tcp 127.0.0.1:${o.dnsPort}   DoH ${https}   ${s.doh.http}`,
    "",
    "  try:",
    `    dig @127.0.0.1 -p ${o.dnsPort} hello.dns A`,
    `    dig @127.0.0.1 -p ${o.dnsPort} www.hello.dns A        (a CNAME to hello.dns, followed)`,
    `    dig @127.0.0.1 -p ${o.dnsPort} mail.dns AAAA +tcp`,
    `    dig @127.0.0.1 -p ${o.dnsPort} txt.dns TXT`,
    `    kdig @127.0.0.1 -p ${o.dohPort} +https hello.dns          (DoH, HTTP/2; the certificate is ${join(o.dataDir, "client", "tls", "doh-cert.pem")})`,
    `    dig @127.0.0.1 -p ${o.dohHttpPort} +http-plain hello.dns A    (DoH over plain HTTP)`,
    `    curl --doh-url ${https} --doh-insecure -sv -m 2 http://hello.dns/ 2>&1 | grep Trying     (curl resolves through the client: "Trying 10.0.0.1:80")`,
    `    ${bin} resolve hello.dns --trace --fresh${clientFlag}     (every verification step; --fresh skips the cache)`,
    "",
    "  update a route (signed by the demo owner at serial + 1, published to the miners; canonical 20–40 s later):",
    `    ${bin} demo route hello.dns 10.0.0.2${dataFlag} --wait`,
    `    ${bin} demo route mail.dns 2001:db8::26 txt=moved${dataFlag}`,
    "",
    "  Ctrl-C stops everything."
  ]
}
