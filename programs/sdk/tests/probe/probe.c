/* SDK probe: one command per SDK feature, results returned as return data so
 * programs/sdk/sdk.test.ts can compare them with a JavaScript model.
 * Built by the test into a temporary directory; never deployed. */

#include <dotdns_sdk.h>

#define PROBE_MAX_ACCOUNTS 3

#define CMD_MUL_DIV 0
#define CMD_MEMORY 1
#define CMD_CLOCK 2
#define CMD_ACCOUNTS 3
#define CMD_TRANSFER 4
#define CMD_SHA256_SLICES 5
#define CMD_RENT 6

static uint64_t mul_div(const uint8_t *data, uint64_t len) {
  if (len != 24) return ERROR_INVALID_INSTRUCTION_DATA;
  uint64_t a = load_u64_le(data), b = load_u64_le(data + 8), c = load_u64_le(data + 16);
  uint8_t out[2 + 8 * 4];
  uint64_t floor_q = 0, ceil_q = 0, hi, lo;
  out[0] = mul_div_u64(a, b, c, &floor_q);
  out[1] = mul_div_u64_ceil(a, b, c, &ceil_q);
  mul_u64_wide(a, b, &hi, &lo);
  store_u64_le(out + 2, floor_q);
  store_u64_le(out + 10, ceil_q);
  store_u64_le(out + 18, hi);
  store_u64_le(out + 26, lo);
  set_return_data(out, sizeof(out));
  return SUCCESS;
}

/* out = [ buf after memset/memcpy/memmove (n + 1 bytes) | memcmp(buf+1, payload) sign | memcmp(payload, payload) ] */
static uint64_t memory(const uint8_t *data, uint64_t len) {
  uint8_t buf[64];
  if (len > sizeof(buf) - 1) return ERROR_INVALID_INSTRUCTION_DATA;
  memset(buf, 0xab, sizeof(buf));
  memcpy(buf, data, len);
  memmove(buf + 1, buf, len);
  int cmp = memcmp(buf + 1, data, len);
  int self = memcmp(data, data, len);
  uint8_t out[64 + 2];
  memcpy(out, buf, len + 1);
  out[len + 1] = (uint8_t)(cmp < 0 ? 0xff : cmp > 0 ? 1 : 0);
  out[len + 2] = (uint8_t)(self == 0 ? 0 : 1);
  set_return_data(out, len + 3);
  return SUCCESS;
}

static uint64_t clock(void) {
  SolClock clock;
  if (!get_clock(&clock)) return ERROR_INVALID_ARGUMENT;
  set_return_data((const uint8_t *)&clock, sizeof(clock));
  return SUCCESS;
}

/* out = [ka_num, ka_total, then per account: key, is_signer, is_writable, executable, data_len u64, lamports u64] */
static uint64_t accounts(const SolParameters *params) {
  uint8_t out[2 + PROBE_MAX_ACCOUNTS * (32 + 3 + 16)];
  uint8_t *p = out;
  *p++ = (uint8_t)params->ka_num;
  *p++ = (uint8_t)params->ka_total;
  for (uint64_t i = 0; i < params->ka_num; i++) {
    const SolAccountInfo *info = &params->ka[i];
    memcpy(p, info->key->x, SIZE_PUBKEY);
    p += SIZE_PUBKEY;
    *p++ = info->is_signer;
    *p++ = info->is_writable;
    *p++ = info->executable;
    store_u64_le(p, info->data_len);
    store_u64_le(p + 8, *info->lamports);
    p += 16;
  }
  set_return_data(out, (uint64_t)(p - out));
  return SUCCESS;
}

static uint64_t transfer(const SolParameters *params) {
  if (params->data_len != 9) return ERROR_INVALID_INSTRUCTION_DATA;
  if (params->ka_num < 2) return ERROR_NOT_ENOUGH_ACCOUNT_KEYS;
  SystemTransfer args = {
      .from = &params->ka[0],
      .to = &params->ka[1],
      .lamports = load_u64_le(params->data + 1),
      .account_infos = params->ka,
      .account_infos_len = params->ka_num,
      .signers = NULL,
      .signers_len = 0,
  };
  return system_transfer(&args);
}

/* Hashes the payload as three slices split at the first two payload bytes. */
static uint64_t sha256_three(const uint8_t *data, uint64_t len) {
  if (len < 2) return ERROR_INVALID_INSTRUCTION_DATA;
  uint64_t cut1 = data[0] % (len + 1);
  uint64_t cut2 = cut1 + data[1] % (len - cut1 + 1);
  SolBytes slices[3] = {{data, cut1}, {data + cut1, cut2 - cut1}, {data + cut2, len - cut2}};
  SolHash digest;
  sha256_slices(slices, 3, &digest);
  set_return_data(digest.x, sizeof(digest.x));
  return SUCCESS;
}

static uint64_t rent(const uint8_t *data, uint64_t len) {
  if (len != 8) return ERROR_INVALID_INSTRUCTION_DATA;
  SolRent rent;
  if (!get_rent(&rent)) return ERROR_INVALID_ARGUMENT;
  uint64_t minimum;
  if (!rent_exempt_minimum(&rent, load_u64_le(data), &minimum)) return ERROR_CUSTOM(2);
  uint8_t out[8];
  store_u64_le(out, minimum);
  set_return_data(out, sizeof(out));
  return SUCCESS;
}

uint64_t entrypoint(const uint8_t *input) {
  SolAccountInfo infos[PROBE_MAX_ACCOUNTS];
  SolParameters params;
  if (!sol_deserialize(input, &params, infos, PROBE_MAX_ACCOUNTS)) return ERROR_INVALID_ARGUMENT;
  if (params.data_len == 0) return ERROR_INVALID_INSTRUCTION_DATA;
  const uint8_t *payload = params.data + 1;
  uint64_t payload_len = params.data_len - 1;
  switch (params.data[0]) {
    case CMD_MUL_DIV:
      return mul_div(payload, payload_len);
    case CMD_MEMORY:
      return memory(payload, payload_len);
    case CMD_CLOCK:
      return clock();
    case CMD_ACCOUNTS:
      return accounts(&params);
    case CMD_TRANSFER:
      return transfer(&params);
    case CMD_SHA256_SLICES:
      return sha256_three(payload, payload_len);
    case CMD_RENT:
      return rent(payload, payload_len);
    default:
      return ERROR_INVALID_INSTRUCTION_DATA;
  }
}
