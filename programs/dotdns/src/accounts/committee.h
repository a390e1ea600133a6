#pragma once
/* Committee of an epoch, at ("committee", u64(epoch)); `epoch` is its identity field. */
#include "base.h"

static inline uint64_t committee_seeds(SolSignerSeed *s, uint8_t *e8, uint64_t epoch, const uint8_t *bump) {
  store_u64_le(e8, epoch);
  s[0] = (SolSignerSeed)SEED(SEED_COMMITTEE);
  s[1] = (SolSignerSeed){e8, 8};
  if (bump == NULL) return 2;
  s[2] = (SolSignerSeed){bump, 1};
  return 3;
}

/* *out = the committee of `epoch`, or NULL when the slot is uninitialized. */
static inline uint64_t load_committee(const Ctx *ctx, const SolAccountInfo *info, uint64_t epoch, CommitteeAccount **out) {
  TRY(account_data(ctx, info, DISC_COMMITTEE, sizeof(CommitteeAccount), (uint8_t **)out));
  if (*out != NULL && !((*out)->epoch == epoch && (*out)->member_count <= MAX_COMMITTEE)) return ERR_ACC_5; /* only a creation at committee(epoch) writes this epoch */
  return 0;
}

static inline uint64_t committee_absent(const Ctx *ctx, const SolAccountInfo *info, uint64_t epoch, uint64_t rule) {
  SolSignerSeed s[2];
  uint8_t e8[8];
  return absent_rule(ctx, info, s, committee_seeds(s, e8, epoch, NULL), rule);
}

/* memberIndex: the first seat of `key`, or -1. */
static inline int64_t member_index(const CommitteeAccount *c, const Key *key) {
  for (uint64_t i = 0; i < c->member_count; i++)
    if (key_eq(key, c->members[i].key)) return (int64_t)i;
  return -1;
}
