/* hello: the smallest program that exercises the whole C route.
 *
 * Instruction data, first byte selects:
 *   0x00 ...            log, then return sha256(instruction data) as return data
 *   0x01 bump u8, lamports u64, space u64
 *                       create the PDA ["hello", payer, bump] via the system program;
 *                       accounts: payer (signer, writable), pda (writable), system program
 *   0x02 code u32       fail with custom error `code` */

#include <dotdns_sdk.h>

#define HELLO_MAX_ACCOUNTS 4
#define CMD_HASH 0
#define CMD_CREATE_PDA 1
#define CMD_FAIL 2

static const uint8_t PDA_SEED[] = {'h', 'e', 'l', 'l', 'o'};
static const uint8_t PDA_MAGIC[] = {'h', 'e', 'l', 'l', 'o', '!'};

static uint64_t hash_instruction(const SolParameters *params) {
  SolHash digest;
  sha256(params->data, params->data_len, &digest);
  set_return_data(digest.x, sizeof(digest.x));
  return SUCCESS;
}

static uint64_t create_pda(const SolParameters *params) {
  if (params->data_len != 1 + 1 + 8 + 8) return ERROR_INVALID_INSTRUCTION_DATA;
  if (params->ka_num < 3) return ERROR_NOT_ENOUGH_ACCOUNT_KEYS;
  const SolAccountInfo *payer = &params->ka[0];
  const SolAccountInfo *pda = &params->ka[1];
  if (!payer->is_signer) return ERROR_MISSING_REQUIRED_SIGNATURES;

  uint8_t bump = params->data[1];
  SolSignerSeed seeds[] = {
      {PDA_SEED, sizeof(PDA_SEED)},
      {payer->key->x, SIZE_PUBKEY},
      {&bump, 1},
  };
  SolPubkey expected;
  if (!create_program_address(seeds, SOL_ARRAY_SIZE(seeds), params->program_id, &expected)) return ERROR_INVALID_SEEDS;
  if (!pubkey_eq(&expected, pda->key)) return ERROR_INVALID_SEEDS;

  uint64_t space = load_u64_le(params->data + 10);
  SolSignerSeeds signer = {seeds, SOL_ARRAY_SIZE(seeds)};
  SystemCreateAccount create = {
      .payer = payer,
      .new_account = pda,
      .lamports = load_u64_le(params->data + 2),
      .space = space,
      .owner = params->program_id,
      .account_infos = params->ka,
      .account_infos_len = params->ka_num,
      .signers = &signer,
      .signers_len = 1,
  };
  uint64_t result = system_create_account(&create);
  if (result != SUCCESS) return result;

  /* The runtime wrote the new length back into the account info. */
  if (pda->data_len != space) return ERROR_INVALID_ACCOUNT_DATA;
  if (space >= sizeof(PDA_MAGIC)) memcpy(pda->data, PDA_MAGIC, sizeof(PDA_MAGIC));
  sol_log("pda created");
  return SUCCESS;
}

uint64_t entrypoint(const uint8_t *input) {
  SolAccountInfo accounts[HELLO_MAX_ACCOUNTS];
  SolParameters params;
  if (!sol_deserialize(input, &params, accounts, HELLO_MAX_ACCOUNTS)) return ERROR_INVALID_ARGUMENT;
  sol_log("hello from C");
  if (params.data_len == 0) return ERROR_INVALID_INSTRUCTION_DATA;
  switch (params.data[0]) {
    case CMD_HASH:
      return hash_instruction(&params);
    case CMD_CREATE_PDA:
      return create_pda(&params);
    case CMD_FAIL: {
      if (params.data_len != 5) return ERROR_INVALID_INSTRUCTION_DATA;
      uint32_t code = load_u32_le(params.data + 1);
      return code == 0 ? ERROR_INVALID_INSTRUCTION_DATA : ERROR_CUSTOM(code);
    }
    default:
      return ERROR_INVALID_INSTRUCTION_DATA;
  }
}
