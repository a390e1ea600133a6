/**
 * `dotdns miner` subcommands of the chain half, each one JSON-RPC conversation with the chain using
 * the miner's config and identity (a Solana CLI keypair file, which pays and signs):
 *
 *   status      epoch, committee seat, stake, jail, balance, pending submissions, open challenges
 *   register    first bond: opens the miner's MinerSet entry (allowlist mode: allowlisted keys only)
 *   bond        add stake (active from the next epoch)        unbond    start unbonding stake
 *   withdraw    take unbonded stake out after the wait         unjail    leave jail after jail_epochs
 *   claim       collect rewards and won challenge bonds
 *   challenge   file a proof: from a file (an op, or signed statements), against a peer, or a reveal
 *
 * A program refusal prints the rule it broke (e.g. `STK-11`) and exits 1.
 */
import { existsSync, readFileSync } from "node:fs"
import { resolve } from "node:path"
import { Console, Data, Effect, Layer, Option, Schema } from "effect"
import { Command, Flag } from "effect/cli"
import { toBase58 } from "../../programs/client/base58.ts"
import { CHALLENGE_STATUS } from "../../spec/src/accounts.ts"
import { hex } from "../../spec/src/bytes.ts"
import { LeafRefJson, OpJson, SignedAggregateJson, fromJson } from "../../spec/src/json.ts"
import { nameHash, normalizeName } from "../../spec/src/name.ts"
import type { Op } from "../../spec/src/ops.ts"
import { param } from "../../spec/src/params.ts"
import { ProtocolError } from "../../spec/src/errors.ts"
import { ChainTx, minerEntryOf, seatOf, type Confirmed, type TxError } from "./Chain.ts"
import { parseKey } from "../config/yaml-config.ts"
import { MinerConfig } from "./Config.ts"
import { CHALLENGE_OFFSET } from "./Cranker.ts"
import { Identity } from "./Identity.ts"
import { SolanaRpc } from "./Rpc.ts"
import { StakeView } from "./StakeView.ts"
import { Repository } from "./Storage.ts"
import { httpPeer, Peers, Watcher } from "./Watcher.ts"

/** Same shape as cli.ts's failure, so the runner prints it and exits with `code`. */
export class ChainCliFailure extends Data.TaggedError("CliFailure")<{ readonly message: string; readonly code: number }> {}

const configFlag = Flag.String("config").pipe(Flag.withAlias("c"), Flag.withDescription("miner config file (YAML)"), Flag.withDefault("miner.yaml"))
const lamportsFlag = (description: string) =>
  Flag.String("amount").pipe(
    Flag.withDescription(description),
    Flag.filter((s) => /^[1-9][0-9]{0,19}$/.test(s), (s) => `--amount must be a positive integer of lamports, not "${s}"`),
    Flag.map((s) => BigInt(s))
  )

// ------------------------------------------------------------------------------------------ helpers

const fail = (message: string, code = 1) => new ChainCliFailure({ message, code })

/** A transaction error as one line for people. */
export const describeTxError = (e: TxError): string => {
  switch (e._tag) {
    case "TxRejected":
      return e.rule === undefined ? `rejected: ${e.message}` : `rejected by the program: ${e.rule} (${e.message})`
    case "TxUnconfirmed":
      return `sent as ${e.signature} but not confirmed yet: ${e.message}`
    case "TxInvalid":
      return `cannot build the transaction: ${e.message}`
    case "RpcError":
      return `RPC ${e.method} at ${e.url || "?"}: ${e.message}`
    case "ChainStateError":
      return `${e.account}: ${e.message}`
  }
}

/** The services a chain command needs, from the config file; refuses dev-fixed mode. */
const chainLayer = (configPath: string) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const config = yield* MinerConfig
      if (config.chain.mode !== "rpc") return yield* fail(`${config.source}: chain.mode is ${config.chain.mode}; chain commands need chain.mode: rpc`)
      return ChainTx.layer.pipe(Layer.provideMerge(SolanaRpc.layer), Layer.provideMerge(Identity.layer))
    })
  ).pipe(Layer.provideMerge(MinerConfig.layer(resolve(configPath))))

const sendOp = (op: Op) =>
  Effect.gen(function* () {
    const chain = yield* ChainTx
    return yield* chain.send(op).pipe(Effect.mapError((e) => fail(describeTxError(e))))
  })

const printSent = (what: string, c: Confirmed) => Console.log(`${what}: confirmed in slot ${c.slot} (${c.signature})`)

const runChain = <A, E>(configPath: string, body: Effect.Effect<A, E, ChainTx | Identity | MinerConfig | SolanaRpc>) =>
  body.pipe(Effect.provide(chainLayer(configPath)))

// ----------------------------------------------------------------------------------------- commands

const stakeCommand = (name: string, description: string, amountHelp: string, op: (miner: Uint8Array, amount: bigint) => Op, check?: "new" | "existing") =>
  Command.make(name, { config: configFlag, amount: lamportsFlag(amountHelp) }, ({ config, amount }) =>
    runChain(
      config,
      Effect.gen(function* () {
        const chain = yield* ChainTx
        const entry = minerEntryOf(yield* chain.minerSet.pipe(Effect.mapError((e) => fail(describeTxError(e)))), chain.payer)
        if (check === "new" && entry !== undefined) return yield* fail(`miner ${chain.address} is registered already; use \`dotdns miner bond\` to add stake`)
        if (check === "existing" && entry === undefined) return yield* fail(`miner ${chain.address} has no MinerSet entry; register first`)
        const c = yield* sendOp(op(chain.payer, amount))
        yield* printSent(`${name} ${amount} lamports for ${chain.address}`, c)
      })
    )
  ).pipe(Command.withDescription(description))

const register = stakeCommand("register", "Register as a miner: the first bond opens the MinerSet entry", "lamports to bond (at least min_miner_stake)", (miner, amount) => ({ kind: "minerBond", miner, amount }), "new")
const bond = stakeCommand("bond", "Bond more stake (active from the next epoch)", "lamports to add", (miner, amount) => ({ kind: "minerBond", miner, amount }), "existing")
const unbond = stakeCommand("unbond", "Start unbonding stake (withdrawable after unbonding_epochs)", "lamports to unbond", (miner, amount) => ({ kind: "minerUnbond", miner, amount }), "existing")

const simple = (name: string, description: string, op: (miner: Uint8Array) => Op) =>
  Command.make(name, { config: configFlag }, ({ config }) =>
    runChain(
      config,
      Effect.gen(function* () {
        const chain = yield* ChainTx
        yield* printSent(`${name} for ${chain.address}`, yield* sendOp(op(chain.payer)))
      })
    )
  ).pipe(Command.withDescription(description))

const withdraw = simple("withdraw", "Withdraw unbonded stake whose wait is over", (miner) => ({ kind: "minerWithdraw", miner }))
const unjail = simple("unjail", "Leave jail once jail_epochs have passed", (miner) => ({ kind: "unjail", miner }))
const claim = simple("claim", "Collect the miner's claimable rewards and won bonds", (who) => ({ kind: "claim", who, role: "miner" }))

const status = Command.make("status", { config: configFlag }, ({ config }) =>
  runChain(
    config,
    Effect.gen(function* () {
      const chain = yield* ChainTx
      const settings = yield* MinerConfig
      const orFail = <A>(e: Effect.Effect<A, TxError>) => e.pipe(Effect.mapError((x) => fail(describeTxError(x))))
      const cfg = yield* orFail(chain.config)
      if (cfg === undefined) return yield* fail("the protocol is not initialized on this chain (no Config account)")
      const slot = yield* orFail(chain.slot)
      const L = param(cfg.params, "epochLengthSlots")
      const clockEpoch = slot / L
      const entry = minerEntryOf(yield* orFail(chain.minerSet), chain.payer)
      const committee = yield* orFail(chain.committee(cfg.currentEpoch))
      const seat = seatOf(committee, chain.payer)
      const balance = yield* orFail(chain.balance(chain.payer))
      const against = yield* orFail(
        chain.programAccounts("Challenge", [
          { offset: CHALLENGE_OFFSET.status, bytes: Uint8Array.of(CHALLENGE_STATUS.open) },
          { offset: CHALLENGE_OFFSET.miner, bytes: chain.payer }
        ])
      )
      const lines = [
        `miner         ${chain.address}`,
        `rpc           ${settings.rpc.urls.join(", ")}`,
        `program       ${toBase58(settings.programId)}`,
        `balance       ${balance} lamports`,
        `slot          ${slot} (clock epoch ${clockEpoch}, protocol epoch ${cfg.currentEpoch}${clockEpoch > cfg.currentEpoch ? ", advance_epoch due" : ""})`,
        `committee     ${seat >= 0 ? `seat ${seat} of ${committee!.memberCount} in epoch ${cfg.currentEpoch} (stake ${committee!.members[seat]!.stake})` : `not seated in epoch ${cfg.currentEpoch}`}`,
        entry === undefined
          ? "stake         none (not registered)"
          : `stake         active ${entry.active}, pending ${entry.pending}, unbonding ${entry.unbonding}${entry.unbonding > 0n ? ` (withdrawable from epoch ${entry.unbondReadyEpoch})` : ""}, claimable ${entry.claimable}`,
        `jailed        ${entry === undefined ? "-" : entry.jailed === 1 ? `yes, since epoch ${entry.jailedEpoch} (unjail from epoch ${entry.jailedEpoch + param(cfg.params, "jailEpochs")})` : "no"}`,
        `challenges    ${against.length} open against this miner${against.map((c) => `\n                epoch ${c.account.epoch} name ${hex(c.account.nameHash)} leaf ${c.account.leafIndex}, answer before slot ${c.account.deadline}`).join("")}`
      ]
      // Local records: pending submissions and the miner's own challenges (never creating a database).
      if (settings.storage.kind === "sqlite" && !existsSync(settings.storage.path)) {
        lines.push(`submissions   no local records (${settings.storage.path} does not exist: the miner has not run here)`)
        return yield* Console.log(lines.join("\n"))
      }
      const local = yield* Effect.result(
        Effect.gen(function* () {
          const repo = yield* Repository
          const prepared = yield* repo.submissions({ status: "prepared" })
          const sent = yield* repo.submissions({ status: "sent" })
          const filed = yield* repo.actions({})
          return { pending: [...prepared, ...sent], filed }
        }).pipe(Effect.provide(Repository.layerFromConfig))
      )
      if (local._tag === "Success") {
        lines.push(
          `submissions   ${local.success.pending.length} pending${local.success.pending.map((s) => `\n                epoch ${s.epoch} name ${hex(s.nameHash)}: ${s.status}${s.txSignature === null ? "" : ` (${s.txSignature})`}`).join("")}`
        )
        const open = local.success.filed.filter((a) => a.status === "pending" || a.status === "sent" || (a.kind === "openReveal" && a.status === "confirmed"))
        lines.push(`filed         ${local.success.filed.length} actions, ${open.length} still open${open.map((a) => `\n                ${a.key}: ${a.status}`).join("")}`)
      } else lines.push(`submissions   unknown (storage: ${local.failure.message})`)
      yield* Console.log(lines.join("\n"))
    })
  )
).pipe(Command.withDescription("Show the miner's epoch, committee seat, stake, jail, pending submissions and open challenges"))

/** A challenge file: an op (OpJson; `challenger` is replaced by this miner), or one or two signed statements. */
const ChallengeFile = Schema.Union([Schema.Struct({ statements: Schema.Array(SignedAggregateJson) }), Schema.Struct({ op: OpJson })])

const challenge = Command.make(
  "challenge",
  {
    config: configFlag,
    file: Flag.String("file").pipe(Flag.withDescription("JSON: {\"statements\": [signed statement, signed statement?]} or {\"op\": spec op}"), Flag.optional),
    peer: Flag.String("peer").pipe(Flag.withDescription("audit one peer miner (base URL) now and file what is provable"), Flag.optional),
    reveal: Flag.String("reveal").pipe(Flag.withDescription("open a reveal challenge: EPOCH/NAME/MINER/INDEX (name or 64-hex name hash, miner base58 or hex)"), Flag.optional)
  },
  ({ config, file, peer, reveal }) =>
    Effect.gen(function* () {
      const chosen = [file, peer, reveal].filter(Option.isSome).length
      if (chosen !== 1) return yield* fail("give exactly one of --file, --peer, --reveal", 2)
      if (Option.isSome(peer)) {
        const report = yield* Effect.gen(function* () {
          const watcher = yield* Watcher
          return yield* watcher.scanPeer(httpPeer(peer.value))
        }).pipe(
          Effect.provide(Watcher.layer.pipe(Layer.provide(Peers.layerStatic([])), Layer.provideMerge(StakeView.layerRpc), Layer.provideMerge(Repository.layerFromConfig))),
          Effect.mapError((e) => fail(e.message)),
          (eff) => runChain(config, eff)
        )
        yield* Console.log(`${report.statements} statements checked; ${report.filed.length === 0 ? "nothing provable" : `filed: ${report.filed.join(", ")}`}`)
        return
      }
      const op = yield* Effect.gen(function* () {
        const identity = yield* Identity
        const me = identity.publicKey
        if (Option.isSome(reveal)) {
          const [e, n, m, i] = reveal.value.split("/")
          const h = n === undefined ? undefined : /^[0-9a-f]{64}$/.test(n) ? new Uint8Array(Buffer.from(n, "hex")) : nameOf(n)
          const miner = m === undefined ? undefined : parseKey(m)
          if (!/^[0-9]+$/.test(e ?? "") || h === undefined || miner === undefined || !/^[0-9]+$/.test(i ?? ""))
            return yield* fail("--reveal takes EPOCH/NAME/MINER/INDEX", 2)
          const leafRef = fromJson(LeafRefJson, { epoch: e!, nameHash: hex(h), miner: hex(miner), index: Number(i) })
          return { kind: "openReveal", challenger: me, leafRef } satisfies Op
        }
        const path = Option.getOrThrow(file)
        const json = yield* Effect.try({ try: () => JSON.parse(readFileSync(path, "utf8")) as unknown, catch: (x) => fail(`${path}: ${String(x)}`) })
        const parsed = yield* Schema.decodeUnknownEffect(ChallengeFile)(json).pipe(Effect.mapError((x) => fail(`${path}: ${x.message}`)))
        if ("statements" in parsed) {
          const [first, second] = parsed.statements
          if (first === undefined || parsed.statements.length > 2) return yield* fail(`${path}: give one or two signed statements`)
          return { kind: "proveEquivocation", challenger: me, first, second: second ?? null } satisfies Op
        }
        const o = parsed.op
        return "challenger" in o ? ({ ...o, challenger: me } as Op) : o
      }).pipe((eff) => runChain(config, eff))
      const c = yield* runChain(config, sendOp(op))
      yield* printSent(op.kind, c)
    })
).pipe(Command.withDescription("File a challenge: equivocation or any proof from a file, an audit of one peer, or a reveal"))

const nameOf = (input: string): Uint8Array | undefined => {
  const n = normalizeName(input)
  return n instanceof ProtocolError ? undefined : nameHash(n)
}

/** The chain half's `dotdns miner` subcommands. */
export const CHAIN_SUBCOMMANDS = [status, register, bond, unbond, withdraw, unjail, claim, challenge] as const
