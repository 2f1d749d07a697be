/* What the device task waits for: MQTT events from esp-mqtt's task and input interrupts. */
#ifndef VIGIL_ESP32_APP_EVENTS_H
#define VIGIL_ESP32_APP_EVENTS_H

typedef enum app_event_kind {
  EV_MQTT_CONNECTED = 1,
  EV_MQTT_GONE,      /* disconnected, or the attempt failed */
  EV_MQTT_PUBACK,    /* arg = msg_id */
  EV_MQTT_DOWNLINK,  /* a complete PUBLISH is in mqtt_esp32_t.rx */
  EV_INPUT_DOOR,     /* arg = 1 open, 0 closed */
  EV_INPUT_MAINS,    /* arg = 1 mains present */
  EV_INPUT_DISPATCH  /* the dispatch button */
} app_event_kind_t;

typedef struct app_event {
  app_event_kind_t kind;
  int arg;
} app_event_t;

#endif
