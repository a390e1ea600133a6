#pragma once
/* Exact 64x64->128 multiply and floor(a*b/c) without 128-bit types.
 *
 * clang would lower unsigned __int128 arithmetic to __multi3/__udivti3
 * libcalls, which the BPF backend cannot emit and no SBF runtime provides, so
 * the 128-bit value is kept as two u64 halves. Stock BPF has no signed
 * division either: keep money math unsigned. */

#include "types.h"

/* (hi:lo) = a * b, exact. ~20 instructions. */
static inline void mul_u64_wide(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo) {
  const uint64_t mask = 0xffffffffUL;
  uint64_t a0 = a & mask, a1 = a >> 32;
  uint64_t b0 = b & mask, b1 = b >> 32;
  uint64_t p00 = a0 * b0;
  uint64_t p01 = a0 * b1;
  uint64_t p10 = a1 * b0;
  uint64_t p11 = a1 * b1;
  /* Sum of three values below 2^32 each, so it cannot overflow. */
  uint64_t middle = (p00 >> 32) + (p01 & mask) + (p10 & mask);
  *lo = (middle << 32) | (p00 & mask);
  *hi = p11 + (p01 >> 32) + (p10 >> 32) + (middle >> 32);
}

/* Number of leading zero bits of a non-zero value; BPF has no clz instruction. */
static inline unsigned leading_zeros_u64(uint64_t x) {
  unsigned n = 0;
  if ((x >> 32) == 0) { n += 32; x <<= 32; }
  if ((x >> 48) == 0) { n += 16; x <<= 16; }
  if ((x >> 56) == 0) { n += 8; x <<= 8; }
  if ((x >> 60) == 0) { n += 4; x <<= 4; }
  if ((x >> 62) == 0) { n += 2; x <<= 2; }
  if ((x >> 63) == 0) { n += 1; }
  return n;
}

/* One step of schoolbook division in base 2^32: divides the three-digit value
 * (top:next) by the normalised two-digit divisor (d1:d0), where top < d.
 * Returns the quotient digit; `*rest` gets the two-digit remainder. */
static inline uint64_t div_step_u32(uint64_t top, uint64_t next, uint64_t d, uint64_t d1, uint64_t d0, uint64_t *rest) {
  const uint64_t base = 1UL << 32;
  uint64_t q = top / d1;
  uint64_t r = top - q * d1;
  /* The estimate from the leading digit is at most two too large. */
  while (q >= base || q * d0 > ((r << 32) | next)) {
    q -= 1;
    r += d1;
    if (r >= base) break;
  }
  *rest = ((top << 32) | next) - q * d;
  return q;
}

/* Quotient of (hi:lo) / d when hi < d (so it fits in 64 bits); remainder to *rem. */
static inline uint64_t div_u128_by_u64(uint64_t hi, uint64_t lo, uint64_t d, uint64_t *rem) {
  unsigned shift = leading_zeros_u64(d);
  d <<= shift;
  uint64_t top = shift == 0 ? hi : (hi << shift) | (lo >> (64 - shift));
  uint64_t low = lo << shift;
  uint64_t d1 = d >> 32, d0 = d & 0xffffffffUL;
  uint64_t middle;
  uint64_t q1 = div_step_u32(top, low >> 32, d, d1, d0, &middle);
  uint64_t r;
  uint64_t q0 = div_step_u32(middle, low & 0xffffffffUL, d, d1, d0, &r);
  *rem = r >> shift;
  return (q1 << 32) | q0;
}

/* *out = floor(a * b / c), exact. False when c == 0 or the quotient exceeds u64. */
static inline bool mul_div_u64(uint64_t a, uint64_t b, uint64_t c, uint64_t *out) {
  if (c == 0) return false;
  uint64_t hi, lo;
  mul_u64_wide(a, b, &hi, &lo);
  if (hi >= c) return false;
  if (hi == 0) {
    *out = lo / c;
    return true;
  }
  uint64_t rem;
  *out = div_u128_by_u64(hi, lo, c, &rem);
  return true;
}

/* Same, rounding up: ceil(a * b / c). */
static inline bool mul_div_u64_ceil(uint64_t a, uint64_t b, uint64_t c, uint64_t *out) {
  if (c == 0) return false;
  uint64_t hi, lo;
  mul_u64_wide(a, b, &hi, &lo);
  if (hi >= c) return false;
  uint64_t q, rem;
  if (hi == 0) {
    q = lo / c;
    rem = lo % c;
  } else {
    q = div_u128_by_u64(hi, lo, c, &rem);
  }
  if (rem != 0) {
    if (q == UINT64_MAX) return false;
    q += 1;
  }
  *out = q;
  return true;
}

static inline bool checked_add_u64(uint64_t a, uint64_t b, uint64_t *out) {
  *out = a + b;
  return *out >= a;
}

static inline bool checked_sub_u64(uint64_t a, uint64_t b, uint64_t *out) {
  if (b > a) return false;
  *out = a - b;
  return true;
}

static inline bool checked_mul_u64(uint64_t a, uint64_t b, uint64_t *out) {
  uint64_t hi, lo;
  mul_u64_wide(a, b, &hi, &lo);
  *out = lo;
  return hi == 0;
}
