/**
 * Loaded with `NODE_OPTIONS=--import=…/mem-sampler-preload.ts` and `DOTDNS_MEM_LOG=<file>`: the main
 * thread of the process appends one JSON line `{t, rss, heapUsed, heapTotal, external, arrayBuffers}`
 * (bytes; t in ms since start) every `DOTDNS_MEM_EVERY_MS` (default 2000), so a soak can watch a
 * process's heap from outside without changing it.
 */
import { appendFileSync } from "node:fs"
import { isMainThread } from "node:worker_threads"

const file = process.env["DOTDNS_MEM_LOG"]
if (file !== undefined && file !== "" && isMainThread) {
  const every = Number(process.env["DOTDNS_MEM_EVERY_MS"] ?? 2000)
  const t0 = Date.now()
  const sample = (): void => {
    const m = process.memoryUsage()
    appendFileSync(file, `${JSON.stringify({ t: Date.now() - t0, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers })}\n`)
  }
  sample()
  setInterval(sample, every).unref()
}
