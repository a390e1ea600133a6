/**
 * The scenarios every backend must pass: the required ones (spec threat model, one per attack family)
 * plus the baseline and the example of a custom strategy.
 */
import { fileURLToPath } from "node:url"

export const SCENARIO_DIR = fileURLToPath(new URL("../../scenarios/", import.meta.url))

export const REQUIRED_SCENARIOS = [
  "baseline",
  "equivocation-onchain",
  "equivocation-offchain",
  "equivocation-batch-cid",
  "fraud-bad-weight",
  "fraud-bad-order",
  "fraud-leaf-mismatch",
  "withheld-reveal",
  "unaudited-withholder",
  "committee-rotation",
  "governance-timelock",
  "censorship",
  "coalition-20",
  "coalition-33",
  "coalition-40",
  "allowlist-vs-stake",
  "late-and-offline",
  "committee-grinding",
  "forged-authorization",
  "example-custom-strategy"
] as const

/** Scenarios that forge a signature: not applicable where Ed25519-program signatures are not checked. */
export const NEEDS_SIGNATURE_CHECKS = new Set(["forged-authorization"])
