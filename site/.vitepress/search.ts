/**
 * Local search tuned for a spec: besides one entry per heading (VitePress's default), every rule
 * definition `<a id="QRM-3">` is an entry of its own whose title is the rule id and its catalogue
 * statement, so searching "QRM-3" lands on the rule's anchor rather than on the section around it.
 * Rule ids are also kept whole as search terms (the default tokenizer splits "QRM-3" into "QRM", "3").
 */
import type { DefaultTheme } from "vitepress"

export interface Section {
  readonly anchor: string
  readonly titles: string[]
  readonly text: string
}

const HEADING_OR_RULE = /<h([1-6])[^>]*>(.*?)<\/h\1>|<a id="([A-Z]+-\d+)"[^>]*>/gis
const HEADING_CONTENT = /(.*?)<a[^>]*? href="#([^"]*)"[^>]*>.*?<\/a>/is

const clearTags = (s: string): string => s.replace(/<[^>]*>/g, "")
const unescape = (s: string): string =>
  s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&")
const clean = (s: string): string => unescape(clearTags(s)).replace(/\s+/g, " ").trim()

/** Splits a rendered page into heading sections and rule sections, in document order. */
export const splitSections = (html: string, ruleTitle: (id: string) => string | undefined): Section[] => {
  const out: Section[] = []
  let parents: string[] = []
  let current: { anchor: string; titles: string[]; from: number } | undefined
  const close = (to: number): void => {
    if (current === undefined) return
    const text = clean(html.slice(current.from, to))
    if (current.titles.length > 0 && (text !== "" || current.anchor !== "")) out.push({ anchor: current.anchor, titles: current.titles, text })
    current = undefined
  }
  for (const m of html.matchAll(HEADING_OR_RULE)) {
    close(m.index)
    const from = m.index + m[0].length
    if (m[3] !== undefined) {
      const id = m[3]
      const statement = ruleTitle(id)
      const trail = parents.filter((t): t is string => typeof t === "string" && t !== "")
      current = { anchor: id, titles: [...trail, statement === undefined ? id : `${id} · ${statement}`], from }
      continue
    }
    const level = Number(m[1]) - 1
    const h = HEADING_CONTENT.exec(m[2]!)
    const title = clean(h?.[1] ?? m[2]!)
    if (title === "") continue
    const titles = [...parents.slice(0, level), title].filter((t): t is string => typeof t === "string" && t !== "")
    parents = [...parents.slice(0, level)]
    parents[level] = title
    current = { anchor: h?.[2] ?? "", titles, from }
  }
  close(html.length)
  return out
}

/**
 * MiniSearch tokenizer for indexing: words split at spaces and punctuation, plus every rule id whole.
 * VitePress ships these functions to the browser as source text, so none may refer to anything
 * outside itself.
 */
export const tokenize = (text: string): string[] => {
  const words = text.split(/[\n\r\p{Z}\p{P}]+/u).filter((w) => w !== "")
  const ids = text.match(/\b[A-Z]{2,4}-\d{1,3}\b/g)
  return ids === null ? words : words.concat(ids)
}

/** Query tokenizer: a rule id in the query stays whole, so "QRM-3" asks for QRM-3 and not "QRM" and "3". */
export const tokenizeQuery = (text: string): string[] => {
  const ids: string[] = text.match(/\b[A-Za-z]{2,4}-\d{1,3}\b/g) ?? []
  const rest = text.replace(/\b[A-Za-z]{2,4}-\d{1,3}\b/g, " ")
  return ids.concat(rest.split(/[\n\r\p{Z}\p{P}]+/u).filter((w) => w !== ""))
}

/** Rule ids match exactly — QRM-3 is not a typo of QRM-4 — other terms fuzzily. */
export const fuzzy = (term: string): number | false => (/^[a-z]{2,4}-\d{1,3}$/i.test(term) ? false : 0.2)

/** Rule ids match whole — QRM-1 is not a prefix of QRM-10 — other terms as prefixes. */
export const prefix = (term: string): boolean => !/^[a-z]{2,4}-\d{1,3}$/i.test(term)

export const searchOptions = (ruleTitle: (id: string) => string | undefined): DefaultTheme.LocalSearchOptions => ({
  miniSearch: {
    options: { tokenize },
    searchOptions: { tokenize: tokenizeQuery, fuzzy, prefix, boost: { title: 4, text: 2, titles: 1 } },
    _splitIntoSections: (_file: string, html: string) =>
      splitSections(html, ruleTitle).map((s) => ({ anchor: s.anchor, titles: s.titles, text: s.text }))
  }
})
