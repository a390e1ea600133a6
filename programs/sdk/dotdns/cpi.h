#pragma once
/* Cross-program invocation with C structs (sol_invoke_signed_c).
 * A CPI costs ~1000 CU plus the callee; account infos must include every
 * account the instruction names, and they should point into the input buffer
 * (pass params.ka) so the runtime can write back lamports and data length. */

#include "entrypoint.h"
#include "syscalls.h"

/* Layouts fixed by the syscall ABI; do not reorder. */
typedef struct {
  const SolPubkey *pubkey;
  bool is_writable;
  bool is_signer;
} SolAccountMeta;

struct SolInstruction {
  const SolPubkey *program_id;
  const SolAccountMeta *accounts;
  uint64_t account_len;
  const uint8_t *data;
  uint64_t data_len;
};

/* One seed of a program-derived address (at most 32 bytes; at most 16 seeds including the bump). */
struct SolSignerSeed {
  const uint8_t *addr;
  uint64_t len;
};

/* All seeds of one PDA the calling program signs for. */
struct SolSignerSeeds {
  const SolSignerSeed *addr;
  uint64_t len;
};

#define MAX_SEEDS 16
#define MAX_SEED_LEN 32

static inline uint64_t invoke_signed(const SolInstruction *instruction, const SolAccountInfo *account_infos, uint64_t account_infos_len,
                                     const SolSignerSeeds *signers, uint64_t signers_len) {
  return sol_invoke_signed_c(instruction, account_infos, account_infos_len, signers, signers_len);
}

static inline uint64_t invoke(const SolInstruction *instruction, const SolAccountInfo *account_infos, uint64_t account_infos_len) {
  return sol_invoke_signed_c(instruction, account_infos, account_infos_len, NULL, 0);
}

/* Derives the PDA for `seeds` (the bump included as the last seed). Returns false
 * when the seeds land on the curve or break the seed limits. ~1500 CU. */
static inline bool create_program_address(const SolSignerSeed *seeds, uint64_t count, const SolPubkey *program_id, SolPubkey *out) {
  return sol_create_program_address(seeds, count, program_id, out) == 0;
}

/* Searches bumps 255..0 for the first off-curve address. ~1500 CU per bump tried;
 * prefer passing the bump in instruction data and calling create_program_address. */
static inline bool find_program_address(const SolSignerSeed *seeds, uint64_t count, const SolPubkey *program_id, SolPubkey *out,
                                        uint8_t *bump) {
  return sol_try_find_program_address(seeds, count, program_id, out, bump) == 0;
}
