/** Standalone entry: `node conformance/cli-main.ts run [options]` (what `dotdns conformance` runs). */
import { runConformanceCli } from "./cli.ts"

process.exitCode = await runConformanceCli(process.argv.slice(2))
