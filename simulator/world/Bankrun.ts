/**
 * The solana-bankrun adapter (solana 1.18 runtime). It loads the same `dotdns.so` by name from
 * `$SBF_OUT_DIR`, funds accounts with System transfers from bankrun's payer (its `setAccount`
 * breaks a later `warpToSlot`: the accounts-hash check panics), and warps with `warpToSlot`.
 *
 * Known difference, declared in `capabilities`: bankrun does not verify Ed25519-program signatures,
 * so a forged owner authorization or statement passes here. Scenarios that forge one declare
 * `needs: [signature-checks]` and are reported not applicable on this backend.
 */
import { dirname } from "node:path"
import { PublicKey, SystemProgram, Transaction, VersionedTransaction } from "@solana/web3.js"
import { start, type ProgramTestContext } from "solana-bankrun"
import { fromBase58, toBase58 } from "../../programs/client/base58.ts"
import { DEV_PROGRAM_ID, PROGRAM_SO } from "../../programs/client/program-id.ts"
import { ruleOfCode } from "../../spec/src/rules.ts"
import { customErrorOf, type Capability, type Svm, type TxErrorJson, type TxOutcome } from "./Svm.ts"

const CAPABILITIES: ReadonlySet<Capability> = new Set()

/** Bankrun's error text → Solana's JSON form, for the errors the simulator meets. */
const errorJson = (text: string): TxErrorJson => {
  const custom = customErrorOf(text)
  if (custom !== undefined) return { InstructionError: [custom.index, { Custom: custom.code }] }
  if (/already been processed/i.test(text)) return "AlreadyProcessed"
  if (/blockhash not found/i.test(text)) return "BlockhashNotFound"
  if (/insufficient funds for fee/i.test(text)) return "InsufficientFundsForFee"
  const ix = /Error processing Instruction (\d+): (.*)$/.exec(text)
  if (ix !== null) return { InstructionError: [Number(ix[1]), ix[2]!] }
  return text
}

export const makeBankrun = async (options: { readonly programId?: Uint8Array; readonly soPath?: string } = {}): Promise<Svm> => {
  const so = options.soPath ?? PROGRAM_SO
  if (!so.endsWith("/dotdns.so")) throw new Error(`bankrun loads programs by name: expected a path ending in /dotdns.so, got ${so}`)
  process.env["SBF_OUT_DIR"] = dirname(so)
  // bankrun otherwise echoes every program log line at DEBUG level.
  process.env["RUST_LOG"] ??= "error"
  const ctx: ProgramTestContext = await start([{ name: "dotdns", programId: new PublicKey(toBase58(options.programId ?? DEV_PROGRAM_ID)) }], [])
  const client = ctx.banksClient
  let slot = await client.getSlot()

  const blockhash = async (): Promise<string> => (await client.getLatestBlockhash())?.[0] ?? ctx.lastBlockhash

  const send = async (wire: Uint8Array): Promise<TxOutcome> => {
    const res = await client.tryProcessTransaction(VersionedTransaction.deserialize(wire))
    const cu = res.meta?.computeUnitsConsumed ?? 0n
    const logs = res.meta?.logMessages ?? []
    if (res.result === null) return { ok: true, cu, logs }
    const err = errorJson(res.result)
    const code = customErrorOf(res.result)?.code
    const rule = code === undefined ? undefined : ruleOfCode(code)
    return { ok: false, err, message: res.result, cu, logs, ...(code === undefined ? {} : { code }), ...(rule === undefined ? {} : { rule }) }
  }

  return {
    backend: "bankrun",
    capabilities: CAPABILITIES,
    send,
    account: async (a) => {
      const acc = await client.getAccount(new PublicKey(a))
      if (acc === null || acc.lamports === 0) return undefined
      return { lamports: BigInt(acc.lamports), owner: acc.owner.toBytes(), executable: acc.executable, data: new Uint8Array(acc.data) }
    },
    slot: () => slot,
    warpTo: async (s) => {
      if (s < slot) throw new RangeError(`cannot warp back from slot ${slot} to ${s}`)
      if (s > slot) {
        ctx.warpToSlot(s)
        slot = s
      }
    },
    airdrop: async (to, amount) => {
      const tx = new Transaction({ feePayer: ctx.payer.publicKey, recentBlockhash: await blockhash() })
      tx.add(SystemProgram.transfer({ fromPubkey: ctx.payer.publicKey, toPubkey: new PublicKey(to), lamports: amount }))
      tx.sign(ctx.payer)
      const r = await client.tryProcessTransaction(tx)
      if (r.result !== null) throw new Error(`airdrop to ${toBase58(to)} failed: ${r.result}`)
    },
    latestBlockhash: async () => fromBase58(await blockhash()),
    close: async () => {}
  }
}
