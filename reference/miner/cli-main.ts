/** Process entry of the miner: `node reference/miner/cli-main.ts <init|start|…> [options]`. */
import { runMinerCli } from "./cli.ts"

process.exitCode = await runMinerCli(process.argv.slice(2))
