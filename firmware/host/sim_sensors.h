/*
 * Simulated sensors for the POSIX device: plausible, slowly drifting values for each profile
 * (a vaccine cold box on the road, a ward patient, a fridge probe). The ESP32 build reads real
 * sensors instead (firmware/esp32/main/sensors.c) into the same vigil_sample_t.
 */
#ifndef VIGIL_HOST_SIM_SENSORS_H
#define VIGIL_HOST_SIM_SENSORS_H

#include <stdint.h>

#include "vigil/sample.h"

typedef struct sim_sensors {
  vigil_profile_t profile;
  double temp_c, rh_pct, lat, lon, bat_pct, hr_bpm, spo2_pct, rr_bpm, sbp_mmhg;
  unsigned step;
} sim_sensors_t;

void sim_sensors_init(sim_sensors_t *s, vigil_profile_t profile);
/** One reading at ts (ms since the epoch), within the profile's bounds. */
void sim_sensors_read(sim_sensors_t *s, uint64_t ts, vigil_sample_t *out);

#endif
