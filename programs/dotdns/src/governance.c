/* Governance [GOV] (spec/src/transition/governance.ts, spec/src/params.ts checkParams): parameters
 * change only through a proposal that waits out a timelock, survives a stake-weighted veto, is
 * executed after its eta, and takes effect at the next epoch boundary. */
#include "accounts/config.h"
#include "accounts/miners.h"
#include "accounts/proposal.h"
#include "accounts/veto.h"
#include "accounts/witness.h"

uint64_t check_params(const uint64_t *p) {
  for (uint64_t i = PARAM_COUNT; i < PARAM_SLOTS; i++)
    if (!(p[i] == 0)) return ERR_GOV_8; /* reserved parameter slots are zero [ACC-3] */
  uint64_t L = p[P_EPOCH_LENGTH_SLOTS];
  if (!(L >= 1)) return ERR_GOV_8; /* epoch_length_slots ≥ 1 */
  if (!(p[P_SUBMIT_WINDOW_SLOTS] >= 1 && p[P_SUBMIT_WINDOW_SLOTS] <= L)) return ERR_GOV_8; /* 1 ≤ submit ≤ L */
  if (!(p[P_CHALLENGE_WINDOW_SLOTS] >= 1)) return ERR_GOV_8;
  if (!(p[P_RESPONSE_WINDOW_SLOTS] >= 1)) return ERR_GOV_8;
  /* submit + challenge + response ≤ 2L, compared as the spec's bigints (three u64 can carry twice). */
  uint64_t s1 = p[P_SUBMIT_WINDOW_SLOTS] + p[P_CHALLENGE_WINDOW_SLOTS];
  uint64_t hi = s1 < p[P_SUBMIT_WINDOW_SLOTS];
  uint64_t s2 = s1 + p[P_RESPONSE_WINDOW_SLOTS];
  hi += s2 < s1;
  uint64_t l2 = L << 1, lhi = L >> 63;
  if (!(hi < lhi || (hi == lhi && s2 <= l2))) return ERR_GOV_8; /* every challenge settles before E+3 [STK-7] */
  if (!(p[P_UNBONDING_EPOCHS] >= 3)) return ERR_GOV_8;
  if (!(p[P_JAIL_EPOCHS] >= 1)) return ERR_GOV_8;
  if (!(p[P_MIN_TIMELOCK_EPOCHS] >= 1)) return ERR_GOV_8;
  if (!(p[P_QUORUM_BPS] > BPS / 2 && p[P_QUORUM_BPS] <= BPS)) return ERR_GOV_8; /* 5000 < quorum_bps ≤ 10000 */
  if (!(p[P_VETO_BPS] >= 1 && p[P_VETO_BPS] <= BPS)) return ERR_GOV_8;
  if (!(p[P_SLASH_BPS] <= BPS && p[P_CHALLENGER_REWARD_BPS] <= BPS && p[P_MINER_REWARD_BPS] <= BPS)) return ERR_GOV_8;
  if (!(p[P_MIN_MINER_STAKE] >= 1 && p[P_MIN_WITNESS_STAKE] >= 1)) return ERR_GOV_8;
  if (!(p[P_COMMITTEE_MODE] <= COMMITTEE_MODE_STAKE)) return ERR_GOV_8;
  if (!(p[P_COMMITTEE_SIZE] >= 1 && p[P_COMMITTEE_SIZE] <= MAX_COMMITTEE)) return ERR_GOV_8;
  return 0;
}

/* ------------------------------------------------------------------------------ change sets */

/* The governed part of Config with room for every key a change set can add (applyChangesTo's
 * Governed): at most MAX_CHANGES beyond a full allowlist. */
#define GOVERNED_KEYS (MAX_ALLOWLIST + MAX_CHANGES)
typedef struct {
  uint64_t params[PARAM_SLOTS];
  uint64_t count;
  uint8_t allowlist[GOVERNED_KEYS][32];
  uint8_t authority[32];
} Governed;

/* Applies one change in order, as applyChangesTo does [GOV-6]. `keys` has room for `cap` keys. */
typedef struct {
  uint64_t *params;
  uint8_t (*keys)[32];
  uint64_t *count;
  uint64_t cap;
  uint8_t *authority;
} GovernedView;

static void apply_change(const GovernedView *g, const Change *c) {
  switch (c->kind) {
    case CHANGE_SET_PARAM:
      if (c->param < PARAM_SLOTS) g->params[c->param] = c->value;
      break;
    case CHANGE_ALLOWLIST_ADD: {
      for (uint64_t i = 0; i < *g->count; i++)
        if (eq32a(g->keys[i], c->key)) return;
      /* checkOutcome bounds the result at proposal and execution, so activation always has room. */
      if (*g->count < g->cap) memcpy(g->keys[*g->count], c->key, 32);
      *g->count += 1;
      break;
    }
    case CHANGE_ALLOWLIST_REMOVE: {
      uint64_t n = *g->count < g->cap ? *g->count : g->cap, kept = 0;
      for (uint64_t i = 0; i < n; i++) {
        if (eq32a(g->keys[i], c->key)) continue;
        if (kept != i) memcpy(g->keys[kept], g->keys[i], 32);
        kept++;
      }
      /* Slots past the count stay zero, as padKeys leaves them. */
      for (uint64_t i = kept; i < n; i++) memset(g->keys[i], 0, 32);
      *g->count = kept + (*g->count - n);
      break;
    }
    case CHANGE_SET_AUTHORITY:
      memcpy(g->authority, c->key, 32);
      break;
  }
}

/* checkOutcome(applyChangesTo(config, changes)): a valid configuration [GOV-8] with an allowlist
 * that fits [GOV-9]. Works on a stack copy; Config is untouched. */
static uint64_t check_outcome(const ConfigAccount *config, const Change *changes, uint64_t count) {
  Governed g;
  memcpy(g.params, config->params, sizeof(g.params));
  g.count = config->allowlist_count;
  memset(g.allowlist, 0, sizeof(g.allowlist));
  memcpy(g.allowlist, config->allowlist, 32 * g.count);
  GovernedView view = {g.params, g.allowlist, &g.count, GOVERNED_KEYS, g.authority};
  for (uint64_t i = 0; i < count; i++) apply_change(&view, &changes[i]);
  TRY(check_params(g.params));
  if (!(g.count <= MAX_ALLOWLIST)) return ERR_GOV_9; /* the allowlist would not fit */
  return 0;
}

void activate_changes(ConfigAccount *config) {
  uint64_t count = config->allowlist_count;
  GovernedView view = {config->params, config->allowlist, &count, MAX_ALLOWLIST, config->authority};
  for (uint64_t i = 0; i < config->pending_count; i++) apply_change(&view, &config->pending[i]);
  config->allowlist_count = (uint8_t)count;
  memset(config->pending, 0, sizeof(config->pending));
  config->pending_count = 0;
  config->pending_activation_epoch = 0;
}

/* checkChange: one thing named, unused fields zero [GOV-3], [GOV-7]. */
static uint64_t check_change(const Change *c) {
  switch (c->kind) {
    case CHANGE_SET_PARAM:
      if (!(c->param < PARAM_COUNT)) return ERR_GOV_3; /* the parameter exists */
      if (!(((FIXED_PARAMS_MASK >> c->param) & 1) == 0)) return ERR_GOV_7; /* epoch_length_slots is fixed in v1 */
      if (!(is_zero32(c->key))) return ERR_GOV_3; /* a parameter change carries no key */
      return 0;
    case CHANGE_ALLOWLIST_ADD:
    case CHANGE_ALLOWLIST_REMOVE:
    case CHANGE_SET_AUTHORITY:
      if (!(c->param == 0 && c->value == 0)) return ERR_GOV_3; /* a key change carries no parameter or value */
      if (!(!is_zero32(c->key))) return ERR_GOV_3; /* a key change names a non-zero key */
      return 0;
    default:
      return ERR_GOV_3; /* the change kind exists */
  }
}

/* --------------------------------------------------------------------------- voting weight */

typedef struct {
  const Ctx *ctx;
  const ConfigAccount *config;
  const SolAccountInfo *miners;
  const SolAccountInfo *witness; /* "maybe": the key's own Witness account */
  const uint8_t *key;
} WeightOf;

/* governanceWeight: active miner stake plus witness stake of the current epoch, a checked sum [ACC-6]
 * (both come from deposits, so it fits). */
static uint64_t governance_weight(const WeightOf *w, uint64_t *out) {
  MinerSetAccount *set;
  WitnessAccount *witness;
  Key k;
  TRY(load_miners(w->ctx, w->miners, &set));
  key_load(&k, w->key);
  const MinerEntry *e = find_miner(set, &k);
  TRY(load_witness(w->ctx, w->witness, w->key, &witness));
  return add_u64(e == NULL ? 0 : e->active, witness_stake_at(witness, w->config->current_epoch), out);
}

/* ---------------------------------------------------------------------------------- propose */

uint64_t process_propose(const Ctx *ctx) {
  Reader r;
  rd_init(&r, ctx, IX_PROPOSE_FIELDS);
  uint64_t eta = rd_u64(&r);
  uint64_t n = rd_u8(&r);
  const uint8_t *raw = rd_take(&r, sizeof(Change) * n);
  TRY(rd_end(&r));
  /* Each change is a fixed ChangeLayout; non-zero padding is not canonical [ENC-6]. */
  for (uint64_t i = 0; i < n; i++)
    for (uint64_t j = 2; j < 8; j++)
      if (!(raw[sizeof(Change) * i + j] == 0)) return ERR_ENC_6; /* padding is zero */
  if (!is_system_program(&ctx->ka[AI_PROPOSE_SYSTEM_PROGRAM])) return ERR_ACC_5;
  const SolAccountInfo *proposer = &ctx->ka[AI_PROPOSE_PROPOSER];

  ConfigAccount *config;
  TRY(load_config(ctx, &ctx->ka[AI_PROPOSE_CONFIG], &config));
  uint64_t threshold = config->params[P_PROPOSAL_THRESHOLD];
  bool allowed = eq32(proposer->key->x, config->authority);
  if (!allowed && threshold > 0) {
    WeightOf w = {ctx, config, &ctx->ka[AI_PROPOSE_MINERS], &ctx->ka[AI_PROPOSE_WITNESS_ACCOUNT], proposer->key->x};
    uint64_t weight;
    TRY(governance_weight(&w, &weight));
    allowed = weight >= threshold;
  }
  if (!(allowed)) return ERR_GOV_1; /* the authority, or a key holding proposal_threshold stake */
  if (!(n >= 1 && n <= MAX_CHANGES)) return ERR_GOV_2; /* 1..MAX_CHANGES changes */
  /* An aligned copy: ChangeLayout in the data is at any offset. */
  Change changes[MAX_CHANGES];
  memcpy(changes, raw, sizeof(Change) * n);
  for (uint64_t i = 0; i < n; i++) TRY(check_change(&changes[i]));
  /* eta ≥ now + min_timelock; a change of the timelock itself waits the longer of old and new [GOV-4]. */
  uint64_t delay = config->params[P_MIN_TIMELOCK_EPOCHS];
  for (uint64_t i = 0; i < n; i++)
    if (changes[i].kind == CHANGE_SET_PARAM && changes[i].param == P_MIN_TIMELOCK_EPOCHS && changes[i].value > delay) delay = changes[i].value;
  if (!(delay <= UINT64_MAX - config->current_epoch && eta >= config->current_epoch + delay)) return ERR_GOV_4; /* eta is after the timelock */
  TRY(check_outcome(config, changes, n));

  uint64_t id = config->next_proposal_id;
  TRY(add_u64(id, 1, &config->next_proposal_id));
  SolSignerSeed s[3];
  uint8_t id8[8];
  ProposalAccount *p;
  Create c = {&ctx->ka[AI_PROPOSE_PAYER], &ctx->ka[AI_PROPOSE_PROPOSAL], s, proposal_seeds(s, id8, id, ctx->data + BUMP_PROPOSE_PROPOSAL), sizeof(ProposalAccount)};
  TRY(create_pda(ctx, &c, (uint8_t **)&p));
  account_header((uint8_t *)p, DISC_PROPOSAL);
  p->status = PROPOSAL_QUEUED;
  p->change_count = (uint8_t)n;
  p->id = id;
  memcpy(p->proposer, proposer->key->x, 32);
  p->created_epoch = config->current_epoch;
  p->eta_epoch = eta;
  p->stake_snapshot = config->total_bonded;
  memcpy(p->changes, changes, sizeof(Change) * n);
  return 0;
}

/* ------------------------------------------------------------------------------------- veto */

uint64_t process_veto(const Ctx *ctx) {
  Reader r;
  rd_init(&r, ctx, IX_VETO_FIELDS);
  uint64_t id = rd_u64(&r);
  TRY(rd_end(&r));
  if (!is_system_program(&ctx->ka[AI_VETO_SYSTEM_PROGRAM])) return ERR_ACC_5;
  const SolAccountInfo *voter = &ctx->ka[AI_VETO_VOTER];
  const SolAccountInfo *veto_info = &ctx->ka[AI_VETO_VETO];

  ConfigAccount *config;
  TRY(load_config(ctx, &ctx->ka[AI_VETO_CONFIG], &config));
  ProposalAccount *proposal;
  TRY(load_proposal(ctx, &ctx->ka[AI_VETO_PROPOSAL], id, &proposal));
  if (proposal == NULL) return proposal_absent(ctx, &ctx->ka[AI_VETO_PROPOSAL], id, ERR_GOV_10); /* the proposal exists */
  if (!(proposal->status == PROPOSAL_QUEUED)) return ERR_GOV_11; /* only a queued proposal is vetoed */
  if (!(config->current_epoch < proposal->eta_epoch)) return ERR_GOV_12; /* vetoes count only during the timelock */
  VetoAccount *veto;
  TRY(load_veto(ctx, veto_info, id, voter->key->x, &veto));
  if (!(veto == NULL)) return ERR_GOV_13; /* each key vetoes a proposal once */
  WeightOf w = {ctx, config, &ctx->ka[AI_VETO_MINERS], &ctx->ka[AI_VETO_WITNESS_ACCOUNT], voter->key->x};
  uint64_t weight;
  TRY(governance_weight(&w, &weight));
  if (!(weight > 0)) return ERR_GOV_14; /* a veto needs bonded stake */

  SolSignerSeed s[4];
  uint8_t id8[8];
  Create c = {&ctx->ka[AI_VETO_PAYER], veto_info, s, veto_seeds(s, id8, id, voter->key->x, ctx->data + BUMP_VETO_VETO), sizeof(VetoAccount)};
  TRY(create_pda(ctx, &c, (uint8_t **)&veto));
  account_header((uint8_t *)veto, DISC_VETO);
  veto->proposal_id = id;
  memcpy(veto->voter, voter->key->x, 32);
  veto->weight = weight;
  TRY(add_u64(proposal->veto_stake, weight, &proposal->veto_stake));
  /* Vetoes of at least veto_bps of the stake bonded at proposal time cancel it [GOV-5]. */
  if (mul_ge(proposal->veto_stake, BPS, config->params[P_VETO_BPS], proposal->stake_snapshot)) proposal->status = PROPOSAL_VETOED;
  return 0;
}

/* ---------------------------------------------------------------------------------- execute */

uint64_t process_execute(const Ctx *ctx) {
  Reader r;
  rd_init(&r, ctx, IX_EXECUTE_FIELDS);
  uint64_t id = rd_u64(&r);
  TRY(rd_end(&r));

  ConfigAccount *config;
  TRY(load_config(ctx, &ctx->ka[AI_EXECUTE_CONFIG], &config));
  ProposalAccount *proposal;
  TRY(load_proposal(ctx, &ctx->ka[AI_EXECUTE_PROPOSAL], id, &proposal));
  if (proposal == NULL) return proposal_absent(ctx, &ctx->ka[AI_EXECUTE_PROPOSAL], id, ERR_GOV_10); /* the proposal exists */
  if (!(proposal->status == PROPOSAL_QUEUED)) return ERR_GOV_11; /* only a queued proposal is executed */
  if (!(config->current_epoch >= proposal->eta_epoch)) return ERR_GOV_15; /* never before eta */
  /* A proposal not executed within as many epochs after its eta as its own timelock lasted
   * (eta − created) has expired: an old queued proposal cannot be sprung later, when its vetoes no
   * longer count, and no later change of min_timelock_epochs moves its expiry [GOV-17]. eta ≥ created
   * (GOV-4); eta + (eta − created) is a bigint in the spec, so past 2^64 nothing expires. */
  uint64_t eta = proposal->eta_epoch, created = proposal->created_epoch;
  bool live = eta >= created && (eta - created > UINT64_MAX - eta || config->current_epoch <= eta + (eta - created));
  if (!(live)) return ERR_GOV_17; /* not expired */
  if (!(config->pending_count == 0)) return ERR_GOV_16; /* one scheduled change set at a time */
  TRY(check_outcome(config, proposal->changes, proposal->change_count));

  memcpy(config->pending, proposal->changes, sizeof(config->pending));
  config->pending_count = proposal->change_count;
  /* currentEpoch + 1 is a bigint in the spec; an epoch counter never reaches 2^64. */
  config->pending_activation_epoch = config->current_epoch + 1;
  proposal->status = PROPOSAL_EXECUTED;
  return 0;
}
