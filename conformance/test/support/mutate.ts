/**
 * `node --import ./conformance/test/support/mutate.ts …`: installs the mutant named by DOTDNS_MUTANT
 * in this process before anything loads the spec. The program target's test uses it to show that a
 * spec/program disagreement is found and reported; the suite itself never mutates its own spec.
 */
import { installMutant } from "../../adapters/mutants.ts"

const name = process.env["DOTDNS_MUTANT"]
if (name !== undefined && name !== "") installMutant(name)
