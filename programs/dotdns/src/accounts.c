/* Account validation [ACC-1], [ACC-5], [ACC-7] and vault lamports [RWD-1]. */
#include "dotdns.h"

uint64_t account_data(const Ctx *ctx, const SolAccountInfo *info, uint64_t disc, uint64_t size, uint8_t **out) {
  if (eq32a(info->owner->x, (const uint8_t *)ctx->program_key.w)) {
    /* Only the program writes data of accounts it owns, and it writes this discriminator only at this
     * kind's PDA, so owner + size + discriminator + version identify the kind [ACC-1]. */
    if (!(info->data_len == size && *(const u64a *)info->data == disc && info->data[8] == LAYOUT_VERSION)) return ERR_ACC_5;
    *out = info->data;
    return 0;
  }
  /* System-owned and empty: nothing was ever created here (lamports may have been sent to grief). */
  if (is_zero32(info->owner->x) && info->data_len == 0) {
    *out = NULL;
    return 0;
  }
  return ERR_ACC_5;
}

/* SDK addition: curve25519 point validation (feature-gated upstream, active on every cluster): 0 when
 * the 32 bytes decompress to a point of the Edwards curve, 1 when they do not. ~160 CU. */
uint64_t sol_curve_validate_point(uint64_t curve_id, const uint8_t *point);
#define CURVE25519_EDWARDS 0

static const uint8_t PDA_MARKER[] = "ProgramDerivedAddress";

bool pda_with_bump(const Ctx *ctx, const PdaSeeds *p, uint8_t bump, uint8_t out[32]) {
  /* create_program_address by hand: sha256(seeds ‖ bump ‖ program id ‖ marker), valid off the curve.
   * A sha256 and a point check cost a fifth of the syscall's 1500 CU. */
  SolBytes s[MAX_SEEDS + 3];
  if (p->count > MAX_SEEDS - 1) return false;
  for (uint64_t i = 0; i < p->count; i++) {
    if (p->seeds[i].len > MAX_SEED_LEN) return false;
    s[i] = (SolBytes){p->seeds[i].addr, p->seeds[i].len};
  }
  s[p->count] = (SolBytes){&bump, 1};
  s[p->count + 1] = (SolBytes){ctx->program_id->x, 32};
  s[p->count + 2] = (SolBytes){PDA_MARKER, sizeof(PDA_MARKER) - 1};
  sol_sha256(s, p->count + 3, out);
  return sol_curve_validate_point(CURVE25519_EDWARDS, out) != 0;
}

bool is_canonical_pda(const Ctx *ctx, const PdaSeeds *p, const SolPubkey *key) {
  /* find_program_address: the first bump from 255 down whose address is off the curve. */
  uint8_t address[32];
  for (uint64_t bump = 256; bump-- > 0;)
    if (pda_with_bump(ctx, p, (uint8_t)bump, address)) return eq32(address, key->x);
  return false;
}

uint64_t absent_rule(const Ctx *ctx, const SolAccountInfo *info, const SolSignerSeed *seeds, uint64_t count, uint64_t rule) {
  /* The spec's "absent" is only true of the real address; an empty stand-in is a wrong account. */
  PdaSeeds p = {seeds, count};
  return is_canonical_pda(ctx, &p, info->key) ? rule : ERR_ACC_5;
}

bool is_key(const SolAccountInfo *info, const uint8_t *key) { return eq32(info->key->x, key); }

uint64_t rent_minimum(uint64_t space, uint64_t *out) {
  SolRent rent;
  if (!get_rent(&rent) || !rent_exempt_minimum(&rent, space, out)) return ERR_ACC_6;
  return 0;
}

uint64_t vault_deposit(const Ctx *ctx, const SolAccountInfo *from, const SolAccountInfo *vault, uint64_t amount) {
  /* A zero deposit moves nothing; skipping the transfer keeps the same effect. */
  if (amount == 0) return 0;
  /* add(vaultBalance, amount) [ACC-6], vaultBalance being lamports − rent reserve. Only when
   * lamports + amount overflows can the balance overflow, so the reserve is read only then. */
  uint64_t sum;
  if (!checked_add_u64(*vault->lamports, amount, &sum)) {
    uint64_t reserve;
    TRY(rent_minimum(sizeof(VaultAccount), &reserve));
    TRY(add_u64(*vault->lamports - reserve, amount, &sum));
  }
  SystemTransfer t = {from, vault, amount, ctx->ka, ctx->ka_num, NULL, 0};
  return system_transfer(&t);
}

uint64_t vault_pay(const SolAccountInfo *vault, const SolAccountInfo *to, uint64_t amount) {
  uint64_t reserve, balance, credited;
  if (amount == 0) return 0;
  TRY(rent_minimum(sizeof(VaultAccount), &reserve));
  /* vault lamports − rent reserve is the spec's vaultBalance: sub(vaultBalance, amount) [ACC-6]. */
  TRY(sub_u64(*vault->lamports, reserve, &balance));
  TRY(sub_u64(balance, amount, &balance));
  TRY(add_u64(*to->lamports, amount, &credited));
  /* The vault is the program's own account, so it is debited directly; no CPI. */
  *vault->lamports -= amount;
  *to->lamports = credited;
  return 0;
}
