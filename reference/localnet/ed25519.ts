/**
 * The localnet checks signatures itself (LiteSVM runs with sigverify off) so that simulateTransaction's
 * `sigVerify: false` needs no toggling of shared VM state and a bad signature can be answered with
 * Solana's -32003 before anything executes. The curve work is the spec's (node:crypto, keys cached).
 */
import { createHash } from "node:crypto"
import { keypairFromSeed as specKeypairFromSeed, sign } from "../../spec/src/ed25519.ts"

export { verify as verifySignature } from "../../spec/src/ed25519.ts"

export interface Ed25519Keypair {
  readonly publicKey: Uint8Array
  readonly sign: (message: Uint8Array) => Uint8Array
}

export const keypairFromSeed = (seed: Uint8Array): Ed25519Keypair => {
  const kp = specKeypairFromSeed(seed)
  return { publicKey: kp.publicKey, sign: (message) => sign(kp, message) }
}

export const sha256 = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash("sha256")
  for (const p of parts) h.update(p)
  return new Uint8Array(h.digest())
}
