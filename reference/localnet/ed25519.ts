/**
 * ed25519 through node:crypto. The localnet checks signatures itself (LiteSVM runs with sigverify
 * off) so that simulateTransaction's `sigVerify: false` needs no toggling of shared VM state and a
 * bad signature can be answered with Solana's -32003 before anything executes.
 */
import { createHash, createPrivateKey, createPublicKey, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from "node:crypto"

const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex")
const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex")

const keyCache = new Map<string, KeyObject | null>()

const publicKeyObject = (publicKey: Uint8Array): KeyObject | null => {
  const cacheKey = Buffer.from(publicKey).toString("latin1")
  const cached = keyCache.get(cacheKey)
  if (cached !== undefined) return cached
  let key: KeyObject | null
  try {
    key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: "der", type: "spki" })
  } catch {
    // Off-curve 32-byte strings (PDAs, garbage) cannot verify anything.
    key = null
  }
  if (keyCache.size > 50_000) keyCache.clear()
  keyCache.set(cacheKey, key)
  return key
}

/** Never throws: a malformed key or signature is simply not valid. */
export const verifySignature = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean => {
  if (publicKey.length !== 32 || signature.length !== 64) return false
  const key = publicKeyObject(publicKey)
  if (key === null) return false
  try {
    return cryptoVerify(null, message, key, signature)
  } catch {
    return false
  }
}

export interface Ed25519Keypair {
  readonly publicKey: Uint8Array
  readonly sign: (message: Uint8Array) => Uint8Array
}

export const keypairFromSeed = (seed: Uint8Array): Ed25519Keypair => {
  if (seed.length !== 32) throw new RangeError("an ed25519 seed is 32 bytes")
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" })
  const der = createPublicKey(privateKey).export({ format: "der", type: "spki" })
  return {
    publicKey: new Uint8Array(der.subarray(der.length - 32)),
    sign: (message) => new Uint8Array(cryptoSign(null, message, privateKey))
  }
}

export const sha256 = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash("sha256")
  for (const p of parts) h.update(p)
  return new Uint8Array(h.digest())
}
