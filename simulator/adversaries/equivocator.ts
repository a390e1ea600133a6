/**
 * Equivocator: a committee member that says two different things about one round [EQV-1].
 *
 * - `mode: onchain` — submits its aggregate, then a second, different statement for the same round.
 *   The program slashes it at once, strips the first aggregate, and does not count the second [EQV-2].
 * - `mode: offchain` — submits one statement and serves a different signed statement from its audit
 *   API. An honest watcher that fetches it proves equivocation with that one statement against the
 *   on-chain one [EQV-7].
 * - `mode: offchain-pair` — submits nothing; its API serves one signed statement, then another. A
 *   watcher that saw both proves it with the two statements, leaving a marker [EQV-5, EQV-6].
 *
 * Options: `mode` (default onchain), `names` (default every name), `from_epoch` (first round it
 * equivocates in, default 1). Rounds it does not attack it follows honestly.
 */
import type { AdversaryMiner, Built } from "./AdversaryMiner.ts"
import { numberOption, stringOption, stringsOption, type Action, type Strategy } from "./Strategy.ts"

/**
 * A second statement for the same round: the tree without its last leaf (another root and support),
 * or, for a one-leaf tree, the same tree under another batch CID.
 */
const variant = (miner: AdversaryMiner, b: Built, tag: number): Built =>
  b.leaves.length > 1
    ? miner.fromLeaves(b.statement.epoch, b.statement.nameHash, b.statement.routeHash, b.leaves.slice(0, -1), b.receipts.slice(0, -1))
    : miner.fromLeaves(b.statement.epoch, b.statement.nameHash, b.statement.routeHash, b.leaves, b.receipts, Uint8Array.of(0x01, 0x55, 0x12, 0x20, tag))

export default (options: Readonly<Record<string, unknown>>): Strategy => {
  const mode = stringOption(options, "mode", ["onchain", "offchain", "offchain-pair"] as const, "onchain")
  const only = stringsOption(options, "names")
  const from = BigInt(numberOption(options, "from_epoch", 1))
  const second = new Map<string, Built>()
  return {
    description: "signs two different statements for one round: on chain (slashed at once) or off chain (proved by a watcher)",
    afterTick(ctx, tick) {
      const E = tick.epoch - 1n
      const actions: Action[] = []
      const attacked = (name: string) => E >= from && (only.length === 0 || only.includes(name))
      for (const m of ctx.miners) {
        actions.push(...m.follow(tick, (n) => attacked(n.name)))
        if (E < 0n || tick.offset >= tick.submitWindow) continue
        for (const n of m.namesWithReceipts(E)) {
          if (!attacked(n.name)) continue
          const key = `${m.label}/${E}/${n.name}`
          if (mode === "offchain-pair") {
            // First tick: serve A. A later tick: serve B instead (watchers keep both).
            const pending = second.get(key)
            if (pending !== undefined) {
              actions.push(m.publish(pending))
              second.delete(key)
              ctx.count("statements_published")
              continue
            }
            if (m.hasPublished(E, n.nameHash)) continue
            const route = m.honestRoute(E, n.nameHash)
            const a = route === undefined ? undefined : m.build(E, n.nameHash, route.routeHash)
            if (a === undefined) continue
            actions.push(m.publish(a), { kind: "note", text: "serving statement A; B follows next tick", data: { miner: m.label, name: n.name, round: Number(E) } })
            second.set(key, variant(m, a, 2))
            ctx.count("statements_published")
            continue
          }
          if (m.hasSubmitted(E, n.nameHash) || !m.seated(E)) continue
          const route = m.honestRoute(E, n.nameHash)
          const a = route === undefined ? undefined : m.build(E, n.nameHash, route.routeHash)
          if (a === undefined) continue
          const b = variant(m, a, 1)
          if (mode === "onchain") {
            actions.push(m.submit(a, "first statement"), m.publish(a), { kind: "op", as: m.label, op: m.submitOp(b, null), note: "second, different statement for the same round" })
            ctx.count("double_submissions")
          } else {
            actions.push(m.submit(a, "on-chain statement"), m.publish(b), { kind: "note", text: "serving a different signed statement than the one on chain", data: { miner: m.label, name: n.name, round: Number(E) } })
            ctx.count("conflicting_statements_served")
          }
        }
      }
      return actions
    }
  }
}
