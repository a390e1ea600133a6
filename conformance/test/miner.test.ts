/**
 * The miner target. Against the reference miner, started on the fixture chain: the contract checks it
 * can reach without aggregates (ops, ingest, feed). Against a recorded exchange — a tiny miner made of
 * spec functions answering the audit endpoints — the proof checks: honest proofs verify with the
 * spec's verifyInclusion, a tampered one fails naming MRK-5, and a wrong rejection rule fails naming
 * API-2.
 */
import { describe, expect, it } from "vitest"
import { buildAggregate } from "../../spec/src/aggregate.ts"
import { hex } from "../../spec/src/bytes.ts"
import { keypairFromSeed, sign } from "../../spec/src/ed25519.ts"
import { AggregateStatementJson, LeafJson, SignedReceiptJson, SumNodeJson, toJson } from "../../spec/src/json.ts"
import { nameHash } from "../../spec/src/name.ts"
import { aggregateDigest, encodeAggregate, receiptDigest, type Receipt } from "../../spec/src/objects.ts"
import { chainYaml, MINER_CHECKS, MINER_FIXTURE, parseSse, runMinerChecks, runMinerTarget, type HttpRequest, type HttpResponse, type Transport } from "../targets/miner.ts"

const check = (name: RegExp) => MINER_CHECKS.find((c) => name.test(c.name))!

/** An exchange served from a table of routes; everything else is 404. */
const recorded = (routes: Record<string, (r: HttpRequest) => HttpResponse>): Transport => ({
  request: async (r) => {
    const key = `${r.method} ${r.path}`
    const handler = routes[key]
    return handler !== undefined ? handler(r) : { status: 404, headers: {}, body: '{"error":{"message":"not found"}}' }
  },
  events: async () => ({ status: 200, events: [] })
})
const ok = (body: unknown): HttpResponse => ({ status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify(body) })

/**
 * The audit endpoints of a miner holding one aggregate of four fixture receipts, proofs built by the
 * spec. `tamper`: proof 2's path is off by one; `listing`: the roots entry lists another statement's
 * digest (what the miner would show after changing only its batch CID), or no digest at all.
 */
const auditExchange = (tamper: boolean, listing: "honest" | "other-digest" | "no-digest" = "honest"): Transport => {
  const E = MINER_FIXTURE.epoch
  const rh = new Uint8Array(32).fill(7)
  const receipts = MINER_FIXTURE.witnesses.slice(0, 4).map(({ key }) => {
    const receipt: Receipt = { epoch: E, nameHash: nameHash(MINER_FIXTURE.name), routeHash: rh, witness: key.publicKey }
    return { receipt, signature: sign(key, receiptDigest(receipt)) }
  })
  const stake = new Map(MINER_FIXTURE.witnesses.map((w) => [hex(w.key.publicKey), w.stake]))
  const minerKey = keypairFromSeed(new Uint8Array(32).fill(9))
  const miner = minerKey.publicKey
  const built = buildAggregate(receipts, (w) => stake.get(hex(w))!, miner)
  const root = built.levels[built.levels.length - 1]![0]!
  const base = `/v1/aggregates/${E}/${hex(built.statement.nameHash)}/${hex(miner)}`
  const digest = aggregateDigest(built.statement)
  const other = aggregateDigest({ ...built.statement, batchCid: Uint8Array.of(0x01, 0x71, 0x12, 0x20, ...new Uint8Array(32).fill(1)) })
  const listed = listing === "other-digest" ? other : digest
  const entry = { nameHash: hex(built.statement.nameHash), routeHash: hex(rh), receiptRoot: hex(root.hash), support: root.sum.toString(), receiptCount: built.leaves.length, miner: hex(miner) }
  const routes: Record<string, (r: HttpRequest) => HttpResponse> = {
    [`GET /v1/roots/${E}`]: () => ok({ roots: [listing === "no-digest" ? entry : { ...entry, statementHash: hex(listed), signature: hex(sign(minerKey, listed)) }] }),
    [`GET /v1/roots/${E - 1n}`]: () => ok({ roots: [] }),
    [`GET ${base}`]: () =>
      ok({ statement: toJson(AggregateStatementJson, built.statement), signature: hex(sign(minerKey, digest)), statementHash: hex(digest), encoding: hex(encodeAggregate(built.statement)), batchCid: null })
  }
  built.leaves.forEach((leaf, i) => {
    const path = built.proof(i)
    if (tamper && i === 2) path[0] = { ...path[0]!, sum: path[0]!.sum + 1n }
    routes[`GET ${base}/proofs/${i}`] = () =>
      ok({
        index: i,
        size: built.leaves.length,
        leaf: toJson(LeafJson, leaf),
        path: path.map((n) => toJson(SumNodeJson, n)),
        root: toJson(SumNodeJson, root),
        receipt: toJson(SignedReceiptJson, built.receipts[i]!)
      })
  })
  return recorded(routes)
}

describe("the miner target over a recorded exchange", () => {
  it("verifies served proofs with the spec [API-5]", async () => {
    await expect(check(/inclusion proof/).run(auditExchange(false))).resolves.toEqual([expect.stringMatching(/4 proofs verify$/)])
  })

  it("checks that every roots entry names its statement by digest, with the miner's signature [AGG-1]", async () => {
    const digestCheck = check(/by digest/)
    await expect(digestCheck.run(auditExchange(false))).resolves.toEqual([expect.stringMatching(/digest and signature verify$/)])
    // A listing whose digest is not the served statement's (as after a change of batch CID alone) fails.
    await expect(digestCheck.run(auditExchange(false, "other-digest"))).rejects.toThrow(/the served statement hashes to .*\[AGG-1\]/)
    await expect(digestCheck.run(auditExchange(false, "no-digest"))).rejects.toThrow(/no statementHash/)
  })

  it("fails a proof that does not verify, naming MRK-5", async () => {
    const [c] = (await runMinerChecks(auditExchange(true))).filter((x) => x.area === "audit")
    expect(c).toMatchObject({ status: "failed", reason: expect.stringMatching(/proof 2: .*\[MRK-5\]/), rules: ["API-5", "MRK-5"] })
  })

  it("fails an ingest answer with the wrong rule, naming API-2", async () => {
    const t = recorded({
      "POST /v1/receipts": () =>
        ok({ results: [0, 1, 2, 3, 4].map((index) => ({ index, status: "rejected", rule: "RCP-5", message: "no" })), accepted: 0, duplicate: 0, rejected: 5 })
    })
    await expect(check(/a JSON batch/).run(t)).rejects.toThrow(/receipt 0: rejected \[RCP-5\], expected accepted/)
    const r = await runMinerTarget({ transport: t, log: () => undefined })
    expect(r.exitCode).toBe(1)
    expect(r.summary).toMatch(/✗ miner\/ingest\/a JSON batch.*\[API-1, API-2, SIG-1, RCP-5, RCP-3\]/)
  })

  it("parses Server-Sent Events and prints the fixture chain", () => {
    expect(parseSse('id: 3\nevent: route.finalized\ndata: {"a":1}\n\n: keepalive\n\nid: 4\ndata: x\ndata: y\n\n')).toEqual([
      { id: "3", event: "route.finalized", data: '{"a":1}' },
      { id: "4", data: "x\ny" }
    ])
    expect(chainYaml()).toMatch(/^chain:\n {2}mode: dev-fixed\n {2}epoch: 7\n {2}witnesses:\n/)
  })
})

describe("the miner target against the reference miner", () => {
  it("passes the checks a dev-fixed miner can answer", async () => {
    const r = await runMinerTarget({ startReference: true, log: () => undefined })
    const status = Object.fromEntries(r.report.checks.map((c) => [c.name, c.status]))
    const expectPassed = MINER_CHECKS.filter((c) => !/10 000|inclusion proof|by digest|pages resume/.test(c.name)).map((c) => c.name)
    for (const name of expectPassed) expect(status[name], `${name}\n${r.summary}`).toBe("passed")
    // Without aggregates or finalities (dev-fixed chain) these cannot run; they say why.
    expect(r.report.checks.find((c) => c.area === "audit")).toMatchObject({ status: "not-run", reason: expect.stringMatching(/no aggregate/) })
  }, 90_000)
})
