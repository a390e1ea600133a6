/**
 * The reference adapter: the executable spec behind the adapter protocol [CNF-1], [CNF-2] — the
 * suite's default target and the baseline every other implementation is diffed against.
 *
 *   node conformance/adapters/reference.ts [--mutant <name>]
 *
 * It writes its hello, then answers each request line with `runOperation` (spec/src/conformance.ts).
 * A request it cannot parse has no id to answer, so it is logged to stderr and skipped. An exception
 * the spec does not type as a rejection is a bug: the adapter prints it and exits with code 70.
 *
 * `--mutant <name>` (or DOTDNS_MUTANT=<name>) swaps one spec function for a broken one
 * (./mutants.ts) before the spec loads, to show the suite catches that bug.
 */
import { createInterface } from "node:readline"
import { answerLine, helloLine, parseRequest, type Answer } from "../suite/protocol.ts"

const argv = process.argv.slice(2)
const flag = argv.indexOf("--mutant")
const mutantName = flag >= 0 ? argv[flag + 1] : process.env["DOTDNS_MUTANT"] || undefined
if (flag >= 0 && mutantName === undefined) {
  process.stderr.write("reference adapter: --mutant needs a name\n")
  process.exit(64)
}

let loaded = (): boolean => true
if (mutantName !== undefined) {
  const { installMutant } = await import("./mutants.ts")
  loaded = installMutant(mutantName).loaded
}

// The spec is imported only now, so that a mutant's load hook sees it.
const { OPERATION_NAMES, runOperation } = await import("../../spec/src/conformance.ts")
const { SPEC_VERSION } = await import("../../spec/src/version.ts")
if (!loaded()) {
  process.stderr.write(`reference adapter: mutant ${mutantName} patches a module the spec no longer loads\n`)
  process.exit(64)
}

const write = (line: string): void => {
  process.stdout.write(`${line}\n`)
}

write(
  helloLine({
    spec: SPEC_VERSION,
    implementation: `dotdns executable spec (TypeScript) ${SPEC_VERSION}${mutantName !== undefined ? `, mutant ${mutantName}` : ""}`,
    ops: OPERATION_NAMES
  })
)

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })
for await (const line of lines) {
  if (line.trim() === "") continue
  let request: ReturnType<typeof parseRequest>
  try {
    request = parseRequest(line)
  } catch (e) {
    process.stderr.write(`reference adapter: ${(e as Error).message}\n`)
    continue
  }
  let answer: Answer
  try {
    answer = runOperation(request.op, request.input)
  } catch (e) {
    process.stderr.write(`reference adapter: request ${request.id} (${request.op}) threw, which is a bug in the spec:\n${(e as Error).stack ?? String(e)}\n`)
    process.exit(70)
  }
  write(answerLine(request.id, answer))
}
