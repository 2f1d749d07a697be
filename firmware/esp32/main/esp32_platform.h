/*
 * The ESP-IDF side of the platform interface (vigil/platform.h), the same struct the POSIX
 * build fills in (firmware/host/posix_platform.c):
 *   random  esp_fill_random: the hardware RNG, with its entropy source on (RF running, or
 *           bootloader_random_enable() around the call while the radio is off);
 *   now_ms  the system clock, valid once SNTP synchronised it (kept across deep sleep);
 *   kv      NVS namespace "vigil_st" (encrypted NVS in production) for seq, downlink window,
 *           command history and settings; LittleFS files (write, fsync, rename) for the larger
 *           sealed-envelope records "inf<n>";
 *   region  the outbox ring as 4 KiB LittleFS files, each write committed before it returns.
 */
#ifndef VIGIL_ESP32_PLATFORM_H
#define VIGIL_ESP32_PLATFORM_H

#include <stdint.h>

#include "esp_err.h"
#include "nvs.h"
#include "vigil/platform.h"

#define VIGIL_FS_BASE "/vigil"

struct mqtt_esp32;
struct vigil_device;

typedef struct esp32_platform {
  nvs_handle_t nvs;
  int radio_on;
  int time_valid;
  struct mqtt_esp32 *mqtt;
  struct vigil_device *dev;
} esp32_platform_t;

/** Mounts LittleFS (partition "outbox"), opens NVS and fills *p. region_size: outbox bytes. */
esp_err_t esp32_platform_init(esp32_platform_t *e, vigil_platform_t *p, uint32_t region_size);

#endif
