/**
 * State-machine properties over generated op sequences (`arbitrary-ops.ts`): after every step the
 * protocol's invariants hold, and across steps nothing happens that the rules forbid — no lamport
 * created or lost [RWD-1], no finality without quorum [QRM-1], never two routes with quorum [QRM-3],
 * no jailed miner seated [SLS-3], no governance change outside its epoch boundary or after a veto
 * [GOV-5], [GOV-6], no unbonded stake out before the windows it backed have closed [STK-6], [STK-7].
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { MEMBER_FLAG, PROPOSAL_STATUS, ROUND_STATUS, type ConfigAccount } from "../src/accounts.ts"
import { isError } from "../src/apply.ts"
import { equal, hex } from "../src/bytes.ts"
import { checkInvariants } from "../src/invariants.ts"
import { BPS, param } from "../src/params.ts"
import { aggregateKey, type State } from "../src/state.ts"
import { intents, play, STAKE_MODE_PARAMS, GENERATOR_PARAMS, type PlayedStep } from "./arbitrary-ops.ts"

const governed = (c: ConfigAccount) => JSON.stringify([c.params.map(String), hex(c.authority), c.allowlistCount, c.allowlist.map(hex)])

/** Independent quorum check: the counted, unstripped committee stake behind route r. */
const countedStake = (s: State, epoch: bigint, nameHash: Uint8Array, r: number): bigint => {
  const round = s.rounds.get(`${epoch}/${hex(nameHash)}`)!
  const committee = s.committees.get(epoch.toString())!
  let w = 0n
  for (let m = 0; m < committee.memberCount; m++)
    if (round.memberRoute[m] === r && (round.memberFlags[m]! & MEMBER_FLAG.counted) !== 0 && (round.memberFlags[m]! & MEMBER_FLAG.stripped) === 0)
      w += committee.members[m]!.stake
  return w
}

/** Checks one step against every property; returns the violations. */
const checkStep = (step: PlayedStep, unbondEpoch: Map<string, bigint>): string[] => {
  const out: string[] = []
  const { pre, op, result, slot } = step
  if (isError(result)) return out
  const post = result
  const at = `${op.kind} at slot ${slot}`
  for (const v of checkInvariants(post)) out.push(`${at}: ${v}`)
  if (pre.config === undefined || post.config === undefined) return out
  const params = post.config.params

  // [QRM-1], [QRM-3]: route weights are the counted stake behind them; at most one route has quorum.
  for (const round of post.rounds.values()) {
    const committee = post.committees.get(round.epoch.toString())!
    let total = 0n
    for (let m = 0; m < committee.memberCount; m++) total += committee.members[m]!.stake
    if (total !== committee.totalStake) out.push(`${at}: committee ${round.epoch} total ${committee.totalStake} ≠ Σ members ${total}`)
    let withQuorum = 0
    for (let r = 0; r < round.routeCount; r++) {
      const w = countedStake(post, round.epoch, round.nameHash, r)
      if (w !== round.routes[r]!.weight) out.push(`${at}: route ${r} weight ${round.routes[r]!.weight} ≠ counted stake ${w}`)
      if (w > 0n && w * BPS >= param(params, "quorumBps") * committee.totalStake) withQuorum += 1
    }
    if (withQuorum > 1) out.push(`${at}: ${withQuorum} routes of one round have quorum`)
  }
  // No finality without quorum, computed from scratch at the moment of finality.
  if (op.kind === "finalizeRound") {
    const round = post.rounds.get(`${op.epoch}/${hex(op.nameHash)}`)!
    if (round.status === ROUND_STATUS.finalized) {
      const w = countedStake(post, op.epoch, op.nameHash, round.finalizedRoute)
      const total = post.committees.get(op.epoch.toString())!.totalStake
      if (!(w > 0n && w * BPS >= param(pre.config.params, "quorumBps") * total)) out.push(`${at}: finalized with ${w} of ${total}`)
      if (slot < round.challengeEnd) out.push(`${at}: finalized before challenge_end ${round.challengeEnd}`)
    }
  }

  // [SLS-3], [SLS-4]: only unjail clears a jail; a new committee seats no jailed miner.
  const preSet = pre.minerSet!
  for (let i = 0; i < preSet.count; i++) {
    const e = preSet.entries[i]!
    const after = post.minerSet!.entries.find((x) => equal(x.key, e.key))
    if (e.jailed === 1 && after !== undefined && after.jailed === 0 && op.kind !== "unjail") out.push(`${at}: jail of ${hex(e.key).slice(0, 8)} cleared`)
  }
  if (op.kind === "advanceEpoch") {
    const c = post.committees.get(post.config.currentEpoch.toString())!
    for (let m = 0; m < c.memberCount; m++) {
      const e = post.minerSet!.entries.find((x) => equal(x.key, c.members[m]!.key))
      if (e === undefined || e.jailed !== 0) out.push(`${at}: jailed or unknown miner seated`)
    }
  }

  // [GOV-6]: governed fields change only at a boundary, to an executed, unvetoed proposal due by then.
  if (governed(pre.config) !== governed(post.config)) {
    if (op.kind !== "advanceEpoch") out.push(`${at}: governed configuration changed mid-epoch`)
    else {
      const pending = JSON.stringify(pre.config.pending.slice(0, pre.config.pendingCount).map((c) => [c.kind, c.param, String(c.value), hex(c.key)]))
      const source = [...pre.proposals.values()].find(
        (p) => p.status === PROPOSAL_STATUS.executed && JSON.stringify(p.changes.slice(0, p.changeCount).map((c) => [c.kind, c.param, String(c.value), hex(c.key)])) === pending
      )
      if (pre.config.pendingCount === 0 || source === undefined) out.push(`${at}: a change without an executed proposal`)
      else if (source.etaEpoch >= post.config.currentEpoch) out.push(`${at}: a change active at ${post.config.currentEpoch} before its eta ${source.etaEpoch} had passed`)
    }
  }
  for (const [k, p] of pre.proposals) {
    const q = post.proposals.get(k)!
    if (p.status !== PROPOSAL_STATUS.queued && q.status !== p.status) out.push(`${at}: proposal ${k} left status ${p.status}`)
  }

  // [STK-6], [STK-7]: withdrawn stake outlives every challenge window of the epochs it backed.
  const L = param(params, "epochLengthSlots")
  const end = (e: bigint) => (e + 1n) * L + param(params, "submitWindowSlots") + param(params, "challengeWindowSlots")
  if (op.kind === "minerUnbond") unbondEpoch.set(hex(op.miner), pre.config.currentEpoch)
  if (op.kind === "witnessUnbond") unbondEpoch.set(`w${hex(op.witness)}`, pre.config.currentEpoch)
  if (op.kind === "minerWithdraw" || op.kind === "witnessWithdraw") {
    const k = op.kind === "minerWithdraw" ? hex(op.miner) : `w${hex(op.witness)}`
    const u = unbondEpoch.get(k)
    if (u === undefined) out.push(`${at}: withdraw without an unbond`)
    else if (slot < end(u)) out.push(`${at}: stake unbonded in epoch ${u} left at slot ${slot}, before its window closed at ${end(u)}`)
    if (op.kind === "minerWithdraw")
      for (const r of pre.rounds.values())
        if (u !== undefined && r.epoch <= u && pre.aggregates.has(aggregateKey(r.epoch, r.nameHash, op.miner)) && slot < r.challengeEnd)
          out.push(`${at}: left while round ${r.epoch} could still challenge it`)
  }
  return out
}

const tally = new Map<string, { ok: number; all: number }>()

describe("generated op sequences", () => {
  it("keep every invariant and every cross-step property", () => {
    const seed = Number(process.env.FC_SEED ?? 20261124)
    let finalized = 0
    let slashes = 0
    fc.assert(
      fc.property(intents({ minLength: 20, maxLength: 60 }), fc.boolean(), (xs, stakeMode) => {
        const { steps } = play(xs, stakeMode ? STAKE_MODE_PARAMS : GENERATOR_PARAMS)
        const unbondEpoch = new Map<string, bigint>()
        const problems: string[] = []
        for (const s of steps) {
          problems.push(...checkStep(s, unbondEpoch))
          const t = tally.get(s.op.kind) ?? { ok: 0, all: 0 }
          t.all += 1
          if (!isError(s.result)) {
            t.ok += 1
            if (s.op.kind === "finalizeRound" && [...s.result.rounds.values()].some((r) => r.status === ROUND_STATUS.finalized && equal(r.nameHash, s.op.kind === "finalizeRound" ? s.op.nameHash : r.nameHash))) finalized += 1
            const before = s.pre.minerSet?.entries.filter((e) => e.jailed === 1).length ?? 0
            if ((s.result.minerSet?.entries.filter((e) => e.jailed === 1).length ?? 0) > before) slashes += 1
          }
          tally.set(s.op.kind, t)
        }
        if (steps.length < 20) problems.push(`only ${steps.length} ops`)
        if (problems.length > 0) throw new Error(problems.slice(0, 5).join("\n"))
      }),
      { numRuns: 150, seed }
    )
    const rows = [...tally].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, t]) => `${k.padEnd(20)} ${String(t.ok).padStart(5)} / ${String(t.all).padEnd(5)} ${((100 * t.ok) / t.all).toFixed(0).padStart(3)}%`)
    console.log(`op generator (seed ${seed}, 150 sequences), successful / generated per kind:\n${rows.join("\n")}`)
    expect(finalized).toBeGreaterThan(20)
    expect(slashes).toBeGreaterThan(10)
    const mustSucceed = [
      "initialize", "minerBond", "minerUnbond", "witnessBond", "witnessUnbond", "registerName", "advanceEpoch", "submitAggregate", "finalizeRound",
      "proveEquivocation", "pinLeaf", "proveBadWeight", "openReveal", "propose", "execute", "claim", "claimWitnessReward", "fundPool", "transferName"
    ]
    expect(mustSucceed.filter((k) => (tally.get(k)?.ok ?? 0) === 0)).toEqual([])
    expect(tally.size).toBe(27)
  })
})
