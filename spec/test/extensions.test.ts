import { describe, expect, it } from "vitest"
import { ACCOUNTS, NameLayout } from "../src/accounts.ts"
import { SPEC_VERSION } from "../src/version.ts"
import { DOTDNS_SPEC_VERSION_TEXT } from "./support/spec-version.ts"

describe("draft extensions and versioning reserve their room", () => {
  it("the Name account reserves 128 zero bytes for dyndns_hint [EXT-1]", () => {
    expect(NameLayout.fields.hint.size).toBe(128)
    expect(NameLayout.size - NameLayout.offsets.hint).toBe(128)
  })
  it("no v1 account uses seeds in the namespace reserved for cache snapshots [EXT-2]", () => {
    for (const { seeds } of Object.values(ACCOUNTS)) expect(seeds.startsWith('"snapshot')).toBe(false)
  })
  it("the program states the spec version it implements [VER-1]", () => {
    expect(DOTDNS_SPEC_VERSION_TEXT()).toContain(`"${SPEC_VERSION}"`)
  })
})
