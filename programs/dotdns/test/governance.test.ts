import { describe, expect, it } from "vitest"
import { CHANGE_KIND, MAX_ALLOWLIST, PROPOSAL_STATUS, type Change } from "../../../spec/src/accounts.ts"
import { equal } from "../../../spec/src/bytes.ts"
import { LOCALNET_PARAMS, PARAM } from "../../../spec/src/params.ts"
import { key } from "../../../spec/test/world.ts"
import { admin, miners, outsider, setup, witnesses } from "./fixture.ts"
import { Lockstep } from "./lockstep.ts"

const Z = new Uint8Array(32)
const setParam = (param: number, value: bigint): Change => ({ kind: CHANGE_KIND.setParam, param, value, key: Z })
const keyChange = (kind: number, k: Uint8Array): Change => ({ kind, param: 0, value: 0n, key: k })
const a = admin.publicKey

describe("governance", () => {
  it("checks proposals in the spec's order", () => {
    const l = setup()
    const now = l.state.config!.currentEpoch
    const eta = now + 2n
    const ok = [setParam(PARAM.roundReward, 5n)]
    l.expectError({ kind: "propose", proposer: outsider.publicKey, changes: ok, etaEpoch: eta }, "GOV-1")
    l.expectError({ kind: "propose", proposer: miners[0].publicKey, changes: [], etaEpoch: eta }, "GOV-1")
    l.expectError({ kind: "propose", proposer: a, changes: [], etaEpoch: eta }, "GOV-2")
    l.expectError({ kind: "propose", proposer: a, changes: [...ok, ...ok, ...ok, ...ok, ...ok], etaEpoch: eta }, "GOV-2")
    l.expectError({ kind: "propose", proposer: a, changes: [setParam(21, 1n)], etaEpoch: eta }, "GOV-3")
    l.expectError({ kind: "propose", proposer: a, changes: [setParam(PARAM.epochLengthSlots, 60n)], etaEpoch: eta }, "GOV-7")
    l.expectError({ kind: "propose", proposer: a, changes: [{ ...setParam(PARAM.roundReward, 1n), key: a }], etaEpoch: eta }, "GOV-3")
    l.expectError({ kind: "propose", proposer: a, changes: [{ ...keyChange(CHANGE_KIND.allowlistAdd, a), value: 1n }], etaEpoch: eta }, "GOV-3")
    l.expectError({ kind: "propose", proposer: a, changes: [{ ...keyChange(CHANGE_KIND.setAuthority, a), param: 1 }], etaEpoch: eta }, "GOV-3")
    l.expectError({ kind: "propose", proposer: a, changes: [keyChange(CHANGE_KIND.allowlistRemove, Z)], etaEpoch: eta }, "GOV-3")
    l.expectError({ kind: "propose", proposer: a, changes: [keyChange(9, a)], etaEpoch: eta }, "GOV-3")
    l.expectError({ kind: "propose", proposer: a, changes: [ok[0]!, setParam(40, 1n)], etaEpoch: eta }, "GOV-3")
    l.expectError({ kind: "propose", proposer: a, changes: ok, etaEpoch: eta - 1n }, "GOV-4")
    l.expectError({ kind: "propose", proposer: a, changes: [setParam(PARAM.minTimelockEpochs, 5n)], etaEpoch: now + 4n }, "GOV-4")
    l.run({ kind: "propose", proposer: a, changes: ok, etaEpoch: (1n << 64n) - 1n })
    l.run({ kind: "propose", proposer: a, changes: [setParam(PARAM.minTimelockEpochs, 5n)], etaEpoch: now + 5n })
  })

  it("rejects change sets with invalid outcomes", () => {
    const l = setup()
    const eta = l.state.config!.currentEpoch + 2n
    l.expectError({ kind: "propose", proposer: a, changes: [setParam(PARAM.quorumBps, 5000n)], etaEpoch: eta }, "GOV-8")
    l.expectError({ kind: "propose", proposer: a, changes: [setParam(PARAM.submitWindowSlots, 0n)], etaEpoch: eta }, "GOV-8")
    l.expectError({ kind: "propose", proposer: a, changes: [setParam(PARAM.committeeMode, 2n)], etaEpoch: eta }, "GOV-8")
    // quorum 5000 → 6000 in the same set is a valid outcome
    l.run({ kind: "propose", proposer: a, changes: [setParam(PARAM.quorumBps, 5000n), setParam(PARAM.quorumBps, 6000n)], etaEpoch: eta })
    expect(l.state.proposals.size).toBe(1)
  })

  it("bounds the allowlist at proposal and again at execution", () => {
    const l = new Lockstep()
    l.actor(admin)
    const extra = Array.from({ length: 34 }, (_, i) => key(`gov${i}`).publicKey)
    l.run({ kind: "initialize", authority: a, params: LOCALNET_PARAMS, allowlist: extra.slice(0, 30) })
    const now = l.state.config!.currentEpoch
    const add = (from: number, n: number) => extra.slice(from, from + n).map((k) => keyChange(CHANGE_KIND.allowlistAdd, k))
    l.expectError({ kind: "propose", proposer: a, changes: add(30, 3), etaEpoch: now + 2n }, "GOV-9")
    // adding a listed key is a no-op, and remove-then-add stays within bounds
    l.run({ kind: "propose", proposer: a, changes: [...add(0, 1), ...add(30, 2)], etaEpoch: now + 2n })
    l.run({
      kind: "propose",
      proposer: a,
      changes: [keyChange(CHANGE_KIND.allowlistRemove, extra[0]!), keyChange(CHANGE_KIND.allowlistRemove, extra[5]!), ...add(32, 2)],
      etaEpoch: now + 2n
    })
    l.run({ kind: "propose", proposer: a, changes: add(32, 2), etaEpoch: now + 2n })
    l.toEpoch(now + 2n)
    l.run({ kind: "execute", proposalId: 0n })
    l.toEpoch(now + 3n)
    expect(l.state.config!.allowlistCount).toBe(32)
    l.expectError({ kind: "execute", proposalId: 2n }, "GOV-9")
    l.run({ kind: "execute", proposalId: 1n })
    l.toEpoch(now + 4n)
    expect(l.state.config!.allowlistCount).toBe(32)
    expect(equal(l.state.config!.allowlist[0]!, extra[1]!)).toBe(true)
  })

  it("vetoes, executes after eta, activates at the next boundary", () => {
    const l = setup()
    const now = l.state.config!.currentEpoch
    const newcomer = key("newcomer").publicKey
    const changes = [setParam(PARAM.roundReward, 2_000_000n), keyChange(CHANGE_KIND.allowlistAdd, newcomer), keyChange(CHANGE_KIND.allowlistRemove, miners[2].publicKey), keyChange(CHANGE_KIND.setAuthority, outsider.publicKey)]
    l.run({ kind: "propose", proposer: a, changes, etaEpoch: now + 2n })
    l.run({ kind: "propose", proposer: a, changes: [setParam(PARAM.jailEpochs, 4n)], etaEpoch: now + 3n })
    l.expectError({ kind: "veto", voter: miners[0].publicKey, proposalId: 7n }, "GOV-10")
    l.expectError({ kind: "veto", voter: outsider.publicKey, proposalId: 1n }, "GOV-14")
    l.run({ kind: "veto", voter: witnesses[0].publicKey, proposalId: 1n })
    l.expectError({ kind: "veto", voter: witnesses[0].publicKey, proposalId: 1n }, "GOV-13")
    l.run({ kind: "veto", voter: miners[0].publicKey, proposalId: 1n })
    l.run({ kind: "veto", voter: miners[1].publicKey, proposalId: 1n })
    expect(l.state.proposals.get("1")!.status).toBe(PROPOSAL_STATUS.vetoed)
    l.expectError({ kind: "veto", voter: miners[2].publicKey, proposalId: 1n }, "GOV-11")
    l.expectError({ kind: "execute", proposalId: 1n }, "GOV-11")
    l.expectError({ kind: "execute", proposalId: 2n }, "GOV-10")
    l.expectError({ kind: "execute", proposalId: 0n }, "GOV-15")
    l.run({ kind: "veto", voter: witnesses[3].publicKey, proposalId: 0n })
    l.toEpoch(now + 2n)
    l.expectError({ kind: "veto", voter: witnesses[2].publicKey, proposalId: 0n }, "GOV-12")
    l.run({ kind: "execute", proposalId: 0n })
    l.expectError({ kind: "execute", proposalId: 0n }, "GOV-11")
    l.run({ kind: "propose", proposer: a, changes: [setParam(PARAM.jailEpochs, 3n)], etaEpoch: now + 4n })
    l.toEpoch(now + 3n)
    const c = l.state.config!
    expect(c.params[PARAM.roundReward]).toBe(2_000_000n)
    expect(equal(c.authority, outsider.publicKey)).toBe(true)
    expect(c.allowlistCount).toBe(3)
    expect(l.state.committees.get((now + 3n).toString())!.memberCount).toBe(2)
    l.toEpoch(now + 4n)
    l.run({ kind: "execute", proposalId: 2n })
    l.expectError({ kind: "propose", proposer: a, changes: [setParam(PARAM.jailEpochs, 3n)], etaEpoch: now + 9n }, "GOV-1")
    l.run({ kind: "propose", proposer: outsider.publicKey, changes: [setParam(PARAM.jailEpochs, 3n)], etaEpoch: now + 9n })
    l.toEpoch(now + 5n)
    expect(l.state.config!.params[PARAM.jailEpochs]).toBe(3n)
  })

  it("lets stake propose when proposal_threshold is set, and waits out one set at a time", () => {
    const params = LOCALNET_PARAMS.map((v, i) => (i === PARAM.proposalThreshold ? 3_000_000_000n : v))
    const l = setup({ params })
    const now = l.state.config!.currentEpoch
    l.expectError({ kind: "propose", proposer: witnesses[1].publicKey, changes: [setParam(PARAM.roundReward, 1n)], etaEpoch: now + 2n }, "GOV-1")
    l.run({ kind: "propose", proposer: witnesses[2].publicKey, changes: [setParam(PARAM.roundReward, 1n)], etaEpoch: now + 2n })
    l.run({ kind: "propose", proposer: miners[0].publicKey, changes: [setParam(PARAM.roundReward, 2n)], etaEpoch: now + 2n })
    l.toEpoch(now + 2n)
    l.run({ kind: "execute", proposalId: 0n })
    l.expectError({ kind: "execute", proposalId: 1n }, "GOV-16")
    l.toEpoch(now + 3n)
    l.run({ kind: "execute", proposalId: 1n })
    // a queued proposal expires as long after its eta as its own timelock lasted [GOV-17]
    l.run({ kind: "propose", proposer: miners[0].publicKey, changes: [setParam(PARAM.roundReward, 3n)], etaEpoch: now + 5n })
    l.toEpoch(now + 8n)
    l.expectError({ kind: "execute", proposalId: 2n }, "GOV-17")
    l.run({ kind: "propose", proposer: miners[0].publicKey, changes: [setParam(PARAM.roundReward, 3n)], etaEpoch: now + 10n })
    l.toEpoch(now + 12n)
    l.run({ kind: "execute", proposalId: 3n })
    // a timelock of five epochs keeps it executable five epochs after eta, though min_timelock_epochs is 2
    l.run({ kind: "propose", proposer: miners[0].publicKey, changes: [setParam(PARAM.roundReward, 4n)], etaEpoch: now + 17n })
    l.run({ kind: "propose", proposer: miners[0].publicKey, changes: [setParam(PARAM.roundReward, 5n)], etaEpoch: now + 17n })
    l.toEpoch(now + 22n)
    l.run({ kind: "execute", proposalId: 4n })
    l.toEpoch(now + 23n)
    l.expectError({ kind: "execute", proposalId: 5n }, "GOV-17")
  })
})
