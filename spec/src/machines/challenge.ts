/**
 * The reveal challenge lifecycle [RVL], one instance per challenged leaf: absent until `openReveal`,
 * open until the miner answers in time (rejected) or anyone settles it after the deadline: upheld,
 * or moot when the aggregate was stripped meanwhile.
 */
import { and, assign, not, setup } from "xstate"

export interface ChallengeContext {
  /** The last slot at which the miner may still answer is `deadline − 1` [RVL-5]. */
  readonly deadline: bigint
}

export type ChallengeEvent =
  | { readonly type: "openReveal"; readonly slot: bigint; readonly responseWindowSlots: bigint }
  | { readonly type: "respondReveal"; readonly slot: bigint }
  | { readonly type: "resolveReveal"; readonly slot: bigint; readonly aggregateStripped: boolean }

export const EMPTY_CHALLENGE: ChallengeContext = { deadline: 0n }

export const CHALLENGE_STATES = ["absent", "open", "rejected", "upheld", "moot"] as const
export type ChallengeState = (typeof CHALLENGE_STATES)[number]

export const challengeMachine = setup({
  types: {
    context: {} as ChallengeContext,
    events: {} as ChallengeEvent
  },
  guards: {
    /** [RVL-5] */
    beforeDeadline: ({ context, event }) => event.type === "respondReveal" && event.slot < context.deadline,
    /** [RVL-10] */
    deadlinePassed: ({ context, event }) => event.type === "resolveReveal" && event.slot >= context.deadline,
    /** [RVL-11] */
    aggregateStripped: ({ event }) => event.type === "resolveReveal" && event.aggregateStripped
  },
  actions: {
    open: assign(({ event }) => (event.type === "openReveal" ? { deadline: event.slot + event.responseWindowSlots } : {}))
  }
}).createMachine({
  id: "challenge",
  initial: "absent",
  context: EMPTY_CHALLENGE,
  states: {
    absent: { on: { openReveal: { target: "open", actions: "open" } } },
    open: {
      on: {
        respondReveal: { guard: "beforeDeadline", target: "rejected" },
        resolveReveal: [
          { guard: and(["deadlinePassed", not("aggregateStripped")]), target: "upheld" },
          { guard: and(["deadlinePassed", "aggregateStripped"]), target: "moot" }
        ]
      }
    },
    rejected: { type: "final" },
    upheld: { type: "final" },
    moot: { type: "final" }
  }
})

/** Rules whose rejection the challenge machine models. */
export const CHALLENGE_RULES: readonly string[] = ["RVL-3", "RVL-4", "RVL-5", "RVL-10"]
