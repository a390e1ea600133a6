/**
 * The implementation under test as a subprocess speaking the adapter protocol [CNF-1], [CNF-2]: the
 * suite starts the command, reads its `hello`, then writes requests and matches answers by id. Every
 * request has a deadline. A request whose adapter dies, hangs or breaks the protocol gets a reply that
 * says so — never an answer — and the next request starts a fresh adapter process, so one crash costs
 * one check, not the run.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process"
import { delimiter, dirname } from "node:path"
import { parseAnswer, parseHello, preview, ProtocolViolation, requestLine, type Answer, type Hello } from "./protocol.ts"

/** The outcome of one request. Only `answer` carries something to compare. */
export type Reply =
  | { readonly kind: "answer"; readonly answer: Answer; readonly ms: number }
  | { readonly kind: "timeout"; readonly ms: number; readonly message: string }
  | { readonly kind: "crash"; readonly message: string }
  | { readonly kind: "violation"; readonly message: string }

/** The adapter could not be started: no hello, a malformed one, or it exited first. */
export class AdapterStartError extends Error {
  override readonly name = "AdapterStartError"
}

export interface AdapterOptions {
  /** A shell command line, e.g. `python3 conformance/examples/python/adapter.py`. */
  readonly command: string
  readonly cwd?: string
  readonly env?: Readonly<Record<string, string>>
  /** Deadline of one request, in milliseconds. */
  readonly timeoutMs: number
  /** Deadline of the hello line (default 20 s: an adapter may compile or load a runtime first). */
  readonly helloTimeoutMs?: number
  /** How many times a dead adapter is started again before every further request fails (default 25). */
  readonly maxRestarts?: number
  /** Receives the adapter's stderr (free for its logs). */
  readonly onStderr?: (text: string) => void
}

const STDERR_TAIL = 4000

interface Pending {
  readonly id: number
  readonly op: string
  readonly started: number
  readonly resolve: (r: Reply | { readonly kind: "aborted"; readonly message: string }) => void
  readonly timer: NodeJS.Timeout
}

/** One running adapter process. */
class AdapterProcess {
  readonly child: ChildProcessWithoutNullStreams
  readonly hello: Promise<Hello>
  private readonly pending = new Map<number, Pending>()
  private buffer = ""
  private stderrTail = ""
  private gotHello = false
  exited = false
  /** Killed by the suite (a timeout, a violation): not to be written to, even before its exit event. */
  private killed = false
  exitReason = ""
  private onHello: { resolve: (h: Hello) => void; reject: (e: Error) => void } | undefined

  private readonly onViolation: (message: string) => void

  constructor(opts: AdapterOptions, onViolation: (message: string) => void) {
    this.onViolation = onViolation
    const nodeDir = dirname(process.execPath)
    const env = { ...process.env, ...opts.env, PATH: `${nodeDir}${delimiter}${process.env["PATH"] ?? ""}` }
    this.child = spawn(opts.command, { shell: true, detached: true, cwd: opts.cwd, env, stdio: ["pipe", "pipe", "pipe"] })
    this.hello = new Promise<Hello>((resolve, reject) => (this.onHello = { resolve, reject }))
    // A rejected hello is always observed by `start`; this keeps Node from reporting it twice.
    this.hello.catch(() => undefined)
    const helloTimer = setTimeout(() => {
      if (this.gotHello) return
      this.onHello?.reject(new AdapterStartError(`no hello line within ${opts.helloTimeoutMs ?? 20_000} ms${this.stderrNote()}`))
      this.kill()
    }, opts.helloTimeoutMs ?? 20_000)
    this.child.stdout.setEncoding("utf8")
    this.child.stdout.on("data", (chunk: string) => this.onData(chunk))
    this.child.stderr.setEncoding("utf8")
    this.child.stderr.on("data", (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL)
      opts.onStderr?.(chunk)
    })
    // Writing to an adapter that already died raises EPIPE here; the exit handler reports it.
    this.child.stdin.on("error", () => undefined)
    this.child.on("error", (e) => this.onExit(`could not be started: ${e.message}`))
    // "close", not "exit": answers still in the pipe when the process ends are read first.
    this.child.on("close", (code, signal) => {
      clearTimeout(helloTimer)
      this.onExit(signal !== null ? `was killed by ${signal}` : `exited with code ${code}`)
    })
  }

  private stderrNote(): string {
    const t = this.stderrTail.trim()
    return t === "" ? "" : `; its stderr ends with:\n${t.split("\n").slice(-15).join("\n")}`
  }

  private onExit(reason: string): void {
    if (this.exited) return
    this.exited = true
    this.exitReason = reason
    if (!this.gotHello) this.onHello?.reject(new AdapterStartError(`the adapter ${reason} before its hello line${this.stderrNote()}`))
    for (const p of this.pending.values()) {
      clearTimeout(p.timer)
      p.resolve({ kind: "crash", message: `the adapter ${reason} while answering request ${p.id} (${p.op})${this.stderrNote()}` })
    }
    this.pending.clear()
  }

  private onData(chunk: string): void {
    this.buffer += chunk
    let nl: number
    while ((nl = this.buffer.indexOf("\n")) >= 0) {
      const line = this.buffer.slice(0, nl).replace(/\r$/, "")
      this.buffer = this.buffer.slice(nl + 1)
      if (line.trim() === "") continue
      this.onLine(line)
      if (this.exited) return
    }
  }

  private onLine(line: string): void {
    if (!this.gotHello) {
      this.gotHello = true
      try {
        this.onHello?.resolve(parseHello(line))
      } catch (e) {
        this.onHello?.reject(new AdapterStartError((e as Error).message))
        this.kill()
      }
      return
    }
    let parsed: ReturnType<typeof parseAnswer>
    try {
      parsed = parseAnswer(line)
    } catch (e) {
      // Which request the line meant is unknown: every pending one is lost, and the process too.
      this.violate((e as Error).message)
      return
    }
    const p = this.pending.get(parsed.id)
    if (p === undefined) {
      this.violate(`answer for id ${parsed.id}, which no pending request has: ${preview(line)}`)
      return
    }
    this.pending.delete(parsed.id)
    clearTimeout(p.timer)
    p.resolve({ kind: "answer", answer: parsed.answer, ms: performance.now() - p.started })
  }

  private violate(message: string): void {
    this.onViolation(message)
    for (const p of this.pending.values()) {
      clearTimeout(p.timer)
      p.resolve({ kind: "violation", message: `protocol violation [CNF-2]: ${message}` })
    }
    this.pending.clear()
    this.kill()
  }

  send(id: number, op: string, input: unknown, timeoutMs: number): Promise<Reply | { readonly kind: "aborted"; readonly message: string }> {
    return new Promise((resolve) => {
      if (this.dead) {
        resolve({ kind: "aborted", message: `the adapter ${this.exitReason || "was stopped"}` })
        return
      }
      const started = performance.now()
      const timer = setTimeout(() => {
        this.pending.delete(id)
        resolve({ kind: "timeout", ms: performance.now() - started, message: `request ${id} (${op}) had no answer within ${timeoutMs} ms` })
        // Its late answer must not be read as another's: the process goes, pending requests are retried.
        for (const other of this.pending.values()) {
          clearTimeout(other.timer)
          other.resolve({ kind: "aborted", message: `the adapter was stopped after request ${id} timed out` })
        }
        this.pending.clear()
        this.kill()
      }, timeoutMs)
      this.pending.set(id, { id, op, started, resolve, timer })
      this.child.stdin.write(`${requestLine({ id, op, input })}\n`)
    })
  }

  /** Gone, or on its way out: requests go to a fresh process. */
  get dead(): boolean {
    return this.exited || this.killed
  }

  kill(): void {
    this.killed = true
    if (this.child.pid === undefined) return
    try {
      process.kill(-this.child.pid, "SIGKILL")
    } catch {
      /* already gone */
    }
  }

  /** Closes stdin (the adapter should exit); kills it if it has not within `graceMs`. */
  async close(graceMs: number): Promise<void> {
    if (this.exited) return
    if (this.killed) {
      await new Promise<void>((resolve) => (this.exited ? resolve() : this.child.once("close", () => resolve())))
      return
    }
    const gone = new Promise<void>((resolve) => this.child.once("close", () => resolve()))
    this.child.stdin.end()
    const timer = setTimeout(() => this.kill(), graceMs)
    await gone
    clearTimeout(timer)
    this.kill()
  }
}

const sameOps = (a: Hello, b: Hello): boolean => a.spec === b.spec && a.ops.length === b.ops.length && a.ops.every((o, i) => o === b.ops[i])

/** The adapter under test: one process at a time, restarted after a crash, a hang or a protocol violation. */
export class Adapter {
  readonly hello: Hello
  readonly command: string
  /** Crashes, timeouts, restarts and protocol violations, in order, for the report. */
  readonly incidents: string[]
  private proc: AdapterProcess
  private nextId = 1
  private restarts = 0
  private readonly opts: AdapterOptions
  private readonly ops: ReadonlySet<string>

  private constructor(opts: AdapterOptions, proc: AdapterProcess, hello: Hello, incidents: string[]) {
    this.incidents = incidents
    this.opts = opts
    this.command = opts.command
    this.proc = proc
    this.hello = hello
    this.ops = new Set(hello.ops)
  }

  /** Starts the command and waits for its hello line [CNF-1]. */
  static async start(opts: AdapterOptions): Promise<Adapter> {
    const incidents: string[] = []
    const proc = new AdapterProcess(opts, (m) => incidents.push(`protocol violation: ${m}`))
    let hello: Hello
    try {
      hello = await proc.hello
    } catch (e) {
      proc.kill()
      throw e
    }
    return new Adapter(opts, proc, hello, incidents)
  }

  supports(op: string): boolean {
    return this.ops.has(op)
  }

  get restartCount(): number {
    return this.restarts
  }

  private async live(): Promise<AdapterProcess | string> {
    if (!this.proc.dead) return this.proc
    const max = this.opts.maxRestarts ?? 25
    if (this.restarts >= max) return `the adapter died ${this.restarts + 1} times; it is not started again`
    this.restarts++
    const proc = new AdapterProcess(this.opts, (m) => this.incidents.push(`protocol violation: ${m}`))
    try {
      const hello = await proc.hello
      if (!sameOps(hello, this.hello)) {
        proc.kill()
        return "the restarted adapter's hello differs from its first one"
      }
    } catch (e) {
      proc.kill()
      this.incidents.push(`restart ${this.restarts} failed: ${(e as Error).message}`)
      return `the adapter could not be restarted: ${(e as Error).message}`
    }
    this.incidents.push(`adapter restarted (${this.restarts})`)
    this.proc = proc
    return proc
  }

  /**
   * Sends one request and resolves with its reply (never rejects). While the adapter is alive the
   * request is written before this returns, so the caller can compute the spec's answer meanwhile.
   */
  request(op: string, input: unknown, timeoutMs: number = this.opts.timeoutMs): Promise<Reply> {
    if (this.proc.dead) return this.retry(op, input, timeoutMs, 0)
    return this.proc.send(this.nextId++, op, input, timeoutMs).then((r) => this.settle(r, op, input, timeoutMs, 0))
  }

  private settle(r: Reply | { readonly kind: "aborted"; readonly message: string }, op: string, input: unknown, timeoutMs: number, attempt: number): Promise<Reply> | Reply {
    if (r.kind === "crash") this.incidents.push(r.message.split("\n")[0]!)
    if (r.kind === "timeout") this.incidents.push(r.message)
    // A request lost to another's crash or timeout is sent once more, to a fresh process.
    if (r.kind !== "aborted") return r
    if (attempt >= 1) return { kind: "crash", message: r.message }
    return this.retry(op, input, timeoutMs, attempt + 1)
  }

  private async retry(op: string, input: unknown, timeoutMs: number, attempt: number): Promise<Reply> {
    const proc = await this.live()
    if (typeof proc === "string") return { kind: "crash", message: proc }
    return this.settle(await proc.send(this.nextId++, op, input, timeoutMs), op, input, timeoutMs, attempt)
  }

  async close(graceMs = 3000): Promise<void> {
    await this.proc.close(graceMs)
  }
}
