#include "device_task.h"

#include <string.h>

#include "display.h"
#include "esp_attr.h"
#include "esp_log.h"
#include "esp_sleep.h"
#include "esp_timer.h"
#include "esp_wifi.h"
#include "sdkconfig.h"
#include "vigil/error.h"
#include "vigil/event.h"
#include "wifi_time.h"

static const char *TAG = "vigil.device";

/* kept across deep sleep (RTC slow memory) */
RTC_DATA_ATTR static int rtc_time_valid;
RTC_DATA_ATTR static uint32_t rtc_wakes;
RTC_DATA_ATTR static int rtc_door_open = -1;
RTC_DATA_ATTR static int rtc_mains = -1;

typedef enum { LINK_DOWN, LINK_CONNECTING, LINK_UP } link_t;

typedef struct loop_state {
  link_t link;
  int64_t attempt_ms;
  int64_t next_attempt_ms;
  int64_t next_sample_ms;
  uint32_t backoff_ms;
  int64_t last_dispatch_ms;
} loop_state_t;

static int64_t now_ms(void) { return esp_timer_get_time() / 1000; }

static int rssi(const app_t *a) {
  wifi_ap_record_t ap;
  return a->mqtt.connected && esp_wifi_sta_get_ap_info(&ap) == ESP_OK ? ap.rssi : 0;
}

static void record_event(app_t *a, int (*build)(vigil_jw_t *, uint64_t, int), int arg) {
  char body[128];
  vigil_jw_t w;
  uint64_t ts;
  size_t len;
  if (a->platform.now_ms(a->platform.ctx, &ts) != VIGIL_OK) return; /* no clock: no stamp */
  vigil_jw_init(&w, body, sizeof(body));
  if (build(&w, ts, arg) == VIGIL_OK && vigil_jw_finish(&w, &len) == VIGIL_OK)
    vigil_device_record_event(a->dev, body, len);
}

static int door_event(vigil_jw_t *w, uint64_t ts, int open) { return vigil_event_door(w, ts, open); }
static int power_event(vigil_jw_t *w, uint64_t ts, int mains) {
  return vigil_event_power(w, ts, mains ? VIGIL_POWER_MAINS : VIGIL_POWER_BATTERY);
}

/* Door and mains: report a change once, whatever the contact bounce. */
static void check_inputs(app_t *a) {
  int door = sensors_door_open(), mains = sensors_mains_present();
  if (CONFIG_VIGIL_DOOR_GPIO >= 0 && door != rtc_door_open) {
    if (rtc_door_open >= 0) record_event(a, door_event, door);
    rtc_door_open = door;
  }
  if (CONFIG_VIGIL_MAINS_GPIO >= 0 && mains != rtc_mains) {
    if (rtc_mains >= 0) record_event(a, power_event, mains);
    rtc_mains = mains;
  }
}

static void dispatch(app_t *a, loop_state_t *st) {
  char batch[32], token[32];
  int rc;
  if (now_ms() - st->last_dispatch_ms < 1000) return; /* button bounce */
  st->last_dispatch_ms = now_ms();
  rc = vigil_device_dispatch(a->dev, NULL, batch, sizeof(batch), token, sizeof(token));
  if (rc != VIGIL_OK) {
    ESP_LOGE(TAG, "dispatch: %s", vigil_strerror(rc));
    return;
  }
  display_token(batch, token);
  vigil_wipe(token, sizeof(token));
}

static void take_sample(app_t *a) {
  vigil_sample_t s;
  uint64_t ts;
  int rc;
  /* docs/protocol.md §8: never a reading stamped before the clock was set */
  if (a->platform.now_ms(a->platform.ctx, &ts) != VIGIL_OK) return;
  if (sensors_read(&a->sensors, ts, rssi(a), &s) != ESP_OK) return;
  rc = vigil_device_record_sample(a->dev, &s);
  if (rc != VIGIL_OK) ESP_LOGE(TAG, "sample not stored: %s", vigil_strerror(rc));
}

/* Wi-Fi, then SNTP before the first send, then MQTT to the current broker of the list. */
static void try_connect(app_t *a, loop_state_t *st) {
  if (wifi_up(15000) != ESP_OK) {
    st->next_attempt_ms = now_ms() + st->backoff_ms;
    st->backoff_ms = st->backoff_ms * 2 > 60000 ? 60000 : st->backoff_ms * 2;
    return;
  }
  a->ep.radio_on = 1;
  if (time_sync(rtc_time_valid ? 5000 : 20000) == ESP_OK) rtc_time_valid = 1;
  a->ep.time_valid = rtc_time_valid;
  if (!rtc_time_valid || mqtt_esp32_start(&a->mqtt) != ESP_OK) {
    st->next_attempt_ms = now_ms() + st->backoff_ms;
    return;
  }
  st->link = LINK_CONNECTING;
  st->attempt_ms = now_ms();
}

static void link_gone(app_t *a, loop_state_t *st) {
  int failed = st->link != LINK_UP; /* never got CONNACK: fail over to the next broker */
  mqtt_esp32_stop(&a->mqtt, failed);
  vigil_device_on_disconnect(a->dev);
  st->link = LINK_DOWN;
  st->next_attempt_ms = now_ms() + (failed ? st->backoff_ms : 500);
  if (failed) st->backoff_ms = st->backoff_ms * 2 > 60000 ? 60000 : st->backoff_ms * 2;
}

static void handle(app_t *a, loop_state_t *st, const app_event_t *ev) {
  int rc;
  switch (ev->kind) {
    case EV_MQTT_CONNECTED:
      st->link = LINK_UP;
      st->backoff_ms = 1000;
      rc = vigil_device_on_connect(a->dev);
      if (rc != VIGIL_OK && rc != VIGIL_E_NOTIME) ESP_LOGW(TAG, "after connect: %s", vigil_strerror(rc));
      break;
    case EV_MQTT_GONE:
      if (st->link != LINK_DOWN) link_gone(a, st);
      break;
    case EV_MQTT_PUBACK:
      rc = vigil_device_on_puback(a->dev, (uint32_t)ev->arg);
      if (rc != VIGIL_OK) ESP_LOGE(TAG, "puback: %s", vigil_strerror(rc));
      break;
    case EV_MQTT_DOWNLINK:
      vigil_device_on_message(a->dev, a->mqtt.rx_topic, a->mqtt.rx, a->mqtt.rx_len);
      mqtt_esp32_rx_done(&a->mqtt);
      break;
    case EV_INPUT_DOOR:
    case EV_INPUT_MAINS:
      check_inputs(a);
      break;
    case EV_INPUT_DISPATCH:
      dispatch(a, st);
      break;
  }
}

/* Battery logger: sample, upload every CONFIG_VIGIL_UPLOAD_EVERY wakes (or at once after a
 * door, power or dispatch event), then deep sleep until the next sample. */
#if CONFIG_VIGIL_DEEP_SLEEP
static void sleep_cycle(app_t *a, loop_state_t *st) {
  esp_sleep_wakeup_cause_t cause = esp_sleep_get_wakeup_cause();
  int had_clock = rtc_time_valid;
  int upload = !rtc_time_valid || cause == ESP_SLEEP_WAKEUP_EXT0 || cause == ESP_SLEEP_WAKEUP_EXT1 ||
               ++rtc_wakes % CONFIG_VIGIL_UPLOAD_EVERY == 0;
  int64_t deadline;
  a->ep.time_valid = rtc_time_valid;
  check_inputs(a);
  if (cause == ESP_SLEEP_WAKEUP_EXT0) dispatch(a, st);
  take_sample(a);
  if (upload) {
    deadline = now_ms() + 60000;
    while (now_ms() < deadline) {
      app_event_t ev;
      if (st->link == LINK_DOWN && now_ms() >= st->next_attempt_ms) try_connect(a, st);
      if (xQueueReceive(a->events, &ev, pdMS_TO_TICKS(200)) == pdTRUE) handle(a, st, &ev);
      if (!rtc_time_valid) continue;
      if (st->link == LINK_UP && vigil_device_backlog(a->dev) == 0 && vigil_device_inflight(a->dev) == 0) break;
    }
    if (st->link == LINK_UP) {
      vigil_device_going_offline(a->dev);
      vTaskDelay(pdMS_TO_TICKS(300));
    }
    mqtt_esp32_stop(&a->mqtt, 0);
    wifi_down();
    a->ep.radio_on = 0;
  }
  if (!had_clock) take_sample(a); /* the first boot had no clock before SNTP */
  esp_sleep_enable_timer_wakeup((uint64_t)vigil_device_interval_ms(a->dev) * 1000u);
#if CONFIG_VIGIL_DISPATCH_GPIO >= 0
  esp_sleep_enable_ext0_wakeup(CONFIG_VIGIL_DISPATCH_GPIO, 0);
#endif
#if CONFIG_VIGIL_DOOR_GPIO >= 0
  /* wake when the door changes: on ESP32 ext1 "all low" with one pin means "pin low" */
  esp_sleep_enable_ext1_wakeup(1ull << CONFIG_VIGIL_DOOR_GPIO,
                               rtc_door_open ? ESP_EXT1_WAKEUP_ALL_LOW : ESP_EXT1_WAKEUP_ANY_HIGH);
#endif
  ESP_LOGI(TAG, "sleeping %u ms, backlog %llu", (unsigned)vigil_device_interval_ms(a->dev),
           (unsigned long long)vigil_device_backlog(a->dev));
  esp_deep_sleep_start();
}
#endif

void device_task(void *arg) {
  app_t *a = arg;
  loop_state_t st;
  memset(&st, 0, sizeof(st));
  st.backoff_ms = 1000;
  a->ep.time_valid = rtc_time_valid;
#if CONFIG_VIGIL_DEEP_SLEEP
  sleep_cycle(a, &st);
#endif
  check_inputs(a);
  for (;;) {
    app_event_t ev;
    int64_t now = now_ms(), wait;
    sensors_poll_gps(&a->sensors);
    if (st.link == LINK_DOWN && now >= st.next_attempt_ms) try_connect(a, &st);
    if ((st.link == LINK_CONNECTING && now - st.attempt_ms > 15000) || a->mqtt.resync) {
      a->mqtt.resync = 0;
      link_gone(a, &st);
    }
    if (now >= st.next_sample_ms) {
      take_sample(a);
      st.next_sample_ms = now + vigil_device_interval_ms(a->dev);
    }
    wait = st.next_sample_ms - now_ms();
    if (wait > 200) wait = 200;
    if (wait < 1) wait = 1;
    if (xQueueReceive(a->events, &ev, pdMS_TO_TICKS(wait)) == pdTRUE) handle(a, &st, &ev);
  }
}
