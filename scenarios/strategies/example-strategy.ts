/**
 * An example adversary strategy: the "under-reporter". Its miners aggregate only part of the receipts
 * they receive (keeping `keep` of them, e.g. half), so their aggregates claim less witness support than
 * they could. It is not slashable — every leaf is a genuine, correctly weighted receipt, in order — and
 * it changes nothing about which route wins: quorum is counted in *committee* stake, not in witness
 * support (spec 08, QRM-1). Support only matters against `min_support` (QRM-2): set
 * `parameters.min_support` above what the kept receipts carry and its aggregates stop counting.
 *
 * How to write your own:
 *
 * 1. Export by default a function that takes the scenario's `options` and returns a `Strategy`
 *    (simulator/adversaries/Strategy.ts documents every hook and action).
 * 2. Name it in a scenario, relative to the scenario file:
 *
 *        population:
 *          miners:
 *            - { id: u, count: 1, stake: 10, adversary: lazy }   # miners this adversary drives
 *        adversaries:
 *          - id: lazy
 *            module: ./strategies/example-strategy.ts
 *            options: { keep: 0.5 }
 *
 * 3. Run it: `dotdns sim run scenarios/example-custom-strategy.yaml`. Everything it does shows up in
 *    events.jsonl (`adversary.*` events and the transactions), and what it counts with `ctx.count`
 *    shows up in metrics.json under `adversary.<id>`.
 *
 * Rules of the game: hooks only *return* actions; the engine sends them with keys the adversary holds
 * (its miners', its witnesses', and those listed under `keys:`). Read the chain through `ctx.chain`,
 * draw randomness only from `ctx.rng` (seeded, so runs stay reproducible), never from Math.random.
 */
import type { Action, Strategy } from "../../simulator/adversaries/Strategy.ts"
import { numberOption } from "../../simulator/adversaries/Strategy.ts"
import { AdversaryMiner } from "../../simulator/adversaries/AdversaryMiner.ts"

export default (options: Readonly<Record<string, unknown>>): Strategy => {
  // Options come from the scenario file; validate them here and fail loudly.
  const keep = numberOption(options, "keep", 0.5)
  if (!(keep > 0 && keep <= 1)) throw new TypeError("example-strategy: keep is a fraction in (0, 1]")

  return {
    description: "aggregates only part of the receipts it receives (under-reports support; not slashable)",

    // Called every tick after the honest miners acted. `tick.epoch - 1` is the epoch whose rounds are
    // being submitted; `tick.offset < tick.submitWindow` is the submit window.
    afterTick(ctx, tick) {
      const E = tick.epoch - 1n
      const actions: Action[] = []
      for (const m of ctx.miners) {
        if (E >= 0n && tick.offset < tick.submitWindow && m.seated(E)) {
          for (const name of m.namesWithReceipts(E)) {
            if (m.hasSubmitted(E, name.nameHash)) continue
            // The route an honest miner would pick (the owner's best-supported authorized route).
            const route = m.honestRoute(E, name.nameHash)
            if (route === undefined) continue
            // Keep a random subset of the receipts: ctx.rng is this strategy's own seeded stream.
            const all = m.receipts(E, name.nameHash, route.routeHash)
            const kept = AdversaryMiner.sorted(ctx.rng.shuffle(all).slice(0, Math.max(1, Math.round(all.length * keep))))
            const built = m.build(E, name.nameHash, route.routeHash, kept)
            if (built === undefined) continue
            // Submit it (with the owner's authorization when the route is new in the round) and serve it.
            actions.push(m.submit(built, `kept ${kept.length} of ${all.length} receipts`), m.publish(built))
            ctx.count("receipts_dropped", all.length - kept.length)
          }
        }
        // Like any miner, answer reveal challenges against it (it can: every leaf is genuine).
        actions.push(...m.answerReveals(tick.slot))
      }
      return actions
    }
  }
}
