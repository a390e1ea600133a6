/**
 * Account validation [ACC-5], [ACC-11], [ACC-12] and instruction decoding [ACC-10], [ENC]: the
 * transaction is altered after the client built it; the program must name the rule and change nothing.
 */
import { describe, expect, it } from "vitest"
import { DecodeError } from "../../../spec/src/errors.ts"
import { decodeInstruction } from "../../../spec/src/instructions.ts"
import type { Op } from "../../../spec/src/ops.ts"
import type { RuleId } from "../../../spec/src/rules.ts"
import { key } from "../../../spec/test/world.ts"
import type { Instruction } from "../../client/message.ts"
import { seeds } from "../../client/pda.ts"
import { admin, aggregate, challenger, helloRoute, miners, NH, outsider, pin, ref, roundOf, setup, submit, submitAll, witnesses } from "./fixture.ts"
import type { Lockstep } from "./lockstep.ts"

const [m1, m2] = miners

/** The op's instruction with the account called `name` replaced by `by`. */
const swap = (l: Lockstep, op: Op, name: string, by: Uint8Array) => (ix: Instruction): Instruction => {
  const at = [...l.accountsOf(op).keys()].indexOf(name)
  if (at < 0) throw new Error(`${op.kind} has no account ${name}`)
  return { ...ix, keys: ix.keys.map((k, i) => (i === at ? { ...k, pubkey: by } : k)) }
}
const flag = (l: Lockstep, op: Op, name: string, f: "isSigner" | "isWritable") => (ix: Instruction): Instruction => {
  const at = [...l.accountsOf(op).keys()].indexOf(name)
  return { ...ix, keys: ix.keys.map((k, i) => (i === at ? { ...k, [f]: false } : k)) }
}
const data = (d: Uint8Array) => (ix: Instruction): Instruction => ({ ...ix, data: d })

describe("account validation", () => {
  it("rejects substituted, unsigned and read-only accounts and changes nothing", () => {
    const l = setup()
    const { record, signature } = helloRoute()
    l.toEpoch(3n, 1n)
    const op = submit(aggregate(l, m1, 2n, record), { serial: 1n, signature })
    const A = l.accountsOf(op)
    const empty = key("empty").publicKey
    const cases: [string, Uint8Array, RuleId][] = [
      ["config", A.get("miners")!, "ACC-5"],
      ["config", empty, "ACC-5"],
      ["miners", A.get("config")!, "ACC-5"],
      ["committee", l.pda(seeds.committee(3n)), "ACC-5"],
      ["committee", empty, "ACC-5"],
      ["name", A.get("round")!, "ACC-5"],
      ["name", empty, "ACC-5"],
      ["instructions_sysvar", empty, "ACC-5"],
      ["system_program", empty, "ACC-5"],
      ["miner", m2.publicKey, "ACC-5"]
    ]
    for (const [name, by, rule] of cases) expect(l.sendAltered(op, swap(l, op, name, by)), `${name}`).toBe(rule)
    expect(l.sendAltered(op, flag(l, op, "miner", "isSigner"))).toBe("ACC-11")
    expect(l.sendAltered(op, flag(l, op, "round", "isWritable"))).toBe("ACC-12")
    expect(l.sendAltered(op, flag(l, op, "config", "isWritable"))).toBe("ACC-12")
    expect(l.sendAltered(op, (ix) => ({ ...ix, keys: ix.keys.slice(0, 9) }))).toBe("ACC-5")
    // a wrong address for an account the instruction creates fails in the system program (the PDA
    // signature does not match): rejected, nothing changed, no custom rule
    expect(l.sendAltered(op, swap(l, op, "aggregate", empty))).toBeUndefined()
    l.run(op)
    // an existing account of the right kind but another identity
    const second = submit(aggregate(l, m2, 2n, record), null)
    expect(l.sendAltered(second, swap(l, second, "aggregate", l.accountsOf(op).get("aggregate")!))).toBe("ACC-5")
    expect(l.sendAltered(second, swap(l, second, "round", l.pda(seeds.round(1n, NH))))).toBeUndefined()
  })

  it("checks payout recipients, the vault and absent-witness proofs", () => {
    const l = setup()
    const aggs = submitAll(l, 2n)
    const claimMiner: Op = { kind: "claim", who: m1.publicKey, role: "miner" }
    l.warpTo(roundOf(l, 2n).challengeEnd - 5n)
    l.run({ kind: "openReveal", challenger: challenger.publicKey, leafRef: ref(2n, m1, 0) })
    l.run({ kind: "openReveal", challenger: challenger.publicKey, leafRef: ref(2n, m2, 0) })
    l.run(pin(aggs[0]!, 0))
    const r0 = aggs[0]!.receipts[0]!
    l.run({ kind: "respondReveal", leafRef: ref(2n, m1, 0), receipt: r0.receipt, signature: r0.signature })
    l.warpTo(roundOf(l, 2n).challengeEnd + 20n)
    const resolve: Op = { kind: "resolveReveal", leafRef: ref(2n, m2, 0) }
    expect(l.sendAltered(resolve, swap(l, resolve, "challenger", outsider.publicKey))).toBe("ACC-5")
    expect(l.sendAltered(resolve, flag(l, resolve, "challenger", "isWritable"))).toBe("ACC-12")
    expect(l.sendAltered(resolve, swap(l, resolve, "vault", outsider.publicKey))).toBe("ACC-5")
    l.run(resolve)
    expect(l.sendAltered(claimMiner, swap(l, claimMiner, "vault", l.accountsOf(claimMiner).get("config")!))).toBe("ACC-5")
    expect(l.sendAltered(claimMiner, swap(l, claimMiner, "stake_account", l.pda(seeds.witness(m1.publicKey))))).toBe("ACC-5")
    l.run(claimMiner)
    // proveBadWeight on a leaf whose witness has no account: the address must be the pinned witness's
    const l2 = setup()
    const ghost = key("ghost2")
    l2.toEpoch(3n, 1n)
    const { record, signature } = helloRoute()
    const a = aggregate(l2, m2, 2n, record)
    l2.run(submit(a, { serial: 1n, signature }))
    l2.run(pin(a, 0))
    const bw: Op = { kind: "proveBadWeight", challenger: challenger.publicKey, leafRef: ref(2n, m2, 0) }
    expect(l2.sendAltered(bw, swap(l2, bw, "witness_account", l2.pda(seeds.witness(witnesses[1].publicKey))))).toBe("ACC-5")
    expect(l2.sendAltered(bw, swap(l2, bw, "witness_account", l2.pda(seeds.witness(ghost.publicKey))))).toBe("ACC-5")
  })
})

/** The rule decodeInstruction names for these bytes, if it rejects them. */
const decoderRule = (bytes: Uint8Array): RuleId | undefined => {
  try {
    decodeInstruction(bytes)
    return undefined
  } catch (e) {
    if (e instanceof DecodeError) return e.rule
    throw e
  }
}

describe("instruction decoding", () => {
  it("names the decoder's rule for every truncation and for trailing bytes", () => {
    const l = setup()
    const { record, signature } = helloRoute()
    l.toEpoch(3n, 1n)
    const a = aggregate(l, m1, 2n, record)
    const ops: Op[] = [
      submit(a, { serial: 1n, signature }),
      { kind: "registerName", owner: admin.publicKey, name: "x.dns" },
      { kind: "minerBond", miner: m1.publicKey, amount: 5n },
      { kind: "finalizeRound", epoch: 2n, nameHash: NH },
      { kind: "propose", proposer: admin.publicKey, changes: [{ kind: 0, param: 17, value: 9n, key: new Uint8Array(32) }], etaEpoch: 9n },
      { kind: "proveEquivocation", challenger: challenger.publicKey, first: { statement: a.statement, signature: new Uint8Array(64) }, second: null }
    ]
    for (const op of ops) {
      const full = l.build(op).instructions.at(-1)!.data
      for (let n = 0; n <= full.length; n++) {
        const bytes = n < full.length ? full.slice(0, n) : Uint8Array.of(...full, 0)
        const want = decoderRule(bytes)
        expect(want, `${op.kind} ${n}`).toBeDefined()
        const got = l.sendInstructions(op, (ixs) => [{ ...ixs.at(-1)!, data: bytes }])
        expect(got, `${op.kind} truncated to ${n} of ${full.length}`).toBe(want)
      }
    }
  })

  it("rejects unknown tags and non-canonical fields", () => {
    const l = setup()
    const { record, signature } = helloRoute()
    l.toEpoch(3n, 1n)
    const op = submit(aggregate(l, m1, 2n, record), { serial: 1n, signature })
    const full = l.build(op).instructions.at(-1)!.data
    const at = (i: number, v: number) => Uint8Array.from(full, (b, j) => (j === i ? v : b))
    const objectStart = 1 + 2 + 2
    const cases: [Uint8Array, RuleId][] = [
      [Uint8Array.of(27), "ACC-10"],
      [Uint8Array.of(255), "ACC-10"],
      [at(objectStart, 4), "ENC-5"],
      [at(objectStart + 1, 2), "VER-2"],
      [at(1 + 2, 220), "ENC-3"],
      [at(objectStart + 150, 2), "ENC-4"],
      [at(full.length - 9, 2), "ENC-4"],
      [at(objectStart + 151, 2), "ACC-10"]
    ]
    for (const [bytes, rule] of cases) {
      expect(decoderRule(bytes)).toBe(rule)
      expect(l.sendAltered(op, data(bytes))).toBe(rule)
    }
    // names: strict UTF-8, then the byte-by-byte checks
    const reg: Op = { kind: "registerName", owner: admin.publicKey, name: "x.dns" }
    const regBytes = (name: number[]) => Uint8Array.of(10, l.build(reg).instructions.at(-1)!.data[1]!, name.length, ...name)
    const dns = [...Buffer.from(".dns")]
    for (const bad of [[0xff], [0xc0, 0x80], [0xc1, 0xbf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80], [0xe2, 0x82], [0x80]]) {
      const bytes = regBytes([...bad, ...dns])
      expect(decoderRule(bytes), `${bad}`).toBe("ENC-3")
      expect(l.sendAltered(reg, data(bytes)), `${bad}`).toBe("ENC-3")
    }
    for (const good of [[0xc3, 0xa9], [0xe2, 0x82, 0xac], [0xf0, 0x9f, 0x98, 0x80], [0xed, 0x9f, 0xbf], [0xf4, 0x8f, 0xbf, 0xbf]]) {
      const bytes = regBytes([...good, ...dns])
      expect(decoderRule(bytes), `${good}`).toBeUndefined()
      expect(l.sendAltered(reg, data(bytes)), `${good}`).toBe("NAM-5")
    }
    const claim: Op = { kind: "claim", who: m1.publicKey, role: "miner" }
    expect(l.sendAltered(claim, data(Uint8Array.of(8, 2)))).toBe("ACC-10")
    const prop: Op = { kind: "propose", proposer: admin.publicKey, changes: [{ kind: 0, param: 17, value: 9n, key: new Uint8Array(32) }], etaEpoch: 9n }
    const pd = l.build(prop).instructions.at(-1)!.data
    const padded = Uint8Array.from(pd, (b, j) => (j === 1 + 1 + 8 + 1 + 3 ? 1 : b))
    expect(decoderRule(padded)).toBe("ENC-6")
    expect(l.sendAltered(prop, data(padded))).toBe("ENC-6")
  })
})
