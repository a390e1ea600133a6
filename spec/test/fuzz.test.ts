/**
 * Every decoder against 100,000 fuzzed inputs: random bytes and mutated valid encodings for the binary
 * decoders (objects, accounts, instruction data), random and mutated JSON for the schemas. Each input
 * decodes to a value that re-encodes to exactly that input, or is rejected with `DecodeError` /
 * `SchemaError`; anything else fails with the input. The seed is printed; rerun one with FUZZ_SEED=….
 * More cases on demand: `node bench/fuzz-decoders.ts 1000000`.
 */
import { describe, expect, it } from "vitest"
import { fuzz, targets } from "./support/fuzz.ts"

const CASES = Number(process.env.FUZZ_CASES ?? 100_000)
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31))

describe(`decoder fuzzing (seed ${SEED}, ${CASES} cases each)`, () => {
  console.log(`decoder fuzzing: seed ${SEED}, ${CASES} cases per decoder (FUZZ_SEED=${SEED} to replay)`)
  for (const t of targets()) {
    it(t.name, () => {
      const r = fuzz(t, CASES, SEED)
      // Both outcomes must be exercised, or the mutations are not reaching the decoder.
      expect(r.decoded).toBeGreaterThan(CASES / 100)
      expect(r.rejected).toBeGreaterThan(CASES / 10)
    })
  }
})
