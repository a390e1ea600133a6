#pragma once
/* The program entrypoint and the input deserializer.
 *
 * Define `uint64_t entrypoint(const uint8_t *input)` and return SUCCESS or an
 * error (see types.h). The input buffer is laid out by the upgradeable loader:
 *   u64 account count
 *   per account: u8 0xff (or the index of an earlier duplicate, then 7 padding bytes and nothing else),
 *     u8 is_signer, u8 is_writable, u8 executable, 4 padding, 32 key, 32 owner, u64 lamports,
 *     u64 data_len, data, 10 KiB realloc room, padding to 8, u64 rent_epoch
 *   u64 instruction data length, the data, 32-byte program id
 * Account infos point into that buffer, so writes to lamports and data land in
 * the account directly. */

#include "types.h"

#define MAX_PERMITTED_DATA_INCREASE (10 * 1024)
#define NON_DUP_MARKER 0xff

/* Layout fixed by the sol_invoke_signed_c ABI; do not reorder. */
struct SolAccountInfo {
  SolPubkey *key;
  uint64_t *lamports;
  uint64_t data_len;
  uint8_t *data;
  SolPubkey *owner;
  uint64_t rent_epoch;
  bool is_signer;
  bool is_writable;
  bool executable;
};
typedef struct SolAccountInfo SolAccountInfo;
_Static_assert(sizeof(SolAccountInfo) == 56, "SolAccountInfo must match the runtime's C layout");

typedef struct {
  SolAccountInfo *ka;    /* caller-provided array, filled by sol_deserialize */
  uint64_t ka_num;       /* entries filled: min(accounts in the instruction, capacity) */
  uint64_t ka_total;     /* accounts in the instruction, including any beyond capacity */
  const uint8_t *data;   /* instruction data */
  uint64_t data_len;
  const SolPubkey *program_id;
} SolParameters;

uint64_t entrypoint(const uint8_t *input);

/* Fills `params` from `input`, storing at most `capacity` accounts in `accounts`.
 * A duplicate entry copies the info of the account it repeats, so both entries
 * share the same key/lamports/data pointers. Returns false on a malformed duplicate. */
static inline bool sol_deserialize(const uint8_t *input, SolParameters *params, SolAccountInfo *accounts, uint64_t capacity) {
  uint64_t total = *(const uint64_t *)input;
  input += sizeof(uint64_t);
  params->ka = accounts;
  params->ka_total = total;
  params->ka_num = total < capacity ? total : capacity;

  for (uint64_t i = 0; i < total; i++) {
    uint8_t dup = input[0];
    if (dup != NON_DUP_MARKER) {
      if (dup >= i) {
        return false;
      }
      if (i < capacity) {
        accounts[i] = accounts[dup];
      }
      input += 8;
      continue;
    }
    uint64_t data_len = *(const uint64_t *)(input + 80);
    if (i < capacity) {
      SolAccountInfo *info = &accounts[i];
      info->is_signer = input[1] != 0;
      info->is_writable = input[2] != 0;
      info->executable = input[3] != 0;
      info->key = (SolPubkey *)(input + 8);
      info->owner = (SolPubkey *)(input + 40);
      info->lamports = (uint64_t *)(input + 72);
      info->data_len = data_len;
      info->data = (uint8_t *)(input + 88);
    }
    input += 88 + data_len + MAX_PERMITTED_DATA_INCREASE;
    input = (const uint8_t *)(((uint64_t)input + 7) & ~(uint64_t)7);
    if (i < capacity) {
      accounts[i].rent_epoch = *(const uint64_t *)input;
    }
    input += sizeof(uint64_t);
  }

  params->data_len = *(const uint64_t *)input;
  input += sizeof(uint64_t);
  params->data = input;
  input += params->data_len;
  params->program_id = (const SolPubkey *)input;
  return true;
}
