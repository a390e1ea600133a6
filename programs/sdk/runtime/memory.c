/* Out-of-line definitions of the libc memory functions, linked into every
 * program so explicit calls resolve at link time. */

#include "../dotdns/memory.h"
#include "../dotdns/syscalls.h"

void *memcpy(void *dst, const void *src, size_t n) {
  sol_memcpy_(dst, src, n);
  return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
  sol_memmove_(dst, src, n);
  return dst;
}

void *memset(void *dst, int byte, size_t n) {
  sol_memset_(dst, (uint64_t)(uint8_t)byte, n);
  return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
  int32_t result = 0;
  sol_memcmp_(a, b, n, &result);
  return result;
}
