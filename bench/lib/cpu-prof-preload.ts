/**
 * Loaded with `NODE_OPTIONS=--import=…/cpu-prof-preload.ts` (and `DOTDNS_CPU_PROF_DIR` set): every Node
 * process and worker thread of a re-run figure records a V8 CPU profile (the profiler `node --cpu-prof`
 * uses, which cannot be set through NODE_OPTIONS and so would not reach the processes a bench spawns,
 * such as miner processes) and writes it there as `<pid>-<thread>-<chunk>.cpuprofile` files.
 */
import { writeFileSync } from "node:fs"
import { Session } from "node:inspector"
import { join } from "node:path"
import { isMainThread, threadId } from "node:worker_threads"

const dir = process.env["DOTDNS_CPU_PROF_DIR"]
if (dir !== undefined && dir !== "") {
  const session = new Session()
  session.connect()
  session.post("Profiler.enable")
  session.post("Profiler.setSamplingInterval", { interval: 500 })
  session.post("Profiler.start")
  // The profile is written in chunks of CHUNK_MS (stop, write, start again): a worker thread that is
  // terminated, or a process killed, keeps all but its last chunk.
  const CHUNK_MS = 1000
  let seq = 0
  let stopped = false
  const flush = (restart: boolean): void => {
    if (stopped) return
    if (!restart) stopped = true
    session.post("Profiler.stop", (err, r) => {
      if (err === null && r !== undefined)
        writeFileSync(join(dir, `${process.pid}-${threadId}-${seq++}.cpuprofile`), JSON.stringify({ ...r.profile, argv: process.argv.slice(1), execArgv: process.execArgv }))
    })
    if (restart) session.post("Profiler.start")
  }
  setInterval(() => flush(true), CHUNK_MS).unref()
  process.on("exit", () => flush(false))
  // A process stopped by SIGTERM/SIGINT saves first; one that handles the signal itself keeps doing so.
  // (Signals reach the main thread only.)
  if (isMainThread) for (const sig of ["SIGTERM", "SIGINT"] as const) {
    const handler = (): void => {
      flush(false)
      if (process.listenerCount(sig) === 1) process.exit(sig === "SIGTERM" ? 143 : 130)
    }
    process.on(sig, handler)
  }
}
