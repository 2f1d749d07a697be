#include "sim_sensors.h"

#include <string.h>

#include "posix_platform.h"

/* a step of a random walk in [-scale, scale], kept inside [lo, hi] */
static double walk(double v, double scale, double lo, double hi) {
  uint8_t r[2];
  double d;
  posix_random(NULL, r, sizeof(r));
  d = ((double)((r[0] << 8) | r[1]) / 65535.0 * 2.0 - 1.0) * scale;
  v += d;
  if (v < lo) v = lo + (lo - v);
  if (v > hi) v = hi - (v - hi);
  return v < lo ? lo : v > hi ? hi : v;
}

void sim_sensors_init(sim_sensors_t *s, vigil_profile_t profile) {
  memset(s, 0, sizeof(*s));
  s->profile = profile;
  s->temp_c = profile == VIGIL_PROFILE_PATIENT_VITALS ? 36.8 : 5.0;
  s->rh_pct = 55;
  s->lat = 52.37;
  s->lon = 4.89;
  s->bat_pct = 96;
  s->hr_bpm = 72;
  s->spo2_pct = 97;
  s->rr_bpm = 15;
  s->sbp_mmhg = 122;
}

void sim_sensors_read(sim_sensors_t *s, uint64_t ts, vigil_sample_t *out) {
  memset(out, 0, sizeof(*out));
  out->ts = ts;
  s->step++;
  switch (s->profile) {
    case VIGIL_PROFILE_VACCINE_TRANSPORT:
      /* a 2-8 C cold box on the move */
      s->temp_c = walk(s->temp_c, 0.15, 2.5, 7.5);
      s->rh_pct = walk(s->rh_pct, 0.5, 40, 70);
      s->lat = walk(s->lat, 0.0005, 52.0, 52.6);
      s->lon = walk(s->lon, 0.0005, 4.6, 5.2);
      s->bat_pct = walk(s->bat_pct, 0.05, 20, 100);
      out->present = VIGIL_F_TEMP_C | VIGIL_F_RH_PCT | VIGIL_F_LAT | VIGIL_F_LON | VIGIL_F_BAT_PCT |
                     VIGIL_F_POWER | VIGIL_F_DOOR | VIGIL_F_RSSI_DBM;
      out->power = VIGIL_POWER_MAINS;
      out->door_open = 0;
      out->rssi_dbm = -60 - (int32_t)(s->step % 20);
      break;
    case VIGIL_PROFILE_PATIENT_VITALS:
      s->temp_c = walk(s->temp_c, 0.05, 36.2, 37.6);
      s->hr_bpm = walk(s->hr_bpm, 1.5, 55, 110);
      s->spo2_pct = walk(s->spo2_pct, 0.3, 92, 100);
      s->rr_bpm = walk(s->rr_bpm, 0.5, 10, 24);
      s->sbp_mmhg = walk(s->sbp_mmhg, 1.5, 100, 150);
      s->bat_pct = walk(s->bat_pct, 0.05, 20, 100);
      out->present = VIGIL_F_HR_BPM | VIGIL_F_SPO2_PCT | VIGIL_F_RR_BPM | VIGIL_F_SBP_MMHG | VIGIL_F_TEMP_C |
                     VIGIL_F_ON_OXYGEN | VIGIL_F_CONSCIOUSNESS | VIGIL_F_BAT_PCT;
      out->on_oxygen = 0;
      out->consciousness = 'A';
      break;
    case VIGIL_PROFILE_TEMPERATURE_PROBE:
      s->temp_c = walk(s->temp_c, 0.1, 3.0, 7.0);
      s->bat_pct = walk(s->bat_pct, 0.05, 20, 100);
      out->present = VIGIL_F_TEMP_C | VIGIL_F_BAT_PCT;
      break;
  }
  out->temp_c = s->temp_c, out->rh_pct = s->rh_pct, out->lat = s->lat, out->lon = s->lon;
  out->bat_pct = s->bat_pct, out->hr_bpm = s->hr_bpm, out->spo2_pct = s->spo2_pct;
  out->rr_bpm = s->rr_bpm, out->sbp_mmhg = s->sbp_mmhg;
}
