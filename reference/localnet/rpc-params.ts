/**
 * Parameter shapes of every method, checked at the boundary with effect/Schema. Like serde on the
 * Solana side: positional params, trailing configs optional and nullable, unknown config keys
 * ignored, wrong types answered with -32602.
 */
import { Result, Schema } from "effect"
import { base58Decode } from "./encoding.ts"
import { invalidParams } from "./rpc-errors.ts"

const opt = <S extends Schema.Top>(s: S) => Schema.optionalKey(Schema.NullOr(s))

const U64 = Schema.Number.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0), Schema.isLessThanOrEqualTo(Number.MAX_SAFE_INTEGER))
const U8 = Schema.Number.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0), Schema.isLessThanOrEqualTo(255))

export const Commitment = Schema.Literals(["processed", "confirmed", "finalized"])

const AccountEncoding = Schema.Literals(["binary", "base58", "base64", "base64+zstd", "jsonParsed"])

const DataSlice = Schema.Struct({ offset: U64, length: U64 })

const ContextConfig = Schema.Struct({ commitment: opt(Commitment), minContextSlot: opt(U64) })

const AccountInfoConfig = Schema.Struct({
  commitment: opt(Commitment),
  minContextSlot: opt(U64),
  encoding: opt(AccountEncoding),
  dataSlice: opt(DataSlice)
})

const Filter = Schema.Union([
  Schema.Struct({ dataSize: U64 }),
  Schema.Struct({ memcmp: Schema.Struct({ offset: U64, bytes: Schema.String, encoding: opt(Schema.Literals(["base58", "base64"])) }) })
])

const ProgramAccountsConfig = Schema.Struct({
  ...AccountInfoConfig.fields,
  filters: opt(Schema.Array(Filter)),
  withContext: opt(Schema.Boolean),
  sortResults: opt(Schema.Boolean)
})

const TransactionEncoding = Schema.Literals(["json", "jsonParsed", "base64", "base58", "binary"])

export const Params = {
  none: Schema.Tuple([]),
  context: Schema.Tuple([opt(ContextConfig)]),
  commitmentOnly: Schema.Tuple([opt(Schema.Union([Commitment, ContextConfig]))]),
  getAccountInfo: Schema.Tuple([Schema.String, opt(AccountInfoConfig)]),
  getBalance: Schema.Tuple([Schema.String, opt(ContextConfig)]),
  getMultipleAccounts: Schema.Tuple([Schema.Array(Schema.String), opt(AccountInfoConfig)]),
  getProgramAccounts: Schema.Tuple([Schema.String, opt(ProgramAccountsConfig)]),
  isBlockhashValid: Schema.Tuple([Schema.String, opt(ContextConfig)]),
  getFeeForMessage: Schema.Tuple([Schema.String, opt(ContextConfig)]),
  getMinimumBalanceForRentExemption: Schema.Tuple([U64, opt(ContextConfig)]),
  requestAirdrop: Schema.Tuple([Schema.String, U64, opt(Schema.Struct({ commitment: opt(Commitment), recentBlockhash: opt(Schema.String) }))]),
  sendTransaction: Schema.Tuple([
    Schema.String,
    opt(
      Schema.Struct({
        encoding: opt(Schema.Literals(["base58", "base64"])),
        skipPreflight: opt(Schema.Boolean),
        preflightCommitment: opt(Commitment),
        maxRetries: opt(U64),
        minContextSlot: opt(U64)
      })
    )
  ]),
  simulateTransaction: Schema.Tuple([
    Schema.String,
    opt(
      Schema.Struct({
        encoding: opt(Schema.Literals(["base58", "base64"])),
        sigVerify: opt(Schema.Boolean),
        replaceRecentBlockhash: opt(Schema.Boolean),
        commitment: opt(Commitment),
        minContextSlot: opt(U64),
        innerInstructions: opt(Schema.Boolean),
        accounts: opt(Schema.Struct({ addresses: Schema.Array(Schema.String), encoding: opt(AccountEncoding) }))
      })
    )
  ]),
  getSignatureStatuses: Schema.Tuple([Schema.Array(Schema.String), opt(Schema.Struct({ searchTransactionHistory: opt(Schema.Boolean) }))]),
  getTransaction: Schema.Tuple([
    Schema.String,
    opt(
      Schema.Union([
        TransactionEncoding,
        Schema.Struct({ encoding: opt(TransactionEncoding), commitment: opt(Commitment), maxSupportedTransactionVersion: opt(U8) })
      ])
    )
  ]),
  getSignaturesForAddress: Schema.Tuple([
    Schema.String,
    opt(
      Schema.Struct({
        limit: opt(U64),
        before: opt(Schema.String),
        until: opt(Schema.String),
        commitment: opt(Commitment),
        minContextSlot: opt(U64)
      })
    )
  ]),
  getRecentPrioritizationFees: Schema.Tuple([opt(Schema.Array(Schema.String))]),
  getBlockTime: Schema.Tuple([U64]),
  // Dev methods.
  warpSlot: Schema.Tuple([U64, opt(Schema.Struct({ unixTimestamp: opt(U64) }))]),
  warpEpoch: Schema.Tuple([opt(U64)]),
  setAccount: Schema.Tuple([
    Schema.String,
    Schema.Struct({
      lamports: Schema.Union([U64, Schema.String]),
      owner: opt(Schema.String),
      executable: opt(Schema.Boolean),
      data: opt(Schema.Tuple([Schema.String, Schema.Literals(["base64", "base58"])]))
    })
  ]),
  // PubSub.
  accountSubscribe: Schema.Tuple([Schema.String, opt(AccountInfoConfig)]),
  programSubscribe: Schema.Tuple([Schema.String, opt(ProgramAccountsConfig)]),
  signatureSubscribe: Schema.Tuple([
    Schema.String,
    opt(Schema.Struct({ commitment: opt(Commitment), enableReceivedNotification: opt(Schema.Boolean) }))
  ]),
  logsSubscribe: Schema.Tuple([
    Schema.Union([Schema.Literals(["all", "allWithVotes"]), Schema.Struct({ mentions: Schema.Array(Schema.String) })]),
    opt(Schema.Struct({ commitment: opt(Commitment) }))
  ]),
  unsubscribe: Schema.Tuple([U64])
} as const

/** "Expected string\n  at [0]" → "expected string at params[0]": one line, no echo of the input. */
const formatIssue = (message: string): string => {
  const lines = message.split("\n").map((l) => l.trim()).filter((l) => l.length > 0)
  const parts: string[] = []
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (line.startsWith("at ")) continue
    const at = lines[i + 1]?.startsWith("at ") === true ? ` at params${lines[i + 1]!.slice(3)}` : ""
    parts.push(`${line.charAt(0).toLowerCase()}${line.slice(1)}${at}`)
  }
  const text = parts.join("; ")
  return text.length > 300 ? `${text.slice(0, 300)}…` : text
}

const decoders = new WeakMap<object, (input: unknown) => Result.Result<unknown, Schema.SchemaError>>()

export const decodeParams = <S extends Schema.ConstraintDecoder<unknown>>(schema: S, params: unknown): S["Type"] => {
  if (params !== undefined && !Array.isArray(params)) throw invalidParams("Invalid params: expected an array of positional parameters")
  let decode = decoders.get(schema)
  if (decode === undefined) {
    const d = Schema.decodeUnknownResult(schema)
    decode = (input) => d(input)
    decoders.set(schema, decode)
  }
  const result: Result.Result<S["Type"], Schema.SchemaError> = decode(params ?? [])
  if (Result.isFailure(result)) throw invalidParams(`Invalid params: ${formatIssue(result.failure.message)}`)
  return result.success
}

/** Solana's verify_pubkey: "Invalid param: WrongSize" / "Invalid param: Invalid". */
export const pubkeyParam = (text: string): string => {
  const bytes = base58Decode(text)
  if (bytes === undefined) throw invalidParams("Invalid param: Invalid")
  if (bytes.length !== 32) throw invalidParams("Invalid param: WrongSize")
  return text
}

export const signatureParam = (text: string): string => {
  const bytes = base58Decode(text)
  if (bytes === undefined) throw invalidParams("Invalid param: Invalid")
  if (bytes.length !== 64) throw invalidParams("Invalid param: WrongSize")
  return text
}
