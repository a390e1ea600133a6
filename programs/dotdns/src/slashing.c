/* Slashing, jailing and stripping [SLS] (spec/src/transition/slashing.ts). */
#include "slashing.h"
#include "accounts/committee.h"
#include "accounts/round.h"

uint64_t slash(const Slasher *s, MinerEntry *e) {
  ConfigAccount *config = s->config;
  /* active + pending + unbonding, checked as in the spec [ACC-6]; all of it was deposited, so it fits. */
  uint64_t total, amount;
  TRY(add_u64(e->active, e->pending, &total));
  TRY(add_u64(total, e->unbonding, &total));
  TRY(mul_div(total, config->params[P_SLASH_BPS], BPS, &amount));
  uint64_t left = amount;
  uint64_t from_active = left < e->active ? left : e->active;
  left -= from_active;
  uint64_t from_pending = left < e->pending ? left : e->pending;
  left -= from_pending;
  uint64_t from_unbonding = left < e->unbonding ? left : e->unbonding;
  e->active -= from_active;
  e->pending -= from_pending;
  e->unbonding -= from_unbonding;
  TRY(sub_u64(config->total_bonded, from_active + from_pending, &config->total_bonded));

  uint64_t reward = 0;
  if (s->challenger != NULL) TRY(mul_div(amount, config->params[P_CHALLENGER_REWARD_BPS], BPS, &reward));
  TRY(add_u64(config->reward_pool, amount - reward, &config->reward_pool));
  if (s->challenger != NULL) TRY(vault_pay(s->vault, s->challenger, reward));
  e->jailed = 1;
  e->jailed_epoch = config->current_epoch;
  return 0;
}

uint64_t strip(const StripTarget *t, uint64_t member) {
  RoundAccount *round;
  TRY(load_round(t->ctx, t->round, t->epoch, t->name_hash, &round));
  if (round == NULL) return round_absent(t->ctx, t->round, t->epoch, t->name_hash, ERR_ACC_7); /* the round of a submitted aggregate exists */
  uint8_t flags = round->member_flags[member];
  if ((flags & MEMBER_COUNTED) != 0) {
    CommitteeAccount *committee;
    TRY(load_committee(t->ctx, t->committee, t->epoch, &committee));
    if (committee == NULL) return committee_absent(t->ctx, t->committee, t->epoch, ERR_ACC_7); /* the committee of a counted aggregate exists */
    uint8_t route = round->member_route[member];
    if (!(route < MAX_ROUTES)) return ERR_ACC_5; /* a counted member names a route the program wrote */
    TRY(sub_u64(round->routes[route].weight, committee->members[member].stake, &round->routes[route].weight));
  }
  round->member_flags[member] = (uint8_t)((flags & ~MEMBER_COUNTED) | MEMBER_STRIPPED);
  return 0;
}
