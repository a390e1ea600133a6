#pragma once
/* A governance proposal, at ("proposal", u64(id)); `id` is its identity field. */
#include "base.h"

static inline uint64_t proposal_seeds(SolSignerSeed *s, uint8_t *id8, uint64_t id, const uint8_t *bump) {
  store_u64_le(id8, id);
  s[0] = (SolSignerSeed)SEED(SEED_PROPOSAL);
  s[1] = (SolSignerSeed){id8, 8};
  if (bump == NULL) return 2;
  s[2] = (SolSignerSeed){bump, 1};
  return 3;
}

static inline uint64_t load_proposal(const Ctx *ctx, const SolAccountInfo *info, uint64_t id, ProposalAccount **out) {
  TRY(account_data(ctx, info, DISC_PROPOSAL, sizeof(ProposalAccount), (uint8_t **)out));
  if (*out != NULL && !((*out)->id == id && (*out)->change_count <= MAX_CHANGES)) return ERR_ACC_5; /* only a creation at proposal(id) writes this id */
  return 0;
}

static inline uint64_t proposal_absent(const Ctx *ctx, const SolAccountInfo *info, uint64_t id, uint64_t rule) {
  SolSignerSeed s[2];
  uint8_t id8[8];
  return absent_rule(ctx, info, s, proposal_seeds(s, id8, id, NULL), rule);
}
