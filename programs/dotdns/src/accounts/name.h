#pragma once
/* A registered name, at ("name", name_hash); `name_hash` is its identity field. */
#include "base.h"

static inline uint64_t name_seeds(SolSignerSeed *s, const uint8_t *name_hash, const uint8_t *bump) {
  s[0] = (SolSignerSeed)SEED(SEED_NAME);
  s[1] = (SolSignerSeed){name_hash, 32};
  if (bump == NULL) return 2;
  s[2] = (SolSignerSeed){bump, 1};
  return 3;
}

static inline uint64_t load_name(const Ctx *ctx, const SolAccountInfo *info, const uint8_t *name_hash, NameAccount **out) {
  TRY(account_data(ctx, info, DISC_NAME, sizeof(NameAccount), (uint8_t **)out));
  if (*out != NULL && !eq32((*out)->name_hash, name_hash)) return ERR_ACC_5; /* only a creation at name(name_hash) writes this hash */
  return 0;
}

static inline uint64_t name_absent(const Ctx *ctx, const SolAccountInfo *info, const uint8_t *name_hash, uint64_t rule) {
  SolSignerSeed s[2];
  return absent_rule(ctx, info, s, name_seeds(s, name_hash, NULL), rule);
}
