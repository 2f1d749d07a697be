#include "vigil/sample.h"

#include <stddef.h>
#include <string.h>

#include "vigil/config.h"
#include "vigil/error.h"

static const char *const PROFILES[] = {"vaccine-transport", "patient-vitals", "temperature-probe"};

int vigil_profile_parse(const char *name, vigil_profile_t *out) {
  int i;
  for (i = 0; i < 3; i++) {
    if (strcmp(name, PROFILES[i]) == 0) {
      *out = (vigil_profile_t)i;
      return VIGIL_OK;
    }
  }
  return VIGIL_E_ARG;
}

const char *vigil_profile_name(vigil_profile_t p) { return (unsigned)p < 3 ? PROFILES[p] : "?"; }

const char *vigil_power_name(vigil_power_t p) {
  return p == VIGIL_POWER_MAINS ? "mains" : p == VIGIL_POWER_BATTERY ? "battery" : "backup";
}

/* docs/protocol.md §7.1, the R/O columns */
uint32_t vigil_profile_required(vigil_profile_t p) {
  switch (p) {
    case VIGIL_PROFILE_VACCINE_TRANSPORT:
      return VIGIL_F_TEMP_C | VIGIL_F_RH_PCT | VIGIL_F_LAT | VIGIL_F_LON | VIGIL_F_BAT_PCT |
             VIGIL_F_POWER;
    case VIGIL_PROFILE_PATIENT_VITALS:
      return VIGIL_F_HR_BPM | VIGIL_F_SPO2_PCT | VIGIL_F_RR_BPM | VIGIL_F_SBP_MMHG |
             VIGIL_F_TEMP_C | VIGIL_F_ON_OXYGEN | VIGIL_F_CONSCIOUSNESS;
    case VIGIL_PROFILE_TEMPERATURE_PROBE:
      return VIGIL_F_TEMP_C;
  }
  return 0;
}

uint32_t vigil_profile_allowed(vigil_profile_t p) {
  switch (p) {
    case VIGIL_PROFILE_VACCINE_TRANSPORT:
      return vigil_profile_required(p) | VIGIL_F_DOOR | VIGIL_F_RSSI_DBM;
    case VIGIL_PROFILE_PATIENT_VITALS:
      return vigil_profile_required(p) | VIGIL_F_SPO2_SCALE | VIGIL_F_BAT_PCT | VIGIL_F_RSSI_DBM;
    case VIGIL_PROFILE_TEMPERATURE_PROBE:
      return vigil_profile_required(p) | VIGIL_F_RH_PCT | VIGIL_F_BAT_PCT | VIGIL_F_POWER |
             VIGIL_F_RSSI_DBM;
  }
  return 0;
}

static int in_range(double v, double lo, double hi) { return v == v && v >= lo && v <= hi; }

/* One numeric field: name, bounds, decimals written. */
typedef struct {
  uint32_t bit;
  const char *name;
  double lo, hi;
  unsigned decimals;
  size_t offset;
} num_field_t;

#define NUM(bit, field, lo, hi, dec) {bit, #field, lo, hi, dec, offsetof(vigil_sample_t, field)}
static const num_field_t NUMS[] = {
    NUM(VIGIL_F_HR_BPM, hr_bpm, 0, 350, 1),   NUM(VIGIL_F_SPO2_PCT, spo2_pct, 0, 100, 1),
    NUM(VIGIL_F_RR_BPM, rr_bpm, 0, 120, 1),   NUM(VIGIL_F_SBP_MMHG, sbp_mmhg, 0, 350, 1),
    NUM(VIGIL_F_TEMP_C, temp_c, -100, 100, 2), NUM(VIGIL_F_RH_PCT, rh_pct, 0, 100, 1),
    NUM(VIGIL_F_LAT, lat, -90, 90, 6),         NUM(VIGIL_F_LON, lon, -180, 180, 6),
    NUM(VIGIL_F_BAT_PCT, bat_pct, 0, 100, 1),
};

int vigil_sample_write(vigil_profile_t profile, const vigil_sample_t *s, vigil_jw_t *w) {
  uint32_t req = vigil_profile_required(profile), allowed = vigil_profile_allowed(profile);
  size_t i;
  if (!s || !w || req == 0) return VIGIL_E_ARG;
  if ((s->present & req) != req || (s->present & ~allowed) != 0) return VIGIL_ERR_BODY_SCHEMA;
  if (s->ts > VIGIL_MAX_SAFE_INT) return VIGIL_ERR_BODY_SCHEMA;
  for (i = 0; i < sizeof(NUMS) / sizeof(NUMS[0]); i++) {
    const num_field_t *f = &NUMS[i];
    double v, lo = f->lo, hi = f->hi;
    if (!(s->present & f->bit)) continue;
    memcpy(&v, (const char *)s + f->offset, sizeof(v));
    /* §7.1: patient-vitals temp_c is 20..46 */
    if (f->bit == VIGIL_F_TEMP_C && profile == VIGIL_PROFILE_PATIENT_VITALS) lo = 20, hi = 46;
    if (!in_range(v, lo, hi)) return VIGIL_ERR_BODY_SCHEMA;
  }
  if ((s->present & VIGIL_F_RSSI_DBM) && (s->rssi_dbm < -150 || s->rssi_dbm > 0))
    return VIGIL_ERR_BODY_SCHEMA;
  if ((s->present & VIGIL_F_POWER) && (unsigned)s->power > VIGIL_POWER_BACKUP)
    return VIGIL_ERR_BODY_SCHEMA;
  if ((s->present & VIGIL_F_CONSCIOUSNESS) &&
      (s->consciousness == '\0' || !strchr("ACVPU", s->consciousness)))
    return VIGIL_ERR_BODY_SCHEMA;
  if ((s->present & VIGIL_F_SPO2_SCALE) && s->spo2_scale != 1 && s->spo2_scale != 2)
    return VIGIL_ERR_BODY_SCHEMA;

  vigil_jw_object(w);
  vigil_jw_key(w, "ts");
  vigil_jw_uint(w, s->ts);
  for (i = 0; i < sizeof(NUMS) / sizeof(NUMS[0]); i++) {
    double v;
    if (!(s->present & NUMS[i].bit)) continue;
    memcpy(&v, (const char *)s + NUMS[i].offset, sizeof(v));
    vigil_jw_key(w, NUMS[i].name);
    vigil_jw_fixed(w, v, NUMS[i].decimals);
  }
  if (s->present & VIGIL_F_POWER) {
    vigil_jw_key(w, "power");
    vigil_jw_cstr(w, vigil_power_name(s->power));
  }
  if (s->present & VIGIL_F_DOOR) {
    vigil_jw_key(w, "door");
    vigil_jw_cstr(w, s->door_open ? "open" : "closed");
  }
  if (s->present & VIGIL_F_ON_OXYGEN) {
    vigil_jw_key(w, "on_oxygen");
    vigil_jw_bool(w, s->on_oxygen);
  }
  if (s->present & VIGIL_F_CONSCIOUSNESS) {
    vigil_jw_key(w, "consciousness");
    vigil_jw_string(w, &s->consciousness, 1);
  }
  if (s->present & VIGIL_F_SPO2_SCALE) {
    vigil_jw_key(w, "spo2_scale");
    vigil_jw_uint(w, (uint64_t)s->spo2_scale);
  }
  if (s->present & VIGIL_F_RSSI_DBM) {
    vigil_jw_key(w, "rssi_dbm");
    vigil_jw_int(w, s->rssi_dbm);
  }
  vigil_jw_end(w);
  return w->err ? w->err : VIGIL_OK;
}
