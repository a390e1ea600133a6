/**
 * The DoH endpoint's certificate. Configured PEM files are used as given; otherwise a self-signed
 * P-256 certificate for `localhost` / `127.0.0.1` / `::1` is generated on first start with the
 * `openssl` CLI (node:crypto cannot issue X.509 certificates) and kept in `<data_dir>/tls/`.
 */
import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { X509Certificate } from "node:crypto"
import { Data, Effect } from "effect"

export class TlsError extends Data.TaggedError("TlsError")<{ readonly message: string }> {}

export interface TlsMaterial {
  readonly cert: Buffer
  readonly key: Buffer
  readonly certPath: string
  readonly keyPath: string
  /** SHA-256 fingerprint, for pinning (`kdig +tls-pin`, curl `--pinnedpubkey`). */
  readonly fingerprint256: string
  readonly generated: boolean
}

const load = (certPath: string, keyPath: string, generated: boolean): TlsMaterial => {
  const cert = readFileSync(certPath)
  const key = readFileSync(keyPath)
  return { cert, key, certPath, keyPath, fingerprint256: new X509Certificate(cert).fingerprint256, generated }
}

export const ensureCertificate = (options: { readonly dataDir: string; readonly cert?: string; readonly key?: string }) =>
  Effect.try({
    try: () => {
      if (options.cert !== undefined && options.key !== undefined) return load(options.cert, options.key, false)
      const dir = join(options.dataDir, "tls")
      const certPath = join(dir, "doh-cert.pem")
      const keyPath = join(dir, "doh-key.pem")
      if (existsSync(certPath) && existsSync(keyPath)) {
        const m = load(certPath, keyPath, false)
        if (new Date(new X509Certificate(m.cert).validTo).getTime() > Date.now() + 86_400_000) return m
      }
      mkdirSync(dir, { recursive: true, mode: 0o700 })
      execFileSync(
        "openssl",
        [
          "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
          "-keyout", keyPath, "-out", certPath, "-days", "397", "-subj", "/CN=dotdns local resolver",
          "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1",
          "-addext", "extendedKeyUsage=serverAuth"
        ],
        { stdio: ["ignore", "ignore", "pipe"], timeout: 30_000 }
      )
      return load(certPath, keyPath, true)
    },
    catch: (e) =>
      new TlsError({
        message:
          (e as NodeJS.ErrnoException).code === "ENOENT"
            ? "cannot generate the DoH certificate: the openssl command is not installed; install it, or set doh.https.cert and doh.https.key, or doh.https.enabled: false"
            : `cannot set up the DoH certificate: ${e instanceof Error ? e.message : String(e)}`
      })
  })
