/**
 * DNS messages, through `dns-packet` only: decoding queries, and encoding answers for `.dns` names
 * (A, AAAA, CNAME, TXT, HTTPS from the route's record bytes), negative answers, SERVFAIL/REFUSED with
 * an Extended DNS Error (RFC 8914, option code 15) and EDNS(0) (RFC 6891): our UDP payload size, BADVERS
 * for versions other than 0, and truncation (TC) when an answer does not fit the UDP limit.
 */
import dnsPacket from "dns-packet"
import { RECORD_TYPE, type DnsRecord } from "../../spec/src/objects.ts"
import { RCODE } from "./Failure.ts"

/** EDNS option code of Extended DNS Errors (RFC 8914). */
export const EDE_OPTION = 15
/** The TC bit, RD, RA and CD in the header flags word. */
const TC = 0x0200
const RD = 0x0100
const RA = 0x0080
const CD = 0x0010
export const CLASSIC_UDP_LIMIT = 512

// dns-packet's types cover neither HTTPS (65) nor option 15; these are the shapes it encodes for them.
interface LooseRecord {
  readonly name: string
  readonly type: string
  readonly class?: string
  readonly ttl?: number
  readonly data?: unknown
}
interface LooseOpt {
  readonly name: "."
  readonly type: "OPT"
  readonly udpPayloadSize: number
  readonly extendedRcode: number
  readonly ednsVersion: number
  readonly flags: number
  readonly options: readonly { readonly code: number; readonly data: Buffer }[]
}
type Loose = LooseRecord | LooseOpt
const asAnswers = (xs: readonly Loose[]): dnsPacket.Answer[] => xs as unknown as dnsPacket.Answer[]

export interface Edns {
  readonly udpPayloadSize: number
  readonly version: number
  readonly do: boolean
}

/** A query the server will answer: one question, opcode QUERY. */
export interface Query {
  readonly id: number
  readonly rd: boolean
  readonly cd: boolean
  readonly question: { readonly name: string; readonly type: string; readonly class: string }
  /** The numeric QTYPE. */
  readonly qtype: number
  readonly edns: Edns | undefined
}

export type Parsed =
  | { readonly kind: "query"; readonly query: Query }
  /** Not worth an answer: shorter than a header, or a response (never answer those: no loops). */
  | { readonly kind: "drop" }
  /** Answer with this rcode and no question (FORMERR, NOTIMP). */
  | { readonly kind: "error"; readonly id: number; readonly rcode: number; readonly rd: boolean; readonly question?: Query["question"]; readonly edns: Edns | undefined }

interface DecodedExtra {
  readonly opcode?: string
}

const typeCode = (t: string): number => {
  switch (t) {
    case "A":
      return 1
    case "CNAME":
      return 5
    case "TXT":
      return 16
    case "AAAA":
      return 28
    case "ANY":
      return 255
    case "AXFR":
      return 252
    case "IXFR":
      return 251
  }
  const m = /^UNKNOWN_(\d+)$/.exec(t)
  return m === null ? -1 : Number(m[1])
}

/** Decodes a query; never throws. */
export const parseQuery = (buf: Buffer): Parsed => {
  if (buf.length < 12) return { kind: "drop" }
  let p: dnsPacket.DecodedPacket & DecodedExtra
  try {
    p = dnsPacket.decode(buf) as dnsPacket.DecodedPacket & DecodedExtra
  } catch {
    // header readable, body not: FORMERR unless it is a response
    try {
      const h = dnsPacket.decode(Buffer.concat([buf.subarray(0, 4), Buffer.alloc(8)]))
      if (h.flag_qr) return { kind: "drop" }
      return { kind: "error", id: h.id ?? 0, rcode: RCODE.FORMERR, rd: h.flag_rd, edns: undefined }
    } catch {
      return { kind: "drop" }
    }
  }
  if (p.flag_qr) return { kind: "drop" }
  const id = p.id ?? 0
  const opts = (p.additionals ?? []).filter((a) => a.type === "OPT") as unknown as dnsPacket.OptAnswer[]
  if (opts.length > 1) return { kind: "error", id, rcode: RCODE.FORMERR, rd: p.flag_rd, edns: undefined }
  const o = opts[0]
  const edns: Edns | undefined = o === undefined ? undefined : { udpPayloadSize: o.udpPayloadSize, version: o.ednsVersion, do: o.flag_do }
  const qs = p.questions ?? []
  const q = qs[0]
  const question = q === undefined ? undefined : { name: q.name, type: String(q.type), class: String(q.class ?? "IN") }
  const base = { id, rd: p.flag_rd, edns, ...(question ? { question } : {}) }
  if (p.opcode !== "QUERY") return { kind: "error", ...base, rcode: RCODE.NOTIMP }
  if (qs.length !== 1 || question === undefined) return { kind: "error", ...base, rcode: RCODE.FORMERR }
  return { kind: "query", query: { id, rd: p.flag_rd, cd: p.flag_cd, question, qtype: typeCode(question.type), edns } }
}

// ------------------------------------------------------------------------------------------ records

const ipv4 = (b: Uint8Array): string => `${b[0]}.${b[1]}.${b[2]}.${b[3]}`
const ipv6 = (b: Uint8Array): string => {
  const parts: string[] = []
  for (let i = 0; i < 16; i += 2) parts.push(((b[i]! << 8) | b[i + 1]!).toString(16))
  return parts.join(":")
}

/** One route record as a resource record owned by `owner` (the question's name, as asked). */
export const resourceRecord = (owner: string, rec: DnsRecord, ttl: number): LooseRecord => {
  const data = Buffer.from(rec.data.buffer, rec.data.byteOffset, rec.data.byteLength)
  switch (rec.type) {
    case RECORD_TYPE.A:
      return { name: owner, type: "A", class: "IN", ttl, data: ipv4(rec.data) }
    case RECORD_TYPE.AAAA:
      return { name: owner, type: "AAAA", class: "IN", ttl, data: ipv6(rec.data) }
    case RECORD_TYPE.CNAME:
      return { name: owner, type: "CNAME", class: "IN", ttl, data: data.toString("ascii") }
    case RECORD_TYPE.TXT:
      return { name: owner, type: "TXT", class: "IN", ttl, data: [data] }
    default:
      // HTTPS (65) and anything else verified: RDATA exactly as the owner signed it
      return { name: owner, type: `UNKNOWN_${rec.type}`, class: "IN", ttl, data }
  }
}

/** The SOA of the synthetic `dns.` zone, in the authority section of negative answers (RFC 2308). */
export const negativeSoa = (ttl: number): LooseRecord => ({
  name: "dns",
  type: "SOA",
  class: "IN",
  ttl,
  data: { mname: "localhost", rname: "nobody.invalid", serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: ttl }
})

export interface Ede {
  readonly code: number
  readonly text: string
}

export interface Reply {
  readonly rcode: number
  readonly answers: readonly LooseRecord[]
  readonly authorities: readonly LooseRecord[]
  readonly ede?: Ede
}

export interface EncodeOptions {
  /** Our advertised EDNS UDP payload size. */
  readonly payloadSize: number
  /** The most bytes this transport may carry; larger replies are truncated (TC). */
  readonly limit: number
}

const edeOption = (e: Ede) => {
  const text = Buffer.from(e.text, "utf8")
  const data = Buffer.alloc(2 + text.length)
  data.writeUInt16BE(e.code, 0)
  text.copy(data, 2)
  return { code: EDE_OPTION, data }
}

/** The UDP size limit for a query (RFC 6891 §6.2.5): 512 without EDNS, else the smaller payload size. */
export const udpLimit = (edns: Edns | undefined, ours: number): number =>
  edns === undefined ? CLASSIC_UDP_LIMIT : Math.max(CLASSIC_UDP_LIMIT, Math.min(edns.udpPayloadSize, ours))

/** Encodes a reply to `q`; the question is echoed as asked. */
export const encodeReply = (q: Pick<Query, "id" | "rd" | "cd" | "edns"> & { readonly question?: Query["question"] }, r: Reply, o: EncodeOptions): Buffer => {
  const badVersion = q.edns !== undefined && q.edns.version !== 0
  const rcode = badVersion ? 16 : r.rcode
  const flags = (q.rd ? RD : 0) | RA | (q.cd ? CD : 0) | (rcode & 0xf)
  const opt = (withEde: boolean): LooseOpt[] =>
    q.edns === undefined
      ? []
      : [
          {
            name: ".",
            type: "OPT",
            udpPayloadSize: o.payloadSize,
            extendedRcode: rcode >> 4,
            ednsVersion: 0,
            flags: 0,
            options: withEde && r.ede !== undefined && !badVersion ? [edeOption(r.ede)] : []
          }
        ]
  const questions = q.question === undefined ? [] : [q.question as unknown as dnsPacket.Question]
  const full = dnsPacket.encode({
    type: "response",
    id: q.id,
    flags,
    questions,
    answers: badVersion ? [] : asAnswers(r.answers),
    authorities: badVersion ? [] : asAnswers(r.authorities),
    additionals: asAnswers(opt(true))
  })
  if (full.length <= o.limit) return full
  // does not fit: the header, the question and OPT, with TC set (RFC 1035 §4.2.1, RFC 6891 §7)
  return dnsPacket.encode({ type: "response", id: q.id, flags: flags | TC, questions, answers: [], authorities: [], additionals: asAnswers(opt(false)) })
}

/** The record types a route answers for `qtype` (ANY: all of them, RFC 8482 allows a subset). */
export const matches = (rec: DnsRecord, qtype: number): boolean => qtype === 255 || rec.type === qtype

/** Reads the EDE option of an encoded reply (tests and the CLI). */
export const readEde = (reply: Buffer): Ede | undefined => {
  const p = dnsPacket.decode(reply)
  for (const a of p.additionals ?? []) {
    if (a.type !== "OPT") continue
    for (const opt of (a as dnsPacket.OptAnswer).options as unknown as { code: number; data: Buffer }[])
      if (opt.code === EDE_OPTION) return { code: opt.data.readUInt16BE(0), text: opt.data.subarray(2).toString("utf8") }
  }
  return undefined
}

/** Whether `name` (as asked, any case, no trailing dot) is in the `.dns` namespace; the apex `dns` included. */
export const isDotDns = (lower: string): boolean => lower === "dns" || lower.endsWith(".dns")
