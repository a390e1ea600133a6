#pragma once
/* Hashing over several slices in one syscall (no concatenation buffer needed).
 * sha256 costs ~85 CU base plus ~1 CU per 2 bytes; at most 20000 slices. */

#include "syscalls.h"

static inline void sha256_slices(const SolBytes *slices, uint64_t count, SolHash *out) { sol_sha256(slices, count, out->x); }

static inline void sha256(const uint8_t *data, uint64_t len, SolHash *out) {
  SolBytes slice = {data, len};
  sol_sha256(&slice, 1, out->x);
}

static inline void keccak256_slices(const SolBytes *slices, uint64_t count, SolHash *out) { sol_keccak256(slices, count, out->x); }
