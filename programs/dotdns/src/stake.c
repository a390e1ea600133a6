/* Stake [STK] and the pool (spec/src/transition/stake.ts). Miners and witnesses bond lamports into the
 * vault; new stake is active from the next epoch; unbonded stake waits unbonding_epochs. */
#include "accounts/config.h"
#include "accounts/miners.h"
#include "accounts/vault.h"
#include "accounts/witness.h"

/* checkMinimum: bonded stake after a change is zero or at least the minimum [STK-3]. */
static bool meets_minimum(uint64_t bonded, uint64_t min) { return bonded == 0 || bonded >= min; }

static bool allowlisted(const ConfigAccount *config, const Key *key) {
  for (uint64_t i = 0; i < config->allowlist_count; i++)
    if (key_eq(key, config->allowlist[i])) return true;
  return false;
}

/* A u64 amount after the tag (and `fields` − 1 bumps). */
static uint64_t read_amount(const Ctx *ctx, uint64_t fields, uint64_t *amount) {
  Reader r;
  rd_init(&r, ctx, fields);
  *amount = rd_u64(&r);
  return rd_end(&r);
}

static uint64_t read_nothing(const Ctx *ctx, uint64_t fields) {
  Reader r;
  rd_init(&r, ctx, fields);
  return rd_end(&r);
}

/* minerOf: the signer's entry in the MinerSet [STK-4]. */
static uint64_t miner_of(const Ctx *ctx, uint64_t miners_at, const SolAccountInfo *miner, MinerEntry **out) {
  MinerSetAccount *set;
  Key k;
  TRY(load_miners(ctx, &ctx->ka[miners_at], &set));
  key_load(&k, miner->key->x);
  *out = find_miner(set, &k);
  if (!(*out != NULL)) return ERR_STK_4; /* no stake account for this miner */
  return 0;
}

/* witnessOf [STK-4]. */
static uint64_t witness_of(const Ctx *ctx, const SolAccountInfo *info, const SolAccountInfo *witness, WitnessAccount **out) {
  TRY(load_witness(ctx, info, witness->key->x, out));
  if (*out == NULL) return witness_absent(ctx, info, witness->key->x, ERR_STK_4); /* no stake account for this witness */
  return 0;
}

/* ---------------------------------------------------------------------------------- miners */

uint64_t process_miner_bond(const Ctx *ctx) {
  uint64_t amount;
  TRY(read_amount(ctx, IX_MINER_BOND_FIELDS, &amount));
  if (!is_system_program(&ctx->ka[AI_MINER_BOND_SYSTEM_PROGRAM])) return ERR_ACC_5;
  const SolAccountInfo *miner = &ctx->ka[AI_MINER_BOND_MINER];

  ConfigAccount *config;
  MinerSetAccount *set;
  TRY(load_config(ctx, &ctx->ka[AI_MINER_BOND_CONFIG], &config));
  TRY(load_miners(ctx, &ctx->ka[AI_MINER_BOND_MINERS], &set));
  if (!(amount >= 1)) return ERR_STK_1; /* bond at least one lamport */
  Key k;
  key_load(&k, miner->key->x);
  MinerEntry *entry = find_miner(set, &k);
  if (!(entry != NULL || set->count < MAX_MINERS)) return ERR_STK_2; /* the miner set has fixed capacity */
  /* In allowlist mode only allowlisted keys open an entry, so strangers cannot fill the set [STK-11]. */
  if (!(entry != NULL || config->params[P_COMMITTEE_MODE] != COMMITTEE_MODE_ALLOWLIST || allowlisted(config, &k))) return ERR_STK_11;
  uint64_t bonded;
  TRY(add_u64(entry == NULL ? 0 : entry->active, entry == NULL ? 0 : entry->pending, &bonded));
  TRY(add_u64(bonded, amount, &bonded));
  if (!(meets_minimum(bonded, config->params[P_MIN_MINER_STAKE]))) return ERR_STK_3; /* bonded stake reaches the minimum */

  if (entry == NULL) {
    entry = &set->entries[set->count];
    memset(entry, 0, sizeof(MinerEntry));
    memcpy(entry->key, k.w, 32);
    set->count += 1;
  }
  TRY(load_vault(ctx, &ctx->ka[AI_MINER_BOND_VAULT]));
  TRY(vault_deposit(ctx, miner, &ctx->ka[AI_MINER_BOND_VAULT], amount));
  /* Pending until the next epoch boundary [STK-9]. */
  TRY(add_u64(entry->pending, amount, &entry->pending));
  return add_u64(config->total_bonded, amount, &config->total_bonded);
}

uint64_t process_miner_unbond(const Ctx *ctx) {
  uint64_t amount;
  TRY(read_amount(ctx, IX_MINER_UNBOND_FIELDS, &amount));

  ConfigAccount *config;
  MinerEntry *entry;
  TRY(load_config(ctx, &ctx->ka[AI_MINER_UNBOND_CONFIG], &config));
  TRY(miner_of(ctx, AI_MINER_UNBOND_MINERS, &ctx->ka[AI_MINER_UNBOND_MINER], &entry));
  /* active + pending, checked as in the spec [ACC-6]; both come from deposits, so it fits. */
  uint64_t bonded;
  TRY(add_u64(entry->active, entry->pending, &bonded));
  if (!(amount >= 1 && amount <= bonded)) return ERR_STK_5; /* unbond 1..bonded lamports */
  if (!(meets_minimum(bonded - amount, config->params[P_MIN_MINER_STAKE]))) return ERR_STK_3; /* what stays reaches the minimum */

  /* Pending stake is released first: it never backed a committee seat. */
  uint64_t from_pending = amount < entry->pending ? amount : entry->pending;
  entry->pending -= from_pending;
  TRY(sub_u64(entry->active, amount - from_pending, &entry->active));
  TRY(add_u64(entry->unbonding, amount, &entry->unbonding));
  /* A new unbond restarts the wait for the whole unbonding balance [STK-6]. */
  TRY(add_u64(config->current_epoch, config->params[P_UNBONDING_EPOCHS], &entry->unbond_ready_epoch));
  return sub_u64(config->total_bonded, amount, &config->total_bonded);
}

uint64_t process_miner_withdraw(const Ctx *ctx) {
  TRY(read_nothing(ctx, IX_MINER_WITHDRAW_FIELDS));
  const SolAccountInfo *miner = &ctx->ka[AI_MINER_WITHDRAW_MINER];

  ConfigAccount *config;
  MinerEntry *entry;
  TRY(load_config(ctx, &ctx->ka[AI_MINER_WITHDRAW_CONFIG], &config));
  TRY(miner_of(ctx, AI_MINER_WITHDRAW_MINERS, miner, &entry));
  if (!(entry->unbonding > 0)) return ERR_STK_6; /* something is unbonding */
  if (!(config->current_epoch >= entry->unbond_ready_epoch)) return ERR_STK_6; /* and its wait is over */

  TRY(load_vault(ctx, &ctx->ka[AI_MINER_WITHDRAW_VAULT]));
  TRY(vault_pay(&ctx->ka[AI_MINER_WITHDRAW_VAULT], miner, entry->unbonding));
  entry->unbonding = 0;
  entry->unbond_ready_epoch = 0;
  /* An empty, unjailed entry frees its seat; a jailed one stays so the jail cannot be shed. */
  if (entry->active == 0 && entry->pending == 0 && entry->claimable == 0 && entry->jailed == 0) {
    MinerSetAccount *set = (MinerSetAccount *)ctx->ka[AI_MINER_WITHDRAW_MINERS].data;
    uint64_t i = 0;
    while (&set->entries[i] != entry) i++;
    uint64_t after = set->count - 1 - i;
    /* splice(i, 1) and push an empty entry: later entries keep their order. */
    if (after > 0) memmove(entry, entry + 1, after * sizeof(MinerEntry));
    memset(&set->entries[set->count - 1], 0, sizeof(MinerEntry));
    set->count -= 1;
  }
  return 0;
}

uint64_t process_unjail(const Ctx *ctx) {
  TRY(read_nothing(ctx, IX_UNJAIL_FIELDS));

  ConfigAccount *config;
  MinerEntry *entry;
  TRY(load_config(ctx, &ctx->ka[AI_UNJAIL_CONFIG], &config));
  TRY(miner_of(ctx, AI_UNJAIL_MINERS, &ctx->ka[AI_UNJAIL_MINER], &entry));
  uint64_t jail = config->params[P_JAIL_EPOCHS];
  if (!(entry->jailed == 1)) return ERR_SLS_4; /* the miner is jailed */
  if (!(jail <= UINT64_MAX - entry->jailed_epoch && config->current_epoch >= entry->jailed_epoch + jail)) return ERR_SLS_4; /* jail_epochs have passed */
  if (!(entry->active >= config->params[P_MIN_MINER_STAKE])) return ERR_SLS_4; /* the minimum stake is still active */
  entry->jailed = 0;
  return 0;
}

/* ------------------------------------------------------------------------------- witnesses */

/* setNextStake: the stake a witness holds from the next epoch on, at most one checkpoint per epoch;
 * when all four are used the oldest goes [STK-10]. */
static void set_next_stake(WitnessAccount *w, uint64_t current_epoch, uint64_t amount) {
  uint64_t next = current_epoch + 1; /* a bigint in the spec; epochs never reach 2^64 */
  uint64_t n = w->checkpoint_count;
  if (n > 0 && w->checkpoints[n - 1].epoch == next) {
    w->checkpoints[n - 1].amount = amount;
    return;
  }
  if (n == WITNESS_CHECKPOINTS) {
    memmove(&w->checkpoints[0], &w->checkpoints[1], (WITNESS_CHECKPOINTS - 1) * sizeof(StakeCheckpoint));
    n -= 1;
  }
  w->checkpoints[n].epoch = next;
  w->checkpoints[n].amount = amount;
  w->checkpoint_count = (uint8_t)(n + 1);
}

uint64_t process_witness_bond(const Ctx *ctx) {
  uint64_t amount;
  TRY(read_amount(ctx, IX_WITNESS_BOND_FIELDS, &amount));
  if (!is_system_program(&ctx->ka[AI_WITNESS_BOND_SYSTEM_PROGRAM])) return ERR_ACC_5;
  const SolAccountInfo *witness = &ctx->ka[AI_WITNESS_BOND_WITNESS];
  const SolAccountInfo *info = &ctx->ka[AI_WITNESS_BOND_WITNESS_ACCOUNT];

  ConfigAccount *config;
  TRY(load_config(ctx, &ctx->ka[AI_WITNESS_BOND_CONFIG], &config));
  if (!(amount >= 1)) return ERR_STK_1; /* bond at least one lamport */
  WitnessAccount *w;
  TRY(load_witness(ctx, info, witness->key->x, &w));
  uint64_t bonded;
  TRY(add_u64(w == NULL ? 0 : witness_bonded(w), amount, &bonded));
  if (!(meets_minimum(bonded, config->params[P_MIN_WITNESS_STAKE]))) return ERR_STK_3; /* bonded stake reaches the minimum */

  if (w == NULL) {
    SolSignerSeed s[3];
    Create c = {&ctx->ka[AI_WITNESS_BOND_PAYER], info, s, witness_seeds(s, witness->key->x, ctx->data + BUMP_WITNESS_BOND_WITNESS_ACCOUNT), sizeof(WitnessAccount)};
    TRY(create_pda(ctx, &c, (uint8_t **)&w));
    account_header((uint8_t *)w, DISC_WITNESS);
    memcpy(w->key, witness->key->x, 32);
  }
  TRY(load_vault(ctx, &ctx->ka[AI_WITNESS_BOND_VAULT]));
  TRY(vault_deposit(ctx, witness, &ctx->ka[AI_WITNESS_BOND_VAULT], amount));
  set_next_stake(w, config->current_epoch, bonded);
  return add_u64(config->total_bonded, amount, &config->total_bonded);
}

uint64_t process_witness_unbond(const Ctx *ctx) {
  uint64_t amount;
  TRY(read_amount(ctx, IX_WITNESS_UNBOND_FIELDS, &amount));

  ConfigAccount *config;
  WitnessAccount *w;
  TRY(load_config(ctx, &ctx->ka[AI_WITNESS_UNBOND_CONFIG], &config));
  TRY(witness_of(ctx, &ctx->ka[AI_WITNESS_UNBOND_WITNESS_ACCOUNT], &ctx->ka[AI_WITNESS_UNBOND_WITNESS], &w));
  uint64_t bonded = witness_bonded(w);
  if (!(amount >= 1 && amount <= bonded)) return ERR_STK_5; /* unbond 1..bonded lamports */
  if (!(meets_minimum(bonded - amount, config->params[P_MIN_WITNESS_STAKE]))) return ERR_STK_3; /* what stays reaches the minimum */

  /* The weight of the current epoch stays: receipts already signed this epoch remain true. */
  set_next_stake(w, config->current_epoch, bonded - amount);
  TRY(add_u64(w->unbonding, amount, &w->unbonding));
  TRY(add_u64(config->current_epoch, config->params[P_UNBONDING_EPOCHS], &w->unbond_ready_epoch));
  return sub_u64(config->total_bonded, amount, &config->total_bonded);
}

uint64_t process_witness_withdraw(const Ctx *ctx) {
  TRY(read_nothing(ctx, IX_WITNESS_WITHDRAW_FIELDS));
  const SolAccountInfo *witness = &ctx->ka[AI_WITNESS_WITHDRAW_WITNESS];

  ConfigAccount *config;
  WitnessAccount *w;
  TRY(load_config(ctx, &ctx->ka[AI_WITNESS_WITHDRAW_CONFIG], &config));
  TRY(witness_of(ctx, &ctx->ka[AI_WITNESS_WITHDRAW_WITNESS_ACCOUNT], witness, &w));
  if (!(w->unbonding > 0)) return ERR_STK_6; /* something is unbonding */
  if (!(config->current_epoch >= w->unbond_ready_epoch)) return ERR_STK_6; /* and its wait is over */
  TRY(load_vault(ctx, &ctx->ka[AI_WITNESS_WITHDRAW_VAULT]));
  TRY(vault_pay(&ctx->ka[AI_WITNESS_WITHDRAW_VAULT], witness, w->unbonding));
  w->unbonding = 0;
  w->unbond_ready_epoch = 0;
  return 0;
}

/* --------------------------------------------------------------------------- pool & claims */

uint64_t process_claim(const Ctx *ctx) {
  Reader r;
  rd_init(&r, ctx, IX_CLAIM_FIELDS);
  uint8_t role = rd_u8(&r);
  TRY(rd_end(&r));
  if (!(role <= 1)) return ERR_ACC_10; /* role 0 (miner) or 1 (witness) */
  const SolAccountInfo *claimant = &ctx->ka[AI_CLAIM_CLAIMANT];
  const SolAccountInfo *stake = &ctx->ka[AI_CLAIM_STAKE_ACCOUNT];

  /* The spec's claim reads only the stake account (an absent Witness is STK-4 even before
   * initialization), so Config is only checked to be Config when it exists. */
  uint8_t *config;
  TRY(account_data(ctx, &ctx->ka[AI_CLAIM_CONFIG], DISC_CONFIG, sizeof(ConfigAccount), &config));
  uint64_t *claimable;
  if (role == 0) {
    MinerEntry *entry;
    TRY(miner_of(ctx, AI_CLAIM_STAKE_ACCOUNT, claimant, &entry));
    claimable = &entry->claimable;
  } else {
    WitnessAccount *w;
    TRY(witness_of(ctx, stake, claimant, &w));
    claimable = &w->claimable;
  }
  if (!(*claimable > 0)) return ERR_RWD_6; /* a claim pays out a non-zero balance */
  TRY(load_vault(ctx, &ctx->ka[AI_CLAIM_VAULT]));
  TRY(vault_pay(&ctx->ka[AI_CLAIM_VAULT], claimant, *claimable));
  *claimable = 0;
  return 0;
}

uint64_t process_fund_pool(const Ctx *ctx) {
  uint64_t amount;
  TRY(read_amount(ctx, IX_FUND_POOL_FIELDS, &amount));
  if (!is_system_program(&ctx->ka[AI_FUND_POOL_SYSTEM_PROGRAM])) return ERR_ACC_5;

  ConfigAccount *config;
  TRY(load_config(ctx, &ctx->ka[AI_FUND_POOL_CONFIG], &config));
  if (!(amount >= 1)) return ERR_RWD_7; /* fund at least one lamport */
  TRY(load_vault(ctx, &ctx->ka[AI_FUND_POOL_VAULT]));
  TRY(vault_deposit(ctx, &ctx->ka[AI_FUND_POOL_FUNDER], &ctx->ka[AI_FUND_POOL_VAULT], amount));
  return add_u64(config->reward_pool, amount, &config->reward_pool);
}
