/** The development program id (public keypair in programs/dotdns/dev-program-keypair.json). */
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { fromBase58 } from "./base58.ts"

export const PROGRAM_DIR = fileURLToPath(new URL("../dotdns/", import.meta.url))
export const PROGRAM_SO = `${PROGRAM_DIR}dotdns.so`

const json = JSON.parse(readFileSync(`${PROGRAM_DIR}program-id.json`, "utf8")) as { programId: string }
export const DEV_PROGRAM_ID_BASE58: string = json.programId
export const DEV_PROGRAM_ID: Uint8Array = fromBase58(json.programId)
