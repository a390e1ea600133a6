#pragma once
/* A miner's aggregate in a round, at ("aggregate", u64(epoch), name_hash, miner). The LeafRef's
 * epoch, name_hash and miner name it (its index is ignored here). */
#include "base.h"

static inline uint64_t aggregate_seeds(SolSignerSeed *s, uint8_t *e8, const LeafRef *ref, const uint8_t *bump) {
  store_u64_le(e8, ref->epoch);
  s[0] = (SolSignerSeed)SEED(SEED_AGGREGATE);
  s[1] = (SolSignerSeed){e8, 8};
  s[2] = (SolSignerSeed){ref->name_hash, 32};
  s[3] = (SolSignerSeed){ref->miner, 32};
  if (bump == NULL) return 4;
  s[4] = (SolSignerSeed){bump, 1};
  return 5;
}

static inline uint64_t load_aggregate(const Ctx *ctx, const SolAccountInfo *info, const LeafRef *ref, AggregateAccount **out) {
  TRY(account_data(ctx, info, DISC_AGGREGATE, sizeof(AggregateAccount), (uint8_t **)out));
  const AggregateAccount *a = *out;
  if (a != NULL && !(a->epoch == ref->epoch && eq32(a->name_hash, ref->name_hash) && eq32(a->miner, ref->miner)))
    return ERR_ACC_5; /* only a creation at aggregate(epoch, name_hash, miner) writes these */
  if (a != NULL && (a->flags & AGG_FLAG_SUBMITTED) != 0 && a->member_index >= MAX_COMMITTEE) return ERR_ACC_5;
  return 0;
}

static inline uint64_t aggregate_absent(const Ctx *ctx, const SolAccountInfo *info, const LeafRef *ref, uint64_t rule) {
  SolSignerSeed s[4];
  uint8_t e8[8];
  return absent_rule(ctx, info, s, aggregate_seeds(s, e8, ref, NULL), rule);
}

/* submittedAggregate: a leaf challenge targets a submitted aggregate [BLF-1]. */
static inline uint64_t submitted_aggregate(const Ctx *ctx, const SolAccountInfo *info, const LeafRef *ref, AggregateAccount **out) {
  TRY(load_aggregate(ctx, info, ref, out));
  if (*out == NULL) return aggregate_absent(ctx, info, ref, ERR_BLF_1);
  if (!(((*out)->flags & AGG_FLAG_SUBMITTED) != 0)) return ERR_BLF_1; /* no submitted aggregate by this miner in this round */
  return 0;
}
