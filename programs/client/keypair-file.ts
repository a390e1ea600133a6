/**
 * Keypair files in the Solana CLI's format: a JSON array of 64 numbers, the 32-byte seed then the
 * public key. The one reader of them for the miner, the client and the deploy tool, so a file one of
 * them accepts the others accept too.
 */
import { readFileSync } from "node:fs"
import { equal } from "../../spec/src/bytes.ts"
import { keypairFromSeed, type Keypair } from "../../spec/src/ed25519.ts"

/** The keypair, or why the text is not one; the public half must belong to the seed. */
export const parseKeypairJson = (text: string): Keypair | string => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return "not JSON; expected a Solana CLI keypair (a JSON array of 64 bytes, seed ‖ public key)"
  }
  if (!Array.isArray(json) || json.length !== 64 || !json.every((b) => Number.isInteger(b) && b >= 0 && b <= 255))
    return "expected a Solana CLI keypair: a JSON array of 64 bytes (seed ‖ public key)"
  const bytes = Uint8Array.from(json as number[])
  const kp = keypairFromSeed(bytes.subarray(0, 32))
  if (!equal(kp.publicKey, bytes.subarray(32))) return "the public key (bytes 32..63) does not belong to the seed (bytes 0..31)"
  return kp
}

/** Reads and parses a keypair file; the reason names the path. */
export const readKeypairJsonFile = (path: string): Keypair | string => {
  let text: string
  try {
    text = readFileSync(path, "utf8")
  } catch (e) {
    return `cannot read keypair file ${path}: ${e instanceof Error ? e.message : String(e)}`
  }
  const kp = parseKeypairJson(text)
  return typeof kp === "string" ? `${path}: ${kp}` : kp
}

export const keypairJson = (kp: Keypair): string => JSON.stringify([...kp.secretKey, ...kp.publicKey])
