#include "vigil/event.h"

#include <string.h>

#include "vigil/b64url.h"
#include "vigil/config.h"
#include "vigil/error.h"

static int all_in(const char *s, size_t min, size_t max, const char *extra) {
  size_t n = strlen(s), i;
  if (n < min || n > max) return 0;
  for (i = 0; i < n; i++) {
    char c = s[i];
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) continue;
    if (!strchr(extra, c) || c == '\0') return 0;
  }
  return 1;
}

/* UTF-16 length of valid UTF-8 (4-byte sequences count 2), as zod's max() counts. */
static size_t js_length(const char *s) {
  size_t n = 0;
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if ((c & 0xc0) != 0x80) n += c >= 0xf0 ? 2 : 1;
  }
  return n;
}

static void start(vigil_jw_t *w, const char *type, uint64_t ts) {
  vigil_jw_object(w);
  vigil_jw_key(w, "type");
  vigil_jw_cstr(w, type);
  if (ts) {
    vigil_jw_key(w, "ts");
    vigil_jw_uint(w, ts);
  }
}

static int finish(vigil_jw_t *w) {
  vigil_jw_end(w);
  return w->err ? w->err : VIGIL_OK;
}

int vigil_event_dispatch(vigil_jw_t *w, uint64_t ts, const char *batch, const char *token,
                         const char *shipment) {
  if (!batch || !token || !all_in(batch, 1, 64, "._:-") || !all_in(token, 6, 64, "_-"))
    return VIGIL_ERR_BODY_SCHEMA;
  if (shipment && (js_length(shipment) < 1 || js_length(shipment) > 128)) return VIGIL_ERR_BODY_SCHEMA;
  if (ts > VIGIL_MAX_SAFE_INT) return VIGIL_ERR_BODY_SCHEMA;
  start(w, "dispatch", ts);
  vigil_jw_key(w, "batch");
  vigil_jw_cstr(w, batch);
  vigil_jw_key(w, "token");
  vigil_jw_cstr(w, token);
  if (shipment) {
    vigil_jw_key(w, "shipment");
    vigil_jw_cstr(w, shipment);
  }
  return finish(w);
}

int vigil_event_delivery(vigil_jw_t *w, uint64_t ts, const char *batch) {
  if (batch && (js_length(batch) < 1 || js_length(batch) > 128)) return VIGIL_ERR_BODY_SCHEMA;
  if (ts > VIGIL_MAX_SAFE_INT) return VIGIL_ERR_BODY_SCHEMA;
  start(w, "delivery", ts);
  if (batch) {
    vigil_jw_key(w, "batch");
    vigil_jw_cstr(w, batch);
  }
  return finish(w);
}

int vigil_event_door(vigil_jw_t *w, uint64_t ts, int open) {
  if (ts > VIGIL_MAX_SAFE_INT) return VIGIL_ERR_BODY_SCHEMA;
  start(w, "door", ts);
  vigil_jw_key(w, "state");
  vigil_jw_cstr(w, open ? "open" : "closed");
  return finish(w);
}

int vigil_event_power(vigil_jw_t *w, uint64_t ts, vigil_power_t source) {
  if (ts > VIGIL_MAX_SAFE_INT || (unsigned)source > VIGIL_POWER_BACKUP) return VIGIL_ERR_BODY_SCHEMA;
  start(w, "power", ts);
  vigil_jw_key(w, "source");
  vigil_jw_cstr(w, vigil_power_name(source));
  return finish(w);
}

int vigil_event_battery_low(vigil_jw_t *w, uint64_t ts, double bat_pct) {
  if (ts > VIGIL_MAX_SAFE_INT || !(bat_pct >= 0 && bat_pct <= 100)) return VIGIL_ERR_BODY_SCHEMA;
  start(w, "battery_low", ts);
  vigil_jw_key(w, "bat_pct");
  vigil_jw_fixed(w, bat_pct, 1);
  return finish(w);
}

int vigil_event_cooling(vigil_jw_t *w, uint64_t ts, const char *state) {
  if (!state || ts > VIGIL_MAX_SAFE_INT ||
      (strcmp(state, "ok") && strcmp(state, "failed") && strcmp(state, "overcooling") &&
       strcmp(state, "restored")))
    return VIGIL_ERR_BODY_SCHEMA;
  start(w, "cooling", ts);
  vigil_jw_key(w, "state");
  vigil_jw_cstr(w, state);
  return finish(w);
}

int vigil_make_token(const vigil_platform_t *p, char out[VIGIL_TOKEN_CHARS + 1]) {
  uint8_t raw[16];
  size_t n;
  int rc;
  if (p->random(p->ctx, raw, sizeof(raw)) != VIGIL_OK) return VIGIL_E_RNG;
  rc = vigil_b64u_encode(raw, sizeof(raw), out, VIGIL_TOKEN_CHARS, &n);
  memset(raw, 0, sizeof(raw));
  if (rc != VIGIL_OK) return rc;
  out[n] = '\0';
  return VIGIL_OK;
}

/* Proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant, "chrono-compatible
 * low-level date algorithms", civil_from_days). No libc time functions needed. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
  int64_t era, yoe, doy, mp;
  z += 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  yoe = z - era * 146097;
  yoe = (yoe - yoe / 1460 + yoe / 36524 - yoe / 146096) / 365;
  doy = (z - era * 146097) - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
  *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

int vigil_make_batch_id(const vigil_platform_t *p, uint64_t ts_ms, char out[VIGIL_BATCH_CHARS + 1]) {
  static const char HEX[] = "0123456789abcdef";
  uint8_t r[4];
  int64_t y;
  unsigned m, d, i;
  if (p->random(p->ctx, r, sizeof(r)) != VIGIL_OK) return VIGIL_E_RNG;
  civil_from_days((int64_t)(ts_ms / 86400000u), &y, &m, &d);
  if (y < 0 || y > 9999) return VIGIL_E_ARG;
  out[0] = 'B';
  out[1] = '-';
  out[2] = (char)('0' + y / 1000);
  out[3] = (char)('0' + y / 100 % 10);
  out[4] = (char)('0' + y / 10 % 10);
  out[5] = (char)('0' + y % 10);
  out[6] = (char)('0' + m / 10);
  out[7] = (char)('0' + m % 10);
  out[8] = (char)('0' + d / 10);
  out[9] = (char)('0' + d % 10);
  out[10] = '-';
  for (i = 0; i < 4; i++) {
    out[11 + 2 * i] = HEX[r[i] >> 4];
    out[12 + 2 * i] = HEX[r[i] & 15];
  }
  out[VIGIL_BATCH_CHARS] = '\0';
  return VIGIL_OK;
}
