/*
 * Sealed envelopes waiting for their PUBACK, on storage (kv "inf0", "inf1", ...), so that after a
 * reboot they are redelivered byte for byte (docs/protocol.md §6.4) instead of being sealed again
 * under a new seq, which would store their samples twice.
 */
#include <string.h>

#include "bytes.h"
#include "device_internal.h"
#include "vigil/error.h"

static const uint8_t MAGIC[4] = {'V', 'I', 'F', '1'};

static void key_name(unsigned slot, char out[8]) {
  out[0] = 'i';
  out[1] = 'n';
  out[2] = 'f';
  out[3] = (char)('0' + slot % 10);
  out[4] = '\0';
}

int inflight_store(vigil_device_t *d, unsigned slot) {
  vigil_inflight_t *f = &d->inflight[slot];
  uint8_t *h = f->rec;
  char key[8];
  memcpy(h, MAGIC, 4);
  h[4] = (uint8_t)f->channel;
  h[5] = h[6] = h[7] = 0;
  put_u64(h + 8, f->seq);
  put_u64(h + 16, f->first);
  put_u32(h + 24, f->count);
  put_u32(h + 28, (uint32_t)f->len);
  put_u32(h + 32, vigil_crc32(vigil_crc32(0, h, 32), h + VIGIL_INFLIGHT_HEADER, f->len));
  key_name(slot, key);
  return d->p->kv_put(d->p->ctx, key, f->rec, VIGIL_INFLIGHT_HEADER + f->len) == VIGIL_OK
             ? VIGIL_OK
             : VIGIL_E_STORAGE;
}

int inflight_forget(vigil_device_t *d, unsigned slot) {
  char key[8];
  int rc;
  key_name(slot, key);
  rc = d->p->kv_del(d->p->ctx, key);
  return rc == VIGIL_OK || rc == VIGIL_E_NOTFOUND ? VIGIL_OK : VIGIL_E_STORAGE;
}

static int load_one(vigil_device_t *d, unsigned slot) {
  vigil_inflight_t *f = &d->inflight[slot];
  uint8_t *h = f->rec;
  size_t len = 0;
  char key[8];
  int rc;
  key_name(slot, key);
  rc = d->p->kv_get(d->p->ctx, key, f->rec, sizeof(f->rec), &len);
  if (rc == VIGIL_E_NOTFOUND) return VIGIL_OK;
  if (rc != VIGIL_OK) return VIGIL_E_STORAGE;
  if (len < VIGIL_INFLIGHT_HEADER || memcmp(h, MAGIC, 4) != 0 || h[4] > VIGIL_CH_ACKS ||
      get_u32(h + 28) != len - VIGIL_INFLIGHT_HEADER ||
      get_u32(h + 32) != vigil_crc32(vigil_crc32(0, h, 32), h + VIGIL_INFLIGHT_HEADER,
                                     len - VIGIL_INFLIGHT_HEADER))
    return VIGIL_E_CORRUPT;
  f->channel = (vigil_channel_t)h[4];
  f->seq = get_u64(h + 8);
  f->first = get_u64(h + 16);
  f->count = get_u32(h + 24);
  f->len = len - VIGIL_INFLIGHT_HEADER;
  if (f->first + f->count <= d->outbox.head) {
    /* acknowledged and deleted from the outbox; only forgetting it was cut short */
    return inflight_forget(d, slot);
  }
  if (f->count == 0 || f->first < d->outbox.head || f->first + f->count > d->outbox.tail)
    return VIGIL_E_CORRUPT;
  f->used = 1;
  return VIGIL_OK;
}

int inflight_load_all(vigil_device_t *d) {
  unsigned i;
  d->seal_next = d->outbox.head;
  for (i = 0; i < VIGIL_MAX_INFLIGHT; i++) {
    int rc = load_one(d, i);
    if (rc != VIGIL_OK) return rc;
    if (d->inflight[i].used && d->inflight[i].first + d->inflight[i].count > d->seal_next)
      d->seal_next = d->inflight[i].first + d->inflight[i].count;
  }
  return VIGIL_OK;
}
