/* Witness rewards [RWD] (spec/src/transition/rewards.ts). A finalized round keeps its witnesses'
 * share; each witness in a supporting aggregate claims, by a pinned leaf, the part of that aggregate's
 * share its weight earns. */
#include "accounts/aggregate.h"
#include "accounts/claim.h"
#include "accounts/committee.h"
#include "accounts/pin.h"
#include "accounts/round.h"
#include "accounts/witness.h"

typedef struct {
  const RoundAccount *round;
  const AggregateAccount *agg;
  const CommitteeAccount *committee;
  const LeafPinAccount *pin;
} Share;

/* amount = ⌊⌊pool · stake_m / S⌋ · weight / support⌋ [RWD-5]. */
static uint64_t witness_share(const Share *s, uint64_t *amount) {
  uint64_t part;
  TRY(mul_div(s->round->witness_pool, s->committee->members[s->agg->member_index].stake, s->round->supporting_stake, &part));
  return mul_div(part, s->pin->weight, s->agg->support, amount);
}

uint64_t process_claim_witness_reward(const Ctx *ctx) {
  LeafRef ref;
  Reader r;
  rd_init(&r, ctx, IX_CLAIM_WITNESS_REWARD_FIELDS);
  rd_ref(&r, &ref);
  TRY(rd_end(&r));
  if (!is_system_program(&ctx->ka[AI_CLAIM_WITNESS_REWARD_SYSTEM_PROGRAM])) return ERR_ACC_5;

  const SolAccountInfo *round_info = &ctx->ka[AI_CLAIM_WITNESS_REWARD_ROUND];
  RoundAccount *round;
  TRY(load_round(ctx, round_info, ref.epoch, ref.name_hash, &round));
  if (round == NULL) return round_absent(ctx, round_info, ref.epoch, ref.name_hash, ERR_RWD_3); /* the round exists ... */
  if (!(round->status == ROUND_FINALIZED)) return ERR_RWD_3; /* ... and is finalized */
  const SolAccountInfo *agg_info = &ctx->ka[AI_CLAIM_WITNESS_REWARD_AGGREGATE];
  AggregateAccount *agg;
  TRY(submitted_aggregate(ctx, agg_info, &ref, &agg));
  /* Only leaves of counted, unstripped aggregates of the finalized route earn [RWD-4]. */
  uint8_t flags = round->member_flags[agg->member_index];
  bool supporting = round->member_route[agg->member_index] == round->finalized_route && (flags & MEMBER_COUNTED) != 0;
  if (!(supporting && (flags & MEMBER_STRIPPED) == 0)) return ERR_RWD_4; /* a counted, unstripped aggregate of the finalized route */
  const SolAccountInfo *pin_info = &ctx->ka[AI_CLAIM_WITNESS_REWARD_PIN];
  LeafPinAccount *pin;
  TRY(load_pin(ctx, pin_info, &ref, ref.index, &pin));
  if (pin == NULL) return pin_absent(ctx, pin_info, &ref, ref.index, ERR_BLF_6); /* the leaf is pinned */
  const SolAccountInfo *witness_info = &ctx->ka[AI_CLAIM_WITNESS_REWARD_WITNESS_ACCOUNT];
  WitnessAccount *witness;
  TRY(load_witness(ctx, witness_info, pin->witness, &witness));
  if (witness == NULL) return witness_absent(ctx, witness_info, pin->witness, ERR_STK_4); /* the witness has a stake account */
  /* One claim per witness per aggregate [RWD-8]. */
  const SolAccountInfo *claim_info = &ctx->ka[AI_CLAIM_WITNESS_REWARD_CLAIM];
  ClaimAccount *claim;
  TRY(load_claim(ctx, claim_info, &ref, pin->witness, &claim));
  if (!(claim == NULL)) return ERR_RWD_8; /* this witness has not claimed from this aggregate */
  const SolAccountInfo *committee_info = &ctx->ka[AI_CLAIM_WITNESS_REWARD_COMMITTEE];
  CommitteeAccount *committee;
  TRY(load_committee(ctx, committee_info, ref.epoch, &committee));
  if (committee == NULL) return committee_absent(ctx, committee_info, ref.epoch, ERR_ACC_7); /* a finalized round's committee exists */

  Share s = {round, agg, committee, pin};
  uint64_t amount;
  TRY(witness_share(&s, &amount));
  TRY(sub_u64(round->witness_pool_remaining, amount, &round->witness_pool_remaining));
  TRY(add_u64(witness->claimable, amount, &witness->claimable));
  SolSignerSeed seeds[6];
  uint8_t e8[8];
  Create c = {&ctx->ka[AI_CLAIM_WITNESS_REWARD_PAYER], claim_info, seeds,
              claim_seeds(seeds, e8, &ref, pin->witness, ctx->data + BUMP_CLAIM_WITNESS_REWARD_CLAIM), sizeof(ClaimAccount)};
  TRY(create_pda(ctx, &c, (uint8_t **)&claim));
  account_header((uint8_t *)claim, DISC_CLAIM);
  claim->epoch = ref.epoch;
  memcpy(claim->name_hash, ref.name_hash, 32);
  memcpy(claim->miner, ref.miner, 32);
  memcpy(claim->witness, pin->witness, 32);
  claim->amount = amount;
  return 0;
}
