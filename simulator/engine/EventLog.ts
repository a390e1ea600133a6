/**
 * The run's event log, written as `events.jsonl`: one JSON object a line, in the order things happened,
 * each with a sequence number, the slot, the epoch and a `type`. Nothing in it depends on the host —
 * no wall-clock time, no transaction signatures (bankrun's blockhashes differ between runs), no
 * temporary paths — so the same scenario, seed and backend give byte-identical files.
 *
 * Values: bigints are written as JSON numbers when they are safe integers and as strings otherwise;
 * byte strings never appear raw (actors are named by their scenario ids, hashes shortened to 8 hex).
 */

export type EventValue = string | number | boolean | bigint | null | undefined | readonly EventValue[] | { readonly [k: string]: EventValue }

const encode = (v: EventValue): string => {
  switch (typeof v) {
    case "bigint":
      return v >= -9007199254740991n && v <= 9007199254740991n ? v.toString() : JSON.stringify(v.toString())
    case "number":
      return Number.isFinite(v) ? JSON.stringify(v) : "null"
    case "string":
      return JSON.stringify(v)
    case "boolean":
      return v ? "true" : "false"
    case "undefined":
      return "null"
    case "object": {
      if (v === null) return "null"
      if (Array.isArray(v)) return `[${(v as readonly EventValue[]).map(encode).join(",")}]`
      const parts: string[] = []
      for (const [k, x] of Object.entries(v as Record<string, EventValue>)) if (x !== undefined) parts.push(`${JSON.stringify(k)}:${encode(x)}`)
      return `{${parts.join(",")}}`
    }
  }
  return "null"
}

export const encodeEvent = encode

export interface LoggedEvent {
  readonly seq: number
  readonly slot: bigint
  readonly epoch: bigint
  readonly type: string
  readonly data: Readonly<Record<string, EventValue>>
}

export class EventLog {
  private readonly lines: string[] = []
  readonly events: LoggedEvent[] = []
  private readonly clock: () => { slot: bigint; epoch: bigint }
  private readonly listener: ((e: LoggedEvent, line: string) => void) | undefined

  constructor(clock: () => { slot: bigint; epoch: bigint }, listener?: (e: LoggedEvent, line: string) => void) {
    this.clock = clock
    this.listener = listener
  }

  emit(type: string, data: Readonly<Record<string, EventValue>> = {}): LoggedEvent {
    const { slot, epoch } = this.clock()
    const e: LoggedEvent = { seq: this.events.length, slot, epoch, type, data }
    const line = encode({ seq: e.seq, slot, epoch, type, ...data })
    this.events.push(e)
    this.lines.push(line)
    this.listener?.(e, line)
    return e
  }

  /** The whole log as `events.jsonl` text (a trailing newline after every event). */
  text(): string {
    return this.lines.length === 0 ? "" : `${this.lines.join("\n")}\n`
  }

  get size(): number {
    return this.lines.length
  }
}

/** The first 8 hex digits of a hash: enough to tell routes apart in a log. */
export const short = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, Math.min(4, b.byteLength)).toString("hex")

/** Lamports as SOL with up to 9 decimals, as a number (exact for the amounts a run holds). */
export const solOf = (lamports: bigint): number => Number(lamports) / 1e9
