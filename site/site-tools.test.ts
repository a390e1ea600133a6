/**
 * The site's build pieces without a browser: markdown rules (rule anchors, `rule:` links, README
 * rewrites, drafting shorthands), search sections and tokenizers, the post-build link and anchor check,
 * and the scenario report listing.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createMarkdownRenderer, type MarkdownRenderer } from "vitepress"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { checkSite, formatProblems } from "./.vitepress/build.ts"
import { siteMarkdown } from "./.vitepress/markdown.ts"
import { prefix, splitSections, tokenize, tokenizeQuery } from "./.vitepress/search.ts"
import { generatedAnchor, proseFiles, ruleDefinitions, SPEC_DIR } from "./.vitepress/site-data.ts"
import { CURRENT } from "./.vitepress/versions.ts"
import { findReports, linkRules, reportsPartial } from "./tools/gen-pages.ts"

const temp = (): string => mkdtempSync(join(tmpdir(), "dotdns-site-"))

describe("markdown rules", () => {
  let md: MarkdownRenderer
  beforeAll(async () => {
    md = await createMarkdownRenderer(SPEC_DIR, { config: siteMarkdown }, "/")
  })
  const render = (src: string, relativePath = "guide/test.md"): string =>
    md.render(src, { path: join(SPEC_DIR, relativePath), relativePath, cleanUrls: true })

  it("keeps a rule definition's anchor and makes its label a permalink", () => {
    const html = render('- <a id="QRM-3"></a>**[QRM-3]** At most one route has quorum.', "v1/08-rounds-quorum-finality.md")
    expect(html).toContain('<a id="QRM-3" class="rule-anchor"></a>')
    expect(html).toContain('<a class="rule-id" href="#QRM-3" title="Permalink to QRM-3"><strong>[QRM-3]</strong></a>')
  })

  it("renders the drafting shorthands like the long forms", () => {
    const html = render("- {{ENC-9}} A rule. See [[ENC-9]].", "v1/01-encoding-and-hashing.md")
    expect(html).toContain('<a id="ENC-9" class="rule-anchor"></a>')
    expect(html).not.toContain("{{")
    expect(html).not.toContain("[[")
  })

  it("resolves rule: links to the defining page, and makes undefined rules dead links", () => {
    const def = ruleDefinitions(CURRENT)[0]
    expect(def, "the prose defines rules").toBeDefined()
    const html = render(`[${def!.id}](rule:${def!.id}) and [nope](rule:ZZZ-99)`)
    expect(html).toContain(`href="${def!.href}"`)
    expect(html).toContain(`href="/${CURRENT.id}/undefined-rule-ZZZ-99"`)
  })

  it("points links to a README served as its directory's index at the index", () => {
    const hasReadme = proseFiles(CURRENT).some((f) => f.file === "README.md")
    if (!hasReadme) return
    const html = render("[index](README.md#how-to-read) [up](../v1/README.md)", "v1/00-overview.md")
    expect(html).toContain('href="./#how-to-read"')
    expect(html).not.toContain("README")
  })

  it("anchors generated blocks", () => {
    const html = render("<!-- BEGIN GENERATED: layout Config -->\n\n| a |\n| - |\n| 1 |\n\n<!-- END GENERATED: layout Config -->\n")
    expect(html).toContain(`<div id="${generatedAnchor("layout Config")}" class="generated-block-anchor"></div>`)
    expect(generatedAnchor("layout Config")).toBe("generated-layout-config")
  })
})

describe("search", () => {
  const html = [
    '<h1 id="rounds" tabindex="-1">Rounds <a class="header-anchor" href="#rounds">​</a></h1><p>Intro.</p>',
    '<h2 id="quorum" tabindex="-1">Quorum <a class="header-anchor" href="#quorum">​</a></h2><p>Before the rules.</p>',
    '<ul><li><a id="QRM-1" class="rule-anchor"></a><a class="rule-id" href="#QRM-1"><strong>[QRM-1]</strong></a> First &amp; foremost.</li>',
    '<li><a id="QRM-2" class="rule-anchor"></a><a class="rule-id" href="#QRM-2"><strong>[QRM-2]</strong></a> Second.</li></ul>',
    '<h2 id="finality" tabindex="-1">Finality <a class="header-anchor" href="#finality">​</a></h2><p>After.</p>'
  ].join("")

  it("splits a page into heading sections and one section per rule", () => {
    const sections = splitSections(html, (id) => (id === "QRM-1" ? "Quorum needs stake" : undefined))
    expect(sections.map((s) => [s.anchor, s.titles.join(" > ")])).toEqual([
      ["rounds", "Rounds"],
      ["quorum", "Rounds > Quorum"],
      ["QRM-1", "Rounds > Quorum > QRM-1 · Quorum needs stake"],
      ["QRM-2", "Rounds > Quorum > QRM-2"],
      ["finality", "Rounds > Finality"]
    ])
    expect(sections[2]!.text).toBe("[QRM-1] First & foremost.")
  })

  it("keeps rule ids whole", () => {
    expect(tokenize("see QRM-3, then")).toEqual(["see", "QRM", "3", "then", "QRM-3"])
    expect(tokenizeQuery("qrm-3 quorum")).toEqual(["qrm-3", "quorum"])
    expect(prefix("qrm-1")).toBe(false)
    expect(prefix("quor")).toBe(true)
  })
})

describe("link check", () => {
  let dir: string
  beforeAll(() => {
    dir = temp()
    mkdirSync(join(dir, "v1"))
    writeFileSync(join(dir, "index.html"), '<a href="/v1/a#X-1">ok</a><a href="/v1/a#X-2">bad anchor</a><a href="/v1/missing">bad page</a><a href="https://x.org">ext</a>')
    writeFileSync(join(dir, "v1", "a.html"), '<p><a id="X-1"></a></p><a href="#X-1">self</a><a href="./#top">index</a><a href="/v1/undefined-rule-ZZZ-9">rule</a>')
    writeFileSync(join(dir, "v1", "index.html"), '<h1 id="top">Top</h1>')
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it("reports missing pages, missing anchors and undefined rules, and nothing else", () => {
    const problems = checkSite(dir)
    expect(problems.map((p) => [p.page, p.problem, p.href])).toEqual([
      ["index.html", "no such anchor", "/v1/a#X-2"],
      ["index.html", "no such page", "/v1/missing"],
      ["v1/a.html", "undefined rule", "/v1/undefined-rule-ZZZ-9"]
    ])
    expect(formatProblems(problems)).toContain("no such anchor: /v1/a#X-2")
  })
})

describe("scenario reports", () => {
  let dir: string
  beforeAll(() => {
    dir = temp()
    mkdirSync(join(dir, "collusion", "run-1"), { recursive: true })
    mkdirSync(join(dir, "collusion", "run-2"), { recursive: true })
    writeFileSync(join(dir, "collusion", "run-1", "index.html"), "old")
    writeFileSync(join(dir, "collusion", "run-2", "index.html"), "new")
    writeFileSync(join(dir, "collusion", "run-2", "finality.svg"), "<svg/>")
    writeFileSync(join(dir, "collusion", "run-1", "stale.svg"), "<svg/>")
    writeFileSync(join(dir, "baseline.png"), "png")
    const old = new Date(Date.now() - 3_600_000)
    utimesSync(join(dir, "collusion", "run-1", "index.html"), old, old)
    utimesSync(join(dir, "collusion", "run-1", "stale.svg"), old, old)
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it("lists the newest report of each scenario with the plots next to it", () => {
    const reports = findReports(dir)
    expect(reports.map((r) => [r.scenario, r.html, r.plots])).toEqual([
      ["baseline", undefined, ["baseline.png"]],
      ["collusion", "collusion/run-2/index.html", ["collusion/run-2/finality.svg"]]
    ])
    const md = reportsPartial(reports, [])
    expect(md).toContain('href="/reports/collusion/run-2/index.html"')
    expect(md).toContain(`:src="'/reports/collusion/run-2/finality.svg'"`)
    expect(md).not.toContain("No reports yet")
  })

  it("says how to get reports when there are none", () => {
    expect(reportsPartial([], [])).toContain("No reports yet")
    expect(reportsPartial([], [])).toContain("dotdns sim run")
  })

  it("links only rules the prose defines", () => {
    expect(linkRules("see [QRM-3] and ZZZ-1", new Set(["QRM-3"]))).toBe("see [QRM-3](rule:QRM-3) and ZZZ-1")
  })
})
