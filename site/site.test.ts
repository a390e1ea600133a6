/**
 * The spec site in a real browser: builds it (or reuses a fresh, strict build), serves
 * `site/.vitepress/dist` from a static server on 127.0.0.1, and drives headless Chromium through the
 * home page, the navigation, a rule anchor, local search, the version switcher and the rendered state
 * diagrams. Screenshots land in `site/.vitepress/screenshots/`.
 *
 * Chromium is required: CI installs it with `apt-get install chromium`. Without it the test fails —
 * it is never skipped. `DOTDNS_SITE_REBUILD=1` forces a rebuild; `DOTDNS_SITE_REUSE=1` tests whatever build
 * is there (a draft built with `DOTDNS_SITE_LINKS=warn`, say).
 */
import { spawnSync } from "node:child_process"
import { accessSync, constants, existsSync, mkdirSync, readdirSync, statSync } from "node:fs"
import { delimiter, join } from "node:path"
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { readBuildStamp } from "./.vitepress/build.ts"
import { OUT_DIR, REPORTS_DIR, ROOT, SITE_DIR, SPEC_DIR } from "./.vitepress/site-data.ts"
import { serveStatic, type StaticServer } from "./tools/static-server.ts"

const SCREENSHOTS = join(SITE_DIR, ".vitepress", "screenshots")
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync"
]

const isExecutable = (p: string): boolean => {
  try {
    accessSync(p, constants.X_OK)
    return statSync(p).isFile()
  } catch {
    return false
  }
}

/** `/usr/bin/chromium`, else `chromium` (or `chromium-browser`) on PATH; `CHROMIUM_PATH` overrides. */
export const findChromium = (): string => {
  const explicit = process.env.CHROMIUM_PATH
  if (explicit !== undefined && explicit !== "") {
    if (isExecutable(explicit)) return explicit
    throw new Error(`CHROMIUM_PATH=${explicit} is not an executable; install Chromium with \`apt-get install chromium\` or fix CHROMIUM_PATH`)
  }
  const onPath = (process.env.PATH ?? "").split(delimiter).flatMap((d) => [join(d, "chromium"), join(d, "chromium-browser")])
  const found = ["/usr/bin/chromium", ...onPath].find(isExecutable)
  if (found === undefined)
    throw new Error(
      "Chromium not found (looked for /usr/bin/chromium and chromium on PATH). The site test needs a real browser: " +
        "install it with `apt-get install chromium` (or set CHROMIUM_PATH). Do not use `npx playwright install`."
    )
  return found
}

// ------------------------------------------------------------------------------------------------ build

const newestMtime = (dir: string, skip: (name: string) => boolean): number => {
  if (!existsSync(dir)) return 0
  let newest = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (skip(e.name)) continue
    const p = join(dir, e.name)
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p, skip) : statSync(p).mtimeMs)
  }
  return newest
}

/** A build is fresh when it is strict, clean, and newer than everything it is made from. */
const freshBuild = (): boolean => {
  const stamp = readBuildStamp(OUT_DIR)
  if (process.env.DOTDNS_SITE_REBUILD === "1" || stamp === undefined || !stamp.strict || stamp.problems > 0) return false
  const built = statSync(join(OUT_DIR, "index.html")).mtimeMs
  const inputs = Math.max(
    newestMtime(SPEC_DIR, (n) => n === "generated" || n === "node_modules"),
    newestMtime(join(SITE_DIR, ".vitepress"), (n) => n === "cache" || n === "dist" || n === "screenshots"),
    newestMtime(join(SITE_DIR, "tools"), () => false),
    newestMtime(REPORTS_DIR, () => false)
  )
  return built > inputs
}

const build = (): void => {
  if (freshBuild()) return
  if (process.env.DOTDNS_SITE_REUSE === "1" && existsSync(join(OUT_DIR, "index.html"))) return
  const env = { ...process.env }
  delete env.DOTDNS_SITE_LINKS
  const r = spawnSync("npm", ["run", "-s", "site:build"], { cwd: ROOT, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 })
  if (r.status !== 0) throw new Error(`npm run site:build failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`)
}

// ------------------------------------------------------------------------------------------------ pages

/** Evaluated in the page; a string so this file needs no DOM types. */
const ANCHOR_IN_VIEW = (id: string): string => `(() => {
  const el = document.getElementById(${JSON.stringify(id)})
  if (el === null) return { found: false }
  const box = (el.closest("li, p, td") ?? el).getBoundingClientRect()
  const a = el.getBoundingClientRect()
  return { found: true, top: a.top, blockTop: box.top, blockBottom: box.bottom, height: window.innerHeight, hash: location.hash }
})()`

interface AnchorView {
  readonly found: boolean
  readonly top?: number
  readonly blockTop?: number
  readonly blockBottom?: number
  readonly height?: number
  readonly hash?: string
}

const anchorView = async (page: Page, id: string): Promise<AnchorView> => page.evaluate<AnchorView>(ANCHOR_IN_VIEW(id))

const inViewport = (v: AnchorView): boolean =>
  v.found && v.top !== undefined && v.height !== undefined && v.top >= 0 && v.top < v.height && (v.blockBottom ?? 0) > 0

const shot = async (page: Page, name: string, fullPage = false): Promise<void> => {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage })
}

const RULE_HASH = /#([A-Z]+-\d+)$/

describe("spec site in Chromium", () => {
  let server: StaticServer
  let browser: Browser
  let context: BrowserContext
  let page: Page
  const errors: string[] = []

  beforeAll(async () => {
    const executablePath = findChromium()
    build()
    mkdirSync(SCREENSHOTS, { recursive: true })
    server = await serveStatic(OUT_DIR)
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS })
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: "light" })
    page = await context.newPage()
    page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`))
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(`console: ${m.text()}`)
    })
  }, 600_000)

  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  it("serves the home page with the navigation and the version switcher", async () => {
    await page.goto(`${server.url}/`)
    await expect(page.title()).resolves.toContain("dotdns")
    const nav = page.locator(".VPNavBar")
    for (const text of ["Spec v1", "Implementers", "Researchers", "Miners"]) await nav.getByRole("link", { name: text, exact: true }).waitFor()
    // The version switcher lists v1 as a link and v2 as a placeholder that is not one.
    const switcher = nav.locator(".VPFlyout").filter({ hasText: "v1" }).first()
    await switcher.hover()
    await switcher.getByRole("link", { name: "v1 (current)" }).waitFor()
    await switcher.getByText("v2 (planned)").waitFor()
    expect(await switcher.getByRole("link", { name: /v2/ }).count()).toBe(0)
    await shot(page, "home")
    await page.mouse.move(0, 500)
  })

  let ruleId = ""

  it("follows the navigation to the spec and a link to a rule's anchor", async () => {
    await page.locator(".VPNavBar").getByRole("link", { name: "Spec v1", exact: true }).click()
    await page.waitForURL(/\/v1\/$/)
    await page.locator(".vp-doc h1").first().waitFor()
    // The sidebar lists the chapters in order, and the draft extensions in their own group.
    const sidebar = page.locator(".VPSidebar")
    await sidebar.getByText("Draft extensions").waitFor()
    await shot(page, "spec-index")

    // A link to a rule defined on another page.
    const hrefs = await page.evaluate<string[]>(`[...document.querySelectorAll(".vp-doc a[href*='#']")].map((a) => a.getAttribute("href") ?? "")`)
    const here = new URL(page.url()).pathname
    const target = hrefs.find((h) => RULE_HASH.test(h) && !h.startsWith("#") && new URL(h, page.url()).pathname !== here)
    expect(target, "the rule index links to rules defined in the chapters").toBeDefined()
    ruleId = RULE_HASH.exec(target!)![1]!
    const link = page.locator(`.vp-doc a[href="${target!}"]`).first()
    await link.scrollIntoViewIfNeeded()
    await link.click()
    await page.waitForURL((u) => u.hash === `#${ruleId}`)
    expect(new URL(page.url()).pathname).not.toBe(here)
    await expect.poll(async () => inViewport(await anchorView(page, ruleId)), { timeout: 10_000 }).toBe(true)
    const view = await anchorView(page, ruleId)
    expect(view.hash).toBe(`#${ruleId}`)
    // Below the fixed navigation bar, not hidden under it, and highlighted.
    expect(view.blockBottom!).toBeGreaterThan(64)
    await expect.poll(async () => page.locator(`.vp-doc .rule-target:has([id="${ruleId}"])`).count()).toBe(1)
    await shot(page, "rule-anchor")
  })

  it("finds a rule with local search and opens it", async () => {
    await page.goto(`${server.url}/`)
    await page.locator(".VPNavBarSearch button").click()
    const box = page.locator(".VPLocalSearchBox")
    const input = box.locator("input")
    await input.waitFor()
    await input.fill(ruleId)
    const first = box.locator("ul.results li a.result").first()
    await first.waitFor({ timeout: 15_000 })
    await expect(first.getAttribute("href")).resolves.toMatch(new RegExp(`#${ruleId}$`))
    await expect(first.innerText()).resolves.toContain(ruleId)
    await shot(page, "search")
    await first.click()
    await page.waitForURL((u) => u.hash === `#${ruleId}`)
    await expect.poll(async () => inViewport(await anchorView(page, ruleId)), { timeout: 10_000 }).toBe(true)

    // A plain term finds prose too.
    await page.locator(".VPNavBarSearch button").click()
    await input.fill("quorum")
    await box.locator("ul.results li a.result").first().waitFor({ timeout: 15_000 })
    expect(await box.locator("ul.results li").count()).toBeGreaterThan(1)
    await page.keyboard.press("Escape")
  })

  it("renders the state diagrams of the lifecycles page", async () => {
    // From the home page's feature card, then the sidebar link from another page.
    await page.goto(`${server.url}/`)
    await page.locator(".VPFeatures a").filter({ hasText: "Lifecycles" }).click()
    await page.waitForURL(/\/guide\/generated\/lifecycles$/)
    await page.locator(".VPNavBar").getByRole("link", { name: "Implementers", exact: true }).click()
    await page.waitForURL(/\/guide\/implementers$/)
    await page.locator(".VPSidebar").getByRole("link", { name: /Lifecycles/ }).click()
    await page.waitForURL(/\/guide\/generated\/lifecycles$/)
    const diagrams = page.locator(".vp-doc .mermaid")
    const count = await diagrams.count()
    expect(count, "one mermaid block per machine").toBeGreaterThan(0)
    // Mermaid renders client-side: wait for every block to hold its SVG.
    await expect.poll(async () => page.locator(".vp-doc .mermaid svg").count(), { timeout: 60_000 }).toBe(count)
    const svg = page.locator(".vp-doc .mermaid svg").first()
    await expect(svg.getAttribute("aria-roledescription")).resolves.toMatch(/^stateDiagram/)
    expect(await svg.locator("g.node, g.statediagram-state").count()).toBeGreaterThan(1)
    const box = await svg.boundingBox()
    expect(box !== null && box.width > 50 && box.height > 50).toBe(true)
    await svg.scrollIntoViewIfNeeded()
    await shot(page, "lifecycles")
    await shot(page, "lifecycles-full", true)

    // Opened at the second machine's anchor, the diagram rendering above it does not push it away.
    const anchors = await page.evaluate<string[]>(`[...document.querySelectorAll(".vp-doc h2[id]")].map((h) => h.id)`)
    const second = anchors[1] ?? anchors[0]!
    await page.goto(`${server.url}/guide/generated/lifecycles#${second}`)
    await expect.poll(async () => page.locator(".vp-doc .mermaid svg").count(), { timeout: 60_000 }).toBe(count)
    await expect
      .poll(async () => page.evaluate<number>(`document.getElementById(${JSON.stringify(second)}).getBoundingClientRect().top`))
      .toBeLessThan(200)
  })

  it("shows the parameter table and the researchers' reports", async () => {
    await page.goto(`${server.url}/guide/miners`)
    await page.locator(".VPSidebar").getByRole("link", { name: "Parameters", exact: true }).click()
    await page.waitForLoadState()
    await page.locator(".vp-doc table").first().waitFor()
    await expect(page.locator(".vp-doc").innerText()).resolves.toMatch(/epoch_length_slots/)
    await shot(page, "parameters")

    await page.locator(".VPNavBar").getByRole("link", { name: "Researchers", exact: true }).click()
    await page.waitForURL(/\/guide\/researchers$/)
    const doc = page.locator(".vp-doc")
    const hasReports = existsSync(REPORTS_DIR) && readdirSync(REPORTS_DIR).length > 0
    if (hasReports) {
      const report = doc.locator("a[href^='/reports/']").first()
      await report.waitFor()
      const res = await page.request.get(new URL((await report.getAttribute("href"))!, server.url).href)
      expect(res.status()).toBe(200)
      if ((await doc.locator(".report-plots img").count()) > 0)
        await expect
          .poll(async () => page.evaluate<number>(`document.querySelector(".report-plots img").naturalWidth`), { timeout: 10_000 })
          .toBeGreaterThan(0)
    } else await doc.getByText("No reports yet").waitFor()
    await shot(page, "researchers", true)
  })

  it("raised no errors in the browser", () => {
    expect(errors).toEqual([])
  })
})
