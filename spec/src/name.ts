/**
 * Names [NAM]. A `.dns` name is hashed in one normal form only, so two spellings of a name can never
 * be two names: IDNA input becomes A-labels (punycode) and ASCII is lowercased before hashing.
 */
import { domainToASCII } from "node:url"
import { H, TAGS } from "./hash.ts"
import { reject, type ProtocolError } from "./errors.ts"

// #region name-limits
export const NAME_MAX = 253
export const LABEL_MAX = 63
export const TLD = "dns"
// #endregion name-limits

// #region check-normalized
/**
 * The checks every normalized name passes; the program runs exactly these on the bytes it is given.
 * Returns the broken rule, or undefined for a valid name.
 */
export const checkNormalized = (name: string): ProtocolError | undefined => {
  const bytes = Buffer.byteLength(name, "utf8")
  if (bytes === 0 || bytes > NAME_MAX) return reject("NAM-2", `name length ${bytes} bytes is not in 1..${NAME_MAX}`)
  const labels = name.split(".")
  if (labels.length < 2) return reject("NAM-4", "a name has at least one label before .dns")
  if (labels[labels.length - 1] !== TLD) return reject("NAM-4", "name must end in .dns")
  for (const label of labels) {
    if (label.length === 0 || label.length > LABEL_MAX)
      return reject("NAM-3", `label "${label}" length ${label.length} is not in 1..${LABEL_MAX}`)
    for (let i = 0; i < label.length; i++) {
      const c = label.charCodeAt(i)
      const ldh = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d
      if (!ldh) return reject("NAM-5", `label "${label}" has a character outside lowercase LDH`)
    }
    if (label.startsWith("-") || label.endsWith("-")) return reject("NAM-5", `label "${label}" starts or ends with a hyphen`)
  }
  return undefined
}
// #endregion check-normalized

// #region normalize-name
/**
 * Normalizes user input [NAM-1]: drops one trailing dot, maps IDNA (UTS #46, non-transitional) to
 * A-labels, lowercases, then requires the result to pass `checkNormalized`.
 */
export const normalizeName = (input: string): string | ProtocolError => {
  const trimmed = input.endsWith(".") ? input.slice(0, -1) : input
  if (trimmed.length === 0) return reject("NAM-2", "empty name")
  const ascii = /^[\x21-\x7e]*$/.test(trimmed) ? trimmed.toLowerCase() : domainToASCII(trimmed)
  if (ascii === "") return reject("NAM-1", `"${input}" is not a valid internationalized domain name`)
  return checkNormalized(ascii) ?? ascii
}
// #endregion normalize-name

// #region name-hash
/** `name_hash = H("dotdns/v1/name", normalized)` [NAM-6]; the input must already be normalized. */
export const nameHash = (normalized: string): Uint8Array => H(TAGS.name, new TextEncoder().encode(normalized))
// #endregion name-hash
