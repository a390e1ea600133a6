/**
 * `dotdns program deploy|upgrade` against the localnet (JSON-RPC over LiteSVM): the dotdns program is
 * deployed through the upgradeable loader under a fresh address, initialized by a dotdns transaction
 * sent over the same RPC, and its Config account read back; then upgraded. The authority options run
 * on the small hello program.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { MAINNET_PARAMS, PARAM } from "../../spec/src/params.ts"
import { startLocalnet, type Localnet } from "../../reference/localnet/index.ts"
import { fromBase58, toBase58 } from "../client/base58.ts"
import { decodeAccount } from "../client/decode.ts"
import { buildOp } from "../client/instructions.ts"
import { signTransaction } from "../client/message.ts"
import { findPda, seeds } from "../client/pda.ts"
import { PROGRAM_SO } from "../client/program-id.ts"
import { runProgramCli } from "./cli.ts"
import { MAX_TRANSACTION_BYTES, sendAndConfirm, writeChunkSize } from "./deploy.ts"
import { generateKeypair, writeKeypair } from "./keypair.ts"
import { programDataAddress, programDataAuthority, write } from "./loader.ts"
import { Rpc } from "./rpc.ts"

const HELLO_SO = fileURLToPath(new URL("../hello/hello.so", import.meta.url))
const SOL = 1_000_000_000n

/** Runs the CLI as `dotdns program …` would; returns the exit code, the JSON summary and stderr. */
const cli = async (argv: string[]) => {
  const out: string[] = []
  const err: string[] = []
  const code = await runProgramCli(argv, { stdout: (l) => out.push(l), stderr: (l) => err.push(l) })
  const last = out.at(-1)
  return { code, summary: last?.startsWith("{") === true ? (JSON.parse(last) as Record<string, unknown>) : undefined, stderr: err.join("\n") }
}

describe("dotdns program deploy / upgrade over JSON-RPC (localnet)", () => {
  let net: Localnet
  let rpc: Rpc
  let dir: string
  const payer = generateKeypair()
  const program = generateKeypair()
  const files: Record<string, string> = {}

  beforeAll(async () => {
    net = await startLocalnet({ rpcPort: 0, programs: [], log: () => {} })
    rpc = new Rpc(net.rpcUrl)
    await rpc.requestAirdrop(payer.publicKey, 100n * SOL)
    dir = mkdtempSync(join(tmpdir(), "dotdns-deploy-"))
    for (const [name, kp] of Object.entries({ payer, program })) {
      files[name] = join(dir, `${name}.json`)
      writeKeypair(files[name]!, kp)
    }
  })
  afterAll(async () => {
    await net?.close()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  it("deploys dotdns.so through the upgradeable loader, initializes it and reads its Config back", async () => {
    const r = await cli(["deploy", "--rpc", net.rpcUrl, "--keypair", files["payer"]!, "--program-keypair", files["program"]!])
    expect(r.code, r.stderr).toBe(0)
    const so = readFileSync(PROGRAM_SO)
    expect(r.summary).toMatchObject({ command: "deploy", programId: toBase58(program.publicKey), upgradeAuthority: toBase58(payer.publicKey), bytes: so.length, maxDataLen: 2 * so.length })
    // every Write fit one 1232-byte transaction
    expect(Number(r.summary!["writes"])).toBe(Math.ceil(so.length / Number(r.summary!["chunk"])))
    expect(Number(r.summary!["chunk"])).toBeGreaterThan(1000)
    const account = await rpc.account(program.publicKey)
    expect(account).toMatchObject({ executable: true, owner: "BPFLoaderUpgradeab1e11111111111111111111111" })
    const pd = (await rpc.account(programDataAddress(program.publicKey)))!
    expect(programDataAuthority(pd.data)).toEqual(payer.publicKey)
    expect(Buffer.from(pd.data.subarray(45, 45 + so.length)).equals(so)).toBe(true)

    // a dotdns transaction to the deployed program id: initialize, then the Config PDA holds it
    const params = [...MAINNET_PARAMS]
    const slot = BigInt(await rpc.slot())
    const op = { kind: "initialize" as const, authority: payer.publicKey, params, allowlist: [] }
    const view = { config: () => undefined, name: () => undefined, pin: () => undefined, challenge: () => undefined }
    const built = buildOp(op, { programId: program.publicKey, payer: payer.publicKey, slot, view })
    const sent = await sendAndConfirm(rpc, payer, [{ ixs: built.instructions, signers: [] }])
    expect(sent.signatures).toHaveLength(1)
    const configAddress = findPda(seeds.config(), program.publicKey).address
    const raw = (await rpc.account(configAddress))!
    expect(raw.owner).toBe(toBase58(program.publicKey))
    const config = decodeAccount("Config", raw.data)!
    expect(config.authority).toEqual(payer.publicKey)
    expect(config.params.slice(0, params.length)).toEqual(params)
    expect(config.currentEpoch).toBe(slot / MAINNET_PARAMS[PARAM.epochLengthSlots]!)
  })

  it("upgrades it in place with the upgrade authority", async () => {
    const before = (await rpc.account(programDataAddress(program.publicKey)))!
    const r = await cli(["upgrade", "--rpc", net.rpcUrl, "--keypair", files["payer"]!, "--program-id", toBase58(program.publicKey)])
    expect(r.code, r.stderr).toBe(0)
    expect(r.summary).toMatchObject({ command: "upgrade", programId: toBase58(program.publicKey) })
    const after = (await rpc.account(programDataAddress(program.publicKey)))!
    // ProgramData's deployment slot moved on; the program still answers (Config is there, initialize again is ACC-9)
    expect(Buffer.from(after.data.subarray(4, 12)).readBigUInt64LE()).toBeGreaterThan(Buffer.from(before.data.subarray(4, 12)).readBigUInt64LE())
    expect(programDataAuthority(after.data)).toEqual(payer.publicKey)
  })

  it("hands the upgrade authority to a public key, signs with a keypair authority, or deploys immutable", async () => {
    const other = generateKeypair()
    const handed = await cli(["deploy", "--rpc", net.rpcUrl, "--keypair", files["payer"]!, "--so", HELLO_SO, "--upgrade-authority", toBase58(other.publicKey)])
    expect(handed.code, handed.stderr).toBe(0)
    expect(handed.summary!["upgradeAuthority"]).toBe(toBase58(other.publicKey))
    const id = String(handed.summary!["programId"])
    // the payer is no longer the authority
    const refused = await cli(["upgrade", "--rpc", net.rpcUrl, "--keypair", files["payer"]!, "--program-id", id, "--so", HELLO_SO])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/the upgrade authority is/)

    const authFile = join(dir, "authority.json")
    const authority = generateKeypair()
    writeKeypair(authFile, authority)
    const signed = await cli(["deploy", "--rpc", net.rpcUrl, "--keypair", files["payer"]!, "--so", HELLO_SO, "--upgrade-authority", authFile, "--max-len", "20000"])
    expect(signed.code, signed.stderr).toBe(0)
    expect(signed.summary).toMatchObject({ upgradeAuthority: toBase58(authority.publicKey), maxDataLen: 20000 })
    const up = await cli(["upgrade", "--rpc", net.rpcUrl, "--keypair", files["payer"]!, "--program-id", String(signed.summary!["programId"]), "--upgrade-authority", authFile, "--so", HELLO_SO])
    expect(up.code, up.stderr).toBe(0)

    const final = await cli(["deploy", "--rpc", net.rpcUrl, "--keypair", files["payer"]!, "--so", HELLO_SO, "--final"])
    expect(final.code, final.stderr).toBe(0)
    expect(final.summary!["upgradeAuthority"]).toBeNull()
    const pd = (await rpc.account(programDataAddress(fromBase58(String(final.summary!["programId"])))))!
    expect(programDataAuthority(pd.data)).toBeNull()
  })

  it("sizes each Write to exactly fill a 1232-byte transaction", () => {
    for (const authority of [payer, generateKeypair()]) {
      const n = writeChunkSize(payer, authority)
      const ix = write(program.publicKey, authority.publicKey, 123_456, new Uint8Array(n))
      expect(signTransaction(payer, [ix], new Uint8Array(32), () => authority).wire.length).toBe(MAX_TRANSACTION_BYTES)
    }
  })

  it("explains its usage", async () => {
    expect((await cli(["deploy", "--keypair", files["payer"]!])).code).toBe(2)
    expect((await cli(["frobnicate"])).code).toBe(2)
    expect((await cli(["--help"])).code).toBe(0)
  })
})
