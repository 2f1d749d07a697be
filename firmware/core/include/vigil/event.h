/*
 * Event bodies a device sends (docs/protocol.md §7.2), written and checked against the event
 * schemas, and the dispatch helpers: a batch id and a delivery token from the platform's CSPRNG.
 */
#ifndef VIGIL_EVENT_H
#define VIGIL_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/json_writer.h"
#include "vigil/platform.h"
#include "vigil/sample.h"

/** 16 random bytes as base64url: 22 characters, ^[A-Za-z0-9_-]{6,64}$ */
#define VIGIL_TOKEN_CHARS 22
/** "B-YYYYMMDD-" + 8 hex digits */
#define VIGIL_BATCH_CHARS 19

/** dispatch: batch ^[A-Za-z0-9._:-]{1,64}$, token ^[A-Za-z0-9_-]{6,64}$, shipment optional
 *  (1..128 characters, NULL to omit). ts 0 omits `ts` (the envelope's ts applies). */
int vigil_event_dispatch(vigil_jw_t *w, uint64_t ts, const char *batch, const char *token,
                         const char *shipment);
/** delivery, batch optional (NULL). */
int vigil_event_delivery(vigil_jw_t *w, uint64_t ts, const char *batch);
int vigil_event_door(vigil_jw_t *w, uint64_t ts, int open);
int vigil_event_power(vigil_jw_t *w, uint64_t ts, vigil_power_t source);
int vigil_event_battery_low(vigil_jw_t *w, uint64_t ts, double bat_pct);
/** cooling: state "ok", "failed", "overcooling" or "restored". */
int vigil_event_cooling(vigil_jw_t *w, uint64_t ts, const char *state);

/** A fresh delivery token (NUL-terminated) from the platform's CSPRNG. */
int vigil_make_token(const vigil_platform_t *p, char out[VIGIL_TOKEN_CHARS + 1]);
/** A batch id for the UTC day of ts_ms plus 32 random bits, e.g. B-20261123-9f3a0c21. */
int vigil_make_batch_id(const vigil_platform_t *p, uint64_t ts_ms, char out[VIGIL_BATCH_CHARS + 1]);

#endif
