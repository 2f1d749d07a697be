/*
 * The device's identity from NVS namespace "vigil" (encrypted NVS in production): what the
 * bundle of `vigil device add` holds (docs/protocol.md §4), written by an NVS image made with
 * tools/bundle_to_nvs.py, or on a bench device from vigil_device_config.h on first boot.
 */
#ifndef VIGIL_ESP32_PROVISION_H
#define VIGIL_ESP32_PROVISION_H

#include <stdint.h>

#include "esp_err.h"

#define PROVISION_BROKERS_MAX 4

typedef struct vigil_identity {
  char id[65];
  char profile[32];
  uint32_t kid;
  char alg[16];
  uint8_t secret[32];
  char prefix[129];
  /* ordered broker list, mqtts://host:port: the device fails over in this order */
  char brokers[PROVISION_BROKERS_MAX][160];
  int nbrokers;
  /* NUL-terminated PEMs, as mbedTLS wants them (allocated once at boot) */
  char *ca_pem;
  char *cert_pem;
  char *key_pem;
} vigil_identity_t;

esp_err_t provision_load(vigil_identity_t *out);

#endif
