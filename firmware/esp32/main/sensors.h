/*
 * The logger's inputs, read into the core's vigil_sample_t: SHT31 (I2C) or DHT22 temperature
 * and humidity, GPS over UART (NMEA), battery voltage on the ADC, the mains-detect GPIO and the
 * door reed switch. Door, mains and the dispatch button also raise events (interrupts queued
 * to the device task).
 */
#ifndef VIGIL_ESP32_SENSORS_H
#define VIGIL_ESP32_SENSORS_H

#include <stdint.h>

#include "driver/i2c_master.h"
#include "esp_adc/adc_cali.h"
#include "esp_adc/adc_oneshot.h"
#include "esp_err.h"
#include "freertos/FreeRTOS.h"
#include "freertos/queue.h"
#include "nmea.h"
#include "vigil/sample.h"

typedef struct sensors {
  vigil_profile_t profile;
  i2c_master_bus_handle_t bus;
  i2c_master_dev_handle_t sht31;
  adc_oneshot_unit_handle_t adc;
  adc_cali_handle_t cali;
  int cali_ok;
  nmea_parser_t gps;
  double last_lat, last_lon;
  QueueHandle_t events;
} sensors_t;

esp_err_t sensors_init(sensors_t *s, vigil_profile_t profile, QueueHandle_t events);
/** Drains the GPS UART into the NMEA parser (call often). */
void sensors_poll_gps(sensors_t *s);
/** One sample at ts; rssi_dbm is added when connected (0 = unknown). */
esp_err_t sensors_read(sensors_t *s, uint64_t ts, int rssi_dbm, vigil_sample_t *out);
int sensors_door_open(void);
int sensors_mains_present(void);
/** The I2C bus, shared with the display. */
i2c_master_bus_handle_t sensors_i2c(sensors_t *s);

#endif
