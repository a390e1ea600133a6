/**
 * The built-in strategies, and loading a researcher's own module. `dotdns sim list` prints this table.
 */
import { pathToFileURL } from "node:url"
import type { AdversarySpec } from "../scenario/Scenario.ts"
import censor from "./censor.ts"
import coalition from "./coalition.ts"
import equivocator from "./equivocator.ts"
import forger from "./forger.ts"
import governance from "./governance.ts"
import grinder from "./grinder.ts"
import late from "./late.ts"
import { duplicator, inflator, mismatcher } from "./leaf-fraud.ts"
import type { Strategy, StrategyFactory } from "./Strategy.ts"
import withholder from "./withholder.ts"

export const BUILTIN: Readonly<Record<string, StrategyFactory>> = {
  equivocator,
  inflator,
  duplicator,
  mismatcher,
  withholder,
  censor,
  coalition,
  late,
  governance,
  grinder,
  forger
}

const isStrategy = (x: unknown): x is Strategy => typeof x === "object" && x !== null && typeof (x as { description?: unknown }).description === "string"

/** The strategy of an adversary entry: a built-in by name, or the default export of its module. */
export const loadStrategy = async (spec: AdversarySpec): Promise<Strategy> => {
  if (spec.strategy !== undefined) {
    const factory = BUILTIN[spec.strategy]
    if (factory === undefined) throw new Error(`adversary ${spec.id}: no built-in strategy "${spec.strategy}" (built-ins: ${Object.keys(BUILTIN).join(", ")})`)
    return factory(spec.options)
  }
  const mod: unknown = await import(pathToFileURL(spec.module!).href)
  const exported = (mod as { default?: unknown }).default
  const strategy = typeof exported === "function" ? (exported as StrategyFactory)(spec.options) : exported
  if (!isStrategy(strategy)) throw new Error(`adversary ${spec.id}: ${spec.module} must export by default a Strategy or a function (options) => Strategy`)
  return strategy
}

/** One line per built-in strategy, for `dotdns sim list`. */
export const describeBuiltins = (): { name: string; description: string }[] =>
  Object.entries(BUILTIN).map(([name, f]) => ({ name, description: f({ names: ["x.dns"] }).description }))
