/* Rounds, quorum and finality [RND], [QRM] (spec/src/transition/rounds.ts). Per (epoch, name) a round
 * collects one aggregate from each committee member during the submit window of the next epoch; a
 * route the owner authorized that holds quorum_bps of committee stake is finalized once the challenge
 * window has passed. */
#include "slashing.h"
#include "accounts/aggregate.h"
#include "accounts/committee.h"
#include "accounts/config.h"
#include "accounts/miners.h"
#include "accounts/name.h"
#include "accounts/round.h"

/* The submit window of epoch E's round is [(E+1)·L, (E+1)·L + submit_window_slots) [RND-1]; once the
 * round exists its stored submit_end ends it, so a later change of the window never reopens a round.
 * Bounds past u64 compare as the spec's bigints do. */
static bool in_submit_window(const ConfigAccount *config, uint64_t epoch, const RoundAccount *round, uint64_t slot) {
  uint64_t start, end;
  if (epoch == UINT64_MAX || !checked_mul_u64(epoch + 1, config->params[P_EPOCH_LENGTH_SLOTS], &start)) return false;
  if (slot < start) return false;
  if (round != NULL) return slot < round->submit_end;
  if (!checked_add_u64(start, config->params[P_SUBMIT_WINDOW_SLOTS], &end)) return true;
  return slot < end;
}

typedef struct {
  Statement st;
  uint8_t opening;       /* 0: two children, 1: the single leaf */
  const uint8_t *left;   /* Node encodings (hash ‖ u64 sum) */
  const uint8_t *right;
  const uint8_t *leaf;   /* Leaf encoding */
  bool has_auth;
  uint64_t serial;
} SubmitData;

static uint64_t read_submit(const Ctx *ctx, SubmitData *d) {
  Reader r;
  rd_init(&r, ctx, IX_SUBMIT_AGGREGATE_FIELDS);
  rd_statement(&r, &d->st);
  d->opening = rd_u8(&r);
  if (d->opening == 0) {
    d->left = rd_take(&r, 40);
    d->right = rd_take(&r, 40);
  } else if (d->opening == 1) {
    d->leaf = rd_object(&r, LEAF_SIZE, OBJ_LEAF);
  } else {
    rd_fail(&r, ERR_ACC_10); /* opening kind 0 or 1 */
  }
  d->has_auth = rd_option(&r);
  d->serial = d->has_auth ? rd_u64(&r) : 0;
  return rd_end(&r);
}

/* checkOpening: the submitted root opens to the given children or single leaf [AGG-3], and support
 * is the root's sum [AGG-4]. Overflowing children's sums are caught first, as the spec's throw is. */
static uint64_t check_opening(const SubmitData *d) {
  Node root;
  if (d->opening == 1) leaf_node(d->leaf, &root);
  else if (!parent_node(d->left, d->right, &root)) return ERR_AGG_4; /* the children's sums overflow u64 */
  if (!((d->opening == 1) == (d->st.receipt_count == 1))) return ERR_AGG_3; /* one receipt opens to its leaf, others to two children */
  if (!(eq32(root.hash, d->st.receipt_root))) return ERR_AGG_3; /* the root opens to what is given */
  if (!(root.sum == d->st.support)) return ERR_AGG_4; /* support is the sum of the root's children */
  return 0;
}

/* A different second statement by a member is its own proof of equivocation, signed by the miner's
 * transaction: slash at once, count neither [EQV-2]. */
static uint64_t equivocate_on_chain(const Ctx *ctx, const SubmitData *d, AggregateAccount *existing, MinerEntry *entry) {
  uint8_t digest[32];
  if (!((existing->flags & AGG_FLAG_EQUIVOCATED) == 0)) return ERR_EQV_3; /* equivocation in this round is proven once */
  aggregate_digest(&d->st, digest);
  if (!(!eq32a(digest, existing->statement_hash))) return ERR_RND_7; /* one aggregate per member per round */
  Slasher s = {(ConfigAccount *)ctx->ka[AI_SUBMIT_AGGREGATE_CONFIG].data, NULL, NULL};
  TRY(slash(&s, entry));
  if ((existing->flags & AGG_FLAG_SUBMITTED) != 0) {
    StripTarget t = {ctx, &ctx->ka[AI_SUBMIT_AGGREGATE_ROUND], &ctx->ka[AI_SUBMIT_AGGREGATE_COMMITTEE], d->st.epoch, d->st.name_hash};
    TRY(strip(&t, existing->member_index));
  }
  existing->flags |= AGG_FLAG_EQUIVOCATED;
  return 0;
}

/* newRound, created where the spec first needs it; a later failure rolls the creation back. */
static uint64_t new_round(const Ctx *ctx, const ConfigAccount *config, const Statement *st, RoundAccount **out) {
  SolSignerSeed s[4];
  uint8_t e8[8];
  const SolAccountInfo *info = &ctx->ka[AI_SUBMIT_AGGREGATE_ROUND];
  Create c = {&ctx->ka[AI_SUBMIT_AGGREGATE_PAYER], info, s, round_seeds(s, e8, st->epoch, st->name_hash, ctx->data + BUMP_SUBMIT_AGGREGATE_ROUND),
              sizeof(RoundAccount)};
  TRY(create_pda(ctx, &c, (uint8_t **)out));
  RoundAccount *round = *out;
  account_header((uint8_t *)round, DISC_ROUND);
  round->status = ROUND_OPEN;
  round->finalized_route = NO_ROUTE;
  round->epoch = st->epoch;
  memcpy(round->name_hash, st->name_hash, 32);
  /* Inside the submit window (checked), so these bounds are below 2^64. */
  round->submit_end = (st->epoch + 1) * config->params[P_EPOCH_LENGTH_SLOTS] + config->params[P_SUBMIT_WINDOW_SLOTS];
  round->challenge_end = round->submit_end + config->params[P_CHALLENGE_WINDOW_SLOTS];
  memset(round->member_route, NO_ROUTE, sizeof(round->member_route));
  return 0;
}

/* A route enters a round only with its owner's signature over (name_hash, serial, route_hash),
 * checked against the Name's current owner [RND-5], at a serial above the canonical one [RND-8]. */
static uint64_t admit_route(const Ctx *ctx, const SubmitData *d, const NameAccount *name, RoundAccount *round, uint64_t *route) {
  if (!(d->has_auth)) return ERR_RND_5; /* the first aggregate naming a route carries the owner's authorization */
  if (!(d->serial > name->serial)) return ERR_RND_8; /* the serial exceeds the canonical one */
  /* routeAuthDigest = H("dotdns/v1/route-auth", tag ‖ version ‖ name_hash ‖ u64(serial) ‖ route_hash) [RTE-8] */
  uint8_t head[2] = {OBJ_ROUTE_AUTH, LAYOUT_VERSION}, s8[8], digest[32];
  store_u64_le(s8, d->serial);
  SolBytes h[5] = {HSLICE(ROUTE_AUTH), {head, 2}, {d->st.name_hash, 32}, {s8, 8}, {d->st.route_hash, 32}};
  sol_sha256(h, 5, digest);
  /* The owner's signature must be among those carried [SIG-2]: the Ed25519 instruction names the key
   * it verified (auth.owner), so a valid signature by another key is not found here. */
  if (!(find_signature(&ctx->ka[AI_SUBMIT_AGGREGATE_INSTRUCTIONS_SYSVAR], name->owner, digest) != NULL)) return ERR_SIG_2; /* the owner signed it */
  if (!(round->route_count < MAX_ROUTES)) return ERR_RND_9; /* a round holds at most MAX_ROUTES routes */
  *route = round->route_count;
  RouteSlot *slot = &round->routes[*route];
  memcpy(slot->route_hash, d->st.route_hash, 32);
  slot->serial = d->serial;
  slot->weight = 0;
  round->route_count += 1;
  return 0;
}

typedef struct {
  const Ctx *ctx;
  const SubmitData *d;
  uint64_t member;
  uint64_t route;
} NewAggregate;

static uint64_t create_aggregate(const NewAggregate *n) {
  const Ctx *ctx = n->ctx;
  const Statement *st = &n->d->st;
  LeafRef ref = {st->epoch, st->name_hash, st->miner, 0};
  SolSignerSeed s[5];
  uint8_t e8[8];
  AggregateAccount *a;
  Create c = {&ctx->ka[AI_SUBMIT_AGGREGATE_PAYER], &ctx->ka[AI_SUBMIT_AGGREGATE_AGGREGATE], s,
              aggregate_seeds(s, e8, &ref, ctx->data + BUMP_SUBMIT_AGGREGATE_AGGREGATE), sizeof(AggregateAccount)};
  TRY(create_pda(ctx, &c, (uint8_t **)&a));
  account_header((uint8_t *)a, DISC_AGGREGATE);
  a->flags = AGG_FLAG_SUBMITTED;
  a->member_index = (uint8_t)n->member;
  a->route_index = (uint8_t)n->route;
  a->cid_len = (uint8_t)st->cid_len;
  a->epoch = st->epoch;
  memcpy(a->name_hash, st->name_hash, 32);
  memcpy(a->route_hash, st->route_hash, 32);
  memcpy(a->receipt_root, st->receipt_root, 32);
  memcpy(a->miner, st->miner, 32);
  a->support = st->support;
  a->receipt_count = st->receipt_count;
  if (st->cid_len > 0) memcpy(a->batch_cid, st->cid, st->cid_len);
  aggregate_digest(st, a->statement_hash);
  return 0;
}

uint64_t process_submit_aggregate(const Ctx *ctx) {
  SubmitData d;
  TRY(read_submit(ctx, &d));
  if (!is_system_program(&ctx->ka[AI_SUBMIT_AGGREGATE_SYSTEM_PROGRAM])) return ERR_ACC_5;
  if (!is_instructions_sysvar(&ctx->ka[AI_SUBMIT_AGGREGATE_INSTRUCTIONS_SYSVAR])) return ERR_ACC_5;
  /* The signing miner is the statement's miner: its transaction signature authenticates the statement. */
  if (!eq32(ctx->ka[AI_SUBMIT_AGGREGATE_MINER].key->x, d.st.miner)) return ERR_ACC_5;
  const Statement *st = &d.st;
  Key miner;
  key_load(&miner, st->miner);

  ConfigAccount *config;
  TRY(load_config(ctx, &ctx->ka[AI_SUBMIT_AGGREGATE_CONFIG], &config));
  /* Aggregates for epoch E arrive in the submit window at the start of epoch E+1, which an existing
   * round ends at its stored submit_end [RND-1] ... */
  RoundAccount *round;
  TRY(load_round(ctx, &ctx->ka[AI_SUBMIT_AGGREGATE_ROUND], st->epoch, st->name_hash, &round));
  if (!(in_submit_window(config, st->epoch, round, clock_slot()))) return ERR_RND_1; /* inside the submit window */
  /* ... from a member of epoch E's committee [RND-2], [RND-3] ... */
  const SolAccountInfo *committee_info = &ctx->ka[AI_SUBMIT_AGGREGATE_COMMITTEE];
  CommitteeAccount *committee;
  TRY(load_committee(ctx, committee_info, st->epoch, &committee));
  if (committee == NULL) return committee_absent(ctx, committee_info, st->epoch, ERR_RND_2); /* epoch E has a committee */
  int64_t m = member_index(committee, &miner);
  if (!(m >= 0)) return ERR_RND_3; /* the submitter sits on the committee */
  /* ... that is not jailed: jailing voids the seat [RND-4]. */
  MinerSetAccount *set;
  TRY(load_miners(ctx, &ctx->ka[AI_SUBMIT_AGGREGATE_MINERS], &set));
  MinerEntry *entry = find_miner(set, &miner);
  if (!(entry != NULL && entry->jailed == 0)) return ERR_RND_4; /* a jailed miner has no seat */
  const SolAccountInfo *name_info = &ctx->ka[AI_SUBMIT_AGGREGATE_NAME];
  NameAccount *name;
  TRY(load_name(ctx, name_info, st->name_hash, &name));
  if (name == NULL) return name_absent(ctx, name_info, st->name_hash, ERR_RND_6); /* the name is registered */

  LeafRef ref = {st->epoch, st->name_hash, st->miner, 0};
  AggregateAccount *existing;
  TRY(load_aggregate(ctx, &ctx->ka[AI_SUBMIT_AGGREGATE_AGGREGATE], &ref, &existing));
  if (existing != NULL) return equivocate_on_chain(ctx, &d, existing, entry);

  if (!(st->receipt_count >= 1 && st->receipt_count <= MAX_LEAVES)) return ERR_AGG_2; /* a tree holds 1..2^20 receipts */
  TRY(check_opening(&d));

  if (round == NULL) TRY(new_round(ctx, config, st, &round));
  uint64_t r = NO_ROUTE;
  for (uint64_t i = 0; i < round->route_count; i++)
    if (eq32(round->routes[i].route_hash, st->route_hash)) {
      r = i;
      break;
    }
  if (r == NO_ROUTE) TRY(admit_route(ctx, &d, name, round, &r));

  /* Only aggregates with support ≥ min_support count toward quorum [QRM-2]. */
  bool counted = st->support >= config->params[P_MIN_SUPPORT];
  round->member_route[m] = (uint8_t)r;
  round->member_flags[m] = (uint8_t)(MEMBER_SUBMITTED | (counted ? MEMBER_COUNTED : 0));
  if (counted) TRY(add_u64(round->routes[r].weight, committee->members[m].stake, &round->routes[r].weight));

  NewAggregate n = {ctx, &d, (uint64_t)m, r};
  return create_aggregate(&n);
}

/* ---------------------------------------------------------------------------------- finality */

/* weight·10000 ≥ quorum_bps·committee stake, with some weight [QRM-1]. */
static bool has_quorum(uint64_t weight, uint64_t committee_stake, uint64_t quorum_bps) {
  return weight > 0 && mul_ge(weight, BPS, quorum_bps, committee_stake);
}

typedef struct {
  ConfigAccount *config;
  MinerSetAccount *set;
  const CommitteeAccount *committee;
  RoundAccount *round;
  uint64_t route;
} Finalized;

/* Rewards of a finalized round [RWD-2..4]: min(pool, round_reward) leaves the pool; the miners' share
 * goes to supporting members by committee stake, the rest waits in the round for witnesses. Rounding
 * dust returns to the pool, so no lamport is created or lost. */
static uint64_t distribute_round_reward(const Finalized *f) {
  ConfigAccount *config = f->config;
  RoundAccount *round = f->round;
  uint64_t reward = config->reward_pool < config->params[P_ROUND_REWARD] ? config->reward_pool : config->params[P_ROUND_REWARD];
  config->reward_pool -= reward;
  uint64_t miners_part, paid = 0;
  TRY(mul_div(reward, config->params[P_MINER_REWARD_BPS], BPS, &miners_part));
  uint64_t supporting = round->routes[f->route].weight;
  for (uint64_t m = 0; m < f->committee->member_count; m++) {
    if (round->member_route[m] != f->route || (round->member_flags[m] & MEMBER_COUNTED) == 0) continue;
    const CommitteeMember *member = &f->committee->members[m];
    MinerEntry *entry = find_miner(f->set, (const Key *)member->key);
    if (entry == NULL) continue;
    uint64_t share;
    TRY(mul_div(miners_part, member->stake, supporting, &share));
    TRY(add_u64(entry->claimable, share, &entry->claimable));
    paid += share; /* shares of the supporting stake: at most miners_part */
  }
  TRY(add_u64(config->reward_pool, miners_part - paid, &config->reward_pool));
  round->supporting_stake = supporting;
  round->witness_pool = reward - miners_part;
  round->witness_pool_remaining = reward - miners_part;
  return 0;
}

uint64_t process_finalize_round(const Ctx *ctx) {
  Reader r;
  rd_init(&r, ctx, IX_FINALIZE_ROUND_FIELDS);
  uint64_t epoch = rd_u64(&r);
  const uint8_t *name_hash = rd_take(&r, 32);
  TRY(rd_end(&r));

  ConfigAccount *config;
  TRY(load_config(ctx, &ctx->ka[AI_FINALIZE_ROUND_CONFIG], &config));
  const SolAccountInfo *round_info = &ctx->ka[AI_FINALIZE_ROUND_ROUND];
  RoundAccount *round;
  TRY(load_round(ctx, round_info, epoch, name_hash, &round));
  if (round == NULL) return round_absent(ctx, round_info, epoch, name_hash, ERR_QRM_4); /* a round exists for this epoch and name */
  if (!(round->status == ROUND_OPEN)) return ERR_QRM_5; /* a closed round is not finalized again */
  /* Only after the challenge window [QRM-6], and with no reveal challenge still open [QRM-7]. */
  if (!(clock_slot() >= round->challenge_end)) return ERR_QRM_6; /* the challenge window is over */
  if (!(round->open_challenges == 0)) return ERR_QRM_7; /* every reveal challenge has settled */
  const SolAccountInfo *committee_info = &ctx->ka[AI_FINALIZE_ROUND_COMMITTEE];
  CommitteeAccount *committee;
  TRY(load_committee(ctx, committee_info, epoch, &committee));
  if (committee == NULL) return committee_absent(ctx, committee_info, epoch, ERR_ACC_7); /* an open round's committee exists */
  const SolAccountInfo *name_info = &ctx->ka[AI_FINALIZE_ROUND_NAME];
  NameAccount *name;
  TRY(load_name(ctx, name_info, name_hash, &name));
  if (name == NULL) return name_absent(ctx, name_info, name_hash, ERR_ACC_7); /* an open round's name exists */

  uint64_t q = NO_ROUTE;
  for (uint64_t i = 0; i < round->route_count; i++)
    if (has_quorum(round->routes[i].weight, committee->total_stake, config->params[P_QUORUM_BPS])) {
      q = i;
      break;
    }
  /* Without quorum the round fails [QRM-8]; a route no newer than the canonical one fails too, which
   * stops a late round from rolling a name back [QRM-9]. */
  if (q == NO_ROUTE || round->routes[q].serial <= name->serial) {
    round->status = ROUND_FAILED;
    return 0;
  }
  const RouteSlot *route = &round->routes[q];
  memcpy(name->route_hash, route->route_hash, 32);
  name->serial = route->serial;
  name->route_epoch = epoch;
  round->status = ROUND_FINALIZED;
  round->finalized_route = (uint8_t)q;
  /* digest' = H("dotdns/v1/digest", digest ‖ u64(epoch) ‖ name_hash ‖ route_hash) [QRM-10] */
  uint8_t e8[8];
  store_u64_le(e8, epoch);
  SolBytes h[5] = {HSLICE(DIGEST), {config->state_digest, 32}, {e8, 8}, {name_hash, 32}, {route->route_hash, 32}};
  sol_sha256(h, 5, config->state_digest);

  MinerSetAccount *set;
  TRY(load_miners(ctx, &ctx->ka[AI_FINALIZE_ROUND_MINERS], &set));
  Finalized f = {config, set, committee, round, q};
  return distribute_round_reward(&f);
}
