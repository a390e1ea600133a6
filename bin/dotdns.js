#!/usr/bin/env node
// The CLI is TypeScript run by Node's built-in type stripping (Node >= 22.18).
// Machine Node may be older; re-exec under the project's own Node 22 when it is.
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const [major, minor] = process.versions.node.split(".").map(Number)
if (major < 22 || (major === 22 && minor < 18)) {
  const local = join(root, "node_modules", "node", "bin", "node")
  if (!existsSync(local)) {
    console.error(`dotdns needs Node >= 22.18 (found ${process.versions.node}); run npm install first`)
    process.exit(1)
  }
  const r = spawnSync(local, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: "inherit" })
  process.exit(r.status ?? 1)
}
await import(join(root, "cli", "main.ts"))
