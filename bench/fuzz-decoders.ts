/**
 * Decoder fuzzing at volume: `node bench/fuzz-decoders.ts [cases per decoder = 1000000] [seed] [name filter]`.
 * The same targets as `spec/test/fuzz.test.ts`, run for longer; a finding throws with the input.
 */
import { fuzz, targets } from "../spec/test/support/fuzz.ts"

const n = Number(process.argv[2] ?? 1_000_000)
const seed = Number(process.argv[3] ?? Date.now() % 2 ** 31)
const filter = process.argv[4] ?? ""
console.log(`fuzzing ${n} cases per decoder, seed ${seed}`)
for (const t of targets({ accountsPerKind: true })) {
  if (!t.name.includes(filter)) continue
  const t0 = performance.now()
  const r = fuzz(t, n, seed)
  const ms = performance.now() - t0
  console.log(`${t.name.padEnd(28)} ${String(r.decoded).padStart(9)} decoded ${String(r.rejected).padStart(9)} rejected  ${(ms / 1000).toFixed(1)} s  ${((1000 * n) / ms).toFixed(0)}/s`)
}
