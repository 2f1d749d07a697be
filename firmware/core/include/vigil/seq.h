/*
 * The uplink seq counter (docs/protocol.md §8): strictly increasing, never reused, kept across
 * reboots and crashes. Numbers are reserved in blocks of VIGIL_SEQ_BLOCK: before the first
 * number of a block is used, the block's end is stored with kv_put (atomic, durable). At boot
 * the counter continues from the stored end, so a crash skips ahead and never goes back.
 */
#ifndef VIGIL_SEQ_H
#define VIGIL_SEQ_H

#include <stdint.h>

#include "vigil/platform.h"

#define VIGIL_KV_SEQ "seq"

typedef struct vigil_seq {
  uint64_t next;
  /* numbers below this are reserved on storage */
  uint64_t reserved;
} vigil_seq_t;

/** Loads the stored block end (0 on a fresh device). VIGIL_E_CORRUPT if the record is damaged:
 *  starting again from 0 would reuse numbers, so the caller must not go on silently. */
int vigil_seq_load(vigil_seq_t *s, const vigil_platform_t *p);
/** The next number; reserves (and stores) a new block first when needed. */
int vigil_seq_take(vigil_seq_t *s, const vigil_platform_t *p, uint64_t *out);

#endif
