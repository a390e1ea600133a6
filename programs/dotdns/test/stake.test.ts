import { describe, expect, it } from "vitest"
import { MAX_ALLOWLIST, MAX_MINERS } from "../../../spec/src/accounts.ts"
import { LOCALNET_PARAMS, PARAM, paramsOf } from "../../../spec/src/params.ts"
import { key } from "../../../spec/test/world.ts"
import { admin, challenger, miners, outsider, setup, witnesses } from "./fixture.ts"
import { Lockstep } from "./lockstep.ts"

const m1 = miners[0].publicKey
const w1 = witnesses[0].publicKey
const withParam = (name: keyof typeof PARAM, value: bigint) => LOCALNET_PARAMS.map((v, i) => (i === PARAM[name] ? value : v))

describe("initialize", () => {
  it("creates Config, Vault, MinerSet and the first committee once, with valid params and allowlist", () => {
    const l = new Lockstep()
    l.actor(admin)
    const keys = Array.from({ length: MAX_ALLOWLIST + 1 }, (_, i) => key(`allow${i}`).publicKey)
    l.warpTo(123n)
    l.expectError({ kind: "initialize", authority: admin.publicKey, params: withParam("quorumBps", 5000n), allowlist: [] }, "GOV-8")
    l.expectError({ kind: "initialize", authority: admin.publicKey, params: withParam("committeeSize", 33n), allowlist: [] }, "GOV-8")
    l.expectError({ kind: "initialize", authority: admin.publicKey, params: withParam("submitWindowSlots", 51n), allowlist: [] }, "GOV-8")
    l.expectError(
      { kind: "initialize", authority: admin.publicKey, params: LOCALNET_PARAMS.map((v, i) => (i === 22 ? 1n : v)), allowlist: [] },
      "GOV-8"
    )
    l.expectError({ kind: "initialize", authority: admin.publicKey, params: withParam("quorumBps", 5000n), allowlist: keys }, "GOV-8")
    l.expectError({ kind: "initialize", authority: admin.publicKey, params: LOCALNET_PARAMS, allowlist: keys }, "GOV-9")
    l.expectError({ kind: "initialize", authority: admin.publicKey, params: LOCALNET_PARAMS, allowlist: [m1, w1, m1] }, "GOV-9")
    l.run({ kind: "initialize", authority: admin.publicKey, params: LOCALNET_PARAMS, allowlist: keys.slice(0, MAX_ALLOWLIST) })
    expect(l.state.config!.currentEpoch).toBe(2n)
    expect(l.state.committees.has("2")).toBe(true)
    l.expectError({ kind: "initialize", authority: admin.publicKey, params: LOCALNET_PARAMS, allowlist: [] }, "ACC-9")
  })

  it("refuses every other operation before initialization", () => {
    const l = new Lockstep()
    for (const k of [admin, ...miners, ...witnesses]) l.actor(k)
    l.expectError({ kind: "minerBond", miner: m1, amount: 1n }, "ACC-7")
    l.expectError({ kind: "minerUnbond", miner: m1, amount: 1n }, "ACC-7")
    l.expectError({ kind: "minerWithdraw", miner: m1 }, "ACC-7")
    l.expectError({ kind: "unjail", miner: m1 }, "ACC-7")
    l.expectError({ kind: "witnessBond", witness: w1, amount: 1n }, "ACC-7")
    l.expectError({ kind: "witnessUnbond", witness: w1, amount: 1n }, "ACC-7")
    l.expectError({ kind: "witnessWithdraw", witness: w1 }, "ACC-7")
    l.expectError({ kind: "claim", who: m1, role: "miner" }, "ACC-7")
    l.expectError({ kind: "claim", who: w1, role: "witness" }, "STK-4")
    l.expectError({ kind: "fundPool", funder: m1, amount: 1n }, "ACC-7")
    l.expectError({ kind: "registerName", owner: m1, name: "a.dns" }, "ACC-7")
    l.expectError({ kind: "advanceEpoch" }, "ACC-7")
    l.expectError({ kind: "finalizeRound", epoch: 0n, nameHash: new Uint8Array(32) }, "ACC-7")
    l.expectError({ kind: "propose", proposer: admin.publicKey, changes: [], etaEpoch: 9n }, "ACC-7")
    l.expectError({ kind: "veto", voter: m1, proposalId: 0n }, "ACC-7")
    l.expectError({ kind: "execute", proposalId: 0n }, "ACC-7")
  })
})

describe("miner stake", () => {
  it("bonds, activates at the boundary, unbonds pending first, waits, withdraws and frees the seat", () => {
    const l = setup({ bare: true })
    l.expectError({ kind: "minerBond", miner: m1, amount: 0n }, "STK-1")
    l.expectError({ kind: "minerBond", miner: outsider.publicKey, amount: 999_999_999n }, "STK-11")
    l.run({ kind: "minerUnbond", miner: miners[2].publicKey, amount: 5_000_000_000n })
    l.expectError({ kind: "minerBond", miner: miners[2].publicKey, amount: 999_999_999n }, "STK-3")
    l.run({ kind: "minerBond", miner: miners[2].publicKey, amount: 1_000_000_000n })
    l.run({ kind: "minerBond", miner: m1, amount: 7n })
    l.expectError({ kind: "minerUnbond", miner: challenger.publicKey, amount: 1n }, "STK-4")
    l.expectError({ kind: "minerUnbond", miner: m1, amount: 0n }, "STK-5")
    l.expectError({ kind: "minerUnbond", miner: m1, amount: 5_000_000_008n }, "STK-5")
    l.expectError({ kind: "minerUnbond", miner: m1, amount: 4_500_000_000n }, "STK-3")
    l.toEpoch(3n)
    expect(l.state.minerSet!.entries[0]!.active).toBe(5_000_000_007n)
    l.run({ kind: "minerBond", miner: m1, amount: 3n })
    l.run({ kind: "minerUnbond", miner: m1, amount: 10n }) // 3 from pending, 7 from active
    l.expectError({ kind: "minerWithdraw", miner: miners[1].publicKey }, "STK-6")
    l.expectError({ kind: "minerWithdraw", miner: m1 }, "STK-6")
    l.expectError({ kind: "minerWithdraw", miner: challenger.publicKey }, "STK-4")
    l.run({ kind: "minerUnbond", miner: miners[2].publicKey, amount: 1_000_000_000n })
    l.toEpoch(6n)
    l.run({ kind: "minerWithdraw", miner: m1 })
    expect(l.state.minerSet!.count).toBe(3)
    l.run({ kind: "minerWithdraw", miner: miners[2].publicKey })
    expect(l.state.minerSet!.count).toBe(2)
    l.expectError({ kind: "minerWithdraw", miner: miners[2].publicKey }, "STK-4")
    // a second withdrawal from the middle of the set keeps the order of the rest
    l.run({ kind: "minerBond", miner: miners[2].publicKey, amount: 1_000_000_000n })
    l.run({ kind: "minerUnbond", miner: miners[1].publicKey, amount: 5_000_000_000n })
    l.toEpoch(9n)
    l.run({ kind: "minerWithdraw", miner: miners[1].publicKey })
    expect(l.state.minerSet!.count).toBe(2)
  })

  it("caps the miner set, which in allowlist mode only allowlisted keys enter", () => {
    const stakeMode = LOCALNET_PARAMS.map((v, i) => (i === PARAM.committeeMode ? 1n : v))
    const l = setup({ bare: true, params: stakeMode })
    for (let i = 3; i < MAX_MINERS; i++) l.run({ kind: "minerBond", miner: l.actor(key(`extra${i}`)).publicKey, amount: 1_000_000_000n })
    l.expectError({ kind: "minerBond", miner: outsider.publicKey, amount: 1_000_000_000n }, "STK-2")
    l.run({ kind: "minerBond", miner: m1, amount: 1n })
    l.toEpoch(3n)
    expect(l.state.committees.get("3")!.memberCount).toBe(3)
  })
})

describe("witness stake", () => {
  it("checkpoints the next epoch's stake, keeps four, unbonds and withdraws", () => {
    const l = setup({ bare: true })
    l.expectError({ kind: "witnessBond", witness: w1, amount: 0n }, "STK-1")
    l.expectError({ kind: "witnessBond", witness: outsider.publicKey, amount: 99_999_999n }, "STK-3")
    l.run({ kind: "witnessBond", witness: w1, amount: 5n }) // same epoch: the last checkpoint grows
    for (let e = 3n; e <= 8n; e++) {
      l.toEpoch(e)
      l.run({ kind: "witnessBond", witness: w1, amount: e })
    }
    expect(l.state.witnesses.get(Buffer.from(w1).toString("hex"))!.checkpointCount).toBe(4)
    l.expectError({ kind: "witnessUnbond", witness: outsider.publicKey, amount: 1n }, "STK-4")
    l.expectError({ kind: "witnessUnbond", witness: w1, amount: 0n }, "STK-5")
    l.expectError({ kind: "witnessUnbond", witness: w1, amount: 2_000_000_000n }, "STK-5")
    l.expectError({ kind: "witnessUnbond", witness: w1, amount: 950_000_000n }, "STK-3")
    l.expectError({ kind: "witnessWithdraw", witness: w1 }, "STK-6")
    l.expectError({ kind: "witnessWithdraw", witness: outsider.publicKey }, "STK-4")
    l.run({ kind: "witnessUnbond", witness: w1, amount: 1_000_000_038n })
    l.expectError({ kind: "witnessWithdraw", witness: w1 }, "STK-6")
    l.toEpoch(11n)
    l.run({ kind: "witnessWithdraw", witness: w1 })
    l.run({ kind: "witnessBond", witness: w1, amount: 100_000_000n })
  })
})

describe("pool and claims", () => {
  it("funds the pool and refuses empty claims", () => {
    const l = setup({ bare: true })
    l.expectError({ kind: "fundPool", funder: admin.publicKey, amount: 0n }, "RWD-7")
    l.run({ kind: "fundPool", funder: admin.publicKey, amount: 1n })
    l.expectError({ kind: "claim", who: m1, role: "miner" }, "RWD-6")
    l.expectError({ kind: "claim", who: w1, role: "witness" }, "RWD-6")
    l.expectError({ kind: "claim", who: outsider.publicKey, role: "miner" }, "STK-4")
    l.expectError({ kind: "claim", who: outsider.publicKey, role: "witness" }, "STK-4")
  })

  it("keeps lamports exact with a stake-mode committee larger than K", () => {
    const params = paramsOf({
      ...Object.fromEntries(Object.entries(PARAM).map(([k, i]) => [k, LOCALNET_PARAMS[i]!])),
      committeeMode: 1n,
      committeeSize: 2n
    } as Record<keyof typeof PARAM, bigint>)
    const l = setup({ bare: true, params })
    l.run({ kind: "minerBond", miner: outsider.publicKey, amount: 9_000_000_000n })
    for (let e = 3n; e < 8n; e++) {
      l.toEpoch(e)
      expect(l.state.committees.get(e.toString())!.memberCount).toBe(2)
    }
  })
})
