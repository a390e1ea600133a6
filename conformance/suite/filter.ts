/**
 * `--only`: a comma-separated list of parts (`vectors`, `properties`, `machines`), areas (`encoding`,
 * `merkle`, …, `transition`), operations (`verify_inclusion`) or property names (`apply/quorum`). A
 * check runs when it matches one token of every kind given: `--only merkle,properties` is the merkle
 * properties; `--only hashing,names` both areas in every part.
 */
import { OPERATION_NAMES } from "../../spec/src/conformance.ts"
import { AREAS } from "../../spec/test/vectors/case.ts"

export const PARTS = ["vectors", "properties", "machines"] as const
export type Part = (typeof PARTS)[number]
export { AREAS }
export type Area = (typeof AREAS)[number]

export interface Filter {
  /** The tokens as given, for the report. */
  readonly tokens: readonly string[]
  readonly parts: ReadonlySet<string>
  readonly areas: ReadonlySet<string>
  readonly names: ReadonlySet<string>
}

export const NO_FILTER: Filter = { tokens: [], parts: new Set(), areas: new Set(), names: new Set() }

export class FilterError extends Error {
  override readonly name = "FilterError"
}

/** Parses `--only` values; `propertyNames` are the names a token may also be. */
export const parseOnly = (values: readonly string[], propertyNames: readonly string[]): Filter => {
  const tokens = values.flatMap((v) => v.split(",")).map((t) => t.trim()).filter((t) => t !== "")
  const parts = new Set<string>()
  const areas = new Set<string>()
  const names = new Set<string>()
  for (const t of tokens) {
    if ((PARTS as readonly string[]).includes(t)) parts.add(t)
    else if ((AREAS as readonly string[]).includes(t)) areas.add(t)
    else if ((OPERATION_NAMES as readonly string[]).includes(t) || propertyNames.includes(t)) names.add(t)
    else
      throw new FilterError(
        `--only: "${t}" is not a part (${PARTS.join(", ")}), an area (${AREAS.join(", ")}), an operation or a property name`
      )
  }
  return { tokens, parts, areas, names }
}

export const isFiltered = (f: Filter): boolean => f.tokens.length > 0

/** Whether a check of `part`, `area`, for operation `op` (and property `name`) runs under the filter. */
export const selects = (f: Filter, part: Part, area: string, op: string, name?: string): boolean =>
  (f.parts.size === 0 || f.parts.has(part)) &&
  (f.areas.size === 0 || f.areas.has(area)) &&
  (f.names.size === 0 || f.names.has(op) || (name !== undefined && f.names.has(name)))
