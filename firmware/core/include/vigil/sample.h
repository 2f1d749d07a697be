/*
 * Telemetry samples (docs/protocol.md §7.1): a sample carries the fields of the device's
 * profile. vigil_sample_write() checks required, optional and forbidden fields and the bounds
 * before a sample enters the outbox, because the server refuses a whole envelope (up to
 * VIGIL_BATCH_SAMPLES samples) for one bad field.
 */
#ifndef VIGIL_SAMPLE_H
#define VIGIL_SAMPLE_H

#include <stdint.h>

#include "vigil/json_writer.h"

typedef enum vigil_profile {
  VIGIL_PROFILE_VACCINE_TRANSPORT = 0,
  VIGIL_PROFILE_PATIENT_VITALS,
  VIGIL_PROFILE_TEMPERATURE_PROBE
} vigil_profile_t;

/** Profile from its name in device.json. VIGIL_E_ARG when unknown. */
int vigil_profile_parse(const char *name, vigil_profile_t *out);
const char *vigil_profile_name(vigil_profile_t p);

typedef enum vigil_power { VIGIL_POWER_MAINS = 0, VIGIL_POWER_BATTERY, VIGIL_POWER_BACKUP } vigil_power_t;
const char *vigil_power_name(vigil_power_t p);

/* presence bits of vigil_sample_t.present */
#define VIGIL_F_TEMP_C (1u << 0)
#define VIGIL_F_RH_PCT (1u << 1)
#define VIGIL_F_LAT (1u << 2)
#define VIGIL_F_LON (1u << 3)
#define VIGIL_F_BAT_PCT (1u << 4)
#define VIGIL_F_POWER (1u << 5)
#define VIGIL_F_DOOR (1u << 6)
#define VIGIL_F_RSSI_DBM (1u << 7)
#define VIGIL_F_HR_BPM (1u << 8)
#define VIGIL_F_SPO2_PCT (1u << 9)
#define VIGIL_F_RR_BPM (1u << 10)
#define VIGIL_F_SBP_MMHG (1u << 11)
#define VIGIL_F_ON_OXYGEN (1u << 12)
#define VIGIL_F_CONSCIOUSNESS (1u << 13)
#define VIGIL_F_SPO2_SCALE (1u << 14)

typedef struct vigil_sample {
  /** when it was measured, ms since the Unix epoch */
  uint64_t ts;
  /** VIGIL_F_* bits of the fields set below */
  uint32_t present;
  double temp_c, rh_pct, lat, lon, bat_pct;
  vigil_power_t power;
  int door_open;
  int32_t rssi_dbm;
  double hr_bpm, spo2_pct, rr_bpm, sbp_mmhg;
  int on_oxygen;
  /** 'A', 'C', 'V', 'P' or 'U' (ACVPU) */
  char consciousness;
  /** NEWS2 SpO2 scale: 1 or 2 */
  int spo2_scale;
} vigil_sample_t;

/** Bits the profile requires, and bits it allows (required ones included). */
uint32_t vigil_profile_required(vigil_profile_t p);
uint32_t vigil_profile_allowed(vigil_profile_t p);

/**
 * Writes the sample as one JSON object. VIGIL_ERR_BODY_SCHEMA when a required field is missing,
 * a field the profile does not allow is set, or a value is out of bounds or not finite.
 */
int vigil_sample_write(vigil_profile_t profile, const vigil_sample_t *s, vigil_jw_t *w);

#endif
