/* The bundle `vigil device add` writes (docs/protocol.md §4): device.json and the PEM files. */
#ifndef VIGIL_HOST_BUNDLE_H
#define VIGIL_HOST_BUNDLE_H

#include <stdint.h>

#include "vigil/crypto.h"
#include "vigil/sample.h"

#define BROKERS_MAX 8

typedef struct broker {
  char url[300];
  char host[256];
  int port;
} broker_t;

typedef struct bundle {
  char id[65];
  vigil_profile_t profile;
  uint32_t kid;
  uint8_t secret[32];
  vigil_alg_t alg;
  char topic_prefix[129];
  broker_t brokers[BROKERS_MAX];
  int nbrokers;
  char ca_path[4096];
  char cert_path[4096];
  char key_path[4096];
} bundle_t;

/** Parses mqtts://host:port (IPv6 as [addr]:port; port defaults to 8883). 0 on success. */
int broker_parse(const char *url, broker_t *out);

/** Reads DIR/device.json and checks the PEM files exist. 0 on success; prints why otherwise.
 *  nbrokers is 0 when broker_url is not a usable mqtts://host:port. */
int bundle_load(const char *dir, bundle_t *b);

#endif
