/* The entrypoint: decode the tag, check the listed accounts' count, signer and writable flags
 * [ACC-10], [ACC-11], [ACC-12], then run the handler of the spec section. */
#include "dotdns.h"

#define MAX_IX_ACCOUNTS 12

static const uint8_t ACCOUNT_COUNT[IX_COUNT] = IX_ACCOUNT_COUNTS;
static const uint16_t SIGNER_MASK[IX_COUNT] = IX_SIGNER_MASKS;
static const uint16_t WRITABLE_MASK[IX_COUNT] = IX_WRITABLE_MASKS;

/* A switch rather than a table of function pointers: direct calls only, no callx. */
static uint64_t dispatch(uint8_t tag, const Ctx *ctx) {
  switch (tag) {
    case IX_INITIALIZE: return process_initialize(ctx);
    case IX_MINER_BOND: return process_miner_bond(ctx);
    case IX_MINER_UNBOND: return process_miner_unbond(ctx);
    case IX_MINER_WITHDRAW: return process_miner_withdraw(ctx);
    case IX_UNJAIL: return process_unjail(ctx);
    case IX_WITNESS_BOND: return process_witness_bond(ctx);
    case IX_WITNESS_UNBOND: return process_witness_unbond(ctx);
    case IX_WITNESS_WITHDRAW: return process_witness_withdraw(ctx);
    case IX_CLAIM: return process_claim(ctx);
    case IX_FUND_POOL: return process_fund_pool(ctx);
    case IX_REGISTER_NAME: return process_register_name(ctx);
    case IX_TRANSFER_NAME: return process_transfer_name(ctx);
    case IX_ADVANCE_EPOCH: return process_advance_epoch(ctx);
    case IX_SUBMIT_AGGREGATE: return process_submit_aggregate(ctx);
    case IX_FINALIZE_ROUND: return process_finalize_round(ctx);
    case IX_PROVE_EQUIVOCATION: return process_prove_equivocation(ctx);
    case IX_PIN_LEAF: return process_pin_leaf(ctx);
    case IX_PROVE_BAD_WEIGHT: return process_prove_bad_weight(ctx);
    case IX_PROVE_BAD_ORDER: return process_prove_bad_order(ctx);
    case IX_PROVE_LEAF_MISMATCH: return process_prove_leaf_mismatch(ctx);
    case IX_OPEN_REVEAL: return process_open_reveal(ctx);
    case IX_RESPOND_REVEAL: return process_respond_reveal(ctx);
    case IX_RESOLVE_REVEAL: return process_resolve_reveal(ctx);
    case IX_PROPOSE: return process_propose(ctx);
    case IX_VETO: return process_veto(ctx);
    case IX_EXECUTE: return process_execute(ctx);
    case IX_CLAIM_WITNESS_REWARD: return process_claim_witness_reward(ctx);
    default: return ERR_ACC_10;
  }
}

uint64_t entrypoint(const uint8_t *input) {
  SolAccountInfo ka[MAX_IX_ACCOUNTS];
  SolParameters params;
  if (!sol_deserialize(input, &params, ka, MAX_IX_ACCOUNTS)) return ERR_ACC_5;
  if (!(params.data_len >= 1)) return ERR_ENC_2; /* the tag itself is missing */
  uint8_t tag = params.data[0];
  if (!(tag < IX_COUNT)) return ERR_ACC_10; /* unknown instruction tag */
  uint64_t count = ACCOUNT_COUNT[tag];
  if (!(params.ka_num >= count)) return ERR_ACC_5; /* the listed accounts, in order; extra ones are ignored */
  uint64_t writable = WRITABLE_MASK[tag];
  /* resolveReveal's challenger is named by the challenge account, which may not exist (RVL-4 comes
   * first in the spec): the client then has no key to pass, so it is checked where it is paid. */
  if (tag == IX_RESOLVE_REVEAL) writable &= ~(1UL << AI_RESOLVE_REVEAL_CHALLENGER);
  for (uint64_t i = 0; i < count; i++) {
    if (!(((SIGNER_MASK[tag] >> i) & 1) == 0 || ka[i].is_signer)) return ERR_ACC_11; /* a required signer signs */
    if (!(((writable >> i) & 1) == 0 || ka[i].is_writable)) return ERR_ACC_12;      /* a written account is writable */
  }
  Ctx ctx = {ka, params.ka_num, params.data, params.data_len, params.program_id, {{0}}};
  key_load(&ctx.program_key, params.program_id->x);
  return dispatch(tag, &ctx);
}
