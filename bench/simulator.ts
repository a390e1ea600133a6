/**
 * Simulator throughput against the raw SVM, on the same transactions, measured in the same run.
 *
 *   1. record  a workload scenario (six miners, six names updated every epoch, a fraud prover and an
 *              equivocator, so proofs, pins and slashes are in the mix) runs through the simulator on
 *              LiteSVM; every call that changes the SVM — airdrops, clock warps, signed wire transactions —
 *              is recorded in order;
 *   2. raw     that exact sequence is replayed into a fresh LiteSVM (program loaded, sigverify on),
 *              through its native binding: the wire bytes straight to `sendLegacyTransaction` — the limit;
 *   3. sim     the same sequence replayed through the simulator's transaction path: the in-process
 *              JSON-RPC `sendTransaction` the miners use (base64, parameter checks) → World.submit
 *              (account mirror, ledger) → the Observer (account diffs, events) → the event log line;
 *   4. ratio   sim tx/s ÷ raw tx/s. Goal ≥ 0.5: the simulator costs at most 2× the raw SVM's time.
 *
 * Also reported, without a goal: the recording run end to end — transactions per second of wall time
 * with the reference miners' off-chain work (SQLite, receipt verification, audits) included.
 *
 * Run: npm run bench:sim   (--json: the `{"results": [...]}` line bench/run.ts reads; --quick: fewer epochs)
 */
import { FailedTransactionMetadata } from "litesvm"
import { Effect } from "effect"
import { DEV_PROGRAM_ID } from "../programs/client/program-id.ts"
import { EventLog } from "../simulator/engine/EventLog.ts"
import { emptyHistory, Observer } from "../simulator/engine/Observer.ts"
import { runScenario } from "../simulator/engine/Run.ts"
import { parseScenario } from "../simulator/scenario/Scenario.ts"
import { clockAt, makeLiteSvm, rawLiteSvm } from "../simulator/world/LiteSvm.ts"
import { simSolanaRpc } from "../simulator/world/Rpc.ts"
import type { Svm } from "../simulator/world/Svm.ts"
import { World } from "../simulator/world/World.ts"
import { printJsonResults, type BenchResult } from "./lib/result.ts"

const QUICK = process.argv.includes("--quick")
const JSON_OUT = process.argv.includes("--json")
const ROUNDS = Number(process.env["BENCH_SIM_ROUNDS"] ?? (QUICK ? 3 : 6))
const log = (s: string) => (JSON_OUT ? process.stderr : process.stdout).write(`${s}\n`)

const WORKLOAD = `name: bench-workload
seed: 4242
epochs: ${QUICK ? 5 : 10}
population:
  miners:
    - { id: m, count: 6, stake: 10 }
    - { id: bw, stake: 2, adversary: inflate }
    - { id: eq, stake: 2, adversary: eqv }
  witnesses:
    - { id: w, count: 8, total_stake: 16, distribution: linear }
  names:
${Array.from({ length: 6 }, (_, i) => `    - { name: n${i}.dns, updates: { every: 1, from: 2 } }`).join("\n")}
adversaries:
  - id: inflate
    strategy: inflator
    options: { from_epoch: 2 }
  - id: eqv
    strategy: equivocator
    options: { mode: onchain, from_epoch: 3 }
`

type Call = { readonly kind: "send"; readonly wire: Uint8Array } | { readonly kind: "warp"; readonly slot: bigint } | { readonly kind: "airdrop"; readonly to: Uint8Array; readonly lamports: bigint }

/** A port that records every state-changing call it forwards. */
const recording = (inner: Svm, calls: Call[]): Svm => ({
  ...inner,
  ...(inner.sync === undefined
    ? {}
    : {
        sync: {
          account: inner.sync.account,
          send: (wire: Uint8Array) => {
            calls.push({ kind: "send", wire })
            return inner.sync!.send(wire)
          }
        }
      }),
  send: (wire) => {
    calls.push({ kind: "send", wire })
    return inner.send(wire)
  },
  warpTo: (slot) => {
    if (slot > inner.slot()) calls.push({ kind: "warp", slot })
    return inner.warpTo(slot)
  },
  airdrop: (to, amount) => {
    calls.push({ kind: "airdrop", to, lamports: amount })
    return inner.airdrop(to, amount)
  },
  slot: () => inner.slot(),
  latestBlockhash: () => inner.latestBlockhash(),
  account: (a) => inner.account(a)
})

// ------------------------------------------------------------------------------------------ 1. record

const scenario = parseScenario(WORKLOAD, "bench-workload.yaml")
const calls: Call[] = []
log(`simulator bench — recording the workload (${scenario.epochs} epochs, ${scenario.miners.length} miners, ${scenario.names.length} names) …`)
const recorded = await (async () => {
  const t = performance.now()
  const result = await runScenario(scenario, { backend: "litesvm", svmFactory: () => recording(makeLiteSvm(), calls) })
  return { result, seconds: (performance.now() - t) / 1000 }
})()
const sends = calls.filter((c) => c.kind === "send").length
log(`  ${sends} transactions, ${calls.length - sends} warps and airdrops, ${recorded.result.status}, ${recorded.seconds.toFixed(2)} s end to end`)

// ------------------------------------------------------------------------------------------ 2. raw

/** The same calls into LiteSVM's native binding: wire bytes straight to `sendLegacyTransaction`. */
const replayRaw = (): number => {
  const svm = rawLiteSvm()
  const t = process.hrtime.bigint()
  let failed = 0
  for (const c of calls) {
    if (c.kind === "send") {
      if (svm.sendLegacyTransaction(c.wire) instanceof FailedTransactionMetadata) failed++
    } else if (c.kind === "warp") {
      svm.setClock(clockAt(c.slot))
      svm.expireBlockhash()
    } else svm.airdrop(c.to, c.lamports)
  }
  const s = Number(process.hrtime.bigint() - t) / 1e9
  if (failed !== recordedFailures) throw new Error(`raw replay diverged: ${failed} failed transactions, the recording had ${recordedFailures}`)
  return s
}

// ------------------------------------------------------------------------------------------ 3. sim

const replaySim = async (): Promise<number> => {
  const world = new World(makeLiteSvm(), DEV_PROGRAM_ID)
  const log = new EventLog(() => ({ slot: world.slot, epoch: world.slot / 50n }))
  const history = emptyHistory()
  const observer = new Observer({
    log,
    history,
    label: (k) => Buffer.from(k.subarray(0, 4)).toString("hex"),
    nameOf: (h) => Buffer.from(h.subarray(0, 4)).toString("hex"),
    serialOf: () => undefined,
    newestSerialAt: () => 0n,
    receiptSlot: (e) => e * 50n + 5n,
    proposalLabel: (id) => `p${id}`,
    via: () => "bench",
    epoch: () => world.slot / 50n
  })
  world.onTx((tx) => observer.onTx(tx))
  const rpc = simSolanaRpc(world)
  const t = process.hrtime.bigint()
  let failed = 0
  for (const c of calls) {
    if (c.kind === "send") {
      const r = await Effect.runPromise(Effect.result(rpc.call("sendTransaction", [Buffer.from(c.wire).toString("base64"), { encoding: "base64", skipPreflight: false }])))
      if (r._tag === "Failure") failed++
    } else if (c.kind === "warp") await world.warpTo(c.slot)
    else await world.airdrop(c.to, c.lamports)
  }
  const s = Number(process.hrtime.bigint() - t) / 1e9
  if (failed !== recordedFailures) throw new Error(`simulator replay diverged: ${failed} failed transactions, the recording had ${recordedFailures}`)
  if (log.size < sends) throw new Error("the observer logged fewer events than transactions")
  return s
}

const recordedFailures = recorded.result.history.txs.filter((x) => !x.ok && !x.duplicate).length

const rawTimes: number[] = []
const simTimes: number[] = []
replayRaw() // warm up both paths once
await replaySim()
for (let r = 0; r < ROUNDS; r++) {
  rawTimes.push(replayRaw())
  simTimes.push(await replaySim())
}
const raw = sends / Math.min(...rawTimes)
const sim = sends / Math.min(...simTimes)
const ratio = sim / raw
log(`  raw LiteSVM replay:         ${Math.round(raw).toLocaleString("en-US")} tx/s (best of ${ROUNDS})`)
log(`  simulator transaction path: ${Math.round(sim).toLocaleString("en-US")} tx/s (best of ${ROUNDS}) — ${(1 / ratio).toFixed(2)}× the raw time (goal ≤ 2×)`)
const e2e = sends / recorded.seconds
log(`  end to end (reference miners' off-chain work included): ${Math.round(e2e).toLocaleString("en-US")} tx/s`)

const results: BenchResult[] = [
  {
    id: "simulator.tx",
    figure: "simulator transaction path (JSON-RPC → world → observer → event log) tx/s, against raw LiteSVM on the same transactions",
    value: Math.round(sim),
    unit: "tx/s",
    limit: { what: "raw LiteSVM replay of the same transactions, same run", value: Math.round(raw), unit: "tx/s" },
    ratio: Number(ratio.toFixed(3)),
    ratioNote: "figure / limit (≥ 0.5: the simulator takes at most 2× the raw SVM's time)",
    goal: { on: "ratio", op: ">=", target: 0.5 },
    detail: `${sends} transactions of a ${scenario.epochs}-epoch workload with proofs and slashes; best of ${ROUNDS} rounds each`,
    rerun: { args: ["bench/simulator.ts", "--json", ...(QUICK ? ["--quick"] : [])] }
  },
  {
    id: "simulator.endToEnd",
    figure: "scenario end to end, reference miners included: transactions per second of wall time",
    value: Math.round(e2e),
    unit: "tx/s",
    limit: { what: "raw LiteSVM replay, same run", value: Math.round(raw), unit: "tx/s" },
    ratio: Number((e2e / raw).toFixed(4)),
    ratioNote: "figure / limit (informative: most of the time is the miners' own off-chain work)",
    detail: `${recorded.seconds.toFixed(2)} s for ${scenario.epochs} epochs, ${scenario.miners.length} miners (6 reference miners), ${sends} transactions`
  }
]
if (JSON_OUT) printJsonResults(results)
