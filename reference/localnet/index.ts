/** Public surface of the localnet. */
export { startLocalnet, type Localnet, type LocalnetOptions, type ProgramSpec } from "./localnet.ts"
export { runLocalnetCli, parseLocalnetArgs, LOCALNET_USAGE } from "./cli.ts"
export { LocalChain, type AccountState, type SendOutcome, type Simulation } from "./chain.ts"
export type { TransactionRecord } from "./history.ts"
