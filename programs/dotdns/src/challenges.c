/* Challenges [EQV], [BLF], [RVL] (spec/src/transition/challenges.ts). Anyone may prove that a miner
 * equivocated or that a leaf of its aggregate is bad; what cannot be shown without the miner's data is
 * asked for by a reveal challenge, which the miner must answer in time or be treated as guilty. */
#include "slashing.h"
#include "accounts/aggregate.h"
#include "accounts/challenge.h"
#include "accounts/config.h"
#include "accounts/miners.h"
#include "accounts/pin.h"
#include "accounts/round.h"
#include "accounts/vault.h"
#include "accounts/witness.h"

/* challengeEnd(E) = (E+1)·L + submit + challenge, for a round never opened [EQV-4]. Bounds past u64
 * compare as the spec's bigints do. */
static bool before_challenge_end(const ConfigAccount *config, uint64_t epoch, uint64_t slot) {
  uint64_t end;
  if (epoch == UINT64_MAX || !checked_mul_u64(epoch + 1, config->params[P_EPOCH_LENGTH_SLOTS], &end)) return true;
  if (!checked_add_u64(end, config->params[P_SUBMIT_WINDOW_SLOTS], &end)) return true;
  if (!checked_add_u64(end, config->params[P_CHALLENGE_WINDOW_SLOTS], &end)) return true;
  return slot < end;
}

/* ---------------------------------------------------------------------------- equivocation */

typedef struct {
  Statement first;
  bool has_second;
  Statement second;
} EquivocationData;

/* The marker in a missing aggregate's place stops a second proof and any later submission [EQV-3]. */
static uint64_t create_marker(const Ctx *ctx, const Statement *a) {
  LeafRef ref = {a->epoch, a->name_hash, a->miner, 0};
  SolSignerSeed s[5];
  uint8_t e8[8];
  AggregateAccount *m;
  Create c = {&ctx->ka[AI_PROVE_EQUIVOCATION_PAYER], &ctx->ka[AI_PROVE_EQUIVOCATION_AGGREGATE], s,
              aggregate_seeds(s, e8, &ref, ctx->data + BUMP_PROVE_EQUIVOCATION_AGGREGATE), sizeof(AggregateAccount)};
  TRY(create_pda(ctx, &c, (uint8_t **)&m));
  account_header((uint8_t *)m, DISC_AGGREGATE);
  m->flags = AGG_FLAG_EQUIVOCATED;
  m->member_index = NO_MEMBER;
  m->route_index = NO_ROUTE;
  m->epoch = a->epoch;
  memcpy(m->name_hash, a->name_hash, 32);
  memcpy(m->miner, a->miner, 32);
  return 0;
}

/* Punishes a proven equivocation: slash, strip a submitted aggregate, mark it [EQV-2], [EQV-3]. */
static uint64_t punish_equivocation(const Ctx *ctx, const Statement *a, AggregateAccount *on_chain, MinerEntry *entry) {
  TRY(load_vault(ctx, &ctx->ka[AI_PROVE_EQUIVOCATION_VAULT]));
  Slasher s = {(ConfigAccount *)ctx->ka[AI_PROVE_EQUIVOCATION_CONFIG].data, &ctx->ka[AI_PROVE_EQUIVOCATION_VAULT],
               &ctx->ka[AI_PROVE_EQUIVOCATION_CHALLENGER]};
  if (on_chain == NULL) {
    /* The marker's creation (a CPI) comes before the slash pays the challenger from the vault: a CPI
     * checks the lamport sum of the accounts it syncs, and a challenger who also pays the rent would
     * be synced with its reward while the vault is not. */
    TRY(create_marker(ctx, a));
    return slash(&s, entry);
  }
  TRY(slash(&s, entry));
  if ((on_chain->flags & AGG_FLAG_SUBMITTED) != 0) {
    StripTarget t = {ctx, &ctx->ka[AI_PROVE_EQUIVOCATION_ROUND], &ctx->ka[AI_PROVE_EQUIVOCATION_COMMITTEE], a->epoch, a->name_hash};
    TRY(strip(&t, on_chain->member_index));
  }
  on_chain->flags |= AGG_FLAG_EQUIVOCATED;
  return 0;
}

/* EQV-4 with the round's stored end when the round exists. An absent round falls back to the end
 * computed from today's parameters, which may be later than the stored one (windows changed since the
 * round opened), so absence must be the real address's: proven by a PDA search, no bump travelling
 * for the round. */
static uint64_t check_window(const Ctx *ctx, const ConfigAccount *config, const Statement *a) {
  const SolAccountInfo *info = &ctx->ka[AI_PROVE_EQUIVOCATION_ROUND];
  RoundAccount *round;
  uint64_t slot = clock_slot();
  TRY(load_round(ctx, info, a->epoch, a->name_hash, &round));
  if (round != NULL) {
    if (!(slot < round->challenge_end)) return ERR_EQV_4; /* before the round's challenge_end */
    return 0;
  }
  TRY(round_absent(ctx, info, a->epoch, a->name_hash, 0));
  if (!(before_challenge_end(config, a->epoch, slot))) return ERR_EQV_4; /* before the computed challenge_end */
  return 0;
}

uint64_t process_prove_equivocation(const Ctx *ctx) {
  EquivocationData d;
  Reader r;
  rd_init(&r, ctx, IX_PROVE_EQUIVOCATION_FIELDS);
  rd_statement(&r, &d.first);
  d.has_second = rd_option(&r);
  if (d.has_second) rd_statement(&r, &d.second);
  TRY(rd_end(&r));
  if (!is_system_program(&ctx->ka[AI_PROVE_EQUIVOCATION_SYSTEM_PROGRAM])) return ERR_ACC_5;
  const SolAccountInfo *ixs = &ctx->ka[AI_PROVE_EQUIVOCATION_INSTRUCTIONS_SYSVAR];
  if (!is_instructions_sysvar(ixs)) return ERR_ACC_5;
  const Statement *a = &d.first;

  ConfigAccount *config;
  TRY(load_config(ctx, &ctx->ka[AI_PROVE_EQUIVOCATION_CONFIG], &config));
  /* Equivocation about epoch E is provable while E's aggregates can be challenged: until the round's
   * stored challenge_end, or for a round never opened, the end computed from the parameters [EQV-4]. */
  TRY(check_window(ctx, config, a));
  /* Each statement's miner signature must be among those the transaction carries [SIG-2]; the Ed25519
   * program verified them all before this instruction ran [SIG-1]. */
  uint8_t digest_a[32], other[32];
  aggregate_digest(a, digest_a);
  if (!(find_signature(ixs, a->miner, digest_a) != NULL)) return ERR_SIG_2; /* the first statement is signed by its miner */
  LeafRef ref = {a->epoch, a->name_hash, a->miner, 0};
  AggregateAccount *on_chain;
  TRY(load_aggregate(ctx, &ctx->ka[AI_PROVE_EQUIVOCATION_AGGREGATE], &ref, &on_chain));
  if (d.has_second) {
    const Statement *b = &d.second;
    /* Two statements by one miner about one (epoch, name) [EQV-5] ... */
    if (!(eq32(b->miner, a->miner) && b->epoch == a->epoch && eq32(b->name_hash, a->name_hash))) return ERR_EQV_5; /* one miner, one round */
    aggregate_digest(b, other);
    if (!(find_signature(ixs, b->miner, other) != NULL)) return ERR_SIG_2; /* the second statement is signed by its miner */
  } else {
    /* ... or one signed statement against the miner's own on-chain aggregate [EQV-7]. */
    if (!(on_chain != NULL && (on_chain->flags & AGG_FLAG_SUBMITTED) != 0)) return ERR_EQV_7; /* the miner has an on-chain aggregate */
    memcpy(other, on_chain->statement_hash, 32);
  }
  /* ... with different contents [EQV-6]. */
  if (!(!eq32a(digest_a, other))) return ERR_EQV_6; /* the statements differ */
  if (!(on_chain == NULL || (on_chain->flags & AGG_FLAG_EQUIVOCATED) == 0)) return ERR_EQV_3; /* proven and punished once */
  MinerSetAccount *set;
  Key miner;
  TRY(load_miners(ctx, &ctx->ka[AI_PROVE_EQUIVOCATION_MINERS], &set));
  key_load(&miner, a->miner);
  MinerEntry *entry = find_miner(set, &miner);
  if (!(entry != NULL)) return ERR_EQV_8; /* the miner has stake to slash */
  return punish_equivocation(ctx, a, on_chain, entry);
}

/* ------------------------------------------------------------------------------------ pins */

uint64_t process_pin_leaf(const Ctx *ctx) {
  Reader r;
  LeafRef ref;
  rd_init(&r, ctx, IX_PIN_LEAF_FIELDS);
  rd_ref(&r, &ref);
  const uint8_t *leaf = rd_object(&r, LEAF_SIZE, OBJ_LEAF);
  uint64_t depth = rd_u8(&r);
  /* Depth past MAX_PROOF_DEPTH fails the proof below [MRK-5], in the spec's order. */
  const uint8_t *path = rd_take(&r, 40 * depth);
  TRY(rd_end(&r));
  if (!is_system_program(&ctx->ka[AI_PIN_LEAF_SYSTEM_PROGRAM])) return ERR_ACC_5;
  const SolAccountInfo *pin_info = &ctx->ka[AI_PIN_LEAF_PIN];

  /* Anyone may pin a leaf by proving its inclusion in a submitted aggregate [BLF-2], [MRK-5]. */
  AggregateAccount *agg;
  TRY(submitted_aggregate(ctx, &ctx->ka[AI_PIN_LEAF_AGGREGATE], &ref, &agg));
  if (!(ref.index < agg->receipt_count)) return ERR_BLF_2; /* the leaf is inside the tree */
  LeafPinAccount *pin;
  TRY(load_pin(ctx, pin_info, &ref, ref.index, &pin));
  if (!(pin == NULL)) return ERR_BLF_3; /* a leaf is pinned once */
  Inclusion in = {leaf, ref.index, agg->receipt_count, path, depth, agg->receipt_root, agg->support};
  if (!(verify_inclusion(&in))) return ERR_MRK_5; /* the proof verifies against root and support */

  SolSignerSeed s[6];
  uint8_t e12[12];
  uint64_t n = leaf_seeds(s, e12, &ref, ref.index, SEED_LEAF_PIN);
  s[n++] = (SolSignerSeed){ctx->data + BUMP_PIN_LEAF_PIN, 1};
  Create c = {&ctx->ka[AI_PIN_LEAF_PAYER], pin_info, s, n, sizeof(LeafPinAccount)};
  TRY(create_pda(ctx, &c, (uint8_t **)&pin));
  account_header((uint8_t *)pin, DISC_LEAF_PIN);
  pin->index = ref.index;
  pin->epoch = ref.epoch;
  memcpy(pin->name_hash, ref.name_hash, 32);
  memcpy(pin->miner, ref.miner, 32);
  memcpy(pin->receipt_hash, leaf + LEAF_RECEIPT_HASH, 32);
  memcpy(pin->witness, leaf + LEAF_WITNESS, 32);
  pin->weight = load_u64_le(leaf + LEAF_WEIGHT);
  return 0;
}

/* pinOf: a leaf proof works on pinned leaves [BLF-6]. Index 2^32 (the right neighbour of the last
 * u32 index) names no account and is never pinned. */
static uint64_t pin_of(const Ctx *ctx, const SolAccountInfo *info, const LeafRef *ref, uint64_t index, LeafPinAccount **out) {
  if (!(index <= UINT32_MAX)) return ERR_BLF_6; /* that leaf is pinned */
  TRY(load_pin(ctx, info, ref, (uint32_t)index, out));
  if (*out == NULL) return pin_absent(ctx, info, ref, (uint32_t)index, ERR_BLF_6); /* that leaf is pinned */
  return 0;
}

/* ------------------------------------------------------------------------- leaf challenges */

/* The accounts every leaf challenge shares, at the same positions in proveBadWeight, proveBadOrder
 * and proveLeafMismatch. */
_Static_assert(AI_PROVE_BAD_WEIGHT_ROUND == AI_PROVE_BAD_ORDER_ROUND && AI_PROVE_BAD_ORDER_ROUND == AI_PROVE_LEAF_MISMATCH_ROUND, "round");
_Static_assert(AI_PROVE_BAD_WEIGHT_AGGREGATE == AI_PROVE_BAD_ORDER_AGGREGATE && AI_PROVE_BAD_ORDER_AGGREGATE == AI_PROVE_LEAF_MISMATCH_AGGREGATE, "agg");
_Static_assert(AI_PROVE_BAD_WEIGHT_MINERS == AI_PROVE_BAD_ORDER_MINERS && AI_PROVE_BAD_ORDER_MINERS == AI_PROVE_LEAF_MISMATCH_MINERS, "miners");
_Static_assert(AI_PROVE_BAD_WEIGHT_CONFIG == AI_PROVE_BAD_ORDER_CONFIG && AI_PROVE_BAD_ORDER_CONFIG == AI_PROVE_LEAF_MISMATCH_CONFIG, "config");
_Static_assert(AI_PROVE_BAD_WEIGHT_VAULT == AI_PROVE_BAD_ORDER_VAULT && AI_PROVE_BAD_ORDER_VAULT == AI_PROVE_LEAF_MISMATCH_VAULT, "vault");
_Static_assert(AI_PROVE_BAD_WEIGHT_COMMITTEE == AI_PROVE_BAD_ORDER_COMMITTEE && AI_PROVE_BAD_ORDER_COMMITTEE == AI_PROVE_LEAF_MISMATCH_COMMITTEE, "committee");
_Static_assert(AI_PROVE_BAD_WEIGHT_CHALLENGER == AI_PROVE_BAD_ORDER_CHALLENGER && AI_PROVE_BAD_ORDER_CHALLENGER == AI_PROVE_LEAF_MISMATCH_CHALLENGER, "challenger");
#define LEAF_ROUND AI_PROVE_BAD_WEIGHT_ROUND
#define LEAF_AGGREGATE AI_PROVE_BAD_WEIGHT_AGGREGATE
#define LEAF_MINERS AI_PROVE_BAD_WEIGHT_MINERS
#define LEAF_CONFIG AI_PROVE_BAD_WEIGHT_CONFIG
#define LEAF_VAULT AI_PROVE_BAD_WEIGHT_VAULT
#define LEAF_COMMITTEE AI_PROVE_BAD_WEIGHT_COMMITTEE
#define LEAF_CHALLENGER AI_PROVE_BAD_WEIGHT_CHALLENGER

/* openReveal lists them elsewhere. */
typedef struct {
  uint64_t aggregate, round, miners;
} TargetSlots;

typedef struct {
  AggregateAccount *agg;
  RoundAccount *round;
  MinerEntry *entry;
} Target;

/* challengeable: a submitted, not yet stripped aggregate, inside the challenge window [BLF-4], [BLF-5],
 * whose miner has stake to slash [EQV-8]. */
static uint64_t challengeable(const Ctx *ctx, const TargetSlots *at, const LeafRef *ref, Target *t) {
  TRY(submitted_aggregate(ctx, &ctx->ka[at->aggregate], ref, &t->agg));
  const SolAccountInfo *round_info = &ctx->ka[at->round];
  TRY(load_round(ctx, round_info, ref->epoch, ref->name_hash, &t->round));
  if (t->round == NULL) return round_absent(ctx, round_info, ref->epoch, ref->name_hash, ERR_ACC_7); /* a submitted aggregate's round exists */
  if (!(clock_slot() < t->round->challenge_end)) return ERR_BLF_4; /* the challenge window is open */
  if (!((t->round->member_flags[t->agg->member_index] & MEMBER_STRIPPED) == 0)) return ERR_BLF_5; /* not stripped already */
  MinerSetAccount *set;
  Key miner;
  TRY(load_miners(ctx, &ctx->ka[at->miners], &set));
  key_load(&miner, ref->miner);
  t->entry = find_miner(set, &miner);
  if (!(t->entry != NULL)) return ERR_EQV_8; /* the miner has stake to slash */
  return 0;
}

static uint64_t leaf_target(const Ctx *ctx, const LeafRef *ref, Target *t) {
  static const TargetSlots slots = {LEAF_AGGREGATE, LEAF_ROUND, LEAF_MINERS};
  return challengeable(ctx, &slots, ref, t);
}

/* uphold: slash the miner, paying the challenger, and strip the aggregate [SLS-1], [SLS-2]. */
static uint64_t uphold(const Ctx *ctx, const Target *t, const LeafRef *ref) {
  ConfigAccount *config;
  TRY(load_config(ctx, &ctx->ka[LEAF_CONFIG], &config));
  TRY(load_vault(ctx, &ctx->ka[LEAF_VAULT]));
  Slasher s = {config, &ctx->ka[LEAF_VAULT], &ctx->ka[LEAF_CHALLENGER]};
  TRY(slash(&s, t->entry));
  StripTarget st = {ctx, &ctx->ka[LEAF_ROUND], &ctx->ka[LEAF_COMMITTEE], ref->epoch, ref->name_hash};
  return strip(&st, t->agg->member_index);
}

static uint64_t read_ref(const Ctx *ctx, uint64_t fields, LeafRef *ref) {
  Reader r;
  rd_init(&r, ctx, fields);
  rd_ref(&r, ref);
  return rd_end(&r);
}

/* A leaf's weight must be its witness's stake in the epoch, and not zero [BLF-7]. */
uint64_t process_prove_bad_weight(const Ctx *ctx) {
  LeafRef ref;
  Target t;
  LeafPinAccount *pin;
  TRY(read_ref(ctx, IX_PROVE_BAD_WEIGHT_FIELDS, &ref));
  TRY(leaf_target(ctx, &ref, &t));
  TRY(pin_of(ctx, &ctx->ka[AI_PROVE_BAD_WEIGHT_PIN], &ref, ref.index, &pin));
  const SolAccountInfo *witness_info = &ctx->ka[AI_PROVE_BAD_WEIGHT_WITNESS_ACCOUNT];
  WitnessAccount *witness;
  TRY(load_witness(ctx, witness_info, pin->witness, &witness));
  if (witness == NULL) {
    /* Absent means stake 0, which upholds the challenge: prove it is the pinned witness's address,
     * with the bump the data carries. */
    SolSignerSeed s[2];
    uint8_t address[32];
    PdaSeeds p = {s, witness_seeds(s, pin->witness, NULL)};
    if (!(pda_with_bump(ctx, &p, ctx->data[BUMP_PROVE_BAD_WEIGHT_WITNESS_ACCOUNT], address) && eq32(address, witness_info->key->x))) return ERR_ACC_5;
  }
  uint64_t stake = witness_stake_at(witness, ref.epoch);
  if (!(pin->weight != stake || pin->weight == 0)) return ERR_BLF_7; /* the weight is wrong or zero */
  return uphold(ctx, &t, &ref);
}

/* Adjacent leaves must have strictly increasing witness keys: no duplicate, no disorder [BLF-8]. */
uint64_t process_prove_bad_order(const Ctx *ctx) {
  LeafRef ref;
  Target t;
  LeafPinAccount *left, *right;
  TRY(read_ref(ctx, IX_PROVE_BAD_ORDER_FIELDS, &ref));
  TRY(leaf_target(ctx, &ref, &t));
  TRY(pin_of(ctx, &ctx->ka[AI_PROVE_BAD_ORDER_LEFT_PIN], &ref, ref.index, &left));
  TRY(pin_of(ctx, &ctx->ka[AI_PROVE_BAD_ORDER_RIGHT_PIN], &ref, (uint64_t)ref.index + 1, &right));
  if (!(memcmp(left->witness, right->witness, 32) >= 0)) return ERR_BLF_8; /* the two leaves are out of order */
  return uphold(ctx, &t, &ref);
}

typedef struct {
  LeafRef ref;
  const uint8_t *receipt;   /* 106-byte Receipt encoding */
  const uint8_t *signature; /* 64 bytes */
} Reveal;

/* receipt_hash = H("dotdns/v1/receipt-id", encoding ‖ signature) [RCP-3]. */
static void receipt_hash(const Reveal *v, uint8_t out[32]) {
  SolBytes h[3] = {HSLICE(RECEIPT_ID), {v->receipt, RECEIPT_SIZE}, {v->signature, 64}};
  sol_sha256(h, 3, out);
}

/* receiptMatches: the receipt names the leaf's witness and the aggregate's epoch, name and route. */
static bool receipt_matches(const uint8_t *receipt, const LeafPinAccount *pin, const AggregateAccount *agg) {
  return eq32(receipt + RECEIPT_WITNESS, pin->witness) && load_u64_le(receipt + RECEIPT_EPOCH) == agg->epoch &&
         eq32(receipt + RECEIPT_NAME_HASH, agg->name_hash) && eq32(receipt + RECEIPT_ROUTE_HASH, agg->route_hash);
}

/* A revealed receipt that hashes to the leaf must agree with the leaf and the aggregate [BLF-9], [BLF-10]. */
uint64_t process_prove_leaf_mismatch(const Ctx *ctx) {
  Reveal v;
  Target t;
  LeafPinAccount *pin;
  uint8_t hash[32];
  Reader r;
  rd_init(&r, ctx, IX_PROVE_LEAF_MISMATCH_FIELDS);
  rd_ref(&r, &v.ref);
  v.receipt = rd_object(&r, RECEIPT_SIZE, OBJ_RECEIPT);
  v.signature = rd_take(&r, 64);
  TRY(rd_end(&r));
  TRY(leaf_target(ctx, &v.ref, &t));
  TRY(pin_of(ctx, &ctx->ka[AI_PROVE_LEAF_MISMATCH_PIN], &v.ref, v.ref.index, &pin));
  receipt_hash(&v, hash);
  if (!(eq32a(hash, pin->receipt_hash))) return ERR_BLF_9; /* the receipt hashes to the leaf */
  if (!(!receipt_matches(v.receipt, pin, t.agg))) return ERR_BLF_10; /* ... and disagrees with it or the aggregate */
  return uphold(ctx, &t, &v.ref);
}

/* ---------------------------------------------------------------------------------- reveal */

uint64_t process_open_reveal(const Ctx *ctx) {
  LeafRef ref;
  Target t;
  TRY(read_ref(ctx, IX_OPEN_REVEAL_FIELDS, &ref));
  if (!is_system_program(&ctx->ka[AI_OPEN_REVEAL_SYSTEM_PROGRAM])) return ERR_ACC_5;
  const SolAccountInfo *challenger = &ctx->ka[AI_OPEN_REVEAL_CHALLENGER];
  const SolAccountInfo *info = &ctx->ka[AI_OPEN_REVEAL_CHALLENGE];

  static const TargetSlots slots = {AI_OPEN_REVEAL_AGGREGATE, AI_OPEN_REVEAL_ROUND, AI_OPEN_REVEAL_MINERS};
  TRY(challengeable(ctx, &slots, &ref, &t));
  if (!(ref.index < t.agg->receipt_count)) return ERR_RVL_2; /* the leaf is inside the tree */
  ChallengeAccount *c;
  TRY(load_challenge(ctx, info, &ref, &c));
  if (!(c == NULL)) return ERR_RVL_3; /* one reveal challenge per leaf */

  /* The challenger bonds, so that reveal challenges cost something to spam [RVL-1]. */
  ConfigAccount *config;
  TRY(load_config(ctx, &ctx->ka[AI_OPEN_REVEAL_CONFIG], &config));
  uint64_t bond = config->params[P_CHALLENGE_BOND], deadline;
  TRY(load_vault(ctx, &ctx->ka[AI_OPEN_REVEAL_VAULT]));
  TRY(vault_deposit(ctx, challenger, &ctx->ka[AI_OPEN_REVEAL_VAULT], bond));
  SolSignerSeed s[6];
  uint8_t e12[12];
  uint64_t n = leaf_seeds(s, e12, &ref, ref.index, SEED_CHALLENGE);
  s[n++] = (SolSignerSeed){ctx->data + BUMP_OPEN_REVEAL_CHALLENGE, 1};
  Create create = {&ctx->ka[AI_OPEN_REVEAL_PAYER], info, s, n, sizeof(ChallengeAccount)};
  TRY(create_pda(ctx, &create, (uint8_t **)&c));
  account_header((uint8_t *)c, DISC_CHALLENGE);
  c->status = CHALLENGE_OPEN;
  c->leaf_index = ref.index;
  c->epoch = ref.epoch;
  memcpy(c->name_hash, ref.name_hash, 32);
  memcpy(c->miner, ref.miner, 32);
  memcpy(c->challenger, challenger->key->x, 32);
  c->bond = bond;
  TRY(add_u64(clock_slot(), config->params[P_RESPONSE_WINDOW_SLOTS], &deadline));
  c->deadline = deadline;
  /* open_challenges is a u16: a 65536th open challenge on one round is refused [ACC-6]. */
  if (!(t.round->open_challenges < UINT16_MAX)) return ERR_ACC_6; /* open_challenges stays a u16 */
  t.round->open_challenges += 1;
  return 0;
}

typedef struct {
  ChallengeAccount *c;
  RoundAccount *round;
} Open;

/* openChallenge: answering or settling needs an open reveal challenge [RVL-4]. */
static uint64_t open_challenge(const Ctx *ctx, const uint64_t *slots, const LeafRef *ref, Open *o) {
  const SolAccountInfo *info = &ctx->ka[slots[0]];
  TRY(load_challenge(ctx, info, ref, &o->c));
  if (o->c == NULL) return challenge_absent(ctx, info, ref, ERR_RVL_4); /* a reveal challenge exists on this leaf */
  if (!(o->c->status == CHALLENGE_OPEN)) return ERR_RVL_4; /* ... and is open */
  const SolAccountInfo *round_info = &ctx->ka[slots[1]];
  TRY(load_round(ctx, round_info, ref->epoch, ref->name_hash, &o->round));
  if (o->round == NULL) return round_absent(ctx, round_info, ref->epoch, ref->name_hash, ERR_ACC_7); /* a challenge's round exists */
  return 0;
}

/* The miner answers with the pinned leaf's receipt and the witness's valid signature on it; the leaf's
 * weight must also be right [RVL-5..8]. A good answer rejects the challenge and the bond goes to the
 * miner [RVL-9]. */
uint64_t process_respond_reveal(const Ctx *ctx) {
  Reveal v;
  Open o;
  AggregateAccount *agg;
  LeafPinAccount *pin;
  Reader r;
  rd_init(&r, ctx, IX_RESPOND_REVEAL_FIELDS);
  rd_ref(&r, &v.ref);
  v.receipt = rd_object(&r, RECEIPT_SIZE, OBJ_RECEIPT);
  TRY(rd_end(&r));
  const SolAccountInfo *ixs = &ctx->ka[AI_RESPOND_REVEAL_INSTRUCTIONS_SYSVAR];
  if (!is_instructions_sysvar(ixs)) return ERR_ACC_5;

  static const uint64_t slots[2] = {AI_RESPOND_REVEAL_CHALLENGE, AI_RESPOND_REVEAL_ROUND};
  TRY(open_challenge(ctx, slots, &v.ref, &o));
  if (!(clock_slot() < o.c->deadline)) return ERR_RVL_5; /* the answer arrives before the deadline */
  TRY(load_pin(ctx, &ctx->ka[AI_RESPOND_REVEAL_PIN], &v.ref, v.ref.index, &pin));
  if (pin == NULL) return pin_absent(ctx, &ctx->ka[AI_RESPOND_REVEAL_PIN], &v.ref, v.ref.index, ERR_RVL_6); /* the challenged leaf is pinned */
  TRY(submitted_aggregate(ctx, &ctx->ka[AI_RESPOND_REVEAL_AGGREGATE], &v.ref, &agg));
  /* The signature travels in the Ed25519 instruction: the entry over (witness, receipt digest). */
  uint8_t digest[32], hash[32];
  SolBytes h[2] = {HSLICE(RECEIPT), {v.receipt, RECEIPT_SIZE}};
  sol_sha256(h, 2, digest);
  v.signature = find_signature(ixs, v.receipt + RECEIPT_WITNESS, digest);
  if (!(v.signature != NULL)) return ERR_SIG_2; /* the witness's signature is proven */
  receipt_hash(&v, hash);
  if (!(eq32a(hash, pin->receipt_hash))) return ERR_RVL_7; /* the receipt hashes to the leaf */
  if (!(receipt_matches(v.receipt, pin, agg))) return ERR_RVL_7; /* ... and matches the leaf and the aggregate */
  const SolAccountInfo *witness_info = &ctx->ka[AI_RESPOND_REVEAL_WITNESS_ACCOUNT];
  WitnessAccount *witness;
  TRY(load_witness(ctx, witness_info, pin->witness, &witness));
  uint64_t stake = witness_stake_at(witness, v.ref.epoch);
  /* (An absent witness has stake 0: RVL-8, once the slot is shown to be its real address.) */
  if (!(pin->weight == stake && stake > 0)) return witness == NULL ? witness_absent(ctx, witness_info, pin->witness, ERR_RVL_8) : ERR_RVL_8; /* the weight is the witness's stake, not zero */

  o.c->status = CHALLENGE_REJECTED;
  o.round->open_challenges -= 1;
  MinerSetAccount *set;
  Key miner;
  TRY(load_miners(ctx, &ctx->ka[AI_RESPOND_REVEAL_MINERS], &set));
  key_load(&miner, v.ref.miner);
  MinerEntry *entry = find_miner(set, &miner);
  if (entry != NULL) return add_u64(entry->claimable, o.c->bond, &entry->claimable);
  ConfigAccount *config;
  TRY(load_config(ctx, &ctx->ka[AI_RESPOND_REVEAL_CONFIG], &config));
  return add_u64(config->reward_pool, o.c->bond, &config->reward_pool);
}

/* After the deadline anyone settles an unanswered challenge: upheld, the miner is slashed, its
 * aggregate stripped and the bond returned [RVL-10]; if the aggregate was stripped meanwhile, the
 * challenge is moot and only the bond returns [RVL-11]. */
uint64_t process_resolve_reveal(const Ctx *ctx) {
  LeafRef ref;
  Open o;
  AggregateAccount *agg;
  TRY(read_ref(ctx, IX_RESOLVE_REVEAL_FIELDS, &ref));
  const SolAccountInfo *challenger = &ctx->ka[AI_RESOLVE_REVEAL_CHALLENGER];
  const SolAccountInfo *vault = &ctx->ka[AI_RESOLVE_REVEAL_VAULT];

  static const uint64_t slots[2] = {AI_RESOLVE_REVEAL_CHALLENGE, AI_RESOLVE_REVEAL_ROUND};
  TRY(open_challenge(ctx, slots, &ref, &o));
  if (!(clock_slot() >= o.c->deadline)) return ERR_RVL_10; /* the miner's time to answer is over */
  TRY(submitted_aggregate(ctx, &ctx->ka[AI_RESOLVE_REVEAL_AGGREGATE], &ref, &agg));
  o.round->open_challenges -= 1;
  /* The refund goes to the challenge's own challenger (its flags are checked here, not at entry). */
  if (!eq32a(challenger->key->x, o.c->challenger)) return ERR_ACC_5;
  if (!challenger->is_writable) return ERR_ACC_12;
  TRY(load_vault(ctx, vault));
  TRY(vault_pay(vault, challenger, o.c->bond));
  MinerSetAccount *set;
  Key miner;
  TRY(load_miners(ctx, &ctx->ka[AI_RESOLVE_REVEAL_MINERS], &set));
  key_load(&miner, ref.miner);
  MinerEntry *entry = find_miner(set, &miner);
  if ((o.round->member_flags[agg->member_index] & MEMBER_STRIPPED) != 0) {
    o.c->status = CHALLENGE_MOOT;
    return 0;
  }
  o.c->status = CHALLENGE_UPHELD;
  if (entry != NULL) {
    ConfigAccount *config;
    TRY(load_config(ctx, &ctx->ka[AI_RESOLVE_REVEAL_CONFIG], &config));
    Slasher s = {config, vault, challenger};
    TRY(slash(&s, entry));
  }
  StripTarget st = {ctx, &ctx->ka[AI_RESOLVE_REVEAL_ROUND], &ctx->ka[AI_RESOLVE_REVEAL_COMMITTEE], ref.epoch, ref.name_hash};
  return strip(&st, agg->member_index);
}
