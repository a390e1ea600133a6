/**
 * Why a client will not answer, as DNS says it: every SERVFAIL and REFUSED carries one Extended DNS
 * Error (RFC 8914) whose EXTRA-TEXT starts with `dotdns <rule>:` ([13] "Extended DNS Errors"). The table
 * here is the only place that maps a failure to its RCODE and INFO-CODE.
 */
import { Data } from "effect"

/** RFC 8914 INFO-CODEs this client uses. DNSSEC codes (1–12) are deliberately never used. */
export const EDE = {
  other: 0,
  cachedError: 13,
  prohibited: 18,
  notAuthoritative: 20,
  noReachableAuthority: 22,
  invalidData: 24
} as const
export type EdeCode = (typeof EDE)[keyof typeof EDE]

/** DNS RCODEs this client sets. */
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const

/** Which failure it was: one row of the table in spec 13. */
export type FailureKind =
  | "record-invalid" // CLI-2: does not decode, breaks a route rule, or names another name
  | "signature" // CLI-2: the owner signature over RouteAuth does not verify
  | "owner-mismatch" // CLI-3
  | "hash-mismatch" // CLI-4
  | "account-invalid" // CLI-4: the Name account an RPC endpoint returned is not a Name account of this name
  | "rpc-disagree" // CLI-5
  | "rpc-unreachable" // CLI-5: fewer than min_rpc_answers answered
  | "no-miner" // CLI-4: no miner returned a record
  | "upstream" // CLI-7: the configured upstream did not answer a forwarded query
  | "internal" // a defect in the client; never an answer either

export const FAILURE_TABLE: { readonly [K in FailureKind]: { readonly rule: string; readonly ede: EdeCode } } = {
  "record-invalid": { rule: "CLI-2", ede: EDE.invalidData },
  signature: { rule: "CLI-2", ede: EDE.invalidData },
  "owner-mismatch": { rule: "CLI-3", ede: EDE.invalidData },
  "hash-mismatch": { rule: "CLI-4", ede: EDE.invalidData },
  "account-invalid": { rule: "CLI-4", ede: EDE.invalidData },
  "rpc-disagree": { rule: "CLI-5", ede: EDE.other },
  "rpc-unreachable": { rule: "CLI-5", ede: EDE.noReachableAuthority },
  "no-miner": { rule: "CLI-4", ede: EDE.noReachableAuthority },
  upstream: { rule: "CLI-7", ede: EDE.noReachableAuthority },
  internal: { rule: "CLI-6", ede: EDE.other }
}

/** A verification failure [CLI-6]: answered SERVFAIL with its EDE, never with the route. */
export class VerificationFailure extends Data.TaggedError("VerificationFailure")<{
  readonly kind: FailureKind
  readonly message: string
  /** The miner whose record failed, when one did. */
  readonly miner?: string
}> {
  get rule(): string {
    return FAILURE_TABLE[this.kind].rule
  }
  get ede(): EdeCode {
    return FAILURE_TABLE[this.kind].ede
  }
  /** EXTRA-TEXT: `dotdns CLI-4: route_hash … does not match …`. */
  get extraText(): string {
    return `dotdns ${this.rule}: ${this.message}`
  }
}

export const failure = (kind: FailureKind, message: string, miner?: string): VerificationFailure =>
  new VerificationFailure(miner === undefined ? { kind, message } : { kind, message, miner })

/** EXTRA-TEXT of a failure answered again from the failure cache (EDE 13). */
export const cachedExtraText = (f: VerificationFailure): string => `dotdns CLI-6: cached failure: ${f.rule}: ${f.message}`

/** EXTRA-TEXT of REFUSED for a name outside `.dns` when forwarding is off (EDE 20). */
export const REFUSED_TEXT = "dotdns CLI-7: not a .dns name and no upstream resolver is configured"
/** EXTRA-TEXT of REFUSED when a gateway's per-source limit is exhausted (EDE 18). */
export const RATE_LIMITED_TEXT = "dotdns gateway: per-source rate limit exceeded"
