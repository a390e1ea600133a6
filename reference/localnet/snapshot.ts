/**
 * Persistence between runs: every non-builtin account plus the clock, as JSON. Written atomically
 * (temp file + rename) so a crash mid-write leaves the previous snapshot intact. Transaction history
 * is not kept: after a restart getTransaction only knows new transactions.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs"
import { dirname } from "node:path"
import { Result, Schema } from "effect"
import type { AccountState, ChainGenesis, LocalChain } from "./chain.ts"
import { base64Decode, base64Encode, isAddressText } from "./encoding.ts"

const FORMAT = "dotdns-localnet-snapshot"

const SnapshotFile = Schema.Struct({
  format: Schema.Literal(FORMAT),
  version: Schema.Literal(1),
  genesisHash: Schema.String,
  slot: Schema.Number.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0)),
  unixTimestamp: Schema.Number.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0)),
  accounts: Schema.Array(
    Schema.Struct({
      address: Schema.String,
      lamports: Schema.String,
      owner: Schema.String,
      executable: Schema.Boolean,
      data: Schema.String
    })
  )
})

export class SnapshotError extends Error {
  override readonly name = "SnapshotError"
}

/** Undefined when the file does not exist yet (first run); throws when it exists but is unusable. */
export const readSnapshot = (path: string): ChainGenesis | undefined => {
  if (!existsSync(path)) return undefined
  let json: unknown
  try {
    json = JSON.parse(readFileSync(path, "utf8"))
  } catch (e) {
    throw new SnapshotError(`snapshot ${path} is not valid JSON: ${String(e)}`)
  }
  const decoded = Schema.decodeUnknownResult(SnapshotFile)(json)
  if (Result.isFailure(decoded)) throw new SnapshotError(`snapshot ${path} is malformed: ${decoded.failure.message}`)
  const file = decoded.success
  const accounts: AccountState[] = file.accounts.map((a, i) => {
    const data = base64Decode(a.data)
    if (!isAddressText(a.address) || !isAddressText(a.owner) || data === undefined || !/^\d{1,20}$/.test(a.lamports)) {
      throw new SnapshotError(`snapshot ${path}: account #${i} is malformed`)
    }
    return { address: a.address, lamports: BigInt(a.lamports), owner: a.owner, executable: a.executable, data }
  })
  return { genesisHash: file.genesisHash, slot: file.slot, unixTimestamp: file.unixTimestamp, accounts }
}

export const writeSnapshot = (path: string, chain: LocalChain): void => {
  const file = {
    format: FORMAT,
    version: 1,
    genesisHash: chain.genesisHash,
    slot: chain.slot,
    unixTimestamp: chain.unixTimestamp,
    savedAt: new Date().toISOString(),
    accounts: chain.exportAccounts().map((a) => ({
      address: a.address,
      lamports: a.lamports.toString(),
      owner: a.owner,
      executable: a.executable,
      data: base64Encode(a.data)
    }))
  }
  mkdirSync(dirname(path), { recursive: true })
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, `${JSON.stringify(file, null, 1)}\n`)
  renameSync(tmp, path)
}
