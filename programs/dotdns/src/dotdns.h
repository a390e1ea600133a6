#pragma once
/* dotdns on-chain program: what every handler shares.
 *
 * The program implements the transitions of spec/src/transition byte for byte. Each handler mirrors its spec
 * function line by line: one `if (!(cond)) return ERR_XXX_n;` per `ensure`, in the spec's order, so
 * the first failing check names the same rule. Accounts are validated when the spec first touches
 * them (and flags before anything), and every effect is written in place into account data. */

#include <dotdns_sdk.h>
#include "generated/spec.h"

/* Account data and instruction data are read through these so that casting a byte array to a wider
 * integer is defined (clang may otherwise assume strict aliasing). */
typedef uint64_t __attribute__((may_alias, aligned(1))) u64u;
typedef uint64_t __attribute__((may_alias)) u64a;

/* An 8-aligned copy of a 32-byte key from instruction data, so loops over account entries compare words. */
typedef struct {
  uint64_t w[4];
} Key;

/* Everything a handler needs from the entrypoint. */
typedef struct {
  SolAccountInfo *ka;       /* the instruction's accounts, in IX_ACCOUNTS order */
  uint64_t ka_num;
  const uint8_t *data;      /* instruction data, tag included */
  uint64_t data_len;
  const SolPubkey *program_id;
  Key program_key;          /* the program id, aligned, for owner checks */
} Ctx;

#define TRY(expr)              \
  do {                         \
    uint64_t _err = (expr);    \
    if (_err != 0) return _err; \
  } while (0)

/* ------------------------------------------------------------------------------ checked arithmetic */

/* add/sub of the spec [ACC-6]. */
static inline uint64_t add_u64(uint64_t a, uint64_t b, uint64_t *out) { return checked_add_u64(a, b, out) ? 0 : ERR_ACC_6; }
static inline uint64_t sub_u64(uint64_t a, uint64_t b, uint64_t *out) { return checked_sub_u64(a, b, out) ? 0 : ERR_ACC_6; }

/* mulDiv of the spec: c == 0 ? 0 : ⌊a·b/c⌋, exact through 128 bits. A quotient beyond u64 is an
 * overflow [ACC-6]; no call site can reach one (each has b ≤ c). */
static inline uint64_t mul_div(uint64_t a, uint64_t b, uint64_t c, uint64_t *out) {
  if (c == 0) {
    *out = 0;
    return 0;
  }
  return mul_div_u64(a, b, c, out) ? 0 : ERR_ACC_6;
}

/* a·b ≥ c·d over exact 128-bit products: the spec compares bigints (quorum, veto). */
static inline bool mul_ge(uint64_t a, uint64_t b, uint64_t c, uint64_t d) {
  uint64_t h1, l1, h2, l2;
  mul_u64_wide(a, b, &h1, &l1);
  mul_u64_wide(c, d, &h2, &l2);
  return h1 > h2 || (h1 == h2 && l1 >= l2);
}

/* a + b as the spec's bigint would be compared: saturates, which preserves every comparison with a u64. */

/* -------------------------------------------------------------------------------------- bytes */

/* 32-byte equality at any alignment (instruction data is unaligned). */
static inline bool eq32(const uint8_t *a, const uint8_t *b) { return memcmp(a, b, 32) == 0; }

/* 32-byte equality of two 8-aligned keys (account fields): four word compares, no syscall. */
static inline bool eq32a(const uint8_t *a, const uint8_t *b) {
  const u64a *x = (const u64a *)a, *y = (const u64a *)b;
  return x[0] == y[0] && x[1] == y[1] && x[2] == y[2] && x[3] == y[3];
}

static inline bool is_zero32(const uint8_t *a) {
  const u64u *x = (const u64u *)a;
  return (x[0] | x[1] | x[2] | x[3]) == 0;
}

static inline void key_load(Key *k, const uint8_t *p) { memcpy(k->w, p, 32); }

static inline bool key_eq(const Key *k, const uint8_t *aligned) { return eq32a((const uint8_t *)k->w, aligned); }

/* ------------------------------------------------------------------------------------- clock */

/* The spec's env.slot [EPC-1]. */
static inline uint64_t clock_slot(void) {
  SolClock clock;
  sol_get_clock_sysvar(&clock);
  return clock.slot;
}

/* ------------------------------------------------------------------------- instruction reading */

/* A cursor over instruction data; reads past the end set `bad` and return zeros, so a handler parses
 * its whole layout and then checks `ok` once [ENC-2]. */
typedef struct {
  const uint8_t *p;
  uint64_t left;
  uint64_t err; /* first decoding rule broken, 0 if none */
} Reader;

/* Starts after the tag and bumps (`offset`): data shorter than that is truncated [ENC-2]. */
static inline void rd_init(Reader *r, const Ctx *ctx, uint64_t offset) {
  bool short_data = ctx->data_len < offset;
  r->p = ctx->data + (short_data ? ctx->data_len : offset);
  r->left = short_data ? 0 : ctx->data_len - offset;
  r->err = short_data ? ERR_ENC_2 : 0;
}

static inline void rd_fail(Reader *r, uint64_t rule) {
  if (r->err == 0) r->err = rule;
}

/* Returns a pointer to the next n bytes, or NULL (and ENC-2) when fewer remain. */
static inline const uint8_t *rd_take(Reader *r, uint64_t n) {
  if (r->err != 0 || r->left < n) {
    rd_fail(r, ERR_ENC_2);
    return NULL;
  }
  const uint8_t *at = r->p;
  r->p += n;
  r->left -= n;
  return at;
}

static inline uint8_t rd_u8(Reader *r) {
  const uint8_t *p = rd_take(r, 1);
  return p == NULL ? 0 : p[0];
}

static inline uint16_t rd_u16(Reader *r) {
  const uint8_t *p = rd_take(r, 2);
  return p == NULL ? 0 : load_u16_le(p);
}

static inline uint32_t rd_u32(Reader *r) {
  const uint8_t *p = rd_take(r, 4);
  return p == NULL ? 0 : load_u32_le(p);
}

static inline uint64_t rd_u64(Reader *r) {
  const uint8_t *p = rd_take(r, 8);
  return p == NULL ? 0 : load_u64_le(p);
}

/* Option tag: only 0 and 1 are canonical [ENC-4]. */
static inline bool rd_option(Reader *r) {
  uint8_t t = rd_u8(r);
  if (t > 1) rd_fail(r, ERR_ENC_4);
  return t == 1;
}

/* Trailing bytes are not canonical [ENC-2]; returns the first decoding rule broken. */
static inline uint64_t rd_end(Reader *r) {
  if (r->err == 0 && r->left != 0) r->err = ERR_ENC_2;
  return r->err;
}

/* ------------------------------------------------------------------------ objects in the data */

/* The leaf reference every leaf instruction carries: u64 epoch, name_hash, miner, u32 index. */
typedef struct {
  uint64_t epoch;
  const uint8_t *name_hash;
  const uint8_t *miner;
  uint32_t index;
} LeafRef;

static inline void rd_ref(Reader *r, LeafRef *ref) {
  ref->epoch = rd_u64(r);
  ref->name_hash = rd_take(r, 32);
  ref->miner = rd_take(r, 32);
  ref->index = rd_u32(r);
}

/* A decoded aggregate statement; pointers into the data [AGG-1]. */
typedef struct {
  const uint8_t *encoding; /* the canonical bytes, what the miner signs and statement_hash hashes */
  uint64_t encoding_len;
  uint64_t epoch;
  const uint8_t *name_hash;
  const uint8_t *route_hash;
  const uint8_t *receipt_root;
  uint64_t support;
  uint32_t receipt_count;
  const uint8_t *miner;
  const uint8_t *cid; /* NULL when absent */
  uint64_t cid_len;
} Statement;

/* u16-length-prefixed aggregate statement: decodeAggregate inside readObject. */
void rd_statement(Reader *r, Statement *st);

/* Leaf (74 bytes) and Receipt (106 bytes): fixed encodings opening with tag and version [ENC-5], [VER-2]. */
const uint8_t *rd_object(Reader *r, uint64_t size, uint8_t tag);

/* Offsets inside the fixed encodings (spec/src/objects.ts). */
#define LEAF_RECEIPT_HASH 2
#define LEAF_WITNESS 34
#define LEAF_WEIGHT 66
#define RECEIPT_EPOCH 2
#define RECEIPT_NAME_HASH 10
#define RECEIPT_ROUTE_HASH 42
#define RECEIPT_WITNESS 74

/* ----------------------------------------------------------------------------------- hashing */

/* H(tag, …) = sha256(u8(len tag) ‖ tag ‖ …) [HSH-1]: a slice for the prefixed tag, then the parts. */
#define HSLICE(T) {(const uint8_t *)HTAG_##T, HTAG_##T##_LEN}

/* statement_hash = H("dotdns/v1/aggregate", encoding) [AGG-1]. */
void aggregate_digest(const Statement *st, uint8_t out[32]);

/* ------------------------------------------------------------------------------- Merkle-sum */

/* A node as it travels in data and is hashed: hash ‖ u64 sum (little-endian). */
typedef struct {
  uint8_t hash[32];
  uint64_t sum;
} Node;
_Static_assert(sizeof(Node) == 40, "a node is hash ‖ u64 sum");

/* leaf = H("dotdns/v1/leaf", Leaf) carrying the leaf's weight [MRK-1]. */
void leaf_node(const uint8_t *leaf, Node *out);
/* node = H("dotdns/v1/node", l ‖ r), sum checked [MRK-3], [MRK-4]; false when the sums overflow. */
bool parent_node(const uint8_t *left, const uint8_t *right, Node *out);

typedef struct {
  const uint8_t *leaf;  /* 74-byte Leaf */
  uint32_t index;
  uint32_t size;
  const uint8_t *path;  /* nodes, 40 bytes each */
  uint64_t path_len;
  const uint8_t *root;  /* 32 bytes */
  uint64_t root_sum;
} Inclusion;

/* RFC 9162 §2.1.3.2 with sums [MRK-5]. */
bool verify_inclusion(const Inclusion *in);

/* ------------------------------------------------------------------------------------ names */

/* checkNormalized over the name's bytes [NAM-2..5]; 0 when valid. */
uint64_t check_normalized(const uint8_t *name, uint64_t len);

/* ---------------------------------------------------------------------------------- ed25519 */

/* The 64-byte signature of an Ed25519-program entry of this transaction over (pubkey, digest), or
 * NULL [SIG-2], [SIG-3]. `ixs` must be the instructions sysvar (checked). */
const uint8_t *find_signature(const SolAccountInfo *ixs, const uint8_t *pubkey, const uint8_t *digest);

/* ------------------------------------------------------------------------------- accounts */

/* Checks a slot meant to hold a `disc` account of `size` bytes [ACC-1], [ACC-5]: *out = its data
 * when it is one of ours, NULL when it is uninitialized (system-owned, empty), ERR_ACC_5 otherwise.
 * Identity fields are the caller's to check (the loaders in accounts). */
uint64_t account_data(const Ctx *ctx, const SolAccountInfo *info, uint64_t disc, uint64_t size, uint8_t **out);

/* Seeds of a PDA, without the bump. */
typedef struct {
  const SolSignerSeed *seeds;
  uint64_t count;
} PdaSeeds;

/* The address of `seeds` ‖ bump when it is off the curve (a valid PDA). */
bool pda_with_bump(const Ctx *ctx, const PdaSeeds *p, uint8_t bump, uint8_t out[32]);
/* Whether `key` is the canonical PDA of `seeds` (the address find_program_address returns). */
bool is_canonical_pda(const Ctx *ctx, const PdaSeeds *p, const SolPubkey *key);

/* An account the spec finds absent: `rule` when the slot is the PDA of `seeds` (so it really does not
 * exist), ERR_ACC_5 when it is some other address. A PDA search (~350 CU a bump tried): failure paths,
 * and the few places where absence would help the caller. */
uint64_t absent_rule(const Ctx *ctx, const SolAccountInfo *info, const SolSignerSeed *seeds, uint64_t count, uint64_t rule);

/* The account is the well-known address (system program, instructions sysvar) [ACC-5]. */
bool is_key(const SolAccountInfo *info, const uint8_t *key);
bool is_instructions_sysvar(const SolAccountInfo *info);
static inline bool is_system_program(const SolAccountInfo *info) { return is_key(info, SYSTEM_PROGRAM_ID.x); }

/* Creates the PDA `info` (seeds end with the bump) with `space` zeroed bytes owned by the program,
 * rent paid by `payer`; a pre-funded address is topped up, allocated and assigned instead. */
typedef struct {
  const SolAccountInfo *payer;
  const SolAccountInfo *account;
  const SolSignerSeed *seeds;
  uint64_t seed_count;
  uint64_t space;
} Create;
uint64_t create_pda(const Ctx *ctx, const Create *c, uint8_t **data);

/* Lamports from a signing outside key into the vault (the spec's deposit): a system transfer. */
uint64_t vault_deposit(const Ctx *ctx, const SolAccountInfo *from, const SolAccountInfo *vault, uint64_t amount);
/* Lamports out of the vault (the spec's payOut): the vault never goes below its rent reserve [ACC-6]. */
uint64_t vault_pay(const SolAccountInfo *vault, const SolAccountInfo *to, uint64_t amount);

/* The Rent sysvar's exempt minimum for `space` data bytes. */
uint64_t rent_minimum(uint64_t space, uint64_t *out);

/* Writes disc and version, the header every account opens with [ACC-1]. */
static inline void account_header(uint8_t *data, uint64_t disc) {
  *(u64a *)data = disc;
  data[8] = LAYOUT_VERSION;
}

/* ----------------------------------------------------------------------------- governance */

/* checkParams: 0, or GOV-8 when the set is not one the protocol can run under [GOV-8]. */
uint64_t check_params(const uint64_t *params);
/* activateChanges: the scheduled change set replaces the governed fields [GOV-6]. */
void activate_changes(ConfigAccount *config);

/* ------------------------------------------------------------------------------- handlers */

uint64_t process_initialize(const Ctx *ctx);
uint64_t process_miner_bond(const Ctx *ctx);
uint64_t process_miner_unbond(const Ctx *ctx);
uint64_t process_miner_withdraw(const Ctx *ctx);
uint64_t process_unjail(const Ctx *ctx);
uint64_t process_witness_bond(const Ctx *ctx);
uint64_t process_witness_unbond(const Ctx *ctx);
uint64_t process_witness_withdraw(const Ctx *ctx);
uint64_t process_claim(const Ctx *ctx);
uint64_t process_fund_pool(const Ctx *ctx);
uint64_t process_register_name(const Ctx *ctx);
uint64_t process_transfer_name(const Ctx *ctx);
uint64_t process_advance_epoch(const Ctx *ctx);
uint64_t process_submit_aggregate(const Ctx *ctx);
uint64_t process_finalize_round(const Ctx *ctx);
uint64_t process_prove_equivocation(const Ctx *ctx);
uint64_t process_pin_leaf(const Ctx *ctx);
uint64_t process_prove_bad_weight(const Ctx *ctx);
uint64_t process_prove_bad_order(const Ctx *ctx);
uint64_t process_prove_leaf_mismatch(const Ctx *ctx);
uint64_t process_open_reveal(const Ctx *ctx);
uint64_t process_respond_reveal(const Ctx *ctx);
uint64_t process_resolve_reveal(const Ctx *ctx);
uint64_t process_propose(const Ctx *ctx);
uint64_t process_veto(const Ctx *ctx);
uint64_t process_execute(const Ctx *ctx);
uint64_t process_claim_witness_reward(const Ctx *ctx);
