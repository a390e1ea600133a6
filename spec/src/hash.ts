/**
 * Domain-separated hashing [HSH-1]: `H(tag, bytes) = sha256(u8(len(tag)) ‖ tag ‖ bytes)`.
 * sha256 because the chain has a cheap syscall for it; the tag keeps a hash of one kind from ever
 * being read as a hash of another.
 */
import { createHash } from "node:crypto"

// #region tags
export const TAGS = {
  name: "dotdns/v1/name",
  route: "dotdns/v1/route",
  routeAuth: "dotdns/v1/route-auth",
  receipt: "dotdns/v1/receipt",
  receiptId: "dotdns/v1/receipt-id",
  leaf: "dotdns/v1/leaf",
  node: "dotdns/v1/node",
  aggregate: "dotdns/v1/aggregate",
  seed: "dotdns/v1/seed",
  genesis: "dotdns/v1/genesis",
  sample: "dotdns/v1/sample",
  digest: "dotdns/v1/digest",
  account: "dotdns/v1/account",
  state: "dotdns/v1/state"
} as const
// #endregion tags
export type Tag = (typeof TAGS)[keyof typeof TAGS]

// #region H
const prefixes = new Map<string, Buffer>()
const prefixOf = (tag: string): Buffer => {
  let p = prefixes.get(tag)
  if (p === undefined) {
    const t = Buffer.from(tag, "ascii")
    if (t.length === 0 || t.length > 255) throw new RangeError("a tag is 1..255 bytes")
    p = Buffer.concat([Buffer.from([t.length]), t])
    prefixes.set(tag, p)
  }
  return p
}

export const H = (tag: string, ...parts: Uint8Array[]): Uint8Array => {
  const h = createHash("sha256").update(prefixOf(tag))
  for (const p of parts) h.update(p)
  return new Uint8Array(h.digest())
}
// #endregion H

// #region discriminator
/** 8-byte account discriminator [ACC-1]. */
export const discriminator = (accountName: string): Uint8Array =>
  H(TAGS.account, new TextEncoder().encode(accountName)).slice(0, 8)
// #endregion discriminator
