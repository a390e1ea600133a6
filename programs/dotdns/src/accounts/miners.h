#pragma once
/* MinerSet, at ("miners"): every miner's stake in one fixed-capacity account [STK-2]. */
#include "base.h"

/* minerSetOf [ACC-7]. */
static inline uint64_t load_miners(const Ctx *ctx, const SolAccountInfo *info, MinerSetAccount **out) {
  static const Singleton kind = {DISC_MINER_SET, sizeof(MinerSetAccount), SEED(SEED_MINER_SET)};
  TRY(load_singleton(ctx, info, &kind, (uint8_t **)out));
  if (!((*out)->count <= MAX_MINERS)) return ERR_ACC_5; /* a count the program wrote */
  return 0;
}

/* findMiner: the entry of `key` in MinerSet order, or NULL. */
static inline MinerEntry *find_miner(MinerSetAccount *set, const Key *key) {
  for (uint64_t i = 0; i < set->count; i++)
    if (key_eq(key, set->entries[i].key)) return &set->entries[i];
  return NULL;
}
