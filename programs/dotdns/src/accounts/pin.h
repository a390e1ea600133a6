#pragma once
/* A pinned leaf, at ("pin", u64(epoch), name_hash, miner, u32(index)). */
#include "base.h"

static inline uint64_t leaf_seeds(SolSignerSeed *s, uint8_t *e12, const LeafRef *ref, uint32_t index, const char *literal) {
  store_u64_le(e12, ref->epoch);
  store_u32_le(e12 + 8, index);
  s[0] = (SolSignerSeed){(const uint8_t *)literal, sol_strlen(literal)};
  s[1] = (SolSignerSeed){e12, 8};
  s[2] = (SolSignerSeed){ref->name_hash, 32};
  s[3] = (SolSignerSeed){ref->miner, 32};
  s[4] = (SolSignerSeed){e12 + 8, 4};
  return 5;
}

static inline uint64_t load_pin(const Ctx *ctx, const SolAccountInfo *info, const LeafRef *ref, uint32_t index, LeafPinAccount **out) {
  TRY(account_data(ctx, info, DISC_LEAF_PIN, sizeof(LeafPinAccount), (uint8_t **)out));
  const LeafPinAccount *p = *out;
  if (p != NULL && !(p->index == index && p->epoch == ref->epoch && eq32(p->name_hash, ref->name_hash) && eq32(p->miner, ref->miner)))
    return ERR_ACC_5; /* only a creation at pin(epoch, name_hash, miner, index) writes these */
  return 0;
}

static inline uint64_t pin_absent(const Ctx *ctx, const SolAccountInfo *info, const LeafRef *ref, uint32_t index, uint64_t rule) {
  SolSignerSeed s[5];
  uint8_t e12[12];
  return absent_rule(ctx, info, s, leaf_seeds(s, e12, ref, index, SEED_LEAF_PIN), rule);
}
