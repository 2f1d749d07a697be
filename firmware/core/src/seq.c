#include "vigil/seq.h"

#include <string.h>

#include "bytes.h"
#include "vigil/error.h"

static const uint8_t MAGIC[4] = {'V', 'S', 'Q', '1'};

int vigil_seq_load(vigil_seq_t *s, const vigil_platform_t *p) {
  uint8_t rec[16];
  size_t len = 0;
  int rc = p->kv_get(p->ctx, VIGIL_KV_SEQ, rec, sizeof(rec), &len);
  memset(s, 0, sizeof(*s));
  if (rc == VIGIL_E_NOTFOUND) return VIGIL_OK;
  if (rc != VIGIL_OK) return VIGIL_E_STORAGE;
  if (len != sizeof(rec) || memcmp(rec, MAGIC, 4) != 0 ||
      get_u32(rec + 12) != vigil_crc32(0, rec, 12) || get_u64(rec + 4) > VIGIL_MAX_SAFE_INT + 1)
    return VIGIL_E_CORRUPT;
  s->next = get_u64(rec + 4);
  s->reserved = s->next;
  return VIGIL_OK;
}

int vigil_seq_take(vigil_seq_t *s, const vigil_platform_t *p, uint64_t *out) {
  if (s->next > VIGIL_MAX_SAFE_INT) return VIGIL_E_SEQ_EXHAUSTED;
  if (s->next >= s->reserved) {
    uint8_t rec[16];
    uint64_t end = s->next + VIGIL_SEQ_BLOCK;
    if (end > VIGIL_MAX_SAFE_INT + 1) end = VIGIL_MAX_SAFE_INT + 1;
    memcpy(rec, MAGIC, 4);
    put_u64(rec + 4, end);
    put_u32(rec + 12, vigil_crc32(0, rec, 12));
    /* persist first: a number is used only once its block is durable */
    if (p->kv_put(p->ctx, VIGIL_KV_SEQ, rec, sizeof(rec)) != VIGIL_OK) return VIGIL_E_STORAGE;
    s->reserved = end;
  }
  *out = s->next++;
  return VIGIL_OK;
}
