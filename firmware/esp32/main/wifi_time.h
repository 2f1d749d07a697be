/* Wi-Fi station and SNTP (docs/protocol.md §8: synchronise the clock before sending). */
#ifndef VIGIL_ESP32_WIFI_TIME_H
#define VIGIL_ESP32_WIFI_TIME_H

#include <stdint.h>

#include "esp_err.h"

esp_err_t wifi_init(void);
/** Starts the station and waits for an IP address. */
esp_err_t wifi_up(uint32_t timeout_ms);
void wifi_down(void);
/** Synchronises the clock with CONFIG_VIGIL_NTP_SERVER; ESP_OK once the time is set. */
esp_err_t time_sync(uint32_t timeout_ms);

#endif
