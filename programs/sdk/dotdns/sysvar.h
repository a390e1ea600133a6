#pragma once
/* Sysvars read through syscalls (no sysvar account needed). */

#include "math.h"
#include "memory.h"
#include "syscalls.h"

typedef struct {
  uint64_t slot;
  int64_t epoch_start_timestamp;
  uint64_t epoch;
  uint64_t leader_schedule_epoch;
  int64_t unix_timestamp; /* seconds, from validator votes; monotone per slot but coarse */
} SolClock;
_Static_assert(sizeof(SolClock) == 40, "SolClock must match the Clock sysvar layout");

/* ~100 CU plus syscall overhead. Returns false only if the runtime refuses. */
static inline bool get_clock(SolClock *out) { return sol_get_clock_sysvar(out) == 0; }

typedef struct {
  uint64_t lamports_per_byte_year;
  uint8_t exemption_threshold[8]; /* an f64; SBF has no floating point, so it is kept as bytes */
  uint8_t burn_percent;
} SolRent;

static inline bool get_rent(SolRent *out) { return sol_get_rent_sysvar(out) == 0; }

/* Rent-exempt minimum for an account with `data_len` bytes: floor((128 + data_len)
 * * lamports_per_byte_year * exemption_threshold), as the runtime computes it.
 * The threshold is an f64 (LiteSVM 1.5 reports 1.0 with 6960 lamports per
 * byte-year; it used to be 2.0 with 3480); it is decoded
 * and applied in integers, exact whenever the runtime's own f64 product is (any
 * integral threshold). False on overflow or a negative/non-finite threshold. */
static inline bool rent_exempt_minimum(const SolRent *rent, uint64_t data_len, uint64_t *out) {
  uint64_t bytes, base;
  if (!checked_add_u64(data_len, 128, &bytes) || !checked_mul_u64(bytes, rent->lamports_per_byte_year, &base)) return false;
  uint64_t bits = load_u64_le(rent->exemption_threshold);
  uint64_t exponent = (bits >> 52) & 0x7ff;
  uint64_t fraction = bits & ((1UL << 52) - 1);
  if ((bits >> 63) != 0 || exponent == 0x7ff) return false;
  if (exponent == 0) {
    *out = 0; /* zero or subnormal: below one lamport for any u64 base */
    return true;
  }
  /* threshold = (2^52 + fraction) * 2^(exponent - 1075) */
  uint64_t hi, lo;
  mul_u64_wide(base, (1UL << 52) | fraction, &hi, &lo);
  if (exponent >= 1075) {
    uint64_t shift = exponent - 1075;
    if (hi != 0 || shift >= 64 || (shift > 0 && (lo >> (64 - shift)) != 0)) return false;
    *out = lo << shift;
    return true;
  }
  uint64_t shift = 1075 - exponent;
  if (shift >= 128) {
    *out = 0;
  } else if (shift >= 64) {
    *out = hi >> (shift - 64);
  } else {
    if ((hi >> shift) != 0) return false;
    *out = shift == 0 ? lo : (lo >> shift) | (hi << (64 - shift));
  }
  return true;
}
