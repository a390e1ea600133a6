/* checkNormalized over the bytes the program is given [NAM-2..5]. Rules and order as the spec:
 * length, then the label count and the TLD, then each label's length, characters and hyphens. */
#include "dotdns.h"

static bool ldh(uint8_t c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

uint64_t check_normalized(const uint8_t *name, uint64_t len) {
  if (!(len >= 1 && len <= NAME_MAX)) return ERR_NAM_2; /* a normalized name is 1..253 bytes */
  uint64_t dots = 0, last = 0;
  for (uint64_t i = 0; i < len; i++)
    if (name[i] == '.') {
      dots++;
      last = i + 1;
    }
  if (!(dots >= 1)) return ERR_NAM_4; /* at least one label before .dns */
  if (!(len - last == sizeof(TLD) - 1 && memcmp(name + last, TLD, sizeof(TLD) - 1) == 0)) return ERR_NAM_4; /* ends in .dns */
  uint64_t start = 0;
  for (uint64_t i = 0; i <= len; i++) {
    if (i < len && name[i] != '.') continue;
    uint64_t n = i - start;
    if (!(n >= 1 && n <= LABEL_MAX)) return ERR_NAM_3; /* each label is 1..63 bytes */
    for (uint64_t j = start; j < i; j++)
      if (!(ldh(name[j]))) return ERR_NAM_5; /* lowercase LDH only */
    if (!(name[start] != '-' && name[i - 1] != '-')) return ERR_NAM_5; /* no leading or trailing hyphen */
    start = i + 1;
  }
  return 0;
}
