/**
 * The adapter protocol of spec/v1/16-conformance.md [CNF-1], [CNF-2], as data: the `hello` line, the
 * requests the suite writes and the answers it reads, each line parsed strictly. Shared by the suite
 * (which reads answers) and the reference adapter (which reads requests). Canonical JSON — object keys
 * sorted, no whitespace — is how two outputs are compared.
 */

/** The first line an adapter writes [CNF-1]. */
export interface Hello {
  /** The spec version the implementation states [VER-1], e.g. "1.0.0". */
  readonly spec: string
  /** Free text naming the implementation and its version. */
  readonly implementation: string
  /** The operations it answers. */
  readonly ops: readonly string[]
}

export interface Request {
  readonly id: number
  readonly op: string
  readonly input: unknown
}

/** A rejection: the rule broken and a free-text message. */
export interface Rejection {
  readonly rule: string
  readonly message: string
}

/** What an adapter answers to one request [CNF-2]. */
export type Answer = { readonly output: unknown } | { readonly error: Rejection }

export const isRejection = (a: Answer): a is { readonly error: Rejection } => "error" in a

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const only = (o: Record<string, unknown>, keys: readonly string[]): string | undefined => {
  const extra = Object.keys(o).filter((k) => !keys.includes(k))
  return extra.length === 0 ? undefined : `unexpected field ${JSON.stringify(extra[0])}`
}

/** A line that is not what the protocol allows at that point. */
export class ProtocolViolation extends Error {
  override readonly name = "ProtocolViolation"
}

const parseLine = (line: string, what: string): unknown => {
  try {
    return JSON.parse(line)
  } catch {
    throw new ProtocolViolation(`${what} is not JSON: ${preview(line)}`)
  }
}

export const preview = (s: string, max = 160): string => (s.length > max ? `${JSON.stringify(s.slice(0, max))}… (${s.length} chars)` : JSON.stringify(s))

// #region hello
/** Parses the adapter's first line: `{"hello": {"spec", "implementation", "ops"}}`, nothing else. */
export const parseHello = (line: string): Hello => {
  const u = parseLine(line, "the hello line")
  if (!isObject(u) || !isObject(u["hello"]) || only(u, ["hello"]) !== undefined)
    throw new ProtocolViolation(`the first line must be {"hello": {...}}, got ${preview(line)}`)
  const h = u["hello"]
  const extra = only(h, ["spec", "implementation", "ops"])
  if (extra !== undefined) throw new ProtocolViolation(`hello: ${extra}`)
  if (typeof h["spec"] !== "string" || !/^\d+\.\d+\.\d+$/.test(h["spec"])) throw new ProtocolViolation(`hello.spec must be a version "MAJOR.MINOR.PATCH", got ${JSON.stringify(h["spec"])}`)
  if (typeof h["implementation"] !== "string" || h["implementation"].length === 0)
    throw new ProtocolViolation("hello.implementation must be a non-empty string naming the implementation")
  const ops = h["ops"]
  if (!Array.isArray(ops) || !ops.every((o): o is string => typeof o === "string")) throw new ProtocolViolation("hello.ops must be an array of operation names")
  if (new Set(ops).size !== ops.length) throw new ProtocolViolation("hello.ops names an operation twice")
  return { spec: h["spec"], implementation: h["implementation"], ops }
}
// #endregion hello

/** Parses one answer line: `{"id", "output"}` or `{"id", "error": {"rule", "message"}}`. */
export const parseAnswer = (line: string): { readonly id: number; readonly answer: Answer } => {
  const u = parseLine(line, "an answer")
  if (!isObject(u)) throw new ProtocolViolation(`an answer must be a JSON object, got ${preview(line)}`)
  const id = u["id"]
  if (typeof id !== "number" || !Number.isSafeInteger(id)) throw new ProtocolViolation(`an answer needs the numeric id of its request, got ${preview(line)}`)
  if ("output" in u) {
    const extra = only(u, ["id", "output"])
    if (extra !== undefined) throw new ProtocolViolation(`answer ${id}: ${extra}`)
    if (!isObject(u["output"])) throw new ProtocolViolation(`answer ${id}: output must be a JSON object`)
    return { id, answer: { output: u["output"] } }
  }
  if ("error" in u) {
    const extra = only(u, ["id", "error"])
    if (extra !== undefined) throw new ProtocolViolation(`answer ${id}: ${extra}`)
    const e = u["error"]
    if (!isObject(e) || typeof e["rule"] !== "string" || typeof e["message"] !== "string" || only(e, ["rule", "message"]) !== undefined)
      throw new ProtocolViolation(`answer ${id}: error must be {"rule": string, "message": string}`)
    return { id, answer: { error: { rule: e["rule"], message: e["message"] } } }
  }
  throw new ProtocolViolation(`answer ${id} has neither output nor error`)
}

/** Parses one request line (the adapter's side). */
export const parseRequest = (line: string): Request => {
  const u = parseLine(line, "a request")
  if (!isObject(u) || typeof u["id"] !== "number" || typeof u["op"] !== "string" || !("input" in u))
    throw new ProtocolViolation(`a request is {"id": number, "op": string, "input": {...}}, got ${preview(line)}`)
  return { id: u["id"], op: u["op"], input: u["input"] }
}

export const helloLine = (h: Hello): string => JSON.stringify({ hello: h })
export const requestLine = (r: Request): string => JSON.stringify(r)
export const answerLine = (id: number, a: Answer): string => JSON.stringify({ id, ...a })

// #region canonical-json
/**
 * Canonical JSON: object keys sorted by UTF-16 code units, no whitespace. Two outputs are equal when
 * their canonical forms are — key order and formatting are free, values are not.
 */
export const canonical = (v: unknown): string => {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`
  if (isObject(v))
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(",")}}`
  return JSON.stringify(v) ?? "null"
}
// #endregion canonical-json

/** Whether the version an adapter states can run against vectors of `suite` (same major, not newer). */
export const versionCompatible = (stated: string, suite: string): boolean => {
  const a = stated.split(".").map(Number)
  const b = suite.split(".").map(Number)
  if (a[0] !== b[0]) return false
  for (let i = 1; i < 3; i++) if (a[i]! !== b[i]!) return a[i]! < b[i]!
  return true
}

/** `a ≤ b` for two versions of one major. */
export const versionAtMost = (a: string, b: string): boolean => versionCompatible(a, b)
