/* Initialization [ACC-9]: the one operation that creates Config, Vault, MinerSet and the first
 * Committee (spec/src/transition/init.ts). */
#include "accounts/committee.h"
#include "accounts/config.h"

typedef struct {
  const uint8_t *params; /* PARAM_SLOTS u64, unaligned */
  uint64_t allowlist_len;
  const uint8_t *allowlist; /* allowlist_len keys */
} InitData;

/* Creates one of the four accounts at (seed, bump) with the layout's size. */
static uint64_t create_at(const Ctx *ctx, uint64_t index, const SolSignerSeed *seeds, uint64_t count, uint8_t **data) {
  Create c = {&ctx->ka[AI_INITIALIZE_PAYER], &ctx->ka[index], seeds, count, 0};
  switch (index) {
    case AI_INITIALIZE_CONFIG: c.space = sizeof(ConfigAccount); break;
    case AI_INITIALIZE_VAULT: c.space = sizeof(VaultAccount); break;
    case AI_INITIALIZE_MINERS: c.space = sizeof(MinerSetAccount); break;
    default: c.space = sizeof(CommitteeAccount); break;
  }
  return create_pda(ctx, &c, data);
}

static uint64_t create_singleton(const Ctx *ctx, uint64_t index, const char *seed, uint64_t bump_at, uint8_t **data) {
  SolSignerSeed s[2] = {{(const uint8_t *)seed, sol_strlen(seed)}, {ctx->data + bump_at, 1}};
  return create_at(ctx, index, s, 2, data);
}

/* The vault must hold exactly its rent reserve: lamports someone sent to the address before
 * initialization go back to the payer, so vault lamports − reserve is the spec's vaultBalance (0). */
static uint64_t vault_exact(const SolAccountInfo *vault, const SolAccountInfo *payer) {
  uint64_t reserve, excess;
  TRY(rent_minimum(sizeof(VaultAccount), &reserve));
  TRY(sub_u64(*vault->lamports, reserve, &excess));
  if (excess != 0) {
    *vault->lamports = reserve;
    TRY(add_u64(*payer->lamports, excess, payer->lamports));
  }
  return 0;
}

static uint64_t create_all(const Ctx *ctx, const InitData *d, uint64_t epoch, const uint8_t *seed) {
  uint8_t *data;
  ConfigAccount *config;
  TRY(create_singleton(ctx, AI_INITIALIZE_CONFIG, SEED_CONFIG, BUMP_INITIALIZE_CONFIG, (uint8_t **)&config));
  account_header((uint8_t *)config, DISC_CONFIG);
  config->allowlist_count = (uint8_t)d->allowlist_len;
  memcpy(config->authority, ctx->ka[AI_INITIALIZE_AUTHORITY].key->x, 32);
  config->current_epoch = epoch;
  memcpy(config->params, d->params, sizeof(config->params));
  memcpy(config->seed, seed, 32);
  if (d->allowlist_len > 0) memcpy(config->allowlist, d->allowlist, 32 * d->allowlist_len);

  TRY(create_singleton(ctx, AI_INITIALIZE_VAULT, SEED_VAULT, BUMP_INITIALIZE_VAULT, &data));
  account_header(data, DISC_VAULT);

  TRY(create_singleton(ctx, AI_INITIALIZE_MINERS, SEED_MINER_SET, BUMP_INITIALIZE_MINERS, &data));
  account_header(data, DISC_MINER_SET);

  /* emptyCommittee(epoch, seed_0) */
  SolSignerSeed s[3];
  uint8_t e8[8];
  CommitteeAccount *committee;
  TRY(create_at(ctx, AI_INITIALIZE_COMMITTEE, s, committee_seeds(s, e8, epoch, ctx->data + BUMP_INITIALIZE_COMMITTEE), (uint8_t **)&committee));
  account_header((uint8_t *)committee, DISC_COMMITTEE);
  committee->epoch = epoch;
  memcpy(committee->seed, seed, 32);
  /* After the last CPI: a CPI checks the lamport sum of the accounts it syncs, and the payer would be
   * synced while the vault is not. */
  return vault_exact(&ctx->ka[AI_INITIALIZE_VAULT], &ctx->ka[AI_INITIALIZE_PAYER]);
}

uint64_t process_initialize(const Ctx *ctx) {
  Reader r;
  InitData d;
  rd_init(&r, ctx, IX_INITIALIZE_FIELDS);
  d.params = rd_take(&r, 8 * PARAM_SLOTS);
  d.allowlist_len = rd_u8(&r);
  /* The allowlist bound is checked below, in the spec's order, not while decoding. */
  d.allowlist = rd_take(&r, 32 * d.allowlist_len);
  TRY(rd_end(&r));
  if (!is_system_program(&ctx->ka[AI_INITIALIZE_SYSTEM_PROGRAM])) return ERR_ACC_5;

  uint8_t *existing;
  TRY(account_data(ctx, &ctx->ka[AI_INITIALIZE_CONFIG], DISC_CONFIG, sizeof(ConfigAccount), &existing));
  if (!(existing == NULL)) return ERR_ACC_9; /* the protocol is initialized once */
  uint64_t params[PARAM_SLOTS];
  memcpy(params, d.params, sizeof(params));
  TRY(check_params(params));
  if (!(d.allowlist_len <= MAX_ALLOWLIST)) return ERR_GOV_9; /* the allowlist fits Config */
  for (uint64_t i = 0; i < d.allowlist_len; i++)
    for (uint64_t j = i + 1; j < d.allowlist_len; j++)
      if (!(!eq32(d.allowlist + 32 * i, d.allowlist + 32 * j))) return ERR_GOV_9; /* ... and names each miner once */

  uint64_t epoch = clock_slot() / params[P_EPOCH_LENGTH_SLOTS];
  /* seed_0 = H("dotdns/v1/genesis", authority ‖ u64(epoch)) [CMT-1] */
  uint8_t e8[8], seed[32];
  store_u64_le(e8, epoch);
  SolBytes h[3] = {HSLICE(GENESIS), {ctx->ka[AI_INITIALIZE_AUTHORITY].key->x, 32}, {e8, 8}};
  sol_sha256(h, 3, seed);
  return create_all(ctx, &d, epoch, seed);
}
