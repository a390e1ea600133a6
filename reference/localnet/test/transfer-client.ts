/**
 * A separate client process for the multi-process test: funds a fresh key from the faucet, pays
 * `lamports` to `to`, and prints {"signature": ...}. Usage: node transfer-client.ts RPC_URL TO LAMPORTS
 */
import { Connection, Keypair, LAMPORTS_PER_SOL, PublicKey, SystemProgram, Transaction, sendAndConfirmTransaction } from "@solana/web3.js"

const [url, to, amount] = process.argv.slice(2)
if (url === undefined || to === undefined || amount === undefined) {
  process.stderr.write("usage: transfer-client.ts RPC_URL TO LAMPORTS\n")
  process.exit(2)
}
const connection = new Connection(url, "confirmed")
const payer = Keypair.generate()
const airdrop = await connection.requestAirdrop(payer.publicKey, LAMPORTS_PER_SOL)
await connection.confirmTransaction({ signature: airdrop, ...(await connection.getLatestBlockhash()) }, "confirmed")
const signature = await sendAndConfirmTransaction(
  connection,
  new Transaction().add(SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: new PublicKey(to), lamports: Number(amount) })),
  [payer],
  { commitment: "confirmed" }
)
process.stdout.write(`${JSON.stringify({ signature })}\n`)
