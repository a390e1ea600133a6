/**
 * Forwarding of names outside `.dns` to the configured upstream resolver [CLI-7]: the query's bytes go
 * out over UDP under a fresh random id (so queries from different sources never collide), and the
 * answer comes back with the asker's id restored. A truncated upstream answer is retried over TCP when
 * the asker is on a stream transport. A `.dns` name is never forwarded (spec 13 "Downgrade").
 */
import { createSocket, type Socket } from "node:dgram"
import { randomInt } from "node:crypto"
import { connect } from "node:net"
import dnsPacket from "dns-packet"
import { Context, Effect, Layer } from "effect"
import { ClientConfig, type HostPortValue } from "./Config.ts"

const truncated = (answer: Buffer): boolean => {
  try {
    return dnsPacket.decode(answer).flag_tc
  } catch {
    return false
  }
}

export class Forwarder extends Context.Service<
  Forwarder,
  {
    readonly enabled: boolean
    /** The upstream's answer with the asker's id, or undefined when it did not answer in time. */
    forward(query: Buffer, stream: boolean): Promise<Buffer | undefined>
  }
>()("dotdns/client/Forwarder") {
  static readonly disabled = Forwarder.of({ enabled: false, forward: async () => undefined })

  static readonly make = (upstream: HostPortValue, timeoutMs: number) =>
    Effect.acquireRelease(
      Effect.callback<Socket>((resume) => {
        const socket = createSocket(upstream.host.includes(":") ? "udp6" : "udp4")
        socket.once("error", (e) => resume(Effect.die(e)))
        socket.bind(0, () => resume(Effect.succeed(socket)))
      }),
      (socket) => Effect.sync(() => socket.close())
    ).pipe(
      Effect.map((socket) => {
        const pending = new Map<number, (b: Buffer) => void>()
        socket.on("message", (msg, rinfo) => {
          if (msg.length < 12 || rinfo.port !== upstream.port) return
          const id = msg.readUInt16BE(0)
          const done = pending.get(id)
          if (done !== undefined) {
            pending.delete(id)
            done(msg)
          }
        })
        socket.on("error", () => {})

        const overUdp = (query: Buffer): Promise<Buffer | undefined> =>
          new Promise((resolve) => {
            let id = randomInt(0, 65536)
            for (let i = 0; pending.has(id) && i < 16; i++) id = randomInt(0, 65536)
            if (pending.has(id)) return resolve(undefined)
            const out = Buffer.from(query)
            out.writeUInt16BE(id, 0)
            const timer = setTimeout(() => {
              pending.delete(id)
              resolve(undefined)
            }, timeoutMs)
            pending.set(id, (b) => {
              clearTimeout(timer)
              resolve(b)
            })
            try {
              socket.send(out, upstream.port, upstream.host)
            } catch {
              clearTimeout(timer)
              pending.delete(id)
              resolve(undefined)
            }
          })

        const overTcp = (query: Buffer): Promise<Buffer | undefined> =>
          new Promise((resolve) => {
            const s = connect(upstream.port, upstream.host)
            const chunks: Buffer[] = []
            const finish = (b: Buffer | undefined) => {
              s.destroy()
              resolve(b)
            }
            s.setTimeout(timeoutMs, () => finish(undefined))
            s.on("error", () => finish(undefined))
            s.on("connect", () => {
              const len = Buffer.alloc(2)
              len.writeUInt16BE(query.length)
              s.write(Buffer.concat([len, query]))
            })
            s.on("data", (c: Buffer) => {
              chunks.push(c)
              const all = Buffer.concat(chunks)
              if (all.length >= 2 && all.length >= 2 + all.readUInt16BE(0)) finish(all.subarray(2, 2 + all.readUInt16BE(0)))
            })
          })

        const forward = async (query: Buffer, stream: boolean): Promise<Buffer | undefined> => {
          const askerId = query.readUInt16BE(0)
          let answer = await overUdp(query)
          // TC set: a stream asker gets the full answer over TCP
          if (answer !== undefined && stream && truncated(answer)) answer = (await overTcp(query)) ?? answer
          if (answer === undefined) return undefined
          const out = Buffer.from(answer)
          out.writeUInt16BE(askerId, 0)
          return out
        }
        return Forwarder.of({ enabled: true, forward })
      })
    )

  static readonly layer = Layer.effect(
    Forwarder,
    Effect.gen(function* () {
      const c = yield* ClientConfig
      if (c.forward.upstream === undefined) return Forwarder.disabled
      return yield* Forwarder.make(c.forward.upstream, c.forward.timeoutMs)
    })
  )
}
