/**
 * Withholder: submits an aggregate, serves its statement but never its leaves or proofs, and ignores
 * reveal challenges. Honest watchers cannot pin a leaf, so they open a reveal [RVL-1]; nobody answers
 * before the deadline, and the settled challenge is upheld: slash, jail, strip [RVL-10].
 *
 * With `invent: true` the aggregate's leaves are invented (random receipt hashes and weights, which it
 * could never back with a signed receipt) — the case reveals exist for. Without it the leaves are
 * honest: withholding alone is punished the same way, because silence is guilt.
 *
 * Options: `invent` (default false), `names` (default every name), `from_epoch` (default 1).
 */
import { H } from "../../spec/src/hash.ts"
import type { Leaf } from "../../spec/src/objects.ts"
import { compare } from "../../spec/src/bytes.ts"
import { booleanOption, numberOption, stringsOption, type Action, type NameInfo, type Strategy } from "./Strategy.ts"

export default (options: Readonly<Record<string, unknown>>): Strategy => {
  const invent = booleanOption(options, "invent", false)
  const only = stringsOption(options, "names")
  const from = BigInt(numberOption(options, "from_epoch", 1))
  return {
    description: "serves no leaves and ignores reveal challenges (optionally over invented leaves)",
    afterTick(ctx, tick) {
      const E = tick.epoch - 1n
      const attacked = (n: NameInfo) => E >= from && (only.length === 0 || only.includes(n.name))
      const actions: Action[] = []
      for (const m of ctx.miners) {
        if (E >= from) actions.push({ kind: "withhold", miner: m.label })
        if (E >= 0n && tick.offset < tick.submitWindow && m.seated(E))
          for (const n of m.namesWithReceipts(E)) {
            if (!attacked(n) || m.hasSubmitted(E, n.nameHash)) continue
            const route = m.honestRoute(E, n.nameHash)
            if (route === undefined) continue
            let b = m.build(E, n.nameHash, route.routeHash)
            if (b === undefined) continue
            if (invent) {
              // As many leaves again as it has, for witnesses that never signed: support it cannot back.
              const fake: Leaf[] = b.leaves.map((l, i) => ({ receiptHash: H("dotdns/sim/invented", ctx.rng.bytes32()), witness: H("dotdns/sim/ghost", Uint8Array.of(i), ctx.rng.bytes32()), weight: l.weight }))
              const leaves = [...b.leaves, ...fake].sort((x, y) => compare(x.witness, y.witness))
              const receipts = leaves.map((l) => b!.receipts[b!.leaves.indexOf(l)] ?? null)
              b = m.fromLeaves(E, n.nameHash, route.routeHash, leaves, receipts)
            }
            actions.push(m.submit(b, invent ? "aggregate over invented leaves" : "aggregate it will not reveal"), m.publish(b))
            ctx.count("withheld_aggregates")
          }
        // It answers nothing: no `answerReveals`. Rounds it leaves alone it submits honestly.
        if (E >= 0n && tick.offset < tick.submitWindow && m.seated(E))
          for (const n of m.namesWithReceipts(E)) {
            if (attacked(n) || m.hasSubmitted(E, n.nameHash)) continue
            const route = m.honestRoute(E, n.nameHash)
            const b = route === undefined ? undefined : m.build(E, n.nameHash, route.routeHash)
            if (b !== undefined) actions.push(m.submit(b), m.publish(b))
          }
      }
      return actions
    }
  }
}
