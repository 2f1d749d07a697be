#include "mqtt_link.h"

#include <mosquitto.h>
#include <stdio.h>
#include <string.h>

#include "vigil/error.h"

/* docs/protocol.md §1: no CONNACK within this time and the attempt is abandoned */
#define CONNECT_TIMEOUT_MS 10000

int mqtt_link_init(void) { return mosquitto_lib_init() == MOSQ_ERR_SUCCESS ? 0 : -1; }
void mqtt_link_cleanup(void) { mosquitto_lib_cleanup(); }

static void on_connect(struct mosquitto *mosq, void *obj, int rc) {
  mqtt_link_t *l = obj;
  int vrc;
  (void)mosq;
  l->connack_rc = rc;
  if (rc != 0) {
    fprintf(stderr, "broker %s refused the connection: CONNACK %d (%s)\n", l->bundle->brokers[l->broker].url, rc,
            mosquitto_connack_string(rc));
    l->lost = 1;
    return;
  }
  l->state = LINK_UP;
  printf("connected broker=%s\n", l->bundle->brokers[l->broker].url);
  /* online (retained), subscribe to commands, redeliver, then send the backlog */
  vrc = vigil_device_on_connect(l->dev);
  if (vrc != VIGIL_OK && vrc != VIGIL_E_NOTIME) {
    fprintf(stderr, "after connect: %s\n", vigil_strerror(vrc));
    if (vrc == VIGIL_E_TRANSPORT) l->lost = 1;
  }
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc) {
  mqtt_link_t *l = obj;
  (void)mosq;
  (void)rc;
  l->lost = 1;
}

static void on_publish(struct mosquitto *mosq, void *obj, int mid) {
  mqtt_link_t *l = obj;
  int rc;
  (void)mosq;
  /* QoS 1: called for the PUBACK, which Vigil sends once the reading is durable */
  rc = vigil_device_on_puback(l->dev, (uint32_t)mid);
  if (rc != VIGIL_OK) fprintf(stderr, "puback %d: %s\n", mid, vigil_strerror(rc));
}

static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg) {
  mqtt_link_t *l = obj;
  (void)mosq;
  if (msg->payloadlen < 0) return;
  (void)vigil_device_on_message(l->dev, msg->topic, msg->payload, (size_t)msg->payloadlen);
}


int mqtt_link_connect(mqtt_link_t *l, uint64_t now_ms) {
  const broker_t *br = &l->bundle->brokers[l->broker];
  const char *will = vigil_device_will_topic(l->dev);
  int rc;
  l->lost = 0;
  l->connack_rc = -1;
  l->mosq = mosquitto_new(l->bundle->id, true, l);
  if (!l->mosq) return -1;
  mosquitto_int_option(l->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  mosquitto_connect_callback_set(l->mosq, on_connect);
  mosquitto_disconnect_callback_set(l->mosq, on_disconnect);
  mosquitto_publish_callback_set(l->mosq, on_publish);
  mosquitto_message_callback_set(l->mosq, on_message);
  /* verify the broker against ca.crt and its host name (tls_insecure stays false); present the
   * device certificate; TLS 1.2 minimum (libmosquitto's default refuses older versions) */
  rc = mosquitto_tls_set(l->mosq, l->bundle->ca_path, NULL, l->bundle->cert_path, l->bundle->key_path, NULL);
  if (rc == MOSQ_ERR_SUCCESS) rc = mosquitto_tls_opts_set(l->mosq, 1, NULL, NULL);
  if (rc == MOSQ_ERR_SUCCESS)
    rc = mosquitto_will_set(l->mosq, will, (int)strlen(VIGIL_STATE_OFFLINE), VIGIL_STATE_OFFLINE, 1, true);
  if (rc == MOSQ_ERR_SUCCESS) rc = mosquitto_connect(l->mosq, br->host, br->port, l->keepalive_s);
  if (rc != MOSQ_ERR_SUCCESS) {
    fprintf(stderr, "connect %s: %s\n", br->url, rc == MOSQ_ERR_ERRNO ? "network or TLS error" : mosquitto_strerror(rc));
    mosquitto_destroy(l->mosq);
    l->mosq = NULL;
    return -1;
  }
  l->state = LINK_CONNECTING;
  l->attempt_started_ms = now_ms;
  return 0;
}

void mqtt_link_loop(mqtt_link_t *l, int timeout_ms, uint64_t now_ms) {
  int rc;
  if (!l->mosq) return;
  rc = mosquitto_loop(l->mosq, timeout_ms, 1);
  if (rc != MOSQ_ERR_SUCCESS) l->lost = 1;
  if (l->state == LINK_CONNECTING && now_ms - l->attempt_started_ms > CONNECT_TIMEOUT_MS) {
    fprintf(stderr, "broker %s: no CONNACK within %d ms\n", l->bundle->brokers[l->broker].url, CONNECT_TIMEOUT_MS);
    l->lost = 1;
  }
}

void mqtt_link_close(mqtt_link_t *l, int next_broker) {
  if (l->mosq) {
    mosquitto_destroy(l->mosq);
    l->mosq = NULL;
  }
  if (l->state == LINK_UP) printf("disconnected broker=%s\n", l->bundle->brokers[l->broker].url);
  l->state = LINK_DOWN;
  l->lost = 0;
  vigil_device_on_disconnect(l->dev);
  if (next_broker) l->broker = (l->broker + 1) % l->bundle->nbrokers;
}

void mqtt_link_shutdown(mqtt_link_t *l) {
  int i;
  if (l->mosq && l->state == LINK_UP) {
    /* docs/protocol.md §3: a deliberate DISCONNECT discards the will, so say it first */
    vigil_device_going_offline(l->dev);
    for (i = 0; i < 10; i++) mosquitto_loop(l->mosq, 50, 1);
    mosquitto_disconnect(l->mosq);
    mosquitto_loop(l->mosq, 50, 1);
  }
  mqtt_link_close(l, 0);
}

int mqtt_link_publish(mqtt_link_t *l, const char *topic, const uint8_t *payload, size_t len, int retain,
                      uint32_t *msg_id) {
  int mid = 0;
  if (!l->mosq || l->state != LINK_UP) return VIGIL_E_TRANSPORT;
  if (mosquitto_publish(l->mosq, &mid, topic, (int)len, payload, 1, retain != 0) != MOSQ_ERR_SUCCESS) {
    l->lost = 1;
    return VIGIL_E_TRANSPORT;
  }
  *msg_id = (uint32_t)mid;
  return VIGIL_OK;
}

int mqtt_link_subscribe(mqtt_link_t *l, const char *topic) {
  if (!l->mosq || l->state != LINK_UP) return VIGIL_E_TRANSPORT;
  return mosquitto_subscribe(l->mosq, NULL, topic, 1) == MOSQ_ERR_SUCCESS ? VIGIL_OK : VIGIL_E_TRANSPORT;
}
