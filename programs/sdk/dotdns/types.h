#pragma once
/* Fixed-width types and result codes. The SBF target is freestanding: no libc headers. */

#ifndef __LP64__
#error "dotdns SDK: LP64 data model required (compile with -target bpf)"
#endif

typedef signed char int8_t;
typedef unsigned char uint8_t;
typedef signed short int16_t;
typedef unsigned short uint16_t;
typedef signed int int32_t;
typedef unsigned int uint32_t;
typedef signed long int int64_t;
typedef unsigned long int uint64_t;
typedef int64_t ssize_t;
typedef uint64_t size_t;
typedef uint64_t uintptr_t;

_Static_assert(sizeof(uint64_t) == 8, "uint64_t must be 8 bytes");
_Static_assert(sizeof(void *) == 8, "pointers must be 8 bytes");

#ifndef __cplusplus
typedef _Bool bool;
#define true 1
#define false 0
#endif

#define NULL ((void *)0)

#define UINT8_MAX 0xffU
#define UINT16_MAX 0xffffU
#define UINT32_MAX 0xffffffffU
#define UINT64_MAX 0xffffffffffffffffUL
#define INT64_MAX 0x7fffffffffffffffL
#define INT64_MIN (-INT64_MAX - 1)

#define SOL_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Program results. The runtime reads the upper 32 bits as a builtin error and a
 * non-zero value that fits in the lower 32 bits as a custom error, which clients
 * see as "custom program error: 0x..". Custom code 0 cannot be expressed. */
#define SUCCESS 0
#define TO_BUILTIN(error) ((uint64_t)(error) << 32)
#define ERROR_CUSTOM(code) ((uint64_t)(uint32_t)(code))
#define ERROR_INVALID_ARGUMENT TO_BUILTIN(2)
#define ERROR_INVALID_INSTRUCTION_DATA TO_BUILTIN(3)
#define ERROR_INVALID_ACCOUNT_DATA TO_BUILTIN(4)
#define ERROR_ACCOUNT_DATA_TOO_SMALL TO_BUILTIN(5)
#define ERROR_INSUFFICIENT_FUNDS TO_BUILTIN(6)
#define ERROR_INCORRECT_PROGRAM_ID TO_BUILTIN(7)
#define ERROR_MISSING_REQUIRED_SIGNATURES TO_BUILTIN(8)
#define ERROR_ACCOUNT_ALREADY_INITIALIZED TO_BUILTIN(9)
#define ERROR_UNINITIALIZED_ACCOUNT TO_BUILTIN(10)
#define ERROR_NOT_ENOUGH_ACCOUNT_KEYS TO_BUILTIN(11)
#define ERROR_MAX_SEED_LENGTH_EXCEEDED TO_BUILTIN(13)
#define ERROR_INVALID_SEEDS TO_BUILTIN(14)
#define ERROR_ARITHMETIC_OVERFLOW TO_BUILTIN(24)

#define SIZE_PUBKEY 32
#define SIZE_HASH 32

typedef struct {
  uint8_t x[SIZE_PUBKEY];
} SolPubkey;

typedef struct {
  uint8_t x[SIZE_HASH];
} SolHash;

/* A borrowed byte slice; the layout the hashing, logging and PDA syscalls read. */
typedef struct {
  const uint8_t *addr;
  uint64_t len;
} SolBytes;
