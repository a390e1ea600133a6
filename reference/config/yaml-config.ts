/**
 * What the miner's and the client's config loaders share: YAML with line positions, `DOTDNS_<APP>_*`
 * environment overrides laid over the file, and one Schema decode whose first failure names the field,
 * the line it came from, or the variable that set it.
 */
import { Data, Schema, SchemaIssue } from "effect"
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from "yaml"
import { fromBase58 } from "../../programs/client/base58.ts"

export class ConfigError extends Data.TaggedError("ConfigError")<{
  /** The file path, "environment" or "defaults". */
  readonly source: string
  /** Dotted path of the offending field, e.g. `http.port`. */
  readonly field?: string
  /** 1-based line in the file, when the value came from the file. */
  readonly line?: number
  readonly message: string
}> {
  override toString(): string {
    const where = this.line === undefined ? this.source : `${this.source}:${this.line}`
    return this.field === undefined ? `${where}: ${this.message}` : `${where}: ${this.field}: ${this.message}`
  }
}

export type EnvKind = "string" | "int" | "number" | "list" | "bool"
export type EnvOverrides = Readonly<Record<string, { readonly path: readonly string[]; readonly kind: EnvKind }>>
export type Env = Readonly<Record<string, string | undefined>>
export type LineOf = (path: readonly PropertyKey[]) => number | undefined

export const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** A 32-byte key from base58 or 64 lowercase hex digits. */
export const parseKey = (s: string): Uint8Array | undefined => {
  if (/^[0-9a-f]{64}$/.test(s)) return new Uint8Array(Buffer.from(s, "hex"))
  if (!/^[1-9A-HJ-NP-Za-km-z]{32,44}$/.test(s)) return undefined
  try {
    const b = fromBase58(s)
    return b.length === 32 ? b : undefined
  } catch {
    return undefined
  }
}

/** A variable's text as the field's type; text that is not one is passed on for the Schema to reject. */
const envValue = (raw: string, kind: EnvKind): unknown => {
  const t = raw.trim()
  switch (kind) {
    case "string":
      return t
    case "int":
      return /^-?[0-9]+$/.test(t) ? Number(t) : t
    case "number":
      return t !== "" && Number.isFinite(Number(t)) ? Number(t) : t
    case "bool":
      return t === "1" || t === "true" ? true : t === "0" || t === "false" ? false : t
    case "list":
      return t.split(",").map((s) => s.trim()).filter((s) => s.length > 0)
  }
}

const setIn = (obj: Record<string, unknown>, path: readonly string[], value: unknown): void => {
  let cur = obj
  for (const k of path.slice(0, -1)) {
    const next = cur[k]
    const child = isRecord(next) ? next : {}
    cur[k] = child
    cur = child
  }
  cur[path[path.length - 1]!] = value
}

/** The line of the deepest YAML node on `path` that exists (a missing key reports its parent). */
const lineIn = (doc: Document, counter: LineCounter, path: readonly PropertyKey[]): number | undefined => {
  const lineAt = (n: unknown): number | undefined => {
    const range = (n as YamlNode | null | undefined)?.range
    return range ? counter.linePos(range[0]).line : undefined
  }
  let node: unknown = doc.contents
  let line = lineAt(node)
  for (const k of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === k)
      if (pair === undefined) break
      line = lineAt(pair.key) ?? line
      node = pair.value
      line = lineAt(node) ?? line
    } else if (isSeq(node) && typeof k === "number") {
      node = node.items[k]
      const at = lineAt(node)
      if (at === undefined) break
      line = at
    } else break
  }
  return line
}

/** YAML text as a plain value and a locator of its lines, or the first YAML error. */
export const parseYaml = (text: string, source: string): { readonly value: unknown; readonly lineOf: LineOf } | ConfigError => {
  const counter = new LineCounter()
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true })
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!
    return new ConfigError({ source, line: counter.linePos(e.pos[0]).line, message: `YAML: ${e.message.split("\n")[0]}` })
  }
  return { value: doc.toJS(), lineOf: (path) => lineIn(doc, counter, path) }
}

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

export interface DecodeOptions {
  readonly source: string
  readonly env: Env
  /** e.g. `DOTDNS_MINER_`: a variable with the prefix that names no override is an error. */
  readonly prefix: string
  readonly overrides: EnvOverrides
  readonly lineOf?: LineOf
}

/** Lays the overrides over `raw` (never mutated) and decodes it; the first failure located. */
export const decodeConfig = <S extends Schema.Top & { readonly DecodingServices: never }>(
  schema: S,
  raw: unknown,
  o: DecodeOptions
): { readonly ok: true; readonly value: S["Type"] } | { readonly ok: false; readonly error: ConfigError } => {
  const value: unknown = raw === null || raw === undefined ? {} : structuredClone(raw)
  if (!isRecord(value)) return { ok: false, error: new ConfigError({ source: o.source, line: 1, message: "the config file must be a YAML mapping" }) }
  const fromEnv = new Map<string, string>()
  for (const [name, v] of Object.entries(o.env)) {
    if (!name.startsWith(o.prefix) || v === undefined) continue
    const override = o.overrides[name]
    if (override === undefined)
      return { ok: false, error: new ConfigError({ source: "environment", field: name, message: `unknown override; known: ${Object.keys(o.overrides).join(", ")}` }) }
    setIn(value, override.path, envValue(v, override.kind))
    fromEnv.set(override.path.join("."), name)
  }
  const decoded = Schema.decodeUnknownResult(schema)(value, { errors: "all", onExcessProperty: "error" })
  if (decoded._tag === "Success") return { ok: true, value: decoded.success }
  const issue = formatter(decoded.failure.issue).issues[0]
  const path = (issue?.path ?? []).map((p) => (typeof p === "object" && p !== null && "key" in p ? (p as { key: PropertyKey }).key : p)) as PropertyKey[]
  const field = path.map(String).join(".")
  const envName = [...fromEnv.entries()].find(([p]) => field === p || field.startsWith(`${p}.`))?.[1]
  const message = issue?.message ?? decoded.failure.message
  if (envName !== undefined) return { ok: false, error: new ConfigError({ source: "environment", field: `${field} (from ${envName})`, message }) }
  const line = o.lineOf?.(path)
  return { ok: false, error: new ConfigError({ source: o.source, ...(field ? { field } : {}), ...(line !== undefined ? { line } : {}), message }) }
}
