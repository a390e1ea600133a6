/**
 * `npm run bench:dns`: the reference client's cached `.dns` answers over UDP, measured with `dnsperf`,
 * side by side in the same run with `unbound` answering the same record from local-data on another
 * loopback port — both single-threaded (the client is one Node process; unbound has `num-threads: 1`),
 * both pinned to the same CPU when `taskset` exists and there are two CPUs, `dnsperf` on the other.
 * Short rounds alternate which server goes first, so each pair of runs shares the machine's conditions;
 * the ratio reported is the median of the per-round ratios (the medians of each server are shown too).
 * DoH latency on loopback is measured first, on the freshly started client: sequential queries over one
 * HTTPS HTTP/2 session (GET and POST) and over plain HTTP/1.1 keep-alive, p50/p99, each series run three
 * times (all shown; the median p99 is the figure compared with the goal).
 *
 * The chain state is real (localnet, dotdns transactions); the route record comes from the test
 * stand-in miner (an HTTP server, idle once the record is cached — unlike the reference miner, it has
 * no background work to disturb the measurement). Every query is for `hello.dns A`, so after the first
 * one the client answers from its verified cache — the hot path this measures.
 *
 * A third series, `node-floor`, is a bare Node UDP responder (same Node, same dgram settings, one
 * fixed answer, no logic at all): the ceiling of any Node program here, shown for scale.
 *
 * Options: --seconds N (per dnsperf run, default 4), --rounds N (default 8), --outstanding N (dnsperf -q,
 * default 500), --doh N (requests per DoH series, default 5000), --no-pin, --json. The load average at
 * start and end is printed: on a shared machine, numbers taken under load are not comparable.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process"
import { createSocket } from "node:dgram"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { Agent, request as httpRequest } from "node:http"
import { connect as h2connect } from "node:http2"
import { availableParallelism, loadavg, tmpdir } from "node:os"
import { join } from "node:path"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"
import dnsPacket from "dns-packet"
import { buildChainWorld } from "../reference/client/test/chain-world.ts"
import { StandInMiner } from "../reference/client/test/stand-in-miner.ts"
import { dig, ROUTES } from "../reference/client/test/world.ts"

const CLI = fileURLToPath(new URL("../cli/main.ts", import.meta.url))

const flag = (name: string): boolean => process.argv.includes(name)
const option = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name)
  return i >= 0 && process.argv[i + 1] !== undefined ? Number(process.argv[i + 1]) : fallback
}
const SECONDS = option("--seconds", 4)
const ROUNDS = option("--rounds", 8)
const OUTSTANDING = option("--outstanding", 500)
const DOH_N = option("--doh", 5000)
const JSON_OUT = flag("--json")
const has = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0
const PIN = !flag("--no-pin") && has("taskset") && availableParallelism() >= 2
const pinned = (cpu: number, cmd: string, args: string[]): [string, string[]] => (PIN ? ["taskset", ["-c", String(cpu), cmd, ...args]] : [cmd, args])

const log = (s: string) => process.stderr.write(`${s}\n`)
const LOAD_START = loadavg().map((x) => Number(x.toFixed(2)))

const freePort = async (): Promise<number> => {
  const s = createSocket("udp4")
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", r))
  const p = s.address().port
  s.close()
  return p
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!

interface PerfResult {
  readonly qps: number
  readonly lost: number
  readonly avgLatencyMs: number
}

const dnsperf = (port: number, queries: string): PerfResult => {
  const [cmd, args] = pinned(0, "dnsperf", ["-s", "127.0.0.1", "-p", String(port), "-d", queries, "-l", String(SECONDS), "-q", String(OUTSTANDING)])
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: (SECONDS + 30) * 1000 })
  const qps = /Queries per second:\s+([\d.]+)/.exec(r.stdout)?.[1]
  if (qps === undefined) throw new Error(`dnsperf failed: ${r.stderr || r.stdout}`)
  return {
    qps: Number(qps),
    lost: Number(/Queries lost:\s+(\d+)/.exec(r.stdout)?.[1] ?? 0),
    avgLatencyMs: Number(/Average Latency \(s\):\s+([\d.]+)/.exec(r.stdout)?.[1] ?? 0) * 1000
  }
}

const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.pid === undefined) return resolve()
    child.once("exit", () => resolve())
    child.kill("SIGTERM")
  })

/** A bare Node UDP responder: receive, copy a fixed answer, patch the id, send. */
const FLOOR_SOURCE = `
import { createSocket } from "node:dgram"
const answer = Buffer.from(process.argv[1], "hex")
const s = createSocket({ type: "udp4", recvBufferSize: 4 << 20, sendBufferSize: 4 << 20, lookup: (a, _o, cb) => cb(null, a, 4) })
s.on("message", (m, r) => { const out = Buffer.allocUnsafe(answer.length); answer.copy(out); out[0] = m[0]; out[1] = m[1]; s.send(out, r.port, r.address) })
s.bind(Number(process.argv[2]), "127.0.0.1", () => console.log("ready"))
`

// ------------------------------------------------------------------------------------------ DoH

const QUERY = dnsPacket.encode({ type: "query", id: 0, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name: "hello.dns", type: "A" }] })

interface Latency {
  readonly p50: number
  readonly p99: number
  readonly max: number
  readonly n: number
}

const summarize = (ms: number[]): Latency => {
  const s = ms.sort((a, b) => a - b)
  return { p50: percentile(s, 50), p99: percentile(s, 99), max: s[s.length - 1]!, n: s.length }
}

const dohH2 = async (url: string, ca: Buffer, method: "GET" | "POST", n: number): Promise<Latency> => {
  const u = new URL(url)
  const session = h2connect(u.origin, { ca, servername: "localhost", checkServerIdentity: () => undefined })
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const req =
        method === "GET"
          ? session.request({ ":method": "GET", ":path": `${u.pathname}?dns=${QUERY.toString("base64url")}`, accept: "application/dns-message" })
          : session.request({ ":method": "POST", ":path": u.pathname, "content-type": "application/dns-message", accept: "application/dns-message" })
      req.on("response", (h) => {
        if (h[":status"] !== 200) reject(new Error(`status ${h[":status"]}`))
      })
      req.on("data", () => {})
      req.on("end", () => resolve())
      req.on("error", reject)
      req.end(method === "POST" ? QUERY : undefined)
    })
  for (let i = 0; i < 500; i++) await one()
  const ms: number[] = []
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint()
    await one()
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6)
  }
  session.close()
  return summarize(ms)
}

const dohH1 = async (url: string, n: number): Promise<Latency> => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  const path = `${new URL(url).pathname}?dns=${QUERY.toString("base64url")}`
  const u = new URL(url)
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const req = httpRequest({ host: u.hostname, port: u.port, path, agent, headers: { accept: "application/dns-message" } }, (res) => {
        res.on("data", () => {})
        res.on("end", () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))))
      })
      req.on("error", reject)
      req.end()
    })
  for (let i = 0; i < 500; i++) await one()
  const ms: number[] = []
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint()
    await one()
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6)
  }
  agent.destroy()
  return summarize(ms)
}

// ------------------------------------------------------------------------------------------ main

const main = async () => {
  for (const tool of ["dnsperf", "unbound", "dig"]) if (!has(tool)) throw new Error(`${tool} is not installed (apt-get install dnsperf unbound dnsutils)`)
  const tmp = mkdtempSync(join(tmpdir(), "dotdns-bench-"))
  const chain = await buildChainWorld({ register: ["hello.dns"], finalize: [ROUTES.hello] })
  const miner = await StandInMiner.start()
  miner.serve(ROUTES.hello)
  const world = { chain, miner, close: async () => (await miner.close(), await chain.net.close()) }
  const children: ChildProcess[] = []
  try {
    // the client, as its own process
    const cfg = join(tmp, "client.yaml")
    writeFileSync(
      cfg,
      [`data_dir: ${join(tmp, "client")}`, `rpc: { urls: [${world.chain.rpcUrl}] }`, `miners: { urls: [${world.miner.url}], feeds: false }`, "dns: { port: 0 }", "doh: { https: { port: 0 }, http: { port: 0 } }", "log: { level: warn }", ""].join("\n")
    )
    const [ccmd, cargs] = pinned(1, process.execPath, [CLI, "client", "start", "-c", cfg])
    const client = spawn(ccmd, cargs, { stdio: ["ignore", "pipe", "inherit"] })
    children.push(client)
    const info = JSON.parse(await new Promise<string>((r) => createInterface({ input: client.stdout! }).once("line", r))) as {
      dns: string
      https: string
      http: string
      certificate: { path: string }
    }
    const clientPort = Number(info.dns.split(":")[1])

    // unbound, answering the same record from local-data
    const ubPort = await freePort()
    const ubConf = join(tmp, "unbound.conf")
    writeFileSync(
      ubConf,
      [
        "server:",
        "  interface: 127.0.0.1",
        `  port: ${ubPort}`,
        "  num-threads: 1",
        "  do-daemonize: no",
        '  username: ""',
        '  chroot: ""',
        `  directory: "${tmp}"`,
        `  pidfile: "${join(tmp, "unbound.pid")}"`,
        "  use-syslog: no",
        '  logfile: ""',
        "  verbosity: 0",
        "  do-ip6: no",
        "  access-control: 127.0.0.0/8 allow",
        '  module-config: "iterator"',
        '  local-zone: "dns." static',
        '  local-data: "hello.dns. 300 IN A 127.0.0.1"',
        "remote-control:",
        "  control-enable: no",
        ""
      ].join("\n")
    )
    const [ucmd, uargs] = pinned(1, "unbound", ["-d", "-c", ubConf])
    const unbound = spawn(ucmd, uargs, { stdio: ["ignore", "ignore", "pipe"] })
    children.push(unbound)
    for (let i = 0; ; i++) {
      const r = await dig(ubPort, "hello.dns", "A", "+short")
      if (r.stdout.trim() === "127.0.0.1") break
      if (i > 50) throw new Error(`unbound did not come up: ${r.stdout}${r.stderr}`)
      await new Promise((r) => setTimeout(r, 100))
    }
    const ours = await dig(clientPort, "hello.dns", "A", "+short")
    if (ours.stdout.trim() !== "127.0.0.1") throw new Error(`the client did not answer: ${ours.stdout}${ours.stderr}`)

    log(`doh: ${DOH_N} sequential queries per series`)
    const ca = readFileSync(info.certificate.path)
    const series = { httpsH2Get: [] as Latency[], httpsH2Post: [] as Latency[], httpH1Get: [] as Latency[] }
    for (let i = 0; i < 3; i++) {
      series.httpsH2Get.push(await dohH2(info.https, ca, "GET", DOH_N))
      series.httpsH2Post.push(await dohH2(info.https, ca, "POST", DOH_N))
      series.httpH1Get.push(await dohH1(info.http, DOH_N))
    }
    const doh = Object.fromEntries(
      Object.entries(series).map(([k, v]) => [k, { p50: median(v.map((x) => x.p50)), p99: median(v.map((x) => x.p99)), series: v }])
    ) as Record<keyof typeof series, { p50: number; p99: number; series: Latency[] }>
    const queries = join(tmp, "queries.txt")
    writeFileSync(queries, "hello.dns A\n")
    // the Node floor, answering exactly what the client answers
    const floorPort = await freePort()
    const sample = dnsPacket.encode({ type: "query", id: 0, questions: [{ name: "hello.dns", type: "A" }] })
    const clientAnswer = await new Promise<Buffer>((resolve, reject) => {
      const s = createSocket("udp4")
      s.once("message", (m) => (s.close(), resolve(m)))
      s.once("error", reject)
      s.send(sample, clientPort, "127.0.0.1")
    })
    const [fcmd, fargs] = pinned(1, process.execPath, ["--input-type=module", "-e", FLOOR_SOURCE, clientAnswer.toString("hex"), String(floorPort)])
    const floor = spawn(fcmd, fargs, { stdio: ["ignore", "pipe", "inherit"] })
    children.push(floor)
    await new Promise<string>((r) => createInterface({ input: floor.stdout! }).once("line", r))

    log(`udp: ${ROUNDS} rounds × ${SECONDS} s per server, dnsperf -q ${OUTSTANDING}${PIN ? ", servers on CPU 1, dnsperf on CPU 0" : ", unpinned"}`)
    type Who = "client" | "unbound" | "nodeFloor"
    const ports: Record<Who, number> = { client: clientPort, unbound: ubPort, nodeFloor: floorPort }
    const runs: Record<Who, PerfResult[]> = { client: [], unbound: [], nodeFloor: [] }
    const rotation: Who[][] = [["client", "unbound", "nodeFloor"], ["unbound", "nodeFloor", "client"], ["nodeFloor", "client", "unbound"]]
    for (let round = 0; round < ROUNDS; round++) {
      for (const who of rotation[round % 3]!) {
        const r = dnsperf(ports[who], queries)
        runs[who].push(r)
        log(`  round ${round + 1} ${who.padEnd(9)} ${Math.round(r.qps).toLocaleString("en")} q/s, lost ${r.lost}, avg ${r.avgLatencyMs.toFixed(3)} ms`)
      }
    }
    const clientQps = median(runs.client.map((r) => r.qps))
    const unboundQps = median(runs.unbound.map((r) => r.qps))
    const floorQps = median(runs.nodeFloor.map((r) => r.qps))
    const ratios = runs.client.map((r, i) => r.qps / runs.unbound[i]!.qps)
    const ratio = median(ratios)
    const floorRatio = median(runs.client.map((r, i) => r.qps / runs.nodeFloor[i]!.qps))

    const result = {
      udp: {
        clientQps: Math.round(clientQps),
        unboundQps: Math.round(unboundQps),
        ratio: Number(ratio.toFixed(3)),
        roundRatios: ratios.map((r) => Number(r.toFixed(3))),
        nodeFloorQps: Math.round(floorQps),
        ratioToNodeFloor: Number(floorRatio.toFixed(3)),
        goal: 1.0,
        rounds: runs
      },
      doh,
      dohP99GoalMs: 2,
      pinned: PIN,
      loadAverage: { start: LOAD_START, end: loadavg().map((x) => Number(x.toFixed(2))) },
      seconds: SECONDS,
      outstanding: OUTSTANDING,
      node: process.version
    }
    if (JSON_OUT) process.stdout.write(`${JSON.stringify(result)}\n`)
    else {
      const f = (x: number) => x.toFixed(3)
      console.log(`\ncached .dns over UDP (dnsperf, median of ${ROUNDS}):`)
      console.log(`  dotdns client  ${Math.round(clientQps).toLocaleString("en").padStart(9)} q/s`)
      console.log(`  unbound        ${Math.round(unboundQps).toLocaleString("en").padStart(9)} q/s`)
      console.log(`  node floor     ${Math.round(floorQps).toLocaleString("en").padStart(9)} q/s  (bare Node UDP responder; client at ${result.udp.ratioToNodeFloor.toFixed(3)} × of it)`)
      console.log(`  ratio          ${result.udp.ratio.toFixed(3)} × unbound (median of per-round ratios ${result.udp.roundRatios.join(", ")}; goal ≥ 1.0) ${result.udp.ratio >= 1 ? "met" : "NOT met"}`)
      console.log(`\nDoH on loopback (sequential, ms):`)
      for (const [k, v] of Object.entries(doh))
        console.log(
          `  ${k.padEnd(12)} p50 ${f(v.p50)}  p99 ${f(v.p99)}  (series p99: ${v.series.map((x) => f(x.p99)).join(", ")}; max ${f(Math.max(...v.series.map((x) => x.max)))}) ${v.p99 <= 2 ? "p99 ≤ 2 ms met" : "p99 goal NOT met"}`
        )
      console.log(`\nload average: ${result.loadAverage.start.join(" ")} at start, ${result.loadAverage.end.join(" ")} at end (${availableParallelism()} CPUs)`)
    }
  } finally {
    for (const c of children) await stop(c)
    await world.close()
    rmSync(tmp, { recursive: true, force: true })
  }
}

await main()
