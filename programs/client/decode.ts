/** Account bytes → spec account structs, checking discriminator and version first [ACC-1]. */
import { ACCOUNTS, DISCRIMINATORS, type AccountKind } from "../../spec/src/accounts.ts"
import { equal } from "../../spec/src/bytes.ts"
import { decodeFixed, type StructValue } from "../../spec/src/layout.ts"
import { LAYOUT_VERSION } from "../../spec/src/version.ts"

type LayoutOf<K extends AccountKind> = (typeof ACCOUNTS)[K]["layout"]
export type AccountOf<K extends AccountKind> = StructValue<LayoutOf<K>["fields"]>

export const decodeAccount = <K extends AccountKind>(kind: K, data: Uint8Array): AccountOf<K> | undefined => {
  const layout = ACCOUNTS[kind].layout
  if (data.length !== layout.size) return undefined
  if (!equal(data.subarray(0, 8), DISCRIMINATORS[kind]) || data[8] !== LAYOUT_VERSION) return undefined
  return decodeFixed(layout, data, kind) as AccountOf<K>
}
