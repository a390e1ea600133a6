/**
 * Signed and hashed objects [RTE], [RCP], [MRK], [AGG]. Each encoding opens with a type tag and the
 * layout version [ENC-5]; each hash uses its own tag [HSH-1].
 */
import { decodeAll, Reader, Writer } from "./codec.ts"
import { H, TAGS } from "./hash.ts"
import { checkNormalized, NAME_MAX, nameHash } from "./name.ts"
import { LAYOUT_VERSION } from "./version.ts"
import { reject, type ProtocolError } from "./errors.ts"

// #region object-constants
export const OBJECT_TAG = { routeRecord: 0x01, routeAuth: 0x02, receipt: 0x03, leaf: 0x04, aggregate: 0x05 } as const

/** DNS RR type codes a route may carry [RTE-3]. */
export const RECORD_TYPE = { A: 1, CNAME: 5, TXT: 16, AAAA: 28, HTTPS: 65 } as const
export type RecordTypeName = keyof typeof RECORD_TYPE

export const ROUTE_LIMITS = { maxRecords: 16, maxRecordData: 1024, maxEncoded: 2048, maxTtl: 604_800 } as const
export const CID_MAX = 64
// #endregion object-constants

export interface DnsRecord {
  readonly type: number
  readonly data: Uint8Array
}

export interface RouteRecord {
  readonly name: string
  readonly serial: bigint
  readonly ttl: number
  readonly records: readonly DnsRecord[]
  readonly owner: Uint8Array
}

export interface RouteAuth {
  readonly nameHash: Uint8Array
  readonly serial: bigint
  readonly routeHash: Uint8Array
}

export interface Receipt {
  readonly epoch: bigint
  readonly nameHash: Uint8Array
  readonly routeHash: Uint8Array
  readonly witness: Uint8Array
}

export interface Leaf {
  readonly receiptHash: Uint8Array
  readonly witness: Uint8Array
  readonly weight: bigint
}

export interface AggregateStatement {
  readonly epoch: bigint
  readonly nameHash: Uint8Array
  readonly routeHash: Uint8Array
  readonly receiptRoot: Uint8Array
  readonly support: bigint
  readonly receiptCount: number
  readonly miner: Uint8Array
  readonly batchCid: Uint8Array | null
}

// ---------------------------------------------------------------------------------------- route record

// #region check-route-record
/** Semantic checks of a route record [RTE-2..6]; the codec has already fixed the shape. */
export const checkRouteRecord = (r: RouteRecord): ProtocolError | undefined => {
  const bad = checkNormalized(r.name)
  if (bad) return bad
  if (r.records.length < 1 || r.records.length > ROUTE_LIMITS.maxRecords)
    return reject("RTE-2", `a route has 1..${ROUTE_LIMITS.maxRecords} records, not ${r.records.length}`)
  if (r.ttl > ROUTE_LIMITS.maxTtl) return reject("RTE-5", `ttl ${r.ttl} exceeds ${ROUTE_LIMITS.maxTtl}`)
  const hasCname = r.records.some((x) => x.type === RECORD_TYPE.CNAME)
  if (hasCname && r.records.length > 1) return reject("RTE-4", "a CNAME route carries no other record")
  for (const rec of r.records) {
    switch (rec.type) {
      case RECORD_TYPE.A:
        if (rec.data.length !== 4) return reject("RTE-3", "an A record is 4 bytes")
        break
      case RECORD_TYPE.AAAA:
        if (rec.data.length !== 16) return reject("RTE-3", "an AAAA record is 16 bytes")
        break
      case RECORD_TYPE.CNAME: {
        const target = new TextDecoder().decode(rec.data)
        if (!/^[a-z0-9-]{1,63}(\.[a-z0-9-]{1,63})*$/.test(target) || target.length > NAME_MAX)
          return reject("RTE-3", "a CNAME target is a lowercase LDH name without a trailing dot")
        break
      }
      case RECORD_TYPE.TXT:
        if (rec.data.length > 255) return reject("RTE-3", "a TXT record is one character-string of at most 255 bytes")
        break
      case RECORD_TYPE.HTTPS:
        if (rec.data.length < 3) return reject("RTE-3", "an HTTPS record holds SvcPriority and a TargetName in wire form")
        break
      default:
        return reject("RTE-3", `record type ${rec.type} is not one of A, AAAA, CNAME, TXT, HTTPS`)
    }
  }
  return undefined
}
// #endregion check-route-record

// #region encode-route-record
export const encodeRouteRecord = (r: RouteRecord): Uint8Array => {
  const w = new Writer().u8(OBJECT_TAG.routeRecord).u8(LAYOUT_VERSION).string(r.name).u64(r.serial).u32(r.ttl).u32(r.records.length)
  for (const rec of r.records) w.u16(rec.type).bytes(rec.data)
  return w.fixed(r.owner, 32).finish()
}
// #endregion encode-route-record

// #region decode-route-record
export const decodeRouteRecord = (data: Uint8Array): RouteRecord => {
  if (data.length > ROUTE_LIMITS.maxEncoded) new Reader(data, "RouteRecord").fail("RTE-1", `encoding exceeds ${ROUTE_LIMITS.maxEncoded} bytes`)
  return decodeAll(data, "RouteRecord", (r) => {
    r.header(OBJECT_TAG.routeRecord, LAYOUT_VERSION)
    const name = r.string(NAME_MAX)
    const serial = r.u64()
    const ttl = r.u32()
    const count = r.u32()
    if (count > ROUTE_LIMITS.maxRecords) r.fail("RTE-2", `${count} records exceed ${ROUTE_LIMITS.maxRecords}`)
    const records: DnsRecord[] = []
    for (let i = 0; i < count; i++) records.push({ type: r.u16(), data: r.bytes(ROUTE_LIMITS.maxRecordData) })
    return { name, serial, ttl, records, owner: r.fixed(32) }
  })
}
// #endregion decode-route-record

// #region route-hash
/** `route_hash = H("dotdns/v1/route", encoding)` [RTE-7]. */
export const routeHash = (r: RouteRecord): Uint8Array => H(TAGS.route, encodeRouteRecord(r))
// #endregion route-hash

// #region encode-route-auth
export const encodeRouteAuth = (a: RouteAuth): Uint8Array =>
  new Writer().u8(OBJECT_TAG.routeAuth).u8(LAYOUT_VERSION).fixed(a.nameHash, 32).u64(a.serial).fixed(a.routeHash, 32).finish()
// #endregion encode-route-auth

export const decodeRouteAuth = (data: Uint8Array): RouteAuth =>
  decodeAll(data, "RouteAuth", (r) => {
    r.header(OBJECT_TAG.routeAuth, LAYOUT_VERSION)
    return { nameHash: r.fixed(32), serial: r.u64(), routeHash: r.fixed(32) }
  })

// #region route-auth-digest
/** The message an owner signs: it authorizes a route for a name at a serial [RTE-8]. */
export const routeAuthDigest = (a: RouteAuth): Uint8Array => H(TAGS.routeAuth, encodeRouteAuth(a))

/** The owner's signature on a record is its signature over the record's RouteAuth [RTE-8]. */
export const routeAuthOf = (r: RouteRecord): RouteAuth => ({ nameHash: nameHash(r.name), serial: r.serial, routeHash: routeHash(r) })
// #endregion route-auth-digest

// --------------------------------------------------------------------------------------------- receipt

export const RECEIPT_SIZE = 106

// #region encode-receipt
export const encodeReceipt = (x: Receipt): Uint8Array =>
  new Writer()
    .u8(OBJECT_TAG.receipt)
    .u8(LAYOUT_VERSION)
    .u64(x.epoch)
    .fixed(x.nameHash, 32)
    .fixed(x.routeHash, 32)
    .fixed(x.witness, 32)
    .finish()
// #endregion encode-receipt

export const decodeReceipt = (data: Uint8Array): Receipt =>
  decodeAll(data, "Receipt", (r) => {
    r.header(OBJECT_TAG.receipt, LAYOUT_VERSION)
    return { epoch: r.u64(), nameHash: r.fixed(32), routeHash: r.fixed(32), witness: r.fixed(32) }
  })

// #region receipt-digest
/** What a witness signs [RCP-2]. */
export const receiptDigest = (x: Receipt): Uint8Array => H(TAGS.receipt, encodeReceipt(x))
// #endregion receipt-digest

// #region receipt-hash
/** `receipt_hash = H("dotdns/v1/receipt-id", encoding ‖ signature)` [RCP-3]: commits to the signature too. */
export const receiptHash = (x: Receipt, signature: Uint8Array): Uint8Array => H(TAGS.receiptId, encodeReceipt(x), signature)
// #endregion receipt-hash

// ------------------------------------------------------------------------------------------------ leaf

export const LEAF_SIZE = 74

// #region encode-leaf
export const encodeLeaf = (l: Leaf): Uint8Array =>
  new Writer().u8(OBJECT_TAG.leaf).u8(LAYOUT_VERSION).fixed(l.receiptHash, 32).fixed(l.witness, 32).u64(l.weight).finish()
// #endregion encode-leaf

export const decodeLeaf = (data: Uint8Array): Leaf =>
  decodeAll(data, "Leaf", (r) => {
    r.header(OBJECT_TAG.leaf, LAYOUT_VERSION)
    return { receiptHash: r.fixed(32), witness: r.fixed(32), weight: r.u64() }
  })

// ------------------------------------------------------------------------------------------- aggregate

// #region encode-aggregate
export const encodeAggregate = (a: AggregateStatement): Uint8Array => {
  const w = new Writer()
    .u8(OBJECT_TAG.aggregate)
    .u8(LAYOUT_VERSION)
    .u64(a.epoch)
    .fixed(a.nameHash, 32)
    .fixed(a.routeHash, 32)
    .fixed(a.receiptRoot, 32)
    .u64(a.support)
    .u32(a.receiptCount)
    .fixed(a.miner, 32)
  if (a.batchCid === null) w.u8(0)
  else {
    if (a.batchCid.length < 1 || a.batchCid.length > CID_MAX) throw new RangeError(`a batch CID is 1..${CID_MAX} bytes`)
    w.u8(1).bytes(a.batchCid)
  }
  return w.finish()
}
// #endregion encode-aggregate

// #region decode-aggregate
export const decodeAggregate = (data: Uint8Array): AggregateStatement =>
  decodeAll(data, "Aggregate", (r) => {
    r.header(OBJECT_TAG.aggregate, LAYOUT_VERSION)
    const epoch = r.u64()
    const nameHash = r.fixed(32)
    const routeHash = r.fixed(32)
    const receiptRoot = r.fixed(32)
    const support = r.u64()
    const receiptCount = r.u32()
    const miner = r.fixed(32)
    let batchCid: Uint8Array | null = null
    if (r.option()) {
      batchCid = r.bytes(CID_MAX)
      if (batchCid.length === 0) r.fail("AGG-6", "a present batch CID is not empty")
    }
    return { epoch, nameHash, routeHash, receiptRoot, support, receiptCount, miner, batchCid }
  })
// #endregion decode-aggregate

// #region aggregate-digest
/** What a miner signs, and what the program stores as `statement_hash` [AGG-1]. */
export const aggregateDigest = (a: AggregateStatement): Uint8Array => H(TAGS.aggregate, encodeAggregate(a))
// #endregion aggregate-digest
