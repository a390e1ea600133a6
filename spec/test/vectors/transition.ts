/**
 * Transition vectors [ACC-8]: `apply` traces from a pre-state through steps to a post-state. Every op
 * kind's success path, every rule the transition rejects with, and the scenarios a protocol lives by.
 * Each trace is played on a `World` first, so a step that does not do what the generator says fails
 * here, not in a client.
 */
import { hex } from "../../src/bytes.ts"
import { U64_MAX } from "../../src/codec.ts"
import { sign, type Keypair } from "../../src/ed25519.ts"
import { checkInvariants } from "../../src/invariants.ts"
import { opToJson, stateToJson } from "../../src/json.ts"
import { aggregateDigest, receiptDigest, type AggregateStatement, type Leaf } from "../../src/objects.ts"
import { ROUND_STATUS, type Change } from "../../src/accounts.ts"
import type { Op } from "../../src/ops.ts"
import { LOCALNET_PARAMS, PARAM, type Params, type ParamName } from "../../src/params.ts"
import type { RuleId } from "../../src/rules.ts"
import type { SignedReceipt } from "../../src/aggregate.ts"
import { Cases } from "./case.ts"
import {
  admin, ALPHA, alphaRoute, BETA, betaRoute, byWitness, custom, honest, initOp, key, leafOfReceipt, m1, m2, m3, m4, MINER_STAKE, nameHash, o1, o2,
  outsider, pinOp, receipt, refOf, route, routeHash, setup, signed, submitOp, w1, w2, w3, w4, w5, World, type SignedRoute
} from "./scenario.ts"

const E = 2n
const zero32 = new Uint8Array(32)
const SOL = 1_000_000_000n

const withParams = (changes: Partial<Record<ParamName, bigint>>): Params => {
  const p = [...LOCALNET_PARAMS]
  for (const [k, v] of Object.entries(changes) as [ParamName, bigint][]) p[PARAM[k]] = v
  return p
}

const roundOf = (w: World, epoch: bigint, name: string) => w.state.rounds.get(`${epoch}/${hex(nameHash(name))}`)!
const setParam = (param: ParamName, value: bigint): Change => ({ kind: 0, param: PARAM[param], value, key: zero32 })
const keyChange = (kind: 1 | 2 | 3, k: Keypair): Change => ({ kind, param: 0, value: 0n, key: k.publicKey })

/** The world at the start of epoch 2's submit window (slot 151), crank run. */
const inWindow = (params?: Params): World => {
  const w = setup(params)
  w.toEpoch(3n, 1n)
  return w
}

/** All three members submit the honest aggregate of w1..w4 for alpha.dns serial 1 (epoch 2). */
const fullSubmit = (w: World, r: SignedRoute = alphaRoute()) => {
  const aggs = [m1, m2, m3].map((m) => honest(w, m, [w1, w2, w3, w4], E, r))
  aggs.forEach((a, i) => w.run(submitOp(a, i === 0 ? r : null)))
  return aggs
}

export const transitionCases = (): Cases => {
  const c = new Cases("transition")

  /** Records the steps `body` applies to `world` (a fresh one when null) as an `apply` vector. */
  const trace = (name: string, rules: readonly RuleId[], description: string, world: World | null, body: (w: World) => void): void => {
    const w = world ?? new World()
    const start = w.log.length
    const empty = w.state.config === undefined && w.state.minerSet === undefined && w.state.wallets.size === 0
    const pre = empty ? null : stateToJson(w.state)
    body(w)
    const log = w.log.slice(start)
    if (log.length === 0) throw new Error(`transition/${name}: no steps`)
    const stepRules = log.flatMap((l) => (l.error === undefined ? [] : [l.error.rule as RuleId]))
    const cited = [...new Set([...rules, ...stepRules])]
    const bad = checkInvariants(w.state)
    if (bad.length > 0) throw new Error(`transition/${name}: invariants broken: ${bad.join("; ")}`)
    const steps = log.map(({ step }) => ({ slot: step.slot.toString(), op: opToJson(step.op) }))
    c.add(name, "apply", cited, description, { pre, steps }, undefined, log.map((l) => (l.error?.rule as RuleId | undefined) ?? null))
  }
  const accept = (name: string, rules: readonly RuleId[], description: string, world: World | null, op: Op | ((w: World) => Op)) =>
    trace(name, rules, description, world, (w) => void w.run(typeof op === "function" ? op(w) : op))
  const reject = (name: string, rule: RuleId, description: string, world: World | null, op: Op | ((w: World) => Op), more: readonly RuleId[] = []) =>
    trace(name, [rule, ...more.filter((r) => r !== rule)], description, world, (w) => void w.expectError(typeof op === "function" ? op(w) : op, rule))

  initialization(trace, accept, reject)
  stake(trace, accept, reject)
  names(accept, reject)
  epochs(trace, accept, reject)
  rounds(trace, accept, reject)
  equivocation(trace, accept, reject)
  badLeaves(trace, accept, reject)
  reveals(trace, reject)
  governance(trace, accept, reject)
  rewards(trace, accept, reject)
  return c
}

type Trace = (name: string, rules: readonly RuleId[], description: string, world: World | null, body: (w: World) => void) => void
type Accept = (name: string, rules: readonly RuleId[], description: string, world: World | null, op: Op | ((w: World) => Op)) => void
type Reject = (name: string, rule: RuleId, description: string, world: World | null, op: Op | ((w: World) => Op), more?: readonly RuleId[]) => void

// ------------------------------------------------------------------------------------------- initialize

const initialization = (trace: Trace, accept: Accept, reject: Reject): void => {
  accept("initialize", ["ACC-9", "CMT-1", "GOV-8"], "initialize at slot 0: Config, MinerSet and the committee of epoch 0", null, initOp())
  trace("initialize-later-epoch", ["ACC-9", "EPC-1", "CMT-1"], "initialize at slot 175: the protocol starts in epoch 3", null, (w) => {
    w.warpTo(175n)
    w.run(initOp())
  })
  const inited = () => {
    const w = new World()
    w.run(initOp())
    return w
  }
  reject("initialize-twice", "ACC-9", "a second initialize", inited(), initOp())
  reject("initialize-quorum-5000", "GOV-8", "quorum_bps 5000 would let two routes reach quorum", null, initOp(withParams({ quorumBps: 5000n })), ["QRM-3"])
  reject("initialize-submit-window-zero", "GOV-8", "submit_window_slots 0", null, initOp(withParams({ submitWindowSlots: 0n })))
  reject("initialize-windows-too-long", "GOV-8", "submit + challenge + response windows longer than two epochs", null, initOp(withParams({ challengeWindowSlots: 71n })), ["STK-7"])
  reject("initialize-unbonding-2", "GOV-8", "unbonding_epochs 2 is shorter than a challenge can take", null, initOp(withParams({ unbondingEpochs: 2n })), ["STK-7"])
  reject("initialize-committee-33", "GOV-8", "committee_size 33", null, initOp(withParams({ committeeSize: 33n })))
  reject("initialize-mode-2", "GOV-8", "committee_mode 2", null, initOp(withParams({ committeeMode: 2n })))
  const reserved = [...LOCALNET_PARAMS]
  reserved[22] = 1n
  reject("initialize-reserved-param", "GOV-8", "a reserved parameter slot is not zero", null, initOp(reserved), ["ACC-3"])
  reject("initialize-duplicate-allowlist", "GOV-9", "the allowlist names m1 twice", null, initOp(LOCALNET_PARAMS, [m1, m2, m1]))
  reject("initialize-allowlist-33", "GOV-9", "an allowlist of 33 keys", null, initOp(LOCALNET_PARAMS, Array.from({ length: 33 }, (_, i) => key(`x${i}`))))
  reject("not-initialized", "ACC-7", "a bond before initialize", null, { kind: "minerBond", miner: m1.publicKey, amount: MINER_STAKE })
  reject("not-initialized-advance", "ACC-7", "an epoch crank before initialize", null, { kind: "advanceEpoch" })
}

// ------------------------------------------------------------------------------------------------ stake

const stake = (trace: Trace, accept: Accept, reject: Reject): void => {
  const x = key("x-new")
  accept("miner_bond-new", ["STK-1", "STK-3", "STK-9", "STK-11"], "allowlisted m4 bonds: pending until the next boundary", setup(), { kind: "minerBond", miner: m4.publicKey, amount: 2n * SOL })
  accept("miner_bond-top-up", ["STK-9"], "m1 adds one SOL, pending", setup(), { kind: "minerBond", miner: m1.publicKey, amount: SOL })
  reject("miner_bond-zero", "STK-1", "a bond of zero lamports", setup(), { kind: "minerBond", miner: m1.publicKey, amount: 0n })
  reject("miner_bond-below-minimum", "STK-3", "a new miner bonds half the minimum", setup(), { kind: "minerBond", miner: m4.publicKey, amount: SOL / 2n })
  reject("miner_bond-not-allowlisted", "STK-11", "in allowlist mode a key off the allowlist cannot open an entry", setup(), { kind: "minerBond", miner: x.publicKey, amount: 2n * SOL })
  reject("miner_bond-overflow", "ACC-6", "a bond of 2^64 − 1 lamports overflows the vault", setup(), { kind: "minerBond", miner: m4.publicKey, amount: U64_MAX })
  const full = new World(withParams({ committeeMode: 1n }))
  full.run(initOp(withParams({ committeeMode: 1n }), []))
  for (let i = 0; i < 32; i++) full.run({ kind: "minerBond", miner: key(`x${i}`).publicKey, amount: SOL })
  reject("miner_bond-set-full", "STK-2", "a 33rd miner (stake mode: anyone may bond)", full, { kind: "minerBond", miner: x.publicKey, amount: SOL })
  accept("miner_bond-set-full-top-up", ["STK-2"], "a miner already in a full set tops up", full, { kind: "minerBond", miner: key("x7").publicKey, amount: SOL })

  accept("miner_unbond", ["STK-5", "STK-6"], "m1 unbonds 1 SOL of its active stake", setup(), { kind: "minerUnbond", miner: m1.publicKey, amount: SOL })
  accept("miner_unbond-all", ["STK-3", "STK-5"], "m3 unbonds everything", setup(), { kind: "minerUnbond", miner: m3.publicKey, amount: MINER_STAKE })
  trace("miner_unbond-pending-first", ["STK-5", "STK-9"], "pending stake is released before active stake", setup(), (w) => {
    w.run({ kind: "minerBond", miner: m1.publicKey, amount: 2n * SOL })
    w.run({ kind: "minerUnbond", miner: m1.publicKey, amount: 3n * SOL })
  })
  reject("miner_unbond-unknown", "STK-4", "unbond by a key with no stake", setup(), { kind: "minerUnbond", miner: x.publicKey, amount: SOL })
  reject("miner_unbond-zero", "STK-5", "unbond zero", setup(), { kind: "minerUnbond", miner: m1.publicKey, amount: 0n })
  reject("miner_unbond-too-much", "STK-5", "unbond more than bonded", setup(), { kind: "minerUnbond", miner: m1.publicKey, amount: MINER_STAKE + 1n })
  reject("miner_unbond-below-minimum", "STK-3", "unbond leaving half the minimum", setup(), { kind: "minerUnbond", miner: m1.publicKey, amount: MINER_STAKE - SOL / 2n })
  trace("miner_withdraw-timing", ["STK-6", "STK-7"], "m3 unbonds everything in epoch 2: withdraw fails in epochs 3 and 4, succeeds at epoch 5 and frees its entry", setup(), (w) => {
    w.run({ kind: "minerUnbond", miner: m3.publicKey, amount: MINER_STAKE })
    w.toEpoch(3n)
    w.expectError({ kind: "minerWithdraw", miner: m3.publicKey }, "STK-6")
    w.toEpoch(4n, 49n)
    w.expectError({ kind: "minerWithdraw", miner: m3.publicKey }, "STK-6")
    w.toEpoch(5n)
    w.run({ kind: "minerWithdraw", miner: m3.publicKey })
    w.expectError({ kind: "minerWithdraw", miner: m3.publicKey }, "STK-4")
  })
  trace("miner_withdraw-restarted-wait", ["STK-6"], "a second unbond restarts the wait for the whole unbonding balance", setup(), (w) => {
    w.run({ kind: "minerUnbond", miner: m1.publicKey, amount: SOL })
    w.toEpoch(4n)
    w.run({ kind: "minerUnbond", miner: m1.publicKey, amount: SOL })
    w.toEpoch(5n)
    w.expectError({ kind: "minerWithdraw", miner: m1.publicKey }, "STK-6")
    w.toEpoch(7n)
    w.run({ kind: "minerWithdraw", miner: m1.publicKey })
  })
  reject("miner_withdraw-nothing", "STK-6", "withdraw with nothing unbonding", setup(), { kind: "minerWithdraw", miner: m1.publicKey })
  reject("miner_withdraw-unknown", "STK-4", "withdraw by a key with no stake", setup(), { kind: "minerWithdraw", miner: x.publicKey })

  accept("witness_bond-new", ["STK-1", "STK-3", "STK-8", "STK-10"], "w5 bonds: its stake counts from the next epoch", setup(), { kind: "witnessBond", witness: w5.publicKey, amount: SOL })
  accept("witness_bond-top-up", ["STK-10"], "w1 adds 1 SOL", setup(), { kind: "witnessBond", witness: w1.publicKey, amount: SOL })
  reject("witness_bond-zero", "STK-1", "a witness bond of zero", setup(), { kind: "witnessBond", witness: w5.publicKey, amount: 0n })
  reject("witness_bond-below-minimum", "STK-3", "a new witness bonds below the minimum", setup(), { kind: "witnessBond", witness: w5.publicKey, amount: 99_999_999n })
  accept("witness_unbond", ["STK-5", "STK-10"], "w2 unbonds 1 SOL: its stake drops from the next epoch", setup(), { kind: "witnessUnbond", witness: w2.publicKey, amount: SOL })
  reject("witness_unbond-unknown", "STK-4", "unbond by a key that is no witness", setup(), { kind: "witnessUnbond", witness: w5.publicKey, amount: SOL })
  reject("witness_unbond-too-much", "STK-5", "unbond more than bonded", setup(), { kind: "witnessUnbond", witness: w1.publicKey, amount: SOL + 1n })
  reject("witness_unbond-zero", "STK-5", "unbond zero", setup(), { kind: "witnessUnbond", witness: w1.publicKey, amount: 0n })
  reject("witness_unbond-below-minimum", "STK-3", "unbond leaving less than the minimum", setup(), { kind: "witnessUnbond", witness: w1.publicKey, amount: SOL - 1n })
  trace("witness_withdraw-timing", ["STK-6"], "w1 unbonds everything in epoch 2: withdraw fails in epoch 4, succeeds in epoch 5", setup(), (w) => {
    w.run({ kind: "witnessUnbond", witness: w1.publicKey, amount: SOL })
    w.toEpoch(4n)
    w.expectError({ kind: "witnessWithdraw", witness: w1.publicKey }, "STK-6")
    w.toEpoch(5n)
    w.run({ kind: "witnessWithdraw", witness: w1.publicKey })
    w.expectError({ kind: "witnessWithdraw", witness: w1.publicKey }, "STK-6")
  })
  reject("witness_withdraw-unknown", "STK-4", "withdraw by a key that is no witness", setup(), { kind: "witnessWithdraw", witness: w5.publicKey })
  trace("witness-checkpoint-eviction", ["STK-8", "STK-10", "STK-7"], "w1 changes its stake in five successive epochs: four checkpoints are kept, the oldest dropped, and the stake of the last three epochs stays answerable", setup(), (w) => {
    for (let e = 2n; e <= 6n; e++) {
      w.toEpoch(e)
      w.run({ kind: "witnessBond", witness: w1.publicKey, amount: SOL })
    }
    w.run({ kind: "witnessUnbond", witness: w1.publicKey, amount: SOL })
    w.toEpoch(7n)
    if (w.stakeOf(w1.publicKey, 5n) !== 4n * SOL || w.stakeOf(w1.publicKey, 6n) !== 5n * SOL || w.stakeOf(w1.publicKey, 7n) !== 5n * SOL) throw new Error("checkpoint history")
  })

  accept("fund_pool", ["RWD-7"], "anyone funds the reward pool", setup(), { kind: "fundPool", funder: outsider.publicKey, amount: 5n })
  reject("fund_pool-zero", "RWD-7", "funding zero lamports", setup(), { kind: "fundPool", funder: outsider.publicKey, amount: 0n })
  reject("claim-nothing", "RWD-6", "a miner with nothing claimable", setup(), { kind: "claim", who: m1.publicKey, role: "miner" })
  reject("claim-witness-nothing", "RWD-6", "a witness with nothing claimable", setup(), { kind: "claim", who: w1.publicKey, role: "witness" })
  reject("claim-unknown", "STK-4", "a claim by a key with no stake account", setup(), { kind: "claim", who: outsider.publicKey, role: "witness" })

  // jail and unjail
  const jailed = () => {
    const w = inWindow()
    const r = alphaRoute()
    const a = honest(w, m1, [w1, w2, w3, w4], E, r)
    w.run(submitOp(a, r))
    w.run(submitOp(honest(w, m1, [w1, w2], E, r), null))
    return w
  }
  trace("unjail-timing", ["SLS-3", "SLS-4", "CMT-2"], "m1 equivocates in epoch 3 and is jailed: it sits on no committee, cannot unjail in epoch 4, unjails in epoch 5 and sits again from epoch 6", jailed(), (w) => {
    w.toEpoch(4n)
    if (w.state.committees.get("4")!.memberCount !== 2) throw new Error("jailed miner seated")
    w.expectError({ kind: "unjail", miner: m1.publicKey }, "SLS-4")
    w.toEpoch(5n)
    w.run({ kind: "unjail", miner: m1.publicKey })
    w.toEpoch(6n)
    if (w.state.committees.get("6")!.memberCount !== 3) throw new Error("unjailed miner not seated")
  })
  reject("unjail-not-jailed", "SLS-4", "unjail of a miner that is not jailed", setup(), { kind: "unjail", miner: m1.publicKey })
  reject("unjail-unknown", "STK-4", "unjail of a key with no stake", setup(), { kind: "unjail", miner: outsider.publicKey })
  trace("unjail-below-minimum", ["SLS-1", "SLS-4"], "a miner slashed below the minimum stays jailed until it tops up", setup(), (w) => {
    const small = m4
    w.run({ kind: "minerBond", miner: small.publicKey, amount: SOL + SOL / 20n })
    w.toEpoch(3n)
    const a = custom(small, 2n, ALPHA, routeHash(alphaRoute().record), [leafOfReceipt(receipt(w1, 2n, ALPHA, routeHash(alphaRoute().record)), SOL)])
    const b = { ...a.statement, support: 1n }
    w.run({ kind: "proveEquivocation", challenger: outsider.publicKey, first: signed(small, a.statement), second: signed(small, b) })
    w.toEpoch(5n)
    w.expectError({ kind: "unjail", miner: small.publicKey }, "SLS-4")
    w.run({ kind: "minerBond", miner: small.publicKey, amount: SOL })
    w.toEpoch(6n)
    w.run({ kind: "unjail", miner: small.publicKey })
  })
}

// ------------------------------------------------------------------------------------------------ names

const names = (accept: Accept, reject: Reject): void => {
  accept("register_name", ["NAM-7", "NAM-8"], "o1 registers gamma.dns; the fee goes to the pool", setup(), { kind: "registerName", owner: o1.publicKey, name: "gamma.dns" })
  accept("register_name-a-label", ["NAM-2", "NAM-5"], "an A-label name", setup(), { kind: "registerName", owner: o2.publicKey, name: "xn--mnchen-3ya.dns" })
  reject("register_name-taken", "NAM-7", "alpha.dns is already registered", setup(), { kind: "registerName", owner: o2.publicKey, name: ALPHA })
  reject("register_name-empty", "NAM-2", "the empty name", setup(), { kind: "registerName", owner: o1.publicKey, name: "" })
  reject("register_name-long-label", "NAM-3", "a 64-byte label", setup(), { kind: "registerName", owner: o1.publicKey, name: `${"a".repeat(64)}.dns` })
  reject("register_name-wrong-tld", "NAM-4", "a name under .com", setup(), { kind: "registerName", owner: o1.publicKey, name: "gamma.com" })
  reject("register_name-not-normalized", "NAM-5", "an uppercase name: the program sees only normalized names", setup(), { kind: "registerName", owner: o1.publicKey, name: "Gamma.dns" })
  reject("register_name-trailing-dot", "NAM-4", "a trailing dot is not normalized", setup(), { kind: "registerName", owner: o1.publicKey, name: "gamma.dns." })
  reject("register_name-254-bytes", "NAM-2", "131 characters but 258 UTF-8 bytes: the limit counts bytes", setup(), { kind: "registerName", owner: o1.publicKey, name: `${"é".repeat(127)}.dns` })
  accept("transfer_name", ["NAM-10"], "o1 transfers alpha.dns to o2", setup(), { kind: "transferName", owner: o1.publicKey, nameHash: nameHash(ALPHA), newOwner: o2.publicKey })
  reject("transfer_name-unregistered", "NAM-9", "transfer of an unregistered name", setup(), { kind: "transferName", owner: o1.publicKey, nameHash: nameHash("gamma.dns"), newOwner: o2.publicKey })
  reject("transfer_name-not-owner", "NAM-10", "o2 tries to transfer alpha.dns", setup(), { kind: "transferName", owner: o2.publicKey, nameHash: nameHash(ALPHA), newOwner: o2.publicKey })
  reject("transfer_name-not-initialized", "NAM-9", "a transfer before initialize: the instruction reads no Config, and no Name exists yet", null, { kind: "transferName", owner: o1.publicKey, nameHash: nameHash(ALPHA), newOwner: o2.publicKey })
}

// ----------------------------------------------------------------------------------------------- epochs

const epochs = (trace: Trace, accept: Accept, reject: Reject): void => {
  const at = (slot: bigint) => {
    const w = setup()
    w.warpTo(slot)
    return w
  }
  accept("advance_epoch", ["EPC-2", "EPC-3", "STK-9", "CMT-1", "CMT-3"], "the crank at the first slot of epoch 3", at(150n), { kind: "advanceEpoch" })
  reject("advance_epoch-early", "EPC-2", "the crank at the last slot of epoch 2", at(149n), { kind: "advanceEpoch" })
  trace("advance_epoch-catch-up", ["EPC-2"], "a crank that fell behind moves one epoch per call, then stops at the clock", at(260n), (w) => {
    w.run({ kind: "advanceEpoch" })
    w.run({ kind: "advanceEpoch" })
    w.run({ kind: "advanceEpoch" })
    w.expectError({ kind: "advanceEpoch" }, "EPC-2")
  })
  const stakeMode = (size: bigint) => {
    const w = new World(withParams({ committeeMode: 1n, committeeSize: size }))
    w.run(initOp(withParams({ committeeMode: 1n, committeeSize: size }), []))
    ;[m1, m2, m3, m4].forEach((m, i) => w.run({ kind: "minerBond", miner: m.publicKey, amount: BigInt(i + 1) * SOL }))
    w.run({ kind: "minerBond", miner: key("under").publicKey, amount: SOL })
    w.run({ kind: "minerUnbond", miner: key("under").publicKey, amount: SOL })
    return w
  }
  trace("advance_epoch-stake-sampled", ["CMT-2", "CMT-4", "CMT-5"], "stake mode, K = 2 of 4 eligible miners: stake-weighted sampling, seats in MinerSet order", stakeMode(2n), (w) => {
    for (let e = 1n; e <= 4n; e++) w.toEpoch(e)
  })
  trace("advance_epoch-stake-all", ["CMT-4"], "stake mode, K = 5 with 4 eligible: all sit", stakeMode(5n), (w) => w.toEpoch(1n))
  trace("advance_epoch-allowlist", ["CMT-2", "CMT-3", "STK-9"], "allowlist mode: m4 bonds in epoch 2 and sits from epoch 3; m3, removed from the allowlist, loses its seat", setup(), (w) => {
    w.run({ kind: "minerBond", miner: m4.publicKey, amount: MINER_STAKE })
    w.run({ kind: "propose", proposer: admin.publicKey, changes: [keyChange(2, m3)], etaEpoch: 4n })
    w.toEpoch(3n)
    if (w.state.committees.get("3")!.memberCount !== 4) throw new Error("m4 not seated")
    w.toEpoch(4n)
    w.run({ kind: "execute", proposalId: 0n })
    w.toEpoch(5n)
    if (w.state.committees.get("5")!.memberCount !== 3) throw new Error("m3 still seated")
  })
}

// ----------------------------------------------------------------------------------------------- rounds

const rounds = (trace: Trace, accept: Accept, reject: Reject): void => {
  const r = alphaRoute()
  const sub = (m: Keypair, auth: SignedRoute | null = null, ws = [w1, w2, w3, w4], rr = r) => (w: World) => submitOp(honest(w, m, ws, E, rr), auth)

  accept("submit_aggregate-first", ["RND-1", "RND-3", "RND-5", "AGG-3", "AGG-4", "QRM-2"], "m1 opens the round with the owner's authorization", inWindow(), sub(m1, r))
  const afterM1 = () => {
    const w = inWindow()
    w.run(sub(m1, r)(w))
    return w
  }
  accept("submit_aggregate-known-route", ["RND-5"], "m2 supports the same route without an authorization", afterM1(), sub(m2))
  accept("submit_aggregate-with-auth-again", ["RND-5"], "m2 carries the authorization again: harmless", afterM1(), sub(m2, r))
  accept("submit_aggregate-competing-route", ["RND-5", "RND-8"], "m2 names a second route the owner signed (serial 2)", afterM1(), (w) => sub(m2, alphaRoute(2n, "10.9.9.9"), [w1, w2], alphaRoute(2n, "10.9.9.9"))(w))
  accept("submit_aggregate-single-leaf", ["AGG-3"], "a one-receipt aggregate opens to its leaf", inWindow(), sub(m1, r, [w3]))
  trace("submit_aggregate-zero-support", ["QRM-2"], "an aggregate of a witness with no stake has support 0 and is not counted", inWindow(), (w) => {
    w.run(submitOp(honest(w, m1, [w5], E, r), r))
    if (roundOf(w, E, ALPHA).routes[0]!.weight !== 0n) throw new Error("counted")
  })
  trace("submit_aggregate-window-edges", ["RND-1"], "the submit window of epoch 2 is slots [150, 170)", setup(), (w) => {
    w.toEpoch(2n, 49n)
    w.expectError(sub(m1, r)(w), "RND-1")
    w.toEpoch(3n, 0n)
    w.run(sub(m1, r)(w))
    w.warpTo(169n)
    w.run(sub(m2)(w))
    w.warpTo(170n)
    w.expectError(sub(m3)(w), "RND-1")
  })
  trace("submit_aggregate-window-widened", ["RND-1", "GOV-6", "QRM-1"], "the round of epoch 4 opens at slot 251, before the crank activates submit_window_slots 50, and keeps its stored submit_end 270: after it is finalized at 290 the live window (to 300) does not reopen it, while a round opened later takes the new window", setup(), (w) => {
    w.run({ kind: "minerBond", miner: m4.publicKey, amount: MINER_STAKE })
    w.run({ kind: "propose", proposer: admin.publicKey, changes: [setParam("submitWindowSlots", 50n)], etaEpoch: 4n })
    w.toEpoch(4n)
    w.run({ kind: "execute", proposalId: 0n })
    w.warpTo(251n)
    const aggs = [m1, m2, m3].map((m) => honest(w, m, [w1, w2, w3, w4], 4n, r))
    aggs.forEach((a, i) => w.run(submitOp(a, i === 0 ? r : null)))
    if (roundOf(w, 4n, ALPHA).submitEnd !== 270n) throw new Error("the round did not store the window of its creation")
    w.toEpoch(5n, 40n)
    w.run({ kind: "finalizeRound", epoch: 4n, nameHash: nameHash(ALPHA) })
    if (roundOf(w, 4n, ALPHA).status !== ROUND_STATUS.finalized) throw new Error("not finalized")
    w.warpTo(291n)
    w.expectError(submitOp(honest(w, m4, [w1, w2, w3, w4], 4n, r), null), "RND-1")
    w.expectError(submitOp(honest(w, m1, [w1], 4n, r), null), "RND-1")
    const b = betaRoute()
    w.run(submitOp(honest(w, m4, [w1], 4n, b), b))
    if (roundOf(w, 4n, BETA).submitEnd !== 300n) throw new Error("beta's round of epoch 4 did not take the new window")
  })
  reject("submit_aggregate-wrong-epoch", "RND-1", "an aggregate for epoch 3 during epoch 3", inWindow(), (w) => submitOp(honest(w, m1, [w1], 3n, r), r))
  trace("submit_aggregate-no-committee", ["RND-2"], "the crank never reached epoch 3, so epoch 3 has no committee when its window opens", setup(), (w) => {
    w.warpTo(201n)
    w.expectError(submitOp(honest(w, m1, [w1], 3n, r), r), "RND-2")
  })
  reject("submit_aggregate-not-member", "RND-3", "m4 bonded during epoch 2, so it is not on epoch 2's committee", (() => { const w = setup(); w.run({ kind: "minerBond", miner: m4.publicKey, amount: MINER_STAKE }); w.toEpoch(3n, 1n); return w })(), sub(m4, r))
  reject("submit_aggregate-no-auth", "RND-5", "the first aggregate naming a route without the owner's authorization", inWindow(), sub(m1, null))
  reject("submit_aggregate-unregistered", "RND-6", "an aggregate about an unregistered name", inWindow(), (w) => {
    const g = route("gamma.dns", 1n, o1)
    return submitOp(honest(w, m1, [w1], E, g), g)
  })
  reject("submit_aggregate-identical", "RND-7", "m1 submits the same aggregate twice", afterM1(), sub(m1))
  reject("submit_aggregate-bad-auth", "SIG-1", "o2's signature presented as o1's authorization: the carried signature does not verify", inWindow(), (w) => {
    const forged = route(ALPHA, 1n, o2)
    return submitOp(honest(w, m1, [w1], E, { record: { ...forged.record, owner: o1.publicKey }, signature: forged.signature }), { ...r, signature: forged.signature })
  })
  reject("submit_aggregate-auth-not-owner", "SIG-2", "a valid authorization by o2, who does not own alpha.dns: the owner's signature is not among those carried", inWindow(), (w) => {
    const byO2 = route(ALPHA, 1n, o2)
    return submitOp(honest(w, m1, [w1], E, byO2), byO2)
  }, ["RND-5"])
  reject("submit_aggregate-bad-signature-first", "SIG-1", "a bad authorization outside the submit window: the signature is checked before any rule", setup(), (w) => {
    w.toEpoch(2n, 49n)
    return submitOp(honest(w, m1, [w1], E, r), { ...r, signature: new Uint8Array(64) })
  }, ["RND-1"])
  trace("submit_aggregate-junk-auth-known-route", ["SIG-1", "RND-5"], "the route is in the round, so m2 needs no authorization; one it carries must still verify", afterM1(), (w) => {
    w.expectError(submitOp(honest(w, m2, [w1, w2, w3, w4], E, r), { ...r, signature: new Uint8Array(64) }), "SIG-1")
    w.run(submitOp(honest(w, m2, [w1, w2, w3, w4], E, r), null))
  })
  trace("submit_aggregate-auth-after-transfer", ["RND-5", "SIG-2"], "after a transfer only the new owner's authorization counts", setup(), (w) => {
    w.run({ kind: "transferName", owner: o1.publicKey, nameHash: nameHash(ALPHA), newOwner: o2.publicKey })
    w.toEpoch(3n, 1n)
    w.expectError(sub(m1, r)(w), "SIG-2")
    const r2 = route(ALPHA, 1n, o2)
    w.run(submitOp(honest(w, m1, [w1], E, r2), r2))
  })
  trace("submit_aggregate-jailed", ["RND-4", "EQV-2"], "m1 equivocates on alpha.dns and is jailed, then tries beta.dns in the same window", afterM1(), (w) => {
    w.run(submitOp(honest(w, m1, [w1, w2], E, r), null))
    const b = betaRoute()
    w.expectError(submitOp(honest(w, m1, [w1], E, b), b), "RND-4")
  })
  trace("submit_aggregate-equivocation", ["EQV-1", "EQV-2", "SLS-1", "SLS-2", "SLS-3", "RND-4"], "m1's second, different aggregate slashes and jails it at once and strips its first; a third is refused", afterM1(), (w) => {
    w.run(submitOp(honest(w, m1, [w1, w2], E, r), null))
    w.expectError(submitOp(honest(w, m1, [w1, w2, w3], E, r), null), "RND-4")
  })
  trace("submit_aggregate-after-proven-equivocation", ["EQV-3", "SLS-4"], "with jail_epochs 1: m2's equivocation about epoch 2 is proven during epoch 2; unjailed in epoch 3, it still cannot submit to that round", setup(withParams({ jailEpochs: 1n })), (w) => {
    w.warpTo(120n)
    const a = signed(m2, honest(w, m2, [w1, w2, w3], E, r).statement)
    const b = signed(m2, honest(w, m2, [w1, w2], E, r).statement)
    w.run({ kind: "proveEquivocation", challenger: outsider.publicKey, first: a, second: b })
    w.toEpoch(3n, 1n)
    w.run({ kind: "unjail", miner: m2.publicKey })
    w.expectError(submitOp(honest(w, m2, [w1], E, r), r), "EQV-3")
  })
  trace("submit_aggregate-route-limit", ["RND-9"], "five members name five routes: the fifth does not fit the round", null, (w) => {
    const five = [m1, m2, m3, m4, key("m5")]
    w.run(initOp(LOCALNET_PARAMS, five))
    for (const m of five) w.run({ kind: "minerBond", miner: m.publicKey, amount: MINER_STAKE })
    w.run({ kind: "witnessBond", witness: w1.publicKey, amount: SOL })
    w.run({ kind: "registerName", owner: o1.publicKey, name: ALPHA })
    w.toEpoch(3n, 1n)
    five.forEach((m, i) => {
      const ri = alphaRoute(BigInt(i + 1), `10.0.0.${i + 1}`)
      const op = submitOp(honest(w, m, [w1], E, ri), ri)
      if (i < 4) w.run(op)
      else w.expectError(op, "RND-9")
    })
  })
  const bad = (mutate: (st: AggregateStatement) => AggregateStatement, opening?: (w: World) => Op) => (w: World) => {
    if (opening) return opening(w)
    const a = honest(w, m1, [w1, w2, w3], E, r)
    return submitOp({ statement: mutate(a.statement), opening: a.opening }, r)
  }
  reject("submit_aggregate-count-zero", "AGG-2", "receipt_count 0", inWindow(), bad((st) => ({ ...st, receiptCount: 0 })))
  reject("submit_aggregate-count-too-large", "AGG-2", "receipt_count 2^20 + 1", inWindow(), bad((st) => ({ ...st, receiptCount: (1 << 20) + 1 })))
  reject("submit_aggregate-wrong-root", "AGG-3", "the children do not hash to the receipt root", inWindow(), bad((st) => ({ ...st, receiptRoot: routeHash(r.record) })))
  reject("submit_aggregate-swapped-children", "AGG-3", "the root's children given in the wrong order", inWindow(), (w) => {
    const a = honest(w, m1, [w1, w2, w3], E, r)
    if (a.opening.kind !== "node") throw new Error("node")
    return submitOp({ statement: a.statement, opening: { kind: "node", left: a.opening.right, right: a.opening.left } }, r)
  })
  reject("submit_aggregate-leaf-opening-count-2", "AGG-3", "a leaf opening for an aggregate of two receipts", inWindow(), (w) => {
    const a = honest(w, m1, [w1], E, r)
    return submitOp({ statement: { ...a.statement, receiptCount: 2 }, opening: a.opening }, r)
  })
  reject("submit_aggregate-support-lie", "AGG-4", "support one more than the children's sums", inWindow(), bad((st) => ({ ...st, support: st.support + 1n })))
  reject("submit_aggregate-children-overflow", "AGG-4", "children whose sums overflow u64", inWindow(), (w) => {
    const a = honest(w, m1, [w1, w2], E, r)
    if (a.opening.kind !== "node") throw new Error("node")
    const left = { ...a.opening.left, sum: U64_MAX }
    return submitOp({ statement: a.statement, opening: { kind: "node", left, right: a.opening.right } }, r)
  }, ["MRK-4"])

  // finality
  const submitted = () => {
    const w = inWindow()
    fullSubmit(w)
    return w
  }
  trace("round-full-finality", ["RND-1", "QRM-1", "QRM-6", "QRM-10", "RWD-2", "RWD-4"], "three members support alpha.dns serial 1; finality waits for the challenge window and then sets the name", setup(), (w) => {
    w.toEpoch(3n, 1n)
    fullSubmit(w)
    w.warpTo(189n)
    w.expectError({ kind: "finalizeRound", epoch: E, nameHash: nameHash(ALPHA) }, "QRM-6")
    w.warpTo(190n)
    w.run({ kind: "finalizeRound", epoch: E, nameHash: nameHash(ALPHA) })
    w.expectError({ kind: "finalizeRound", epoch: E, nameHash: nameHash(ALPHA) }, "QRM-5")
  })
  const atEnd = (w: World) => {
    w.warpTo(190n)
    return w
  }
  accept("finalize_round", ["QRM-1", "QRM-10", "RWD-2"], "finalize a round with quorum at the end of the challenge window", atEnd(submitted()), { kind: "finalizeRound", epoch: E, nameHash: nameHash(ALPHA) })
  reject("finalize_round-early", "QRM-6", "one slot before the challenge window ends", (() => { const w = submitted(); w.warpTo(189n); return w })(), { kind: "finalizeRound", epoch: E, nameHash: nameHash(ALPHA) })
  reject("finalize_round-no-round", "QRM-4", "no round for beta.dns", atEnd(submitted()), { kind: "finalizeRound", epoch: E, nameHash: nameHash(BETA) })
  trace("finalize_round-no-quorum", ["QRM-1", "QRM-8"], "two of three equal members (6666 bps < 6667): the round fails", inWindow(), (w) => {
    for (const m of [m1, m2]) w.run(sub(m, m === m1 ? r : null)(w))
    w.warpTo(190n)
    w.run({ kind: "finalizeRound", epoch: E, nameHash: nameHash(ALPHA) })
    w.expectError({ kind: "finalizeRound", epoch: E, nameHash: nameHash(ALPHA) }, "QRM-5")
  })
  const boundary = (stake2: bigint) => {
    const p = withParams({ quorumBps: 6000n })
    const w = new World(p)
    w.run(initOp(p, [m1, m2]))
    w.run({ kind: "minerBond", miner: m1.publicKey, amount: 3n * SOL })
    w.run({ kind: "minerBond", miner: m2.publicKey, amount: stake2 })
    w.run({ kind: "witnessBond", witness: w1.publicKey, amount: SOL })
    w.run({ kind: "registerName", owner: o1.publicKey, name: ALPHA })
    w.toEpoch(3n, 1n)
    return w
  }
  trace("finalize_round-quorum-exact", ["QRM-1"], "quorum_bps 6000 and stakes 3 : 2 SOL: the 3-SOL member alone holds exactly 60% and finalizes", boundary(2n * SOL), (w) => {
    w.run(sub(m1, r, [w1])(w))
    w.warpTo(190n)
    w.run({ kind: "finalizeRound", epoch: E, nameHash: nameHash(ALPHA) })
    if (w.state.names.get(hex(nameHash(ALPHA)))!.serial !== 1n) throw new Error("not finalized")
  })
  trace("finalize_round-quorum-one-short", ["QRM-1", "QRM-8"], "quorum_bps 6000 and stakes 3 : 2 SOL + 1 lamport: one lamport short of 60%, the round fails", boundary(2n * SOL + 1n), (w) => {
    w.run(sub(m1, r, [w1])(w))
    w.warpTo(190n)
    w.run({ kind: "finalizeRound", epoch: E, nameHash: nameHash(ALPHA) })
    if (w.state.names.get(hex(nameHash(ALPHA)))!.serial !== 0n) throw new Error("finalized")
  })
  trace("finalize_round-split-vote", ["QRM-1", "QRM-3", "QRM-8"], "the members split over two routes: neither has quorum", inWindow(), (w) => {
    const r2 = alphaRoute(2n, "10.2.2.2")
    w.run(sub(m1, r)(w))
    w.run(sub(m2, r2, [w1, w2, w3, w4], r2)(w))
    w.run(sub(m3)(w))
    w.warpTo(190n)
    w.run({ kind: "finalizeRound", epoch: E, nameHash: nameHash(ALPHA) })
  })
  trace("finalize_round-stale", ["QRM-9", "RND-8", "QRM-10"], "rounds of epochs 2 (serial 1) and 3 (serial 2) both reach quorum; epoch 3 is finalized first, so epoch 2's older route fails instead of rolling the name back", setup(), (w) => {
    w.toEpoch(3n, 1n)
    fullSubmit(w)
    w.toEpoch(4n, 1n)
    const r2 = alphaRoute(2n, "10.2.2.2")
    ;[m1, m2, m3].forEach((m, i) => w.run(submitOp(honest(w, m, [w1, w2, w3, w4], 3n, r2), i === 0 ? r2 : null)))
    w.warpTo(240n)
    w.run({ kind: "finalizeRound", epoch: 3n, nameHash: nameHash(ALPHA) })
    w.run({ kind: "finalizeRound", epoch: E, nameHash: nameHash(ALPHA) })
    if (w.state.names.get(hex(nameHash(ALPHA)))!.serial !== 2n) throw new Error("rolled back")
  })
  trace("submit_aggregate-stale-serial", ["RND-8"], "after serial 1 is canonical, a round of epoch 3 cannot authorize serial 1 again", atEnd(submitted()), (w) => {
    w.run({ kind: "finalizeRound", epoch: E, nameHash: nameHash(ALPHA) })
    w.toEpoch(4n, 1n)
    w.expectError(submitOp(honest(w, m1, [w1], 3n, r), r), "RND-8")
    const r2 = alphaRoute(2n, "10.2.2.2")
    w.run(submitOp(honest(w, m1, [w1], 3n, r2), r2))
  })
  trace("finalize_round-open-reveal", ["QRM-7", "RVL-10"], "an open reveal challenge holds finality until it is settled", submitted(), (w) => {
    w.warpTo(185n)
    w.run({ kind: "openReveal", challenger: outsider.publicKey, leafRef: refOf({ statement: honest(w, m3, [w1, w2, w3, w4], E, r).statement }, 0) })
    w.warpTo(190n)
    w.expectError({ kind: "finalizeRound", epoch: E, nameHash: nameHash(ALPHA) }, "QRM-7")
    w.warpTo(195n)
    w.run({ kind: "resolveReveal", leafRef: refOf({ statement: honest(w, m3, [w1, w2, w3, w4], E, r).statement }, 0) })
    w.run({ kind: "finalizeRound", epoch: E, nameHash: nameHash(ALPHA) })
  })
}

// ------------------------------------------------------------------------------------------ equivocation

const equivocation = (trace: Trace, accept: Accept, reject: Reject): void => {
  const r = alphaRoute()
  const two = (w: World, m: Keypair = m2) => {
    const a = honest(w, m, [w1, w2, w3], E, r).statement
    const b = honest(w, m, [w1, w2], E, r).statement
    return { a: signed(m, a), b: signed(m, b) }
  }
  accept("prove_equivocation-off-chain", ["EQV-1", "EQV-5", "EQV-6", "SLS-1", "SLS-3"], "two signed statements by m2 about one round, neither on chain: slashed, a marker stops its submission", inWindow(), (w) => {
    const { a, b } = two(w)
    return { kind: "proveEquivocation", challenger: outsider.publicKey, first: a, second: b }
  })
  trace("equivocation-off-chain-scenario", ["EQV-1", "EQV-3", "SLS-3", "CMT-2"], "m2's two statements are proven: it is jailed, so its submission is refused, a second proof is refused, and the next committee leaves it out", inWindow(), (w) => {
    const { a, b } = two(w)
    w.run({ kind: "proveEquivocation", challenger: outsider.publicKey, first: a, second: b })
    w.expectError(submitOp(honest(w, m2, [w1], E, r), r), "RND-4")
    w.expectError({ kind: "proveEquivocation", challenger: outsider.publicKey, first: b, second: a }, "EQV-3")
    w.toEpoch(4n)
  })
  const onChain = () => {
    const w = inWindow()
    fullSubmit(w)
    return w
  }
  accept("prove_equivocation-against-on-chain", ["EQV-1", "EQV-7", "SLS-2"], "one signed statement against m2's different on-chain aggregate: slashed and stripped", onChain(), (w) => ({
    kind: "proveEquivocation", challenger: outsider.publicKey, first: signed(m2, honest(w, m2, [w1], E, r).statement), second: null
  }))
  trace("equivocation-strips-quorum", ["EQV-1", "SLS-2", "QRM-1", "QRM-8"], "an equivocation proof strips m2's weight: the route falls below quorum and the round fails", onChain(), (w) => {
    w.run({ kind: "proveEquivocation", challenger: outsider.publicKey, first: signed(m2, honest(w, m2, [w1], E, r).statement), second: null })
    w.warpTo(190n)
    w.run({ kind: "finalizeRound", epoch: E, nameHash: nameHash(ALPHA) })
  })
  reject("prove_equivocation-bad-signature", "SIG-1", "the first statement's signature is by another key", inWindow(), (w) => {
    const { a, b } = two(w)
    return { kind: "proveEquivocation", challenger: outsider.publicKey, first: { ...a, signature: sign(m3, aggregateDigest(a.statement)) }, second: b }
  })
  reject("prove_equivocation-bad-second-signature", "SIG-1", "the second statement's signature does not verify", inWindow(), (w) => {
    const { a, b } = two(w)
    return { kind: "proveEquivocation", challenger: outsider.publicKey, first: a, second: { ...b, signature: a.signature } }
  })
  reject("prove_equivocation-bad-signature-late", "SIG-1", "a proof after the challenge window whose second signature does not verify: the signature is checked first", (() => { const w = inWindow(); w.warpTo(190n); return w })(), (w) => {
    const { a, b } = two(w)
    return { kind: "proveEquivocation", challenger: outsider.publicKey, first: a, second: { ...b, signature: a.signature } }
  }, ["EQV-4"])
  reject("prove_equivocation-window-over", "EQV-4", "a proof after epoch 2's challenge window", (() => { const w = inWindow(); w.warpTo(190n); return w })(), (w) => {
    const { a, b } = two(w)
    return { kind: "proveEquivocation", challenger: outsider.publicKey, first: a, second: b }
  })
  reject("prove_equivocation-different-miners", "EQV-5", "statements by two different miners", inWindow(), (w) => ({
    kind: "proveEquivocation", challenger: outsider.publicKey, first: two(w, m1).a, second: two(w, m2).b
  }))
  reject("prove_equivocation-different-names", "EQV-5", "one miner's statements about two names", inWindow(), (w) => ({
    kind: "proveEquivocation", challenger: outsider.publicKey, first: two(w).a, second: signed(m2, honest(w, m2, [w1], E, betaRoute()).statement)
  }))
  reject("prove_equivocation-identical", "EQV-6", "the same statement twice", inWindow(), (w) => {
    const { a } = two(w)
    return { kind: "proveEquivocation", challenger: outsider.publicKey, first: a, second: a }
  })
  reject("prove_equivocation-same-as-on-chain", "EQV-6", "a statement identical to the on-chain aggregate", onChain(), (w) => ({
    kind: "proveEquivocation", challenger: outsider.publicKey, first: signed(m2, honest(w, m2, [w1, w2, w3, w4], E, r).statement), second: null
  }))
  reject("prove_equivocation-nothing-on-chain", "EQV-7", "a single statement with no on-chain aggregate to contradict", inWindow(), (w) => ({
    kind: "proveEquivocation", challenger: outsider.publicKey, first: two(w).a, second: null
  }))
  reject("prove_equivocation-no-stake", "EQV-8", "two statements by a key that never bonded", inWindow(), (w) => ({
    kind: "proveEquivocation", challenger: outsider.publicKey, first: two(w, outsider).a, second: two(w, outsider).b
  }))
}

// ------------------------------------------------------------------------------------------- bad leaves

const badLeaves = (trace: Trace, accept: Accept, reject: Reject): void => {
  const r = alphaRoute()
  const rh = routeHash(r.record)
  const rc = (k: Keypair, route = rh) => receipt(k, E, ALPHA, route)
  const ws = byWitness([w1, w2, w3, w4])
  /** m1 submits an aggregate over these leaves (with the owner's authorization). */
  const submitCustom = (w: World, leaves: Leaf[], m: Keypair = m1) => {
    const a = custom(m, E, ALPHA, rh, leaves)
    w.run(submitOp(a, r))
    return a
  }
  const honestLeaves = (w: World) => ws.map((k) => leafOfReceipt(rc(k), w.stakeOf(k.publicKey, E)))

  const pinned = () => {
    const w = inWindow()
    const a = submitCustom(w, honestLeaves(w))
    return { w, a }
  }
  { const { w, a } = pinned(); accept("pin_leaf", ["BLF-2", "MRK-5"], "anyone pins leaf 2 of m1's aggregate by its inclusion proof", w, pinOp(a, 2)) }
  { const { w, a } = pinned(); accept("pin_leaf-after-window", ["BLF-2"], "pinning needs no window", (w.warpTo(400n), w), pinOp(a, 3)) }
  { const { w, a } = pinned(); reject("pin_leaf-no-aggregate", "BLF-1", "a leaf of m2, who submitted nothing", w, { ...pinOp(a, 0), leafRef: { ...refOf(a, 0), miner: m2.publicKey } } as Op) }
  { const { w, a } = pinned(); reject("pin_leaf-index-out-of-range", "BLF-2", "leaf 4 of a 4-leaf aggregate", w, { ...pinOp(a, 3), leafRef: refOf(a, 4) } as Op) }
  { const { w, a } = pinned(); w.run(pinOp(a, 1)); reject("pin_leaf-twice", "BLF-3", "pinning leaf 1 again", w, pinOp(a, 1)) }
  { const { w, a } = pinned(); reject("pin_leaf-bad-proof", "MRK-5", "leaf 1's proof for leaf 2's position", w, { ...pinOp(a, 1), leafRef: refOf(a, 2) } as Op) }
  { const { w, a } = pinned(); reject("pin_leaf-wrong-weight", "MRK-5", "leaf 0 with a weight it does not have", w, (() => { const p = pinOp(a, 0) as Extract<Op, { kind: "pinLeaf" }>; return { ...p, leaf: { ...p.leaf, weight: p.leaf.weight + 1n } } })()) }

  // bad weight
  trace("bad_weight-upheld", ["BLF-7", "SLS-1", "SLS-2", "SLS-3"], "m1 inflates w2's weight; a challenger pins the leaf and proves it: m1 is slashed and stripped", inWindow(), (w) => {
    const leaves = honestLeaves(w)
    leaves[1] = { ...leaves[1]!, weight: leaves[1]!.weight * 2n }
    const a = submitCustom(w, leaves)
    w.run(pinOp(a, 1))
    w.run({ kind: "proveBadWeight", challenger: outsider.publicKey, leafRef: refOf(a, 1) })
    w.expectError({ kind: "proveBadWeight", challenger: outsider.publicKey, leafRef: refOf(a, 1) }, "BLF-5")
  })
  trace("bad_weight-zero-weight", ["BLF-7"], "a leaf of weight zero is bad even when the witness's stake is zero", inWindow(), (w) => {
    const leaves = byWitness([w1, w5]).map((k) => leafOfReceipt(rc(k), w.stakeOf(k.publicKey, E)))
    const a = submitCustom(w, leaves)
    const i = leaves.findIndex((l) => l.weight === 0n)
    w.run(pinOp(a, i))
    w.run({ kind: "proveBadWeight", challenger: outsider.publicKey, leafRef: refOf(a, i) })
  })
  trace("bad_weight-rejected", ["BLF-7"], "an honest leaf's weight is its witness's stake: the proof is refused", inWindow(), (w) => {
    const a = submitCustom(w, honestLeaves(w))
    w.run(pinOp(a, 0))
    w.expectError({ kind: "proveBadWeight", challenger: outsider.publicKey, leafRef: refOf(a, 0) }, "BLF-7")
  })
  trace("bad_weight-unpinned", ["BLF-6"], "a proof about a leaf nobody pinned", inWindow(), (w) => {
    const a = submitCustom(w, honestLeaves(w))
    w.expectError({ kind: "proveBadWeight", challenger: outsider.publicKey, leafRef: refOf(a, 0) }, "BLF-6")
  })
  trace("bad_weight-window-over", ["BLF-4"], "a proof at the end of the challenge window", inWindow(), (w) => {
    const leaves = honestLeaves(w)
    leaves[0] = { ...leaves[0]!, weight: 1n }
    const a = submitCustom(w, leaves)
    w.run(pinOp(a, 0))
    w.warpTo(190n)
    w.expectError({ kind: "proveBadWeight", challenger: outsider.publicKey, leafRef: refOf(a, 0) }, "BLF-4")
  })
  reject("bad_weight-no-aggregate", "BLF-1", "a proof about m2, who submitted nothing", inWindow(), { kind: "proveBadWeight", challenger: outsider.publicKey, leafRef: { epoch: E, nameHash: nameHash(ALPHA), miner: m2.publicKey, index: 0 } })

  // bad order
  trace("bad_order-duplicate", ["BLF-8", "MRK-2", "SLS-2"], "w1's receipt twice, adjacent: a duplicate witness", inWindow(), (w) => {
    const l = leafOfReceipt(rc(w1), w.stakeOf(w1.publicKey, E))
    const a = submitCustom(w, [l, l, ...honestLeaves(w).filter((x) => hex(x.witness) !== hex(w1.publicKey))].sort((x, y) => (hex(x.witness) < hex(y.witness) ? -1 : hex(x.witness) > hex(y.witness) ? 1 : 0)))
    const i = a.leaves.findIndex((x) => hex(x.witness) === hex(w1.publicKey))
    w.run(pinOp(a, i))
    w.run(pinOp(a, i + 1))
    w.run({ kind: "proveBadOrder", challenger: outsider.publicKey, leafRef: refOf(a, i) })
  })
  trace("bad_order-disorder", ["BLF-8", "MRK-2"], "two leaves in decreasing witness order", inWindow(), (w) => {
    const leaves = honestLeaves(w)
    ;[leaves[1], leaves[2]] = [leaves[2]!, leaves[1]!]
    const a = submitCustom(w, leaves)
    w.run(pinOp(a, 1))
    w.run(pinOp(a, 2))
    w.run({ kind: "proveBadOrder", challenger: outsider.publicKey, leafRef: refOf(a, 1) })
  })
  trace("bad_order-rejected", ["BLF-8"], "two honest adjacent leaves are in order: refused", inWindow(), (w) => {
    const a = submitCustom(w, honestLeaves(w))
    w.run(pinOp(a, 2))
    w.run(pinOp(a, 3))
    w.expectError({ kind: "proveBadOrder", challenger: outsider.publicKey, leafRef: refOf(a, 2) }, "BLF-8")
  })
  trace("bad_order-right-unpinned", ["BLF-6"], "the right neighbour is not pinned", inWindow(), (w) => {
    const a = submitCustom(w, honestLeaves(w))
    w.run(pinOp(a, 3))
    w.expectError({ kind: "proveBadOrder", challenger: outsider.publicKey, leafRef: refOf(a, 3) }, "BLF-6")
  })

  // leaf mismatch
  trace("leaf_mismatch-upheld", ["BLF-9", "BLF-10", "SLS-2"], "a leaf whose receipt names another route: the revealed receipt proves it", inWindow(), (w) => {
    const other = routeHash(alphaRoute(9n, "10.6.6.6").record)
    const sr = rc(w2, other)
    const leaves = ws.map((k) => (k === w2 ? leafOfReceipt(sr, w.stakeOf(k.publicKey, E)) : leafOfReceipt(rc(k), w.stakeOf(k.publicKey, E))))
    const a = submitCustom(w, leaves)
    const i = ws.indexOf(w2)
    w.run(pinOp(a, i))
    w.run({ kind: "proveLeafMismatch", challenger: outsider.publicKey, leafRef: refOf(a, i), receipt: sr.receipt, signature: sr.signature })
  })
  trace("leaf_mismatch-wrong-witness", ["BLF-10"], "a leaf crediting w3 with w1's receipt", inWindow(), (w) => {
    const sr = rc(w1)
    const leaves = ws.map((k) => (k === w3 ? { ...leafOfReceipt(sr, w.stakeOf(k.publicKey, E)), witness: w3.publicKey } : leafOfReceipt(rc(k), w.stakeOf(k.publicKey, E))))
    const a = submitCustom(w, leaves)
    const i = ws.indexOf(w3)
    w.run(pinOp(a, i))
    w.run({ kind: "proveLeafMismatch", challenger: outsider.publicKey, leafRef: refOf(a, i), receipt: sr.receipt, signature: sr.signature })
  })
  trace("leaf_mismatch-rejected", ["BLF-10"], "the receipt agrees with leaf and aggregate: refused", inWindow(), (w) => {
    const a = submitCustom(w, honestLeaves(w))
    w.run(pinOp(a, 0))
    const sr = rc(ws[0]!)
    w.expectError({ kind: "proveLeafMismatch", challenger: outsider.publicKey, leafRef: refOf(a, 0), receipt: sr.receipt, signature: sr.signature }, "BLF-10")
  })
  trace("leaf_mismatch-not-the-leaf", ["BLF-9"], "a receipt that does not hash to the leaf", inWindow(), (w) => {
    const a = submitCustom(w, honestLeaves(w))
    w.run(pinOp(a, 0))
    const sr = rc(ws[1]!)
    w.expectError({ kind: "proveLeafMismatch", challenger: outsider.publicKey, leafRef: refOf(a, 0), receipt: sr.receipt, signature: sr.signature }, "BLF-9")
  })
}

// ---------------------------------------------------------------------------------------------- reveals

const reveals = (trace: Trace, reject: Reject): void => {
  const r = alphaRoute()
  const rh = routeHash(r.record)
  const ws = byWitness([w1, w2, w3, w4])
  const srs = ws.map((k) => receipt(k, E, ALPHA, rh))
  const open = (a: { statement: AggregateStatement }, i: number): Op => ({ kind: "openReveal", challenger: outsider.publicKey, leafRef: refOf(a, i) })
  const respond = (a: { statement: AggregateStatement }, i: number, sr: SignedReceipt): Op => ({ kind: "respondReveal", leafRef: refOf(a, i), receipt: sr.receipt, signature: sr.signature })
  const resolve = (a: { statement: AggregateStatement }, i: number): Op => ({ kind: "resolveReveal", leafRef: refOf(a, i) })
  const world = (leaves?: (w: World) => Leaf[]) => {
    const w = inWindow()
    const a = custom(m1, E, ALPHA, rh, leaves ? leaves(w) : srs.map((s) => leafOfReceipt(s, w.stakeOf(s.receipt.witness, E))))
    w.run(submitOp(a, r))
    w.warpTo(160n)
    return { w, a }
  }

  { const { w, a } = world(); trace("reveal-answered", ["RVL-1", "RVL-9", "RVL-6", "RVL-7", "RVL-8"], "a reveal on leaf 2 answered in time with the receipt: rejected, the bond goes to m1, the round finalizes", w, (w) => {
    w.run(open(a, 2))
    w.run(pinOp(a, 2))
    w.warpTo(169n)
    w.run(respond(a, 2, srs[2]!))
    w.expectError(respond(a, 2, srs[2]!), "RVL-4")
    w.expectError(open(a, 2), "RVL-3")
    w.warpTo(190n)
    w.run({ kind: "finalizeRound", epoch: E, nameHash: nameHash(ALPHA) })
    w.run({ kind: "claim", who: m1.publicKey, role: "miner" })
  }) }
  { const { w, a } = world(); trace("reveal-timed-out", ["RVL-5", "RVL-10", "SLS-1", "SLS-2"], "no answer by the deadline: the challenge is upheld, m1 slashed and stripped, the bond returned", w, (w) => {
    w.run(open(a, 1))
    w.run(pinOp(a, 1))
    w.warpTo(169n)
    w.expectError(resolve(a, 1), "RVL-10")
    w.warpTo(170n)
    w.expectError(respond(a, 1, srs[1]!), "RVL-5")
    w.run(resolve(a, 1))
    w.expectError(resolve(a, 1), "RVL-4")
  }) }
  { const { w, a } = world((w) => srs.map((s, i) => leafOfReceipt(s, i === 0 ? 7n : w.stakeOf(s.receipt.witness, E)))); trace("reveal-moot", ["RVL-11", "BLF-7"], "while a reveal on leaf 3 waits, leaf 0 is proven bad: the reveal is moot and only the bond returns", w, (w) => {
    w.run(open(a, 3))
    w.run(pinOp(a, 0))
    w.run({ kind: "proveBadWeight", challenger: outsider.publicKey, leafRef: refOf(a, 0) })
    w.warpTo(170n)
    w.run(resolve(a, 3))
  }) }
  {
    const { w, a } = world()
    const k = `${E}/${hex(nameHash(ALPHA))}`
    w.state.rounds.set(k, { ...w.state.rounds.get(k)!, openChallenges: 0xffff })
    reject("open_reveal-open-challenges-full", "ACC-6", "the round already counts 65535 open reveal challenges: open_challenges is a u16", w, open(a, 0), ["RVL-1"])
  }
  { const { w, a } = world(); reject("open_reveal-index-out-of-range", "RVL-2", "a reveal on leaf 4 of 4", w, open(a, 4)) }
  { const { w, a } = world(); w.warpTo(190n); reject("open_reveal-window-over", "BLF-4", "a reveal after the challenge window", w, open(a, 0)) }
  { const { w, a } = world(); reject("open_reveal-no-aggregate", "BLF-1", "a reveal on m2, who submitted nothing", w, { ...open(a, 0), leafRef: { ...refOf(a, 0), miner: m2.publicKey } } as Op) }
  { const { w, a } = world(); reject("respond_reveal-no-challenge", "RVL-4", "an answer nobody asked for", w, respond(a, 0, srs[0]!)) }
  { const { w, a } = world(); reject("resolve_reveal-no-challenge", "RVL-4", "settling a challenge that does not exist", w, resolve(a, 0)) }
  { const { w, a } = world(); w.run(open(a, 0)); reject("respond_reveal-unpinned", "RVL-6", "an answer before the leaf is pinned", w, respond(a, 0, srs[0]!)) }
  { const { w, a } = world(); w.run(open(a, 0)); w.run(pinOp(a, 0)); reject("respond_reveal-wrong-receipt", "RVL-7", "another leaf's receipt", w, respond(a, 0, srs[1]!)) }
  { const { w, a } = world(); w.run(open(a, 0)); w.run(pinOp(a, 0)); reject("respond_reveal-bad-signature", "SIG-1", "the receipt with another receipt's signature: it does not verify, whatever the leaf", w, respond(a, 0, { ...srs[0]!, signature: srs[1]!.signature }), ["RVL-7"]) }
  {
    const badSig = { ...srs[2]!, signature: sign(w4, receiptDigest(srs[2]!.receipt)) }
    const { w, a } = world((w) => srs.map((s, i) => leafOfReceipt(i === 2 ? badSig : s, w.stakeOf(s.receipt.witness, E))))
    w.run(open(a, 2))
    w.run(pinOp(a, 2))
    reject("respond_reveal-invalid-witness-signature", "SIG-1", "the leaf commits to a receipt whose signature is not the witness's: the miner cannot answer", w, respond(a, 2, badSig), ["RVL-7"])
  }
  {
    const { w, a } = world((w) => srs.map((s, i) => leafOfReceipt(s, i === 1 ? w.stakeOf(s.receipt.witness, E) + 1n : w.stakeOf(s.receipt.witness, E))))
    w.run(open(a, 1))
    w.run(pinOp(a, 1))
    reject("respond_reveal-wrong-weight", "RVL-8", "the receipt is right but the leaf's weight is not the witness's stake", w, respond(a, 1, srs[1]!))
  }
}

// -------------------------------------------------------------------------------------------- governance

const governance = (trace: Trace, accept: Accept, reject: Reject): void => {
  const propose = (changes: Change[], eta = 4n, who: Keypair = admin): Op => ({ kind: "propose", proposer: who.publicKey, changes, etaEpoch: eta })
  accept("propose", ["GOV-1", "GOV-2", "GOV-3", "GOV-4"], "the authority proposes round_reward 2e6 with eta 4", setup(), propose([setParam("roundReward", 2_000_000n)]))
  accept("propose-four-changes", ["GOV-2", "GOV-3"], "four changes of every kind", setup(), propose([setParam("quorumBps", 7000n), keyChange(1, m4), keyChange(2, m3), keyChange(3, o1)]))
  reject("propose-not-authority", "GOV-1", "m1 proposes while proposal_threshold is 0", setup(), propose([setParam("roundReward", 2n)], 4n, m1))
  {
    const p = withParams({ proposalThreshold: 5n * SOL })
    const w = setup(p)
    accept("propose-threshold", ["GOV-1"], "with proposal_threshold 5 SOL, m1 (5 SOL active) proposes", w, propose([setParam("roundReward", 2n)], 4n, m1))
    reject("propose-below-threshold", "GOV-1", "w4 (4 SOL) is below proposal_threshold", setup(p), propose([setParam("roundReward", 2n)], 4n, w4))
  }
  reject("propose-no-changes", "GOV-2", "a proposal with no changes", setup(), propose([]))
  reject("propose-five-changes", "GOV-2", "five changes", setup(), propose([1n, 2n, 3n, 4n, 5n].map((v) => setParam("roundReward", v))))
  reject("propose-unknown-kind", "GOV-3", "change kind 4", setup(), propose([{ kind: 4, param: 0, value: 0n, key: m1.publicKey }]))
  reject("propose-unknown-param", "GOV-3", "parameter 21 (reserved)", setup(), propose([{ kind: 0, param: 21, value: 1n, key: zero32 }]))
  reject("propose-param-with-key", "GOV-3", "a parameter change carrying a key", setup(), propose([{ ...setParam("roundReward", 2n), key: m1.publicKey }]))
  reject("propose-key-with-value", "GOV-3", "an allowlist change carrying a value", setup(), propose([{ ...keyChange(1, m4), value: 1n }]))
  reject("propose-zero-key", "GOV-3", "an authority change to the zero key", setup(), propose([{ kind: 3, param: 0, value: 0n, key: zero32 }]))
  reject("propose-eta-too-early", "GOV-4", "eta 3 with min_timelock_epochs 2 in epoch 2", setup(), propose([setParam("roundReward", 2n)], 3n))
  accept("propose-timelock-longer", ["GOV-4"], "raising min_timelock_epochs to 5 waits 5 epochs", setup(), propose([setParam("minTimelockEpochs", 5n)], 7n))
  reject("propose-timelock-too-early", "GOV-4", "raising min_timelock_epochs to 5 with the old delay of 2", setup(), propose([setParam("minTimelockEpochs", 5n)], 4n))
  reject("propose-epoch-length", "GOV-7", "epoch_length_slots cannot change in v1", setup(), propose([setParam("epochLengthSlots", 100n)]))
  reject("propose-invalid-outcome", "GOV-8", "quorum_bps 5000", setup(), propose([setParam("quorumBps", 5000n)]), ["QRM-3"])
  {
    const w = new World()
    w.run(initOp(LOCALNET_PARAMS, Array.from({ length: 32 }, (_, i) => key(`x${i}`))))
    reject("propose-allowlist-full", "GOV-9", "adding a 33rd allowlisted key", w, propose([keyChange(1, m4)], 2n))
  }

  const proposed = (eta = 4n) => {
    const w = setup()
    w.run(propose([setParam("roundReward", 2_000_000n), keyChange(2, m3)], eta))
    return w
  }
  accept("veto", ["GOV-5", "GOV-12", "GOV-14"], "w1 vetoes with 1 SOL: far below veto_bps", proposed(), { kind: "veto", voter: w1.publicKey, proposalId: 0n })
  trace("governance-propose-veto", ["GOV-5", "GOV-11", "GOV-13"], "vetoes of w4 and w3 (7 of 25 SOL bonded) are not enough; m1's 5 more (12 SOL ≥ 33.34%) cancel the proposal; it cannot be vetoed again or executed", proposed(), (w) => {
    w.run({ kind: "veto", voter: w4.publicKey, proposalId: 0n })
    w.expectError({ kind: "veto", voter: w4.publicKey, proposalId: 0n }, "GOV-13")
    w.run({ kind: "veto", voter: w3.publicKey, proposalId: 0n })
    w.run({ kind: "veto", voter: m1.publicKey, proposalId: 0n })
    w.expectError({ kind: "veto", voter: w2.publicKey, proposalId: 0n }, "GOV-11")
    w.toEpoch(4n)
    w.expectError({ kind: "execute", proposalId: 0n }, "GOV-11")
  })
  reject("veto-unknown", "GOV-10", "a veto of proposal 7", proposed(), { kind: "veto", voter: w1.publicKey, proposalId: 7n })
  reject("veto-no-stake", "GOV-14", "a veto by a key with no stake", proposed(), { kind: "veto", voter: outsider.publicKey, proposalId: 0n })
  reject("veto-pending-stake", "GOV-14", "a witness whose stake starts next epoch has no weight yet", (() => { const w = proposed(); w.run({ kind: "witnessBond", witness: w5.publicKey, amount: SOL }); return w })(), { kind: "veto", voter: w5.publicKey, proposalId: 0n })
  reject("veto-after-eta", "GOV-12", "a veto in the eta epoch", (() => { const w = proposed(); w.toEpoch(4n); return w })(), { kind: "veto", voter: w1.publicKey, proposalId: 0n })
  trace("governance-execute-activation", ["GOV-6", "GOV-15", "EPC-3", "CMT-3"], "eta 4: executing in epoch 3 is refused; executed in epoch 4 it activates at the boundary to epoch 5, not before — m3 leaves the committee of epoch 5", proposed(), (w) => {
    w.toEpoch(3n)
    w.expectError({ kind: "execute", proposalId: 0n }, "GOV-15")
    w.toEpoch(4n)
    w.run({ kind: "execute", proposalId: 0n })
    w.expectError({ kind: "execute", proposalId: 0n }, "GOV-11")
    w.warpTo(249n)
    if (w.state.config!.params[PARAM.roundReward] !== LOCALNET_PARAMS[PARAM.roundReward]) throw new Error("activated mid-epoch")
    w.toEpoch(5n)
    if (w.state.config!.params[PARAM.roundReward] !== 2_000_000n || w.state.committees.get("5")!.memberCount !== 2) throw new Error("not activated")
  })
  trace("governance-expired", ["GOV-17"], "a proposal made in epoch 2 with eta 4 (a timelock of 2 epochs) can be executed through epoch 6, not in epoch 7", proposed(), (w) => {
    w.toEpoch(7n)
    w.expectError({ kind: "execute", proposalId: 0n }, "GOV-17")
  })
  trace("governance-last-chance", ["GOV-17", "GOV-6"], "the same proposal executed in epoch 6, its last epoch", proposed(), (w) => {
    w.toEpoch(6n)
    w.run({ kind: "execute", proposalId: 0n })
    w.toEpoch(7n)
  })
  trace("governance-expiry-own-timelock", ["GOV-17", "GOV-4"], "a proposal made in epoch 2 with eta 7 waited 5 epochs, so it stays executable 5 epochs after eta, through epoch 12, though min_timelock_epochs is 2", proposed(7n), (w) => {
    w.toEpoch(10n)
    w.run({ kind: "execute", proposalId: 0n })
  })
  trace("governance-expired-own-timelock", ["GOV-17"], "the same proposal (eta 7, made in epoch 2) expires after epoch 12", proposed(7n), (w) => {
    w.toEpoch(13n)
    w.expectError({ kind: "execute", proposalId: 0n }, "GOV-17")
  })
  trace("governance-expiry-timelock-raised", ["GOV-17", "GOV-4"], "raising min_timelock_epochs to 5 does not extend an earlier proposal's expiry: eta 4, made in epoch 2, still expires after epoch 6", setup(), (w) => {
    w.run(propose([setParam("minTimelockEpochs", 5n)], 7n))
    w.run(propose([setParam("roundReward", 2_000_000n)], 4n))
    w.toEpoch(7n)
    w.run({ kind: "execute", proposalId: 0n })
    w.toEpoch(8n)
    if (w.state.config!.params[PARAM.minTimelockEpochs] !== 5n) throw new Error("min_timelock_epochs not raised")
    w.expectError({ kind: "execute", proposalId: 1n }, "GOV-17")
  })
  trace("governance-one-pending", ["GOV-16", "GOV-6"], "two proposals due in epoch 4: the second waits until the first has activated", setup(), (w) => {
    w.run(propose([setParam("roundReward", 2_000_000n)]))
    w.run(propose([keyChange(2, m3), keyChange(3, o1)]))
    w.toEpoch(4n)
    w.run({ kind: "execute", proposalId: 0n })
    w.expectError({ kind: "execute", proposalId: 1n }, "GOV-16")
    w.toEpoch(5n)
    w.run({ kind: "execute", proposalId: 1n })
    w.toEpoch(6n)
    if (w.state.committees.get("6")!.memberCount !== 2) throw new Error("m3 still seated")
  })
  trace("governance-outcome-rechecked", ["GOV-8", "GOV-6"], "two proposals each valid alone: raising submit to 60 then challenge to 35 would exceed two epochs; the second is refused at execution", setup(), (w) => {
    w.run(propose([setParam("submitWindowSlots", 50n)]))
    w.run(propose([setParam("challengeWindowSlots", 45n)]))
    w.toEpoch(4n)
    w.run({ kind: "execute", proposalId: 0n })
    w.toEpoch(5n)
    w.expectError({ kind: "execute", proposalId: 1n }, "GOV-8")
  })
  reject("execute-unknown", "GOV-10", "execute proposal 9", proposed(), { kind: "execute", proposalId: 9n })
}

// ---------------------------------------------------------------------------------------------- rewards

const rewards = (trace: Trace, accept: Accept, reject: Reject): void => {
  const r = alphaRoute()
  const finalized = () => {
    const w = inWindow()
    const aggs = fullSubmit(w)
    w.warpTo(190n)
    w.run({ kind: "finalizeRound", epoch: E, nameHash: nameHash(ALPHA) })
    return { w, aggs }
  }
  trace("rewards-and-claims", ["RWD-1", "RWD-2", "RWD-3", "RWD-4", "RWD-5", "RWD-6", "RWD-8"], "after finality each witness claims its share through a pinned leaf of each aggregate, then everyone is paid out", finalized().w, (w) => {
    const aggs = [m1, m2, m3].map((m) => honest(w, m, [w1, w2, w3, w4], E, r))
    for (const a of aggs)
      for (let i = 0; i < 4; i++) {
        w.run(pinOp(a, i))
        w.run({ kind: "claimWitnessReward", leafRef: refOf(a, i) })
      }
    w.expectError({ kind: "claimWitnessReward", leafRef: refOf(aggs[0]!, 0) }, "RWD-8")
    for (const m of [m1, m2, m3]) w.run({ kind: "claim", who: m.publicKey, role: "miner" })
    for (const x of [w1, w2, w3, w4]) w.run({ kind: "claim", who: x.publicKey, role: "witness" })
  })
  { const { w, aggs } = finalized(); w.run(pinOp(aggs[0]!, 0)); accept("claim_witness_reward", ["RWD-5"], "w1 claims through leaf 0 of m1's aggregate", w, { kind: "claimWitnessReward", leafRef: refOf(aggs[0]!, 0) }) }
  { const { w, aggs } = finalized(); reject("claim_witness_reward-unpinned", "BLF-6", "a claim through a leaf nobody pinned", w, { kind: "claimWitnessReward", leafRef: refOf(aggs[0]!, 0) }) }
  { const { w, aggs } = finalized(); reject("claim_witness_reward-no-aggregate", "BLF-1", "a claim through m4, who submitted nothing", w, { kind: "claimWitnessReward", leafRef: { ...refOf(aggs[0]!, 0), miner: m4.publicKey } }) }
  {
    const w = inWindow()
    const aggs = fullSubmit(w)
    w.run(pinOp(aggs[0]!, 0))
    reject("claim_witness_reward-not-finalized", "RWD-3", "a claim while the round is open", w, { kind: "claimWitnessReward", leafRef: refOf(aggs[0]!, 0) })
  }
  trace("claim_witness_reward-losing-route", ["RWD-4", "QRM-1"], "quorum_bps 6000: m1 and m2 finalize route 1 while m3 backed route 2; a witness of m3's aggregate earns nothing", inWindow(withParams({ quorumBps: 6000n })), (w) => {
    const r2 = alphaRoute(2n, "10.2.2.2")
    const a = [m1, m2].map((m) => honest(w, m, [w1, w2, w3, w4], E, r))
    w.run(submitOp(a[0]!, r))
    w.run(submitOp(a[1]!, null))
    const lost = honest(w, m3, [w1], E, r2)
    w.run(submitOp(lost, r2))
    w.warpTo(190n)
    w.run({ kind: "finalizeRound", epoch: E, nameHash: nameHash(ALPHA) })
    w.run(pinOp(lost, 0))
    w.expectError({ kind: "claimWitnessReward", leafRef: refOf(lost, 0) }, "RWD-4")
    w.run(pinOp(a[1]!, 0))
    w.run({ kind: "claimWitnessReward", leafRef: refOf(a[1]!, 0) })
  })
  trace("claim_witness_reward-stripped", ["RWD-4", "SLS-2"], "quorum_bps 6000: m3's aggregate is stripped for a bad leaf; the round still finalizes, and m3's witnesses earn nothing", inWindow(withParams({ quorumBps: 6000n })), (w) => {
    const aggs = [m1, m2].map((m) => honest(w, m, [w1, w2, w3, w4], E, r))
    w.run(submitOp(aggs[0]!, r))
    w.run(submitOp(aggs[1]!, null))
    const rh = routeHash(r.record)
    const leaves = byWitness([w1, w2]).map((k) => leafOfReceipt(receipt(k, E, ALPHA, rh), 1n))
    const bad = custom(m3, E, ALPHA, rh, leaves)
    w.run(submitOp(bad, null))
    w.run(pinOp(bad, 0))
    w.run({ kind: "proveBadWeight", challenger: outsider.publicKey, leafRef: refOf(bad, 0) })
    w.warpTo(190n)
    w.run({ kind: "finalizeRound", epoch: E, nameHash: nameHash(ALPHA) })
    w.run(pinOp(bad, 1))
    w.expectError({ kind: "claimWitnessReward", leafRef: refOf(bad, 1) }, "RWD-4")
  })
  trace("claim_witness_reward-no-witness-account", ["STK-4", "RWD-4"], "a leaf of a key that never bonded (weight 0) in a supporting aggregate: no account to credit", inWindow(), (w) => {
    const rh = routeHash(r.record)
    const leaves = byWitness([w1, w2, w3, w4, w5]).map((k) => leafOfReceipt(receipt(k, E, ALPHA, rh), w.stakeOf(k.publicKey, E)))
    const a = custom(m1, E, ALPHA, rh, leaves)
    w.run(submitOp(a, r))
    for (const m of [m2, m3]) w.run(submitOp(honest(w, m, [w1, w2, w3, w4], E, r), null))
    w.warpTo(190n)
    w.run({ kind: "finalizeRound", epoch: E, nameHash: nameHash(ALPHA) })
    const i = a.leaves.findIndex((l) => hex(l.witness) === hex(w5.publicKey))
    w.run(pinOp(a, i))
    w.expectError({ kind: "claimWitnessReward", leafRef: refOf(a, i) }, "STK-4")
  })
}
