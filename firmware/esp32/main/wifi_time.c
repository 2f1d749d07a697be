#include "wifi_time.h"

#include <string.h>

#include "esp_event.h"
#include "esp_log.h"
#include "esp_netif.h"
#include "esp_netif_sntp.h"
#include "esp_wifi.h"
#include "freertos/FreeRTOS.h"
#include "freertos/event_groups.h"
#include "sdkconfig.h"

static const char *TAG = "vigil.wifi";
static EventGroupHandle_t bits;
#define GOT_IP BIT0
static int started, sntp_started;

static void on_event(void *arg, esp_event_base_t base, int32_t id, void *data) {
  (void)arg;
  (void)data;
  if (base == WIFI_EVENT && (id == WIFI_EVENT_STA_START || id == WIFI_EVENT_STA_DISCONNECTED)) {
    xEventGroupClearBits(bits, GOT_IP);
    if (started) esp_wifi_connect();
  } else if (base == IP_EVENT && id == IP_EVENT_STA_GOT_IP) {
    xEventGroupSetBits(bits, GOT_IP);
  }
}

esp_err_t wifi_init(void) {
  wifi_init_config_t init = WIFI_INIT_CONFIG_DEFAULT();
  wifi_config_t sta;
  esp_err_t err;
  bits = xEventGroupCreate();
  if ((err = esp_netif_init()) != ESP_OK) return err;
  if ((err = esp_event_loop_create_default()) != ESP_OK && err != ESP_ERR_INVALID_STATE) return err;
  esp_netif_create_default_wifi_sta();
  if ((err = esp_wifi_init(&init)) != ESP_OK) return err;
  esp_event_handler_register(WIFI_EVENT, ESP_EVENT_ANY_ID, on_event, NULL);
  esp_event_handler_register(IP_EVENT, IP_EVENT_STA_GOT_IP, on_event, NULL);
  memset(&sta, 0, sizeof(sta));
  strncpy((char *)sta.sta.ssid, CONFIG_VIGIL_WIFI_SSID, sizeof(sta.sta.ssid));
  strncpy((char *)sta.sta.password, CONFIG_VIGIL_WIFI_PASSWORD, sizeof(sta.sta.password));
  sta.sta.threshold.authmode = WIFI_AUTH_WPA2_PSK;
  sta.sta.pmf_cfg.capable = true;
  if ((err = esp_wifi_set_mode(WIFI_MODE_STA)) != ESP_OK) return err;
  return esp_wifi_set_config(WIFI_IF_STA, &sta);
}

esp_err_t wifi_up(uint32_t timeout_ms) {
  if (!started) {
    started = 1;
    esp_err_t err = esp_wifi_start();
    if (err != ESP_OK) return err;
  }
  return (xEventGroupWaitBits(bits, GOT_IP, pdFALSE, pdTRUE, pdMS_TO_TICKS(timeout_ms)) & GOT_IP) ? ESP_OK
                                                                                                 : ESP_ERR_TIMEOUT;
}

void wifi_down(void) {
  if (!started) return;
  started = 0;
  esp_wifi_disconnect();
  esp_wifi_stop();
}

esp_err_t time_sync(uint32_t timeout_ms) {
  if (!sntp_started) {
    esp_sntp_config_t cfg = ESP_NETIF_SNTP_DEFAULT_CONFIG(CONFIG_VIGIL_NTP_SERVER);
    esp_err_t err = esp_netif_sntp_init(&cfg);
    if (err != ESP_OK) return err;
    sntp_started = 1;
  }
  if (esp_netif_sntp_sync_wait(pdMS_TO_TICKS(timeout_ms)) != ESP_OK) {
    ESP_LOGW(TAG, "no SNTP answer from %s within %u ms", CONFIG_VIGIL_NTP_SERVER, (unsigned)timeout_ms);
    return ESP_ERR_TIMEOUT;
  }
  return ESP_OK;
}
