/** Signature vectors [SIG-1]: valid, and every way a signature fails. */
import { concat, hex } from "../../src/bytes.ts"
import { sign } from "../../src/ed25519.ts"
import { H } from "../../src/hash.ts"
import { receiptDigest } from "../../src/objects.ts"
import { Cases } from "./case.ts"
import { sampleReceipt } from "./encoding.ts"
import { w1, w2 } from "./scenario.ts"

/** The order of the ed25519 group; S + L is the malleable twin of S. */
const L = (1n << 252n) + 27742317777372353535851937790883648493n
const leToBig = (b: Uint8Array) => b.reduceRight((acc, x) => (acc << 8n) | BigInt(x), 0n)
const bigToLe = (v: bigint, n: number) => Uint8Array.from({ length: n }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn))

export const signaturesCases = (): Cases => {
  const c = new Cases("signatures")
  const msg = receiptDigest(sampleReceipt().receipt)
  const sig = sign(w1, msg)
  const v = (pk: Uint8Array, m: Uint8Array, s: Uint8Array) => ({ publicKey: hex(pk), message: hex(m), signature: hex(s) })
  c.ok("verify-receipt-digest", "verify", ["SIG-1", "RCP-2"], "a witness's signature over a receipt digest", v(w1.publicKey, msg, sig))
  const other = H("dotdns/test/message", new TextEncoder().encode("other"))
  c.ok("verify-other-digest", "verify", ["SIG-1"], "a signature over another 32-byte digest", v(w2.publicKey, other, sign(w2, other)))
  c.ok("verify-empty-message", "verify", ["SIG-1"], "a signature over the empty message", v(w2.publicKey, new Uint8Array(0), sign(w2, new Uint8Array(0))))
  c.fail("verify-wrong-key", "verify", "SIG-1", "the right signature checked against another key", v(w2.publicKey, msg, sig))
  const m2 = new Uint8Array(msg)
  m2[0]! ^= 1
  c.fail("verify-wrong-message", "verify", "SIG-1", "one bit of the message flipped", v(w1.publicKey, m2, sig))
  for (const bit of [0, 255, 256, 511]) {
    const s = new Uint8Array(sig)
    s[bit >> 3]! ^= 1 << (bit & 7)
    c.fail(`verify-flipped-signature-bit-${bit}`, "verify", "SIG-1", `signature bit ${bit} (${bit < 256 ? "R" : "S"}) flipped`, v(w1.publicKey, msg, s))
  }
  const pk = new Uint8Array(w1.publicKey)
  pk[5]! ^= 4
  c.fail("verify-flipped-key-bit", "verify", "SIG-1", "one bit of the public key flipped", v(pk, msg, sig))
  const S = leToBig(sig.subarray(32))
  c.fail("verify-non-canonical-s", "verify", "SIG-1", "S replaced by S + L (malleable; strict verification rejects it)", v(w1.publicKey, msg, concat(sig.subarray(0, 32), bigToLe(S + L, 32))))
  c.fail("verify-short-key", "verify", "SIG-1", "a 31-byte public key", v(w1.publicKey.slice(0, 31), msg, sig))
  c.fail("verify-long-key", "verify", "SIG-1", "a 33-byte public key", v(concat(w1.publicKey, Uint8Array.of(0)), msg, sig))
  c.fail("verify-short-signature", "verify", "SIG-1", "a 63-byte signature", v(w1.publicKey, msg, sig.slice(0, 63)))
  c.fail("verify-long-signature", "verify", "SIG-1", "a 65-byte signature", v(w1.publicKey, msg, concat(sig, Uint8Array.of(0))))
  c.fail("verify-empty-signature", "verify", "SIG-1", "an empty signature", v(w1.publicKey, msg, new Uint8Array(0)))
  c.fail("verify-zero-signature", "verify", "SIG-1", "an all-zero signature", v(w1.publicKey, msg, new Uint8Array(64)))
  c.fail("verify-zero-key", "verify", "SIG-1", "an all-zero public key (a small-order point)", v(new Uint8Array(32), msg, sig))
  return c
}
