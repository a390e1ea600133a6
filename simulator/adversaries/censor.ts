/**
 * Censor: miners that pretend a name does not exist. They submit nothing for it (its updates get none
 * of their committee stake) and refuse to serve its route record to clients; every other name they
 * handle honestly. Below `1 − q` of committee stake this changes nothing: the honest quorum still
 * finalizes the name's updates and clients fetch its record from another miner. Above `1 − q` its
 * updates stop finalizing, but the name keeps its last canonical route (censorship of changes).
 *
 * Options: `names` (required: the names to censor).
 */
import { stringsOption, type Strategy } from "./Strategy.ts"

export default (options: Readonly<Record<string, unknown>>): Strategy => {
  const names = stringsOption(options, "names")
  if (names.length === 0) throw new TypeError("censor: option names lists the names to censor")
  return {
    description: "omits a name from its aggregates and refuses to serve its route",
    afterTick(ctx, tick) {
      const E = tick.epoch - 1n
      for (const m of ctx.miners)
        for (const n of m.namesWithReceipts(E)) if (names.includes(n.name) && tick.phase === "boundary" && E >= 0n) ctx.count("rounds_censored")
      return ctx.miners.flatMap((m) => m.follow(tick, (n) => names.includes(n.name)))
    },
    serveRoute: (ctx, _miner, name) => {
      if (!names.includes(name.name)) return undefined
      ctx.count("lookups_refused")
      return null
    }
  }
}
