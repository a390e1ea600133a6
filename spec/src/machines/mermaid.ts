/**
 * Mermaid `stateDiagram-v2` text for a machine, with each edge labelled `event [guard]`. Composite
 * states nest; parallel regions are separated by `--`. Mermaid cannot draw an edge between states
 * inside different composites, so such an edge is drawn from the composite that holds its source,
 * and its label names the inner state it leaves from.
 */
import type { AnyStateMachine } from "xstate"
import { edgeOf, nodeName } from "./common.ts"

interface NodeLike {
  readonly key: string
  readonly path: readonly string[]
  readonly type: string
  readonly states: Readonly<Record<string, NodeLike>>
  readonly initial?: { readonly target: readonly { readonly key: string }[] } | undefined
  readonly transitions: ReadonlyMap<string, readonly Parameters<typeof edgeOf>[0][]>
}

const idOf = (path: readonly string[]): string => (path.length === 0 ? "root" : path.join("_"))

const childrenOf = (n: NodeLike): NodeLike[] => Object.values(n.states)

/** The child of `ancestor` on the way down to `path` (or the node itself when it is that child). */
const lift = (path: readonly string[], ancestor: readonly string[]): readonly string[] => path.slice(0, ancestor.length + 1)

const commonPrefix = (a: readonly string[], b: readonly string[]): string[] => {
  const out: string[] = []
  for (let i = 0; i < Math.min(a.length, b.length) && a[i] === b[i]; i++) out.push(a[i]!)
  return out
}

const label = (event: string, guard: string, from?: string): string => {
  const text = `${event}${guard === "" ? "" : ` [${guard}]`}${from === undefined ? "" : ` (from ${from})`}`
  return text.replace(/[:;#]/g, " ")
}

export const toMermaid = (machine: AnyStateMachine): string => {
  const root = machine.root as unknown as NodeLike
  // Edges grouped by the composite they are drawn in: the deepest one containing both ends.
  const edgesIn = new Map<string, string[]>()
  const walk = (n: NodeLike): void => {
    for (const ts of n.transitions.values())
      for (const t of ts) {
        const e = edgeOf(t)
        const src = t.source.path
        const tgt = t.target !== undefined && t.target.length > 0 ? t.target[0]!.path : src
        // A parallel region's edges live in the region; the composite's own edges in its parent.
        let scope = commonPrefix(src, tgt)
        if (scope.length === src.length || scope.length === tgt.length) scope = scope.slice(0, Math.min(src.length, tgt.length) - 1)
        const from = lift(src, scope)
        const to = lift(tgt, scope)
        const line = `${idOf(from)} --> ${idOf(to)} : ${label(e.event, e.guard, from.length < src.length ? nodeName(src.slice(from.length)) : undefined)}`
        const k = idOf(scope)
        edgesIn.set(k, [...(edgesIn.get(k) ?? []), line])
      }
    childrenOf(n).forEach(walk)
  }
  walk(root)

  const lines: string[] = ["stateDiagram-v2"]
  const body = (n: NodeLike, indent: string): void => {
    const kids = childrenOf(n)
    if (n.type === "parallel") {
      kids.forEach((k, i) => {
        if (i > 0) lines.push(`${indent}--`)
        block(k, indent)
      })
    } else {
      const initial = n.initial?.target[0]
      if (initial !== undefined) lines.push(`${indent}[*] --> ${idOf([...n.path, initial.key])}`)
      for (const k of kids) {
        if (kids.length > 0 && childrenOf(k).length > 0) block(k, indent)
        else lines.push(`${indent}state "${k.key}" as ${idOf(k.path)}`)
        if (k.type === "final") lines.push(`${indent}${idOf(k.path)} --> [*]`)
      }
    }
    for (const line of edgesIn.get(idOf(n.path)) ?? []) lines.push(`${indent}${line}`)
  }
  const block = (n: NodeLike, indent: string): void => {
    lines.push(`${indent}state "${n.key}" as ${idOf(n.path)} {`)
    body(n, `${indent}  `)
    lines.push(`${indent}}`)
  }
  body(root, "  ")
  return lines.join("\n")
}
