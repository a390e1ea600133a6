/* Epochs and committees [EPC], [CMT] (spec/src/transition/epoch.ts): the permissionless crank that
 * moves the protocol one epoch on. */
#include "accounts/committee.h"
#include "accounts/config.h"
#include "accounts/miners.h"

/* The draw for seat i: the first 8 bytes of H("dotdns/v1/sample", seed ‖ u8(i)), little-endian [CMT-4]. */
static uint64_t sample_draw(const uint8_t *seed, uint64_t i) {
  uint8_t seat = (uint8_t)i;
  uint64_t out[4];
  SolBytes h[3] = {HSLICE(SAMPLE), {seed, 32}, {&seat, 1}};
  sol_sha256(h, 3, (uint8_t *)out);
  return out[0];
}

static bool allowlisted(const ConfigAccount *config, const uint8_t *key) {
  for (uint64_t i = 0; i < config->allowlist_count; i++)
    if (eq32a(config->allowlist[i], key)) return true;
  return false;
}

/* selectCommittee [CMT-2..5] as a bit set over MinerSet indices (bit i = entries[i]), which keeps
 * MinerSet order for free: eligible miners have active ≥ min_miner_stake, are not jailed, and in
 * allowlist mode are allowlisted; allowlist mode seats all of them, stake mode seats all when at most
 * K, else draws K by stake-weighted sampling without replacement. */
static uint64_t select_committee(const ConfigAccount *config, const MinerSetAccount *set, uint64_t *chosen) {
  uint64_t mode = config->params[P_COMMITTEE_MODE], size = config->params[P_COMMITTEE_SIZE];
  uint64_t min = config->params[P_MIN_MINER_STAKE];
  uint64_t eligible = 0, count = 0;
  for (uint64_t i = 0; i < set->count; i++) {
    const MinerEntry *e = &set->entries[i];
    if (e->active >= min && e->jailed == 0 && (mode != COMMITTEE_MODE_ALLOWLIST || allowlisted(config, e->key))) {
      eligible |= 1UL << i;
      count++;
    }
  }
  *chosen = eligible;
  if (mode == COMMITTEE_MODE_ALLOWLIST || count <= size) return 0;
  uint64_t pool = eligible;
  *chosen = 0;
  for (uint64_t seat = 0; seat < size; seat++) {
    /* The pool's stake is a bigint in the spec; it is a sum of deposited lamports, so it fits. */
    uint64_t total = 0;
    for (uint64_t i = 0; i < set->count; i++)
      if ((pool >> i) & 1) TRY(add_u64(total, set->entries[i].active, &total));
    uint64_t r = sample_draw(config->seed, seat) % total;
    uint64_t j = 0;
    while (!((pool >> j) & 1)) j++;
    while (r >= set->entries[j].active) {
      r -= set->entries[j].active;
      j++;
      while (!((pool >> j) & 1)) j++;
    }
    *chosen |= 1UL << j;
    pool &= ~(1UL << j);
  }
  return 0;
}

uint64_t process_advance_epoch(const Ctx *ctx) {
  Reader r;
  rd_init(&r, ctx, IX_ADVANCE_EPOCH_FIELDS);
  TRY(rd_end(&r));
  if (!is_system_program(&ctx->ka[AI_ADVANCE_EPOCH_SYSTEM_PROGRAM])) return ERR_ACC_5;

  ConfigAccount *config;
  TRY(load_config(ctx, &ctx->ka[AI_ADVANCE_EPOCH_CONFIG], &config));
  /* The crank moves one epoch at a time, and never ahead of the clock [EPC-2]; a clock epoch is below
   * 2^64, so it never reaches the successor of the last u64. */
  uint64_t clock_epoch = clock_slot() / config->params[P_EPOCH_LENGTH_SLOTS];
  if (!(config->current_epoch < UINT64_MAX && clock_epoch >= config->current_epoch + 1)) return ERR_EPC_2; /* epoch next has started */
  uint64_t next = config->current_epoch + 1;

  config->current_epoch = next;
  /* Executed governance changes take effect here, at the boundary, never mid-epoch [GOV-6]. */
  if (config->pending_count > 0 && config->pending_activation_epoch <= next) activate_changes(config);

  /* Stake bonded during the last epoch becomes active at this boundary [STK-9]. */
  MinerSetAccount *set;
  TRY(load_miners(ctx, &ctx->ka[AI_ADVANCE_EPOCH_MINERS], &set));
  for (uint64_t i = 0; i < set->count; i++) {
    MinerEntry *e = &set->entries[i];
    TRY(add_u64(e->active, e->pending, &e->active));
    e->pending = 0;
  }

  /* seed_e = H("dotdns/v1/seed", seed_{e-1} ‖ u64(e) ‖ state_digest) [CMT-1] */
  uint8_t e8[8];
  store_u64_le(e8, next);
  SolBytes h[4] = {HSLICE(SEED), {config->seed, 32}, {e8, 8}, {config->state_digest, 32}};
  sol_sha256(h, 4, config->seed);

  uint64_t chosen;
  TRY(select_committee(config, set, &chosen));

  /* The committee of the next epoch is new: epochs only move forward. */
  const SolAccountInfo *info = &ctx->ka[AI_ADVANCE_EPOCH_COMMITTEE];
  CommitteeAccount *committee;
  TRY(load_committee(ctx, info, next, &committee));
  if (committee == NULL) {
    SolSignerSeed s[3];
    Create c = {&ctx->ka[AI_ADVANCE_EPOCH_PAYER], info, s, committee_seeds(s, e8, next, ctx->data + BUMP_ADVANCE_EPOCH_COMMITTEE), sizeof(CommitteeAccount)};
    TRY(create_pda(ctx, &c, (uint8_t **)&committee));
  } else {
    memset(committee, 0, sizeof(CommitteeAccount)); /* the spec replaces it whole */
  }
  account_header((uint8_t *)committee, DISC_COMMITTEE);
  committee->epoch = next;
  memcpy(committee->seed, config->seed, 32);
  uint64_t m = 0;
  for (uint64_t i = 0; i < set->count; i++) {
    if (!((chosen >> i) & 1)) continue;
    memcpy(committee->members[m].key, set->entries[i].key, 32);
    committee->members[m].stake = set->entries[i].active;
    TRY(add_u64(committee->total_stake, set->entries[i].active, &committee->total_stake));
    m++;
  }
  committee->member_count = (uint8_t)m;
  return 0;
}

