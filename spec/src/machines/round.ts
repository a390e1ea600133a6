/**
 * The round lifecycle [RND], [QRM], one instance per (epoch, name): absent until the first aggregate,
 * open while aggregates arrive and are challenged, then finalized or failed by `finalizeRound`.
 *
 * The context is what the guards of `finalizeRound` and of the challenges read: the challenge window's
 * end, the committee's stake, the number of open reveal challenges, each route's serial and counted
 * weight, and each submitted member's route, flags and stake (so that a strip knows what to remove).
 */
import { and, assign, not, setup } from "xstate"
import { MAX_ROUTES } from "../accounts.ts"
import { hasQuorum } from "../transition/rounds.ts"

export interface RouteCtx {
  /** route_hash, lowercase hex. */
  readonly hash: string
  readonly serial: bigint
  readonly weight: bigint
}

export interface MemberCtx {
  readonly route: number
  readonly counted: boolean
  readonly stripped: boolean
  /** The member's committee stake. */
  readonly stake: bigint
}

export interface RoundContext {
  readonly challengeEnd: bigint
  readonly committeeStake: bigint
  readonly openChallenges: number
  readonly routes: readonly RouteCtx[]
  /** Submitted members by committee index. */
  readonly members: Readonly<Record<string, MemberCtx>>
  readonly finalizedRoute: number | null
}

export type RoundEvent =
  | {
      readonly type: "submitAggregate"
      readonly member: number
      readonly stake: bigint
      readonly route: string
      /** The authorized serial (0 when the op carries no authorization). */
      readonly serial: bigint
      readonly support: bigint
      readonly minSupport: bigint
      /** What the round records when this submission creates it. */
      readonly challengeEnd: bigint
      readonly committeeStake: bigint
    }
  | { readonly type: "proveEquivocation"; readonly member: number }
  | { readonly type: "proveBadWeight"; readonly member: number; readonly slot: bigint }
  | { readonly type: "proveBadOrder"; readonly member: number; readonly slot: bigint }
  | { readonly type: "proveLeafMismatch"; readonly member: number; readonly slot: bigint }
  | { readonly type: "openReveal"; readonly member: number; readonly slot: bigint }
  | { readonly type: "respondReveal"; readonly member: number }
  | { readonly type: "resolveReveal"; readonly member: number }
  | { readonly type: "finalizeRound"; readonly slot: bigint; readonly quorumBps: bigint; readonly canonicalSerial: bigint }

export const EMPTY_ROUND: RoundContext = {
  challengeEnd: 0n,
  committeeStake: 0n,
  openChallenges: 0,
  routes: [],
  members: {},
  finalizedRoute: null
}

export const ROUND_STATES = ["absent", "open", "finalized", "failed"] as const
export type RoundState = (typeof ROUND_STATES)[number]

/** The first route holding quorum [QRM-1], as `processFinalizeRound` picks it; −1 if none. */
export const quorumRoute = (c: RoundContext, quorumBps: bigint): number =>
  c.routes.findIndex((r) => hasQuorum(r.weight, c.committeeStake, quorumBps))

const memberOf = (e: RoundEvent): number | undefined => ("member" in e ? e.member : undefined)
const slotOf = (e: RoundEvent): bigint | undefined => ("slot" in e ? e.slot : undefined)

/** A submission: the route enters the round if new [RND-5], counts if support ≥ min_support [QRM-2]. */
export const recordSubmission = (c: RoundContext, e: Extract<RoundEvent, { type: "submitAggregate" }>): RoundContext => {
  const routes = c.routes.map((r) => ({ ...r }))
  let r = routes.findIndex((x) => x.hash === e.route)
  if (r < 0) {
    routes.push({ hash: e.route, serial: e.serial, weight: 0n })
    r = routes.length - 1
  }
  const counted = e.support >= e.minSupport
  if (counted) routes[r] = { ...routes[r]!, weight: routes[r]!.weight + e.stake }
  return { ...c, routes, members: { ...c.members, [String(e.member)]: { route: r, counted, stripped: false, stake: e.stake } } }
}

/** A strip removes the member's counted weight and marks it stripped [SLS-2]. */
export const stripMember = (c: RoundContext, member: number): RoundContext => {
  const m = c.members[String(member)]
  if (m === undefined) return c
  const routes = c.routes.map((r, i) => (i === m.route && m.counted ? { ...r, weight: r.weight - m.stake } : r))
  return { ...c, routes, members: { ...c.members, [String(member)]: { ...m, counted: false, stripped: true } } }
}

const submissions = {
  submitAggregate: [
    // A different second statement from a member is equivocation: stripped at once [EQV-2].
    { guard: "memberSubmitted", actions: "strip" },
    { guard: "routeAvailable", actions: "record" }
  ]
} as const

export const roundMachine = setup({
  types: {
    context: {} as RoundContext,
    events: {} as RoundEvent
  },
  guards: {
    memberSubmitted: ({ context, event }) => {
      const m = memberOf(event)
      return m !== undefined && context.members[String(m)] !== undefined
    },
    /** The route is in the round already, or a slot is free for it [RND-9]. */
    routeAvailable: ({ context, event }) =>
      event.type === "submitAggregate" && (context.routes.some((r) => r.hash === event.route) || context.routes.length < MAX_ROUTES),
    /** Inside the challenge window [BLF-4] and not yet stripped [BLF-5]. */
    challengeable: ({ context, event }) => {
      const m = memberOf(event)
      const slot = slotOf(event)
      if (m === undefined || slot === undefined) return false
      const member = context.members[String(m)]
      return slot < context.challengeEnd && member !== undefined && !member.stripped
    },
    memberStripped: ({ context, event }) => {
      const m = memberOf(event)
      return m !== undefined && context.members[String(m)]?.stripped === true
    },
    hasOpenChallenge: ({ context }) => context.openChallenges > 0,
    /** [QRM-6] */
    windowOver: ({ context, event }) => event.type === "finalizeRound" && event.slot >= context.challengeEnd,
    /** [QRM-7] */
    noOpenChallenges: ({ context }) => context.openChallenges === 0,
    /** [QRM-1], [QRM-8] */
    quorum: ({ context, event }) => event.type === "finalizeRound" && quorumRoute(context, event.quorumBps) >= 0,
    /** [QRM-9] */
    quorumRouteNewer: ({ context, event }) => {
      if (event.type !== "finalizeRound") return false
      const r = quorumRoute(context, event.quorumBps)
      return r >= 0 && context.routes[r]!.serial > event.canonicalSerial
    }
  },
  actions: {
    open: assign(({ event }) =>
      event.type === "submitAggregate" ? { ...EMPTY_ROUND, challengeEnd: event.challengeEnd, committeeStake: event.committeeStake } : {}
    ),
    record: assign(({ context, event }) => (event.type === "submitAggregate" ? recordSubmission(context, event) : {})),
    strip: assign(({ context, event }) => {
      const m = memberOf(event)
      return m === undefined ? {} : stripMember(context, m)
    }),
    countChallenge: assign(({ context }) => ({ openChallenges: context.openChallenges + 1 })),
    settleChallenge: assign(({ context }) => ({ openChallenges: context.openChallenges - 1 })),
    markFinalized: assign(({ context, event }) =>
      event.type === "finalizeRound" ? { finalizedRoute: quorumRoute(context, event.quorumBps) } : {}
    )
  }
}).createMachine({
  id: "round",
  initial: "absent",
  context: EMPTY_ROUND,
  states: {
    absent: {
      on: { submitAggregate: { target: "open", actions: ["open", "record"] } }
    },
    open: {
      on: {
        ...submissions,
        proveEquivocation: { guard: "memberSubmitted", actions: "strip" },
        proveBadWeight: { guard: "challengeable", actions: "strip" },
        proveBadOrder: { guard: "challengeable", actions: "strip" },
        proveLeafMismatch: { guard: "challengeable", actions: "strip" },
        openReveal: { guard: "challengeable", actions: "countChallenge" },
        respondReveal: { guard: "hasOpenChallenge", actions: "settleChallenge" },
        resolveReveal: [
          // Moot: the aggregate was stripped meanwhile [RVL-11].
          { guard: and(["hasOpenChallenge", "memberStripped"]), actions: "settleChallenge" },
          // Upheld: the unanswered challenge strips the aggregate [RVL-10].
          { guard: and(["hasOpenChallenge", not("memberStripped")]), actions: ["settleChallenge", "strip"] }
        ],
        finalizeRound: [
          { guard: and(["windowOver", "noOpenChallenges", "quorum", "quorumRouteNewer"]), target: "finalized", actions: "markFinalized" },
          { guard: and(["windowOver", "noOpenChallenges", not("quorum")]), target: "failed" },
          { guard: and(["windowOver", "noOpenChallenges", "quorum", not("quorumRouteNewer")]), target: "failed" }
        ]
      }
    },
    // A closed round takes nothing more: once the round exists its stored submit_end ends the submit
    // window [RND-1], and submit_end ≤ challenge_end ≤ the finalizing slot, so no aggregate lands after
    // finalization, whatever governance does to the live window.
    finalized: {},
    failed: {}
  }
})

/** Rules whose rejection the round machine models: a rejected op with one of these takes no edge. */
export const ROUND_RULES: readonly string[] = ["QRM-4", "QRM-5", "QRM-6", "QRM-7", "RND-9", "BLF-4", "BLF-5"]
