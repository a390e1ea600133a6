/**
 * Inputs for the differential properties, one arbitrary per operation, already in the JSON of the
 * adapter protocol. Most are valid values with a thin layer of trouble on top: encodings with a byte
 * flipped, cut short or followed by more bytes; names in every case and script; Merkle proofs with one
 * part changed; weights at the edge of u64. fast-check shrinks the structured value, not the JSON, so a
 * counterexample comes out small and readable.
 */
import fc from "fast-check"
import { ACCOUNTS, type AccountKind } from "../../spec/src/accounts.ts"
import { U64_MAX } from "../../spec/src/codec.ts"
import { keypairFromSeed, sign, type Keypair } from "../../spec/src/ed25519.ts"
import { H, TAGS } from "../../spec/src/hash.ts"
import { encodeInstruction, IX_BUMPS } from "../../spec/src/instructions.ts"
import {
  AggregateStatementJson, Hex, Hex32, LeafJson, ReceiptJson, RouteAuthJson, RouteRecordJson, SumNodeJson, toJson, U64
} from "../../spec/src/json.ts"
import { buildLevels, inclusionPath, leafNode, type SumNode } from "../../spec/src/merkle.ts"
import {
  CID_MAX, encodeAggregate, encodeLeaf, encodeReceipt, encodeRouteAuth, encodeRouteRecord, RECORD_TYPE, type Leaf, type RouteRecord
} from "../../spec/src/objects.ts"
import * as A from "../../spec/test/support/arbitraries.ts"

const hex = (b: Uint8Array): string => toJson(Hex, b)
const dec = (v: bigint): string => toJson(U64, v)

// ------------------------------------------------------------------------------------------ bytes

/** A valid encoding, or one broken in a single way: a byte flipped, cut short, bytes appended, a header byte replaced. */
export const mutatedBytes = (valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    { weight: 3, arbitrary: valid },
    {
      weight: 2,
      arbitrary: fc.tuple(valid, fc.nat(), fc.integer({ min: 1, max: 255 })).map(([b, at, x]) => {
        const out = new Uint8Array(b)
        if (out.length > 0) out[at % out.length]! ^= x
        return out
      })
    },
    { weight: 2, arbitrary: fc.tuple(valid, fc.nat()).map(([b, keep]) => b.slice(0, b.length === 0 ? 0 : keep % b.length)) },
    { weight: 2, arbitrary: fc.tuple(valid, fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([b, extra]) => Uint8Array.from([...b, ...extra])) },
    {
      weight: 1,
      arbitrary: fc.tuple(valid, fc.nat({ max: 1 }), A.u8).map(([b, at, v]) => {
        const out = new Uint8Array(b)
        if (out.length > at) out[at] = v
        return out
      })
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 160 }) }
  )

export const bytesInput = (valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<unknown> => mutatedBytes(valid).map((b) => ({ bytes: hex(b) }))

// ---------------------------------------------------------------------------------------- objects

/** Route records small enough to keep requests short. */
export const routeRecord: fc.Arbitrary<RouteRecord> = fc
  .record({
    name: A.utf8(80),
    serial: A.u64,
    ttl: A.u32,
    records: fc.array(fc.record({ type: A.u16, data: fc.uint8Array({ maxLength: 40 }) }), { maxLength: 6 }),
    owner: A.key
  })

export const recordJson = (r: RouteRecord) => toJson(RouteRecordJson, r)

/** A weight: usually small, sometimes within 1000 of 2^64 so that sums overflow. */
export const weight: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 4, arbitrary: fc.bigInt({ min: 0n, max: 1000n }) },
  { weight: 1, arbitrary: fc.bigInt({ min: U64_MAX - 1000n, max: U64_MAX }) }
)
export const leaf: fc.Arbitrary<Leaf> = fc.record({ receiptHash: A.key, witness: A.key, weight })
/** A weight in a whole tree: near 2^64 rarely, so that some trees overflow and most do not. */
const treeWeight: fc.Arbitrary<bigint> = fc.oneof({ weight: 40, arbitrary: fc.bigInt({ min: 0n, max: 1000n }) }, { weight: 1, arbitrary: fc.bigInt({ min: U64_MAX - 1000n, max: U64_MAX }) })
const treeLeaf: fc.Arbitrary<Leaf> = fc.record({ receiptHash: A.key, witness: A.key, weight: treeWeight })
export const sumNode: fc.Arbitrary<SumNode> = fc.record({ hash: A.key, sum: weight })

export const leafJson = (l: Leaf) => toJson(LeafJson, l)
export const nodeJson = (n: SumNode) => toJson(SumNodeJson, n)

// -------------------------------------------------------------------------------------- accounts

const ACCOUNT_KINDS = Object.keys(ACCOUNTS) as AccountKind[]

/** Account bytes with the layout version (byte 8) changed [VER-2], or one padding byte set [ENC-6]. */
const accountDefects = (kind: AccountKind): fc.Arbitrary<Uint8Array> => {
  const pads = [...A.padMask(kind)].flatMap((m, i) => (m === 1 ? [i] : []))
  return fc.tuple(A.accountBytes(kind), fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean()).map(([b, at, v, version]) => {
    const out = Uint8Array.from(b)
    if (version || pads.length === 0) out[8] = v === 1 ? 2 : v
    else out[pads[at % pads.length]!] = v
    return out
  })
}

/** An account's bytes: canonical for its kind, then perhaps broken (size, discriminator, version, padding). */
export const accountInput: fc.Arbitrary<unknown> = fc
  .constantFrom(...ACCOUNT_KINDS)
  .chain((kind) =>
    fc.tuple(
      fc.constant(kind),
      fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom(...ACCOUNT_KINDS) }),
      fc.oneof({ weight: 4, arbitrary: mutatedBytes(A.accountBytes(kind)) }, { weight: 1, arbitrary: accountDefects(kind) })
    )
  )
  // Now and then the bytes of one kind are read as another: a discriminator or size mismatch.
  .map(([kind, asKind, bytes]) => ({ kind: asKind ?? kind, bytes: hex(bytes) }))

/** Instruction data: a valid instruction of a random op with its bumps, then perhaps broken. */
export const instructionBytes: fc.Arbitrary<Uint8Array> = fc.tuple(A.op, fc.array(A.u8, { minLength: 4, maxLength: 4 })).map(([op, bumps]) => {
  try {
    return encodeInstruction(op, bumps.slice(0, IX_BUMPS[op.kind]?.length ?? 0))
  } catch {
    // A field out of the instruction's range (a name over 255 bytes): its tag alone.
    return encodeInstruction({ kind: "advanceEpoch" }, [bumps[0]!])
  }
})

// ------------------------------------------------------------------------------------------ names

const LABEL_CHARS = ["a", "b", "z", "0", "9", "-", "A", "Z", "_", " ", "%", ".", "ü", "ß", "例", "Ｈ", "\u00ad", "\u200d", "\ufffd", "😀", "ı", "ǅ"]

/** Text shaped like a name: labels over letters, digits, hyphens and a few troublesome characters. */
export const nameText: fc.Arbitrary<string> = fc
  .tuple(
    fc.array(
      fc.oneof(
        { weight: 6, arbitrary: fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/) },
        { weight: 3, arbitrary: fc.array(fc.constantFrom(...LABEL_CHARS), { minLength: 0, maxLength: 6 }).map((cs) => cs.join("")) },
        { weight: 1, arbitrary: fc.integer({ min: 60, max: 66 }).map((n) => "a".repeat(n)) }
      ),
      { minLength: 0, maxLength: 4 }
    ),
    fc.constantFrom(".dns", ".dns", ".dns", ".DNS", ".dns.", "", ".com", ".dns..")
  )
  .map(([labels, tail]) => labels.join(".") + tail)

// ------------------------------------------------------------------------------------------ routes

const LDH = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/)
const validName = fc.array(LDH, { minLength: 1, maxLength: 3 }).map((ls) => `${ls.join(".")}.dns`)
const text = (s: string) => new TextEncoder().encode(s)

const dnsRecord = fc.oneof(
  { weight: 4, arbitrary: fc.record({ type: fc.constant(RECORD_TYPE.A), data: fc.oneof({ weight: 5, arbitrary: A.bytes(4) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 6 }) }) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant(RECORD_TYPE.AAAA), data: fc.oneof({ weight: 5, arbitrary: A.bytes(16) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 18 }) }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant(RECORD_TYPE.CNAME),
      data: fc.oneof({ weight: 4, arbitrary: fc.array(LDH, { minLength: 1, maxLength: 3 }).map((ls) => ls.join(".")) }, { weight: 1, arbitrary: nameText }).map(text)
    })
  },
  { weight: 2, arbitrary: fc.record({ type: fc.constant(RECORD_TYPE.TXT), data: fc.oneof({ weight: 5, arbitrary: fc.uint8Array({ maxLength: 40 }) }, { weight: 1, arbitrary: fc.uint8Array({ minLength: 250, maxLength: 260 }) }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant(RECORD_TYPE.HTTPS), data: fc.uint8Array({ maxLength: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ type: A.u16, data: fc.uint8Array({ maxLength: 8 }) }) }
)

/** Route records that are mostly valid, each possibly broken by one RTE or NAM rule, with a canonical serial nearby. */
export const checkRouteInput: fc.Arbitrary<unknown> = fc
  .record({
    name: fc.oneof({ weight: 6, arbitrary: validName }, { weight: 1, arbitrary: nameText }),
    serial: fc.oneof({ weight: 3, arbitrary: fc.bigInt({ min: 0n, max: 10n }) }, { weight: 1, arbitrary: A.u64 }),
    ttl: fc.oneof({ weight: 10, arbitrary: fc.integer({ min: 0, max: 604_800 }) }, { weight: 1, arbitrary: fc.constantFrom(604_800, 604_801) }, { weight: 1, arbitrary: A.u32 }),
    records: fc.oneof({ weight: 8, arbitrary: fc.array(dnsRecord, { minLength: 1, maxLength: 4 }) }, { weight: 1, arbitrary: fc.array(dnsRecord, { minLength: 0, maxLength: 18 }) }),
    owner: A.key,
    canonical: fc.option(fc.integer({ min: -2, max: 2 }), { nil: undefined })
  })
  .map(({ canonical, ...record }) => {
    const serial = canonical === undefined ? undefined : record.serial + BigInt(canonical)
    const ok = serial !== undefined && serial >= 0n && serial <= U64_MAX
    return { record: recordJson(record), ...(ok ? { canonicalSerial: dec(serial) } : {}) }
  })

// -------------------------------------------------------------------------------------- signatures

const KEYS: readonly Keypair[] = Array.from({ length: 6 }, (_, i) => keypairFromSeed(H("dotdns/conformance/key", Uint8Array.of(i))))
const L = 2n ** 252n + 27742317777372353535851937790883648493n
const SMALL_ORDER = Uint8Array.from([1, ...new Array<number>(31).fill(0)])

const leScalar = (b: Uint8Array): bigint => BigInt(`0x${Buffer.from(b).reverse().toString("hex") || "0"}`)
const scalarLe = (v: bigint): Uint8Array => Uint8Array.from(Buffer.from(v.toString(16).padStart(64, "0"), "hex").reverse())

const SIG_MUTATIONS = ["none", "none", "none", "sig-bit", "message-bit", "other-key", "short-signature", "long-key", "s-plus-l", "small-order"] as const

/** A signature over a message, valid or broken one way (a bit, the key, the length, a non-canonical S, a small-order key). */
export const verifyInput: fc.Arbitrary<unknown> = fc
  .record({
    signer: fc.nat({ max: KEYS.length - 1 }),
    message: fc.uint8Array({ maxLength: 48 }),
    mutation: fc.constantFrom(...SIG_MUTATIONS),
    at: fc.nat(),
    xor: fc.integer({ min: 1, max: 255 })
  })
  .map(({ signer, message, mutation, at, xor }) => {
    const kp = KEYS[signer]!
    let publicKey = kp.publicKey
    let msg = message
    let signature = sign(kp, message)
    switch (mutation) {
      case "sig-bit":
        signature = Uint8Array.from(signature)
        signature[at % 64]! ^= xor
        break
      case "message-bit":
        msg = message.length === 0 ? Uint8Array.of(xor) : Uint8Array.from(message)
        if (message.length > 0) msg[at % msg.length]! ^= xor
        break
      case "other-key":
        publicKey = KEYS[(signer + 1) % KEYS.length]!.publicKey
        break
      case "short-signature":
        signature = signature.slice(0, at % 64)
        break
      case "long-key":
        publicKey = Uint8Array.from([...publicKey, xor])
        break
      case "s-plus-l": {
        const s = leScalar(signature.slice(32)) + L
        if (s < 2n ** 256n) signature = Uint8Array.from([...signature.slice(0, 32), ...scalarLe(s)])
        break
      }
      case "small-order":
        publicKey = SMALL_ORDER
        signature = Uint8Array.from([...SMALL_ORDER, ...new Array<number>(32).fill(0)])
        break
    }
    return { publicKey: hex(publicKey), message: hex(msg), signature: hex(signature) }
  })

// ------------------------------------------------------------------------------------------ merkle

/** Leaves with small weights (proofs need a tree whose sums fit). */
const smallLeaf: fc.Arbitrary<Leaf> = fc.record({ receiptHash: A.key, witness: A.key, weight: fc.bigInt({ min: 0n, max: 1n << 40n }) })

const PROOF_MUTATIONS = [
  "none", "none", "none", "index+1", "index-1", "size+1", "size-1", "path-hash", "path-sum", "drop-last", "append", "leaf-weight", "leaf-witness",
  "root-hash", "root-sum", "index=size", "path-sum-max", "reverse-path"
] as const

/** A tree, one leaf's inclusion proof from the spec, and perhaps one thing about the proof changed. */
export const verifyInclusionInput: fc.Arbitrary<unknown> = fc
  .record({
    leaves: fc.array(smallLeaf, { minLength: 1, maxLength: 24 }),
    pick: fc.nat(),
    mutation: fc.constantFrom(...PROOF_MUTATIONS),
    at: fc.nat(),
    xor: fc.integer({ min: 1, max: 255 })
  })
  .map(({ leaves, pick, mutation, at, xor }) => {
    const levels = buildLevels(leaves.map(leafNode))
    const root = levels[levels.length - 1]![0]!
    let index = pick % leaves.length
    let size = leaves.length
    let lf = leaves[index]!
    let path: SumNode[] = inclusionPath(levels, index)
    let r: SumNode = root
    const k = path.length === 0 ? 0 : at % path.length
    switch (mutation) {
      case "index+1": index += 1; break
      case "index-1": index = Math.max(0, index - 1) === index ? index + 1 : index - 1; break
      case "size+1": size += 1; break
      case "size-1": size -= 1; break
      case "path-hash":
        if (path.length > 0) {
          const h = Uint8Array.from(path[k]!.hash)
          h[at % 32]! ^= xor
          path = path.map((n, i) => (i === k ? { hash: h, sum: n.sum } : n))
        }
        break
      case "path-sum": path = path.map((n, i) => (i === k ? { hash: n.hash, sum: n.sum + 1n } : n)); break
      case "drop-last": path = path.slice(0, -1); break
      case "append": path = [...path, { hash: root.hash, sum: 0n }]; break
      case "leaf-weight": lf = { ...lf, weight: lf.weight + 1n }; break
      case "leaf-witness": lf = { ...lf, witness: H("dotdns/conformance/other", lf.witness) }; break
      case "root-hash": r = { hash: H("dotdns/conformance/other", root.hash), sum: root.sum }; break
      case "root-sum": r = { hash: root.hash, sum: root.sum + 1n }; break
      case "index=size": index = size; break
      case "path-sum-max": path = path.length === 0 ? [{ hash: root.hash, sum: U64_MAX }] : path.map((n, i) => (i === k ? { hash: n.hash, sum: U64_MAX } : n)); break
      case "reverse-path": path = [...path].reverse(); break
    }
    return { leaf: leafJson(lf), index, size, path: path.map(nodeJson), root: nodeJson(r) }
  })

export const leavesInput = (min: number, max: number): fc.Arbitrary<unknown> => fc.array(treeLeaf, { minLength: min, maxLength: max }).map((ls) => ({ leaves: ls.map(leafJson) }))

export const inclusionProofInput: fc.Arbitrary<unknown> = fc
  .tuple(fc.array(treeLeaf, { minLength: 0, maxLength: 30 }), fc.nat())
  .map(([ls, i]) => ({ leaves: ls.map(leafJson), index: i % (ls.length + 2) }))

// --------------------------------------------------------------------------------------- aggregate

const WITNESS_POOL = Array.from({ length: 10 }, (_, i) => H("dotdns/conformance/witness", Uint8Array.of(i)))

/** Receipts for one (epoch, name, route) from a pool of witnesses (a repeat is MRK-2), weights for most of them. */
export const buildAggregateInput: fc.Arbitrary<unknown> = fc
  .record({
    epoch: fc.bigInt({ min: 0n, max: 1000n }),
    nameHash: A.key,
    routeHash: A.key,
    receipts: fc.oneof(
      { weight: 5, arbitrary: fc.uniqueArray(fc.record({ witness: fc.nat({ max: WITNESS_POOL.length - 1 }), signature: A.sig }), { selector: (r) => r.witness, minLength: 1, maxLength: 8 }) },
      { weight: 1, arbitrary: fc.array(fc.record({ witness: fc.nat({ max: WITNESS_POOL.length - 1 }), signature: A.sig }), { minLength: 0, maxLength: 8 }) }
    ),
    weights: fc.array(fc.option(treeWeight, { nil: undefined, freq: 40 }), { minLength: WITNESS_POOL.length, maxLength: WITNESS_POOL.length }),
    miner: A.key,
    batchCid: fc.option(fc.uint8Array({ minLength: 1, maxLength: CID_MAX }), { nil: null })
  })
  .map(({ epoch, nameHash, routeHash, receipts, weights, miner, batchCid }) => ({
    receipts: receipts.map(({ witness, signature }) => ({
      receipt: toJson(ReceiptJson, { epoch, nameHash, routeHash, witness: WITNESS_POOL[witness]! }),
      signature: hex(signature)
    })),
    weights: Object.fromEntries(weights.flatMap((w, i) => (w === undefined ? [] : [[hex(WITNESS_POOL[i]!), dec(w)]]))),
    miner: hex(miner),
    batchCid: batchCid === null ? null : hex(batchCid)
  }))

// ---------------------------------------------------------------------------------------- committee

const MINER_POOL = Array.from({ length: 12 }, (_, i) => H("dotdns/conformance/miner", Uint8Array.of(i)))

export const selectCommitteeInput: fc.Arbitrary<unknown> = fc
  .record({
    miners: fc.array(
      fc.record({
        key: fc.nat({ max: MINER_POOL.length - 1 }),
        active: fc.oneof({ weight: 4, arbitrary: fc.bigInt({ min: 0n, max: 20n }) }, { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 1n << 62n }) }),
        jailed: fc.boolean()
      }),
      { maxLength: 12 }
    ),
    mode: fc.constantFrom("allowlist" as const, "stake" as const),
    size: fc.bigInt({ min: 0n, max: 8n }),
    minStake: fc.bigInt({ min: 0n, max: 6n }),
    allowlist: fc.uniqueArray(fc.nat({ max: MINER_POOL.length - 1 }), { maxLength: 8 }),
    seed: A.key
  })
  .map(({ miners, mode, size, minStake, allowlist, seed }) => ({
    miners: miners.map((m) => ({ key: hex(MINER_POOL[m.key]!), active: dec(m.active), jailed: m.jailed })),
    mode,
    size: dec(size),
    minStake: dec(minStake),
    allowlist: allowlist.map((i) => hex(MINER_POOL[i]!)),
    seed: hex(seed)
  }))

// ------------------------------------------------------------------------------------------- hashing

const PRINTABLE = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 40 })

export const hashInput: fc.Arbitrary<unknown> = fc
  .record({
    tag: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...Object.values(TAGS)) },
      { weight: 3, arbitrary: PRINTABLE },
      { weight: 1, arbitrary: fc.constantFrom("", "x".repeat(255), "x".repeat(256), "dotdns/v1/leaf\n", "tag-ü") }
    ),
    bytes: fc.uint8Array({ maxLength: 120 })
  })
  .map(({ tag, bytes }) => ({ tag, bytes: hex(bytes) }))

// ---------------------------------------------------------------------------------------- encodings

export const ENCODINGS = {
  routeRecord: routeRecord.map(encodeRouteRecord),
  routeAuth: A.routeAuth.map(encodeRouteAuth),
  receipt: A.receipt.map(encodeReceipt),
  leaf: A.leaf.map(encodeLeaf),
  aggregate: A.statement.map(encodeAggregate)
}

export const json = {
  routeAuth: (x: Parameters<typeof encodeRouteAuth>[0]) => toJson(RouteAuthJson, x),
  receipt: (x: Parameters<typeof encodeReceipt>[0]) => toJson(ReceiptJson, x),
  statement: (x: Parameters<typeof encodeAggregate>[0]) => toJson(AggregateStatementJson, x),
  key: (b: Uint8Array) => toJson(Hex32, b)
}
