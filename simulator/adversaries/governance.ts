/**
 * Governance attacker: holds the governance authority's key (give it `keys: [admin]`). The malicious
 * proposal itself is a timeline event (`propose: {id: evil, by: admin, …}`, so a reader sees exactly
 * what it changes); this strategy then tries to execute every queued proposal of the authority as
 * early as it can — before its eta (refused [GOV-15]) and after it (refused once vetoed [GOV-11]). It
 * shows that neither the authority nor anyone else can skip the timelock, and that a stake veto during
 * the timelock stops a proposal for good.
 *
 * Options: `every` — `tick` (default) or `epoch`: how often it tries.
 */
import { equal } from "../../spec/src/bytes.ts"
import { PROPOSAL_STATUS } from "../../spec/src/accounts.ts"
import { stringOption, type Action, type Strategy } from "./Strategy.ts"

export default (options: Readonly<Record<string, unknown>>): Strategy => {
  const every = stringOption(options, "every", ["tick", "epoch"] as const, "tick")
  const triedVetoed = new Set<bigint>()
  return {
    description: "holds the governance key and tries to execute its proposals before the timelock ends and after a veto",
    beforeTick(ctx, tick) {
      if (every === "epoch" && tick.phase !== "boundary") return []
      const admin = ctx.keys.get("admin")
      const config = ctx.chain.config()
      if (admin === undefined || config === undefined) return []
      const actions: Action[] = []
      for (let id = 0n; id < config.nextProposalId; id++) {
        const p = ctx.chain.proposal(id)
        if (p === undefined || !equal(p.proposer, admin.publicKey)) continue
        // Queued proposals, and vetoed ones once (to show the veto holds).
        if (p.status === PROPOSAL_STATUS.executed) continue
        if (p.status === PROPOSAL_STATUS.vetoed && triedVetoed.has(id)) continue
        actions.push({ kind: "op", as: "admin", op: { kind: "execute", proposalId: id }, note: config.currentEpoch < p.etaEpoch ? `execute before eta ${p.etaEpoch}` : `execute proposal ${id}` })
        ctx.count("execute_attempts")
        if (p.status === PROPOSAL_STATUS.vetoed) triedVetoed.add(id)
      }
      return actions
    }
  }
}
