/**
 * The governance proposal lifecycle [GOV], one instance per proposal id: queued by `propose`, vetoed
 * when vetoes reach `veto_bps` of the stake bonded at proposal time, executed between its eta and its
 * expiry, and active from the next `advanceEpoch`, where its change set takes effect [GOV-6].
 *
 * Expiry [GOV-17] is a guard, not a state: the program records no expiry. It is measured from the
 * proposal's own timelock (`eta_epoch − created_epoch` epochs after eta), so no later parameter change
 * moves it.
 */
import { and, assign, not, setup } from "xstate"
import { BPS } from "../params.ts"

export interface ProposalContext {
  readonly createdEpoch: bigint
  readonly etaEpoch: bigint
  readonly vetoStake: bigint
  readonly stakeSnapshot: bigint
}

export type ProposalEvent =
  | { readonly type: "propose"; readonly epoch: bigint; readonly etaEpoch: bigint; readonly stakeSnapshot: bigint }
  | { readonly type: "veto"; readonly epoch: bigint; readonly weight: bigint; readonly vetoBps: bigint }
  | { readonly type: "execute"; readonly epoch: bigint; readonly pendingCount: number }
  | { readonly type: "advanceEpoch"; readonly epoch: bigint }

export const EMPTY_PROPOSAL: ProposalContext = { createdEpoch: 0n, etaEpoch: 0n, vetoStake: 0n, stakeSnapshot: 0n }

/** The last epoch a queued proposal can be executed in: as long after eta as its timelock lasted [GOV-17]. */
export const expiryEpoch = (c: ProposalContext): bigint => c.etaEpoch + (c.etaEpoch - c.createdEpoch)

export const PROPOSAL_STATES = ["absent", "queued", "vetoed", "executed", "active"] as const
export type ProposalState = (typeof PROPOSAL_STATES)[number]

/** [GOV-5] */
export const vetoReaches = (c: ProposalContext, weight: bigint, vetoBps: bigint): boolean =>
  (c.vetoStake + weight) * BPS >= vetoBps * c.stakeSnapshot

export const proposalMachine = setup({
  types: {
    context: {} as ProposalContext,
    events: {} as ProposalEvent
  },
  guards: {
    /** [GOV-12] */
    beforeEta: ({ context, event }) => event.type === "veto" && event.epoch < context.etaEpoch,
    /** [GOV-14] */
    hasWeight: ({ event }) => event.type === "veto" && event.weight > 0n,
    vetoReachesThreshold: ({ context, event }) => event.type === "veto" && vetoReaches(context, event.weight, event.vetoBps),
    /** [GOV-15] */
    etaReached: ({ context, event }) => event.type === "execute" && event.epoch >= context.etaEpoch,
    /** Executed no later than its own timelock's length after its eta [GOV-17]. */
    notExpired: ({ context, event }) => event.type === "execute" && event.epoch <= expiryEpoch(context),
    /** [GOV-16] */
    noPendingChangeSet: ({ event }) => event.type === "execute" && event.pendingCount === 0
  },
  actions: {
    queue: assign(({ event }) =>
      event.type === "propose" ? { createdEpoch: event.epoch, etaEpoch: event.etaEpoch, vetoStake: 0n, stakeSnapshot: event.stakeSnapshot } : {}
    ),
    addVeto: assign(({ context, event }) => (event.type === "veto" ? { vetoStake: context.vetoStake + event.weight } : {}))
  }
}).createMachine({
  id: "proposal",
  initial: "absent",
  context: EMPTY_PROPOSAL,
  states: {
    absent: { on: { propose: { target: "queued", actions: "queue" } } },
    queued: {
      on: {
        veto: [
          { guard: and(["beforeEta", "hasWeight", "vetoReachesThreshold"]), target: "vetoed", actions: "addVeto" },
          { guard: and(["beforeEta", "hasWeight", not("vetoReachesThreshold")]), actions: "addVeto" }
        ],
        execute: { guard: and(["etaReached", "notExpired", "noPendingChangeSet"]), target: "executed" }
      }
    },
    vetoed: { type: "final" },
    // Execution sets pending_activation_epoch = current + 1, so the very next advanceEpoch activates.
    executed: { on: { advanceEpoch: { target: "active" } } },
    active: { type: "final" }
  }
})

/** Rules whose rejection the proposal machine models. */
export const PROPOSAL_RULES: readonly string[] = ["GOV-10", "GOV-11", "GOV-12", "GOV-14", "GOV-15", "GOV-16", "GOV-17"]
