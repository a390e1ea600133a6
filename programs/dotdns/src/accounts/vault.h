#pragma once
/* Vault, at ("vault"). */
#include "base.h"

/* The vault holds every protocol lamport above its rent reserve [RWD-1]. */
static inline uint64_t load_vault(const Ctx *ctx, const SolAccountInfo *info) {
  static const Singleton kind = {DISC_VAULT, sizeof(VaultAccount), SEED(SEED_VAULT)};
  uint8_t *data;
  return load_singleton(ctx, info, &kind, &data);
}
