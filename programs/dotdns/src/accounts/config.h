#pragma once
/* Config, at ("config"). */
#include "base.h"

/* configOf [ACC-7]. */
static inline uint64_t load_config(const Ctx *ctx, const SolAccountInfo *info, ConfigAccount **out) {
  static const Singleton kind = {DISC_CONFIG, sizeof(ConfigAccount), SEED(SEED_CONFIG)};
  TRY(load_singleton(ctx, info, &kind, (uint8_t **)out));
  if (!((*out)->allowlist_count <= MAX_ALLOWLIST && (*out)->pending_count <= MAX_CHANGES)) return ERR_ACC_5; /* counts the program wrote */
  return 0;
}
