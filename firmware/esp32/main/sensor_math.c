#include "sensor_math.h"

uint8_t sht31_crc8(const uint8_t *data, size_t len) {
  uint8_t crc = 0xff;
  size_t i;
  int b;
  for (i = 0; i < len; i++) {
    crc ^= data[i];
    for (b = 0; b < 8; b++) crc = (uint8_t)(crc & 0x80 ? (crc << 1) ^ 0x31 : crc << 1);
  }
  return crc;
}

int sht31_convert(const uint8_t raw[6], double *temp_c, double *rh_pct) {
  unsigned st, srh;
  if (sht31_crc8(raw, 2) != raw[2] || sht31_crc8(raw + 3, 2) != raw[5]) return 0;
  st = (unsigned)(raw[0] << 8 | raw[1]);
  srh = (unsigned)(raw[3] << 8 | raw[4]);
  /* datasheet §4.13: T = -45 + 175 * S_T / (2^16 - 1), RH = 100 * S_RH / (2^16 - 1) */
  *temp_c = -45.0 + 175.0 * st / 65535.0;
  *rh_pct = 100.0 * srh / 65535.0;
  return 1;
}

int dht22_decode(const uint8_t frame[5], double *temp_c, double *rh_pct) {
  unsigned rh, t;
  if ((uint8_t)(frame[0] + frame[1] + frame[2] + frame[3]) != frame[4]) return 0;
  rh = (unsigned)(frame[0] << 8 | frame[1]);
  t = (unsigned)((frame[2] & 0x7f) << 8 | frame[3]);
  if (rh > 1000 || t > 800) return 0; /* AM2302: 0..100 %RH, -40..80 C in tenths */
  *rh_pct = rh / 10.0;
  *temp_c = (frame[2] & 0x80) ? -(t / 10.0) : t / 10.0;
  return 1;
}

double battery_percent(uint32_t mv) {
  /* resting LiPo curve, linear between points */
  static const uint32_t MV[] = {3000, 3300, 3500, 3600, 3700, 3750, 3800, 3850, 3900, 4000, 4100, 4200};
  static const double PCT[] = {0, 3, 8, 15, 30, 40, 50, 60, 70, 82, 92, 100};
  size_t i;
  if (mv <= MV[0]) return 0;
  for (i = 1; i < sizeof(MV) / sizeof(MV[0]); i++) {
    if (mv <= MV[i]) return PCT[i - 1] + (PCT[i] - PCT[i - 1]) * (double)(mv - MV[i - 1]) / (double)(MV[i] - MV[i - 1]);
  }
  return 100;
}
