import { describe, expect, it } from "vitest"
import { LOCALNET_PARAMS, PARAM } from "../../../spec/src/params.ts"
import { nameHash } from "../../../spec/test/world.ts"
import type { RuleId } from "../../../spec/src/rules.ts"
import { miners, outsider, owner, setup } from "./fixture.ts"
import { Lockstep } from "./lockstep.ts"

const o = owner.publicKey

describe("names", () => {
  it("checks the normalized form byte by byte, in the spec's order", () => {
    const l = setup({ bare: true })
    const bad: [string, RuleId][] = [
      ["", "NAM-2"],
      [`${"a".repeat(62)}.${"b".repeat(62)}.${"c".repeat(62)}.${"d".repeat(62)}.dns`, "NAM-2"],
      ["dns", "NAM-4"],
      ["hello.com", "NAM-4"],
      ["hello.dns.", "NAM-4"],
      ["hello.DNS", "NAM-4"],
      [".dns", "NAM-3"],
      ["a..dns", "NAM-3"],
      [`${"a".repeat(64)}.dns`, "NAM-3"],
      ["Hello.dns", "NAM-5"],
      ["-a.dns", "NAM-5"],
      ["a-.dns", "NAM-5"],
      ["a_b.dns", "NAM-5"],
      ["a b.dns", "NAM-5"],
      ["a.-.dns", "NAM-5"],
      ["ab\u00e9.dns", "NAM-5"]
    ]
    for (const [name, rule] of bad) l.expectError({ kind: "registerName", owner: o, name }, rule)
    for (const name of ["a.dns", `${"a".repeat(63)}.dns`, "x-1.y-2.dns", `${"a".repeat(61)}.${"b".repeat(61)}.${"c".repeat(61)}.${"d".repeat(63)}.dns`])
      l.run({ kind: "registerName", owner: o, name })
    l.expectError({ kind: "registerName", owner: outsider.publicKey, name: "a.dns" }, "NAM-7")
    expect(l.state.config!.rewardPool).toBe(4n * LOCALNET_PARAMS[PARAM.registrationFee]!)
  })

  it("transfers only from the current owner", () => {
    const l = setup()
    const nh = nameHash("hello.dns")
    l.expectError({ kind: "transferName", owner: o, nameHash: nameHash("nope.dns"), newOwner: outsider.publicKey }, "NAM-9")
    l.expectError({ kind: "transferName", owner: outsider.publicKey, nameHash: nh, newOwner: outsider.publicKey }, "NAM-10")
    l.run({ kind: "transferName", owner: o, nameHash: nh, newOwner: miners[0].publicKey })
    l.expectError({ kind: "transferName", owner: o, nameHash: nh, newOwner: o }, "NAM-10")
    l.run({ kind: "transferName", owner: miners[0].publicKey, nameHash: nh, newOwner: o })
  })

  it("rejects a transfer before initialization as NAM-9: the instruction reads no Config, and no Name exists yet", () => {
    const l = new Lockstep()
    l.actor(owner)
    l.expectError({ kind: "transferName", owner: o, nameHash: nameHash("hello.dns"), newOwner: outsider.publicKey }, "NAM-9")
  })
})
