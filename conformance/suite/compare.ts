/**
 * Judging one answer against the expected one. Outputs are equal when their canonical JSON is;
 * rejections are equal when they name the same rule (messages are free text) [CNF-2]. A difference is
 * described for a human: the JSON paths that differ, and for `apply` the first step on which the two
 * disagree and the accounts of the final state that differ, decoded field by field.
 */
import { ACCOUNTS, type AccountKind } from "../../spec/src/accounts.ts"
import { decodeAccount, toJsonValue } from "../../spec/src/json.ts"
import type { Reply } from "./adapter.ts"
import { canonical, type Answer } from "./protocol.ts"

/** What a correct implementation answers: an output, or a rejection by rule (the message is not compared). */
export type Expected = { readonly output: unknown } | { readonly error: { readonly rule: string; readonly message?: string } }

/** How two answers differ. `rules` are the rule ids the difference is about (rejections on either side). */
export interface Difference {
  readonly summary: string
  readonly details: readonly string[]
  readonly rules: readonly string[]
}

export type Verdict =
  | { readonly kind: "pass" }
  | { readonly kind: "fail"; readonly difference: Difference }
  /** The adapter declined a request it listed: it answered CNF-2 where the spec answers. Not run, never passed. */
  | { readonly kind: "declined"; readonly message: string }

const MAX_PATHS = 8

const short = (v: unknown): string => {
  const t = JSON.stringify(v) ?? "undefined"
  return t.length > 96 ? `${t.slice(0, 96)}… (${t.length} chars)` : t
}

/** Up to `max` JSON paths where `a` and `b` differ, each with both values. */
export const jsonPaths = (a: unknown, b: unknown, path = "$", out: string[] = [], max = MAX_PATHS): string[] => {
  if (out.length >= max) return out
  if (canonical(a) === canonical(b)) return out
  const obj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) out.push(`${path}: ${a.length} items expected, ${b.length} given`)
    for (let i = 0; i < Math.min(a.length, b.length) && out.length < max; i++) jsonPaths(a[i], b[i], `${path}[${i}]`, out, max)
    return out
  }
  if (obj(a) && obj(b)) {
    for (const k of Object.keys(a)) if (!(k in b) && out.length < max) out.push(`${path}.${k}: missing (expected ${short(a[k])})`)
    for (const k of Object.keys(b)) if (!(k in a) && out.length < max) out.push(`${path}.${k}: unexpected field (${short(b[k])})`)
    for (const k of Object.keys(a)) if (k in b) jsonPaths(a[k], b[k], `${path}.${k}`, out, max)
    return out
  }
  out.push(`${path}: expected ${short(a)}, got ${short(b)}`)
  return out
}

// ------------------------------------------------------------------------------------------------ apply

interface StepJson {
  readonly post_root?: string
  readonly error?: { readonly rule: string }
}
interface StateLike {
  readonly accounts?: Record<string, string>
  readonly vaultBalance?: string
  readonly wallets?: Record<string, string>
}
interface ApplyInput {
  readonly steps?: readonly { readonly slot?: string; readonly op?: { readonly kind?: string } }[]
}

const stepText = (s: StepJson | undefined): string =>
  s === undefined ? "nothing" : s.error !== undefined ? `rejects [${s.error.rule}]` : s.post_root !== undefined ? `accepts (post_root ${s.post_root.slice(0, 16)}…)` : short(s)

const kindOf = (key: string): string => (key.includes("/") ? key.slice(0, key.indexOf("/")) : key)

/** The fields of one account that differ, decoded by its layout; raw bytes when it does not decode. */
export const accountFields = (key: string, expected: string, got: string): string[] => {
  const kind = kindOf(key)
  if (!Object.hasOwn(ACCOUNTS, kind)) return [`${key}: bytes differ`]
  const decode = (h: string): unknown => {
    try {
      return toJsonValue(decodeAccount(kind as AccountKind, new Uint8Array(Buffer.from(h, "hex"))))
    } catch (e) {
      return `<does not decode: ${(e as Error).message}>`
    }
  }
  return jsonPaths(decode(expected), decode(got), key, [], 6).map((p) => p.replace(/^([^:]*): expected/, "$1: spec").replace(/, got /, ", implementation "))
}

/** Differences between two `StateJson` values, account by account. */
export const stateDiff = (expected: StateLike | null | undefined, got: StateLike | null | undefined): string[] => {
  const out: string[] = []
  const ea = expected?.accounts ?? {}
  const ga = got?.accounts ?? {}
  for (const k of Object.keys(ea).sort()) {
    if (!(k in ga)) out.push(`account ${k}: held by the spec, missing from the implementation`)
    else if (ea[k] !== ga[k]) out.push(...accountFields(k, ea[k]!, ga[k]!))
  }
  for (const k of Object.keys(ga).sort()) if (!(k in ea)) out.push(`account ${k}: held by the implementation, not by the spec`)
  if (expected?.vaultBalance !== got?.vaultBalance) out.push(`vaultBalance: spec ${expected?.vaultBalance}, implementation ${got?.vaultBalance}`)
  const ew = expected?.wallets ?? {}
  const gw = got?.wallets ?? {}
  for (const k of new Set([...Object.keys(ew), ...Object.keys(gw)]))
    if (ew[k] !== gw[k]) out.push(`wallet ${k.slice(0, 16)}…: spec ${ew[k] ?? "0"}, implementation ${gw[k] ?? "0"}`)
  return out
}

/** `apply` outputs compared step by step (post_root or rule per step), then the final state. */
const applyDifference = (input: unknown, expected: unknown, got: unknown): Difference => {
  const steps = (input as ApplyInput).steps ?? []
  const e = expected as { steps?: StepJson[]; post?: StateLike }
  const g = got as { steps?: StepJson[]; post?: StateLike }
  if (!Array.isArray(g.steps)) return { summary: "the output has no steps array", details: jsonPaths(expected, got), rules: [] }
  const details: string[] = []
  const rules = new Set<string>()
  const es = e.steps ?? []
  const differing = es.map((s, i) => i).filter((i) => canonical(es[i]) !== canonical(g.steps![i]))
  let summary = ""
  if (g.steps.length !== es.length) details.push(`${es.length} step results expected, ${g.steps.length} given`)
  if (differing.length > 0) {
    const i = differing[0]!
    const at = steps[i]
    const what = `step ${i} (${at?.op?.kind ?? "?"} at slot ${at?.slot ?? "?"})`
    const both = es[i]?.post_root !== undefined && g.steps[i]?.post_root !== undefined
    summary = both
      ? `${what}: both accept, but the states differ (post_root spec ${es[i]!.post_root!.slice(0, 16)}…, implementation ${g.steps[i]!.post_root!.slice(0, 16)}…)`
      : `${what}: the spec ${stepText(es[i])}, the implementation ${stepText(g.steps[i])}`
    for (const s of [es[i], g.steps[i]]) if (s?.error?.rule !== undefined) rules.add(s.error.rule)
    if (differing.length > 1) details.push(`${differing.length} of ${es.length} steps differ: ${differing.slice(0, 12).join(", ")}${differing.length > 12 ? ", …" : ""}`)
  }
  const post = canonical(e.post) === canonical(g.post) ? [] : stateDiff(e.post, g.post)
  if (post.length > 0) {
    if (summary === "") summary = "every step agrees, the final state differs"
    details.push("final state:", ...post.slice(0, 12).map((l) => `  ${l}`), ...(post.length > 12 ? [`  … ${post.length - 12} more`] : []))
  }
  if (summary === "") summary = "the outputs differ"
  return { summary, details, rules: [...rules] }
}

// ------------------------------------------------------------------------------------------------ judge

/** Judges an adapter's reply to `op(input)` against what a correct implementation answers. */
export const judge = (op: string, input: unknown, expected: Expected, reply: Reply): Verdict => {
  if (reply.kind !== "answer") return { kind: "fail", difference: { summary: reply.message.split("\n")[0]!, details: reply.message.split("\n").slice(1), rules: [] } }
  const got: Answer = reply.answer
  if ("error" in expected) {
    if ("error" in got) {
      if (got.error.rule === expected.error.rule) return { kind: "pass" }
      if (got.error.rule === "CNF-2") return { kind: "declined", message: got.error.message }
      return {
        kind: "fail",
        difference: {
          summary: `the spec rejects with [${expected.error.rule}], the implementation with [${got.error.rule}]`,
          details: [...(expected.error.message !== undefined ? [`spec: ${expected.error.message}`] : []), `implementation: ${got.error.message}`],
          rules: [expected.error.rule, got.error.rule]
        }
      }
    }
    return {
      kind: "fail",
      difference: {
        summary: `the spec rejects with [${expected.error.rule}], the implementation accepts`,
        details: [...(expected.error.message !== undefined ? [`spec: ${expected.error.message}`] : []), `implementation output: ${short(got.output)}`],
        rules: [expected.error.rule]
      }
    }
  }
  if ("error" in got) {
    if (got.error.rule === "CNF-2") return { kind: "declined", message: got.error.message }
    return {
      kind: "fail",
      difference: {
        summary: `the spec accepts, the implementation rejects with [${got.error.rule}]`,
        details: [`implementation: ${got.error.message}`, `spec output: ${short(expected.output)}`],
        rules: [got.error.rule]
      }
    }
  }
  if (canonical(expected.output) === canonical(got.output)) return { kind: "pass" }
  if (op === "apply") return { kind: "fail", difference: applyDifference(input, expected.output, got.output) }
  const paths = jsonPaths(expected.output, got.output)
  return { kind: "fail", difference: { summary: `the outputs differ at ${paths[0] ?? "$"}`, details: paths.slice(1), rules: [] } }
}
