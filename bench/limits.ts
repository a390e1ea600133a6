/**
 * The limits of this machine, measured in the run that uses them: node:crypto ed25519 verify/s on one
 * core, sha256 of 64–96-byte inputs (one-shot `crypto.hash` and `createHash`), and LiteSVM
 * transactions/s (a system transfer and a dotdns instruction). Every rate is the best of a few rounds
 * (the machine may be shared: the best round is the one least disturbed), with the median kept too.
 *
 * `node bench/limits.ts --json` prints `{"results": [...]}`; `bench/run.ts` imports `run`.
 */
import { createHash, createPublicKey, hash, verify as cVerify, type KeyObject } from "node:crypto"
import { getTransactionDecoder, lamports, address, type Transaction } from "@solana/kit"
import { LiteSVM } from "litesvm"
import { fromBase58, toBase58 } from "../programs/client/base58.ts"
import { buildOp } from "../programs/client/instructions.ts"
import { signTransaction, type Instruction } from "../programs/client/message.ts"
import { DEV_PROGRAM_ID, DEV_PROGRAM_ID_BASE58, PROGRAM_SO } from "../programs/client/program-id.ts"
import type { Op } from "../spec/src/ops.ts"
import { LOCALNET_PARAMS } from "../spec/src/params.ts"
import { keypairFromSeed, sign, verify as specVerify, type Keypair } from "../spec/src/ed25519.ts"
import { H } from "../spec/src/hash.ts"
import { median, printJsonResults, type BenchResult } from "./lib/result.ts"

export interface Rate {
  /** Operations per second: best round. */
  readonly best: number
  readonly median: number
  readonly rounds: readonly number[]
}

/** Calls `f(i)` for i in [0, n) per round; the rate of each round. */
export const rateOf = (n: number, rounds: number, f: (i: number) => unknown): Rate => {
  for (let i = 0; i < Math.min(n, 2000); i++) f(i) // warm up
  const rs: number[] = []
  for (let r = 0; r < rounds; r++) {
    const t = process.hrtime.bigint()
    for (let i = 0; i < n; i++) f(i)
    rs.push(n / (Number(process.hrtime.bigint() - t) / 1e9))
  }
  return { best: Math.max(...rs), median: median(rs), rounds: rs.map(Math.round) }
}

// ------------------------------------------------------------------------------------------ ed25519

const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex")

/** ed25519 verify of 32-byte digests on this core: raw node:crypto with ready KeyObjects, and the spec's `verify`. */
export const ed25519Rates = (n = 8000, rounds = 5): { raw: Rate; spec: Rate } => {
  const keys: Keypair[] = Array.from({ length: 256 }, (_, i) => keypairFromSeed(H("bench/ed25519", Uint8Array.of(i))))
  const objects: KeyObject[] = keys.map((k) => createPublicKey({ key: Buffer.concat([SPKI_PREFIX, k.publicKey]), format: "der", type: "spki" }))
  const msgs = Array.from({ length: 1024 }, (_, i) => H("bench/msg", Uint8Array.of(i & 0xff, i >> 8)))
  const sigs = msgs.map((m, i) => sign(keys[i % keys.length]!, m))
  const raw = rateOf(n, rounds, (i) => {
    const j = i & 1023
    if (!cVerify(null, msgs[j]!, objects[j % keys.length]!, sigs[j]!)) throw new Error("bench signature failed")
  })
  const spec = rateOf(n, rounds, (i) => {
    const j = i & 1023
    if (!specVerify(keys[j % keys.length]!.publicKey, msgs[j]!, sigs[j]!)) throw new Error("bench signature failed")
  })
  return { raw, spec }
}

// ------------------------------------------------------------------------------------------ sha256

export interface ShaRates {
  readonly size: number
  /** `crypto.hash(…, "buffer")`: a Buffer per digest. */
  readonly oneShotBuffer: Rate
  /** `crypto.hash(…, "binary")` (latin1): a one-byte string per digest (what merkle-fast uses). */
  readonly oneShotLatin1: Rate
  readonly createHash: Rate
}

export const sha256Rates = (sizes: readonly number[] = [64, 89, 95, 96], n = 400_000, rounds = 5): ShaRates[] =>
  sizes.map((size) => {
    const inputs = Array.from({ length: 16 }, (_, i) => Buffer.alloc(size, i + 1))
    return {
      size,
      oneShotBuffer: rateOf(n, rounds, (i) => hash("sha256", inputs[i & 15]!, "buffer")),
      oneShotLatin1: rateOf(n, rounds, (i) => hash("sha256", inputs[i & 15]!, "binary")),
      createHash: rateOf(n, rounds, (i) => createHash("sha256").update(inputs[i & 15]!).digest())
    }
  })

// ------------------------------------------------------------------------------------------ SVM

const txDecoder = getTransactionDecoder()
const SYSTEM_PROGRAM = new Uint8Array(32)

/** A system-program transfer of `amount` lamports. */
const transfer = (from: Uint8Array, to: Uint8Array, amount: bigint): Instruction => {
  const data = new Uint8Array(12)
  const v = new DataView(data.buffer)
  v.setUint32(0, 2, true)
  v.setBigUint64(4, amount, true)
  return { programId: SYSTEM_PROGRAM, keys: [{ pubkey: from, isSigner: true, isWritable: true }, { pubkey: to, isSigner: false, isWritable: true }], data }
}

/** Sends prebuilt, signed, decoded transactions; the rate counts `sendTransaction` alone. */
const sendRate = (svm: LiteSVM, txs: readonly Transaction[], rounds: number): Rate => {
  const per = Math.floor(txs.length / rounds)
  const rs: number[] = []
  for (let r = 0; r < rounds; r++) {
    const batch = txs.slice(r * per, (r + 1) * per)
    const t = process.hrtime.bigint()
    for (const tx of batch) {
      const res = svm.sendTransaction(tx)
      if ("err" in res) throw new Error(`bench transaction failed: ${res.toString()}`)
    }
    rs.push(batch.length / (Number(process.hrtime.bigint() - t) / 1e9))
  }
  return { best: Math.max(...rs), median: median(rs), rounds: rs.map(Math.round) }
}

/** A chain view that knows nothing: initialize and fund_pool read no protocol state to be built. */
const NO_VIEW = { config: () => undefined, name: () => undefined, pin: () => undefined, challenge: () => undefined }

/**
 * LiteSVM (sigverify on) running a system transfer, then a dotdns `fund_pool` on a freshly initialized
 * protocol — driven straight through LiteSVM, with nothing of the program tests' harness in the way.
 */
export const svmRates = async (n = 4000, rounds = 4): Promise<{ transfer: Rate; dotdns: Rate; dotdnsInstruction: string }> => {
  const payer = keypairFromSeed(H("bench/svm/payer"))
  const to = keypairFromSeed(H("bench/svm/to")).publicKey
  const svm = new LiteSVM().withSigverify(true)
  svm.airdrop(address(toBase58(payer.publicKey)), lamports(100_000_000_000n))
  svm.airdrop(address(toBase58(to)), lamports(1_000_000_000n)) // rent-exempt already: every transfer is plain
  const hash0 = fromBase58(svm.latestBlockhash())
  const transfers = Array.from({ length: n }, (_, i) =>
    txDecoder.decode(signTransaction(payer, [transfer(payer.publicKey, to, BigInt(1000 + i))], hash0, () => undefined).wire)
  )
  const transferRate = sendRate(svm, transfers, rounds)

  // The program, initialized by its authority, then fund_pool by that authority.
  const admin = keypairFromSeed(H("bench/svm/admin"))
  svm.addProgramFromFile(address(DEV_PROGRAM_ID_BASE58), PROGRAM_SO)
  svm.airdrop(address(toBase58(admin.publicKey)), lamports(100_000_000_000n))
  const keyring = (pk: Uint8Array) => (Buffer.compare(Buffer.from(pk), Buffer.from(admin.publicKey)) === 0 ? admin : undefined)
  const txOf = (op: Op, blockhash: Uint8Array) => {
    const built = buildOp(op, { programId: DEV_PROGRAM_ID, payer: payer.publicKey, slot: svm.getClock().slot, view: NO_VIEW })
    return txDecoder.decode(signTransaction(payer, built.instructions, blockhash, keyring).wire)
  }
  const init = svm.sendTransaction(txOf({ kind: "initialize", authority: admin.publicKey, params: LOCALNET_PARAMS, allowlist: [] }, fromBase58(svm.latestBlockhash())))
  if ("err" in init) throw new Error(`initialize failed: ${init.toString()}`)
  svm.expireBlockhash()
  const blockhash = fromBase58(svm.latestBlockhash())
  const funds = Array.from({ length: n }, (_, i) => txOf({ kind: "fundPool", funder: admin.publicKey, amount: BigInt(1 + i) }, blockhash))
  const dotdns = sendRate(svm, funds, rounds)
  return { transfer: transferRate, dotdns, dotdnsInstruction: "fund_pool (payer + funder signatures)" }
}

// ------------------------------------------------------------------------------------------ results

export interface Limits {
  readonly ed25519: { raw: Rate; spec: Rate }
  readonly sha256: readonly ShaRates[]
  readonly svm: { transfer: Rate; dotdns: Rate; dotdnsInstruction: string }
}

export const measureLimits = async (quick = false): Promise<Limits> => ({
  ed25519: ed25519Rates(quick ? 3000 : 8000, quick ? 3 : 5),
  sha256: sha256Rates([64, 89, 95, 96], quick ? 100_000 : 400_000, quick ? 3 : 5),
  svm: await svmRates(quick ? 1200 : 4000, 4)
})

const r = (id: string, figure: string, rate: Rate, unit: string, detail?: string): BenchResult => ({
  id,
  figure,
  value: Math.round(rate.best),
  unit,
  detail: `${detail ? `${detail}; ` : ""}best of ${rate.rounds.length} rounds, median ${Math.round(rate.median).toLocaleString("en-US")}`,
  data: rate,
  rerun: { args: ["bench/limits.ts", "--json"] }
})

export const limitResults = (l: Limits): BenchResult[] => [
  r("limit.ed25519.verify", "limit: node:crypto ed25519 verify, one core (ready KeyObject)", l.ed25519.raw, "verify/s"),
  r("limit.ed25519.verifySpec", "limit: spec `verify` (node:crypto + key cache), one core", l.ed25519.spec, "verify/s"),
  ...l.sha256.flatMap((s) => [
    r(`limit.sha256.${s.size}.hash`, `limit: sha256 ${s.size} B, crypto.hash one-shot (Buffer out)`, s.oneShotBuffer, "hash/s"),
    r(`limit.sha256.${s.size}.hashLatin1`, `limit: sha256 ${s.size} B, crypto.hash one-shot (latin1 out)`, s.oneShotLatin1, "hash/s"),
    r(`limit.sha256.${s.size}.createHash`, `limit: sha256 ${s.size} B, createHash().update().digest()`, s.createHash, "hash/s")
  ]),
  r("limit.svm.transfer", "limit: LiteSVM system transfer (sigverify on)", l.svm.transfer, "tx/s"),
  r("limit.svm.dotdns", `limit: LiteSVM dotdns ${l.svm.dotdnsInstruction}`, l.svm.dotdns, "tx/s")
]

export const run = async (opts: { quick?: boolean } = {}): Promise<BenchResult[]> => limitResults(await measureLimits(opts.quick))

if (import.meta.main) {
  const results = await run({ quick: process.argv.includes("--quick") })
  if (process.argv.includes("--json")) printJsonResults(results)
  else for (const x of results) console.log(`${x.figure.padEnd(70)} ${String(x.value).padStart(12)} ${x.unit}  (${x.detail})`)
}
