/**
 * Program-derived addresses [ACC-4]: `sha256(seeds ‖ [bump] ‖ program_id ‖ "ProgramDerivedAddress")`,
 * taking the highest bump whose hash is not an ed25519 point — Solana's rule, computed synchronously
 * here so instruction builders need no RPC round trip.
 */
import { createHash } from "node:crypto"
import { ed25519 } from "@noble/curves/ed25519.js"
import { u32le, u64le } from "../../spec/src/bytes.ts"

const MARKER = Buffer.from("ProgramDerivedAddress")

const onCurve = (b: Uint8Array): boolean => {
  try {
    ed25519.Point.fromBytes(b, true)
    return true
  } catch {
    return false
  }
}

export const createPda = (seeds: readonly Uint8Array[], bump: number, programId: Uint8Array): Uint8Array | undefined => {
  const h = createHash("sha256")
  for (const s of seeds) h.update(s)
  const out = new Uint8Array(h.update(Uint8Array.of(bump)).update(programId).update(MARKER).digest())
  return onCurve(out) ? undefined : out
}

export interface Pda {
  readonly address: Uint8Array
  readonly bump: number
}

const cache = new Map<string, Pda>()

export const findPda = (seeds: readonly Uint8Array[], programId: Uint8Array): Pda => {
  const k = Buffer.concat([Buffer.from(programId), ...seeds.flatMap((s) => [Buffer.from([s.length]), Buffer.from(s)])]).toString("latin1")
  const hit = cache.get(k)
  if (hit) return hit
  for (let bump = 255; bump >= 0; bump--) {
    const address = createPda(seeds, bump, programId)
    if (address) {
      const pda = { address, bump }
      if (cache.size > 200_000) cache.clear()
      cache.set(k, pda)
      return pda
    }
  }
  throw new Error("no viable bump")
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s)

/** The seeds of every account kind (spec `ACCOUNTS`). */
export const seeds = {
  config: () => [text("config")],
  vault: () => [text("vault")],
  miners: () => [text("miners")],
  committee: (epoch: bigint) => [text("committee"), u64le(epoch)],
  witness: (key: Uint8Array) => [text("witness"), key],
  name: (nameHash: Uint8Array) => [text("name"), nameHash],
  round: (epoch: bigint, nameHash: Uint8Array) => [text("round"), u64le(epoch), nameHash],
  aggregate: (epoch: bigint, nameHash: Uint8Array, miner: Uint8Array) => [text("aggregate"), u64le(epoch), nameHash, miner],
  pin: (epoch: bigint, nameHash: Uint8Array, miner: Uint8Array, index: number) => [text("pin"), u64le(epoch), nameHash, miner, u32le(index)],
  challenge: (epoch: bigint, nameHash: Uint8Array, miner: Uint8Array, index: number) => [text("challenge"), u64le(epoch), nameHash, miner, u32le(index)],
  proposal: (id: bigint) => [text("proposal"), u64le(id)],
  veto: (id: bigint, voter: Uint8Array) => [text("veto"), u64le(id), voter],
  claim: (epoch: bigint, nameHash: Uint8Array, miner: Uint8Array, witness: Uint8Array) => [text("claim"), u64le(epoch), nameHash, miner, witness]
} as const
