/** Keypairs in the Solana CLI's JSON format: an array of 64 numbers, the 32-byte seed then the public key. */
import { randomBytes } from "node:crypto"
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { equal } from "../../spec/src/bytes.ts"
import { keypairFromSeed, type Keypair } from "../../spec/src/ed25519.ts"
import { fromBase58 } from "../client/base58.ts"

export const readKeypair = (path: string): Keypair => {
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(path, "utf8"))
  } catch (e) {
    throw new Error(`${path}: not a Solana CLI keypair file (${(e as Error).message})`)
  }
  if (!Array.isArray(raw) || raw.length !== 64 || !raw.every((x) => Number.isInteger(x) && x >= 0 && x < 256))
    throw new Error(`${path}: a Solana CLI keypair is a JSON array of 64 bytes`)
  const bytes = Uint8Array.from(raw as number[])
  const kp = keypairFromSeed(bytes.subarray(0, 32))
  if (!equal(kp.publicKey, bytes.subarray(32))) throw new Error(`${path}: the public key does not match the secret key`)
  return kp
}

export const keypairJson = (kp: Keypair): string => JSON.stringify([...kp.secretKey, ...kp.publicKey])

export const writeKeypair = (path: string, kp: Keypair): void => writeFileSync(path, `${keypairJson(kp)}\n`, { mode: 0o600 })

export const generateKeypair = (): Keypair => keypairFromSeed(new Uint8Array(randomBytes(32)))

/** A keypair file when the path exists, else a base58 public key (which then cannot sign). */
export const readSignerOrPubkey = (arg: string): { readonly keypair?: Keypair; readonly publicKey: Uint8Array } => {
  if (existsSync(arg)) {
    const keypair = readKeypair(arg)
    return { keypair, publicKey: keypair.publicKey }
  }
  let pk: Uint8Array
  try {
    pk = fromBase58(arg)
  } catch {
    throw new Error(`${arg}: neither a keypair file nor a base58 public key`)
  }
  if (pk.length !== 32) throw new Error(`${arg}: neither a keypair file nor a 32-byte base58 public key`)
  return { publicKey: pk }
}
