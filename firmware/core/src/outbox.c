#include "vigil/outbox.h"

#include <string.h>

#include "bytes.h"
#include "vigil/error.h"

static const uint8_t HDR_MAGIC[4] = {'V', 'O', 'B', '1'};
static const uint8_t REC_MAGIC[4] = {'V', 'O', 'R', '1'};
#define HDR_BYTES 36

static uint32_t slot_offset(const vigil_outbox_t *ob, uint64_t index) {
  return VIGIL_OUTBOX_HEADER_AREA + (uint32_t)(index % ob->nslots) * VIGIL_OUTBOX_SLOT;
}

static int write_header(vigil_outbox_t *ob, uint32_t gen, uint64_t head, uint64_t tail) {
  uint8_t h[HDR_BYTES];
  const vigil_platform_t *p = ob->p;
  memcpy(h, HDR_MAGIC, 4);
  put_u32(h + 4, VIGIL_OUTBOX_SLOT);
  put_u32(h + 8, ob->nslots);
  put_u32(h + 12, gen);
  put_u64(h + 16, head);
  put_u64(h + 24, tail);
  put_u32(h + 32, vigil_crc32(0, h, 32));
  /* odd generations go to copy B, even to copy A: the other copy stays the previous state */
  if (p->region_write(p->ctx, (gen & 1) ? 64 : 0, h, sizeof(h)) != VIGIL_OK ||
      p->region_sync(p->ctx) != VIGIL_OK)
    return VIGIL_E_STORAGE;
  ob->gen = gen;
  ob->head = head;
  ob->tail = tail;
  return VIGIL_OK;
}

/* 1 valid, 0 blank or damaged, -1 a valid header of another geometry */
static int read_header(vigil_outbox_t *ob, uint32_t off, uint32_t *gen, uint64_t *head,
                       uint64_t *tail) {
  uint8_t h[HDR_BYTES];
  if (ob->p->region_read(ob->p->ctx, off, h, sizeof(h)) != VIGIL_OK) return 0;
  if (memcmp(h, HDR_MAGIC, 4) != 0 || get_u32(h + 32) != vigil_crc32(0, h, 32)) return 0;
  if (get_u32(h + 4) != VIGIL_OUTBOX_SLOT || get_u32(h + 8) != ob->nslots) return -1;
  *gen = get_u32(h + 12);
  *head = get_u64(h + 16);
  *tail = get_u64(h + 24);
  if (*head > *tail || *tail - *head > ob->nslots) return 0;
  return 1;
}

static int geometry(vigil_outbox_t *ob, const vigil_platform_t *p) {
  memset(ob, 0, sizeof(*ob));
  ob->p = p;
  if (!p || !p->region_read || !p->region_write || !p->region_sync) return VIGIL_E_ARG;
  if (p->region_size < VIGIL_OUTBOX_HEADER_AREA + 2 * VIGIL_OUTBOX_SLOT) return VIGIL_E_ARG;
  ob->nslots = (p->region_size - VIGIL_OUTBOX_HEADER_AREA) / VIGIL_OUTBOX_SLOT;
  if (ob->nslots <= VIGIL_OUTBOX_RESERVE) return VIGIL_E_ARG;
  return VIGIL_OK;
}

int vigil_outbox_format(vigil_outbox_t *ob, const vigil_platform_t *p) {
  uint8_t zero[HDR_BYTES];
  int rc = geometry(ob, p);
  if (rc != VIGIL_OK) return rc;
  memset(zero, 0, sizeof(zero));
  if (p->region_write(p->ctx, 64, zero, sizeof(zero)) != VIGIL_OK) return VIGIL_E_STORAGE;
  return write_header(ob, 0, 0, 0);
}

int vigil_outbox_open(vigil_outbox_t *ob, const vigil_platform_t *p) {
  uint32_t ga = 0, gb = 0;
  uint64_t ha = 0, ta = 0, hb = 0, tb = 0;
  int a, b, rc = geometry(ob, p);
  if (rc != VIGIL_OK) return rc;
  a = read_header(ob, 0, &ga, &ha, &ta);
  b = read_header(ob, 64, &gb, &hb, &tb);
  if (a < 0 || b < 0) return VIGIL_E_CORRUPT;
  if (a == 0 && b == 0) return vigil_outbox_format(ob, p);
  /* the newer valid copy; generations only grow (wrapping after 2^32 updates is compared
   * modulo 2^32, fine because the copies differ by one) */
  if (a && (!b || (int32_t)(ga - gb) > 0)) {
    ob->gen = ga, ob->head = ha, ob->tail = ta;
  } else {
    ob->gen = gb, ob->head = hb, ob->tail = tb;
  }
  return VIGIL_OK;
}

uint64_t vigil_outbox_count(const vigil_outbox_t *ob) { return ob->tail - ob->head; }

int vigil_outbox_append(vigil_outbox_t *ob, vigil_rec_kind_t kind, const uint8_t *data, size_t len,
                        uint32_t reserve, uint64_t *index) {
  uint8_t h[VIGIL_OUTBOX_REC_HEADER];
  const vigil_platform_t *p = ob->p;
  uint32_t off, crc;
  if (len == 0 || len > VIGIL_OUTBOX_REC_MAX || kind < VIGIL_REC_SAMPLE || kind > VIGIL_REC_ACK)
    return VIGIL_E_ARG;
  if (vigil_outbox_count(ob) + reserve + 1 > ob->nslots) return VIGIL_E_FULL;
  off = slot_offset(ob, ob->tail);
  memcpy(h, REC_MAGIC, 4);
  put_u64(h + 4, ob->tail);
  h[12] = (uint8_t)kind;
  h[13] = 0;
  put_u16(h + 14, (uint16_t)len);
  crc = vigil_crc32(vigil_crc32(0, h, 16), data, len);
  put_u32(h + 16, crc);
  /* the slot first, then the header that makes it part of the ring */
  if (p->region_write(p->ctx, off, h, sizeof(h)) != VIGIL_OK ||
      p->region_write(p->ctx, off + VIGIL_OUTBOX_REC_HEADER, data, len) != VIGIL_OK ||
      p->region_sync(p->ctx) != VIGIL_OK)
    return VIGIL_E_STORAGE;
  if (index) *index = ob->tail;
  return write_header(ob, ob->gen + 1, ob->head, ob->tail + 1);
}

static int read_rec_header(vigil_outbox_t *ob, uint64_t index, uint8_t h[VIGIL_OUTBOX_REC_HEADER]) {
  if (index < ob->head || index >= ob->tail) return VIGIL_E_ARG;
  if (ob->p->region_read(ob->p->ctx, slot_offset(ob, index), h, VIGIL_OUTBOX_REC_HEADER) != VIGIL_OK)
    return VIGIL_E_STORAGE;
  if (memcmp(h, REC_MAGIC, 4) != 0 || get_u64(h + 4) != index || h[12] < VIGIL_REC_SAMPLE ||
      h[12] > VIGIL_REC_ACK || get_u16(h + 14) == 0 || get_u16(h + 14) > VIGIL_OUTBOX_REC_MAX)
    return VIGIL_E_CORRUPT;
  return VIGIL_OK;
}

int vigil_outbox_peek(vigil_outbox_t *ob, uint64_t index, vigil_rec_kind_t *kind, size_t *len) {
  uint8_t h[VIGIL_OUTBOX_REC_HEADER];
  int rc = read_rec_header(ob, index, h);
  if (rc != VIGIL_OK) return rc;
  *kind = (vigil_rec_kind_t)h[12];
  *len = get_u16(h + 14);
  return VIGIL_OK;
}

int vigil_outbox_read(vigil_outbox_t *ob, uint64_t index, uint8_t *buf, size_t cap, size_t *len) {
  uint8_t h[VIGIL_OUTBOX_REC_HEADER];
  size_t n;
  int rc = read_rec_header(ob, index, h);
  if (rc != VIGIL_OK) return rc;
  n = get_u16(h + 14);
  if (n > cap) return VIGIL_E_NOSPACE;
  if (ob->p->region_read(ob->p->ctx, slot_offset(ob, index) + VIGIL_OUTBOX_REC_HEADER, buf, n) !=
      VIGIL_OK)
    return VIGIL_E_STORAGE;
  if (vigil_crc32(vigil_crc32(0, h, 16), buf, n) != get_u32(h + 16)) return VIGIL_E_CORRUPT;
  *len = n;
  return VIGIL_OK;
}

int vigil_outbox_drop_to(vigil_outbox_t *ob, uint64_t index) {
  if (index <= ob->head) return VIGIL_OK;
  if (index > ob->tail) return VIGIL_E_ARG;
  return write_header(ob, ob->gen + 1, index, ob->tail);
}
