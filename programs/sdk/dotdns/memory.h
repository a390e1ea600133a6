#pragma once
/* memcpy/memset/memcmp/memmove and byte helpers.
 *
 * The four libc names are real functions defined in runtime/memory.c, which the
 * build links into every program, so an explicit call resolves at link time.
 * They run on the sol_mem*_ syscalls (a flat ~10 CU instead of a byte loop).
 *
 * clang-19's BPF backend never emits libcalls itself: it inlines aggregate
 * copies and zeroing up to 1 KiB and fails to compile larger ones
 * ("A call to built-in function 'memcpy' is not supported"). Call memcpy/memset
 * explicitly for big copies. memcpy must not be given overlapping ranges (the
 * syscall faults); use memmove. */

#include "types.h"

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int byte, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/* Keys in the input buffer need not be 8-aligned (the program id follows the
 * instruction data), so compare through the memcmp syscall (~10 CU). */
static inline bool pubkey_eq(const SolPubkey *a, const SolPubkey *b) { return memcmp(a->x, b->x, SIZE_PUBKEY) == 0; }

static inline uint64_t sol_strlen(const char *s) {
  uint64_t n = 0;
  while (s[n] != 0) n++;
  return n;
}

/* Little-endian field access at any alignment, for instruction data and account layouts. */
static inline uint16_t load_u16_le(const uint8_t *p) { return (uint16_t)(p[0] | ((uint16_t)p[1] << 8)); }

static inline uint32_t load_u32_le(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline uint64_t load_u64_le(const uint8_t *p) {
  return (uint64_t)load_u32_le(p) | ((uint64_t)load_u32_le(p + 4) << 32);
}

static inline void store_u16_le(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

static inline void store_u32_le(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static inline void store_u64_le(uint8_t *p, uint64_t v) {
  store_u32_le(p, (uint32_t)v);
  store_u32_le(p + 4, (uint32_t)(v >> 32));
}
