// Runs a linked program once in LiteSVM: the end-to-end proof a test's output loads.

import {
  appendTransactionMessageInstruction,
  createTransactionMessage,
  generateKeyPairSigner,
  lamports,
  pipe,
  setTransactionMessageFeePayerSigner,
  signTransactionMessageWithSigners,
} from "@solana/kit"
import { FailedTransactionMetadata, LiteSVM } from "litesvm"

export interface ProgramRun {
  readonly ok: boolean
  readonly logs: readonly string[]
  /** Custom error code when the program returned one. */
  readonly customError: number | undefined
  readonly returnData: Uint8Array
  readonly computeUnits: bigint
}

export const runProgram = async (program: Uint8Array, data: Uint8Array = new Uint8Array(0)): Promise<ProgramRun> => {
  const svm = new LiteSVM()
  const programId = (await generateKeyPairSigner()).address
  svm.addProgram(programId, program)
  const payer = await generateKeyPairSigner()
  svm.airdrop(payer.address, lamports(1_000_000_000n))
  const tx = await pipe(
    createTransactionMessage({ version: 0 }),
    (m) => setTransactionMessageFeePayerSigner(payer, m),
    (m) => svm.setTransactionMessageLifetimeUsingLatestBlockhash(m),
    (m) => appendTransactionMessageInstruction({ programAddress: programId, accounts: [], data }, m),
    (m) => signTransactionMessageWithSigners(m)
  )
  const result = svm.sendTransaction(tx)
  if (result instanceof FailedTransactionMetadata) {
    const err = result.err()
    const inner = typeof err === "object" && "err" in err ? err.err() : undefined
    const customError = typeof inner === "object" && inner !== null && "code" in inner ? inner.code : undefined
    const meta = result.meta()
    return { ok: false, logs: meta.logs(), customError, returnData: new Uint8Array(0), computeUnits: meta.computeUnitsConsumed() }
  }
  return { ok: true, logs: result.logs(), customError: undefined, returnData: result.returnData().data(), computeUnits: result.computeUnitsConsumed() }
}
