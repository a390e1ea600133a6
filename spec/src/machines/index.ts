/**
 * The protocol's lifecycles as xstate machines, with the projections and event mapping that tie them
 * to `apply`. Model-based traces (`./paths.ts`) are exported separately: they drive the World.
 */
export * from "./common.ts"
export * from "./round.ts"
export * from "./challenge.ts"
export * from "./proposal.ts"
export * from "./miner.ts"
export * from "./project.ts"
export * from "./events.ts"
export * from "./consistency.ts"
export * from "./mermaid.ts"
