#pragma once
/* One key's veto of a proposal, at ("veto", u64(id), voter). */
#include "base.h"

static inline uint64_t veto_seeds(SolSignerSeed *s, uint8_t *id8, uint64_t id, const uint8_t *voter, const uint8_t *bump) {
  store_u64_le(id8, id);
  s[0] = (SolSignerSeed)SEED(SEED_VETO);
  s[1] = (SolSignerSeed){id8, 8};
  s[2] = (SolSignerSeed){voter, 32};
  if (bump == NULL) return 3;
  s[3] = (SolSignerSeed){bump, 1};
  return 4;
}

static inline uint64_t load_veto(const Ctx *ctx, const SolAccountInfo *info, uint64_t id, const uint8_t *voter, VetoAccount **out) {
  TRY(account_data(ctx, info, DISC_VETO, sizeof(VetoAccount), (uint8_t **)out));
  if (*out != NULL && !((*out)->proposal_id == id && eq32((*out)->voter, voter))) return ERR_ACC_5; /* only a creation at veto(id, voter) writes these */
  return 0;
}
