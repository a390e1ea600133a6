/**
 * The client's verification rules [CLI-2]–[CLI-4] as one pure function: a record fetched from a miner
 * becomes a `VerifiedRoute` only if it decodes, passes the route rules, names the queried name, carries
 * its owner's signature over its RouteAuth, is owned by the name's on-chain owner and hashes to the
 * name's canonical `route_hash`. Anything else is a `VerificationFailure` naming the rule it broke.
 */
import { equal, hex } from "../../spec/src/bytes.ts"
import { verify } from "../../spec/src/ed25519.ts"
import { nameHash } from "../../spec/src/name.ts"
import { checkRouteRecord, decodeRouteRecord, routeAuthDigest, routeHash, type RouteRecord } from "../../spec/src/objects.ts"
import { failure, VerificationFailure } from "./Failure.ts"

/** What the chain says about a name: its `Name` account's fields that verification uses. */
export interface OnChainName {
  /** The `Name` PDA the fields were read from. */
  readonly address: Uint8Array
  readonly owner: Uint8Array
  /** Zero while no round has finalized a route for the name. */
  readonly routeHash: Uint8Array
  readonly serial: bigint
  readonly routeEpoch: bigint
  /** The highest context slot among the RPC answers. */
  readonly slot: bigint
}

export type NameState = { readonly kind: "absent" } | { readonly kind: "registered"; readonly account: OnChainName }

/** A record as a miner published it: the RouteRecord encoding and the owner's signature. */
export interface PublishedRoute {
  readonly encoding: Uint8Array
  readonly signature: Uint8Array
  /** The miner's base URL. */
  readonly miner: string
}

export interface VerifiedRoute {
  readonly name: string
  readonly record: RouteRecord
  readonly encoding: Uint8Array
  readonly signature: Uint8Array
  readonly routeHash: Uint8Array
  readonly account: OnChainName
  /** Which miner served it. */
  readonly miner: string
  /** Unix milliseconds. The route may be served until `verifiedAt + ttl` [CLI-1]. */
  readonly verifiedAt: number
  readonly expiresAt: number
}

export const isZero = (b: Uint8Array): boolean => b.every((x) => x === 0)

/** [CLI-2]: decodes, passes RTE-2..5, names `name`, and the owner's signature over its RouteAuth verifies. */
export const checkPublished = (name: string, p: PublishedRoute): { record: RouteRecord; routeHash: Uint8Array } | VerificationFailure => {
  let record: RouteRecord
  try {
    record = decodeRouteRecord(p.encoding)
  } catch (e) {
    return failure("record-invalid", `the record from ${p.miner} does not decode (${e instanceof Error ? e.message : String(e)})`, p.miner)
  }
  const bad = checkRouteRecord(record)
  if (bad !== undefined) return failure("record-invalid", `the record from ${p.miner} breaks ${bad.rule}: ${bad.message}`, p.miner)
  if (record.name !== name) return failure("record-invalid", `the record from ${p.miner} names ${JSON.stringify(record.name)}, not ${name}`, p.miner)
  const rh = routeHash(record)
  const digest = routeAuthDigest({ nameHash: nameHash(name), serial: record.serial, routeHash: rh })
  if (!verify(record.owner, digest, p.signature))
    return failure("signature", `the owner signature over the RouteAuth of serial ${record.serial} from ${p.miner} does not verify`, p.miner)
  return { record, routeHash: rh }
}

/** [CLI-2]–[CLI-4] against the name's on-chain account; `now` is unix milliseconds. */
export const verifyRoute = (name: string, account: OnChainName, p: PublishedRoute, now: number): VerifiedRoute | VerificationFailure => {
  const checked = checkPublished(name, p)
  if (checked instanceof VerificationFailure) return checked
  const { record, routeHash: rh } = checked
  if (!equal(record.owner, account.owner))
    return failure("owner-mismatch", `the record's owner ${hex(record.owner)} is not the on-chain owner ${hex(account.owner)}`, p.miner)
  if (!equal(rh, account.routeHash))
    return failure(
      "hash-mismatch",
      `route_hash ${hex(rh)} (serial ${record.serial}, from ${p.miner}) does not match the canonical route ${hex(account.routeHash)}`,
      p.miner
    )
  return {
    name,
    record,
    encoding: p.encoding,
    signature: p.signature,
    routeHash: rh,
    account,
    miner: p.miner,
    verifiedAt: now,
    expiresAt: now + record.ttl * 1000
  }
}

/**
 * An operator witness's check of the newest record a miner publishes (`receipts.routes: published`):
 * [CLI-2] and [CLI-3] as for an answer, and, instead of [CLI-4], that the record could still enter a
 * round — its serial is above the canonical one [RTE-6] — or is the canonical route itself. Such a
 * record is witnessed, never answered with.
 */
export const verifyPublished = (name: string, account: OnChainName, p: PublishedRoute, now: number): VerifiedRoute | VerificationFailure => {
  const checked = checkPublished(name, p)
  if (checked instanceof VerificationFailure) return checked
  const { record, routeHash: rh } = checked
  if (!equal(record.owner, account.owner))
    return failure("owner-mismatch", `the record's owner ${hex(record.owner)} is not the on-chain owner ${hex(account.owner)}`, p.miner)
  if (record.serial < account.serial || (record.serial === account.serial && !equal(rh, account.routeHash)))
    return failure("hash-mismatch", `serial ${record.serial} (from ${p.miner}) is neither above the canonical serial ${account.serial} nor the canonical route`, p.miner)
  return { name, record, encoding: p.encoding, signature: p.signature, routeHash: rh, account, miner: p.miner, verifiedAt: now, expiresAt: now + record.ttl * 1000 }
}
