/* Objects inside instruction data and their hashes [ENC], [HSH-1], [AGG-1]. */
#include "dotdns.h"

void rd_statement(Reader *r, Statement *st) {
  /* readObject: u16 length, at most AGGREGATE_MAX [ENC-3], then exactly that many bytes. */
  uint16_t n = rd_u16(r);
  if (r->err == 0 && n > AGGREGATE_MAX) rd_fail(r, ERR_ENC_3);
  const uint8_t *p = rd_take(r, n);
  if (p == NULL) return;
  st->encoding = p;
  st->encoding_len = n;
  /* decodeAggregate over those bytes, in the spec decoder's order. */
  Reader o = {p, n, 0};
  uint8_t tag = rd_u8(&o);
  if (o.err == 0 && tag != OBJ_AGGREGATE) rd_fail(&o, ERR_ENC_5);
  uint8_t version = rd_u8(&o);
  if (o.err == 0 && version != LAYOUT_VERSION) rd_fail(&o, ERR_VER_2);
  st->epoch = rd_u64(&o);
  st->name_hash = rd_take(&o, 32);
  st->route_hash = rd_take(&o, 32);
  st->receipt_root = rd_take(&o, 32);
  st->support = rd_u64(&o);
  st->receipt_count = rd_u32(&o);
  st->miner = rd_take(&o, 32);
  st->cid = NULL;
  st->cid_len = 0;
  if (rd_option(&o)) {
    uint32_t len = rd_u32(&o);
    if (o.err == 0 && len > CID_MAX) rd_fail(&o, ERR_ENC_3);
    st->cid = rd_take(&o, len);
    st->cid_len = len;
    if (o.err == 0 && len == 0) rd_fail(&o, ERR_AGG_6); /* a present batch CID is not empty */
  }
  if (rd_end(&o) != 0) rd_fail(r, o.err);
}

const uint8_t *rd_object(Reader *r, uint64_t size, uint8_t tag) {
  const uint8_t *p = rd_take(r, size);
  if (p == NULL) return NULL;
  if (p[0] != tag) rd_fail(r, ERR_ENC_5);
  else if (p[1] != LAYOUT_VERSION) rd_fail(r, ERR_VER_2);
  return p;
}

void aggregate_digest(const Statement *st, uint8_t out[32]) {
  /* The decoder is canonical, so the bytes in the data are the encoding the spec hashes. */
  SolBytes s[2] = {HSLICE(AGGREGATE), {st->encoding, st->encoding_len}};
  sol_sha256(s, 2, out);
}
