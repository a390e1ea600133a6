/**
 * The SVM port and its two adapters, the world's mirror, and the in-process JSON-RPC the reference
 * miner talks to — including the one known difference between the backends: bankrun does not verify
 * Ed25519-program signatures.
 */
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { toBase58 } from "../../programs/client/base58.ts"
import { DEV_PROGRAM_ID } from "../../programs/client/program-id.ts"
import { ed25519Instruction } from "../../programs/client/ed25519-instruction.ts"
import { signTransaction } from "../../programs/client/message.ts"
import { seeds } from "../../programs/client/pda.ts"
import { keypairFromSeed, sign } from "../../spec/src/ed25519.ts"
import { H } from "../../spec/src/hash.ts"
import { LOCALNET_PARAMS } from "../../spec/src/params.ts"
import { ChainTx } from "../../reference/miner/Chain.ts"
import { makeBankrun } from "../world/Bankrun.ts"
import { makeLiteSvm } from "../world/LiteSvm.ts"
import { Rng } from "../world/Rng.ts"
import { simSolanaRpc } from "../world/Rpc.ts"
import type { Backend, Svm } from "../world/Svm.ts"
import { World } from "../world/World.ts"

const key = (l: string) => keypairFromSeed(H("dotdns/sim/test", new TextEncoder().encode(l)))
const admin = key("admin")
const miner = key("miner")

for (const backend of ["litesvm", "bankrun"] as Backend[])
  describe(`world on ${backend}`, () => {
    let svm: Svm
    let world: World
    beforeAll(async () => {
      svm = backend === "bankrun" ? await makeBankrun() : makeLiteSvm()
      world = new World(svm, DEV_PROGRAM_ID)
      await world.warpTo(1n)
      for (const k of [admin, miner]) await world.airdrop(k.publicKey, 100_000_000_000n)
    })
    afterAll(() => world.close())

    it("runs the program: initialize, then a refused op names its rule; accounts are mirrored", async () => {
      const init = await world.sendOp({ kind: "initialize", authority: admin.publicKey, params: [...LOCALNET_PARAMS], allowlist: [miner.publicKey] }, admin)
      expect(init.outcome.ok).toBe(true)
      expect(init.outcome.cu).toBeGreaterThan(0n)
      expect(world.config()?.currentEpoch).toBe(0n)
      // Advancing before the clock reaches epoch 1 breaks EPC-2.
      const early = await world.sendOp({ kind: "advanceEpoch" }, admin)
      expect(early.outcome).toMatchObject({ ok: false, rule: "EPC-2", err: { InstructionError: [0, { Custom: 1002 }] } })
      await world.warpTo(50n)
      expect((await world.sendOp({ kind: "advanceEpoch" }, admin)).outcome.ok).toBe(true)
      expect(world.committee(1n)?.epoch).toBe(1n)
      expect([...world.programAccounts()].length).toBeGreaterThanOrEqual(5)
    })

    it("answers the miner's JSON-RPC: ChainTx sends, confirms and reads through it", async () => {
      const counts = new Map<string, number>()
      const rpc = simSolanaRpc(world, counts)
      const chain = Effect.runSync(ChainTx.make(rpc, { programId: DEV_PROGRAM_ID, payer: miner, commitment: "confirmed", pollIntervalMs: 0 }))
      const sent = await Effect.runPromise(chain.send({ kind: "minerBond", miner: miner.publicKey, amount: 2_000_000_000n }, { computeUnits: true }))
      expect(sent.computeUnits).toBeGreaterThan(0n)
      const set = await Effect.runPromise(chain.minerSet)
      expect(set?.count).toBe(1)
      const refused = await Effect.runPromise(Effect.flip(chain.send({ kind: "minerBond", miner: miner.publicKey, amount: 0n })))
      expect(refused).toMatchObject({ _tag: "TxRejected", rule: "STK-1" })
      const rounds = await Effect.runPromise(chain.programAccounts("Committee"))
      expect(rounds.map((r) => r.account.epoch).sort()).toEqual([0n, 1n])
      expect(await Effect.runPromise(chain.slot)).toBe(50n)
      expect(toBase58(chain.pda(seeds.config()))).toBe(toBase58(world.pda(seeds.config())))
      for (const m of ["getLatestBlockhash", "sendTransaction", "getSignatureStatuses", "getProgramAccounts", "getTransaction"]) expect(counts.get(m), m).toBeGreaterThan(0)
    })

    it(backend === "litesvm" ? "rejects a forged Ed25519-program signature" : "does NOT check Ed25519-program signatures (the known difference)", async () => {
      const msg = H("message")
      const forged = sign(admin, msg)
      const ix = ed25519Instruction([{ publicKey: miner.publicKey, message: msg, signature: forged }])
      const tx = signTransaction(admin, [ix], await svm.latestBlockhash(), () => undefined)
      const r = await world.submit(tx.wire)
      if (backend === "litesvm") {
        expect(r.outcome.ok).toBe(false)
        expect(r.outcome.err).toEqual({ InstructionError: [0, { Custom: 2 }] })
        expect(svm.capabilities.has("signature-checks")).toBe(true)
      } else {
        expect(r.outcome.ok).toBe(true)
        expect(svm.capabilities.has("signature-checks")).toBe(false)
      }
      // The same bytes again: nothing executes.
      const again = await world.submit(tx.wire)
      expect(again).toMatchObject({ duplicate: true, outcome: { ok: false, err: "AlreadyProcessed" } })
    })
  })

describe("seeded randomness", () => {
  it("is a pure function of the seed, and forks are independent streams", () => {
    const a = Rng.of(7)
    const b = Rng.of(7)
    const xs = Array.from({ length: 5 }, () => a.u32())
    expect(Array.from({ length: 5 }, () => b.u32())).toEqual(xs)
    expect(Rng.of(8).u32()).not.toBe(xs[0])
    const f1 = Rng.of(7).fork("x")
    const parent = Rng.of(7)
    parent.u32()
    expect(parent.fork("x").u32()).toBe(f1.u32())
    const r = Rng.of(1)
    for (let i = 0; i < 1000; i++) {
      const v = r.int(6)
      expect(v >= 0 && v < 6).toBe(true)
    }
    expect(Rng.of(3).shuffle([1, 2, 3, 4, 5]).sort()).toEqual([1, 2, 3, 4, 5])
  })
})

describe("fast base58", () => {
  it("encodes exactly as the program client's codec", async () => {
    const { fastBase58 } = await import("../world/base58.ts")
    const rng = Rng.of(58)
    for (let i = 0; i < 2000; i++) {
      const b = Uint8Array.from({ length: i % 70 }, () => (i % 5 === 0 && rng.chance(0.5) ? 0 : rng.int(256)))
      expect(fastBase58(b)).toBe(toBase58(b))
    }
  })
})
