/**
 * Every numbered rule of spec v1. A rule id (e.g. `QRM-3`) is cited by the prose in `spec/v1`, by the
 * vectors and tests that exercise it, and by the program, which returns `code` as its custom error.
 * Codes are `100 × family + n`, so a code read off a failed transaction names its rule.
 */
export const FAMILIES = {
  ENC: 1, HSH: 2, SIG: 3, NAM: 4, RTE: 5, RCP: 6, MRK: 7, AGG: 8, STK: 9, EPC: 10, CMT: 11,
  RND: 12, QRM: 13, EQV: 14, BLF: 15, RVL: 16, SLS: 17, GOV: 18, RWD: 19, ACC: 20, CLI: 21, API: 22, VER: 23, CNF: 24, EXT: 25
} as const
export type Family = keyof typeof FAMILIES
export type RuleId = `${Family}-${number}`

// #region rule-code
export const ruleCode = (rule: RuleId): number => {
  const [family, n] = rule.split("-") as [Family, string]
  return FAMILIES[family] * 100 + Number(n)
}
// #endregion rule-code

export const ruleOfCode = (code: number): RuleId | undefined => {
  const family = (Object.keys(FAMILIES) as Family[]).find((f) => FAMILIES[f] === Math.floor(code / 100))
  return family === undefined ? undefined : `${family}-${code % 100}`
}
