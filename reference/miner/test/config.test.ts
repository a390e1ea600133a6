/** Config: YAML, environment overrides, and errors that name the field and the line. */
import { describe, expect, it } from "vitest"
import { ConfigError, defaultConfigYaml, parseConfig, type MinerSettings } from "../Config.ts"
import { parseKeypairFile, keypairFileText, IdentityError } from "../Identity.ts"
import { keypair } from "./helpers.ts"

const ok = (text: string, env: Record<string, string> = {}): MinerSettings => {
  const r = parseConfig(text, "/etc/dotdns/miner.yaml", env)
  if (r instanceof ConfigError) throw new Error(r.toString())
  return r
}
const err = (text: string, env: Record<string, string> = {}): string => {
  const r = parseConfig(text, "/etc/dotdns/miner.yaml", env)
  if (!(r instanceof ConfigError)) throw new Error("expected a ConfigError")
  return r.toString()
}

describe("miner config", () => {
  it("fills every default and resolves paths against the file's directory", () => {
    const c = ok("")
    expect(c.http).toEqual({ host: "127.0.0.1", port: 7101, maxBodyBytes: 2 * 1024 * 1024, maxBatch: 10_000 })
    expect(c.storage).toEqual({ kind: "sqlite", path: "/etc/dotdns/data/miner.sqlite" })
    expect(c.identityPath).toBe("/etc/dotdns/identity.json")
    expect(c.rpc).toMatchObject({ urls: ["http://127.0.0.1:8899"], wsUrl: "ws://127.0.0.1:8900", commitment: "confirmed" })
    expect(c.chain).toEqual({ mode: "rpc" })
    expect(c.programId).toHaveLength(32)
  })

  it("reads the file `dotdns miner init` writes", () => {
    const c = ok(defaultConfigYaml({ identity: "id.json", port: 7200 }))
    expect(c.http.port).toBe(7200)
    expect(c.identityPath).toBe("/etc/dotdns/id.json")
  })

  it("takes postgres storage, peers and the dev-fixed tables", () => {
    const key = keypair("cfg").publicKey
    const c = ok(`
storage: { kind: postgres, url: "postgres://u@127.0.0.1:5432/miner" }
peers: [http://10.0.0.2:7101]
data_dir: /var/lib/dotdns
chain:
  mode: dev-fixed
  epoch: 12
  witnesses: [{ key: "${Buffer.from(key).toString("hex")}", stake: 5000 }]
  names: [{ name: a.dns, owner: "${Buffer.from(key).toString("hex")}", serial: "3" }]
`)
    expect(c.storage).toEqual({ kind: "postgres", url: "postgres://u@127.0.0.1:5432/miner" })
    expect(c.dataDir).toBe("/var/lib/dotdns")
    expect(c.peers).toEqual(["http://10.0.0.2:7101"])
    expect(c.chain).toMatchObject({ mode: "dev-fixed", epoch: 12n, witnesses: [{ key, stake: 5000n }], names: [{ name: "a.dns", serial: 3n }] })
  })

  it("applies DOTDNS_MINER_* overrides over the file", () => {
    const c = ok("http: { port: 7000 }\n", {
      DOTDNS_MINER_HTTP_PORT: "7300",
      DOTDNS_MINER_RPC_URLS: "http://a:1, http://b:2",
      DOTDNS_MINER_STORAGE: "postgres",
      DOTDNS_MINER_STORAGE_URL: "postgres://x@y/z",
      DOTDNS_MINER_VERIFY_WORKERS: "3"
    })
    expect(c.http.port).toBe(7300)
    expect(c.rpc.urls).toEqual(["http://a:1", "http://b:2"])
    expect(c.storage).toEqual({ kind: "postgres", url: "postgres://x@y/z" })
    expect(c.verify.workers).toBe(3)
  })

  it("names the field and the line of a bad value", () => {
    expect(err("identity: id.json\nhttp:\n  host: 127.0.0.1\n  port: 99999\n")).toBe("/etc/dotdns/miner.yaml:4: http.port: Expected a value between 0 and 65535")
    expect(err("chain:\n  mode: dev-fixed\n  epoch: 1\n  witnesses:\n    - { key: nope, stake: 1 }\n")).toMatch(/^\/etc\/dotdns\/miner\.yaml:5: chain\.witnesses\.0\.key: Expected a 32-byte key/)
    expect(err("http:\n  prot: 1\n")).toBe("/etc/dotdns/miner.yaml:2: http.prot: Expected no excess property")
    expect(err("storage:\n  kind: postgres\n")).toBe("/etc/dotdns/miner.yaml:2: storage.url: Missing key")
    expect(err("verify: { workers: 0 }\n")).toMatch(/:1: verify\.workers: Expected a value greater than or equal to 1/)
    expect(err("peers: [ftp://x]\n")).toMatch(/:1: peers\.0: Expected an http\(s\) URL/)
  })

  it("reports YAML syntax errors with their line", () => {
    expect(err("http:\n  port: 1\n a: [\n")).toMatch(/^\/etc\/dotdns\/miner\.yaml:3: YAML: /)
    expect(err("- a\n- b\n")).toBe("/etc/dotdns/miner.yaml:1: the config file must be a YAML mapping")
  })

  it("names the environment variable of a bad override, and rejects unknown ones", () => {
    expect(err("", { DOTDNS_MINER_HTTP_PORT: "x" })).toBe("environment: http.port (from DOTDNS_MINER_HTTP_PORT): Expected number")
    expect(err("", { DOTDNS_MINER_HTTP_PROT: "1" })).toMatch(/^environment: DOTDNS_MINER_HTTP_PROT: unknown override/)
  })
})

describe("identity file", () => {
  it("reads a Solana CLI keypair and checks its halves match", () => {
    const kp = keypair("id")
    const read = parseKeypairFile(keypairFileText(kp), "k.json")
    expect(read).toEqual(kp)
    const bytes = [...kp.secretKey, ...kp.publicKey]
    bytes[40] ^= 1
    expect(parseKeypairFile(JSON.stringify(bytes), "k.json")).toBeInstanceOf(IdentityError)
    expect(parseKeypairFile("[1,2,3]", "k.json")).toBeInstanceOf(IdentityError)
    expect(parseKeypairFile("nope", "k.json")).toBeInstanceOf(IdentityError)
  })
})
