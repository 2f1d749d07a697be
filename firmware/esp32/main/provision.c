#include "provision.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_log.h"
#include "nvs.h"
#include "sdkconfig.h"
#include "vigil/crypto.h"

#if CONFIG_VIGIL_PROVISION_FROM_HEADER
#include "vigil_device_config.h" /* written by `vigil device add`; never commit it */
#endif

static const char *TAG = "vigil.provision";
#define NS "vigil"

#if CONFIG_VIGIL_PROVISION_FROM_HEADER
static esp_err_t provision_from_header(nvs_handle_t h) {
  char broker[160];
  esp_err_t err;
  snprintf(broker, sizeof(broker), "mqtts://%s:%d", VIGIL_BROKER_HOST, VIGIL_BROKER_PORT);
  ESP_LOGW(TAG, "development provisioning from vigil_device_config.h: not for production devices");
  err = nvs_set_str(h, "id", VIGIL_DEVICE_ID);
  if (err == ESP_OK) err = nvs_set_str(h, "profile", VIGIL_PROFILE);
  if (err == ESP_OK) err = nvs_set_u32(h, "kid", VIGIL_KID);
  if (err == ESP_OK) err = nvs_set_str(h, "alg", VIGIL_ALG);
  if (err == ESP_OK) err = nvs_set_blob(h, "secret", VIGIL_DEVICE_SECRET, sizeof(VIGIL_DEVICE_SECRET));
  if (err == ESP_OK) err = nvs_set_str(h, "prefix", VIGIL_TOPIC_PREFIX);
  if (err == ESP_OK) err = nvs_set_str(h, "brokers", broker);
  if (err == ESP_OK) err = nvs_set_str(h, "ca", VIGIL_CA_PEM);
  if (err == ESP_OK) err = nvs_set_str(h, "cert", VIGIL_DEVICE_CERT_PEM);
  if (err == ESP_OK) err = nvs_set_str(h, "key", VIGIL_DEVICE_KEY_PEM);
  if (err == ESP_OK) err = nvs_commit(h);
  return err;
}
#endif

static esp_err_t get_str(nvs_handle_t h, const char *key, char *out, size_t cap) {
  size_t len = cap;
  esp_err_t err = nvs_get_str(h, key, out, &len);
  if (err != ESP_OK) ESP_LOGE(TAG, "NVS %s/%s: %s", NS, key, esp_err_to_name(err));
  return err;
}

static esp_err_t get_pem(nvs_handle_t h, const char *key, char **out) {
  size_t len = 0;
  esp_err_t err = nvs_get_str(h, key, NULL, &len);
  if (err != ESP_OK) {
    ESP_LOGE(TAG, "NVS %s/%s: %s", NS, key, esp_err_to_name(err));
    return err;
  }
  *out = malloc(len);
  if (!*out) return ESP_ERR_NO_MEM;
  return nvs_get_str(h, key, *out, &len);
}

esp_err_t provision_load(vigil_identity_t *id) {
  nvs_handle_t h;
  char brokers[PROVISION_BROKERS_MAX * 160], *tok, *save = NULL;
  size_t len = sizeof(id->secret);
  esp_err_t err;
  memset(id, 0, sizeof(*id));
  err = nvs_open(NS, NVS_READWRITE, &h);
  if (err != ESP_OK) return err;
#if CONFIG_VIGIL_PROVISION_FROM_HEADER
  {
    size_t n = 0;
    if (nvs_get_str(h, "id", NULL, &n) == ESP_ERR_NVS_NOT_FOUND && (err = provision_from_header(h)) != ESP_OK) {
      nvs_close(h);
      return err;
    }
  }
#endif
  err = get_str(h, "id", id->id, sizeof(id->id));
  if (err == ESP_OK) err = get_str(h, "profile", id->profile, sizeof(id->profile));
  if (err == ESP_OK) err = nvs_get_u32(h, "kid", &id->kid);
  if (err == ESP_OK) err = get_str(h, "alg", id->alg, sizeof(id->alg));
  if (err == ESP_OK) err = nvs_get_blob(h, "secret", id->secret, &len);
  if (err == ESP_OK && len != sizeof(id->secret)) err = ESP_ERR_INVALID_SIZE;
  if (err == ESP_OK) err = get_str(h, "prefix", id->prefix, sizeof(id->prefix));
  if (err == ESP_OK) err = get_str(h, "brokers", brokers, sizeof(brokers));
  if (err == ESP_OK) err = get_pem(h, "ca", &id->ca_pem);
  if (err == ESP_OK) err = get_pem(h, "cert", &id->cert_pem);
  if (err == ESP_OK) err = get_pem(h, "key", &id->key_pem);
  nvs_close(h);
  if (err != ESP_OK) {
    vigil_wipe(id->secret, sizeof(id->secret));
    return err;
  }
  /* "brokers": space-separated mqtts:// URLs, in failover order */
  for (tok = strtok_r(brokers, " ", &save); tok && id->nbrokers < PROVISION_BROKERS_MAX;
       tok = strtok_r(NULL, " ", &save)) {
    if (strncmp(tok, "mqtts://", 8) != 0 || strlen(tok) >= sizeof(id->brokers[0])) {
      ESP_LOGE(TAG, "broker %s: only mqtts:// URLs (TLS) are allowed", tok);
      continue;
    }
    strcpy(id->brokers[id->nbrokers++], tok);
  }
  return id->nbrokers > 0 ? ESP_OK : ESP_ERR_INVALID_ARG;
}
