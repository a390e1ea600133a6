#pragma once
/* What the account loaders share. Config, Vault and MinerSet are singletons at fixed seeds [ACC-4]:
 * only initialize creates them, so an account of ours with the discriminator is the one, and an
 * uninitialized slot at the seed means the protocol is not initialized [ACC-7]. */
#include "../dotdns.h"

#define SEED(S) {(const uint8_t *)(S), sizeof(S) - 1}

typedef struct {
  uint64_t disc;
  uint64_t size;
  SolSignerSeed seed;
} Singleton;

static inline uint64_t load_singleton(const Ctx *ctx, const SolAccountInfo *info, const Singleton *kind, uint8_t **out) {
  TRY(account_data(ctx, info, kind->disc, kind->size, out));
  if (*out != NULL) return 0;
  return absent_rule(ctx, info, &kind->seed, 1, ERR_ACC_7);
}
