#pragma once
/* A reveal challenge on a leaf, at ("challenge", u64(epoch), name_hash, miner, u32(index)). */
#include "pin.h"

static inline uint64_t load_challenge(const Ctx *ctx, const SolAccountInfo *info, const LeafRef *ref, ChallengeAccount **out) {
  TRY(account_data(ctx, info, DISC_CHALLENGE, sizeof(ChallengeAccount), (uint8_t **)out));
  const ChallengeAccount *c = *out;
  if (c != NULL && !(c->leaf_index == ref->index && c->epoch == ref->epoch && eq32(c->name_hash, ref->name_hash) && eq32(c->miner, ref->miner)))
    return ERR_ACC_5; /* only a creation at challenge(epoch, name_hash, miner, index) writes these */
  return 0;
}

static inline uint64_t challenge_absent(const Ctx *ctx, const SolAccountInfo *info, const LeafRef *ref, uint64_t rule) {
  SolSignerSeed s[5];
  uint8_t e12[12];
  return absent_rule(ctx, info, s, leaf_seeds(s, e12, ref, ref->index, SEED_CHALLENGE), rule);
}
