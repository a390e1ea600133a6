/**
 * On-chain account layouts [ACC]. Each account opens with an 8-byte discriminator and the layout
 * version [ACC-1]; sizes are fixed [ACC-2]. The program compiles against a header generated from these
 * descriptions (`npm run gen:c`), so one description fixes every byte on both sides.
 */
import { discriminator } from "./hash.ts"
import { array, bytes, hash32, pad, pubkey, struct, u16, u32, u64, u8, type StructValue } from "./layout.ts"
import { MAX_COMMITTEE, PARAM_SLOTS } from "./params.ts"

export const MAX_MINERS = 32
export const MAX_ALLOWLIST = 32
export const MAX_ROUTES = 4
export const MAX_CHANGES = 4
export const WITNESS_CHECKPOINTS = 4
export const NAME_FIELD = 256
export const HINT_FIELD = 128
export const CID_FIELD = 64

const header = { disc: bytes(8), version: u8 }

export const ChangeLayout = struct("Change", { kind: u8, param: u8, _pad: pad(6), value: u64, key: pubkey })
export type Change = StructValue<typeof ChangeLayout.fields>
export const CHANGE_KIND = { setParam: 0, allowlistAdd: 1, allowlistRemove: 2, setAuthority: 3 } as const

export const ConfigLayout = struct("ConfigAccount", {
  ...header,
  allowlistCount: u8,
  pendingCount: u8,
  _pad: pad(5),
  authority: pubkey,
  currentEpoch: u64,
  rewardPool: u64,
  totalBonded: u64,
  nextProposalId: u64,
  pendingActivationEpoch: u64,
  params: array(u64, PARAM_SLOTS),
  seed: hash32,
  stateDigest: hash32,
  allowlist: array(pubkey, MAX_ALLOWLIST),
  pending: array(ChangeLayout, MAX_CHANGES),
  reserved: bytes(64)
})
export type ConfigAccount = StructValue<typeof ConfigLayout.fields>

export const VaultLayout = struct("VaultAccount", { ...header, _pad: pad(7) })
export type VaultAccount = StructValue<typeof VaultLayout.fields>

export const MinerEntryLayout = struct("MinerEntry", {
  key: pubkey,
  active: u64,
  pending: u64,
  unbonding: u64,
  unbondReadyEpoch: u64,
  claimable: u64,
  jailedEpoch: u64,
  jailed: u8,
  _pad: pad(7)
})
export type MinerEntry = StructValue<typeof MinerEntryLayout.fields>

export const MinerSetLayout = struct("MinerSetAccount", {
  ...header,
  count: u8,
  _pad: pad(6),
  entries: array(MinerEntryLayout, MAX_MINERS)
})
export type MinerSetAccount = StructValue<typeof MinerSetLayout.fields>

export const MemberLayout = struct("CommitteeMember", { key: pubkey, stake: u64 })
export type CommitteeMember = StructValue<typeof MemberLayout.fields>

export const CommitteeLayout = struct("CommitteeAccount", {
  ...header,
  memberCount: u8,
  _pad: pad(6),
  epoch: u64,
  totalStake: u64,
  seed: hash32,
  members: array(MemberLayout, MAX_COMMITTEE)
})
export type CommitteeAccount = StructValue<typeof CommitteeLayout.fields>

export const CheckpointLayout = struct("StakeCheckpoint", { epoch: u64, amount: u64 })
export type StakeCheckpoint = StructValue<typeof CheckpointLayout.fields>

export const WitnessLayout = struct("WitnessAccount", {
  ...header,
  checkpointCount: u8,
  _pad: pad(6),
  key: pubkey,
  checkpoints: array(CheckpointLayout, WITNESS_CHECKPOINTS),
  unbonding: u64,
  unbondReadyEpoch: u64,
  claimable: u64
})
export type WitnessAccount = StructValue<typeof WitnessLayout.fields>

export const NameLayout = struct("NameAccount", {
  ...header,
  nameLen: u8,
  _pad: pad(6),
  nameHash: hash32,
  owner: pubkey,
  routeHash: hash32,
  serial: u64,
  routeEpoch: u64,
  registeredEpoch: u64,
  name: bytes(NAME_FIELD),
  /** Reserved for the draft `dyndns_hint` extension; zero in v1 [EXT-1]. */
  hint: bytes(HINT_FIELD)
})
export type NameAccount = StructValue<typeof NameLayout.fields>

export const RouteSlotLayout = struct("RouteSlot", { routeHash: hash32, serial: u64, weight: u64 })
export type RouteSlot = StructValue<typeof RouteSlotLayout.fields>

export const ROUND_STATUS = { open: 0, finalized: 1, failed: 2 } as const
export const MEMBER_FLAG = { submitted: 1, counted: 2, stripped: 4 } as const
export const NO_ROUTE = 0xff

export const RoundLayout = struct("RoundAccount", {
  ...header,
  status: u8,
  routeCount: u8,
  finalizedRoute: u8,
  _pad: pad(2),
  openChallenges: u16,
  epoch: u64,
  nameHash: hash32,
  submitEnd: u64,
  challengeEnd: u64,
  routes: array(RouteSlotLayout, MAX_ROUTES),
  memberRoute: array(u8, MAX_COMMITTEE),
  memberFlags: array(u8, MAX_COMMITTEE),
  supportingStake: u64,
  witnessPool: u64,
  witnessPoolRemaining: u64
})
export type RoundAccount = StructValue<typeof RoundLayout.fields>

export const AGGREGATE_FLAG = { submitted: 1, equivocated: 2 } as const

export const AggregateLayout = struct("AggregateAccount", {
  ...header,
  flags: u8,
  memberIndex: u8,
  routeIndex: u8,
  cidLen: u8,
  _pad: pad(3),
  epoch: u64,
  nameHash: hash32,
  routeHash: hash32,
  receiptRoot: hash32,
  miner: pubkey,
  support: u64,
  receiptCount: u32,
  _pad2: pad(4),
  batchCid: bytes(CID_FIELD),
  statementHash: hash32
})
export type AggregateAccount = StructValue<typeof AggregateLayout.fields>

export const LeafPinLayout = struct("LeafPinAccount", {
  ...header,
  _pad: pad(3),
  index: u32,
  epoch: u64,
  nameHash: hash32,
  miner: pubkey,
  receiptHash: hash32,
  witness: pubkey,
  weight: u64
})
export type LeafPinAccount = StructValue<typeof LeafPinLayout.fields>

export const CHALLENGE_STATUS = { open: 0, upheld: 1, rejected: 2, moot: 3 } as const

export const ChallengeLayout = struct("ChallengeAccount", {
  ...header,
  status: u8,
  _pad: pad(2),
  leafIndex: u32,
  epoch: u64,
  nameHash: hash32,
  miner: pubkey,
  challenger: pubkey,
  bond: u64,
  deadline: u64
})
export type ChallengeAccount = StructValue<typeof ChallengeLayout.fields>

export const PROPOSAL_STATUS = { queued: 0, vetoed: 1, executed: 2 } as const

export const ProposalLayout = struct("ProposalAccount", {
  ...header,
  status: u8,
  changeCount: u8,
  _pad: pad(5),
  id: u64,
  proposer: pubkey,
  createdEpoch: u64,
  etaEpoch: u64,
  vetoStake: u64,
  stakeSnapshot: u64,
  changes: array(ChangeLayout, MAX_CHANGES)
})
export type ProposalAccount = StructValue<typeof ProposalLayout.fields>

export const VetoLayout = struct("VetoAccount", { ...header, _pad: pad(7), proposalId: u64, voter: pubkey, weight: u64 })
export type VetoAccount = StructValue<typeof VetoLayout.fields>

export const ClaimLayout = struct("ClaimAccount", {
  ...header,
  _pad: pad(7),
  epoch: u64,
  nameHash: hash32,
  miner: pubkey,
  witness: pubkey,
  amount: u64
})
export type ClaimAccount = StructValue<typeof ClaimLayout.fields>

/** Every account kind, its layout and the PDA seeds that place it [ACC-4]. */
export const ACCOUNTS = {
  Config: { layout: ConfigLayout, seeds: "\"config\"" },
  Vault: { layout: VaultLayout, seeds: "\"vault\"" },
  MinerSet: { layout: MinerSetLayout, seeds: "\"miners\"" },
  Committee: { layout: CommitteeLayout, seeds: "\"committee\", u64(epoch)" },
  Witness: { layout: WitnessLayout, seeds: "\"witness\", key" },
  Name: { layout: NameLayout, seeds: "\"name\", name_hash" },
  Round: { layout: RoundLayout, seeds: "\"round\", u64(epoch), name_hash" },
  Aggregate: { layout: AggregateLayout, seeds: "\"aggregate\", u64(epoch), name_hash, miner" },
  LeafPin: { layout: LeafPinLayout, seeds: "\"pin\", u64(epoch), name_hash, miner, u32(index)" },
  Challenge: { layout: ChallengeLayout, seeds: "\"challenge\", u64(epoch), name_hash, miner, u32(index)" },
  Proposal: { layout: ProposalLayout, seeds: "\"proposal\", u64(id)" },
  Veto: { layout: VetoLayout, seeds: "\"veto\", u64(id), voter" },
  Claim: { layout: ClaimLayout, seeds: "\"claim\", u64(epoch), name_hash, miner, witness" }
} as const
export type AccountKind = keyof typeof ACCOUNTS

export const DISCRIMINATORS: Record<AccountKind, Uint8Array> = Object.fromEntries(
  Object.keys(ACCOUNTS).map((k) => [k, discriminator(k)])
) as Record<AccountKind, Uint8Array>
