/**
 * The child processes of `dotdns start`: each one a real `dotdns …` command (localnet, miner, client)
 * in a process group of its own, so that a Ctrl-C at the terminal reaches only the orchestrator, which
 * then stops them in order. Their output is split into lines and handed to `onLine` with the child's
 * name; the first stdout line (the JSON line `dotdns localnet` and `dotdns client start` print) is also
 * kept for whoever waits on it. Every child still running when this process exits is killed.
 */
import { spawn, type ChildProcess } from "node:child_process"
import { createInterface } from "node:readline"

export interface ExitStatus {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

export interface Child {
  readonly name: string
  readonly pid: number
  /** The first line on stdout; rejects if the child exits first. */
  readonly firstLine: Promise<string>
  /** Settles when the process has exited. */
  readonly exited: Promise<ExitStatus>
  readonly running: () => boolean
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with how it ended. */
  stop(graceMs?: number): Promise<ExitStatus>
}

const live = new Set<ChildProcess>()
let exitHookInstalled = false

const installExitHook = () => {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once("exit", () => {
    for (const p of live) {
      try {
        if (p.pid !== undefined) process.kill(-p.pid, "SIGKILL")
      } catch {
        /* gone already */
      }
    }
  })
}

export interface SpawnOptions {
  readonly name: string
  readonly command: string
  readonly args: readonly string[]
  readonly cwd?: string
  readonly env?: NodeJS.ProcessEnv
  readonly onLine: (name: string, line: string, stream: "stdout" | "stderr") => void
}

export const describeExit = (s: ExitStatus): string => (s.signal !== null ? `killed by ${s.signal}` : `exited with code ${s.code}`)

export const spawnChild = (o: SpawnOptions): Child => {
  installExitHook()
  const proc = spawn(o.command, [...o.args], {
    cwd: o.cwd,
    env: o.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
    // its own process group: the terminal's Ctrl-C goes to the orchestrator only, which stops children in order
    detached: true
  })
  live.add(proc)
  const exited = new Promise<ExitStatus>((resolve) =>
    proc.once("exit", (code, signal) => {
      live.delete(proc)
      resolve({ code, signal })
    })
  )
  let gotFirst: (line: string) => void = () => {}
  let noFirst: (e: Error) => void = () => {}
  const firstLine = new Promise<string>((resolve, reject) => {
    gotFirst = resolve
    noFirst = reject
  })
  // a caller that never asks for it must not see an unhandled rejection
  firstLine.catch(() => {})
  let first = true
  createInterface({ input: proc.stdout! }).on("line", (line) => {
    if (first) {
      first = false
      gotFirst(line)
    }
    o.onLine(o.name, line, "stdout")
  })
  createInterface({ input: proc.stderr! }).on("line", (line) => o.onLine(o.name, line, "stderr"))
  void exited.then((s) => noFirst(new Error(`${o.name} ${describeExit(s)} before it was ready`)))
  let status: ExitStatus | undefined
  void exited.then((s) => (status = s))
  return {
    name: o.name,
    pid: proc.pid ?? -1,
    firstLine,
    exited,
    running: () => status === undefined,
    stop: async (graceMs = 10_000) => {
      if (status !== undefined) return status
      proc.kill("SIGTERM")
      const timer = setTimeout(() => {
        try {
          if (proc.pid !== undefined) process.kill(-proc.pid, "SIGKILL")
        } catch {
          proc.kill("SIGKILL")
        }
      }, graceMs)
      const s = await exited
      clearTimeout(timer)
      return s
    }
  }
}
