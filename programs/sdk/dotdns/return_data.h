#pragma once
/* Return data: up to 1024 bytes a client (or CPI caller) reads after the instruction. */

#include "syscalls.h"

#define MAX_RETURN_DATA 1024

static inline void set_return_data(const uint8_t *data, uint64_t len) { sol_set_return_data(data, len); }
