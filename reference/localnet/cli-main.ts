/** Standalone entry: `node reference/localnet/cli-main.ts --rpc-port 0` (what tests spawn). */
import { runLocalnetCli } from "./cli.ts"

process.exitCode = await runLocalnetCli(process.argv.slice(2))
