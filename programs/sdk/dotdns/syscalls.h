#pragma once
/* Syscall declarations. Each stays an undefined symbol in the object; the
 * linker (programs/toolchain) checks the name against the runtime's list and
 * leaves a dynamic relocation the loader turns into the syscall's hash.
 * Counts are uint64_t because every BPF argument travels in a 64-bit register. */

#include "types.h"

typedef struct SolAccountInfo SolAccountInfo;
typedef struct SolInstruction SolInstruction;
typedef struct SolSignerSeed SolSignerSeed;
typedef struct SolSignerSeeds SolSignerSeeds;

void abort(void) __attribute__((noreturn));
void sol_panic_(const char *file, uint64_t len, uint64_t line, uint64_t column) __attribute__((noreturn));

void sol_log_(const char *message, uint64_t len);
void sol_log_64_(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e);
void sol_log_pubkey(const SolPubkey *key);
void sol_log_compute_units_(void);
void sol_log_data(const SolBytes *slices, uint64_t count);

uint64_t sol_sha256(const SolBytes *slices, uint64_t count, uint8_t *out32);
uint64_t sol_keccak256(const SolBytes *slices, uint64_t count, uint8_t *out32);

uint64_t sol_create_program_address(const SolSignerSeed *seeds, uint64_t count, const SolPubkey *program_id, SolPubkey *out);
uint64_t sol_try_find_program_address(const SolSignerSeed *seeds, uint64_t count, const SolPubkey *program_id, SolPubkey *out,
                                      uint8_t *bump);

uint64_t sol_invoke_signed_c(const SolInstruction *instruction, const SolAccountInfo *account_infos, uint64_t account_infos_len,
                             const SolSignerSeeds *signers, uint64_t signers_len);

uint64_t sol_get_clock_sysvar(void *out);
uint64_t sol_get_rent_sysvar(void *out);
uint64_t sol_get_epoch_schedule_sysvar(void *out);

void sol_memcpy_(void *dst, const void *src, uint64_t n);
void sol_memmove_(void *dst, const void *src, uint64_t n);
void sol_memset_(void *dst, uint64_t byte, uint64_t n);
void sol_memcmp_(const void *a, const void *b, uint64_t n, int32_t *result);

void sol_set_return_data(const uint8_t *data, uint64_t len);
uint64_t sol_get_return_data(uint8_t *data, uint64_t len, SolPubkey *program_id);
uint64_t sol_get_stack_height(void);
uint64_t sol_remaining_compute_units(void);
