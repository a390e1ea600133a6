/**
 * Decoder fuzzing [ENC], [CNF-2]: every decoder meets random bytes and mutated valid encodings (random
 * JSON and mutated valid JSON for the schemas) and must either decode — and then re-encode to exactly
 * its input, since every value has one encoding — or reject with its typed error (`DecodeError`,
 * Schema's `SchemaError`). Any other exception is a finding. Shared by `spec/test/fuzz.test.ts`
 * (100,000 cases per decoder) and `bench/fuzz-decoders.ts` (a million or more, on demand).
 */
import { Schema } from "effect"
import { ACCOUNTS, type AccountKind } from "../../src/accounts.ts"
import { equal } from "../../src/bytes.ts"
import { DecodeError } from "../../src/errors.ts"
import { decodeInstruction, encodeInstruction } from "../../src/instructions.ts"
import {
  AggregateStatementJson, decodeAccount, encodeAccount, LeafJson, OpJson, opToJson, ParamsJson, ReceiptJson, RouteAuthJson, RouteRecordJson, StateJson,
  stateAccounts, stateToJson, STRICT, SumNodeJson, toJson
} from "../../src/json.ts"
import {
  decodeAggregate, decodeLeaf, decodeReceipt, decodeRouteAuth, decodeRouteRecord, encodeAggregate, encodeLeaf, encodeReceipt, encodeRouteAuth,
  encodeRouteRecord, routeAuthOf
} from "../../src/objects.ts"
import type { Op } from "../../src/ops.ts"
import { LOCALNET_PARAMS } from "../../src/params.ts"
import type { State } from "../../src/state.ts"
import { canonicalAccount } from "./arbitraries.ts"
import { bumpsOf, sampleAggregates, sampleOps, sampleReceipt, sampleRoutes } from "../vectors/encoding.ts"
import { initOp, leafOfReceipt, richWorld, World } from "../vectors/scenario.ts"

// ------------------------------------------------------------------------------------------------ PRNG

/** xoshiro128** — small, fast, seeded; every run is reproducible from its seed. */
export class Rng {
  private s0: number
  private s1: number
  private s2: number
  private s3: number
  constructor(seed: number) {
    let x = seed >>> 0 || 0x9e3779b9
    const next = () => {
      x = (x + 0x9e3779b9) >>> 0
      let z = x
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
      return (z ^ (z >>> 16)) >>> 0
    }
    this.s0 = next()
    this.s1 = next()
    this.s2 = next()
    this.s3 = next()
  }
  u32(): number {
    const r = Math.imul(((Math.imul(this.s1, 5) << 7) | (Math.imul(this.s1, 5) >>> 25)) >>> 0, 9) >>> 0
    const t = (this.s1 << 9) >>> 0
    this.s2 ^= this.s0
    this.s3 ^= this.s1
    this.s1 ^= this.s2
    this.s0 ^= this.s3
    this.s2 ^= t
    this.s3 = ((this.s3 << 11) | (this.s3 >>> 21)) >>> 0
    return r
  }
  int(n: number): number {
    return n <= 0 ? 0 : this.u32() % n
  }
  chance(p: number): boolean {
    return this.u32() / 0x100000000 < p
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n)
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff
    return b
  }
}

// ------------------------------------------------------------------------------------------- mutations

const INTERESTING_U32 = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 253, 254, 255, 1024, 1025, 2048, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff]

export const mutateBytes = (rng: Rng, corpus: readonly Uint8Array[], maxLen: number): Uint8Array => {
  const base = rng.pick(corpus)
  switch (rng.int(11)) {
    case 0:
      return rng.bytes(rng.int(Math.min(maxLen, 4096) + 1))
    case 1: {
      const b = new Uint8Array(base)
      for (let k = 1 + rng.int(4); k > 0 && b.length > 0; k--) b[rng.int(b.length)]! ^= 1 << rng.int(8)
      return b
    }
    case 2: {
      const b = new Uint8Array(base)
      for (let k = 1 + rng.int(3); k > 0 && b.length > 0; k--) b[rng.int(b.length)] = rng.u32() & 0xff
      return b
    }
    case 3:
      return base.slice(0, rng.int(base.length + 1))
    case 4: {
      const extra = rng.bytes(1 + rng.int(8))
      const b = new Uint8Array(base.length + extra.length)
      b.set(base)
      b.set(extra, base.length)
      return b
    }
    case 5: {
      const at = rng.int(base.length + 1)
      const b = new Uint8Array(base.length + 1)
      b.set(base.subarray(0, at))
      b[at] = rng.u32() & 0xff
      b.set(base.subarray(at), at + 1)
      return b
    }
    case 6: {
      if (base.length === 0) return base
      const at = rng.int(base.length)
      const b = new Uint8Array(base.length - 1)
      b.set(base.subarray(0, at))
      b.set(base.subarray(at + 1), at)
      return b
    }
    case 7: {
      const b = new Uint8Array(base)
      if (b.length < 4) return b
      const at = rng.int(b.length - 3)
      new DataView(b.buffer).setUint32(at, rng.chance(0.7) ? rng.pick(INTERESTING_U32) : rng.u32(), true)
      return b
    }
    case 8: {
      const other = rng.pick(corpus)
      const a = rng.int(base.length + 1)
      const c = rng.int(other.length + 1)
      const b = new Uint8Array(a + other.length - c)
      b.set(base.subarray(0, a))
      b.set(other.subarray(c), a)
      return b
    }
    case 9: {
      const b = new Uint8Array(base)
      if (b.length > 1) b[1] = rng.int(4)
      if (b.length > 0 && rng.chance(0.5)) b[0] = rng.int(32)
      return b
    }
    default: {
      if (base.length < 2) return base
      const from = rng.int(base.length)
      const len = 1 + rng.int(Math.min(16, base.length - from))
      const at = rng.int(base.length + 1)
      const chunk = base.subarray(from, from + len)
      const b = new Uint8Array(base.length + chunk.length)
      b.set(base.subarray(0, at))
      b.set(chunk, at)
      b.set(base.subarray(at), at + chunk.length)
      return b
    }
  }
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }

const HEXCHARS = "0123456789abcdef"
const randomJson = (rng: Rng, depth = 0): Json => {
  switch (rng.int(depth > 2 ? 6 : 8)) {
    case 0: return null
    case 1: return rng.chance(0.5)
    case 2: return rng.pick([0, 1, -1, 0.5, 2 ** 32, 2 ** 53 + 1, -(2 ** 31), 1e300, 255, 65536])
    case 3: return rng.pick(["", "0", "00", "01", "-1", "-0", "18446744073709551615", "18446744073709551616", "1e3", " 1", "0x10", "abc", "A", "dns", "node", "leaf"])
    case 4: {
      let s = ""
      const n = rng.pick([0, 1, 31, 32, 63, 64, 65, 127, 128, 129, 200])
      for (let i = 0; i < n; i++) s += HEXCHARS[rng.int(16)]
      return rng.chance(0.2) ? s.toUpperCase() : s
    }
    case 5: return rng.pick(["initialize", "minerBond", "submitAggregate", "advanceEpoch", "pinLeaf", "propose", "miner", "witness", "Config", "Witness/00"])
    case 6: return Array.from({ length: rng.int(4) }, () => randomJson(rng, depth + 1))
    default: {
      const o: { [k: string]: Json } = {}
      for (let i = rng.int(4); i > 0; i--) o[rng.pick(["kind", "epoch", "hash", "sum", "x", "name", "accounts", "leaf", "__proto__", "constructor"])] = randomJson(rng, depth + 1)
      return o
    }
  }
}

/** Applies one mutation at a random place in a (cloned) JSON value. */
const mutateJsonOnce = (rng: Rng, v: Json): Json => {
  if (Array.isArray(v)) {
    if (v.length > 0 && rng.chance(0.7)) {
      const i = rng.int(v.length)
      const c = v.slice()
      if (rng.chance(0.15)) c.splice(i, 1)
      else if (rng.chance(0.1)) c.push(c[i]!)
      else c[i] = mutateJsonOnce(rng, c[i]!)
      return c
    }
    return rng.chance(0.5) ? [...v, randomJson(rng)] : randomJson(rng)
  }
  if (v !== null && typeof v === "object") {
    const keys = Object.keys(v)
    if (keys.length > 0 && rng.chance(0.8)) {
      const k = rng.pick(keys)
      const c = { ...v }
      const r = rng.int(10)
      if (r === 0) delete c[k]
      else if (r === 1) c[`${k}x`] = c[k]!
      else if (r === 2) c[k] = randomJson(rng)
      else c[k] = mutateJsonOnce(rng, c[k]!)
      return c
    }
    const extra = rng.pick(["extra", "kind", "reserved", "Vault", "constructor/1", "__proto__", "toString/x", "Config/", "Witness/00", "Committee/01"])
    return rng.chance(0.5) ? { ...v, [extra]: rng.chance(0.5) ? randomJson(rng) : "00" } : randomJson(rng)
  }
  if (typeof v === "string") {
    const r = rng.int(9)
    if (r === 0 || v.length === 0) return randomJson(rng)
    const i = rng.int(v.length)
    if (r === 1) return v.slice(0, i) + v.slice(i + 1)
    if (r === 2) return v.slice(0, i) + HEXCHARS[rng.int(16)] + v.slice(i + 1)
    if (r === 3) return v.toUpperCase()
    if (r === 4) return `0${v}`
    if (r === 5) return `${v}0`
    if (r === 6) return `-${v}`
    if (r === 7) return v.slice(0, i) + "G" + v.slice(i + 1)
    return /^\d+$/.test(v) ? Number(v) : v + v
  }
  return randomJson(rng)
}

export const mutateJson = (rng: Rng, corpus: readonly Json[]): Json => {
  if (rng.chance(0.05)) return randomJson(rng)
  let v = rng.pick(corpus)
  for (let k = 1 + rng.int(3); k > 0; k--) v = mutateJsonOnce(rng, v)
  return v
}

// ---------------------------------------------------------------------------------------------- targets

export type Outcome = "decoded" | "rejected"

export interface Target {
  readonly name: string
  /** One case: generate an input from the rng and run the decoder on it. Throws on a finding. */
  readonly run: (rng: Rng) => Outcome
}

const binary = (name: string, corpus: Uint8Array[], maxLen: number, decode: (b: Uint8Array) => unknown, encode: (v: unknown) => Uint8Array | undefined): Target => ({
  name,
  run: (rng) => {
    const input = mutateBytes(rng, corpus, maxLen)
    let v: unknown
    try {
      v = decode(input)
    } catch (e) {
      if (e instanceof DecodeError) return "rejected"
      throw new Error(`${name}: ${String(e)} on input ${Buffer.from(input).toString("hex")}`, { cause: e })
    }
    const again = encode(v)
    if (again !== undefined && !equal(again, input)) throw new Error(`${name}: decoded a non-canonical input ${Buffer.from(input).toString("hex")}`)
    return "decoded"
  }
})

/** Key-order-insensitive equality of JSON values. */
const sameJson = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]))
  if (Array.isArray(b)) return false
  const ka = Object.keys(a)
  if (ka.length !== Object.keys(b).length) return false
  return ka.every((k) => Object.hasOwn(b, k) && sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
}

const json = <T, E>(name: string, schema: Schema.Codec<T, E>, corpus: Json[]): Target => {
  const decode = Schema.decodeUnknownSync(schema, STRICT)
  const encode = Schema.encodeSync(schema)
  return {
    name,
    run: (rng) => {
      const input = mutateJson(rng, corpus)
      let v: T
      try {
        v = decode(input)
      } catch (e) {
        if (Schema.isSchemaError(e)) return "rejected"
        throw new Error(`${name}: ${String(e)} on input ${JSON.stringify(input).slice(0, 400)}`, { cause: e })
      }
      if (!sameJson(encode(v), input)) throw new Error(`${name}: accepted a non-canonical input ${JSON.stringify(input).slice(0, 400)}`)
      return "decoded"
    }
  }
}

/** Rebuilds an op from decoded instruction data (signers zero, signatures zero): enough to re-encode it. */
const opOfInstruction = (d: ReturnType<typeof decodeInstruction>): Op => {
  const z = new Uint8Array(32)
  const s = new Uint8Array(64)
  const f = d.fields as Record<string, never>
  switch (d.kind) {
    case "submitAggregate": return { kind: d.kind, statement: f.statement, opening: f.opening, auth: f.serial === null ? null : { serial: f.serial, owner: z, signature: s } }
    case "proveEquivocation": return { kind: d.kind, challenger: z, first: { statement: f.first, signature: s }, second: f.second === null ? null : { statement: f.second, signature: s } }
    case "respondReveal": return { kind: d.kind, leafRef: f.leafRef, receipt: f.receipt, signature: s }
    case "claim": return { kind: d.kind, who: z, role: f.role }
    default: return { kind: d.kind, ...(d.fields as object) } as Op
  }
}

export const targets = (opts: { accountsPerKind?: boolean } = {}): Target[] => {
  const routes = Object.values(sampleRoutes())
  const aggs = Object.values(sampleAggregates())
  const rc = sampleReceipt()
  const ops = sampleOps()
  const rich = richWorld().state
  const out: Target[] = [
    binary("decode_route_record", routes.map(encodeRouteRecord), 2400, decodeRouteRecord, (v) => encodeRouteRecord(v as never)),
    binary("decode_route_auth", routes.map((r) => encodeRouteAuth(routeAuthOf(r))), 100, decodeRouteAuth, (v) => encodeRouteAuth(v as never)),
    binary("decode_receipt", [encodeReceipt(rc.receipt)], 200, decodeReceipt, (v) => encodeReceipt(v as never)),
    binary("decode_leaf", [encodeLeaf(leafOfReceipt(rc, 5n))], 200, decodeLeaf, (v) => encodeLeaf(v as never)),
    binary("decode_aggregate", aggs.map(encodeAggregate), 300, decodeAggregate, (v) => encodeAggregate(v as never)),
    binary("decode_instruction", ops.map((o) => encodeInstruction(o, bumpsOf(o.kind))), 2000, decodeInstruction, (v) => {
      const d = v as ReturnType<typeof decodeInstruction>
      return encodeInstruction(opOfInstruction(d), d.bumps)
    })
  ]
  const accounts = stateAccounts(rich)
  const perKind = (Object.keys(ACCOUNTS) as AccountKind[]).map((kind) => {
    const size = ACCOUNTS[kind].layout.size
    const mine = accounts.filter(([k]) => k.split("/")[0] === kind).map(([, b]) => b)
    const corpus = [...mine, canonicalAccount(kind, new Uint8Array(size)), canonicalAccount(kind, new Uint8Array(size).fill(0xff))]
    return binary(`decode_account(${kind})`, corpus, size + 16, (b) => decodeAccount(kind, b), (v) => encodeAccount(kind, v as never))
  })
  // One decoder, every account kind: each case picks a kind (the bench can run them one by one).
  if (opts.accountsPerKind) out.push(...perKind)
  else out.push({ name: "decode_account", run: (rng) => rng.pick(perKind).run(rng) })
  const small = (() => {
    const w = new World()
    w.run(initOp())
    return w.state
  })()
  out.push(
    json("RouteRecordJson", RouteRecordJson, routes.map((r) => toJson(RouteRecordJson, r) as unknown as Json)),
    json("RouteAuthJson", RouteAuthJson, routes.map((r) => toJson(RouteAuthJson, routeAuthOf(r)))),
    json("ReceiptJson", ReceiptJson, [toJson(ReceiptJson, rc.receipt)]),
    json("LeafJson", LeafJson, [toJson(LeafJson, leafOfReceipt(rc, 5n))]),
    json("SumNodeJson", SumNodeJson, [toJson(SumNodeJson, { hash: rc.signature.slice(0, 32), sum: 7n })]),
    json("AggregateStatementJson", AggregateStatementJson, aggs.map((a) => toJson(AggregateStatementJson, a))),
    json("ParamsJson", ParamsJson, [toJson(ParamsJson, LOCALNET_PARAMS) as unknown as Json]),
    json("OpJson", OpJson, ops.map((o) => opToJson(o) as Json)),
    json("StateJson", StateJson, [stateToJson(small) as unknown as Json, stateToJson(oneOfEach(rich)) as unknown as Json])
  )
  return out
}

/** A state holding one account of each kind: a small, complete corpus entry for StateJson. */
const oneOfEach = (s: State): State => {
  const first = <V>(m: Map<string, V>) => new Map([...m].slice(0, 1))
  return {
    ...s, committees: first(s.committees), witnesses: first(s.witnesses), names: first(s.names), rounds: first(s.rounds), aggregates: first(s.aggregates),
    pins: first(s.pins), challenges: first(s.challenges), proposals: first(s.proposals), vetoes: first(s.vetoes), claims: first(s.claims)
  }
}

/**
 * Runs `n` cases of a target; returns how many decoded and how many were rejected. Stack traces are
 * off while it runs: most cases end in a typed error, and capturing a trace for each would be most of
 * the cost; a finding is reported with its input instead.
 */
export const fuzz = (t: Target, n: number, seed: number): { decoded: number; rejected: number } => {
  const rng = new Rng(seed)
  let decoded = 0
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  try {
    for (let i = 0; i < n; i++) if (t.run(rng) === "decoded") decoded += 1
  } finally {
    Error.stackTraceLimit = limit
  }
  return { decoded, rejected: n - decoded }
}
