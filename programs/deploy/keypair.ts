/** Keypairs in the Solana CLI's JSON format: an array of 64 numbers, the 32-byte seed then the public key. */
import { randomBytes } from "node:crypto"
import { existsSync, writeFileSync } from "node:fs"
import { keypairFromSeed, type Keypair } from "../../spec/src/ed25519.ts"
import { fromBase58 } from "../client/base58.ts"
import { keypairJson, readKeypairJsonFile } from "../client/keypair-file.ts"

export const readKeypair = (path: string): Keypair => {
  const kp = readKeypairJsonFile(path)
  if (typeof kp === "string") throw new Error(kp)
  return kp
}

export { keypairJson }

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
