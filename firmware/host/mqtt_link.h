/*
 * MQTT 3.1.1 over mutual TLS with libmosquitto (docs/protocol.md §1, §3): client id = the
 * certificate CN, clean session, keep-alive 30 s, last will `offline` retained on `state`,
 * QoS 1. Each connection attempt gets a fresh client, so nothing libmosquitto queued for an old
 * connection is sent again behind the core's back: the core alone redelivers (§6.4).
 */
#ifndef VIGIL_HOST_MQTT_LINK_H
#define VIGIL_HOST_MQTT_LINK_H

#include <stdint.h>

#include "bundle.h"
#include "vigil/device.h"

typedef enum link_state { LINK_DOWN = 0, LINK_CONNECTING, LINK_UP } link_state_t;

typedef struct mqtt_link {
  struct mosquitto *mosq;
  link_state_t state;
  const bundle_t *bundle;
  vigil_device_t *dev;
  int broker; /* index into the bundle's broker list */
  int keepalive_s;
  uint64_t attempt_started_ms;
  int lost;   /* the connection dropped: tear down outside the callbacks */
  int connack_rc;
} mqtt_link_t;

int mqtt_link_init(void);
void mqtt_link_cleanup(void);
/** Starts a connection attempt to the current broker. 0 when the TCP/TLS connect began. */
int mqtt_link_connect(mqtt_link_t *l, uint64_t now_ms);
/** Runs the network for up to timeout_ms; handles CONNACK, PUBACK, PUBLISH, drops. */
void mqtt_link_loop(mqtt_link_t *l, int timeout_ms, uint64_t now_ms);
/** Tears the client down (the core is told the link is gone). next_broker: fail over. */
void mqtt_link_close(mqtt_link_t *l, int next_broker);
/** Publishes `offline` (retained) and disconnects cleanly. */
void mqtt_link_shutdown(mqtt_link_t *l);

/* platform callbacks (vigil_platform_t.publish / .subscribe) */
int mqtt_link_publish(mqtt_link_t *l, const char *topic, const uint8_t *payload, size_t len, int retain,
                      uint32_t *msg_id);
int mqtt_link_subscribe(mqtt_link_t *l, const char *topic);

#endif
