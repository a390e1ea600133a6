/**
 * Forger: a coalition that tries to finalize a route the owner never signed. It builds a route record
 * in the owner's name with its own address, signs the route authorization with its own key (not the
 * owner's), has its witnesses sign receipts for it, and submits it with that authorization; it also
 * serves the forged record to clients. The Ed25519 program rejects the authorization [SIG-1, RND-5],
 * however much stake the coalition holds, and clients reject the record [CLI-2].
 *
 * Scenarios using it must declare `needs: [signature-checks]`: solana-bankrun does not verify
 * Ed25519-program signatures, so there the forgery would pass and the run is reported not applicable.
 *
 * Options: `a` (the address it routes the name to, default 6.6.6.6), `names` (default every name).
 */
import { sign } from "../../spec/src/ed25519.ts"
import { encodeRouteRecord, RECORD_TYPE, routeAuthDigest, routeAuthOf, routeHash, type RouteRecord } from "../../spec/src/objects.ts"
import { stringsOption, type Action, type NameInfo, type PublishedRoute, type Strategy, type StrategyContext } from "./Strategy.ts"

export default (options: Readonly<Record<string, unknown>>): Strategy => {
  const a = typeof options["a"] === "string" ? options["a"] : "6.6.6.6"
  const only = stringsOption(options, "names")
  const forged = new Map<string, PublishedRoute>()
  const forgery = (ctx: StrategyContext, n: NameInfo): PublishedRoute | undefined => {
    const signer = ctx.miners[0]?.keypair
    const name = ctx.chain.name(n.nameHash)
    if (signer === undefined || name === undefined) return undefined
    const serial = n.routes.reduce((s, r) => (r.serial > s ? r.serial : s), name.serial) + 1n
    const key = `${n.name}/${serial}`
    const hit = forged.get(key)
    if (hit !== undefined) return hit
    const record: RouteRecord = { name: n.name, serial, ttl: 300, records: [{ type: RECORD_TYPE.A, data: Uint8Array.from(a.split(".").map(Number)) }], owner: name.owner }
    const route: PublishedRoute = {
      name: n.name,
      nameHash: n.nameHash,
      record,
      encoding: encodeRouteRecord(record),
      signature: sign(signer, routeAuthDigest(routeAuthOf(record))),
      routeHash: routeHash(record),
      serial,
      publishedSlot: ctx.chain.slot
    }
    forged.set(key, route)
    return route
  }
  return {
    description: "submits a route the owner never signed, with a forged owner authorization (needs signature checks)",
    beforeTick(ctx, tick) {
      const actions: Action[] = []
      if (tick.phase !== "boundary" && tick.offset !== 5n) return actions
      for (const n of ctx.names) {
        if (only.length > 0 && !only.includes(n.name)) continue
        const f = forgery(ctx, n)
        if (f === undefined || (ctx.miners[0]?.receipts(tick.epoch, n.nameHash, f.routeHash).length ?? 0) > 0) continue
        actions.push({ kind: "receipts", to: ctx.miners.map((m) => m.label), receipts: ctx.witnesses.map((w) => w.sign(tick.epoch, n.nameHash, f.routeHash)) })
      }
      return actions
    },
    afterTick(ctx, tick) {
      const E = tick.epoch - 1n
      const actions: Action[] = []
      if (E < 0n || tick.offset >= tick.submitWindow) return actions
      for (const m of ctx.miners) {
        if (!m.seated(E)) continue
        for (const n of ctx.names) {
          if ((only.length > 0 && !only.includes(n.name)) || m.hasSubmitted(E, n.nameHash)) continue
          const f = [...forged.values()].find((r) => r.name === n.name && m.receipts(E, n.nameHash, r.routeHash).length > 0)
          if (f === undefined) continue
          const b = m.build(E, n.nameHash, f.routeHash)
          if (b === undefined) continue
          actions.push(m.submit(b, `forged authorization of serial ${f.serial}`, { serial: f.serial, owner: f.record.owner, signature: f.signature }), m.publish(b))
          ctx.count("forged_submissions")
        }
      }
      return actions
    },
    serveRoute(ctx, _miner, name) {
      const f = [...forged.values()].filter((r) => r.name === name.name).pop()
      if (f !== undefined) ctx.count("forged_records_served")
      return f
    }
  }
}
