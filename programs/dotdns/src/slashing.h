#pragma once
/* Slashing, jailing and stripping [SLS] (spec/src/transition/slashing.ts), shared by every upheld
 * challenge and by the self-proven equivocation of a second submission. */
#include "dotdns.h"

typedef struct {
  ConfigAccount *config;
  const SolAccountInfo *vault;      /* validated; pays the challenger */
  const SolAccountInfo *challenger; /* NULL: the miner's own transaction proved it */
} Slasher;

/* slash: slash_bps of everything bonded (active, then pending, then unbonding), challenger_reward_bps
 * of it to the challenger and the rest to the pool [SLS-1]; jails the miner [SLS-3]. */
uint64_t slash(const Slasher *s, MinerEntry *entry);

typedef struct {
  const Ctx *ctx;
  const SolAccountInfo *round;
  const SolAccountInfo *committee;
  uint64_t epoch;
  const uint8_t *name_hash;
} StripTarget;

/* strip: an upheld challenge removes the aggregate's counted weight from its round [SLS-2]. */
uint64_t strip(const StripTarget *t, uint64_t member);
