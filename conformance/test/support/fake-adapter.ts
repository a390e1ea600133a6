/**
 * Adapters that misbehave on purpose, for the protocol tests:
 *
 *   node fake-adapter.ts ok:<op,op,…>        offers those ops, answers with the executable spec
 *   node fake-adapter.ts hang-on:<op>         never answers <op> (all ops offered)
 *   node fake-adapter.ts crash-on:<op>        exits with code 9 on <op>
 *   node fake-adapter.ts garbage-on:<op>      answers <op> with a line that is not JSON
 *   node fake-adapter.ts reverse              answers every two requests in reverse order
 *   node fake-adapter.ts no-hello             exits with code 3 before its hello
 *   node fake-adapter.ts bad-hello            a hello without implementation and ops
 *   node fake-adapter.ts silent               never writes anything
 *   node fake-adapter.ts spec:<version>       states another spec version
 */
import { createInterface } from "node:readline"
import { OPERATION_NAMES, runOperation } from "../../../spec/src/conformance.ts"

const [mode = "ok", arg = ""] = (process.argv[2] ?? "ok").split(":")
const write = (v: unknown) => process.stdout.write(`${JSON.stringify(v)}\n`)

if (mode === "no-hello") {
  process.stderr.write("boom: no hello today\n")
  process.exit(3)
}
if (mode === "silent") await new Promise(() => setTimeout(() => undefined, 60_000))
if (mode === "bad-hello") write({ hello: { spec: "1.0.0" } })
else
  write({
    hello: {
      spec: mode === "spec" ? arg : "1.0.0",
      implementation: `fake adapter (${process.argv[2] ?? "ok"})`,
      ops: mode === "ok" ? arg.split(",").filter((o) => o !== "") : OPERATION_NAMES
    }
  })

const held: { id: number; op: string; input: unknown }[] = []
for await (const line of createInterface({ input: process.stdin })) {
  const req = JSON.parse(line) as { id: number; op: string; input: unknown }
  if (mode === "hang-on" && req.op === arg) continue
  if (mode === "crash-on" && req.op === arg) {
    process.stderr.write(`crashing on purpose at request ${req.id}\n`)
    process.exit(9)
  }
  if (mode === "garbage-on" && req.op === arg) {
    process.stdout.write("this is not json\n")
    continue
  }
  if (mode === "reverse") {
    held.push(req)
    if (held.length < 2) continue
    for (const r of held.reverse()) write({ id: r.id, ...runOperation(r.op, r.input) })
    held.length = 0
    continue
  }
  write({ id: req.id, ...runOperation(req.op, req.input) })
}
