#pragma once
/* The round of (epoch, name), at ("round", u64(epoch), name_hash); epoch and name_hash are its identity. */
#include "base.h"

static inline uint64_t round_seeds(SolSignerSeed *s, uint8_t *e8, uint64_t epoch, const uint8_t *name_hash, const uint8_t *bump) {
  store_u64_le(e8, epoch);
  s[0] = (SolSignerSeed)SEED(SEED_ROUND);
  s[1] = (SolSignerSeed){e8, 8};
  s[2] = (SolSignerSeed){name_hash, 32};
  if (bump == NULL) return 3;
  s[3] = (SolSignerSeed){bump, 1};
  return 4;
}

static inline uint64_t load_round(const Ctx *ctx, const SolAccountInfo *info, uint64_t epoch, const uint8_t *name_hash, RoundAccount **out) {
  TRY(account_data(ctx, info, DISC_ROUND, sizeof(RoundAccount), (uint8_t **)out));
  if (*out != NULL && !((*out)->epoch == epoch && eq32((*out)->name_hash, name_hash) && (*out)->route_count <= MAX_ROUTES))
    return ERR_ACC_5; /* only a creation at round(epoch, name_hash) writes these */
  return 0;
}

static inline uint64_t round_absent(const Ctx *ctx, const SolAccountInfo *info, uint64_t epoch, const uint8_t *name_hash, uint64_t rule) {
  SolSignerSeed s[3];
  uint8_t e8[8];
  return absent_rule(ctx, info, s, round_seeds(s, e8, epoch, name_hash, NULL), rule);
}
