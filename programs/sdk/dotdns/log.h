#pragma once
/* Logging. Each call costs ~100 CU plus the message length; keep logs out of hot paths. */

#include "memory.h"
#include "syscalls.h"

#define sol_log(message) sol_log_((message), sol_strlen(message))
#define sol_log_64 sol_log_64_
#define sol_log_compute_units() sol_log_compute_units_()

static inline void sol_log_bytes(const uint8_t *data, uint64_t len) {
  SolBytes slice = {data, len};
  sol_log_data(&slice, 1);
}

static inline void sol_log_u64(uint64_t value) { sol_log_64_(0, 0, 0, 0, value); }

/* Stops the program with the source position in the transaction log. */
#define sol_panic() sol_panic_(__FILE__, sizeof(__FILE__) - 1, __LINE__, 0)
#define sol_assert(expr) \
  do {                   \
    if (!(expr)) {       \
      sol_panic();       \
    }                    \
  } while (0)
