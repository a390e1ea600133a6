/* The Merkle-sum tree [MRK]: node hashing and RFC 9162 inclusion proofs with sums. */
#include "dotdns.h"

void leaf_node(const uint8_t *leaf, Node *out) {
  SolBytes s[2] = {HSLICE(LEAF), {leaf, LEAF_SIZE}};
  uint64_t weight = load_u64_le(leaf + LEAF_WEIGHT);
  sol_sha256(s, 2, out->hash);
  out->sum = weight;
}

bool parent_node(const uint8_t *left, const uint8_t *right, Node *out) {
  /* Both inputs are hash ‖ u64 sum already, so the node hashes them as they lie: no copy. Sums are
   * read before `out` (which may be one of the inputs) is written. */
  uint64_t sum;
  if (!checked_add_u64(load_u64_le(left + 32), load_u64_le(right + 32), &sum)) return false; /* [MRK-4] */
  SolBytes s[3] = {HSLICE(NODE), {left, 40}, {right, 40}};
  sol_sha256(s, 3, out->hash);
  out->sum = sum;
  return true;
}

bool verify_inclusion(const Inclusion *in) {
  if (in->index >= in->size || in->size > MAX_LEAVES || in->path_len > MAX_PROOF_DEPTH) return false;
  uint64_t fn = in->index;
  uint64_t sn = in->size - 1;
  Node r;
  leaf_node(in->leaf, &r);
  for (uint64_t i = 0; i < in->path_len; i++) {
    const uint8_t *p = in->path + 40 * i;
    if (sn == 0) return false;
    if ((fn & 1) == 1 || fn == sn) {
      if (!parent_node(p, (const uint8_t *)&r, &r)) return false;
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      if (!parent_node((const uint8_t *)&r, p, &r)) return false;
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && eq32(r.hash, in->root) && r.sum == in->root_sum;
}
