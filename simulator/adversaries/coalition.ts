/**
 * A colluding coalition holding a share of committee stake (set it with `population.adversary_share`).
 *
 * - `mode: stale` (default) — for every round it pushes the *oldest* route the owner authorized that is
 *   still above the canonical serial (an authorization the owner has since replaced), with receipts
 *   its own witnesses sign for it; when no such route exists it withholds. It never supports the
 *   owner's newest route.
 * - `mode: block` — it submits nothing at all.
 *
 * What the protocol promises, with `q = quorum_bps / 10 000` (threat model, spec 00):
 *   share ≤ 1 − q   the honest rest still reaches quorum: updates finalize, the stale route cannot;
 *   1 − q < share < q   no route reaches quorum: updates stop (liveness), nothing wrong finalizes (safety);
 *   share ≥ q   the coalition finalizes the stale route — an owner-signed one, so the owner key is still
 *               what bounds it — but not the owner's newest (what `no_noncanonical_route_finalized` checks).
 *
 * Options: `mode`, `gossip` (also send its stale receipts to honest miners, default false),
 * `names` (default every name).
 */
import { equal } from "../../spec/src/bytes.ts"
import { booleanOption, stringOption, stringsOption, type Action, type PublishedRoute, type Strategy, type Tick } from "./Strategy.ts"

export default (options: Readonly<Record<string, unknown>>): Strategy => {
  const mode = stringOption(options, "mode", ["stale", "block"] as const, "stale")
  const gossip = booleanOption(options, "gossip", false)
  const only = stringsOption(options, "names")
  const receiptSlot = (E: bigint, tick: Tick) => E * tick.L + 5n
  return {
    description: "a stake coalition that pushes a replaced (stale) authorization and withholds support from the owner's newest route",
    beforeTick(ctx, tick) {
      // Its own witnesses sign the stale route for this epoch (once).
      if (mode !== "stale" || ctx.witnesses.length === 0) return []
      const actions: Action[] = []
      for (const n of ctx.names) {
        if (only.length > 0 && !only.includes(n.name)) continue
        const stale = staleRoute(ctx.chain.name(n.nameHash)?.serial ?? 0n, n.routes, tick.slot)
        if (stale === undefined || (ctx.miners[0]?.receipts(tick.epoch, n.nameHash, stale.routeHash).length ?? 0) > 0) continue
        const receipts = ctx.witnesses.map((w) => w.sign(tick.epoch, n.nameHash, stale.routeHash))
        actions.push({ kind: "receipts", to: ctx.miners.map((m) => m.label), receipts })
        if (gossip) actions.push({ kind: "receipts", to: "honest", receipts })
      }
      return actions
    },
    afterTick(ctx, tick) {
      const E = tick.epoch - 1n
      const actions: Action[] = []
      if (mode === "stale" && E >= 0n && tick.offset < tick.submitWindow)
        for (const m of ctx.miners) {
          if (!m.seated(E)) continue
          for (const n of ctx.names) {
            if ((only.length > 0 && !only.includes(n.name)) || m.hasSubmitted(E, n.nameHash)) continue
            // Stale as of the round's receipts: the owner had replaced it before honest witnesses signed.
            const stale = staleRoute(ctx.chain.name(n.nameHash)?.serial ?? 0n, n.routes, receiptSlot(E, tick))
            if (stale === undefined) continue
            const b = m.build(E, n.nameHash, stale.routeHash)
            if (b === undefined) continue
            actions.push(m.submit(b, `pushing replaced serial ${stale.serial}`), m.publish(b))
            ctx.count("stale_submissions")
          }
        }
      // Where it has nothing stale to push it withholds; it answers reveals like anyone would.
      for (const m of ctx.miners) actions.push(...m.answerReveals(tick.slot))
      return actions
    }
  }
}

/**
 * The oldest authorization the owner had replaced by `asOf` that is still above the canonical serial:
 * published by then, above canonical, and not the newest one published by then.
 */
export const staleRoute = (canonical: bigint, routes: readonly PublishedRoute[], asOf: bigint): PublishedRoute | undefined => {
  const known = routes.filter((r) => r.publishedSlot <= asOf)
  const newest = known.reduce<PublishedRoute | undefined>((a, r) => (a === undefined || r.serial > a.serial ? r : a), undefined)
  return known.filter((r) => r.serial > canonical && newest !== undefined && !equal(r.routeHash, newest.routeHash)).sort((a, b) => (a.serial < b.serial ? -1 : 1))[0]
}
