/**
 * Operations: one per program instruction [ACC-8]. An op carries what its instruction carries — the
 * instruction data, the keys that must sign, and any statement whose signature the transaction proves
 * with the Ed25519 program (`signature` fields) [SIG-2].
 */
import type { Change } from "./accounts.ts"
import type { AggregateStatement, Leaf, Receipt } from "./objects.ts"
import type { SumNode } from "./merkle.ts"

export interface SignedAggregate {
  readonly statement: AggregateStatement
  readonly signature: Uint8Array
}

/** How a submission opens its root: the two children, or the single leaf of a one-leaf tree [AGG-3]. */
export type RootOpening =
  | { readonly kind: "node"; readonly left: SumNode; readonly right: SumNode }
  | { readonly kind: "leaf"; readonly leaf: Leaf }

/**
 * The owner's authorization of a route, proven once per round per route [RND-5]. `owner` is the key the
 * transaction's Ed25519 instruction names; it must be the name's current owner [SIG-2].
 */
export interface RouteAuthorization {
  readonly serial: bigint
  readonly owner: Uint8Array
  readonly signature: Uint8Array
}

export interface LeafRef {
  readonly epoch: bigint
  readonly nameHash: Uint8Array
  readonly miner: Uint8Array
  readonly index: number
}

export type Op =
  | { readonly kind: "initialize"; readonly authority: Uint8Array; readonly params: readonly bigint[]; readonly allowlist: readonly Uint8Array[] }
  | { readonly kind: "minerBond"; readonly miner: Uint8Array; readonly amount: bigint }
  | { readonly kind: "minerUnbond"; readonly miner: Uint8Array; readonly amount: bigint }
  | { readonly kind: "minerWithdraw"; readonly miner: Uint8Array }
  | { readonly kind: "unjail"; readonly miner: Uint8Array }
  | { readonly kind: "witnessBond"; readonly witness: Uint8Array; readonly amount: bigint }
  | { readonly kind: "witnessUnbond"; readonly witness: Uint8Array; readonly amount: bigint }
  | { readonly kind: "witnessWithdraw"; readonly witness: Uint8Array }
  | { readonly kind: "claim"; readonly who: Uint8Array; readonly role: "miner" | "witness" }
  | { readonly kind: "fundPool"; readonly funder: Uint8Array; readonly amount: bigint }
  | { readonly kind: "registerName"; readonly owner: Uint8Array; readonly name: string }
  | { readonly kind: "transferName"; readonly owner: Uint8Array; readonly nameHash: Uint8Array; readonly newOwner: Uint8Array }
  | { readonly kind: "advanceEpoch" }
  | {
      readonly kind: "submitAggregate"
      readonly statement: AggregateStatement
      readonly opening: RootOpening
      readonly auth: RouteAuthorization | null
    }
  | { readonly kind: "finalizeRound"; readonly epoch: bigint; readonly nameHash: Uint8Array }
  | { readonly kind: "proveEquivocation"; readonly challenger: Uint8Array; readonly first: SignedAggregate; readonly second: SignedAggregate | null }
  | { readonly kind: "pinLeaf"; readonly leafRef: LeafRef; readonly leaf: Leaf; readonly path: readonly SumNode[] }
  | { readonly kind: "proveBadWeight"; readonly challenger: Uint8Array; readonly leafRef: LeafRef }
  | { readonly kind: "proveBadOrder"; readonly challenger: Uint8Array; readonly leafRef: LeafRef }
  | { readonly kind: "proveLeafMismatch"; readonly challenger: Uint8Array; readonly leafRef: LeafRef; readonly receipt: Receipt; readonly signature: Uint8Array }
  | { readonly kind: "openReveal"; readonly challenger: Uint8Array; readonly leafRef: LeafRef }
  | { readonly kind: "respondReveal"; readonly leafRef: LeafRef; readonly receipt: Receipt; readonly signature: Uint8Array }
  | { readonly kind: "resolveReveal"; readonly leafRef: LeafRef }
  | { readonly kind: "propose"; readonly proposer: Uint8Array; readonly changes: readonly Change[]; readonly etaEpoch: bigint }
  | { readonly kind: "veto"; readonly voter: Uint8Array; readonly proposalId: bigint }
  | { readonly kind: "execute"; readonly proposalId: bigint }
  | { readonly kind: "claimWitnessReward"; readonly leafRef: LeafRef }

export type OpKind = Op["kind"]
export type OpOf<K extends OpKind> = Extract<Op, { kind: K }>
