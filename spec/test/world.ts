/**
 * A small driver over the executable spec for tests, vectors and traces: named deterministic keys,
 * a slot clock, and helpers that build the signed objects an op needs.
 */
import { apply, isError } from "../src/apply.ts"
import { buildAggregate, type SignedReceipt } from "../src/aggregate.ts"
import { keypairFromSeed, sign, type Keypair } from "../src/ed25519.ts"
import type { ProtocolError } from "../src/errors.ts"
import { H } from "../src/hash.ts"
import { nameHash } from "../src/name.ts"
import {
  receiptDigest, RECORD_TYPE, routeAuthDigest, routeAuthOf, routeHash, type RouteRecord
} from "../src/objects.ts"
import type { Op } from "../src/ops.ts"
import { LOCALNET_PARAMS, param, type Params } from "../src/params.ts"
import { emptyState, witnessKey, witnessStakeAt, type State } from "../src/state.ts"

export const key = (label: string): Keypair => keypairFromSeed(H("dotdns/test/key", new TextEncoder().encode(label)))

export interface Step {
  readonly op: Op
  readonly slot: bigint
}

export class World {
  state: State = emptyState()
  slot = 0n
  readonly params: Params
  readonly log: { step: Step; error?: ProtocolError }[] = []

  constructor(params: Params = LOCALNET_PARAMS) {
    this.params = params
  }
  get L(): bigint {
    return param(this.params, "epochLengthSlots")
  }
  /** Applies an op that must succeed. */
  run(op: Op): State {
    const r = this.try(op)
    if (isError(r)) throw new Error(`${op.kind} rejected: [${r.rule}] ${r.message}`)
    return r
  }
  /** Applies an op; on rejection the state is unchanged and the error returned. */
  try(op: Op): State | ProtocolError {
    const r = apply(this.state, op, { slot: this.slot })
    this.log.push({ step: { op, slot: this.slot }, ...(isError(r) ? { error: r } : {}) })
    if (!isError(r)) this.state = r
    return r
  }
  expectError(op: Op, rule: string): ProtocolError {
    const r = this.try(op)
    if (!isError(r)) throw new Error(`${op.kind} should fail with ${rule} but succeeded`)
    if (r.rule !== rule) throw new Error(`${op.kind} failed with [${r.rule}] ${r.message}, expected ${rule}`)
    return r
  }
  warpTo(slot: bigint): void {
    this.slot = slot
  }
  /** Moves the clock to `offset` slots into `epoch` and cranks the protocol up to it. */
  toEpoch(epoch: bigint, offset = 0n): void {
    this.slot = epoch * this.L + offset
    while (this.state.config!.currentEpoch < epoch) this.run({ kind: "advanceEpoch" })
  }
  get epoch(): bigint {
    return this.state.config!.currentEpoch
  }
  stakeOf(witness: Uint8Array, epoch: bigint): bigint {
    return witnessStakeAt(this.state.witnesses.get(witnessKey(witness)), epoch)
  }
}

export const route = (name: string, serial: bigint, owner: Keypair, ip = "10.0.0.1"): { record: RouteRecord; signature: Uint8Array } => {
  const record: RouteRecord = {
    name,
    serial,
    ttl: 300,
    records: [{ type: RECORD_TYPE.A, data: Uint8Array.from(ip.split(".").map(Number)) }],
    owner: owner.publicKey
  }
  return { record, signature: sign(owner, routeAuthDigest(routeAuthOf(record))) }
}

export const receipt = (w: Keypair, epoch: bigint, name: string, rh: Uint8Array): SignedReceipt => {
  const r = { epoch, nameHash: nameHash(name), routeHash: rh, witness: w.publicKey }
  return { receipt: r, signature: sign(w, receiptDigest(r)) }
}

/** Receipts of every witness for (epoch, name, route), built into an aggregate for `miner`. */
export const aggregateFor = (world: World, miner: Keypair, witnesses: readonly Keypair[], epoch: bigint, name: string, record: RouteRecord) => {
  const rh = routeHash(record)
  return buildAggregate(
    witnesses.map((w) => receipt(w, epoch, name, rh)),
    (k) => world.stakeOf(k, epoch),
    miner.publicKey
  )
}

export { nameHash, routeHash }
