/**
 * The dotdns program preloaded when the caller names none: programs/dotdns/dotdns.so under the id
 * in programs/dotdns/program-id.json, once both exist. The id file may hold the address as a JSON
 * string, as {"programId"|"address"|"id": "..."}, or be a Solana CLI keypair (64-number array).
 */
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { base58Encode, isAddressText } from "./encoding.ts"

export interface ProgramSpec {
  readonly programId: string
  readonly soPath: string
}

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url))

export const programIdFromJson = (json: unknown): string | undefined => {
  if (typeof json === "string") return isAddressText(json) ? json : undefined
  if (Array.isArray(json)) {
    if (json.length !== 64 || !json.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) return undefined
    return base58Encode(Uint8Array.from(json.slice(32)))
  }
  if (typeof json === "object" && json !== null) {
    for (const key of ["programId", "address", "id"]) {
      const v: unknown = (json as Record<string, unknown>)[key]
      if (typeof v === "string" && isAddressText(v)) return v
    }
  }
  return undefined
}

export const defaultPrograms = (root: string, log: (line: string) => void): ProgramSpec[] => {
  const soPath = join(root, "programs", "dotdns", "dotdns.so")
  if (!existsSync(soPath)) return []
  const idPath = join(root, "programs", "dotdns", "program-id.json")
  if (!existsSync(idPath)) {
    log(`found ${soPath} but no ${idPath}; not preloading it`)
    return []
  }
  let programId: string | undefined
  try {
    programId = programIdFromJson(JSON.parse(readFileSync(idPath, "utf8")))
  } catch {
    programId = undefined
  }
  if (programId === undefined) {
    log(`${idPath} holds no program id; not preloading ${soPath}`)
    return []
  }
  return [{ programId, soPath }]
}
