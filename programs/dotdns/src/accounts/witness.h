#pragma once
/* A witness's stake account, at ("witness", key); `key` is its identity field. */
#include "base.h"

static inline uint64_t witness_seeds(SolSignerSeed *s, const uint8_t *key, const uint8_t *bump) {
  s[0] = (SolSignerSeed)SEED(SEED_WITNESS);
  s[1] = (SolSignerSeed){key, 32};
  if (bump == NULL) return 2;
  s[2] = (SolSignerSeed){bump, 1};
  return 3;
}

static inline uint64_t load_witness(const Ctx *ctx, const SolAccountInfo *info, const uint8_t *key, WitnessAccount **out) {
  TRY(account_data(ctx, info, DISC_WITNESS, sizeof(WitnessAccount), (uint8_t **)out));
  if (*out != NULL && !(eq32((*out)->key, key) && (*out)->checkpoint_count <= WITNESS_CHECKPOINTS)) return ERR_ACC_5; /* only a creation at witness(key) writes this key */
  return 0;
}

static inline uint64_t witness_absent(const Ctx *ctx, const SolAccountInfo *info, const uint8_t *key, uint64_t rule) {
  SolSignerSeed s[2];
  return absent_rule(ctx, info, s, witness_seeds(s, key, NULL), rule);
}

/* witnessStakeAt: the newest checkpoint at or before `epoch`, else zero; an absent account has none [STK-8]. */
static inline uint64_t witness_stake_at(const WitnessAccount *w, uint64_t epoch) {
  uint64_t amount = 0;
  if (w == NULL) return 0;
  for (uint64_t i = 0; i < w->checkpoint_count; i++)
    if (w->checkpoints[i].epoch <= epoch) amount = w->checkpoints[i].amount;
  return amount;
}

/* witnessBonded: the newest checkpoint, which counts changes not yet active. */
static inline uint64_t witness_bonded(const WitnessAccount *w) {
  return w->checkpoint_count == 0 ? 0 : w->checkpoints[w->checkpoint_count - 1].amount;
}
