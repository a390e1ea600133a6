/**
 * The differential test: op sequences from the spec's generator (spec/test/arbitrary-ops.ts), valid
 * and deliberately invalid, replayed in lockstep on the spec and the program. Every step must agree
 * (same rule, same bytes, same lamports). An op carrying a signature that does not verify is rejected
 * by the Ed25519 instruction before the program runs, and by `apply` before any rule: SIG-1 on both
 * (on bankrun, which skips the precompile's checks, the harness asserts that divergence instead).
 *
 * The sequences are split over SHARDS test files (differential-<n>.test.ts) so vitest runs them in
 * parallel: by default 252 sequences per committee mode on LiteSVM — 504 in all, each of at least 20
 * ops — and 40 per mode on bankrun (shard 1 only). `DOTDNS_DIFF_RUNS` sets the sequences per mode,
 * `DOTDNS_DIFF_SEED` the base seed (each shard and mode offsets it); the seed is printed either way.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { Op } from "../../../spec/src/ops.ts"
import type { Params } from "../../../spec/src/params.ts"
import { GENERATOR_PARAMS, opSequence, POPULATION, STAKE_MODE_PARAMS } from "../../../spec/test/arbitrary-ops.ts"
import { runtimeFromEnv } from "../../client/runtime.ts"
import { Lockstep, Unencodable } from "./lockstep.ts"

export const SHARDS = 4
export const MIN_OPS = 20

const runtime = runtimeFromEnv()
/** Sequences per committee mode, over all shards. */
export const RUNS_PER_MODE = Number(process.env["DOTDNS_DIFF_RUNS"] ?? (runtime === "bankrun" ? "40" : "252"))
const BASE_SEED = Number(process.env["DOTDNS_DIFF_SEED"] ?? Math.floor(Math.random() * 2 ** 30))

export interface ReplayStats {
  readonly ops: number
  readonly unencodable: number
  /** Forged-signature ops the runtime let through, checked against `apply` without SIG-1 (bankrun only). */
  readonly precompileGaps: number
}

/** Replays one generated sequence in lockstep from an empty chain; throws `Divergence` at the first disagreement. */
export const replay = (params: Params, steps: readonly { slot: bigint; op: Op }[]): ReplayStats => {
  const l = new Lockstep({ params })
  try {
    for (const k of [POPULATION.admin, ...POPULATION.miners, ...POPULATION.witnesses, ...POPULATION.owners, POPULATION.outsider]) l.actor(k)
    let unencodable = 0
    for (const { slot, op } of steps) {
      l.warpTo(slot)
      try {
        l.step(op)
      } catch (e) {
        if (!(e instanceof Unencodable)) throw e
        unencodable++
      }
    }
    return { ops: steps.length, unencodable, precompileGaps: l.precompileGaps.length }
  } finally {
    l.close()
  }
}

export const MODES = [["allowlist mode", GENERATOR_PARAMS], ["stake mode", STAKE_MODE_PARAMS]] as const

/** Registers shard `shard` (1-based) of the differential test: its share of the sequences of each mode. */
export const differentialShard = (shard: number): void => {
  const runs = Math.ceil(RUNS_PER_MODE / SHARDS)
  describe(`differential on ${runtime}: generated op sequences in lockstep, shard ${shard}/${SHARDS}`, () => {
    MODES.forEach(([label, params], m) =>
      it(`${label}: ${runs} sequences of ≥ ${MIN_OPS} ops`, () => {
        const seed = BASE_SEED + shard * 1000 + m
        console.log(`differential ${runtime} shard ${shard} ${label}: seed ${seed}, ${runs} sequences (DOTDNS_DIFF_SEED=${BASE_SEED})`)
        let sequences = 0
        let ops = 0
        let gaps = 0
        fc.assert(
          fc.property(opSequence({ params, minLength: MIN_OPS, maxLength: 60 }).filter((s) => s.length >= MIN_OPS), (steps) => {
            expect(steps.length).toBeGreaterThanOrEqual(MIN_OPS)
            const r = replay(params, steps)
            sequences++
            ops += r.ops
            gaps += r.precompileGaps
          }),
          { numRuns: runs, seed, endOnFailure: true }
        )
        console.log(`differential ${runtime} shard ${shard} ${label}: ${sequences} sequences, ${ops} ops, no divergence` +
          (runtime === "bankrun" ? `; ${gaps} forged signatures let through, each as apply without SIG-1` : ""))
        expect(sequences).toBe(runs)
        expect(ops).toBeGreaterThanOrEqual(runs * MIN_OPS)
      }, 120_000 + runs * 3_000)
    )
  })
}
