/** Name normalization [NAM] and route record checks [RTE]. */
import { RouteRecordJson, toJson } from "../../src/json.ts"
import { RECORD_TYPE, type RouteRecord } from "../../src/objects.ts"
import type { RuleId } from "../../src/rules.ts"
import { Cases } from "./case.ts"
import { sampleRoutes } from "./encoding.ts"

export const namesCases = (): Cases => {
  const c = new Cases("names")
  const ok: [string, string, string][] = [
    ["plain", "hello.dns", "already normal"],
    ["uppercase", "Hello.DNS", "ASCII is lowercased"],
    ["trailing-dot", "hello.dns.", "one trailing dot is dropped"],
    ["subdomain", "api.v2.hello.dns", "several labels"],
    ["digits-hyphens", "a-1.b--c.dns", "digits and inner hyphens"],
    ["idna-latin", "münchen.dns", "IDNA to an A-label"],
    ["idna-uppercase", "MÜNCHEN.DNS", "IDNA with uppercase maps to the same A-label"],
    ["idna-cjk", "例え.dns", "CJK to an A-label"],
    ["idna-fullwidth", "Ｈello.dns", "a fullwidth letter maps to ASCII (UTS #46)"],
    ["idna-soft-hyphen", "hel\u00adlo.dns", "a soft hyphen is ignored (UTS #46)"],
    ["a-label-input", "xn--mnchen-3ya.dns", "an A-label stays as it is"],
    ["label-63", `${"a".repeat(63)}.dns`, "a 63-byte label"],
    ["name-253", `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(57)}.dns`, "a 253-byte name"]
  ]
  for (const [name, input, d] of ok) c.ok(`normalize_name-${name}`, "normalize_name", ["NAM-1", "NAM-6"], d, { input })
  const bad: [string, string, RuleId, string][] = [
    ["empty", "", "NAM-2", "the empty name"],
    ["only-dot", ".", "NAM-2", "a lone dot is empty after the trailing dot"],
    ["name-254", `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(58)}.dns`, "NAM-2", "a 254-byte name"],
    ["label-64", `${"a".repeat(64)}.dns`, "NAM-3", "a 64-byte label"],
    ["empty-label", "a..dns", "NAM-3", "an empty label"],
    ["leading-dot", ".a.dns", "NAM-3", "an empty first label"],
    ["two-trailing-dots", "hello.dns..", "NAM-4", "only one trailing dot is dropped, so the last label is empty, not dns"],
    ["wrong-tld", "hello.com", "NAM-4", "not under .dns"],
    ["bare-tld", "dns", "NAM-4", "the TLD alone"],
    ["tld-in-middle", "dns.hello", "NAM-4", ".dns not last"],
    ["underscore", "hel_lo.dns", "NAM-5", "an underscore"],
    ["leading-hyphen", "-hello.dns", "NAM-5", "a label starting with a hyphen"],
    ["trailing-hyphen", "hello-.dns", "NAM-5", "a label ending with a hyphen"],
    ["percent", "a%b.dns", "NAM-5", "a character outside LDH"],
    ["space", "hello world.dns", "NAM-1", "a space is not valid IDNA"],
    ["zero-width-joiner", "ab\u200d.dns", "NAM-1", "a ZWJ outside a permitted context"],
    ["replacement-char", "a\ufffdb.dns", "NAM-1", "U+FFFD is disallowed"],
    ["control", "\u0080.dns", "NAM-1", "a C1 control character"]
  ]
  for (const [name, input, rule, d] of bad) c.fail(`normalize_name-${name}`, "normalize_name", rule, d, { input })
  return c
}

export const routesCases = (): Cases => {
  const c = new Cases("routes")
  const routes = sampleRoutes()
  const rec = (r: RouteRecord) => toJson(RouteRecordJson, r)
  for (const [name, r] of Object.entries(routes)) c.ok(`check_route_record-${name}`, "check_route_record", ["RTE-2", "RTE-3", "RTE-5"], `a valid ${name} route`, { record: rec(r) })
  const a = routes.a!
  const ip = Uint8Array.of(10, 0, 0, 1)
  c.ok("check_route_record-16-records", "check_route_record", ["RTE-2"], "16 A records", { record: rec({ ...a, records: Array.from({ length: 16 }, (_, i) => ({ type: 1, data: Uint8Array.of(10, 0, 0, i) })) }) })
  c.ok("check_route_record-txt-255", "check_route_record", ["RTE-3"], "a TXT record of 255 bytes", { record: rec({ ...a, records: [{ type: RECORD_TYPE.TXT, data: new Uint8Array(255).fill(0x61) }] }) })
  c.ok("check_route_record-txt-empty", "check_route_record", ["RTE-3"], "an empty TXT record", { record: rec({ ...a, records: [{ type: RECORD_TYPE.TXT, data: new Uint8Array(0) }] }) })
  c.ok("check_route_record-newer-serial", "check_route_record", ["RTE-6"], "serial 5 above canonical serial 4", { record: rec({ ...a, serial: 5n }), canonicalSerial: "4" })
  const bad = (name: string, rule: RuleId, d: string, r: RouteRecord, extra: Record<string, unknown> = {}) =>
    c.fail(`check_route_record-${name}`, "check_route_record", rule, d, { record: rec(r), ...extra })
  bad("bad-name", "NAM-4", "a name outside .dns", { ...a, name: "alpha.com" })
  bad("uppercase-name", "NAM-5", "a name that is not normalized", { ...a, name: "Alpha.dns" })
  bad("no-records", "RTE-2", "no records", { ...a, records: [] })
  bad("17-records", "RTE-2", "17 records", { ...a, records: Array.from({ length: 17 }, () => ({ type: 1, data: ip })) })
  bad("a-5-bytes", "RTE-3", "an A record of 5 bytes", { ...a, records: [{ type: RECORD_TYPE.A, data: new Uint8Array(5) }] })
  bad("aaaa-4-bytes", "RTE-3", "an AAAA record of 4 bytes", { ...a, records: [{ type: RECORD_TYPE.AAAA, data: ip }] })
  bad("cname-trailing-dot", "RTE-3", "a CNAME target with a trailing dot", { ...a, records: [{ type: RECORD_TYPE.CNAME, data: new TextEncoder().encode("example.com.") }] })
  bad("cname-uppercase", "RTE-3", "a CNAME target with uppercase", { ...a, records: [{ type: RECORD_TYPE.CNAME, data: new TextEncoder().encode("Example.com") }] })
  bad("txt-256", "RTE-3", "a TXT record of 256 bytes", { ...a, records: [{ type: RECORD_TYPE.TXT, data: new Uint8Array(256) }] })
  bad("https-2-bytes", "RTE-3", "an HTTPS record of 2 bytes", { ...a, records: [{ type: RECORD_TYPE.HTTPS, data: new Uint8Array(2) }] })
  bad("mx-type", "RTE-3", "an MX record (type 15)", { ...a, records: [{ type: 15, data: ip }] })
  bad("cname-and-a", "RTE-4", "a CNAME beside an A record", { ...a, records: [{ type: RECORD_TYPE.CNAME, data: new TextEncoder().encode("example.com") }, { type: 1, data: ip }] })
  bad("ttl-too-long", "RTE-5", "ttl 604801", { ...a, ttl: 604_801 })
  bad("stale-serial", "RTE-6", "serial 4 at canonical serial 4", { ...a, serial: 4n }, { canonicalSerial: "4" })
  bad("older-serial", "RTE-6", "serial 3 below canonical serial 4", { ...a, serial: 3n }, { canonicalSerial: "4" })
  return c
}
