/**
 * One run of one scenario: the world, the cast, and the clock that drives them.
 *
 *   setup (slot 1): initialize, bond miners and witnesses, register names, fund the pool, publish
 *                   every name's first route; start the honest miners (reference miner) and the
 *                   adversaries
 *   for each epoch 1..epochs, for each tick of `tick_slots` slots:
 *     warp → active strategies' `beforeTick` → every online honest miner's `ChainLoop.tick` → joins,
 *     leaves, scheduled route updates and timeline events → witnesses sign and send receipts →
 *     active strategies' `afterTick` (stopped ones: their miners `follow` the protocol) → clients
 *   finish: expectations, metrics, outputs
 *
 * Everything is sequential and every random choice comes from the scenario seed, so a run is a pure
 * function of (scenario, seed, backend): `events.jsonl` is byte-identical across runs.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { LogLevel } from "effect/LogLevel"
import { seeds } from "../../programs/client/pda.ts"
import { DEV_PROGRAM_ID } from "../../programs/client/program-id.ts"
import type { SignedReceipt } from "../../spec/src/aggregate.ts"
import { CHANGE_KIND, type Change } from "../../spec/src/accounts.ts"
import { equal, hex } from "../../spec/src/bytes.ts"
import { keypairFromSeed, sign, type Keypair } from "../../spec/src/ed25519.ts"
import { H } from "../../spec/src/hash.ts"
import { buildLevels, inclusionPath, leafNode, rootChildren } from "../../spec/src/merkle.ts"
import { encodeRouteRecord, RECORD_TYPE, receiptDigest, routeAuthDigest, routeAuthOf, routeHash, type RouteRecord } from "../../spec/src/objects.ts"
import type { Op } from "../../spec/src/ops.ts"
import { param, PARAM, type Params } from "../../spec/src/params.ts"
import { isZero, verifyRoute } from "../../reference/client/Verify.ts"
import { VerificationFailure } from "../../reference/client/Failure.ts"
import type { Peer } from "../../reference/miner/Watcher.ts"
import { HonestMiner } from "../actors/HonestMiner.ts"
import { AdversaryMiner, type Built } from "../adversaries/AdversaryMiner.ts"
import { loadStrategy } from "../adversaries/index.ts"
import type { Action, ControlledWitness, NameInfo, Phase, PublishedRoute, Strategy, StrategyContext, Tick } from "../adversaries/Strategy.ts"
import { paramNameOf, parseParamValue, sol, type AdversarySpec, type NameSpec, type Scenario, type TimelineEvent } from "../scenario/Scenario.ts"
import { makeBankrun } from "../world/Bankrun.ts"
import { makeLiteSvm } from "../world/LiteSvm.ts"
import { Rng } from "../world/Rng.ts"
import { simSolanaRpc, type RpcCounts } from "../world/Rpc.ts"
import type { Backend, Svm } from "../world/Svm.ts"
import { World } from "../world/World.ts"
import { EventLog, short, solOf } from "./EventLog.ts"
import { checkExpectations, type ExpectationResult } from "./Expectations.ts"
import { computeMetrics, type Metrics } from "./Metrics.ts"
import { emptyHistory, Observer, type History } from "./Observer.ts"

export interface RunOptions {
  readonly backend?: Backend
  /** Miner log lines at this level and above go to stderr (default: silent). */
  readonly minerLogLevel?: LogLevel
  /** Called with every event line as it is logged. */
  readonly onEvent?: (line: string) => void
  /** Called at the start of every epoch. */
  readonly onEpoch?: (epoch: bigint, last: bigint) => void
  /** Where miners' SQLite files go (default: /dev/shm when present, else the OS temp dir). */
  readonly tmpRoot?: string
  /** Makes the SVM instead of the backend's adapter (benchmarks wrap the port to record it). */
  readonly svmFactory?: () => Svm | Promise<Svm>
}

export type RunStatus = "passed" | "failed" | "not-applicable"

export interface RunResult {
  readonly scenario: string
  readonly backend: Backend
  readonly seed: number
  readonly status: RunStatus
  /** Why the run is not applicable. */
  readonly reason?: string
  readonly expectations: readonly ExpectationResult[]
  readonly metrics: Metrics
  readonly events: string
  readonly history: History
  readonly wallMs: number
  readonly txCount: number
  readonly rpc: Readonly<Record<string, number>>
}

const AIRDROP_EXTRA = sol(100)

interface RunningAdversary {
  readonly spec: AdversarySpec
  readonly strategy: Strategy
  readonly ctx: StrategyContext
  readonly miners: AdversaryMiner[]
  active: boolean
  readonly counters: Map<string, number>
}

/** The honest actors' default keys: derived from the scenario seed and the actor's id. */
export const actorKey = (seed: number, label: string): Keypair => keypairFromSeed(H("dotdns/sim/key", new TextEncoder().encode(`${seed}/${label}`)))

const defaultTmp = (): string => {
  try {
    return mkdtempSync("/dev/shm/dotdns-sim-")
  } catch {
    return mkdtempSync(join(tmpdir(), "dotdns-sim-"))
  }
}

const ipOf = (nameIndex: number, serial: bigint): string => `10.${(nameIndex + 1) % 256}.${Number(serial % 256n)}.1`

export const runScenario = async (scenario: Scenario, options: RunOptions = {}): Promise<RunResult> => {
  const backend = options.backend ?? "litesvm"
  const started = performance.now()
  const svm: Svm = options.svmFactory !== undefined ? await options.svmFactory() : backend === "bankrun" ? await makeBankrun() : makeLiteSvm()
  const missing = scenario.needs.filter((n) => !svm.capabilities.has(n))
  if (missing.length > 0) {
    await svm.close()
    const reason = `needs ${missing.join(", ")}, which the ${backend} backend does not provide (bankrun does not verify Ed25519-program signatures)`
    const log = new EventLog(() => ({ slot: 0n, epoch: 0n }), options.onEvent === undefined ? undefined : (_e, line) => options.onEvent!(line))
    log.emit("run.not_applicable", { scenario: scenario.name, backend, seed: scenario.seed, reason })
    const history = emptyHistory()
    return {
      scenario: scenario.name,
      backend,
      seed: scenario.seed,
      status: "not-applicable",
      reason,
      expectations: [],
      metrics: computeMetrics({ scenario, backend, history, status: "not-applicable", strategies: {}, rewards: {}, rpc: {}, clients: [] }),
      events: log.text(),
      history,
      wallMs: performance.now() - started,
      txCount: 0,
      rpc: {}
    }
  }
  const run = new Run(scenario, svm, backend, options)
  try {
    return await run.execute(started)
  } finally {
    await run.close()
  }
}

class Run {
  readonly scenario: Scenario
  readonly backend: Backend
  readonly options: RunOptions
  readonly world: World
  readonly log: EventLog
  readonly history = emptyHistory()
  readonly rpcCounts: RpcCounts = new Map()
  readonly rng: Rng
  readonly L: bigint
  private readonly keys = new Map<string, Keypair>()
  private readonly labels = new Map<string, string>()
  private readonly names: { spec: NameSpec; info: NameInfo & { routes: PublishedRoute[] } }[] = []
  readonly honest: HonestMiner[] = []
  private readonly adversaries: RunningAdversary[] = []
  private readonly advMiners = new Map<string, AdversaryMiner>()
  private readonly offline = new Map<string, bigint | undefined>()
  private readonly undelivered = new Map<string, PublishedRoute[]>()
  private readonly proposalIds = new Map<string, bigint>()
  private readonly proposalLabels = new Map<bigint, string>()
  private readonly seenOnce = new Set<string>()
  private readonly dataDir: string
  private via = "setup"
  private epoch = 0n

  constructor(scenario: Scenario, svm: Svm, backend: Backend, options: RunOptions) {
    this.scenario = scenario
    this.backend = backend
    this.options = options
    this.world = new World(svm, DEV_PROGRAM_ID)
    this.rng = Rng.of(scenario.seed)
    this.L = param(scenario.params, "epochLengthSlots")
    this.dataDir = options.tmpRoot === undefined ? defaultTmp() : mkdtempSync(join(options.tmpRoot, "dotdns-sim-"))
    this.log = new EventLog(
      () => ({ slot: this.world.slot, epoch: this.world.slot / this.L }),
      options.onEvent === undefined ? undefined : (_e, line) => options.onEvent!(line)
    )
    const observer = new Observer({
      log: this.log,
      history: this.history,
      label: (k) => this.label(k),
      nameOf: (h) => this.names.find((n) => equal(n.info.nameHash, h))?.spec.name ?? short(h),
      serialOf: (h, rh) => this.names.find((n) => equal(n.info.nameHash, h))?.info.routes.find((r) => equal(r.routeHash, rh))?.serial,
      newestSerialAt: (h, slot) => {
        let s = 0n
        for (const r of this.names.find((n) => equal(n.info.nameHash, h))?.info.routes ?? []) if (r.publishedSlot <= slot && r.serial > s) s = r.serial
        return s
      },
      receiptSlot: (e) => e * this.L + this.scenario.witnessOffset,
      proposalLabel: (id) => this.proposalLabels.get(id) ?? `p${id}`,
      via: () => this.via,
      epoch: () => this.world.slot / this.L
    })
    this.world.onTx((tx) => observer.onTx(tx))
  }

  // -------------------------------------------------------------------------------------- keys

  key(label: string): Keypair {
    let k = this.keys.get(label)
    if (k === undefined) {
      k = actorKey(this.scenario.seed, label)
      this.keys.set(label, k)
      this.labels.set(hex(k.publicKey), label)
    }
    return k
  }

  label(key: Uint8Array): string {
    return this.labels.get(hex(key)) ?? (isZero(key) ? "none" : short(key))
  }

  private params(): Params {
    return this.world.config()?.params ?? this.scenario.params
  }

  /** Sends an op paid and signed by `payer` (plus `signers`), attributed to `via` in the log. */
  private async send(op: Op, payer: Keypair, via: string, signers: readonly Keypair[] = []) {
    const prev = this.via
    this.via = via
    try {
      return await this.world.sendOp(op, payer, signers)
    } finally {
      this.via = prev
    }
  }

  private once(key: string): boolean {
    if (this.seenOnce.has(key)) return false
    this.seenOnce.add(key)
    return true
  }

  // ------------------------------------------------------------------------------------ setup

  private async setup(): Promise<void> {
    const s = this.scenario
    await this.world.warpTo(1n)
    this.log.emit("run.start", { scenario: s.name, backend: this.backend, seed: s.seed, epochs: s.epochs, tickSlots: s.tickSlots })
    const admin = this.key("admin")
    for (const n of s.names) this.key(n.owner)
    await this.world.airdrop(admin.publicKey, sol(10_000))
    for (const m of s.miners) await this.world.airdrop(this.key(m.label).publicKey, m.stake + AIRDROP_EXTRA)
    for (const w of s.witnesses) await this.world.airdrop(this.key(w.label).publicKey, w.stake + sol(10))
    for (const n of s.names) await this.world.airdrop(this.key(n.owner).publicKey, sol(10))
    const known = new Set(["admin", ...s.miners.map((m) => m.label), ...s.witnesses.map((w) => w.label), ...s.names.map((n) => n.owner)])
    for (const a of s.adversaries) for (const k of a.keys) if (!known.has(k)) await this.world.airdrop(this.key(k).publicKey, sol(100))

    const allowlist = s.miners.filter((m) => m.allowlisted).map((m) => this.key(m.label).publicKey)
    await this.send({ kind: "initialize", authority: admin.publicKey, params: [...s.params], allowlist }, admin, "setup")
    for (const m of s.miners) if ((m.joinEpoch === undefined || m.joinEpoch <= 0n) && m.stake > 0n) await this.bondMiner(m.label, m.stake, "setup")
    for (const w of s.witnesses) await this.send({ kind: "witnessBond", witness: this.key(w.label).publicKey, amount: w.stake }, this.key(w.label), "setup")
    for (const n of s.names) await this.send({ kind: "registerName", owner: this.key(n.owner).publicKey, name: n.name }, this.key(n.owner), "setup")
    await this.send({ kind: "fundPool", funder: admin.publicKey, amount: sol(10) }, admin, "setup")

    for (const n of s.names) this.names.push({ spec: n, info: { name: n.name, nameHash: n.nameHash, owner: n.owner, routes: [] } })

    // Honest miners: the reference miner, one runtime each.
    const rpc = simSolanaRpc(this.world, this.rpcCounts)
    const peerLists = new Map<string, Peer[]>()
    for (const m of s.miners) {
      if (m.adversary !== undefined) continue
      this.honest.push(
        await HonestMiner.start({
          label: m.label,
          keypair: this.key(m.label),
          world: this.world,
          rpc,
          dataDir: join(this.dataDir, m.label),
          peers: peerLists.set(m.label, []).get(m.label)!,
          dutySeed: hex(H("dotdns/sim/duty-seed", new TextEncoder().encode(`${s.seed}/${m.label}`))),
          carBatches: s.minerOptions.carBatches,
          challenges: s.minerOptions.challenges,
          auditLeaves: s.minerOptions.auditLeaves,
          revealLeaves: s.minerOptions.revealLeaves,
          revealBudget: s.minerOptions.revealBudget,
          ...(s.minerOptions.revealAfterSlots === undefined ? {} : { revealAfterSlots: s.minerOptions.revealAfterSlots }),
          ...(this.options.minerLogLevel === undefined ? {} : { logLevel: this.options.minerLogLevel })
        })
      )
    }

    // Adversaries: their miners, witnesses and keys, then the strategies.
    for (const spec of s.adversaries) {
      const miners = s.miners
        .filter((m) => m.adversary === spec.id)
        .map((m) => new AdversaryMiner({ label: m.label, keypair: this.key(m.label), api: m.api, chain: this.world, names: () => this.names.map((n) => n.info) }))
      for (const m of miners) this.advMiners.set(m.label, m)
      const witnesses: ControlledWitness[] = s.witnesses
        .filter((w) => w.adversary === spec.id)
        .map((w) => {
          const kp = this.key(w.label)
          return {
            label: w.label,
            keypair: kp,
            stake: w.stake,
            sign: (epoch, nameHash, rh) => {
              const receipt = { epoch, nameHash, routeHash: rh, witness: kp.publicKey }
              return { receipt, signature: sign(kp, receiptDigest(receipt)) }
            }
          }
        })
      const keys = new Map<string, Keypair>()
      for (const id of spec.keys) keys.set(id, this.key(id))
      const counters = new Map<string, number>()
      const ctx: StrategyContext = {
        id: spec.id,
        options: spec.options,
        rng: this.rng.fork(`adversary/${spec.id}`),
        chain: this.world,
        params: () => this.params(),
        miners,
        witnesses,
        keys,
        names: this.names.map((n) => n.info),
        publicKey: (id) => this.keys.get(id)?.publicKey,
        label: (k) => this.label(k),
        count: (name, by = 1) => counters.set(name, (counters.get(name) ?? 0) + by),
        set: (name, value) => counters.set(name, value)
      }
      const strategy = await loadStrategy(spec)
      this.adversaries.push({ spec, strategy, ctx, miners, active: spec.active, counters })
      this.log.emit("adversary.ready", { adversary: spec.id, strategy: spec.strategy ?? spec.module?.split("/").pop() ?? "?", miners: miners.map((m) => m.label), witnesses: witnesses.map((w) => w.label), keys: [...keys.keys()], active: spec.active })
    }

    // Every miner exists now: each honest miner gossips with all the others that serve an API.
    for (const [me, list] of peerLists)
      list.push(...this.honest.filter((h) => h.label !== me).map((h) => h.peer()), ...[...this.advMiners.values()].filter((a) => a.api).map((a) => a.peer()))

    for (const n of this.names) await this.publishRoute(n, 1n)
    for (const a of this.adversaries) if (a.strategy.init !== undefined) await this.act(a, await a.strategy.init(a.ctx))
  }

  private async bondMiner(label: string, amount: bigint, via: string): Promise<void> {
    await this.send({ kind: "minerBond", miner: this.key(label).publicKey, amount }, this.key(label), via)
  }

  // ------------------------------------------------------------------------------------ routes

  /** The owner signs serial `serial` of a name and sends it to every miner (offline ones get it when back). */
  private async publishRoute(n: (typeof this.names)[number], serial: bigint, a?: string): Promise<void> {
    const owner = this.key(n.spec.owner)
    const ip = a ?? (serial === 1n ? n.spec.a : ipOf(this.names.indexOf(n), serial))
    const record: RouteRecord = { name: n.spec.name, serial, ttl: 300, records: [{ type: RECORD_TYPE.A, data: Uint8Array.from(ip.split(".").map(Number)) }], owner: owner.publicKey }
    const route: PublishedRoute = {
      name: n.spec.name,
      nameHash: n.info.nameHash,
      record,
      encoding: encodeRouteRecord(record),
      signature: sign(owner, routeAuthDigest(routeAuthOf(record))),
      routeHash: routeHash(record),
      serial,
      publishedSlot: this.world.slot
    }
    n.info.routes.push(route)
    this.history.publications.push({ slot: this.world.slot, epoch: this.epoch, name: n.spec.name, serial, routeHash: route.routeHash })
    this.log.emit("route.published", { name: n.spec.name, serial, route: short(route.routeHash), a: ip, owner: n.spec.owner })
    for (const m of this.honest) {
      if (this.offline.has(m.label)) {
        const list = this.undelivered.get(m.label) ?? []
        list.push(route)
        this.undelivered.set(m.label, list)
        continue
      }
      const outcome = await m.publishRoute(route.encoding, route.signature)
      if (outcome !== "accepted" && outcome !== "duplicate") this.log.emit("route.refused", { miner: m.label, name: n.spec.name, serial, outcome })
    }
  }

  // -------------------------------------------------------------------------------- witnesses

  /** Honest witnesses sign a receipt for each name's newest published route and send them to every online miner. */
  private async witnessEpoch(epoch: bigint): Promise<void> {
    const receipts: SignedReceipt[] = []
    const rng = this.rng.fork(`witness/${epoch}`)
    for (const w of this.scenario.witnesses) {
      if (w.adversary !== undefined) continue
      const kp = this.key(w.label)
      for (const n of this.names) {
        const latest = n.info.routes[n.info.routes.length - 1]
        if (latest === undefined || (w.coverage < 1 && !rng.chance(w.coverage))) continue
        const receipt = { epoch, nameHash: n.info.nameHash, routeHash: latest.routeHash, witness: kp.publicKey }
        receipts.push({ receipt, signature: sign(kp, receiptDigest(receipt)) })
      }
    }
    if (receipts.length === 0) return
    await this.deliver(receipts, "all", "witnesses")
    this.log.emit("receipts.sent", { forEpoch: epoch, count: receipts.length })
  }

  private async deliver(receipts: readonly SignedReceipt[], to: "honest" | "all" | readonly string[], via: string): Promise<void> {
    const wants = (label: string) => to === "all" || (to === "honest" ? !this.advMiners.has(label) : to.includes(label))
    for (const m of this.honest) {
      if (!wants(m.label) || this.offline.has(m.label)) continue
      const r = await m.ingest(receipts)
      if (r.rejected > 0 && this.once(`ingest/${m.label}/${via}/${this.epoch}`))
        this.log.emit("receipts.rejected", { miner: m.label, via, rejected: r.rejected, rules: [...new Set(r.results.filter((x) => x.status === "rejected").map((x) => x.rule ?? "?"))] })
    }
    for (const [label, m] of this.advMiners) if (wants(label)) m.receive(receipts)
  }

  // ---------------------------------------------------------------------------------- timeline

  private async timelineEvent(e: TimelineEvent): Promise<void> {
    const x = e.entry
    const via = "timeline"
    this.log.emit("timeline", { line: e.line, event: e.text })
    if (x.publish_route !== undefined) {
      const n = this.names.find((k) => k.spec.name === x.publish_route!.name)!
      const next = x.publish_route.serial === undefined ? BigInt(n.info.routes.length) + 1n : BigInt(x.publish_route.serial)
      await this.publishRoute(n, next, x.publish_route.a)
    } else if (x.start_adversary !== undefined || x.stop_adversary !== undefined) {
      const id = x.start_adversary ?? x.stop_adversary!
      const a = this.adversaries.find((k) => k.spec.id === id)!
      a.active = x.start_adversary !== undefined
      this.log.emit(a.active ? "adversary.started" : "adversary.stopped", { adversary: id })
    } else if (x.offline !== undefined) {
      for (const m of x.offline.miners) this.offline.set(m, x.offline.until_epoch === undefined ? undefined : BigInt(x.offline.until_epoch))
      this.log.emit("miners.offline", { miners: x.offline.miners, until: x.offline.until_epoch ?? null })
    } else if (x.online !== undefined) {
      for (const m of x.online.miners) await this.backOnline(m)
    } else if (x.bond !== undefined) {
      const id = x.bond.miner ?? x.bond.witness!
      const amount = sol(x.bond.amount)
      if (x.bond.miner !== undefined) await this.bondMiner(id, amount, via)
      else await this.send({ kind: "witnessBond", witness: this.key(id).publicKey, amount }, this.key(id), via)
    } else if (x.unbond !== undefined) {
      const id = x.unbond.miner ?? x.unbond.witness!
      await this.unbond(id, x.unbond.miner !== undefined, x.unbond.amount === undefined ? undefined : sol(x.unbond.amount), via)
    } else if (x.unjail !== undefined) {
      const kp = this.key(x.unjail.miner)
      await this.send({ kind: "unjail", miner: kp.publicKey }, kp, via)
    } else if (x.propose !== undefined) {
      const p = x.propose
      const by = this.key(p.by ?? "admin")
      const config = this.world.config()!
      const changes: Change[] = p.changes.map((c) => {
        const zero = new Uint8Array(32)
        if (c.set_param !== undefined) {
          const name = paramNameOf(c.set_param)!
          return { kind: CHANGE_KIND.setParam, param: PARAM[name], value: parseParamValue(name, c.value!) as bigint, key: zero }
        }
        if (c.allowlist_add !== undefined) return { kind: CHANGE_KIND.allowlistAdd, param: 0, value: 0n, key: this.key(c.allowlist_add).publicKey }
        if (c.allowlist_remove !== undefined) return { kind: CHANGE_KIND.allowlistRemove, param: 0, value: 0n, key: this.key(c.allowlist_remove).publicKey }
        return { kind: CHANGE_KIND.setAuthority, param: 0, value: 0n, key: this.key(c.set_authority!).publicKey }
      })
      const eta = config.currentEpoch + BigInt(p.eta_in_epochs ?? Number(param(config.params, "minTimelockEpochs")))
      const id = config.nextProposalId
      this.proposalIds.set(p.id, id)
      this.proposalLabels.set(id, p.id)
      await this.send({ kind: "propose", proposer: by.publicKey, changes, etaEpoch: eta }, by, via)
    } else if (x.veto !== undefined) {
      const id = this.proposalIds.get(x.veto.proposal)
      if (id === undefined) return
      const by = x.veto.by
      const voters =
        by === "witnesses"
          ? this.scenario.witnesses.filter((w) => w.adversary === undefined).map((w) => w.label)
          : by === "miners"
            ? this.scenario.miners.filter((m) => m.adversary === undefined).map((m) => m.label)
            : by === "all"
              ? [...this.scenario.miners.filter((m) => m.adversary === undefined).map((m) => m.label), ...this.scenario.witnesses.filter((w) => w.adversary === undefined).map((w) => w.label)]
              : by
      for (const v of voters) {
        if (this.history.proposals.get(id)?.status !== "queued") break
        await this.send({ kind: "veto", voter: this.key(v).publicKey, proposalId: id }, this.key(v), via)
      }
    } else if (x.execute !== undefined) {
      const id = this.proposalIds.get(x.execute.proposal)
      if (id === undefined) return
      const by = this.key(x.execute.by ?? "admin")
      await this.send({ kind: "execute", proposalId: id }, by, via)
    } else if (x.resolve !== undefined) {
      await this.resolve(x.resolve.client, x.resolve.name)
    }
  }

  private async unbond(label: string, miner: boolean, amount: bigint | undefined, via: string): Promise<void> {
    const kp = this.key(label)
    if (miner) {
      const set = this.world.minerSet()
      let bonded = 0n
      for (let i = 0; i < (set?.count ?? 0); i++) if (equal(set!.entries[i]!.key, kp.publicKey)) bonded = set!.entries[i]!.active + set!.entries[i]!.pending
      if (bonded === 0n) return
      await this.send({ kind: "minerUnbond", miner: kp.publicKey, amount: amount ?? bonded }, kp, via)
    } else {
      const w = this.world.witness(kp.publicKey)
      const bonded = w === undefined || w.checkpointCount === 0 ? 0n : w.checkpoints[w.checkpointCount - 1]!.amount
      if (bonded === 0n) return
      await this.send({ kind: "witnessUnbond", witness: kp.publicKey, amount: amount ?? bonded }, kp, via)
    }
  }

  private async backOnline(label: string): Promise<void> {
    if (!this.offline.has(label)) return
    this.offline.delete(label)
    this.log.emit("miners.online", { miners: [label] })
    const m = this.honest.find((h) => h.label === label)
    for (const r of this.undelivered.get(label) ?? []) if (m !== undefined) await m.publishRoute(r.encoding, r.signature)
    this.undelivered.delete(label)
  }

  // ----------------------------------------------------------------------------------- clients

  /** A client resolves a name as the reference client would: any miner's record, verified against the chain [CLI-2..4]. */
  private async resolve(client: string, name: string): Promise<void> {
    const n = this.names.find((k) => k.spec.name === name)
    if (n === undefined) return
    const account = this.world.name(n.info.nameHash)
    const record = (answer: string, serial: bigint | undefined, extra: Record<string, string | number>) => {
      this.history.clients.push({ slot: this.world.slot, epoch: this.epoch, client, name, serial, answer })
      this.log.emit("client.resolve", { client, name, answer, ...(serial === undefined ? {} : { serial }), ...extra })
    }
    if (account === undefined) return record("NXDOMAIN", undefined, {})
    if (isZero(account.routeHash)) return record("SERVFAIL", undefined, { reason: "no canonical route yet" })
    const onChain = { address: this.world.pda(seeds.name(n.info.nameHash)), owner: account.owner, routeHash: account.routeHash, serial: account.serial, routeEpoch: account.routeEpoch, slot: this.world.slot }
    const sources = this.rng.fork(`client/${client}/${this.world.slot}/${name}`).shuffle([...this.honest.filter((h) => !this.offline.has(h.label)).map((h) => h.label), ...this.advMiners.keys()])
    const failures: string[] = []
    for (const source of sources) {
      let published: { encoding: Uint8Array; signature: Uint8Array } | undefined
      const h = this.honest.find((x) => x.label === source)
      if (h !== undefined) {
        const l = await h.lookup(name)
        if (l?.entry !== undefined) published = { encoding: l.entry.route.record, signature: l.entry.route.signature }
      } else {
        const m = this.advMiners.get(source)!
        const a = this.adversaries.find((x) => x.miners.includes(m))!
        const custom = a.active ? a.strategy.serveRoute?.(a.ctx, m, n.info) : undefined
        if (custom === null) {
          failures.push(`${source}:refused`)
          continue
        }
        const route = custom ?? n.info.routes.find((r) => equal(r.routeHash, account.routeHash))
        if (route !== undefined) published = { encoding: route.encoding, signature: route.signature }
      }
      if (published === undefined) {
        failures.push(`${source}:none`)
        continue
      }
      const v = verifyRoute(name, onChain, { ...published, miner: source }, 0)
      if (v instanceof VerificationFailure) {
        failures.push(`${source}:${v.kind}`)
        continue
      }
      const a = v.record.records[0]
      return record(a === undefined ? "NODATA" : [...a.data].join("."), v.record.serial, { from: source, tried: failures.length + 1 })
    }
    record("SERVFAIL", undefined, { reason: failures.join(" ") })
  }

  // -------------------------------------------------------------------------------- adversaries

  private builtOf(a: Extract<Action, { kind: "publish" }>): Built {
    const levels = buildLevels(a.leaves.map(leafNode))
    return {
      statement: a.statement.statement,
      signature: a.statement.signature,
      leaves: a.leaves,
      receipts: a.receipts,
      levels,
      opening: a.leaves.length === 1 ? { kind: "leaf", leaf: a.leaves[0]! } : { kind: "node", ...rootChildren(levels[0]!) },
      proof: (i) => inclusionPath(levels, i)
    }
  }

  private heldKey(a: RunningAdversary, id: string): Keypair {
    const m = a.miners.find((x) => x.label === id)
    if (m !== undefined) return m.keypair
    const w = a.ctx.witnesses.find((x) => x.label === id)
    if (w !== undefined) return w.keypair
    const k = a.ctx.keys.get(id)
    if (k !== undefined) return k
    throw new Error(`adversary ${a.spec.id} acts as ${id}, a key it does not hold`)
  }

  private async act(a: RunningAdversary, actions: readonly Action[]): Promise<void> {
    const via = `adversary:${a.spec.id}`
    for (const act of actions) {
      switch (act.kind) {
        case "op": {
          const payer = this.heldKey(a, act.as)
          const held = [...a.miners.map((m) => m.keypair), ...a.ctx.witnesses.map((w) => w.keypair), ...a.ctx.keys.values()]
          if (act.note !== undefined) this.log.emit("adversary.act", { adversary: a.spec.id, as: act.as, op: act.op.kind, note: act.note })
          await this.send(act.op, payer, via, held)
          break
        }
        case "publish": {
          const m = this.advMiners.get(act.miner)
          if (m === undefined || !a.miners.includes(m)) throw new Error(`adversary ${a.spec.id} publishes for ${act.miner}, a miner it does not drive`)
          m.applyPublish(this.builtOf(act))
          const st = act.statement.statement
          this.log.emit("adversary.publish", { adversary: a.spec.id, miner: act.miner, round: st.epoch, name: this.names.find((n) => equal(n.info.nameHash, st.nameHash))?.spec.name ?? short(st.nameHash), route: short(st.routeHash), leaves: act.leaves.length, supportSol: solOf(st.support) })
          break
        }
        case "withhold": {
          const m = this.advMiners.get(act.miner)
          if (m !== undefined && !m.withholding) {
            m.withholding = true
            this.log.emit("adversary.withhold", { adversary: a.spec.id, miner: act.miner })
          }
          break
        }
        case "receipts":
          await this.deliver(act.receipts, act.to, via)
          this.log.emit("adversary.receipts", { adversary: a.spec.id, count: act.receipts.length, to: typeof act.to === "string" ? act.to : [...act.to] })
          break
        case "note":
          this.log.emit("adversary.note", { adversary: a.spec.id, text: act.text, ...(act.data ?? {}) })
          break
      }
    }
  }

  // ------------------------------------------------------------------------------------ miners

  /** Whether a name had an update waiting for round E: its newest route, published before E's receipts, is above the canonical serial. */
  private pendingUpdate(nameHash: Uint8Array, E: bigint): boolean {
    const n = this.names.find((x) => equal(x.info.nameHash, nameHash))
    const newest = n?.info.routes[n.info.routes.length - 1]
    return newest !== undefined && newest.publishedSlot <= E * this.L + this.scenario.witnessOffset && newest.serial > (this.world.name(nameHash)?.serial ?? 0n)
  }

  private async tickHonest(): Promise<void> {
    for (const m of this.honest) {
      if (this.offline.has(m.label)) continue
      this.via = `miner:${m.label}`
      const r = await m.tick()
      this.via = "engine"
      for (const c of r.cutoff ?? []) {
        const name = this.names.find((n) => equal(n.info.nameHash, c.nameHash))?.spec.name ?? short(c.nameHash)
        if (c._tag === "built") {
          const serial = this.names.find((n) => n.spec.name === name)?.info.routes.find((x) => equal(x.routeHash, c.routeHash))?.serial
          this.log.emit("miner.aggregate", { miner: m.label, round: r.epoch - 1n, name, serial: serial ?? null, route: short(c.routeHash), supportSol: solOf(c.support), receipts: c.receiptCount })
        } else if (c._tag === "skipped" && this.pendingUpdate(c.nameHash, r.epoch - 1n) && this.once(`skip/${m.label}/${r.epoch}/${name}`))
          this.log.emit("miner.skipped", { miner: m.label, round: r.epoch - 1n, name, reason: c.reason })
      }
      for (const s of r.submit ?? [])
        if (s.status === "failed" && this.once(`submit/${m.label}/${s.epoch}/${hex(s.nameHash)}`))
          this.log.emit("miner.submit_failed", { miner: m.label, round: s.epoch, name: this.names.find((n) => equal(n.info.nameHash, s.nameHash))?.spec.name ?? short(s.nameHash), detail: (s.detail ?? "").split(":")[0]! })
      for (const k of r.scan?.filed ?? []) {
        if (!this.once(`filed/${m.label}/${k}`)) continue
        const [kind, epoch, , miner] = k.split("/")
        this.log.emit("miner.filed", { miner: m.label, action: kind ?? "?", round: Number(epoch), against: miner === undefined ? "?" : this.labels.get(miner) ?? miner.slice(0, 8) })
      }
      for (const a of r.answers ?? [])
        if (a.outcome !== "expired" && this.once(`answer/${m.label}/${a.ref.epoch}/${hex(a.ref.nameHash)}/${a.ref.index}/${a.outcome}`))
          this.log.emit("miner.answer", { miner: m.label, round: a.ref.epoch, index: a.ref.index, outcome: a.outcome })
      for (const f of r.failed) if (this.once(`failed/${m.label}/${f.step}/${f.message}`)) this.log.emit("miner.step_failed", { miner: m.label, step: f.step, message: f.message.slice(0, 200) })
    }
  }

  // -------------------------------------------------------------------------------------- loop

  private tickOf(epoch: bigint, offset: bigint): Tick {
    const p = this.params()
    const submitWindow = param(p, "submitWindowSlots")
    const challengeWindow = param(p, "challengeWindowSlots")
    const phase: Phase = offset === 0n ? "boundary" : offset < submitWindow ? "submit" : offset < submitWindow + challengeWindow ? "challenge" : "settle"
    return {
      epoch,
      slot: epoch * this.L + offset,
      offset,
      phase,
      L: this.L,
      submitWindow,
      challengeWindow,
      responseWindow: param(p, "responseWindowSlots"),
      last: offset + this.scenario.tickSlots >= this.L
    }
  }

  /**
   * One tick. The order is the one a reader of a scenario should expect: adversaries first (they may
   * front-run, like a slot leader), then the honest miners (at an epoch's first tick: the boundary crank,
   * the cut-off and the submissions of the previous epoch), then everything scheduled for this tick
   * (joins and leaves, route updates, timeline events — so `at: 5` means "during epoch 5, after its
   * boundary"), witnesses, adversaries' reactions, and clients.
   */
  private async step(epoch: bigint, offset: bigint): Promise<void> {
    const s = this.scenario
    const tick = this.tickOf(epoch, offset)
    await this.world.warpTo(tick.slot)
    const within = (o: bigint) => o >= offset && o < offset + s.tickSlots

    if (offset === 0n) for (const [label, until] of [...this.offline]) if (until !== undefined && until <= epoch) await this.backOnline(label)
    for (const a of this.adversaries) if (a.active && a.strategy.beforeTick !== undefined) await this.act(a, await a.strategy.beforeTick(a.ctx, tick))
    await this.tickHonest()
    if (offset === 0n) {
      for (const m of s.miners) {
        if (m.joinEpoch !== undefined && m.joinEpoch === epoch && m.joinEpoch > 0n) await this.bondMiner(m.label, m.stake, "join")
        if (m.leaveEpoch !== undefined && m.leaveEpoch === epoch) await this.unbond(m.label, true, undefined, "leave")
      }
      for (const n of this.names) {
        const u = n.spec.updates
        if (u !== undefined && epoch >= u.from && (u.until === undefined || epoch <= u.until) && (epoch - u.from) % u.every === 0n)
          await this.publishRoute(n, BigInt(n.info.routes.length) + 1n)
      }
    }
    for (const e of s.timeline) if (e.epoch === epoch && within(e.offset)) await this.timelineEvent(e)
    if (within(s.witnessOffset)) await this.witnessEpoch(epoch)
    for (const a of this.adversaries) {
      if (a.active) {
        if (a.strategy.afterTick !== undefined) await this.act(a, await a.strategy.afterTick(a.ctx, tick))
      } else for (const m of a.miners) await this.act(a, m.follow(tick))
    }
    for (const c of s.clients) if (epoch >= c.from && (epoch - c.from) % c.every === 0n && within(c.offset)) for (const n of c.names) await this.resolve(c.label, n)
  }

  async execute(started: number): Promise<RunResult> {
    const s = this.scenario
    await this.setup()
    this.via = "engine"
    for (let epoch = 1n; epoch <= s.epochs; epoch++) {
      this.epoch = epoch
      this.options.onEpoch?.(epoch, s.epochs)
      for (let offset = 0n; offset < this.L; offset += s.tickSlots) await this.step(epoch, offset)
    }
    this.via = "engine"
    const rewards: Record<string, number> = {}
    const set = this.world.minerSet()
    for (let i = 0; i < (set?.count ?? 0); i++) rewards[this.label(set!.entries[i]!.key)] = solOf(set!.entries[i]!.claimable)
    const strategies: Record<string, Record<string, number>> = {}
    for (const a of this.adversaries) strategies[a.spec.id] = Object.fromEntries([...a.counters].sort(([x], [y]) => (x < y ? -1 : 1)))
    const finalNames: Record<string, number> = {}
    for (const n of this.names) finalNames[n.spec.name] = Number(this.world.name(n.info.nameHash)?.serial ?? 0n)
    const rpc = Object.fromEntries([...this.rpcCounts].sort(([a], [b]) => (a < b ? -1 : 1)))
    const metrics = computeMetrics({ scenario: s, backend: this.backend, history: this.history, strategies, rewards, rpc, clients: s.clients.map((c) => c.label), finalNames })
    const expectations = checkExpectations(s, this.history, metrics, { finalSerial: (name) => BigInt(finalNames[name] ?? 0), proposalId: (label) => this.proposalIds.get(label) })
    const status: RunStatus = expectations.every((e) => e.ok) ? "passed" : "failed"
    metrics.status = status
    this.log.emit("run.end", { status, expectations: expectations.length, failed: expectations.filter((e) => !e.ok).length, txs: this.world.txCount })
    return {
      scenario: s.name,
      backend: this.backend,
      seed: s.seed,
      status,
      expectations,
      metrics,
      events: this.log.text(),
      history: this.history,
      wallMs: performance.now() - started,
      txCount: this.world.txCount,
      rpc
    }
  }

  async close(): Promise<void> {
    for (const m of this.honest) await m.close().catch(() => undefined)
    await this.world.close()
    rmSync(this.dataDir, { recursive: true, force: true })
  }
}
