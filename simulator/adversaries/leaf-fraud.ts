/**
 * Miners that lie inside their Merkle-sum tree and publish it (so auditors can pin the bad leaf and
 * prove it without a reveal game), one per non-interactive bad-leaf proof [BLF-7..10]:
 *
 * - `inflator` — a leaf whose weight is not its witness's stake in the epoch (× `factor`, default 10),
 *   which inflates the aggregate's support: bad weight [BLF-7];
 * - `duplicator` — the same witness's receipt twice, adjacent: bad order [BLF-8];
 * - `mismatcher` — a leaf whose receipt is for another name (or another epoch) of the same witness:
 *   leaf mismatch [BLF-10].
 *
 * Options: `names` (default every name), `from_epoch` (default 1), `leaf` (index of the leaf to
 * corrupt, default 0), `factor` (inflator). Rounds it does not attack it follows honestly.
 */
import type { SignedReceipt } from "../../spec/src/aggregate.ts"
import { compare, equal } from "../../spec/src/bytes.ts"
import { leafOf } from "../../spec/src/aggregate.ts"
import { AdversaryMiner, type Built } from "./AdversaryMiner.ts"
import { numberOption, stringsOption, type Action, type NameInfo, type Strategy } from "./Strategy.ts"

type Kind = "inflator" | "duplicator" | "mismatcher"

const DESCRIPTIONS: Record<Kind, string> = {
  inflator: "puts a leaf with a weight other than its witness's stake in its tree (bad weight)",
  duplicator: "puts one witness's receipt in its tree twice (bad order)",
  mismatcher: "puts a witness's receipt for another name or epoch in its tree (leaf mismatch)"
}

/** The crafted tree for a round, or undefined when this round's receipts cannot carry the lie. */
const craft = (kind: Kind, m: AdversaryMiner, E: bigint, name: NameInfo, all: readonly NameInfo[], leafIndex: number, factor: number): Built | undefined => {
  const route = m.honestRoute(E, name.nameHash)
  if (route === undefined) return undefined
  const receipts = AdversaryMiner.sorted(m.receipts(E, name.nameHash, route.routeHash).filter((r) => m.stakeAt(r.receipt.witness, E) > 0n))
  if (receipts.length < 2) return undefined
  const i = Math.min(leafIndex, receipts.length - 1)
  switch (kind) {
    case "inflator": {
      const leaves = m.leavesFor(receipts, E, (r, j) => (j === i ? m.stakeAt(r.receipt.witness, E) * BigInt(Math.max(2, Math.round(factor))) : m.stakeAt(r.receipt.witness, E)))
      return m.fromLeaves(E, name.nameHash, route.routeHash, leaves, receipts)
    }
    case "duplicator": {
      const dup: SignedReceipt[] = [...receipts.slice(0, i + 1), receipts[i]!, ...receipts.slice(i + 1)]
      return m.fromLeaves(E, name.nameHash, route.routeHash, m.leavesFor(dup, E), dup)
    }
    case "mismatcher": {
      // The same witness's receipt for another name this epoch, or for this name last epoch.
      const w = receipts[i]!.receipt.witness
      let foreign: SignedReceipt | undefined
      for (const other of all) {
        if (equal(other.nameHash, name.nameHash)) continue
        foreign = m.receipts(E, other.nameHash).find((r) => equal(r.receipt.witness, w))
        if (foreign !== undefined) break
      }
      foreign ??= E > 0n ? m.receipts(E - 1n, name.nameHash).find((r) => equal(r.receipt.witness, w)) : undefined
      if (foreign === undefined) return undefined
      const mixed = receipts.map((r, j) => (j === i ? foreign! : r))
      // Still sorted by witness (same witness at i), weight still the true stake: only the contents lie.
      const leaves = mixed.map((r) => leafOf(r, m.stakeAt(r.receipt.witness, E)))
      if (leaves.some((l, j) => j > 0 && compare(leaves[j - 1]!.witness, l.witness) >= 0)) return undefined
      return m.fromLeaves(E, name.nameHash, route.routeHash, leaves, mixed)
    }
  }
}

const make =
  (kind: Kind) =>
  (options: Readonly<Record<string, unknown>>): Strategy => {
    const only = stringsOption(options, "names")
    const from = BigInt(numberOption(options, "from_epoch", 1))
    const leafIndex = numberOption(options, "leaf", 0)
    const factor = numberOption(options, "factor", 10)
    return {
      description: DESCRIPTIONS[kind],
      afterTick(ctx, tick) {
        const E = tick.epoch - 1n
        const attacked = (n: NameInfo) => E >= from && (only.length === 0 || only.includes(n.name))
        const actions: Action[] = []
        for (const m of ctx.miners) {
          const crafted: Action[] = []
          if (E >= 0n && tick.offset < tick.submitWindow && m.seated(E))
            for (const n of m.namesWithReceipts(E)) {
              if (!attacked(n) || m.hasSubmitted(E, n.nameHash)) continue
              const b = craft(kind, m, E, n, ctx.names, leafIndex, factor)
              if (b === undefined) continue
              crafted.push(m.submit(b, DESCRIPTIONS[kind]), m.publish(b))
              ctx.count("crafted_aggregates")
            }
          // Crafted rounds are skipped by `follow`: it has submitted them already.
          actions.push(...crafted, ...m.follow(tick, (n) => attacked(n) && m.hasSubmitted(E, n.nameHash)))
        }
        return actions
      }
    }
  }

export const inflator = make("inflator")
export const duplicator = make("duplicator")
export const mismatcher = make("mismatcher")
