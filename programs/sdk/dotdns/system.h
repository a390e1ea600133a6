#pragma once
/* System program instructions via CPI. The system program account must be one
 * of the transaction's accounts (the runtime resolves the callee from it). */

#include "cpi.h"
#include "memory.h"

/* The system program's id is all zero bytes. */
static const SolPubkey SYSTEM_PROGRAM_ID = {{0}};

#define SYSTEM_IX_CREATE_ACCOUNT 0
#define SYSTEM_IX_TRANSFER 2

typedef struct {
  const SolAccountInfo *payer;       /* signer, writable; funds the new account */
  const SolAccountInfo *new_account; /* writable; a PDA of the calling program, or a signer */
  uint64_t lamports;                 /* at least the rent-exempt minimum for `space` */
  uint64_t space;                    /* data bytes to allocate */
  const SolPubkey *owner;            /* program that will own the account */
  const SolAccountInfo *account_infos; /* must contain payer and new_account; usually params.ka */
  uint64_t account_infos_len;
  const SolSignerSeeds *signers; /* seeds of new_account (and of payer, if it is a PDA) */
  uint64_t signers_len;
} SystemCreateAccount;

/* Creates `new_account` with `space` zeroed bytes owned by `owner`. Afterwards the
 * account info in account_infos reports the new data_len and owner. */
static inline uint64_t system_create_account(const SystemCreateAccount *args) {
  uint8_t data[4 + 8 + 8 + SIZE_PUBKEY];
  store_u32_le(data, SYSTEM_IX_CREATE_ACCOUNT);
  store_u64_le(data + 4, args->lamports);
  store_u64_le(data + 12, args->space);
  memcpy(data + 20, args->owner->x, SIZE_PUBKEY);
  SolAccountMeta metas[2] = {
      {args->payer->key, true, true},
      {args->new_account->key, true, true},
  };
  SolInstruction ix = {&SYSTEM_PROGRAM_ID, metas, 2, data, sizeof(data)};
  return sol_invoke_signed_c(&ix, args->account_infos, args->account_infos_len, args->signers, args->signers_len);
}

typedef struct {
  const SolAccountInfo *from; /* signer (or PDA with seeds below), writable, owned by the system program */
  const SolAccountInfo *to;   /* writable */
  uint64_t lamports;
  const SolAccountInfo *account_infos; /* must contain from and to */
  uint64_t account_infos_len;
  const SolSignerSeeds *signers; /* NULL/0 when `from` signed the transaction */
  uint64_t signers_len;
} SystemTransfer;

static inline uint64_t system_transfer(const SystemTransfer *args) {
  uint8_t data[4 + 8];
  store_u32_le(data, SYSTEM_IX_TRANSFER);
  store_u64_le(data + 4, args->lamports);
  SolAccountMeta metas[2] = {
      {args->from->key, true, true},
      {args->to->key, true, false},
  };
  SolInstruction ix = {&SYSTEM_PROGRAM_ID, metas, 2, data, sizeof(data)};
  return sol_invoke_signed_c(&ix, args->account_infos, args->account_infos_len, args->signers, args->signers_len);
}
