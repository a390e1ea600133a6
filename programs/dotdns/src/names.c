/* Names [NAM] (spec/src/transition/names.ts): first come, first served, for a registration fee that
 * goes to the reward pool. */
#include "accounts/config.h"
#include "accounts/name.h"
#include "accounts/vault.h"

/* Strict UTF-8 (what a fatal decoder accepts): shortest forms, no surrogates, at most U+10FFFF. A
 * name is checked byte by byte afterwards, so only the decoder's ENC-3 depends on this. */
static bool utf8_valid(const uint8_t *p, uint64_t n) {
  uint64_t i = 0;
  while (i < n) {
    uint8_t c = p[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    uint64_t more;
    uint8_t lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) more = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      more = 2;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      more = 3;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    } else return false;
    if (i + more >= n) return false; /* the sequence is complete */
    if (!(p[i + 1] >= lo && p[i + 1] <= hi)) return false;
    for (uint64_t k = 2; k <= more; k++)
      if (!(p[i + k] >= 0x80 && p[i + k] <= 0xbf)) return false;
    i += more + 1;
  }
  return true;
}

uint64_t process_register_name(const Ctx *ctx) {
  Reader r;
  rd_init(&r, ctx, IX_REGISTER_NAME_FIELDS);
  uint64_t len = rd_u8(&r);
  /* The length bound is checkNormalized's, in the spec's order, not the decoder's. */
  const uint8_t *name = rd_take(&r, len);
  if (r.err == 0 && !utf8_valid(name, len)) rd_fail(&r, ERR_ENC_3); /* the name is valid UTF-8 */
  TRY(rd_end(&r));
  if (!is_system_program(&ctx->ka[AI_REGISTER_NAME_SYSTEM_PROGRAM])) return ERR_ACC_5;
  const SolAccountInfo *owner = &ctx->ka[AI_REGISTER_NAME_OWNER];
  const SolAccountInfo *info = &ctx->ka[AI_REGISTER_NAME_NAME];

  ConfigAccount *config;
  TRY(load_config(ctx, &ctx->ka[AI_REGISTER_NAME_CONFIG], &config));
  /* The program sees only the normalized form and checks it byte by byte [NAM-2..5]. */
  TRY(check_normalized(name, len));
  /* name_hash = H("dotdns/v1/name", normalized) [NAM-6] */
  uint8_t hash[32];
  SolBytes h[2] = {HSLICE(NAME), {name, len}};
  sol_sha256(h, 2, hash);
  NameAccount *account;
  TRY(load_name(ctx, info, hash, &account));
  if (!(account == NULL)) return ERR_NAM_7; /* first come, first served */

  uint64_t fee = config->params[P_REGISTRATION_FEE];
  TRY(load_vault(ctx, &ctx->ka[AI_REGISTER_NAME_VAULT]));
  TRY(vault_deposit(ctx, owner, &ctx->ka[AI_REGISTER_NAME_VAULT], fee));
  TRY(add_u64(config->reward_pool, fee, &config->reward_pool));
  SolSignerSeed s[3];
  Create c = {&ctx->ka[AI_REGISTER_NAME_PAYER], info, s, name_seeds(s, hash, ctx->data + BUMP_REGISTER_NAME_NAME), sizeof(NameAccount)};
  TRY(create_pda(ctx, &c, (uint8_t **)&account));
  account_header((uint8_t *)account, DISC_NAME);
  account->name_len = (uint8_t)len;
  memcpy(account->name_hash, hash, 32);
  memcpy(account->owner, owner->key->x, 32);
  account->registered_epoch = config->current_epoch;
  memcpy(account->name, name, len);
  return 0;
}

uint64_t process_transfer_name(const Ctx *ctx) {
  Reader r;
  rd_init(&r, ctx, IX_TRANSFER_NAME_FIELDS);
  const uint8_t *name_hash = rd_take(&r, 32);
  const uint8_t *new_owner = rd_take(&r, 32);
  TRY(rd_end(&r));
  const SolAccountInfo *info = &ctx->ka[AI_TRANSFER_NAME_NAME];

  /* The spec first requires an initialized protocol [ACC-7]; transferName lists no Config, and a Name
   * exists only after initialization, so a present Name implies it and an absent one is NAM-9. */
  NameAccount *name;
  TRY(load_name(ctx, info, name_hash, &name));
  if (name == NULL) return name_absent(ctx, info, name_hash, ERR_NAM_9); /* the name is registered */
  if (!(eq32a(name->owner, (const uint8_t *)ctx->ka[AI_TRANSFER_NAME_OWNER].key->x))) return ERR_NAM_10; /* only the owner transfers */
  memcpy(name->owner, new_owner, 32);
  return 0;
}
