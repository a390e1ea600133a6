/**
 * Names [NAM]: first come, first served, for a registration fee that goes to the reward pool (a toll).
 * Names do not expire in v1 [NAM-8]; the prose weighs that against squatting.
 */
import { DISCRIMINATORS, HINT_FIELD, NAME_FIELD, type NameAccount } from "../accounts.ts"
import { equal, zeros } from "../bytes.ts"
import { checkNormalized, nameHash } from "../name.ts"
import type { OpOf } from "../ops.ts"
import { add, configOf, deposit, ensure, nameKey, p, type Env, type State } from "../state.ts"
import { LAYOUT_VERSION } from "../version.ts"

// #region register-name
export const processRegisterName = (s: State, op: OpOf<"registerName">, _env: Env): void => {
  const config = configOf(s)
  // The program sees only the normalized form and checks it byte by byte [NAM-2..5].
  const bad = checkNormalized(op.name)
  if (bad) throw bad
  const hash = nameHash(op.name)
  // First come, first served [NAM-7].
  ensure(!s.names.has(nameKey(hash)), "NAM-7", `${op.name} is already registered`)

  const fee = p(s, "registrationFee")
  deposit(s, op.owner, fee)
  config.rewardPool = add(config.rewardPool, fee)
  const raw = new TextEncoder().encode(op.name)
  const field = zeros(NAME_FIELD)
  field.set(raw)
  const account: NameAccount = {
    disc: DISCRIMINATORS.Name,
    version: LAYOUT_VERSION,
    nameLen: raw.length,
    nameHash: hash,
    owner: new Uint8Array(op.owner),
    routeHash: zeros(32),
    serial: 0n,
    routeEpoch: 0n,
    registeredEpoch: config.currentEpoch,
    name: field,
    hint: zeros(HINT_FIELD)
  }
  s.names.set(nameKey(hash), account)
}
// #endregion register-name

// #region transfer-name
export const processTransferName = (s: State, op: OpOf<"transferName">, _env: Env): void => {
  // A Name exists only after initialization, so the name check covers it; the instruction reads no Config.
  const name = s.names.get(nameKey(op.nameHash))
  ensure(name !== undefined, "NAM-9", "the name is not registered")
  // Only the current owner transfers [NAM-10].
  ensure(equal(name.owner, op.owner), "NAM-10", "only the owner may transfer a name")
  name.owner = new Uint8Array(op.newOwner)
}
// #endregion transfer-name
