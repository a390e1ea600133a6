/**
 * `npm run vectors`: deletes and rewrites `spec/v1/vectors/**` from the generators in
 * `spec/test/vectors/`. Deterministic: the same spec gives the same bytes, so
 * `npm run vectors && git diff --exit-code spec/` stays clean and `spec/test/vectors.test.ts` checks it.
 */
import { fileURLToPath } from "node:url"
import { writeVectors } from "../test/vectors/index.ts"

const dir = fileURLToPath(new URL("../v1/vectors/", import.meta.url))
const t0 = performance.now()
const n = writeVectors(dir)
console.log(`wrote ${n} files (vectors and README.md) to ${dir} in ${Math.round(performance.now() - t0)} ms`)
