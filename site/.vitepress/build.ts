/**
 * Build-time pieces of the site outside VitePress itself:
 *
 *  - scenario reports (`scenarios/reports/**`, HTML and plots written by the simulator) are served under
 *    `/reports/` by `vitepress dev` and copied there by `vitepress build`;
 *  - repository files the prose links to (`../src/params.ts`) are copied next to the pages;
 *  - `checkSite` checks every link of the built HTML, including the `#anchor` part VitePress's own
 *    dead-link check ignores: a link to `08-rounds.html#QRM-99` with no element `id="QRM-99"` fails.
 */
import { cpSync, createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { dirname, extname, join, normalize, relative, sep } from "node:path"
import type { Plugin } from "vitepress"
import { linkedFiles } from "./markdown.ts"
import { readmeRewrites, REPORTS_DIR, REPORTS_URL, ROOT, SPEC_DIR } from "./site-data.ts"

export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
  ".md": "text/plain; charset=utf-8",
  ".ts": "text/plain; charset=utf-8",
  ".c": "text/plain; charset=utf-8",
  ".h": "text/plain; charset=utf-8",
  ".csv": "text/csv; charset=utf-8",
  ".xml": "application/xml"
}

export const contentType = (file: string): string => CONTENT_TYPES[extname(file).toLowerCase()] ?? "application/octet-stream"

/** `vitepress dev`: serve `scenarios/reports/**` under `/reports/`, as the build will. */
export const reportsPlugin = (): Plugin => ({
  name: "dotdns:reports",
  configureServer(server) {
    server.middlewares.use(REPORTS_URL, (req, res, next) => {
      const path = decodeURIComponent((req.url ?? "/").split(/[?#]/)[0]!)
      let file = normalize(join(REPORTS_DIR, path))
      if (!file.startsWith(REPORTS_DIR)) return next()
      if (existsSync(file) && statSync(file).isDirectory()) file = join(file, "index.html")
      if (!existsSync(file) || !statSync(file).isFile()) return next()
      res.setHeader("content-type", contentType(file))
      createReadStream(file).pipe(res)
    })
  }
})

/** Copies the scenario reports and the repository files pages link to into the built site. */
export const copyExtras = (outDir: string): void => {
  if (existsSync(REPORTS_DIR)) cpSync(REPORTS_DIR, join(outDir, REPORTS_URL), { recursive: true })
  for (const rel of linkedFiles) {
    const to = join(outDir, rel)
    if (existsSync(to)) continue
    mkdirSync(dirname(to), { recursive: true })
    cpSync(join(SPEC_DIR, rel), to)
  }
}

/** What a build was: the browser test reuses a build only if it was strict and clean. */
export interface BuildStamp {
  readonly strict: boolean
  readonly problems: number
}

export const BUILD_STAMP = ".dotdns-build.json"

export const writeBuildStamp = (outDir: string, stamp: BuildStamp): void =>
  writeFileSync(join(outDir, BUILD_STAMP), `${JSON.stringify({ ...stamp, builtAt: new Date().toISOString() })}\n`)

export const readBuildStamp = (outDir: string): BuildStamp | undefined => {
  try {
    const x: unknown = JSON.parse(readFileSync(join(outDir, BUILD_STAMP), "utf8"))
    if (typeof x !== "object" || x === null || !("strict" in x) || !("problems" in x)) return undefined
    return { strict: x.strict === true, problems: Number(x.problems) }
  } catch {
    return undefined
  }
}

// ------------------------------------------------------------------------------------------ link check

export interface LinkProblem {
  /** Built page the link is on, relative to the output directory. */
  readonly page: string
  readonly href: string
  readonly problem: "no such page" | "no such anchor" | "undefined rule"
  /** The prose or guide file the page was built from, with the lines that mention the target. */
  readonly source: string | undefined
  readonly lines: readonly number[]
}

const walk = (dir: string, skip: (rel: string) => boolean, base: string = dir): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const abs = join(dir, e.name)
    const rel = relative(base, abs).split(sep).join("/")
    if (skip(rel)) return []
    return e.isDirectory() ? walk(abs, skip, base) : e.isFile() ? [rel] : []
  })

const decodeEntities = (s: string): string =>
  s.replace(/&amp;/g, "&").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">")

const idsOf = (html: string): Set<string> => new Set([...html.matchAll(/\sid="([^"]+)"/g)].map((m) => decodeEntities(m[1]!)))

/** The file a URL path is served from, clean URLs included: `/v1/x` → `v1/x.html`, `/v1/` → `v1/index.html`. */
export const resolveServed = (outDir: string, urlPath: string): string | undefined => {
  const rel = decodeURIComponent(urlPath).replace(/^\/+/, "")
  const candidates = rel === "" || rel.endsWith("/") ? [`${rel}index.html`] : [rel, `${rel}.html`, `${rel}/index.html`]
  return candidates.find((c) => {
    const abs = normalize(join(outDir, c))
    return abs.startsWith(normalize(outDir)) && existsSync(abs) && statSync(abs).isFile()
  })
}

/** The markdown file a built page came from, relative to the repository root. */
const sourceOf = (page: string): string | undefined => {
  const md = page.replace(/\.html$/, ".md")
  const inverse = Object.fromEntries(Object.entries(readmeRewrites()).map(([from, to]) => [to, from]))
  const src = inverse[md] ?? md
  return existsSync(join(SPEC_DIR, src)) ? relative(ROOT, join(SPEC_DIR, src)).split(sep).join("/") : undefined
}

const linesMentioning = (source: string | undefined, needle: string): number[] => {
  if (source === undefined || needle === "") return []
  return readFileSync(join(ROOT, source), "utf8")
    .split("\n")
    .flatMap((line, i) => (line.includes(needle) ? [i + 1] : []))
}

/**
 * Every `<a href>` of every built page must reach a file of the site, and its `#fragment` an element
 * with that id. Scenario reports (`/reports/`) are the simulator's own HTML and are not checked inside.
 */
export const checkSite = (outDir: string): LinkProblem[] => {
  const pages = walk(outDir, (rel) => rel === "assets" || rel === REPORTS_URL.replace(/\//g, "")).filter((f) => f.endsWith(".html"))
  const ids = new Map<string, Set<string>>()
  const idsFor = (page: string): Set<string> => {
    let s = ids.get(page)
    if (s === undefined) {
      s = idsOf(readFileSync(join(outDir, page), "utf8"))
      ids.set(page, s)
    }
    return s
  }
  const problems: LinkProblem[] = []
  for (const page of pages) {
    const html = readFileSync(join(outDir, page), "utf8")
    for (const m of html.matchAll(/<a\s[^>]*?href="([^"]*)"/g)) {
      const href = decodeEntities(m[1]!)
      if (href === "" || /^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith("//")) continue
      const url = new URL(href, `http://site/${page}`)
      const hash = decodeURIComponent(url.hash.slice(1))
      const target = href.startsWith("#") ? page : resolveServed(outDir, url.pathname)
      const source = sourceOf(page)
      const undefinedRule = /\/undefined-rule-([A-Z]+-\d+)$/.exec(url.pathname)
      if (undefinedRule !== null) {
        problems.push({ page, href, problem: "undefined rule", source, lines: linesMentioning(source, undefinedRule[1]!) })
      } else if (target === undefined) {
        const name = url.pathname.endsWith("/") ? "README.md" : (url.pathname.split("/").pop() ?? "").replace(/\.html$/, "")
        problems.push({ page, href, problem: "no such page", source, lines: linesMentioning(source, name) })
      } else if (hash !== "" && target.endsWith(".html") && !idsFor(target).has(hash)) {
        problems.push({ page, href, problem: "no such anchor", source, lines: linesMentioning(source, `#${hash}`) })
      }
    }
  }
  return problems
}

/** One line per broken link; a link broken on many pages (nav, sidebar, home) is reported once. */
export const formatProblems = (problems: readonly LinkProblem[]): string => {
  const pagesPerHref = new Map<string, Set<string>>()
  for (const p of problems) pagesPerHref.set(`${p.problem} ${p.href}`, (pagesPerHref.get(`${p.problem} ${p.href}`) ?? new Set()).add(p.page))
  const seen = new Set<string>()
  const lines: string[] = []
  for (const p of problems) {
    const key = `${p.problem} ${p.href}`
    const pages = pagesPerHref.get(key)!
    if (pages.size > 3) {
      if (!seen.has(key)) lines.push(`  ${pages.size} pages (navigation, sidebar or home page): ${p.problem}: ${p.href}`)
      seen.add(key)
      continue
    }
    const where = p.source === undefined ? p.page : `${p.source}${p.lines.length > 0 ? `:${p.lines.join(",")}` : ""}`
    const line = `  ${where}: ${p.problem}: ${p.href}`
    if (!seen.has(line)) lines.push(line)
    seen.add(line)
  }
  return lines.join("\n")
}
