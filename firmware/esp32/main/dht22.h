/* DHT22 / AM2302 single-wire read (datasheet timing), decoded by sensor_math.c. */
#ifndef VIGIL_ESP32_DHT22_H
#define VIGIL_ESP32_DHT22_H

#include "esp_err.h"

esp_err_t dht22_read(int gpio, double *temp_c, double *rh_pct);

#endif
