/**
 * The miner's identity: an ed25519 keypair in the Solana CLI file format (a JSON array of 64 bytes,
 * seed ‖ public key). It signs aggregate statements [AGG-1] and, in the chain half, transactions.
 */
import { randomBytes } from "node:crypto"
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs"
import { Context, Data, Effect, Layer } from "effect"
import { toBase58 } from "../../programs/client/base58.ts"
import { keypairJson, parseKeypairJson } from "../../programs/client/keypair-file.ts"
import { keypairFromSeed, sign, type Keypair } from "../../spec/src/ed25519.ts"
import { MinerConfig } from "./Config.ts"

export class IdentityError extends Data.TaggedError("IdentityError")<{ readonly path: string; readonly message: string }> {
  override toString(): string {
    return `${this.path}: ${this.message}`
  }
}

// ------------------------------------------------------------------------------------------ helpers

/** Parses a Solana CLI keypair file and checks that its public half matches its seed. */
export const parseKeypairFile = (text: string, path: string): Keypair | IdentityError => {
  const kp = parseKeypairJson(text)
  return typeof kp === "string" ? new IdentityError({ path, message: kp }) : kp
}

export const keypairFileText = keypairJson

/** Writes a fresh keypair (mode 0600); refuses to overwrite. */
export const generateKeypairFile = (path: string): Keypair => {
  if (existsSync(path)) throw new Error(`${path} exists; refusing to overwrite a keypair`)
  const kp = keypairFromSeed(new Uint8Array(randomBytes(32)))
  writeFileSync(path, keypairFileText(kp), { mode: 0o600 })
  chmodSync(path, 0o600)
  return kp
}

// ------------------------------------------------------------------------------------------ service

export class Identity extends Context.Service<
  Identity,
  {
    readonly publicKey: Uint8Array
    /** base58 */
    readonly address: string
    /** ed25519 signature over a message (normally a 32-byte digest [SIG-1]). */
    sign(message: Uint8Array): Uint8Array
    readonly keypair: Keypair
  }
>()("dotdns/miner/Identity") {
  static readonly fromKeypair = (keypair: Keypair) =>
    Identity.of({ publicKey: keypair.publicKey, address: toBase58(keypair.publicKey), sign: (m) => sign(keypair, m), keypair })

  static readonly layerKeypair = (keypair: Keypair) => Layer.succeed(Identity, Identity.fromKeypair(keypair))

  /** Loads `identity` from the config. */
  static readonly layer = Layer.effect(
    Identity,
    Effect.gen(function* () {
      const { identityPath } = yield* MinerConfig
      const text = yield* Effect.try({
        try: () => readFileSync(identityPath, "utf8"),
        catch: (e) => new IdentityError({ path: identityPath, message: `cannot read keypair: ${(e as Error).message}` })
      })
      const kp = parseKeypairFile(text, identityPath)
      if (kp instanceof IdentityError) return yield* kp
      return Identity.fromKeypair(kp)
    })
  )
}
