/**
 * Where the time goes: re-runs one figure with every Node thread under the V8 CPU profiler
 * (`cpu-prof-preload.ts`) and summarises the profiles to their heaviest frames by self time.
 */
import { spawn } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import type { ProfileFrame, ProfileSummary } from "./result.ts"

const ROOT = fileURLToPath(new URL("../../", import.meta.url))
const PRELOAD = fileURLToPath(new URL("./cpu-prof-preload.ts", import.meta.url))

interface CpuProfileNode {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
  readonly hitCount?: number
  readonly children?: readonly number[]
}
interface CpuProfile {
  readonly nodes: readonly CpuProfileNode[]
  readonly startTime: number
  readonly endTime: number
  readonly samples?: readonly number[]
  readonly timeDeltas?: readonly number[]
  readonly argv?: readonly string[]
  readonly execArgv?: readonly string[]
}

const where = (url: string, line: number): string => {
  if (url === "") return "(native)"
  const path = url.startsWith("file://") ? fileURLToPath(url) : url
  const rel = path.startsWith(ROOT) ? relative(ROOT, path) : path
  return `${rel}:${line + 1}`
}

/**
 * Native frames that are a thread blocked waiting, not working: a driver in `spawnSync` waiting for
 * dnsperf, say. Their time is reported apart (`waitingMs`), not among the frames.
 */
const WAITING = new Set(["spawn", "spawnSync"])

/** Self time per frame (function + location) over the chunks of one thread, from samples and time deltas. */
export const summarise = (chunks: readonly CpuProfile[], top = 8): { totalMs: number; waitingMs: number; top: ProfileFrame[] } => {
  const frames = new Map<string, { fn: string; where: string; ms: number }>()
  let total = 0
  let waiting = 0
  for (const profile of chunks) {
    const byId = new Map(profile.nodes.map((n) => [n.id, n]))
    const parent = new Map<number, CpuProfileNode>()
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n)
    const samples = profile.samples ?? []
    const deltas = profile.timeDeltas ?? []
    for (let i = 0; i < samples.length; i++) {
      const n = byId.get(samples[i]!)
      if (n === undefined) continue
      const fn = n.callFrame.functionName || "(anonymous)"
      if (fn === "(idle)") continue
      // the delta *after* a sample is the time it stands for
      const ms = (deltas[i + 1] ?? 0) / 1000
      if (n.callFrame.url === "" && WAITING.has(fn)) {
        waiting += ms
        continue
      }
      total += ms
      // A native frame is named by its caller: `run` under `verifyOneShot` is OpenSSL's verify job.
      const caller = n.callFrame.url === "" ? parent.get(n.id)?.callFrame.functionName : undefined
      const pseudo = n.callFrame.url === "" && /^\(.*\)$/.test(n.callFrame.functionName) // (program), (garbage collector)
      const w = pseudo ? "" : caller ? `(native, in ${caller})` : where(n.callFrame.url, n.callFrame.lineNumber)
      const key = `${fn}@${w}`
      const f = frames.get(key) ?? { fn, where: w, ms: 0 }
      f.ms += ms
      frames.set(key, f)
    }
  }
  const sorted = [...frames.values()].sort((a, b) => b.ms - a.ms).slice(0, top)
  return { totalMs: total, waitingMs: Math.round(waiting), top: sorted.map((f) => ({ fn: f.fn, where: f.where, selfMs: Number(f.ms.toFixed(1)), selfPct: total > 0 ? Number(((100 * f.ms) / total).toFixed(1)) : 0 })) }
}

const labelOf = (pid: string, thread: string, p: CpuProfile): string => {
  const script = (p.argv ?? []).find((a) => a.endsWith(".ts") || a.endsWith(".js") || a.endsWith(".mjs"))
  const inline = (p.execArgv ?? []).some((a) => a === "-e" || a === "--eval")
  const what = script !== undefined ? relative(ROOT, script) : inline ? "node -e (an inline script)" : "node"
  return `${what}${thread !== "0" ? ` (worker thread ${thread})` : ""}, pid ${pid}`
}

/** Runs `node <args>` with every thread profiled; resolves with the summary of its heaviest threads. */
export const profileRun = async (args: readonly string[], env: Readonly<Record<string, string>> = {}, timeoutMs = 600_000): Promise<ProfileSummary> => {
  const dir = mkdtempSync(join(tmpdir(), "dotdns-prof-"))
  try {
    const nodeOptions = [process.env["NODE_OPTIONS"] ?? "", `--import=${PRELOAD}`].join(" ").trim()
    const code = await new Promise<number | string>((resolve) => {
      const child = spawn(process.execPath, [...args], {
        cwd: ROOT,
        env: { ...process.env, ...env, NODE_OPTIONS: nodeOptions, DOTDNS_CPU_PROF_DIR: dir },
        stdio: ["ignore", "ignore", "ignore"]
      })
      const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs)
      child.once("exit", (c, s) => {
        clearTimeout(timer)
        resolve(c ?? s ?? -1)
      })
    })
    const byThread = new Map<string, CpuProfile[]>()
    for (const f of readdirSync(dir).filter((x) => x.endsWith(".cpuprofile"))) {
      const [pid, thread] = f.split("-")
      const k = `${pid}-${thread}`
      byThread.set(k, [...(byThread.get(k) ?? []), JSON.parse(readFileSync(join(dir, f), "utf8")) as CpuProfile])
    }
    const threads = [...byThread]
      .map(([k, chunks]) => {
        const [pid, thread] = k.split("-")
        return { label: labelOf(pid!, thread!, chunks[0]!), ...summarise(chunks) }
      })
      .filter((t) => t.totalMs > 50)
      .sort((a, b) => b.totalMs - a.totalMs)
      .slice(0, 5)
      .map((t) => ({ ...t, totalMs: Math.round(t.totalMs) }))
    return { threads, ...(code !== 0 ? { note: `the profiled re-run exited with ${code}` } : {}) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
