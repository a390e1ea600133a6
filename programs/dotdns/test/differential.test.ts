/**
 * The differential test: op sequences from the spec's generator (spec/test/arbitrary-ops.ts), valid
 * and deliberately invalid, replayed in lockstep on the spec and the program. Every step must agree
 * (same rule, same bytes, same lamports). An op carrying a signature that does not verify is rejected
 * by the Ed25519 instruction before the program runs, and by `apply` before any rule: SIG-1 on both.
 * DOTDNS_DIFF_RUNS sets the number of sequences per parameter set.
 */
import fc from "fast-check"
import { describe, it } from "vitest"
import type { Op } from "../../../spec/src/ops.ts"
import type { Params } from "../../../spec/src/params.ts"
import { GENERATOR_PARAMS, opSequence, POPULATION, STAKE_MODE_PARAMS } from "../../../spec/test/arbitrary-ops.ts"
import { Lockstep, Unencodable } from "./lockstep.ts"

const RUNS = Number(process.env["DOTDNS_DIFF_RUNS"] ?? "12")

const replay = (params: Params, steps: readonly { slot: bigint; op: Op }[]): void => {
  const l = new Lockstep({ params })
  for (const k of [POPULATION.admin, ...POPULATION.miners, ...POPULATION.witnesses, ...POPULATION.owners, POPULATION.outsider]) l.actor(k)
  for (const { slot, op } of steps) {
    l.warpTo(slot)
    try {
      l.step(op)
    } catch (e) {
      if (!(e instanceof Unencodable)) throw e
    }
  }
}

describe("differential: generated op sequences in lockstep", () => {
  for (const [label, params] of [["allowlist mode", GENERATOR_PARAMS], ["stake mode", STAKE_MODE_PARAMS]] as const)
    it(label, () => {
      fc.assert(
        fc.property(opSequence({ params, minLength: 20, maxLength: 60 }), (steps) => replay(params, steps)),
        { numRuns: RUNS, endOnFailure: true }
      )
    }, 60_000 + RUNS * 1_500)
})
