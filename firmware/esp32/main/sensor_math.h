/*
 * The arithmetic of the ESP32's sensors, kept free of ESP-IDF so it is tested on the host
 * (firmware/tests/test_esp32_pure.c): SHT31 and DHT22 frames, battery voltage to percent.
 */
#ifndef VIGIL_SENSOR_MATH_H
#define VIGIL_SENSOR_MATH_H

#include <stddef.h>
#include <stdint.h>

/** Sensirion SHT3x datasheet §4.12: CRC-8, polynomial 0x31, init 0xFF (0xBEEF -> 0x92). */
uint8_t sht31_crc8(const uint8_t *data, size_t len);
/** A 6-byte single-shot measurement (T msb, lsb, crc, RH msb, lsb, crc). 0 when a CRC fails. */
int sht31_convert(const uint8_t raw[6], double *temp_c, double *rh_pct);
/** A 40-bit DHT22 (AM2302) frame. 0 when the checksum fails or the values are impossible. */
int dht22_decode(const uint8_t frame[5], double *temp_c, double *rh_pct);
/** Single-cell LiPo open-circuit voltage (mV) to charge percent, 0..100. */
double battery_percent(uint32_t mv);

#endif
