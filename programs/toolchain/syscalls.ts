// Syscalls the runtime (agave's program-runtime-environment v1) registers for
// SBPF v0 programs. A call to a name outside this list loads fine in tests and
// fails only when executed, so the linker refuses it up front.
//
// `sol_alloc_free_` is deliberately absent: deployment of programs that use it
// is rejected by the cluster (disable_deploy_of_alloc_free_syscall).

import { hashSymbolName } from "./murmur3.ts"

export interface SyscallInfo {
  readonly name: string
  readonly summary: string
}

export const SYSCALLS: readonly SyscallInfo[] = [
  { name: "abort", summary: "halt the program with an error" },
  { name: "sol_panic_", summary: "halt with file/line/column (file, len, line, column)" },
  { name: "sol_log_", summary: "log a UTF-8 message (ptr, len)" },
  { name: "sol_log_64_", summary: "log five u64 values in hex" },
  { name: "sol_log_pubkey", summary: "log a 32-byte key in base58" },
  { name: "sol_log_compute_units_", summary: "log remaining compute units" },
  { name: "sol_log_data", summary: "log byte slices as base64 'Program data:'" },
  { name: "sol_create_program_address", summary: "derive a PDA from seeds (incl. bump)" },
  { name: "sol_try_find_program_address", summary: "search for a PDA and its bump" },
  { name: "sol_sha256", summary: "SHA-256 over an array of byte slices" },
  { name: "sol_keccak256", summary: "Keccak-256 over an array of byte slices" },
  { name: "sol_blake3", summary: "BLAKE3 over an array of byte slices (feature-gated)" },
  { name: "sol_secp256k1_recover", summary: "recover a secp256k1 public key" },
  { name: "sol_curve_validate_point", summary: "curve25519 point validation (feature-gated)" },
  { name: "sol_curve_group_op", summary: "curve25519 group operation (feature-gated)" },
  { name: "sol_curve_multiscalar_mul", summary: "curve25519 multiscalar multiplication (feature-gated)" },
  { name: "sol_curve_decompress", summary: "curve point decompression (feature-gated)" },
  { name: "sol_curve_pairing_map", summary: "curve pairing map (feature-gated)" },
  { name: "sol_get_clock_sysvar", summary: "copy the Clock sysvar (40 bytes)" },
  { name: "sol_get_epoch_schedule_sysvar", summary: "copy the EpochSchedule sysvar" },
  { name: "sol_get_fees_sysvar", summary: "copy the deprecated Fees sysvar (feature-gated)" },
  { name: "sol_get_rent_sysvar", summary: "copy the Rent sysvar" },
  { name: "sol_get_last_restart_slot", summary: "copy the LastRestartSlot sysvar (feature-gated)" },
  { name: "sol_get_epoch_rewards_sysvar", summary: "copy the EpochRewards sysvar" },
  { name: "sol_get_sysvar", summary: "copy a byte range of any sysvar (feature-gated)" },
  { name: "sol_get_epoch_stake", summary: "stake of a vote account this epoch (feature-gated)" },
  { name: "sol_memcpy_", summary: "copy non-overlapping memory" },
  { name: "sol_memmove_", summary: "copy possibly overlapping memory" },
  { name: "sol_memset_", summary: "fill memory with a byte" },
  { name: "sol_memcmp_", summary: "compare memory, result written through a pointer" },
  { name: "sol_get_processed_sibling_instruction", summary: "read an earlier sibling instruction" },
  { name: "sol_get_stack_height", summary: "current invocation depth" },
  { name: "sol_set_return_data", summary: "set the instruction's return data (<= 1024 bytes)" },
  { name: "sol_get_return_data", summary: "read the last return data" },
  { name: "sol_invoke_signed_c", summary: "cross-program invocation, C structs" },
  { name: "sol_invoke_signed_rust", summary: "cross-program invocation, Rust structs" },
  { name: "sol_alt_bn128_group_op", summary: "alt_bn128 add/mul/pairing (feature-gated)" },
  { name: "sol_alt_bn128_compression", summary: "alt_bn128 point compression (feature-gated)" },
  { name: "sol_big_mod_exp", summary: "big integer modular exponentiation (feature-gated)" },
  { name: "sol_poseidon", summary: "Poseidon hash (feature-gated)" },
  { name: "sol_remaining_compute_units", summary: "remaining compute units (feature-gated)" },
]

const BY_NAME: ReadonlyMap<string, SyscallInfo> = new Map(SYSCALLS.map((s) => [s.name, s]))

export const isKnownSyscall = (name: string): boolean => BY_NAME.has(name)

/** Loader keys of every syscall; internal call keys must avoid these. */
export const syscallHashes = (): ReadonlyMap<number, string> =>
  new Map(SYSCALLS.map((s) => [hashSymbolName(s.name), s.name]))

const editDistance = (a: string, b: string): number => {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1))
      diagonal = above
    }
  }
  return row[b.length]!
}

/** Closest registered syscall, for "did you mean" hints on typos. */
export const suggestSyscall = (name: string): string | undefined => {
  let best: { name: string; distance: number } | undefined
  for (const s of SYSCALLS) {
    const distance = editDistance(name, s.name)
    if (best === undefined || distance < best.distance) best = { name: s.name, distance }
  }
  return best !== undefined && best.distance <= Math.max(2, Math.floor(name.length / 4)) ? best.name : undefined
}

/** Names that look like they were meant to be syscalls rather than program functions. */
export const looksLikeSyscall = (name: string): boolean => name.startsWith("sol_") || suggestSyscall(name) !== undefined
