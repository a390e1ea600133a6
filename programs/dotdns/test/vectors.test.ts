/**
 * Every transition vector of the spec (spec/test/vectors/transition.ts), replayed in lockstep: the
 * pre-state is written into the chain account by account, then each step runs on both sides. Signers'
 * secrets are not in the vectors, so transaction signatures are not verified here (the Ed25519-program
 * entries the ops carry still are).
 */
import { describe, expect, it } from "vitest"
import { opFromJson, stateFromJson } from "../../../spec/src/json.ts"
import { transitionCases } from "../../../spec/test/vectors/transition.ts"
import { Lockstep, Unencodable } from "./lockstep.ts"

interface Trace {
  readonly pre: unknown
  readonly steps: readonly { readonly slot: string; readonly op: unknown }[]
}

const cases = transitionCases().list

/** Vectors whose op the client cannot encode (a u8 length over 255): decided by the decoder. */
const UNENCODABLE = new Set(["register_name-254-bytes"])

describe("transition vectors in lockstep", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const input = c.input as Trace
    const l = new Lockstep({ sigverify: false })
    l.load(stateFromJson(input.pre), BigInt(input.steps[0]!.slot))
    let unencodable = 0
    const outcomes = input.steps.map(({ slot, op: json }) => {
      const op = opFromJson(json)
      l.warpTo(BigInt(slot))
      try {
        l.impersonate(op)
        const o = l.step(op)
        return o.ok ? null : o.rule
      } catch (e) {
        if (!(e instanceof Unencodable)) throw e
        unencodable++
        return undefined
      }
    })
    expect(unencodable + l.undecoded.length > 0).toBe(UNENCODABLE.has(c.name))
    if (c.expectSteps !== undefined && !UNENCODABLE.has(c.name)) expect(outcomes).toEqual(c.expectSteps)
  })
})
