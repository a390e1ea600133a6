#pragma once
/* dotdns C SDK for SBPF v0 programs built with programs/build.ts.
 *
 * Compile: clang-19 -target bpf -mcpu=v2 -O2 -ffreestanding -fno-builtin -fno-stack-protector
 *          -nostdlib -fno-jump-tables -mllvm -bpf-stack-size=4096 -I programs/sdk -c
 *
 * Rules of the target (the linker enforces the first three):
 *  - no writable globals or .bss: state lives in accounts; `static const` tables are fine;
 *  - at most 4096 bytes of stack per function frame, call depth at most 64;
 *  - only registered syscalls (programs/toolchain/syscalls.ts);
 *  - at most 5 arguments per call (pass a struct pointer for more);
 *  - no signed division, no floating point, no 128-bit integers (use dotdns/math.h). */

#include "dotdns/types.h"
#include "dotdns/syscalls.h"
#include "dotdns/memory.h"
#include "dotdns/log.h"
#include "dotdns/entrypoint.h"
#include "dotdns/hash.h"
#include "dotdns/cpi.h"
#include "dotdns/system.h"
#include "dotdns/sysvar.h"
#include "dotdns/return_data.h"
#include "dotdns/math.h"
