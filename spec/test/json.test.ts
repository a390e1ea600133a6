/**
 * The JSON mapping [CNF-2]: every spec value round-trips through its JSON form, decoding is strict, the
 * state's JSON form keys each account by its PDA seeds, and `stateRoot` is exactly its definition.
 */
import fc from "fast-check"
import { Schema } from "effect"
import { createHash } from "node:crypto"
import { describe, expect, it } from "vitest"
import { concat, hex, u32le, u64le } from "../src/bytes.ts"
import { runOperation } from "../src/conformance.ts"
import {
  AggregateStatementJson, fromJson, Hex32, LeafJson, OpJson, opFromJson, opToJson, ParamsJson, ReceiptJson, RouteAuthJson, RouteRecordJson,
  stateAccounts, stateFromJson, StateJson, stateRoot, stateToJson, SumNodeJson, toJson, U64
} from "../src/json.ts"
import { TAGS } from "../src/hash.ts"
import { LOCALNET_PARAMS } from "../src/params.ts"
import { emptyState } from "../src/state.ts"
import { isError } from "../src/apply.ts"
import { intents, play } from "./arbitrary-ops.ts"
import * as A from "./support/arbitraries.ts"
import { richWorld } from "./vectors/scenario.ts"

const roundTrip = <T, E>(schema: Schema.Codec<T, E>, v: T): T => fromJson(schema, JSON.parse(JSON.stringify(toJson(schema, v))))
const rejects = (f: () => unknown) => {
  try {
    f()
  } catch (e) {
    return Schema.isSchemaError(e)
  }
  return false
}

describe("JSON codecs", () => {
  const cases = [
    ["RouteRecord", RouteRecordJson, A.routeRecord],
    ["RouteAuth", RouteAuthJson, A.routeAuth],
    ["Receipt", ReceiptJson, A.receipt],
    ["Leaf", LeafJson, A.leaf],
    ["SumNode", SumNodeJson, A.sumNode],
    ["AggregateStatement", AggregateStatementJson, A.statement],
    ["Op", OpJson, A.op]
  ] as const
  for (const [name, schema, arb] of cases)
    it(`${name}: fromJson ∘ toJson = id`, () => {
      fc.assert(fc.property(arb as fc.Arbitrary<never>, (v) => { expect(roundTrip(schema as Schema.Codec<never, unknown>, v)).toEqual(v) }), { numRuns: 200 })
    })

  it("Params by name, reserved slots only when non-zero", () => {
    const j = toJson(ParamsJson, LOCALNET_PARAMS)
    expect(Object.keys(j)[0]).toBe("epochLengthSlots")
    expect("reserved" in j).toBe(false)
    expect(fromJson(ParamsJson, j)).toEqual(LOCALNET_PARAMS)
    const odd = [...LOCALNET_PARAMS]
    odd[23] = 9n
    expect(toJson(ParamsJson, odd).reserved).toEqual(["0", "0", "9"])
    expect(fromJson(ParamsJson, toJson(ParamsJson, odd))).toEqual(odd)
    expect(rejects(() => fromJson(ParamsJson, { ...j, reserved: ["0", "0", "0"] }))).toBe(true)
    const { quorumBps: _, ...missing } = j
    expect(rejects(() => fromJson(ParamsJson, missing))).toBe(true)
    expect(rejects(() => toJson(ParamsJson, LOCALNET_PARAMS.slice(0, 23)))).toBe(true)
  })

  it("is strict: hex case and size, u64 form and range, excess and missing fields", () => {
    const k = "ab".repeat(32)
    expect(fromJson(Hex32, k)).toEqual(new Uint8Array(32).fill(0xab))
    for (const bad of ["AB".repeat(32), "ab".repeat(31), "ab".repeat(33), `0x${"ab".repeat(31)}`, "a".repeat(63), 5, null]) expect(rejects(() => fromJson(Hex32, bad)), String(bad)).toBe(true)
    expect(fromJson(U64, "18446744073709551615")).toBe(18446744073709551615n)
    for (const bad of ["18446744073709551616", "-1", "01", "1.0", "1e3", "", " 1", 1, "99999999999999999999"]) expect(rejects(() => fromJson(U64, bad)), String(bad)).toBe(true)
    const bond = { kind: "minerBond", miner: k, amount: "5" }
    expect(opFromJson(bond)).toEqual({ kind: "minerBond", miner: new Uint8Array(32).fill(0xab), amount: 5n })
    expect(rejects(() => opFromJson({ ...bond, extra: 1 }))).toBe(true)
    expect(rejects(() => opFromJson({ kind: "minerBond", miner: k }))).toBe(true)
    expect(rejects(() => opFromJson({ ...bond, kind: "minerbond" }))).toBe(true)
    expect(rejects(() => toJson(Hex32, new Uint8Array(31)))).toBe(true)
  })
})

describe("StateJson", () => {
  it("round-trips every state a generated sequence reaches, and fixes its root", () => {
    fc.assert(
      fc.property(intents({ minLength: 20, maxLength: 40 }), (xs) => {
        const { steps } = play(xs)
        for (const s of steps.filter((x, i) => i % 5 === 0 && !isError(x.result))) {
          const st = s.result as ReturnType<typeof emptyState>
          const j = JSON.parse(JSON.stringify(stateToJson(st)))
          const back = stateFromJson(j)
          expect(stateToJson(back)).toEqual(j)
          expect(hex(stateRoot(back))).toBe(hex(stateRoot(st)))
          expect(Object.keys(j.accounts)).toEqual([...Object.keys(j.accounts)].sort())
        }
      }),
      { numRuns: 25 }
    )
  })

  it("stateRoot = H(\"dotdns/v1/state\", Σ u16(len key) ‖ key ‖ u32(len bytes) ‖ bytes, u64(vault))", () => {
    const s = richWorld().state
    const parts = stateAccounts(s).map(([k, b]) => {
      const kb = Buffer.from(k, "ascii")
      return concat(Uint8Array.of(kb.length & 0xff, kb.length >> 8), kb, u32le(b.length), b)
    })
    const tag = Buffer.from(TAGS.state)
    const want = createHash("sha256").update(Uint8Array.of(tag.length)).update(tag).update(concat(...parts, u64le(s.vaultBalance))).digest("hex")
    expect(hex(stateRoot(s))).toBe(want)
    expect(stateAccounts(s).map(([k]) => k.split("/")[0])).not.toContain("Vault")
    expect(hex(stateRoot(emptyState()))).toBe(createHash("sha256").update(Uint8Array.of(tag.length)).update(tag).update(u64le(0n)).digest("hex"))
  })

  it("keys accounts by their seeds and rejects keys that do not match the account", () => {
    const j = stateToJson(richWorld().state)
    const keys = Object.keys(j.accounts)
    for (const prefix of ["Config", "MinerSet", "Committee/", "Witness/", "Name/", "Round/", "Aggregate/", "LeafPin/", "Challenge/", "Proposal/", "Veto/", "Claim/"])
      expect(keys.some((k) => k.startsWith(prefix)), prefix).toBe(true)
    const witness = keys.find((k) => k.startsWith("Witness/"))!
    const other = keys.filter((k) => k.startsWith("Witness/"))[1]!
    expect(rejects(() => stateFromJson({ ...j, accounts: { ...j.accounts, [other]: j.accounts[witness]! } }))).toBe(true)
    expect(rejects(() => stateFromJson({ ...j, accounts: { ...j.accounts, Vault: "00" } }))).toBe(true)
    expect(rejects(() => stateFromJson({ ...j, accounts: { ...j.accounts, "Committee/02": j.accounts["Committee/2"]! } }))).toBe(true)
    expect(rejects(() => stateFromJson({ ...j, accounts: { ...j.accounts, Config: j.accounts.MinerSet! } }))).toBe(true)
    expect(rejects(() => stateFromJson({ ...j, wallets: { ...j.wallets, ["00".repeat(32)]: "0" } }))).toBe(true)
    expect(rejects(() => stateFromJson({ ...j, vaultBalance: "-1" }))).toBe(true)
    expect(stateFromJson(null)).toEqual(emptyState())
    expect(fromJson(StateJson, { accounts: {}, vaultBalance: "0", wallets: {} })).toEqual(emptyState())
  })
})

describe("conformance adapter answers", () => {
  it("reject malformed requests with CNF-2 and unknown operations too", () => {
    expect(runOperation("decode_receipt", { bytes: "zz" })).toMatchObject({ error: { rule: "CNF-2" } })
    expect(runOperation("decode_receipt", { bytes: "00", more: 1 })).toMatchObject({ error: { rule: "CNF-2" } })
    expect(runOperation("no_such_op", {})).toMatchObject({ error: { rule: "CNF-2" } })
    expect(runOperation("apply", { pre: null, steps: [{ slot: "0", op: opToJson({ kind: "advanceEpoch" }) }] })).toMatchObject({ output: { steps: [{ error: { rule: "ACC-7" } }] } })
  })
})
