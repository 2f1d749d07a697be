/*
 * The outbox: a bounded ring of records (samples, events, acks) on the platform's region, kept
 * until the broker acknowledges the envelope that carried them (docs/protocol.md §6.4, §8).
 * Records are appended at the tail and deleted only from the head, oldest first.
 *
 * Layout: two header copies (A at 0, B at 64) and then fixed slots of VIGIL_OUTBOX_SLOT bytes.
 * A header holds head, tail and a generation counter; updates alternate between the copies and
 * the valid copy with the higher generation wins at load, so a torn header write falls back to
 * the previous state. Every slot carries its absolute index and a CRC-32, so a torn slot write
 * is detected and never read as data.
 */
#ifndef VIGIL_OUTBOX_H
#define VIGIL_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/platform.h"

#define VIGIL_OUTBOX_HEADER_AREA 128
#define VIGIL_OUTBOX_REC_HEADER 20
#define VIGIL_OUTBOX_REC_MAX (VIGIL_OUTBOX_SLOT - VIGIL_OUTBOX_REC_HEADER)

typedef enum vigil_rec_kind {
  VIGIL_REC_SAMPLE = 1, /* one telemetry sample object */
  VIGIL_REC_EVENT = 2,  /* one event body */
  VIGIL_REC_ACK = 3     /* one ack body */
} vigil_rec_kind_t;

typedef struct vigil_outbox {
  const vigil_platform_t *p;
  uint32_t nslots;
  uint32_t gen;
  uint64_t head;
  uint64_t tail;
} vigil_outbox_t;

/** Loads the ring, or formats an empty one on a blank region. VIGIL_E_CORRUPT when the region
 *  holds a ring of another geometry (slot size or region size changed). */
int vigil_outbox_open(vigil_outbox_t *ob, const vigil_platform_t *p);
/** Erases the ring (both headers). */
int vigil_outbox_format(vigil_outbox_t *ob, const vigil_platform_t *p);
/** Records held. */
uint64_t vigil_outbox_count(const vigil_outbox_t *ob);
/** Appends a record and makes it durable. VIGIL_E_FULL when fewer than reserve + 1 slots are
 *  free (samples keep VIGIL_OUTBOX_RESERVE slots free for acks and events). */
int vigil_outbox_append(vigil_outbox_t *ob, vigil_rec_kind_t kind, const uint8_t *data, size_t len,
                        uint32_t reserve, uint64_t *index);
/** Kind and length of the record at `index`, checking its header. */
int vigil_outbox_peek(vigil_outbox_t *ob, uint64_t index, vigil_rec_kind_t *kind, size_t *len);
/** Reads the record at `index` into buf, checking its CRC. VIGIL_E_CORRUPT on a damaged slot. */
int vigil_outbox_read(vigil_outbox_t *ob, uint64_t index, uint8_t *buf, size_t cap, size_t *len);
/** Deletes every record below `index` (head moves to index), durably. */
int vigil_outbox_drop_to(vigil_outbox_t *ob, uint64_t index);

#endif
