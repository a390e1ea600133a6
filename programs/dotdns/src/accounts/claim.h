#pragma once
/* A witness's claim on an aggregate's reward, at ("claim", u64(epoch), name_hash, miner, witness). */
#include "base.h"

static inline uint64_t claim_seeds(SolSignerSeed *s, uint8_t *e8, const LeafRef *ref, const uint8_t *witness, const uint8_t *bump) {
  store_u64_le(e8, ref->epoch);
  s[0] = (SolSignerSeed)SEED(SEED_CLAIM);
  s[1] = (SolSignerSeed){e8, 8};
  s[2] = (SolSignerSeed){ref->name_hash, 32};
  s[3] = (SolSignerSeed){ref->miner, 32};
  s[4] = (SolSignerSeed){witness, 32};
  if (bump == NULL) return 5;
  s[5] = (SolSignerSeed){bump, 1};
  return 6;
}

static inline uint64_t load_claim(const Ctx *ctx, const SolAccountInfo *info, const LeafRef *ref, const uint8_t *witness, ClaimAccount **out) {
  TRY(account_data(ctx, info, DISC_CLAIM, sizeof(ClaimAccount), (uint8_t **)out));
  const ClaimAccount *c = *out;
  if (c != NULL && !(c->epoch == ref->epoch && eq32(c->name_hash, ref->name_hash) && eq32(c->miner, ref->miner) && eq32(c->witness, witness)))
    return ERR_ACC_5; /* only a creation at claim(epoch, name_hash, miner, witness) writes these */
  return 0;
}
