/*
 * esp-mqtt for the core: MQTT 3.1.1 over mutual TLS (docs/protocol.md §1, §3) to the
 * provisioned broker list, failing over in order. esp-mqtt runs its own task; its events are
 * queued to the device task, which alone calls into the core (the core is not re-entrant).
 * Each connection attempt gets a fresh client, so esp-mqtt never resends what the core will
 * redeliver itself (§6.4).
 */
#ifndef VIGIL_ESP32_MQTT_H
#define VIGIL_ESP32_MQTT_H

#include <stddef.h>
#include <stdint.h>

#include "freertos/FreeRTOS.h"
#include "freertos/queue.h"
#include "freertos/semphr.h"
#include "app_events.h"
#include "mqtt_client.h"
#include "provision.h"
#include "vigil/config.h"

typedef struct mqtt_esp32 {
  esp_mqtt_client_handle_t client;
  const vigil_identity_t *id;
  const char *will_topic;
  QueueHandle_t events;
  int broker;
  int connected;
  /* an event could not be queued: the device task reconnects */
  volatile int resync;
  /* one downlink at a time, reassembled from esp-mqtt's fragments */
  char rx_topic[VIGIL_TOPIC_MAX];
  uint8_t rx[VIGIL_DOWNLINK_MAX];
  size_t rx_len;
  int rx_too_big;
  int rx_busy;
  SemaphoreHandle_t rx_free;
} mqtt_esp32_t;

esp_err_t mqtt_esp32_init(mqtt_esp32_t *m, const vigil_identity_t *id, const char *will_topic, QueueHandle_t events);
/** Starts an attempt with the current broker of the list. */
esp_err_t mqtt_esp32_start(mqtt_esp32_t *m);
/** Destroys the client (device task only); next_broker moves down the list (failover). */
void mqtt_esp32_stop(mqtt_esp32_t *m, int next_broker);
/** The device task is done with rx: the next downlink may be reassembled. */
void mqtt_esp32_rx_done(mqtt_esp32_t *m);

int mqtt_esp32_publish(mqtt_esp32_t *m, const char *topic, const uint8_t *payload, size_t len, int retain,
                       uint32_t *msg_id);
int mqtt_esp32_subscribe(mqtt_esp32_t *m, const char *topic);

#endif
