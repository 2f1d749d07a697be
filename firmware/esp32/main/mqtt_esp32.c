#include "mqtt_esp32.h"

#include <string.h>

#include "esp_log.h"
#include "vigil/device.h"
#include "vigil/error.h"

static const char *TAG = "vigil.mqtt";

/*
 * Handlers run in esp-mqtt's task, which may hold the client's lock: never block here, or a
 * publish from the device task could wait for this task forever. A dropped event is recovered
 * by reconnecting: unacknowledged envelopes are then redelivered (and Vigil answers a copy it
 * already stored as a replay, so nothing is stored twice).
 */
static void post(mqtt_esp32_t *m, app_event_kind_t kind, int arg) {
  app_event_t ev = {kind, arg};
  if (xQueueSend(m->events, &ev, 0) != pdTRUE) {
    ESP_LOGE(TAG, "event queue full: reconnecting to resynchronise");
    m->resync = 1;
  }
}

static void on_event(void *arg, esp_event_base_t base, int32_t id, void *data) {
  mqtt_esp32_t *m = arg;
  esp_mqtt_event_handle_t ev = data;
  (void)base;
  switch ((esp_mqtt_event_id_t)id) {
    case MQTT_EVENT_CONNECTED:
      m->connected = 1;
      post(m, EV_MQTT_CONNECTED, 0);
      break;
    case MQTT_EVENT_DISCONNECTED:
    case MQTT_EVENT_ERROR:
      if (ev->error_handle && ev->error_handle->error_type == MQTT_ERROR_TYPE_CONNECTION_REFUSED)
        ESP_LOGE(TAG, "CONNACK refused: %d", ev->error_handle->connect_return_code);
      m->connected = 0;
      post(m, EV_MQTT_GONE, 0);
      break;
    case MQTT_EVENT_PUBLISHED:
      /* QoS 1: the PUBACK, which Vigil sends once the reading is durable */
      post(m, EV_MQTT_PUBACK, ev->msg_id);
      break;
    case MQTT_EVENT_DATA:
      if (ev->current_data_offset == 0) {
        /* one downlink at a time; commands are rare, and a command dropped here is sent
         * again by the server (the device runs each id at most once) */
        m->rx_busy = xSemaphoreTake(m->rx_free, 0) != pdTRUE;
        m->rx_len = 0;
        m->rx_too_big = m->rx_busy || ev->total_data_len > (int)sizeof(m->rx) ||
                        ev->topic_len >= (int)sizeof(m->rx_topic);
        if (!m->rx_too_big) {
          memcpy(m->rx_topic, ev->topic, (size_t)ev->topic_len);
          m->rx_topic[ev->topic_len] = '\0';
        }
      }
      if (!m->rx_too_big && ev->current_data_offset + ev->data_len <= (int)sizeof(m->rx)) {
        memcpy(m->rx + ev->current_data_offset, ev->data, (size_t)ev->data_len);
        m->rx_len = (size_t)(ev->current_data_offset + ev->data_len);
      }
      if (ev->current_data_offset + ev->data_len >= ev->total_data_len) {
        if (m->rx_too_big) {
          ESP_LOGW(TAG, "downlink of %d bytes dropped (%s)", ev->total_data_len,
                   m->rx_busy ? "previous one still being handled" : "too large");
          if (!m->rx_busy) xSemaphoreGive(m->rx_free);
        } else {
          post(m, EV_MQTT_DOWNLINK, 0);
        }
      }
      break;
    default:
      break;
  }
}

esp_err_t mqtt_esp32_init(mqtt_esp32_t *m, const vigil_identity_t *id, const char *will_topic, QueueHandle_t events) {
  memset(m, 0, sizeof(*m));
  m->id = id;
  m->will_topic = will_topic;
  m->events = events;
  m->rx_free = xSemaphoreCreateBinary();
  if (!m->rx_free) return ESP_ERR_NO_MEM;
  xSemaphoreGive(m->rx_free);
  return ESP_OK;
}

esp_err_t mqtt_esp32_start(mqtt_esp32_t *m) {
  esp_mqtt_client_config_t cfg;
  esp_err_t err;
  memset(&cfg, 0, sizeof(cfg));
  cfg.broker.address.uri = m->id->brokers[m->broker];
  /* server authentication: the Vigil CA only, and the host name of the URI (§1) */
  cfg.broker.verification.certificate = m->id->ca_pem;
  cfg.broker.verification.skip_cert_common_name_check = false;
  cfg.credentials.client_id = m->id->id; /* MUST equal the certificate CN */
  cfg.credentials.authentication.certificate = m->id->cert_pem;
  cfg.credentials.authentication.key = m->id->key_pem;
  cfg.session.protocol_ver = MQTT_PROTOCOL_V_3_1_1;
  cfg.session.keepalive = 30;
  cfg.session.disable_clean_session = false;
  /* §3: the last will is `offline`, QoS 1, retained, on the state topic */
  cfg.session.last_will.topic = m->will_topic;
  cfg.session.last_will.msg = VIGIL_STATE_OFFLINE;
  cfg.session.last_will.msg_len = (int)strlen(VIGIL_STATE_OFFLINE);
  cfg.session.last_will.qos = 1;
  cfg.session.last_will.retain = 1;
  cfg.network.disable_auto_reconnect = true;
  cfg.network.timeout_ms = 10000;
  cfg.buffer.size = 2048;
  cfg.buffer.out_size = VIGIL_ENVELOPE_MAX + 512;
  m->connected = 0;
  m->client = esp_mqtt_client_init(&cfg);
  if (!m->client) return ESP_FAIL;
  err = esp_mqtt_client_register_event(m->client, ESP_EVENT_ANY_ID, on_event, m);
  if (err == ESP_OK) err = esp_mqtt_client_start(m->client);
  if (err != ESP_OK) {
    esp_mqtt_client_destroy(m->client);
    m->client = NULL;
  }
  ESP_LOGI(TAG, "connecting to %s", m->id->brokers[m->broker]);
  return err;
}

void mqtt_esp32_stop(mqtt_esp32_t *m, int next_broker) {
  if (m->client) {
    esp_mqtt_client_destroy(m->client); /* stops its task, drops its queued messages */
    m->client = NULL;
  }
  m->connected = 0;
  if (next_broker && m->id->nbrokers > 0) m->broker = (m->broker + 1) % m->id->nbrokers;
}

void mqtt_esp32_rx_done(mqtt_esp32_t *m) { xSemaphoreGive(m->rx_free); }

int mqtt_esp32_publish(mqtt_esp32_t *m, const char *topic, const uint8_t *payload, size_t len, int retain,
                       uint32_t *msg_id) {
  int id;
  if (!m->client || !m->connected) return VIGIL_E_TRANSPORT;
  id = esp_mqtt_client_publish(m->client, topic, (const char *)payload, (int)len, 1, retain);
  if (id < 0) return VIGIL_E_TRANSPORT;
  *msg_id = (uint32_t)id;
  return VIGIL_OK;
}

int mqtt_esp32_subscribe(mqtt_esp32_t *m, const char *topic) {
  if (!m->client || !m->connected) return VIGIL_E_TRANSPORT;
  return esp_mqtt_client_subscribe(m->client, topic, 1) >= 0 ? VIGIL_OK : VIGIL_E_TRANSPORT;
}
