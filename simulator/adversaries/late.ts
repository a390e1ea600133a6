/**
 * Late miner: aggregates honestly but submits `delay_slots` into the epoch. Inside the submit window
 * that is harmless; at or past `submit_window_slots` the program refuses it [RND-1] and the miner's
 * stake is missing from the round, as if it were offline. (Miners that are simply offline for a while
 * are a timeline event: `offline: {miners: [...], until_epoch: n}`.)
 *
 * Options: `delay_slots` (default: one tick past the submit window).
 */
import { numberOption, type Action, type Strategy } from "./Strategy.ts"

export default (options: Readonly<Record<string, unknown>>): Strategy => {
  const configured = options["delay_slots"] === undefined ? undefined : BigInt(numberOption(options, "delay_slots", 0))
  return {
    description: "submits its (honest) aggregates late, past the submit window by default",
    afterTick(ctx, tick) {
      const E = tick.epoch - 1n
      const delay = configured ?? tick.submitWindow
      const actions: Action[] = []
      for (const m of ctx.miners) {
        actions.push(...m.answerReveals(tick.slot))
        if (E < 0n || tick.offset < delay) continue
        for (const n of m.namesWithReceipts(E)) {
          if (m.hasSubmitted(E, n.nameHash)) continue
          const route = m.honestRoute(E, n.nameHash)
          const b = route === undefined ? undefined : m.build(E, n.nameHash, route.routeHash)
          if (b === undefined) continue
          actions.push(m.submit(b, `late submission at offset ${tick.offset}`), m.publish(b))
          ctx.count("late_submissions")
        }
      }
      return actions
    }
  }
}
