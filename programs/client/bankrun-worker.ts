/**
 * The worker thread behind `bankrun-runtime.ts`: owns solana-bankrun's contexts and answers one request
 * at a time from the blocked main thread (reply posted on the port, then a notify on the shared flag).
 *
 * A bankrun context is never freed (its bank and ticker live as long as the process, ~12 MB each), so
 * contexts are pooled, at most POOL_SIZE per program: a released one — or, when all are leased, the one
 * leased longest ago — is reset (every account a transaction could write or a test wrote goes back to
 * what it was before the lease first touched it, the clock too) and leased to the next runtime. A runtime whose context was taken over fails
 * loudly on its next call.
 */
import { createRequire } from "node:module"
import { parentPort, workerData, type MessagePort } from "node:worker_threads"
import { wireAccountKeys } from "./message.ts"

interface BankrunAccount {
  readonly lamports: bigint
  readonly data: Uint8Array
  readonly owner: Uint8Array
  readonly executable: boolean
}
interface BankrunClock {
  readonly slot: bigint
  readonly epochStartTimestamp: bigint
  readonly epoch: bigint
  readonly leaderScheduleEpoch: bigint
  readonly unixTimestamp: bigint
}
interface BanksResult {
  readonly result: string | null
  readonly meta: { readonly logMessages: string[]; readonly computeUnitsConsumed: bigint } | null
}
interface BanksClient {
  getAccount(address: Uint8Array): Promise<BankrunAccount | null>
  tryProcessVersionedTransaction(wire: Uint8Array): Promise<BanksResult>
  getLatestBlockhash(): Promise<{ blockhash: string } | null>
  getRent(): Promise<{ minimumBalance(size: bigint): bigint }>
  getClock(): Promise<BankrunClock>
}
interface Context {
  readonly banksClient: BanksClient
  setAccount(address: Uint8Array, account: BankrunAccount): void
  setClock(clock: BankrunClock): void
}
interface Internal {
  start(programs: [string, Uint8Array][], accounts: [Uint8Array, BankrunAccount][]): Promise<Context>
  Account: new (lamports: bigint, data: Uint8Array, owner: Uint8Array, executable: boolean, rentEpoch: bigint) => BankrunAccount
  Clock: new (slot: bigint, epochStartTimestamp: bigint, epoch: bigint, leaderScheduleEpoch: bigint, unixTimestamp: bigint) => BankrunClock
}

const require = createRequire(import.meta.url)
const bankrun = require("solana-bankrun/dist/internal.js") as Internal

/** Contexts per program: how many runtimes of one test may be in use at once. */
const POOL_SIZE = 6

interface Slot {
  readonly key: string
  readonly ctx: Context
  readonly genesisClock: BankrunClock
  /**
   * Accounts this context may have changed since it started — writable transaction keys and accounts
   * set directly — with what each held before the first change (null: absent).
   */
  readonly touched: Map<string, { address: Uint8Array; before: BankrunAccount | null }>
  unix: bigint
  free: boolean
  /** Bumped at every lease: requests of an older lease are refused. */
  generation: number
  leasedAt: number
}

const pool: Slot[] = []
let leases = 0
const SYSTEM = new Uint8Array(32)

const hexOf = (b: Uint8Array): string => Buffer.from(b).toString("hex")


const touch = async (s: Slot, address: Uint8Array): Promise<void> => {
  const k = hexOf(address)
  if (s.touched.has(k)) return
  const a = await s.ctx.banksClient.getAccount(address)
  s.touched.set(k, { address, before: a === null ? null : new bankrun.Account(a.lamports, new Uint8Array(a.data), new Uint8Array(a.owner), a.executable, 0n) })
}

const reset = (s: Slot): void => {
  for (const { address, before } of s.touched.values())
    s.ctx.setAccount(address, before ?? new bankrun.Account(0n, new Uint8Array(0), SYSTEM, false, 0n))
  s.touched.clear()
  const g = s.genesisClock
  s.ctx.setClock(new bankrun.Clock(g.slot, g.epochStartTimestamp, g.epoch, g.leaderScheduleEpoch, g.unixTimestamp))
  s.unix = g.unixTimestamp
}

const slotOf = (i: number, generation: number): Slot => {
  const s = pool[i]
  if (s === undefined || s.free) throw new Error(`bankrun context ${i} is not leased`)
  if (s.generation !== generation)
    throw new Error(`bankrun context ${i} was leased to a newer runtime: more than ${POOL_SIZE} runtimes of one program in use at once`)
  return s
}

const lease = (s: Slot): { ctx: number; generation: number } => {
  s.free = false
  s.generation++
  s.leasedAt = leases++
  return { ctx: pool.indexOf(s), generation: s.generation }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

type Request =
  | { op: "acquire"; dir: string; name: string; programId: Uint8Array }
  | ({ ctx: number; generation: number } & (
      | { op: "release" }
      | { op: "blockhash"; notThis?: string }
      | { op: "send"; wire: Uint8Array }
      | { op: "getAccount"; address: Uint8Array }
      | { op: "setAccount"; address: Uint8Array; lamports: bigint; data: Uint8Array; owner: Uint8Array; executable: boolean }
      | { op: "setSlot"; slot: bigint }
      | { op: "rent"; size: number }
    ))

const handle = async (m: Request): Promise<unknown> => {
  switch (m.op) {
    case "acquire": {
      const key = `${m.dir}\0${m.name}\0${hexOf(m.programId)}`
      const mine = pool.filter((s) => s.key === key)
      const reuse = mine.find((s) => s.free) ?? (mine.length >= POOL_SIZE ? mine.reduce((a, b) => (a.leasedAt <= b.leasedAt ? a : b)) : undefined)
      if (reuse !== undefined) {
        reset(reuse)
        return lease(reuse)
      }
      // bankrun finds the program as $SBF_OUT_DIR/<name>.so, read from the process environment (shared).
      process.env["SBF_OUT_DIR"] = m.dir
      process.env["RUST_LOG"] ??= "error"
      const ctx = await bankrun.start([[m.name, m.programId]], [])
      const genesisClock = await ctx.banksClient.getClock()
      const s: Slot = { key, ctx, genesisClock, touched: new Map(), unix: genesisClock.unixTimestamp, free: true, generation: 0, leasedAt: 0 }
      pool.push(s)
      return lease(s)
    }
    case "release": {
      // A runtime whose context was taken over has nothing left to release.
      const s = pool[m.ctx]
      if (s !== undefined && s.generation === m.generation) s.free = true
      return null
    }
    case "blockhash": {
      const s = slotOf(m.ctx, m.generation)
      for (;;) {
        const b = (await s.ctx.banksClient.getLatestBlockhash())?.blockhash
        if (b === undefined) throw new Error("bankrun has no blockhash")
        if (b !== m.notThis) return b
        // The ticker registers a new blockhash every few milliseconds.
        await sleep(1)
      }
    }
    case "send": {
      const s = slotOf(m.ctx, m.generation)
      for (const { key, writable } of wireAccountKeys(m.wire)) if (writable) await touch(s, key)
      const r = await s.ctx.banksClient.tryProcessVersionedTransaction(m.wire)
      return { result: r.result, logs: r.meta?.logMessages ?? [], computeUnits: r.meta?.computeUnitsConsumed ?? 0n }
    }
    case "getAccount": {
      const a = await slotOf(m.ctx, m.generation).ctx.banksClient.getAccount(m.address)
      if (a === null || a.lamports === 0n) return null
      return { lamports: a.lamports, data: new Uint8Array(a.data), owner: new Uint8Array(a.owner), executable: a.executable }
    }
    case "setAccount": {
      const s = slotOf(m.ctx, m.generation)
      await touch(s, m.address)
      s.ctx.setAccount(m.address, new bankrun.Account(m.lamports, m.data, m.owner, m.executable, 0n))
      return null
    }
    case "setSlot": {
      const s = slotOf(m.ctx, m.generation)
      const c = await s.ctx.banksClient.getClock()
      s.unix += 1n
      s.ctx.setClock(new bankrun.Clock(m.slot, c.epochStartTimestamp, c.epoch, c.leaderScheduleEpoch, s.unix))
      return null
    }
    case "rent":
      return (await slotOf(m.ctx, m.generation).ctx.banksClient.getRent()).minimumBalance(BigInt(m.size))
  }
}

const { port, flag } = workerData as { port: MessagePort; flag: SharedArrayBuffer }
const signal = new Int32Array(flag)

port.on("message", (m: Request) => {
  void handle(m).then(
    (value) => port.postMessage({ ok: true, value }),
    (e: unknown) => port.postMessage({ ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) })
  ).finally(() => {
    Atomics.store(signal, 0, 1)
    Atomics.notify(signal, 0)
  })
})

parentPort?.postMessage("ready")
