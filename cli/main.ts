/**
 * The `dotdns` command: every user's entry point. Each subcommand lives with the feature it drives and
 * is imported lazily, so `dotdns resolve` does not load the simulator.
 */
type Runner = (argv: string[]) => Promise<number | void>

const COMMANDS: Record<string, { readonly summary: string; readonly load: () => Promise<Runner> }> = {
  start: {
    summary: "run everything on loopback: localnet, three miners, witnesses, demo names, DNS :5353 and DoH :8443/:8053",
    load: async () => (await import("../reference/start/cli.ts")).runStartCli
  },
  demo: {
    summary: "update a demo name's route while `dotdns start` runs (signed by the demo owner, published to the miners)",
    load: async () => (await import("../reference/start/cli.ts")).runDemoCli
  },
  localnet: {
    summary: "run a local Solana JSON-RPC/PubSub endpoint over an in-process SVM with the dotdns program",
    load: async () => (await import("../reference/localnet/cli.ts")).runLocalnetCli
  },
  program: {
    summary: "deploy or upgrade the on-chain program through the BPF upgradeable loader over JSON-RPC (deploy, upgrade)",
    load: async () => (await import("../programs/deploy/cli.ts")).runProgramCli
  },
  miner: {
    summary: "run the reference miner: receipt ingest, route records, audit data and feeds (init, start, …)",
    load: async () => (await import("../reference/miner/cli.ts")).runMinerCli
  },
  resolve: {
    summary: "resolve a .dns name and show how it was verified (miner, owner signature, on-chain owner and route hash)",
    load: async () => (await import("../reference/client/cli.ts")).runResolveCli
  },
  client: {
    summary: "run the verifying resolver: DNS over UDP/TCP and DoH (HTTPS, HTTP) for .dns names, or a public gateway",
    load: async () => (await import("../reference/client/cli.ts")).runClientCli
  },
  conformance: {
    summary: "run the conformance suite: an implementation's adapter (run), the on-chain program (program) or a miner's API (miner)",
    load: async () => (await import("../conformance/cli.ts")).runConformanceCli
  },
  sim: {
    summary: "replay adversarial scenarios against the program with reference miners as honest actors (run, sweep, list)",
    load: async () => (await import("../simulator/cli.ts")).runSimCli
  }
}

const usage = (): string =>
  [
    "dotdns — censorship-resistant .dns names anchored on Solana (spec v1)",
    "",
    "usage: dotdns <command> [options]",
    "",
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(12)} ${c.summary}`),
    "",
    "dotdns <command> --help shows a command's options."
  ].join("\n")

const main = async (argv: string[]): Promise<number> => {
  const [name, ...rest] = argv
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(usage())
    return name === undefined ? 1 : 0
  }
  const cmd = COMMANDS[name]
  if (cmd === undefined) {
    console.error(`dotdns: unknown command "${name}"\n\n${usage()}`)
    return 2
  }
  const run = await cmd.load()
  return (await run(rest)) ?? 0
}

process.exitCode = await main(process.argv.slice(2))
