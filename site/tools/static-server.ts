/**
 * A small static file server for the built site (`site/.vitepress/dist`), as a static host serves it:
 * clean URLs (`/v1/08-rounds` → `v1/08-rounds.html`), directory indexes, `404.html` for anything else.
 * Used by the browser test; binds 127.0.0.1 on an ephemeral port unless told otherwise.
 *
 * Usage: `node site/tools/static-server.ts [port]` serves the last build.
 */
import { createReadStream, existsSync, statSync } from "node:fs"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { contentType, resolveServed } from "../.vitepress/build.ts"
import { OUT_DIR } from "../.vitepress/site-data.ts"

export interface StaticServer {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:40123`. */
  readonly url: string
  readonly server: Server
  close(): Promise<void>
}

export const serveStatic = async (root: string = OUT_DIR, port: number = 0, host: string = "127.0.0.1"): Promise<StaticServer> => {
  if (!existsSync(join(root, "index.html"))) throw new Error(`no built site in ${root}; run npm run site:build`)
  const server = createServer((req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end()
      return
    }
    let pathname: string
    try {
      pathname = decodeURIComponent(new URL(req.url ?? "/", "http://site").pathname)
    } catch {
      res.writeHead(400).end()
      return
    }
    // A directory asked for without its slash is redirected, so relative links on its index resolve.
    if (!pathname.endsWith("/") && existsSync(join(root, pathname, "index.html")) && !existsSync(join(root, `${pathname}.html`))) {
      res.writeHead(301, { location: `${encodeURI(pathname)}/` }).end()
      return
    }
    const found = pathname.includes("\0") ? undefined : resolveServed(root, pathname)
    const file = found === undefined ? "404.html" : found
    const abs = join(root, file)
    const status = found === undefined ? 404 : 200
    res.writeHead(status, {
      "content-type": contentType(abs),
      "content-length": String(statSync(abs).size),
      "cache-control": file.startsWith("assets/") ? "public, max-age=31536000, immutable" : "no-cache"
    })
    if (req.method === "HEAD") res.end()
    else createReadStream(abs).pipe(res)
  })
  await new Promise<void>((ok, fail) => {
    server.once("error", fail)
    server.listen(port, host, () => ok())
  })
  const address = server.address() as AddressInfo
  return {
    url: `http://${host}:${address.port}`,
    server,
    close: () => new Promise<void>((ok) => server.close(() => ok()))
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const s = await serveStatic(OUT_DIR, Number(process.argv[2] ?? 4173))
  console.log(`serving ${OUT_DIR} at ${s.url}/`)
}
