/**
 * What the site is built from, read off the file system: the prose files of each spec version, their
 * titles and order, where each rule is defined, and the paths of generated pages. Shared by the
 * VitePress config and `site/tools/gen-pages.ts`, so both agree on every URL.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { CURRENT, published, VERSIONS, type SpecVersion } from "./versions.ts"

export const SITE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..")
export const ROOT = resolve(SITE_DIR, "..")
/** VitePress `srcDir`: `@/` in snippet includes and every page path are relative to it. */
export const SPEC_DIR = join(ROOT, "spec")
export const GUIDE_DIR = join(SPEC_DIR, "guide")
/** Pages written by `site/tools/gen-pages.ts`; gitignored. */
export const GENERATED_DIR = join(GUIDE_DIR, "generated")
/** Where the simulator writes scenario reports (HTML and plots); served on the site under `/reports/`. */
export const REPORTS_DIR = join(ROOT, "scenarios", "reports")
export const REPORTS_URL = "/reports/"
export const OUT_DIR = join(SITE_DIR, ".vitepress", "dist")

/**
 * A rule definition in the prose: `<a id="QRM-3"></a>**[QRM-3]**`, or the drafting shorthand `{{QRM-3}}`
 * (which the site renders the same way; `[[QRM-3]]` is the matching shorthand for a reference).
 */
export const RULE_ANCHOR = /<a id="([A-Z]+-\d+)"><\/a>|\{\{([A-Z]+-\d+)\}\}/g
export const RULE_ID = /^[A-Z]+-\d+$/

export type ProseKind = "index" | "chapter" | "extension" | "changelog" | "other"

export interface ProseFile {
  /** File name inside `spec/<version>/`. */
  readonly file: string
  readonly kind: ProseKind
  /** The numeric prefix of a chapter (`08-rounds.md` → 8). */
  readonly order: number | undefined
  readonly title: string
  /** Site path without extension, e.g. `/v1/08-rounds-quorum-finality` or `/v1/` for the index. */
  readonly link: string
}

const read = (path: string): string => readFileSync(path, "utf8")

const stripInline = (s: string): string =>
  s
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/<[^>]+>/g, "")
    .replace(/[`*_]/g, "")
    .trim()

/** The page title: frontmatter `title:` or the first level-1 heading outside code fences. */
export const titleOf = (text: string, fallback: string): string => {
  const fm = /^---\n([\s\S]*?)\n---/.exec(text)
  const fmTitle = fm === null ? undefined : /^title:\s*["']?(.+?)["']?\s*$/m.exec(fm[1]!)?.[1]
  if (fmTitle !== undefined) return fmTitle
  let fence = false
  for (const line of text.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) fence = !fence
    if (!fence && line.startsWith("# ")) return stripInline(line.slice(2))
  }
  return fallback
}

const humanize = (file: string): string => {
  const s = file.replace(/\.md$/, "").replace(/^\d+-/, "").replace(/^ext-/, "").replace(/-/g, " ")
  return s.charAt(0).toUpperCase() + s.slice(1)
}

const kindOf = (file: string): ProseKind =>
  file === "README.md" || file === "index.md"
    ? "index"
    : file.startsWith("ext-")
      ? "extension"
      : /^changelog\.md$/i.test(file)
        ? "changelog"
        : /^\d+-/.test(file)
          ? "chapter"
          : "other"

export const versionDir = (v: SpecVersion): string => join(SPEC_DIR, v.id)

export const isPublished = (v: SpecVersion): boolean => published(v) && existsSync(versionDir(v))

/**
 * The prose of one version: the index first, then chapters by numeric prefix, then other pages and the
 * draft extensions (`ext-*.md`) by title ("EXT-1 …" before "EXT-2 …"), then the changelog.
 */
export const proseFiles = (v: SpecVersion): ProseFile[] => {
  const dir = versionDir(v)
  if (!existsSync(dir)) return []
  const files = readdirSync(dir).filter((f) => f.endsWith(".md") && statSync(join(dir, f)).isFile())
  const rank: Record<ProseKind, number> = { index: 0, chapter: 1, other: 2, extension: 3, changelog: 4 }
  return files
    .map((file): ProseFile => {
      const kind = kindOf(file)
      const order = kind === "chapter" ? Number(/^(\d+)-/.exec(file)![1]) : undefined
      const base = file.replace(/\.md$/, "")
      return {
        file,
        kind,
        order,
        title: titleOf(read(join(dir, file)), humanize(file)),
        link: kind === "index" ? `/${v.id}/` : `/${v.id}/${base}`
      }
    })
    .sort(
      (a, b) =>
        rank[a.kind] - rank[b.kind] ||
        (a.order ?? 0) - (b.order ?? 0) ||
        a.title.localeCompare(b.title, "en", { numeric: true }) ||
        a.file.localeCompare(b.file)
    )
}

/**
 * `README.md` of a directory is its landing page: rewritten to `index.md` when the directory has no
 * `index.md` of its own, so `spec/v1/README.md` (the rule index) is served at `/v1/`.
 */
export const readmeRewrites = (): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const v of VERSIONS) {
    const dir = versionDir(v)
    if (isPublished(v) && existsSync(join(dir, "README.md")) && !existsSync(join(dir, "index.md")))
      out[`${v.id}/README.md`] = `${v.id}/index.md`
  }
  return out
}

export interface RuleDefinition {
  readonly id: string
  readonly version: string
  readonly file: string
  /** Site path of the definition, with its anchor. */
  readonly href: string
}

/** Every rule anchor in the prose of a version, in file order. A rule defined twice keeps both. */
export const ruleDefinitions = (v: SpecVersion): RuleDefinition[] => {
  const out: RuleDefinition[] = []
  for (const p of proseFiles(v)) {
    const text = read(join(versionDir(v), p.file))
    for (const m of text.matchAll(RULE_ANCHOR)) {
      const id = m[1] ?? m[2]!
      out.push({ id, version: v.id, file: p.file, href: `${p.link}#${id}` })
    }
  }
  return out
}

/** The anchor the site puts at a `<!-- BEGIN GENERATED: <what> -->` block, e.g. `generated-params`. */
export const generatedAnchor = (what: string): string =>
  `generated-${what.trim().toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "")}`

/** The first prose page of a version that holds a generated block `what` (e.g. `params`), as a link. */
export const generatedBlock = (v: SpecVersion, what: string): string | undefined => {
  const marker = `<!-- BEGIN GENERATED: ${what} -->`
  const p = proseFiles(v).find((f) => read(join(versionDir(v), f.file)).includes(marker))
  return p === undefined ? undefined : `${p.link}#${generatedAnchor(what)}`
}

/** Generated pages of the guide, written by gen-pages. */
export const GENERATED_PAGES = {
  lifecycles: { file: "lifecycles.md", link: "/guide/generated/lifecycles", title: "Lifecycles (state machines)" },
  parameters: { file: "parameters.md", link: "/guide/generated/parameters", title: "Protocol parameters" }
} as const

/** The list of scenario reports, included by `spec/guide/researchers.md`; not a page of its own. */
export const REPORTS_PARTIAL = "_reports.md"

/** Where the parameter table is: in the prose when a chapter holds one, else the generated page. */
export const parametersLink = (v: SpecVersion = CURRENT): string =>
  generatedBlock(v, "params") ?? GENERATED_PAGES.parameters.link

export const GUIDES = [
  { file: "implementers.md", link: "/guide/implementers", title: "Implementers" },
  { file: "researchers.md", link: "/guide/researchers", title: "Researchers" },
  { file: "miners.md", link: "/guide/miners", title: "Miners" }
] as const

/** A changelog page, if the spec has one (`spec/CHANGELOG.md`). */
export const changelogLink = (): string | undefined => (existsSync(join(SPEC_DIR, "CHANGELOG.md")) ? "/CHANGELOG" : undefined)
