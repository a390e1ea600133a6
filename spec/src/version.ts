// #region spec-version
/** The spec version this code implements. Objects and accounts carry `LAYOUT_VERSION`. [VER-1] */
export const SPEC_VERSION = "1.0.0"
export const LAYOUT_VERSION = 1
// #endregion spec-version
