/* The device task: the only task that calls into the core (firmware/core is not re-entrant). */
#ifndef VIGIL_ESP32_DEVICE_TASK_H
#define VIGIL_ESP32_DEVICE_TASK_H

#include "esp32_platform.h"
#include "freertos/FreeRTOS.h"
#include "freertos/queue.h"
#include "mqtt_esp32.h"
#include "provision.h"
#include "sensors.h"
#include "vigil/device.h"

typedef struct app {
  vigil_identity_t id;
  vigil_platform_t platform;
  esp32_platform_t ep;
  mqtt_esp32_t mqtt;
  sensors_t sensors;
  QueueHandle_t events;
  vigil_device_t *dev;
} app_t;

/** FreeRTOS task body; arg is the app_t. Never returns (deep sleep restarts the chip). */
void device_task(void *arg);

#endif
