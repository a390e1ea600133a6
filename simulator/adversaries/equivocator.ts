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
 * - `mode: offchain-switch` — submits one statement and serves it, so a first audit finds the API
 *   agreeing with the chain; a tick later it serves a different signed statement instead. A watcher
 *   that notices the new statement proves it against the on-chain one [EQV-7].
 *
 * `vary` says what differs in the second statement: `tree` (default) drops the last leaf — another
 * root and support (a one-leaf tree gets another batch CID instead); `batch_cid` keeps the leaves, the
 * root, the support and the count and changes only the batch CID, which a summary of the statement
 * that leaves the CID out cannot show: only its digest differs [EQV-1].
 *
 * Options: `mode` (default onchain), `vary` (default tree), `names` (default every name), `from_epoch`
 * (first round it equivocates in, default 1). Rounds it does not attack it follows honestly.
 */
import { H } from "../../spec/src/hash.ts"
import type { AdversaryMiner, Built } from "./AdversaryMiner.ts"
import { numberOption, stringOption, stringsOption, type Action, type Strategy } from "./Strategy.ts"

/** A CIDv1 (dag-cbor, sha2-256) of a batch that does not exist: another `batch_cid` for the same tree. */
const otherCid = (tag: number): Uint8Array => Uint8Array.of(0x01, 0x71, 0x12, 0x20, ...H("dotdns/sim/other-batch", Uint8Array.of(tag)))

/**
 * A second statement for the same round: the tree without its last leaf (another root and support),
 * or the same tree under another batch CID (`batch_cid`, and any one-leaf tree).
 */
const variant = (miner: AdversaryMiner, b: Built, tag: number, vary: "tree" | "batch_cid"): Built =>
  vary === "tree" && b.leaves.length > 1
    ? miner.fromLeaves(b.statement.epoch, b.statement.nameHash, b.statement.routeHash, b.leaves.slice(0, -1), b.receipts.slice(0, -1))
    : miner.fromLeaves(b.statement.epoch, b.statement.nameHash, b.statement.routeHash, b.leaves, b.receipts, otherCid(tag))

export default (options: Readonly<Record<string, unknown>>): Strategy => {
  const mode = stringOption(options, "mode", ["onchain", "offchain", "offchain-pair", "offchain-switch"] as const, "onchain")
  const vary = stringOption(options, "vary", ["tree", "batch_cid"] as const, "tree")
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
          // The switching modes: a first tick serves A, a later one serves B instead (watchers keep both).
          const pending = second.get(key)
          if (pending !== undefined) {
            actions.push(m.publish(pending))
            if (mode === "offchain-switch")
              actions.push({ kind: "note", text: `serving statement B instead of the submitted one (${vary === "batch_cid" ? "only the batch CID differs" : "another tree"})`, data: { miner: m.label, name: n.name, round: Number(E) } })
            second.delete(key)
            ctx.count(mode === "offchain-switch" ? "conflicting_statements_served" : "statements_published")
            continue
          }
          if (mode === "offchain-pair") {
            if (m.hasPublished(E, n.nameHash)) continue
            const route = m.honestRoute(E, n.nameHash)
            const a = route === undefined ? undefined : m.build(E, n.nameHash, route.routeHash)
            if (a === undefined) continue
            actions.push(m.publish(a), { kind: "note", text: "serving statement A; B follows next tick", data: { miner: m.label, name: n.name, round: Number(E) } })
            second.set(key, variant(m, a, 2, vary))
            ctx.count("statements_published")
            continue
          }
          if (m.hasSubmitted(E, n.nameHash) || !m.seated(E)) continue
          const route = m.honestRoute(E, n.nameHash)
          const a = route === undefined ? undefined : m.build(E, n.nameHash, route.routeHash)
          if (a === undefined) continue
          const b = variant(m, a, 1, vary)
          if (mode === "offchain-switch") {
            actions.push(m.submit(a, "on-chain statement"), m.publish(a), { kind: "note", text: "serving the submitted statement; a different one follows next tick", data: { miner: m.label, name: n.name, round: Number(E) } })
            second.set(key, b)
            continue
          }
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
