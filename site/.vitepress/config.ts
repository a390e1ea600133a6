/**
 * The dotdns spec site. The pages are the files of `spec/` used in place (`srcDir: "../spec"`): the
 * normative prose `spec/<version>/*.md`, the guides `spec/guide/*.md`, the pages `site/tools/gen-pages.ts`
 * writes into `spec/guide/generated/` and the home page `spec/index.md`. Nothing is copied, so `@/` in a
 * snippet include (`<<< @/src/transition/rounds.ts#submit-aggregate`) is `spec/`.
 *
 * `npm run site:build` generates the pages and builds; dead links, and links to anchors that do not
 * exist, fail the build.
 */
import { existsSync } from "node:fs"
import { join } from "node:path"
import { defineConfig, type DefaultTheme } from "vitepress"
import { withMermaid } from "vitepress-plugin-mermaid"
import { RULES } from "../../spec/src/catalog.ts"
import { SPEC_VERSION } from "../../spec/src/version.ts"
import { checkSite, copyExtras, formatProblems, reportsPlugin, writeBuildStamp } from "./build.ts"
import { siteMarkdown } from "./markdown.ts"
import { searchOptions } from "./search.ts"
import {
  changelogLink,
  GENERATED_DIR,
  GENERATED_PAGES,
  GUIDES,
  isPublished,
  OUT_DIR,
  parametersLink,
  proseFiles,
  readmeRewrites,
  SITE_DIR
} from "./site-data.ts"
import { CURRENT, VERSIONS, versionLabel, type SpecVersion } from "./versions.ts"

/**
 * `DOTDNS_SITE_LINKS=warn` builds a draft with dead links and broken anchors reported, not fatal. CI and
 * `npm run site:build` leave it unset: every link must resolve.
 */
const LINKS_WARN = process.env.DOTDNS_SITE_LINKS === "warn"

const CATALOGUE: Readonly<Record<string, { readonly title: string } | undefined>> = RULES

/** The catalogue statement of a rule, shown as its title in search results. */
const ruleTitle = (id: string): string | undefined => CATALOGUE[id]?.title

if (!existsSync(join(GENERATED_DIR, GENERATED_PAGES.lifecycles.file)))
  console.warn("dotdns site: spec/guide/generated/ is missing; run `node site/tools/gen-pages.ts` (npm run site:build does)")

/** An inline icon, so the site needs no public directory and browsers find no missing /favicon.ico. */
const FAVICON = `data:image/svg+xml,${encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#3451b2"/>' +
    '<text x="16" y="22" font-family="monospace" font-size="15" font-weight="700" text-anchor="middle" fill="#fff">.d</text></svg>'
)}`

// ------------------------------------------------------------------------------------------ navigation

/** The version switcher: every version of `VERSIONS`, a planned one as a label that is not a link. */
const versionSwitcher = (): DefaultTheme.NavItemWithChildren => ({
  text: CURRENT.id,
  items: VERSIONS.map((v): DefaultTheme.NavItemWithLink | DefaultTheme.NavItemChildren =>
    isPublished(v) ? { text: versionLabel(v), link: `/${v.id}/`, activeMatch: `^/${v.id}/` } : { text: versionLabel(v), items: [] }
  )
})

const specGroups = (v: SpecVersion): DefaultTheme.SidebarItem[] => {
  const files = proseFiles(v)
  const item = (f: (typeof files)[number]): DefaultTheme.SidebarItem => ({ text: f.kind === "index" ? "Contents and rule index" : f.title, link: f.link })
  const main = files.filter((f) => f.kind === "index" || f.kind === "chapter" || f.kind === "other")
  const drafts = files.filter((f) => f.kind === "extension")
  const changelog = files.filter((f) => f.kind === "changelog")
  const groups: DefaultTheme.SidebarItem[] = [{ text: `Spec ${v.id}`, items: [...main, ...changelog].map(item) }]
  if (drafts.length > 0) groups.push({ text: "Draft extensions", collapsed: false, items: drafts.map(item) })
  return groups
}

const sharedGroups = (v: SpecVersion): DefaultTheme.SidebarItem[] => {
  const changelog = changelogLink()
  return [
    {
      text: "Generated reference",
      items: [
        { text: GENERATED_PAGES.lifecycles.title, link: GENERATED_PAGES.lifecycles.link },
        { text: "Parameters", link: parametersLink(v) }
      ]
    },
    {
      text: "Guides",
      items: [...GUIDES.map((g) => ({ text: g.title, link: g.link })), ...(changelog === undefined ? [] : [{ text: "Changelog", link: changelog }])]
    }
  ]
}

/** One sidebar per published version (`/v1/`, `/v2/`); everything else shows the current version's. */
const sidebar = (): DefaultTheme.SidebarMulti => {
  const out: DefaultTheme.SidebarMulti = {}
  for (const v of VERSIONS.filter(isPublished)) out[`/${v.id}/`] = [...specGroups(v), ...sharedGroups(v)]
  out["/"] = [...specGroups(CURRENT), ...sharedGroups(CURRENT)]
  return out
}

const nav = (): DefaultTheme.NavItem[] => [
  { text: `Spec ${CURRENT.id}`, link: `/${CURRENT.id}/`, activeMatch: `^/${CURRENT.id}/` },
  { text: "Implementers", link: "/guide/implementers", activeMatch: "^/guide/implementers" },
  { text: "Researchers", link: "/guide/researchers", activeMatch: "^/guide/researchers" },
  { text: "Miners", link: "/guide/miners", activeMatch: "^/guide/miners" },
  versionSwitcher()
]

// -------------------------------------------------------------------------------------------- config

export default withMermaid(
  defineConfig({
    title: "dotdns",
    titleTemplate: ":title · dotdns spec",
    description: "Specification of dotdns: censorship-resistant .dns names anchored on Solana",
    lang: "en-US",
    head: [["link", { rel: "icon", type: "image/svg+xml", href: FAVICON }]],
    srcDir: "../spec",
    srcExclude: ["src/**", "test/**", "tools/**", "**/vectors/**", "guide/generated/_*.md", "**/node_modules/**"],
    outDir: OUT_DIR,
    cacheDir: join(SITE_DIR, ".vitepress", "cache"),
    rewrites: readmeRewrites(),
    cleanUrls: true,
    ignoreDeadLinks: LINKS_WARN
      ? [
          (url: string) => {
            console.warn(`dotdns site: dead link ${url} (DOTDNS_SITE_LINKS=warn)`)
            return true
          }
        ]
      : false,
    lastUpdated: false,
    markdown: {
      lineNumbers: true,
      config: (md) => siteMarkdown(md)
    },
    mermaid: {
      securityLevel: "strict",
      // Guard labels are long (`finalizeRound [windowOver ∧ noOpenChallenges ∧ quorum]`): room between
      // states keeps the labels of parallel edges apart.
      state: { nodeSpacing: 90, rankSpacing: 70 }
    },
    vite: {
      plugins: [reportsPlugin()],
      // Our component loads mermaid only on pages that have a diagram (see theme/Mermaid.vue).
      resolve: { alias: { "vitepress-plugin-mermaid/Mermaid.vue": join(SITE_DIR, ".vitepress", "theme", "Mermaid.vue") } },
      // Pre-bundled so `vitepress dev` serves mermaid's CommonJS dependencies (fastdom, …) as ES modules.
      optimizeDeps: { include: ["mermaid"] },
      // Mermaid's core is one lazily loaded chunk of ~1 MB; that is expected, not a warning.
      build: { chunkSizeWarningLimit: 2000 }
    },
    themeConfig: {
      siteTitle: "dotdns spec",
      nav: nav(),
      sidebar: sidebar(),
      outline: { level: [2, 3] },
      search: { provider: "local", options: searchOptions(ruleTitle) },
      footer: {
        message: `Spec ${CURRENT.id} (${SPEC_VERSION}). The prose of spec/${CURRENT.id} is normative; guides and generated pages are not.`
      }
    },
    async buildEnd(site) {
      copyExtras(site.outDir)
      const problems = checkSite(site.outDir)
      writeBuildStamp(site.outDir, { strict: !LINKS_WARN, problems: problems.length })
      if (problems.length === 0) return
      const message = `dotdns site: ${problems.length} broken link(s) or anchor(s):\n${formatProblems(problems)}`
      if (LINKS_WARN) console.warn(message)
      else throw new Error(message)
    }
  })
)
