/**
 * The miner stake lifecycle [STK], [SLS], one instance per miner key: `none` while the MinerSet holds
 * no entry for the key, otherwise `staked`, three orthogonal regions:
 *
 * - `stake`: empty (nothing bonded) → pending (bonded this epoch) → active (from the next epoch) [STK-9];
 * - `unbonding`: idle → waiting (unbonded, not yet withdrawable) → withdrawable after `unbonding_epochs`
 *   [STK-6]; withdrawing empties it, and frees the entry when nothing else remains;
 * - `jail`: free ↔ jailed: every slash jails [SLS-3], `unjail` after `jail_epochs` [SLS-4].
 *
 * Rewards (`claimable`) are context: `finalizeRound` and `respondReveal` credit it, `claim` pays it out.
 *
 * The context is the MinerSet entry plus the current epoch. Each event's context update is done by
 * exactly one region (the one "owning" the event); the other regions only move, by guards that read
 * the context before the event, as the program does.
 */
import { and, assign, not, setup } from "xstate"
import type { OpKind } from "../ops.ts"
import { BPS } from "../params.ts"

export interface MinerContext {
  readonly active: bigint
  readonly pending: bigint
  readonly unbonding: bigint
  readonly unbondReadyEpoch: bigint
  readonly claimable: bigint
  readonly jailed: boolean
  readonly jailedEpoch: bigint
  /** Config.current_epoch. */
  readonly epoch: bigint
}

export type SlashCause = Extract<OpKind, "submitAggregate" | "proveEquivocation" | "proveBadWeight" | "proveBadOrder" | "proveLeafMismatch" | "resolveReveal">

export type MinerEvent =
  | { readonly type: "minerBond"; readonly amount: bigint; readonly epoch: bigint; readonly minMinerStake: bigint }
  | { readonly type: "minerUnbond"; readonly amount: bigint; readonly minMinerStake: bigint; readonly unbondingEpochs: bigint }
  | { readonly type: "minerWithdraw" }
  | { readonly type: "unjail"; readonly jailEpochs: bigint; readonly minMinerStake: bigint }
  | { readonly type: "claim" }
  | { readonly type: "advanceEpoch"; readonly epoch: bigint }
  | { readonly type: "slash"; readonly cause: SlashCause; readonly slashBps: bigint }
  /** The miner's share of a finalized round's reward [RWD-2]. */
  | { readonly type: "finalizeRound"; readonly amount: bigint }
  /** A rejected reveal challenge's bond [RVL-9]. */
  | { readonly type: "respondReveal"; readonly amount: bigint }

export const EMPTY_MINER: MinerContext = {
  active: 0n,
  pending: 0n,
  unbonding: 0n,
  unbondReadyEpoch: 0n,
  claimable: 0n,
  jailed: false,
  jailedEpoch: 0n,
  epoch: 0n
}

export const STAKE_STATES = ["empty", "pending", "active"] as const
export const UNBONDING_STATES = ["idle", "waiting", "withdrawable"] as const
export const JAIL_STATES = ["free", "jailed"] as const
export type StakeState = (typeof STAKE_STATES)[number]
export type UnbondingState = (typeof UNBONDING_STATES)[number]
export type JailState = (typeof JAIL_STATES)[number]

// ------------------------------------------------------------------------------------- the arithmetic

/** `slash_bps` of everything bonded [SLS-1]. */
export const slashAmount = (c: MinerContext, slashBps: bigint): bigint => ((c.active + c.pending + c.unbonding) * slashBps) / BPS

/** Taken from active, then pending, then unbonding; the miner is jailed in the current epoch [SLS-3]. */
export const applySlash = (c: MinerContext, slashBps: bigint): MinerContext => {
  let left = slashAmount(c, slashBps)
  const take = (have: bigint): bigint => {
    const t = left < have ? left : have
    left -= t
    return have - t
  }
  return { ...c, active: take(c.active), pending: take(c.pending), unbonding: take(c.unbonding), jailed: true, jailedEpoch: c.epoch }
}

/** Pending stake is released first [STK-5]; a new unbond restarts the whole wait [STK-6]. */
export const applyUnbond = (c: MinerContext, amount: bigint, unbondingEpochs: bigint): MinerContext => {
  const fromPending = amount < c.pending ? amount : c.pending
  return {
    ...c,
    pending: c.pending - fromPending,
    active: c.active - (amount - fromPending),
    unbonding: c.unbonding + amount,
    unbondReadyEpoch: c.epoch + unbondingEpochs
  }
}

/** The region states a context stands for. */
export const stakeStateOf = (c: MinerContext): StakeState => (c.active > 0n ? "active" : c.pending > 0n ? "pending" : "empty")
export const unbondingStateOf = (c: MinerContext): UnbondingState =>
  c.unbonding === 0n ? "idle" : c.epoch >= c.unbondReadyEpoch ? "withdrawable" : "waiting"
export const jailStateOf = (c: MinerContext): JailState => (c.jailed ? "jailed" : "free")

const bonded = (c: MinerContext): bigint => c.active + c.pending
const slashBpsOf = (e: MinerEvent): bigint => (e.type === "slash" ? e.slashBps : 0n)

export const minerMachine = setup({
  types: {
    context: {} as MinerContext,
    events: {} as MinerEvent
  },
  guards: {
    /** At least one lamport [STK-1], leaving at least the minimum bonded [STK-3]. */
    validBond: ({ context, event }) =>
      event.type === "minerBond" && event.amount >= 1n && bonded(context) + event.amount >= event.minMinerStake,
    /** 1..bonded lamports [STK-5], leaving zero or at least the minimum [STK-3]. */
    validUnbond: ({ context, event }) => {
      if (event.type !== "minerUnbond") return false
      const left = bonded(context) - event.amount
      return event.amount >= 1n && left >= 0n && (left === 0n || left >= event.minMinerStake)
    },
    unbondsAll: ({ context, event }) => event.type === "minerUnbond" && event.amount === bonded(context),
    unbondingDue: ({ context, event }) => event.type === "advanceEpoch" && event.epoch >= context.unbondReadyEpoch,
    /** The slash consumes all active and pending stake. */
    slashTakesBonded: ({ context, event }) => event.type === "slash" && slashAmount(context, slashBpsOf(event)) >= bonded(context),
    /** The slash consumes all active stake (pending may remain). */
    slashTakesActive: ({ context, event }) => event.type === "slash" && slashAmount(context, slashBpsOf(event)) >= context.active,
    /** The slash consumes the unbonding balance too: everything. */
    slashTakesUnbonding: ({ context, event }) =>
      event.type === "slash" && slashAmount(context, slashBpsOf(event)) >= bonded(context) + context.unbonding,
    /** After withdrawing nothing remains and no jail holds the entry: its seat is freed. */
    leavesEmptyEntry: ({ context }) => context.active === 0n && context.pending === 0n && context.claimable === 0n && !context.jailed,
    /** A jailed entry stays in the set, so that the jail cannot be shed by leaving. */
    jailHoldsEntry: ({ context }) => context.jailed,
    stakeHoldsEntry: ({ context }) => !context.jailed && (context.active > 0n || context.pending > 0n),
    rewardsHoldEntry: ({ context }) => !context.jailed && context.active === 0n && context.pending === 0n && context.claimable > 0n,
    /** After jail_epochs, with at least the minimum active [SLS-4]. */
    canUnjail: ({ context, event }) =>
      event.type === "unjail" && context.jailed && context.epoch >= context.jailedEpoch + event.jailEpochs && context.active >= event.minMinerStake,
    /** [RWD-6] */
    hasClaimable: ({ context }) => context.claimable > 0n,
    positiveAmount: ({ event }) => (event.type === "finalizeRound" || event.type === "respondReveal") && event.amount > 0n
  },
  actions: {
    enter: assign(({ event }) => (event.type === "minerBond" ? { ...EMPTY_MINER, epoch: event.epoch } : {})),
    bond: assign(({ context, event }) => (event.type === "minerBond" ? { pending: context.pending + event.amount } : {})),
    unbond: assign(({ context, event }) => (event.type === "minerUnbond" ? applyUnbond(context, event.amount, event.unbondingEpochs) : {})),
    /** Stake bonded during the last epoch becomes active at the boundary [STK-9]. */
    activate: assign(({ context, event }) =>
      event.type === "advanceEpoch" ? { active: context.active + context.pending, pending: 0n, epoch: event.epoch } : {}
    ),
    withdraw: assign({ unbonding: 0n, unbondReadyEpoch: 0n }),
    leave: assign(() => EMPTY_MINER),
    slash: assign(({ context, event }) => (event.type === "slash" ? applySlash(context, event.slashBps) : {})),
    unjail: assign({ jailed: false }),
    credit: assign(({ context, event }) =>
      event.type === "finalizeRound" || event.type === "respondReveal" ? { claimable: context.claimable + event.amount } : {}
    ),
    payOut: assign({ claimable: 0n })
  }
}).createMachine({
  id: "miner",
  initial: "none",
  context: EMPTY_MINER,
  states: {
    none: {
      on: { minerBond: { guard: "validBond", target: "staked", actions: ["enter", "bond"] } }
    },
    staked: {
      type: "parallel",
      on: {
        finalizeRound: { guard: "positiveAmount", actions: "credit" },
        respondReveal: { guard: "positiveAmount", actions: "credit" },
        claim: { guard: "hasClaimable", actions: "payOut" }
      },
      states: {
        // Owns minerBond, minerUnbond and advanceEpoch.
        stake: {
          initial: "pending",
          states: {
            empty: {
              on: {
                minerBond: { guard: "validBond", target: "pending", actions: "bond" },
                advanceEpoch: { actions: "activate" }
              }
            },
            pending: {
              on: {
                minerBond: { guard: "validBond", actions: "bond" },
                minerUnbond: [
                  { guard: and(["validUnbond", "unbondsAll"]), target: "empty", actions: "unbond" },
                  { guard: and(["validUnbond", not("unbondsAll")]), actions: "unbond" }
                ],
                advanceEpoch: { target: "active", actions: "activate" },
                slash: { guard: "slashTakesBonded", target: "empty" }
              }
            },
            active: {
              on: {
                minerBond: { guard: "validBond", actions: "bond" },
                minerUnbond: [
                  { guard: and(["validUnbond", "unbondsAll"]), target: "empty", actions: "unbond" },
                  { guard: and(["validUnbond", not("unbondsAll")]), actions: "unbond" }
                ],
                advanceEpoch: { actions: "activate" },
                slash: [
                  { guard: "slashTakesBonded", target: "empty" },
                  { guard: "slashTakesActive", target: "pending" }
                ]
              }
            }
          }
        },
        // Owns minerWithdraw.
        unbonding: {
          initial: "idle",
          states: {
            idle: {
              on: { minerUnbond: { guard: "validUnbond", target: "waiting" } }
            },
            waiting: {
              on: {
                advanceEpoch: { guard: "unbondingDue", target: "withdrawable" },
                slash: { guard: "slashTakesUnbonding", target: "idle" }
              }
            },
            withdrawable: {
              on: {
                minerUnbond: { guard: "validUnbond", target: "waiting" },
                minerWithdraw: [
                  { guard: "leavesEmptyEntry", target: "#miner.none", actions: "leave" },
                  // Otherwise the entry stays, for one of three reasons.
                  { guard: "jailHoldsEntry", target: "idle", actions: "withdraw" },
                  { guard: "stakeHoldsEntry", target: "idle", actions: "withdraw" },
                  { guard: "rewardsHoldEntry", target: "idle", actions: "withdraw" }
                ],
                slash: { guard: "slashTakesUnbonding", target: "idle" }
              }
            }
          }
        },
        // Owns slash and unjail.
        jail: {
          initial: "free",
          states: {
            free: { on: { slash: { target: "jailed", actions: "slash" } } },
            jailed: {
              on: {
                slash: { actions: "slash" },
                unjail: { guard: "canUnjail", target: "free", actions: "unjail" }
              }
            }
          }
        }
      }
    }
  }
})

/** The state value a miner context stands for. */
export const minerValueOf = (c: MinerContext | undefined) =>
  c === undefined ? "none" : { staked: { stake: stakeStateOf(c), unbonding: unbondingStateOf(c), jail: jailStateOf(c) } }

/** Rules whose rejection the miner machine models. */
export const MINER_RULES: readonly string[] = ["STK-1", "STK-3", "STK-4", "STK-5", "STK-6", "SLS-4", "RWD-6"]
