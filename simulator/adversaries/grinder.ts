/**
 * Committee grinder (stake mode), the strongest lever spec 07 names: stake amounts. On the last tick of
 * every epoch it evaluates the next committee draw offline — the seed the boundary will derive
 * (`nextSeed(seed, e, state_digest)` [CMT-1]) and `selectCommittee` over the MinerSet as the boundary
 * will see it (pending stake activated, executed governance changes applied) [CMT-4] — for many
 * candidate adjustments of its own stake: bonds (active at the boundary) and, with `allow_unbond`,
 * unbonds (which lower active stake at once). It makes the adjustment that wins it the most seats and,
 * at the boundary, cranks `advance_epoch` itself before anyone else can change the state digest.
 * Otherwise its miners follow the protocol.
 *
 * It reports `draws`, `seats_won` (seats it predicted and got), `seats_baseline` (what the same draws
 * would have given it without grinding), `gain` and `extra_bonded_sol` in metrics.json.
 *
 * Options: `budget_sol` (extra stake it may bond over the run, default 20), `candidates` (default 48),
 * `allow_unbond` (default true), `crank_first` (default true).
 */
import { equal } from "../../spec/src/bytes.ts"
import { COMMITTEE_MODE, param } from "../../spec/src/params.ts"
import { nextSeed, selectCommittee } from "../../spec/src/transition/epoch.ts"
import { applyChangesTo } from "../../spec/src/transition/governance.ts"
import { booleanOption, numberOption, type Action, type Strategy } from "./Strategy.ts"

export default (options: Readonly<Record<string, unknown>>): Strategy => {
  let budget = BigInt(Math.round(numberOption(options, "budget_sol", 20) * 1e9))
  const candidates = Math.max(2, Math.round(numberOption(options, "candidates", 48)))
  const allowUnbond = booleanOption(options, "allow_unbond", true)
  const crankFirst = booleanOption(options, "crank_first", true)
  let predicted: { epoch: bigint; seats: number } | undefined
  return {
    description: "grinds the stake-mode committee draw with bond/unbond amounts and crank timing",
    beforeTick(ctx, tick) {
      const config = ctx.chain.config()
      if (config === undefined || tick.phase !== "boundary" || !crankFirst || config.currentEpoch >= tick.epoch) return []
      if (ctx.miners.length === 0) return []
      ctx.count("cranks")
      return [{ kind: "op", as: ctx.miners[0]!.label, op: { kind: "advanceEpoch" }, note: "crank first: the digest it ground against" }]
    },
    afterTick(ctx, tick) {
      const actions: Action[] = ctx.miners.flatMap((m) => m.follow(tick))
      const config = ctx.chain.config()
      const set = ctx.chain.minerSet()
      const me = ctx.miners[0]
      if (config === undefined || set === undefined || me === undefined) return actions

      // Check the last prediction against the committee the boundary actually drew.
      if (predicted !== undefined && predicted.epoch === config.currentEpoch && tick.phase === "boundary") {
        const c = ctx.chain.committee(config.currentEpoch)
        let seats = 0
        for (let i = 0; i < (c?.memberCount ?? 0); i++) if (ctx.miners.some((m) => equal(m.publicKey, c!.members[i]!.key))) seats++
        if (seats === predicted.seats) ctx.count("predictions_correct")
        ctx.count("seats_won", seats)
        predicted = undefined
      }
      if (!tick.last) return actions

      const next = config.currentEpoch + 1n
      const governed = config.pendingCount > 0 && config.pendingActivationEpoch <= next ? applyChangesTo(config, config.pending.slice(0, config.pendingCount)) : undefined
      const params = governed?.params ?? config.params
      if (param(params, "committeeMode") !== COMMITTEE_MODE.stake) return actions
      const allowlist = governed?.allowlist ?? config.allowlist.slice(0, config.allowlistCount)
      const seed = nextSeed(config.seed, next, config.stateDigest)
      const minStake = param(params, "minMinerStake")
      const entries = set.entries.slice(0, set.count).map((e) => ({ ...e, active: e.active + e.pending, pending: 0n }))
      const mine = entries.findIndex((e) => equal(e.key, me.publicKey))
      if (mine < 0) return actions
      const base = entries[mine]!.active
      const seatsWith = (active: bigint): number => {
        const trial = entries.map((e, i) => (i === mine ? { ...e, active } : e))
        const drawn = selectCommittee(trial, { mode: COMMITTEE_MODE.stake, size: param(params, "committeeSize"), minStake, allowlist, seed })
        return drawn.filter((d) => ctx.miners.some((m) => equal(m.publicKey, d.entry.key))).length
      }
      const baseline = seatsWith(base)
      let best = { delta: 0n, seats: baseline }
      const consider = (delta: bigint) => {
        const s = seatsWith(base + delta)
        const abs = (x: bigint) => (x < 0n ? -x : x)
        if (s > best.seats || (s === best.seats && abs(delta) < abs(best.delta))) best = { delta, seats: s }
      }
      const step = budget / BigInt(candidates)
      if (step > 0n) for (let k = 1n; k <= BigInt(candidates); k++) consider(k * step)
      // Unbonding lowers active stake at once; it may not leave less than the minimum [STK-3].
      const room = base - minStake
      if (allowUnbond && room > 0n) for (let k = 1n; k <= BigInt(candidates); k++) consider(-((room * k) / BigInt(candidates)))
      ctx.count("draws")
      ctx.count("seats_baseline", baseline)
      ctx.count("gain", best.seats - baseline)
      predicted = { epoch: next, seats: best.seats }
      if (best.delta > 0n) {
        budget -= best.delta
        ctx.count("extra_bonded_sol", Number(best.delta) / 1e9)
        actions.push({ kind: "op", as: me.label, op: { kind: "minerBond", miner: me.publicKey, amount: best.delta }, note: `bond ${best.delta} lamports: ${best.seats} seats instead of ${baseline}` })
      } else if (best.delta < 0n)
        actions.push({ kind: "op", as: me.label, op: { kind: "minerUnbond", miner: me.publicKey, amount: -best.delta }, note: `unbond ${-best.delta} lamports: ${best.seats} seats instead of ${baseline}` })
      return actions
    }
  }
}
