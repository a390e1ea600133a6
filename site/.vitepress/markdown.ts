/**
 * markdown-it rules of the spec site, run at parse time, before VitePress renders and checks links:
 *
 *  - `[text](rule:QRM-3)` links to wherever the prose defines QRM-3 (guides cite rules by id, not by
 *    file); an undefined rule becomes a link to `/<version>/undefined-rule-QRM-3`, which the dead-link
 *    check reports with the page it is on.
 *  - `site:parameters` links to the parameter table (in the prose if a chapter has one, else the
 *    generated page) and `site:lifecycles` to the state diagrams.
 *  - a relative link to a `README.md` that is served as its directory's index (`v1/README.md` → `/v1/`)
 *    is pointed at the index, so it neither 404s nor slips past the dead-link check.
 *  - a rule definition `<a id="QRM-3"></a>**[QRM-3]**` keeps its anchor and its label becomes a
 *    permalink to it. The drafting shorthands `{{QRM-3}}` (definition) and `[[QRM-3]]` (reference) are
 *    rendered the same way as the long forms, so a draft never reaches Vue as an `{{ }}` interpolation.
 *  - a `<!-- BEGIN GENERATED: params -->` block gets an anchor, `#generated-params`, so pages can link to
 *    the generated tables of the prose.
 *  - a relative link to a file of the repository that is not a page (`../src/params.ts`) is recorded so
 *    the build copies the file next to the pages and the link keeps working (see `linkedFiles`).
 */
import { existsSync, statSync } from "node:fs"
import { dirname, isAbsolute, join, relative, resolve } from "node:path"
import type { MarkdownRenderer } from "vitepress"
import { GENERATED_PAGES, generatedAnchor, parametersLink, readmeRewrites, ruleDefinitions, SPEC_DIR, type RuleDefinition } from "./site-data.ts"
import { CURRENT, VERSIONS, type SpecVersion } from "./versions.ts"

type Token = ReturnType<MarkdownRenderer["parse"]>[number]
type CoreRule = Parameters<MarkdownRenderer["core"]["ruler"]["push"]>[1]
type StateCore = Parameters<CoreRule>[0]

interface PageEnv {
  readonly path?: string
  readonly relativePath?: string
}

const envOf = (state: StateCore): PageEnv => (typeof state.env === "object" && state.env !== null ? (state.env as PageEnv) : {})

/** The spec version a page belongs to: `v1/08-rounds.md` → v1; guide pages → the current version. */
const versionOf = (relativePath: string | undefined): SpecVersion =>
  VERSIONS.find((v) => relativePath?.startsWith(`${v.id}/`) === true) ?? CURRENT

const RULE_CACHE_MS = 1000
let ruleCache: { readonly at: number; readonly defs: Map<string, Map<string, RuleDefinition>> } | undefined

/** version → rule id → its first definition. Re-read at most once a second, so `vitepress dev` follows edits. */
const definitions = (): Map<string, Map<string, RuleDefinition>> => {
  if (ruleCache !== undefined && Date.now() - ruleCache.at < RULE_CACHE_MS) return ruleCache.defs
  const defs = new Map<string, Map<string, RuleDefinition>>()
  for (const v of VERSIONS) {
    const m = new Map<string, RuleDefinition>()
    for (const d of ruleDefinitions(v)) if (!m.has(d.id)) m.set(d.id, d)
    defs.set(v.id, m)
  }
  ruleCache = { at: Date.now(), defs }
  return defs
}

export const resolveRule = (id: string, version: SpecVersion = CURRENT): RuleDefinition | undefined =>
  definitions().get(version.id)?.get(id) ?? definitions().get(CURRENT.id)?.get(id)

/** Repository files (relative to `spec/`) that pages link to and the build copies into the site. */
export const linkedFiles = new Set<string>()

const PAGE_EXT = /\.(md|html)$/
const EXTERNAL = /^[a-z][a-z0-9+.-]*:/i

const splitHref = (href: string): [string, string] => {
  const i = href.search(/[?#]/)
  return i < 0 ? [href, ""] : [href.slice(0, i), href.slice(i)]
}

const rewriteHref = (href: string, env: PageEnv): string => {
  const rule = /^rule:([A-Z]+-\d+)$/.exec(href)
  if (rule !== null) {
    const version = versionOf(env.relativePath)
    const def = resolveRule(rule[1]!, version)
    return def === undefined ? `/${version.id}/undefined-rule-${rule[1]!}` : def.href
  }
  const site = /^site:(parameters|lifecycles)(#.*)?$/.exec(href)
  if (site !== null) return `${site[1] === "parameters" ? parametersLink(versionOf(env.relativePath)) : GENERATED_PAGES.lifecycles.link}${site[2] ?? ""}`
  if (href === "" || href.startsWith("#") || href.startsWith("/") || EXTERNAL.test(href) || env.path === undefined) return href
  const [path, rest] = splitHref(href)
  const here = dirname(env.path)
  const target = resolve(here, decodeURIComponent(path))
  const rel = relative(SPEC_DIR, target).replace(/\\/g, "/")
  if (rel.startsWith("..") || isAbsolute(rel)) return href
  const rewritten = readmeRewrites()[rel]
  if (rewritten !== undefined) {
    const to = relative(here, join(SPEC_DIR, rewritten)).replace(/\\/g, "/")
    return `${to.startsWith(".") ? to : `./${to}`}${rest}`
  }
  if (!PAGE_EXT.test(path) && existsSync(target) && statSync(target).isFile()) linkedFiles.add(rel)
  return href
}

const RULE_DEF = /^<a id="([A-Z]+-\d+)">$/

/**
 * `<a id="X"></a>**[X]**` → the anchor, then the label wrapped in a permalink to it. markdown-it reads
 * the anchor as two html_inline tokens, `<a id="X">` and `</a>`.
 */
const permalinkRules = (state: StateCore, all: Token[]): Token[] => {
  // Emphasis leaves empty text tokens behind (`</a>`, "", `**`); they render as nothing.
  const children = all.filter((t) => t.type !== "text" || t.content !== "")
  const out: Token[] = []
  for (let i = 0; i < children.length; i++) {
    const t = children[i]!
    const def = t.type === "html_inline" ? RULE_DEF.exec(t.content) : null
    const [end, open, label, close] = [children[i + 1], children[i + 2], children[i + 3], children[i + 4]]
    if (
      def !== null &&
      end?.type === "html_inline" &&
      end.content === "</a>" &&
      open?.type === "strong_open" &&
      label?.type === "text" &&
      label.content === `[${def[1]!}]` &&
      close?.type === "strong_close"
    ) {
      const id = def[1]!
      t.content = `<a id="${id}" class="rule-anchor">`
      const linkOpen = new state.Token("html_inline", "", 0)
      linkOpen.content = `<a class="rule-id" href="#${id}" title="Permalink to ${id}">`
      out.push(t, end, linkOpen, open, label, close, html(state, "</a>"))
      i += 4
    } else out.push(t)
  }
  return out
}

const MACRO = /\{\{([A-Z]+-\d+)\}\}|\[\[([A-Z]+-\d+)\]\]/g

const html = (state: StateCore, content: string): Token => {
  const t = new state.Token("html_inline", "", 0)
  t.content = content
  return t
}

/** `{{X}}` → anchor and permalinked label; `[[X]]` → a link to X's definition (resolved like `rule:X`). */
const expandMacros = (state: StateCore, children: Token[]): Token[] =>
  children.flatMap((t): Token[] => {
    if (t.type !== "text" || !t.content.includes("{{") && !t.content.includes("[[")) return [t]
    const out: Token[] = []
    let at = 0
    const text = (s: string): void => {
      if (s === "") return
      const x = new state.Token("text", "", 0)
      x.content = s
      out.push(x)
    }
    for (const m of t.content.matchAll(MACRO)) {
      text(t.content.slice(at, m.index))
      at = m.index + m[0].length
      if (m[1] !== undefined) {
        const id = m[1]
        out.push(html(state, `<a id="${id}" class="rule-anchor"></a><a class="rule-id" href="#${id}" title="Permalink to ${id}"><strong>[${id}]</strong></a>`))
      } else {
        const open = new state.Token("link_open", "a", 1)
        open.attrs = [["href", `rule:${m[2]!}`]]
        const close = new state.Token("link_close", "a", -1)
        out.push(open)
        text(m[2]!)
        out.push(close)
      }
    }
    if (at === 0) return [t]
    text(t.content.slice(at))
    return out
  })

const GENERATED_BEGIN = /<!-- BEGIN GENERATED: ([^>]*?) -->/g

const siteRules: CoreRule = (state) => {
  const env = envOf(state)
  for (const block of state.tokens) {
    if (block.type === "html_block" && block.content.includes("BEGIN GENERATED:")) {
      block.content = block.content.replace(
        GENERATED_BEGIN,
        (all: string, what: string) => `${all}\n<div id="${generatedAnchor(what)}" class="generated-block-anchor"></div>`
      )
    }
    if (block.type !== "inline" || block.children === null) continue
    block.children = expandMacros(state, block.children)
    for (const t of block.children) {
      if (t.type !== "link_open") continue
      const i = t.attrIndex("href")
      if (i >= 0) t.attrs![i]![1] = rewriteHref(t.attrs![i]![1], env)
    }
    block.children = permalinkRules(state, block.children)
  }
}

export const siteMarkdown = (md: MarkdownRenderer): void => {
  md.core.ruler.push("dotdns_site", siteRules)
}
