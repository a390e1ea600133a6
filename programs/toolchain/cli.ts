// Command line: node programs/toolchain/cli.ts -o program.so a.o b.o [--entry name]

import { readFileSync, writeFileSync } from "node:fs"
import { basename } from "node:path"
import { parseArgs } from "node:util"
import { LinkError } from "./errors.ts"
import { link } from "./link.ts"

const usage = "usage: node programs/toolchain/cli.ts -o <out.so> [--entry <symbol>] <object.o>..."

const main = (argv: readonly string[]): number => {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: { output: { type: "string", short: "o" }, entry: { type: "string" }, help: { type: "boolean", short: "h" } },
    allowPositionals: true,
  })
  if (values.help === true) {
    console.log(usage)
    return 0
  }
  if (values.output === undefined || positionals.length === 0) {
    console.error(usage)
    return 2
  }
  try {
    const inputs = positionals.map((path) => ({ name: basename(path), bytes: new Uint8Array(readFileSync(path)) }))
    const result = link(inputs, values.entry === undefined ? {} : { entrypoint: values.entry })
    writeFileSync(values.output, result.bytes)
    console.log(
      `${values.output}: ${result.bytes.length} bytes (.text ${result.textSize}, .rodata ${result.rodataSize}); syscalls: ${result.syscalls.join(", ") || "none"}`
    )
    return 0
  } catch (error) {
    if (error instanceof LinkError) {
      console.error(`sbf-link: error: ${error.message}`)
      return 1
    }
    throw error
  }
}

process.exitCode = main(process.argv.slice(2))
