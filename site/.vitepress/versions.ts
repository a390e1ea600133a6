/**
 * Spec versions the site knows about, newest last. Each `spec/<id>/` directory of a version with a
 * status other than "planned" becomes a section of the site with its own sidebar; the nav's version
 * switcher lists every entry, a planned one as a disabled placeholder. Publishing v2 is one line:
 * flip its status (and mark v1 "superseded").
 */
export type VersionStatus = "current" | "draft" | "superseded" | "planned"

export interface SpecVersion {
  /** Directory under `spec/` and URL prefix: `spec/v1/` is served at `/v1/`. */
  readonly id: string
  readonly status: VersionStatus
}

export const VERSIONS: readonly SpecVersion[] = [
  { id: "v1", status: "current" },
  { id: "v2", status: "planned" }
]

export const CURRENT: SpecVersion = VERSIONS.find((v) => v.status === "current") ?? VERSIONS[0]!

export const published = (v: SpecVersion): boolean => v.status !== "planned"

export const versionLabel = (v: SpecVersion): string =>
  v.status === "current" ? `${v.id} (current)` : v.status === "planned" ? `${v.id} (planned)` : `${v.id} (${v.status})`
