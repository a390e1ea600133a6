/**
 * Base58 encoding of transaction signatures on the simulator's hot path. The program client's codec
 * (`programs/client/base58.ts`, @solana/kit) is exact but goes through BigInt, ≈ 35 µs for a 64-byte
 * signature; this one converts to base 58⁵ limbs with exact double arithmetic (every intermediate stays
 * below 2⁵³) and gives the same text in a few microseconds.
 */
const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
const LIMB = 58 ** 5

export const fastBase58 = (bytes: Uint8Array): string => {
  let zeros = 0
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++
  // Little-endian limbs of 58⁵: limb · 256 + byte < 2⁵³.
  const limbs: number[] = []
  for (let i = zeros; i < bytes.length; i++) {
    let carry = bytes[i]!
    for (let j = 0; j < limbs.length; j++) {
      const x = limbs[j]! * 256 + carry
      carry = Math.floor(x / LIMB)
      limbs[j] = x - carry * LIMB
    }
    while (carry > 0) {
      limbs.push(carry % LIMB)
      carry = Math.floor(carry / LIMB)
    }
  }
  let out = ""
  for (let j = 0; j < limbs.length; j++) {
    let limb = limbs[j]!
    // Five digits per limb, least significant first; the last limb without leading zeros.
    for (let k = 0; k < 5 && (j < limbs.length - 1 || limb > 0); k++) {
      out = ALPHABET[limb % 58]! + out
      limb = Math.floor(limb / 58)
    }
  }
  return "1".repeat(zeros) + out
}
