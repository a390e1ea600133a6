/**
 * Mutants: the reference adapter with exactly one function of the executable spec swapped for a
 * subtly wrong one, each breaking a single rule. The suite must fail against every one of them with a
 * shrunk counterexample that names the rule; that is how we know it would notice the same bug in an
 * outside implementation.
 *
 * A mutant is a source patch applied while Node loads the module (a `module.registerHooks` load hook),
 * so the spec files on disk are never touched. Each patch must match its module exactly once; when the
 * spec moves on and a patch no longer applies, the mutant refuses to start rather than test nothing.
 */
import { registerHooks } from "node:module"

export interface Patch {
  readonly find: string
  readonly replace: string
}

export interface Mutant {
  readonly name: string
  /** The rule the mutant breaks. */
  readonly rule: string
  readonly description: string
  /** The module, relative to the repository root. */
  readonly module: string
  /** The function the patch swaps. */
  readonly fn: string
  /** The suite's property that catches it and shrinks it to a counterexample (vectors may catch it too). */
  readonly property: string
  readonly patches: readonly Patch[]
}

// #region mutants
export const MUTANTS: readonly Mutant[] = [
  {
    name: "quorum-off-by-one",
    rule: "QRM-1",
    description: "a route needs strictly more than quorum_bps of committee stake (> instead of ≥)",
    module: "spec/src/transition/rounds.ts",
    fn: "hasQuorum",
    property: "apply/quorum",
    patches: [{ find: "weight > 0n && weight * BPS >= quorumBps * committeeStake", replace: "weight > 0n && weight * BPS > quorumBps * committeeStake" }]
  },
  {
    name: "unsorted-leaves-accepted",
    rule: "BLF-8",
    description: "only a duplicate witness counts as disorder: leaves in decreasing witness order are accepted as sorted",
    module: "spec/src/transition/challenges.ts",
    fn: "processProveBadOrder",
    property: "apply/bad-order",
    patches: [{ find: `ensure(compare(left.witness, right.witness) >= 0, "BLF-8"`, replace: `ensure(compare(left.witness, right.witness) === 0, "BLF-8"` }]
  },
  {
    name: "leaf-hash-untagged",
    rule: "MRK-1",
    description: "a leaf hash is sha256 of the leaf encoding without the domain tag dotdns/v1/leaf",
    module: "spec/src/merkle.ts",
    fn: "leafNode",
    property: "leaf_hash",
    patches: [
      { find: `import { U64_MAX, Writer } from "./codec.ts"`, replace: `import { U64_MAX, Writer } from "./codec.ts"\nimport { createHash } from "node:crypto"` },
      { find: "hash: H(TAGS.leaf, encodeLeaf(leaf))", replace: `hash: new Uint8Array(createHash("sha256").update(encodeLeaf(leaf)).digest())` }
    ]
  },
  {
    name: "timelock-ignored",
    rule: "GOV-15",
    description: "a queued proposal may be executed before its eta epoch",
    module: "spec/src/transition/governance.ts",
    fn: "processExecute",
    property: "apply/timelock",
    patches: [{ find: `ensure(config.currentEpoch >= proposal.etaEpoch, "GOV-15"`, replace: `ensure(true, "GOV-15"` }]
  },
  {
    name: "sum-add-unchecked",
    rule: "MRK-4",
    description: "Merkle-sum addition wraps modulo 2^64 instead of rejecting an overflow (checked add removed)",
    module: "spec/src/merkle.ts",
    fn: "addSum",
    property: "node_hash",
    patches: [{ find: "  const s = a + b\n", replace: "  const s = (a + b) & U64_MAX\n" }]
  },
  {
    name: "trailing-bytes-accepted",
    rule: "ENC-2",
    description: "object decoders ignore bytes after the encoding",
    module: "spec/src/codec.ts",
    fn: "decodeAll",
    property: "decode_receipt",
    patches: [{ find: "  const v = body(r)\n  r.end()\n", replace: "  const v = body(r)\n" }]
  }
]
// #endregion mutants

export const mutant = (name: string): Mutant => {
  const m = MUTANTS.find((x) => x.name === name)
  if (m === undefined) throw new Error(`unknown mutant "${name}"; mutants: ${MUTANTS.map((x) => x.name).join(", ")}`)
  return m
}

/** Applies a mutant's patches to its module's source; throws unless each matches exactly once. */
export const patchSource = (m: Mutant, source: string): string => {
  let out = source
  for (const p of m.patches) {
    const n = out.split(p.find).length - 1
    if (n !== 1) throw new Error(`mutant ${m.name}: the patch for ${m.fn} matches ${n} times in ${m.module} (expected once): ${JSON.stringify(p.find)}`)
    out = out.replace(p.find, () => p.replace)
  }
  return out
}

/**
 * Installs the load hook; must run before the spec is imported. `loaded()` tells afterwards whether
 * the module was loaded (and so patched) at all.
 */
export const installMutant = (name: string): { readonly mutant: Mutant; readonly loaded: () => boolean } => {
  const m = mutant(name)
  let loaded = false
  registerHooks({
    load(url, context, nextLoad) {
      const r = nextLoad(url, context)
      if (!url.endsWith(`/${m.module}`)) return r
      loaded = true
      const source = typeof r.source === "string" ? r.source : Buffer.from(r.source as Uint8Array).toString("utf8")
      return { ...r, source: patchSource(m, source) }
    }
  })
  return { mutant: m, loaded: () => loaded }
}
