import { Data } from "effect"
import type { RuleId } from "./rules.ts"

/** Bytes that are not the canonical encoding of the expected object. */
export class DecodeError extends Data.TaggedError("DecodeError")<{
  readonly rule: RuleId
  readonly what: string
  readonly offset: number
  readonly message: string
}> {}

/** A well-formed operation that the protocol rejects; `rule` names the rule it breaks. */
export class ProtocolError extends Data.TaggedError("ProtocolError")<{
  readonly rule: RuleId
  readonly message: string
}> {}

export const reject = (rule: RuleId, message: string): ProtocolError => new ProtocolError({ rule, message })
