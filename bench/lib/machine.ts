/** The machine a run was taken on: what `nproc`, /proc/cpuinfo and `node --version` say. */
import { spawnSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { availableParallelism, cpus, loadavg, totalmem } from "node:os"

export interface Machine {
  readonly date: string
  readonly nproc: number
  readonly cpuModel: string
  readonly cpuFlags: readonly string[]
  readonly node: string
  readonly memoryGiB: number
  readonly loadAverage: readonly number[]
  readonly git?: string
}

const cpuinfo = (): { model: string; flags: string[] } => {
  try {
    const text = readFileSync("/proc/cpuinfo", "utf8")
    const model = /^model name\s*:\s*(.*)$/m.exec(text)?.[1]?.trim()
    const flags = /^flags\s*:\s*(.*)$/m.exec(text)?.[1]?.split(/\s+/) ?? []
    return { model: model ?? cpus()[0]?.model ?? "?", flags }
  } catch {
    return { model: cpus()[0]?.model ?? "?", flags: [] }
  }
}

export const machine = (): Machine => {
  const nproc = Number(spawnSync("nproc", { encoding: "utf8" }).stdout?.trim() || availableParallelism())
  const { model, flags } = cpuinfo()
  const git = spawnSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).stdout?.trim()
  return {
    date: new Date().toISOString(),
    nproc,
    cpuModel: model,
    cpuFlags: ["sha_ni", "avx2", "avx512f", "aes"].filter((f) => flags.includes(f)),
    node: process.version,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    loadAverage: loadavg().map((x) => Number(x.toFixed(2))),
    ...(git ? { git } : {})
  }
}

export const machineLine = (m: Machine): string =>
  `${m.date.slice(0, 10)} · ${m.nproc} CPUs (\`nproc\`), ${m.cpuModel}${m.cpuFlags.length ? ` (${m.cpuFlags.join(", ")})` : ""} · ${m.memoryGiB} GiB · Node ${m.node}` +
  `${m.git ? ` · commit ${m.git}` : ""} · load average at start ${m.loadAverage.join(" ")}`

export const has = (cmd: string): boolean => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0
