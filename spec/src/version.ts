/** The spec version this code implements. Objects, accounts and instructions carry `LAYOUT_VERSION`. [VER-1] */
export const SPEC_VERSION = "1.0.0"
export const LAYOUT_VERSION = 1
