/* Creating program accounts at their PDAs [ACC-4]. The system program checks the signer seeds, so a
 * successful creation proves the address: the bump in the data needs no separate derivation.
 *
 * SDK additions (here rather than in programs/sdk, which has create_account and transfer only): the
 * system program's Allocate and Assign, for an address someone pre-funded to block create_account. */
#include "dotdns.h"

#define SYSTEM_IX_ASSIGN 1
#define SYSTEM_IX_ALLOCATE 8

typedef struct {
  const Ctx *ctx;
  const SolAccountInfo *account; /* signs through `signer` */
  const SolSignerSeeds *signer;
} SignedOne;

/* Allocate(space) on a system-owned account that signs with its PDA seeds. */
static uint64_t system_allocate(const SignedOne *s, uint64_t space) {
  uint8_t data[4 + 8];
  store_u32_le(data, SYSTEM_IX_ALLOCATE);
  store_u64_le(data + 4, space);
  SolAccountMeta meta = {s->account->key, true, true};
  SolInstruction ix = {&SYSTEM_PROGRAM_ID, &meta, 1, data, sizeof(data)};
  return sol_invoke_signed_c(&ix, s->ctx->ka, s->ctx->ka_num, s->signer, 1);
}

/* Assign(owner) on a system-owned account that signs with its PDA seeds. */
static uint64_t system_assign(const SignedOne *s, const SolPubkey *owner) {
  uint8_t data[4 + 32];
  store_u32_le(data, SYSTEM_IX_ASSIGN);
  memcpy(data + 4, owner->x, 32);
  SolAccountMeta meta = {s->account->key, true, true};
  SolInstruction ix = {&SYSTEM_PROGRAM_ID, &meta, 1, data, sizeof(data)};
  return sol_invoke_signed_c(&ix, s->ctx->ka, s->ctx->ka_num, s->signer, 1);
}

uint64_t create_pda(const Ctx *ctx, const Create *c, uint8_t **data) {
  uint64_t lamports;
  TRY(rent_minimum(c->space, &lamports));
  SolSignerSeeds signer = {c->seeds, c->seed_count};
  uint64_t held = *c->account->lamports;
  if (held == 0) {
    SystemCreateAccount args = {c->payer, c->account, lamports, c->space, ctx->program_id, ctx->ka, ctx->ka_num, &signer, 1};
    TRY(system_create_account(&args));
  } else {
    /* create_account refuses an address that holds lamports: top up to the rent minimum, then
     * allocate and assign, each signed by the PDA. */
    if (held < lamports) {
      SystemTransfer t = {c->payer, c->account, lamports - held, ctx->ka, ctx->ka_num, NULL, 0};
      TRY(system_transfer(&t));
    }
    SignedOne s = {ctx, c->account, &signer};
    TRY(system_allocate(&s, c->space));
    TRY(system_assign(&s, ctx->program_id));
  }
  /* The runtime wrote the new length back into the account info. */
  if (c->account->data_len != c->space) return ERR_ACC_5;
  *data = c->account->data;
  return 0;
}
