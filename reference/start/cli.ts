/**
 * `dotdns start` (the whole system on loopback, Orchestrator.ts) and `dotdns demo route` (an owner's
 * route update against a running `dotdns start`, Demo.ts).
 */
import { resolve } from "node:path"
import { equal } from "../../spec/src/bytes.ts"
import { LOCALNET_PARAMS } from "../../spec/src/params.ts"
import { publishedFrom } from "../client/Receipts.ts"
import { connectDevChain, read, READER } from "../miner/DevChain.ts"
import {
  DEFAULT_DATA_DIR, demoName, describeRecords, latestPublishedSerial, loadKey, nameHash, parseRecords, publishRoute, readState, signRoute, DEMO_TTL
} from "./Demo.ts"
import { DEFAULTS, epochInfoOf, runStart } from "./Orchestrator.ts"

export const START_USAGE = `usage: dotdns start [options]

Runs the whole system on 127.0.0.1, each part its own process: a localnet with the dotdns program,
three miners, two witness gateways, and the verifying client with DNS and DoH — then initializes the
protocol, registers demo names (hello.dns, www.hello.dns, mail.dns, txt.dns), publishes their routes
and brings them to finality. Prints "ready" and what to try; Ctrl-C stops everything (exit 0).

options:
  --rpc-port N          localnet JSON-RPC port; PubSub listens on N+1 (default ${DEFAULTS.rpcPort})
  --miner-ports A,B,C   the three miners' HTTP ports (default ${DEFAULTS.minerPorts.join(",")})
  --dns-port N          the client's DNS port, UDP and TCP (default ${DEFAULTS.dnsPort})
  --doh-port N          the client's DoH port, HTTPS with HTTP/2 and HTTP/1.1 (default ${DEFAULTS.dohPort})
  --doh-http-port N     the client's plain-HTTP DoH port (default ${DEFAULTS.dohHttpPort})
  --data-dir DIR        keys, configs and state (default .dotdns in the repository)
  --slot-ms N           wall-clock slot length of the localnet (default ${DEFAULTS.slotMs})
  --verbose             every log line of every process (default: warnings and milestones)
  -h, --help            this text`

export const DEMO_USAGE = `usage: dotdns demo route <name> <record>... [options]

Signs a new route record for <name> with the demo owner's key (<data-dir>/keys/owner.json) at the
next serial and publishes it to the miners of a running \`dotdns start\`. The witnesses witness it,
the miners aggregate and submit it, and once its round finalizes the client answers with it.

records: an IPv4 or IPv6 address (an A or AAAA record), or TYPE=value with TYPE one of
         A, AAAA, CNAME, TXT — e.g. 10.0.0.2  2001:db8::2  cname=hello.dns  "txt=hello world"

options:
  --ttl N               the records' TTL in seconds (default ${DEMO_TTL})
  --wait                wait until the route is canonical on chain, and say how long it took
  --data-dir DIR        the data dir of the running \`dotdns start\` (default .dotdns in the repository)
  -h, --help            this text`

class UsageError extends Error {}

const port = (flag: string, text: string | undefined): number => {
  if (text === undefined || !/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 65535) throw new UsageError(`${flag} needs a port number (1–65535)`)
  return Number(text)
}

/** `dotdns start`; resolves with the exit status once everything has stopped. */
export const runStartCli = async (argv: readonly string[]): Promise<number> => {
  let rpcPort: number = DEFAULTS.rpcPort
  let minerPorts: [number, number, number] = [...DEFAULTS.minerPorts]
  let dnsPort: number = DEFAULTS.dnsPort
  let dohPort: number = DEFAULTS.dohPort
  let dohHttpPort: number = DEFAULTS.dohHttpPort
  let slotMs: number = DEFAULTS.slotMs
  let dataDir = DEFAULT_DATA_DIR
  let verbose = false
  try {
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i]!
      const eq = arg.indexOf("=")
      const [flag, inline] = arg.startsWith("--") && eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined]
      const value = (): string | undefined => inline ?? argv[++i]
      switch (flag) {
        case "-h":
        case "--help":
          console.log(START_USAGE)
          return 0
        case "--rpc-port":
          rpcPort = port(flag, value())
          if (rpcPort === 65535) throw new UsageError("--rpc-port needs room for PubSub on the next port")
          break
        case "--miner-ports": {
          const ps = (value() ?? "").split(",").map((p) => port(flag, p.trim()))
          if (ps.length !== 3) throw new UsageError("--miner-ports needs three ports, e.g. 7101,7102,7103")
          minerPorts = [ps[0]!, ps[1]!, ps[2]!]
          break
        }
        case "--dns-port":
          dnsPort = port(flag, value())
          break
        case "--doh-port":
          dohPort = port(flag, value())
          break
        case "--doh-http-port":
          dohHttpPort = port(flag, value())
          break
        case "--slot-ms": {
          const v = value()
          if (v === undefined || !/^\d+$/.test(v) || Number(v) < 20) throw new UsageError("--slot-ms needs a slot length of at least 20 ms")
          slotMs = Number(v)
          break
        }
        case "--data-dir": {
          const v = value()
          if (v === undefined || v === "") throw new UsageError("--data-dir needs a directory")
          dataDir = resolve(v)
          break
        }
        case "--verbose":
          verbose = true
          break
        default:
          throw new UsageError(`unknown option ${arg}`)
      }
    }
    const all = [rpcPort, rpcPort + 1, ...minerPorts, dnsPort, dohPort, dohHttpPort]
    if (new Set(all).size !== all.length) throw new UsageError(`the ports must all differ (PubSub takes --rpc-port + 1): ${all.join(", ")}`)
  } catch (e) {
    if (!(e instanceof UsageError)) throw e
    console.error(`dotdns start: ${e.message}\n\n${START_USAGE}`)
    return 2
  }
  return runStart({ dataDir, rpcPort, minerPorts, dnsPort, dohPort, dohHttpPort, slotMs, verbose })
}

/** `dotdns demo …`; resolves with the exit status. */
export const runDemoCli = async (argv: readonly string[]): Promise<number> => {
  const [command, ...rest] = argv
  if (command === undefined || command === "-h" || command === "--help" || command === "help") {
    ;(command === undefined ? console.error : console.log)(DEMO_USAGE)
    return command === undefined ? 2 : 0
  }
  if (command !== "route") {
    console.error(`dotdns demo: unknown command "${command}"\n\n${DEMO_USAGE}`)
    return 2
  }
  let dataDir = DEFAULT_DATA_DIR
  let ttl = DEMO_TTL
  let wait = false
  const positional: string[] = []
  try {
    for (let i = 0; i < rest.length; i++) {
      const a = rest[i]!
      if (a === "-h" || a === "--help") {
        console.log(DEMO_USAGE)
        return 0
      } else if (a === "--wait") wait = true
      else if (a === "--data-dir" || a.startsWith("--data-dir=")) {
        const v = a.includes("=") ? a.slice(a.indexOf("=") + 1) : rest[++i]
        if (v === undefined || v === "") throw new UsageError("--data-dir needs a directory")
        dataDir = resolve(v)
      } else if (a === "--ttl" || a.startsWith("--ttl=")) {
        const v = a.includes("=") ? a.slice(a.indexOf("=") + 1) : rest[++i]
        if (v === undefined || !/^\d+$/.test(v)) throw new UsageError("--ttl needs seconds")
        ttl = Number(v)
      } else if (a.startsWith("--")) throw new UsageError(`unknown option ${a}`)
      else positional.push(a)
    }
    if (positional.length < 2) throw new UsageError("give a name and at least one record, e.g. dotdns demo route hello.dns 10.0.0.2")
  } catch (e) {
    if (!(e instanceof UsageError)) throw e
    console.error(`dotdns demo route: ${e.message}\n\n${DEMO_USAGE}`)
    return 2
  }
  let name: string
  let records: ReturnType<typeof parseRecords>
  try {
    name = demoName(positional[0]!)
    records = parseRecords(positional.slice(1))
  } catch (e) {
    console.error(`dotdns demo route: ${(e as Error).message}`)
    return 2
  }
  const state = readState(dataDir)
  if (state === undefined) {
    console.error(`dotdns demo route: no running \`dotdns start\` found in ${dataDir} (start one first, or give its --data-dir)`)
    return 1
  }
  const owner = loadKey(dataDir, "owner")
  const net = connectDevChain(state.rpcUrl)
  const reader = net.client(READER)
  const nh = nameHash(name)
  const account = await read(reader.name(nh)).catch((e: unknown) => e as Error)
  if (account instanceof Error) {
    console.error(`dotdns demo route: cannot read ${name} from ${state.rpcUrl}: ${account.message}`)
    return 1
  }
  if (account === undefined) {
    console.error(`dotdns demo route: ${name} is not registered (the demo names: ${state.names.join(", ")})`)
    return 1
  }
  if (!equal(account.owner, owner.publicKey)) {
    console.error(`dotdns demo route: ${name} is not owned by the demo owner key ${keyHint(dataDir)}`)
    return 1
  }
  const latest = await latestPublishedSerial(state.miners, name)
  const serial = (account.serial > latest ? account.serial : latest) + 1n
  let route: ReturnType<typeof signRoute>
  try {
    route = signRoute(owner, name, serial, records, ttl)
  } catch (e) {
    console.error(`dotdns demo route: ${(e as Error).message}`)
    return 2
  }
  const t0 = Date.now()
  const results = await publishRoute(state.miners, route)
  for (const r of results) console.log(`${r.miner}: ${r.status === 200 ? `${r.message}` : `HTTP ${r.status} ${r.message}`}`)
  if (!results.some((r) => r.status === 200)) {
    console.error("dotdns demo route: no miner took the record")
    return 1
  }
  const slot = await net.slot()
  const config = await read(reader.config)
  const info = epochInfoOf(config?.params ?? LOCALNET_PARAMS)
  const L = info.epochLength
  const epoch = slot / L
  // witnessed in the epoch whose witness batch is still ahead; canonical once the next epoch's round closes
  const witnessedIn = slot < epoch * L + publishedFrom(info) ? epoch : epoch + 1n
  const etaSlots = (witnessedIn + 1n) * L + info.submitWindow + info.challengeWindow - slot
  console.log(
    `published ${name} serial ${serial}: ${describeRecords(records)} (TTL ${ttl} s). Now slot ${slot}, epoch ${epoch}: the witnesses witness it in epoch ${witnessedIn}, ` +
      `and it should be canonical in about ${Math.round((Number(etaSlots) * state.slotMs) / 1000)} s.`
  )
  if (!wait) return 0
  const deadline = Date.now() + 180_000
  while (Date.now() < deadline) {
    const n = await read(reader.name(nh)).catch(() => undefined)
    if (n !== undefined && n.serial >= serial) {
      if (!equal(n.routeHash, route.routeHash)) {
        console.error(`dotdns demo route: serial ${n.serial} became canonical, not this record`)
        return 1
      }
      console.log(`canonical after ${((Date.now() - t0) / 1000).toFixed(1)} s (round of epoch ${n.routeEpoch}); dig @127.0.0.1 -p ${state.dns.port} ${name} answers with it now`)
      return 0
    }
    await new Promise((r) => setTimeout(r, 500))
  }
  console.error("dotdns demo route: not canonical after 180 s")
  return 1
}

const keyHint = (dataDir: string) => `(${resolve(dataDir, "keys", "owner.json")})`
