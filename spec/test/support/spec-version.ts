import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

/** The line of the program's generated header that states its spec version. */
export const DOTDNS_SPEC_VERSION_TEXT = (): string =>
  readFileSync(fileURLToPath(new URL("../../../programs/dotdns/src/generated/spec.h", import.meta.url)), "utf8")
    .split("\n")
    .find((l) => l.startsWith("#define DOTDNS_SPEC_VERSION")) ?? ""
