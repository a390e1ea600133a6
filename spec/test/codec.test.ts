/**
 * Codec properties [ENC]: every object, account and instruction round-trips through its encoding, and
 * every truncation and every one-byte extension of a valid encoding is rejected with a DecodeError.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { ACCOUNTS, type AccountKind } from "../src/accounts.ts"
import { concat, equal } from "../src/bytes.ts"
import { DecodeError } from "../src/errors.ts"
import { decodeInstruction, encodeInstruction, IX_BUMPS } from "../src/instructions.ts"
import { decodeAccount, encodeAccount, ReceiptJson } from "../src/json.ts"
import {
  decodeAggregate, decodeLeaf, decodeReceipt, decodeRouteAuth, decodeRouteRecord, encodeAggregate, encodeLeaf, encodeReceipt, encodeRouteAuth,
  encodeRouteRecord, RECEIPT_SIZE
} from "../src/objects.ts"
import * as A from "./support/arbitraries.ts"

const rejects = (f: () => unknown): boolean => {
  try {
    f()
    return false
  } catch (e) {
    if (e instanceof DecodeError) return true
    throw e
  }
}

/** Every prefix and every one-byte extension of `enc` is rejected. */
const everyTruncationAndExtension = (enc: Uint8Array, decode: (b: Uint8Array) => unknown): void => {
  for (let n = 0; n < enc.length; n++) if (!rejects(() => decode(enc.subarray(0, n)))) throw new Error(`prefix of ${n}/${enc.length} bytes accepted`)
  for (let b = 0; b < 256; b++) if (!rejects(() => decode(concat(enc, Uint8Array.of(b))))) throw new Error(`extension by 0x${b.toString(16)} accepted`)
}

const objects = [
  ["RouteRecord", A.routeRecord, encodeRouteRecord, decodeRouteRecord],
  ["RouteAuth", A.routeAuth, encodeRouteAuth, decodeRouteAuth],
  ["Receipt", A.receipt, encodeReceipt, decodeReceipt],
  ["Leaf", A.leaf, encodeLeaf, decodeLeaf],
  ["Aggregate", A.statement, encodeAggregate, decodeAggregate]
] as const

describe("objects", () => {
  for (const [name, arb, encode, decode] of objects) {
    it(`${name}: decode ∘ encode = id, and every truncation and one-byte extension is rejected`, () => {
      fc.assert(
        fc.property(arb as fc.Arbitrary<never>, (v) => {
          const enc = (encode as (x: unknown) => Uint8Array)(v)
          expect((decode as (b: Uint8Array) => unknown)(enc)).toEqual(v)
          everyTruncationAndExtension(enc, decode as (b: Uint8Array) => unknown)
        }),
        { numRuns: name === "RouteRecord" ? 40 : 100 }
      )
    })
  }

  it("a receipt carries no user identifier: exactly epoch, name_hash, route_hash, witness in 106 bytes [RCP-1]", () => {
    expect(Object.keys(ReceiptJson.fields).sort()).toEqual(["epoch", "nameHash", "routeHash", "witness"])
    fc.assert(
      fc.property(A.receipt, (r) => {
        const enc = encodeReceipt(r)
        expect(enc.length).toBe(RECEIPT_SIZE)
        expect(RECEIPT_SIZE).toBe(106)
        expect(Object.keys(decodeReceipt(enc)).sort()).toEqual(["epoch", "nameHash", "routeHash", "witness"])
        // Extra properties on the value never reach the encoding.
        expect(equal(encodeReceipt({ ...r, ip: "192.0.2.1", at: 1700000000 } as typeof r), enc)).toBe(true)
      })
    )
  })
})

describe("accounts", () => {
  for (const kind of Object.keys(ACCOUNTS) as AccountKind[]) {
    it(`${kind}: bytes → value → bytes, value → bytes → value, and every other length is rejected`, () => {
      fc.assert(
        fc.property(A.accountBytes(kind), (b) => {
          const v = decodeAccount(kind, b)
          expect(equal(encodeAccount(kind, v), b)).toBe(true)
          expect(decodeAccount(kind, encodeAccount(kind, v))).toEqual(v)
          for (const n of [0, 1, 8, 9, b.length - 1]) expect(rejects(() => decodeAccount(kind, b.subarray(0, n)))).toBe(true)
          for (let x = 0; x < 256; x += 51) expect(rejects(() => decodeAccount(kind, concat(b, Uint8Array.of(x))))).toBe(true)
        }),
        { numRuns: 30 }
      )
    })
    it(`${kind}: every non-zero padding byte is rejected [ENC-6]`, () => {
      const mask = A.padMask(kind)
      fc.assert(
        fc.property(A.accountBytes(kind), fc.nat(), fc.integer({ min: 1, max: 255 }), (b, at, x) => {
          const pads = [...mask.keys()].filter((i) => mask[i] === 1)
          const c = new Uint8Array(b)
          c[pads[at % pads.length]!] = x
          expect(rejects(() => decodeAccount(kind, c))).toBe(true)
        }),
        { numRuns: 30 }
      )
    })
  }
})

describe("instructions", () => {
  const encode = (o: Parameters<typeof encodeInstruction>[0], bumps: number[]) => encodeInstruction(o, bumps)
  const bumpsArb = fc.array(A.u8, { minLength: 4, maxLength: 4 })
  it("decode ∘ encode = the op's data fields, for every op kind", () => {
    const seen = new Set<string>()
    fc.assert(
      fc.property(A.op, bumpsArb, (o, bs) => {
        const bumps = bs.slice(0, IX_BUMPS[o.kind]?.length ?? 0)
        const d = decodeInstruction(encode(o, bumps))
        expect(d.kind).toBe(o.kind)
        expect(d.bumps).toEqual(bumps)
        expect(d.fields).toEqual(A.dataFields(o))
        seen.add(o.kind)
      }),
      { numRuns: 600 }
    )
    expect(seen.size).toBe(27)
  })
  it("every truncation and every one-byte extension of instruction data is rejected", () => {
    fc.assert(
      fc.property(A.op, bumpsArb, (o, bs) => {
        everyTruncationAndExtension(encode(o, bs.slice(0, IX_BUMPS[o.kind]?.length ?? 0)), decodeInstruction)
      }),
      { numRuns: 150 }
    )
  })
})
