/*
 * Vigil reference firmware for ESP32 (ESP-IDF >= 5.2): boot, provisioning, and the device task.
 * Everything the protocol needs (envelope v1, seq, outbox, redelivery, commands) is the tested
 * portable core in firmware/core; this directory only adapts it to the chip.
 */
#include <string.h>

#include "device_task.h"
#include "display.h"
#include "esp_log.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "nvs_flash.h"
#include "sdkconfig.h"
#include "vigil/error.h"
#include "wifi_time.h"

static const char *TAG = "vigil";
/* outbox: 3000 readings of VIGIL_OUTBOX_SLOT bytes in the 2 MiB LittleFS partition */
#define OUTBOX_BYTES (128u + 3000u * VIGIL_OUTBOX_SLOT)

static app_t app;
static vigil_device_t device;

static void halt(const char *why, int code) {
  ESP_LOGE(TAG, "cannot start: %s (%d)", why, code);
  for (;;) vTaskDelay(portMAX_DELAY);
}

void app_main(void) {
  vigil_device_config_t c;
  vigil_profile_t profile;
  vigil_alg_t alg;
  esp_err_t err = nvs_flash_init(); /* encrypted NVS when CONFIG_NVS_ENCRYPTION (production) */
  int rc;
  if (err == ESP_ERR_NVS_NO_FREE_PAGES || err == ESP_ERR_NVS_NEW_VERSION_FOUND) {
    /* never erase silently: the seq block and the identity live here */
    halt("NVS needs migration; reflash the provisioning image", err);
  }
  if (err != ESP_OK) halt("nvs_flash_init", err);
  if ((err = provision_load(&app.id)) != ESP_OK) halt("no device identity in NVS (see firmware/README.md)", err);
  if (vigil_profile_parse(app.id.profile, &profile) != VIGIL_OK ||
      vigil_alg_parse(app.id.alg, strlen(app.id.alg), &alg) != VIGIL_OK)
    halt("unknown profile or alg in NVS", 0);
  app.events = xQueueCreate(32, sizeof(app_event_t));
  app.dev = &device;
  app.ep.dev = &device;
  app.ep.mqtt = &app.mqtt;
  if ((err = esp32_platform_init(&app.ep, &app.platform, OUTBOX_BYTES)) != ESP_OK) halt("storage", err);
  if ((err = sensors_init(&app.sensors, profile, app.events)) != ESP_OK) halt("sensors", err);
  if ((err = wifi_init()) != ESP_OK) halt("wifi", err);
  display_init(sensors_i2c(&app.sensors));
  memset(&c, 0, sizeof(c));
  c.device_id = app.id.id;
  c.topic_prefix = app.id.prefix;
  c.profile = profile;
  c.kid = app.id.kid;
  c.alg = alg;
  c.secret = app.id.secret;
  c.interval_ms = CONFIG_VIGIL_SAMPLE_INTERVAL_S * 1000u;
  rc = vigil_device_init(&device, &app.platform, &c);
  vigil_wipe(app.id.secret, sizeof(app.id.secret)); /* only the derived key contexts remain */
  if (rc != VIGIL_OK) halt(vigil_strerror(rc), rc);
  if ((err = mqtt_esp32_init(&app.mqtt, &app.id, vigil_device_will_topic(&device), app.events)) != ESP_OK)
    halt("mqtt", err);
  ESP_LOGI(TAG, "%s (%s, %s): next seq %llu, backlog %llu", app.id.id, app.id.profile, app.id.alg,
           (unsigned long long)vigil_device_next_seq(&device), (unsigned long long)vigil_device_backlog(&device));
  xTaskCreate(device_task, "vigil_device", 12288, &app, 5, NULL);
}
