/** Committee selection [CMT]. */
import { hex } from "../../src/bytes.ts"
import { H } from "../../src/hash.ts"
import { Cases } from "./case.ts"
import { key } from "./scenario.ts"

export const committeeCases = (): Cases => {
  const c = new Cases("committee")
  const ks = Array.from({ length: 8 }, (_, i) => key(`c${i}`).publicKey)
  const miner = (i: number, active: bigint, jailed = false) => ({ key: hex(ks[i]!), active: active.toString(), jailed })
  const seed = (s: string) => hex(H("dotdns/test/seed", new TextEncoder().encode(s)))
  const SOL = 1_000_000_000n
  const base = [miner(0, 5n * SOL), miner(1, 3n * SOL), miner(2, 1n * SOL), miner(3, 9n * SOL), miner(4, 2n * SOL, true), miner(5, SOL / 2n), miner(6, 7n * SOL), miner(7, 4n * SOL)]
  const allow = (is: number[]) => is.map((i) => hex(ks[i]!))
  const sel = (mode: "allowlist" | "stake", size: number, miners = base, allowlist = allow([0, 1, 2, 3, 4, 5]), s = "a") => ({
    miners, mode, size: size.toString(), minStake: SOL.toString(), allowlist, seed: seed(s)
  })
  c.ok("select_committee-allowlist", "select_committee", ["CMT-2", "CMT-3", "CMT-5"], "allowlist mode seats every eligible allowlisted miner: not the jailed one, not the one under the minimum, not the unlisted ones", sel("allowlist", 3))
  c.ok("select_committee-allowlist-ignores-size", "select_committee", ["CMT-3"], "allowlist mode ignores committee_size", sel("allowlist", 1))
  c.ok("select_committee-allowlist-empty", "select_committee", ["CMT-2"], "no allowlisted miner is eligible", sel("allowlist", 3, base, allow([4, 5])))
  c.ok("select_committee-stake-under-k", "select_committee", ["CMT-2", "CMT-4", "CMT-5"], "stake mode with 6 eligible and K = 7: everyone eligible sits", sel("stake", 7))
  c.ok("select_committee-stake-exactly-k", "select_committee", ["CMT-4"], "stake mode with 6 eligible and K = 6", sel("stake", 6))
  for (const s of ["a", "b", "c", "d"])
    c.ok(`select_committee-stake-sampled-${s}`, "select_committee", ["CMT-4", "CMT-5"], `stake mode with 6 eligible and K = 3, seed ${s}: stake-weighted sampling without replacement`, sel("stake", 3, base, [], s))
  c.ok("select_committee-stake-k-1", "select_committee", ["CMT-4"], "stake mode, K = 1", sel("stake", 1, base, [], "e"))
  c.ok("select_committee-stake-jailed-excluded", "select_committee", ["CMT-2"], "every miner jailed but two: both sit", sel("stake", 3, base.map((m, i) => (i < 6 ? { ...m, jailed: true } : m))))
  c.ok("select_committee-stake-dominant", "select_committee", ["CMT-4"], "one miner holding almost all stake, K = 2", sel("stake", 2, [miner(0, 1000n * SOL), miner(1, SOL), miner(2, SOL), miner(3, SOL)], [], "f"))
  c.fail("select_committee-zero-min-stake", "select_committee", "GOV-8", "a minimum stake of zero", { ...sel("stake", 2), minStake: "0" })
  for (const [e, s] of [[1n, "a"], [2n, "b"], [18_446_744_073_709_551_615n, "c"]] as const)
    c.ok(`next_seed-${e === 18_446_744_073_709_551_615n ? "max" : e}`, "next_seed", ["CMT-1"], `seed of epoch ${e}`, { prev: seed(s), epoch: e.toString(), digest: seed(`d${s}`) })
  c.ok("next_seed-zero-digest", "next_seed", ["CMT-1"], "before any finality the state digest is zero", { prev: seed("g"), epoch: "3", digest: "00".repeat(32) })
  return c
}
