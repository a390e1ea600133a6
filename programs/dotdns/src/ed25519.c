/* Signatures proven by the native Ed25519 program in the same transaction [SIG-2], [SIG-3], found
 * through the instructions sysvar:
 *   u16 count, u16 offset per instruction; at each offset u16 num_accounts, (u8 flags, key) per
 *   account, program id, u16 data_len, data.
 * Ed25519 data: u8 count, u8 pad, then per signature seven u16 (signature offset and instruction,
 * public key offset and instruction, message offset, size and instruction). An entry counts only
 * when all three instruction indices are 0xFFFF (its own data) and the message is the 32-byte digest. */
#include "dotdns.h"

/* Ed25519SigVerify111111111111111111111111111 */
static const uint8_t ED25519_PROGRAM[32] = {3,   125, 70,  214, 124, 147, 251, 190, 18,  249, 66, 143, 131, 141, 64, 255,
                                            5,   112, 116, 73,  39,  244, 138, 100, 252, 202, 112, 68, 128, 0,   0,  0};
static const uint8_t INSTRUCTIONS_SYSVAR[32] = KEY_INSTRUCTIONS_SYSVAR;

#define THIS_INSTRUCTION 0xffff

/* Signature of a matching entry in one Ed25519 instruction's data, or NULL. */
static const uint8_t *scan_entries(const uint8_t *data, uint64_t len, const uint8_t *pubkey, const uint8_t *digest) {
  if (len < 2) return NULL;
  uint64_t count = data[0];
  if (2 + 14 * count > len) return NULL;
  for (uint64_t j = 0; j < count; j++) {
    const uint8_t *e = data + 2 + 14 * j;
    uint64_t sig = load_u16_le(e), sig_ix = load_u16_le(e + 2), pk = load_u16_le(e + 4), pk_ix = load_u16_le(e + 6);
    uint64_t msg = load_u16_le(e + 8), msg_size = load_u16_le(e + 10), msg_ix = load_u16_le(e + 12);
    if (sig_ix != THIS_INSTRUCTION || pk_ix != THIS_INSTRUCTION || msg_ix != THIS_INSTRUCTION || msg_size != 32) continue;
    if (sig + 64 > len || pk + 32 > len || msg + 32 > len) continue;
    if (eq32(data + pk, pubkey) && eq32(data + msg, digest)) return data + sig;
  }
  return NULL;
}

const uint8_t *find_signature(const SolAccountInfo *ixs, const uint8_t *pubkey, const uint8_t *digest) {
  if (!is_key(ixs, INSTRUCTIONS_SYSVAR)) return NULL;
  const uint8_t *d = ixs->data;
  uint64_t len = ixs->data_len;
  if (len < 2) return NULL;
  uint64_t n = load_u16_le(d);
  if (2 + 2 * n > len) return NULL;
  for (uint64_t i = 0; i < n; i++) {
    uint64_t at = load_u16_le(d + 2 + 2 * i);
    if (at + 2 > len) return NULL;
    uint64_t program = at + 2 + 33 * (uint64_t)load_u16_le(d + at);
    if (program + 34 > len) return NULL;
    uint64_t data_len = load_u16_le(d + program + 32);
    if (program + 34 + data_len > len) return NULL;
    if (!eq32(d + program, ED25519_PROGRAM)) continue;
    const uint8_t *sig = scan_entries(d + program + 34, data_len, pubkey, digest);
    if (sig != NULL) return sig;
  }
  return NULL;
}

bool is_instructions_sysvar(const SolAccountInfo *info) { return is_key(info, INSTRUCTIONS_SYSVAR); }
