/**
 * A throwaway PostgreSQL server for tests: initdb into a temp dir, pg_ctl start on a free loopback
 * port, stopped and deleted afterwards. Run as root (CI containers), the server runs as the `postgres`
 * user, which initdb requires. Absent binaries are reported, never silently ignored.
 */
import { execFileSync, spawnSync } from "node:child_process"
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir, userInfo } from "node:os"
import { join } from "node:path"
import pg from "pg"

export interface TestPostgres {
  /** A URL of the server's `postgres` database. */
  readonly url: string
  readonly port: number
  /** A fresh, empty database; returns its URL. */
  createDatabase(name: string): Promise<string>
  stop(): void
}

/** The directory holding initdb/pg_ctl, or undefined. `DOTDNS_PG_BIN` overrides the search. */
export const findPostgresBin = (): string | undefined => {
  const candidates: string[] = []
  if (process.env.DOTDNS_PG_BIN) candidates.push(process.env.DOTDNS_PG_BIN)
  try {
    candidates.push(execFileSync("pg_config", ["--bindir"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim())
  } catch {
    /* no pg_config on PATH */
  }
  if (existsSync("/usr/lib/postgresql"))
    for (const v of readdirSync("/usr/lib/postgresql").sort((a, b) => Number(b) - Number(a))) candidates.push(`/usr/lib/postgresql/${v}/bin`)
  return candidates.find((d) => existsSync(join(d, "initdb")) && existsSync(join(d, "pg_ctl")))
}

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer()
    s.once("error", reject)
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })

export const startPostgres = async (): Promise<TestPostgres> => {
  const bin = findPostgresBin()
  if (bin === undefined) throw new Error("PostgreSQL server binaries (initdb, pg_ctl) not found")
  const root = mkdtempSync(join(tmpdir(), "dotdns-pg-"))
  const data = join(root, "data")
  const asRoot = userInfo().uid === 0
  const run = (cmd: string, args: string[]) => {
    const full = asRoot ? ["runuser", ["-u", "postgres", "--", cmd, ...args]] as const : [cmd, args] as const
    const r = spawnSync(full[0], full[1], { encoding: "utf8", cwd: root })
    if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr || r.stdout}`)
  }
  if (asRoot) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim())
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim())
    chownSync(root, uid, gid)
  }
  run(join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"])
  const port = await freePort()
  run(join(bin, "pg_ctl"), [
    "-D", data, "-l", join(root, "server.log"), "-w", "-t", "60",
    "-o", `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c max_connections=200`,
    "start"
  ])
  let stopped = false
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`
  return {
    url,
    port,
    async createDatabase(name) {
      const c = new pg.Client({ connectionString: url })
      await c.connect()
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}"`)
        await c.query(`CREATE DATABASE "${name}"`)
      } finally {
        await c.end()
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`
    },
    stop() {
      if (stopped) return
      stopped = true
      try {
        run(join(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"])
      } finally {
        rmSync(root, { recursive: true, force: true })
      }
    }
  }
}

/** Prints the loud warning the suites show when they cannot run against PostgreSQL. */
export const warnNoPostgres = (what: string): void => {
  const line = "!".repeat(100)
  console.warn(`\n${line}\n!! SKIPPED: ${what}\n!! PostgreSQL server binaries (initdb, pg_ctl) are not installed; install the \`postgresql\` package\n!! (CI does) or set DOTDNS_PG_BIN to their directory. The PostgresRepository is UNTESTED in this run.\n${line}\n`)
}
