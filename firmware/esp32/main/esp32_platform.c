#include "esp32_platform.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "bootloader_random.h"
#include "esp_littlefs.h"
#include "esp_log.h"
#include "esp_random.h"
#include "esp_timer.h"
#include "mqtt_esp32.h"
#include "vigil/device.h"
#include "vigil/error.h"

static const char *TAG = "vigil";
#define CHUNK 4096
#define CLOCK_SET_AFTER_S 1577836800 /* 2020-01-01: before that the clock was never set */

static int e_random(void *ctx, uint8_t *buf, size_t len) {
  esp32_platform_t *e = ctx;
  /* ESP-IDF "Random Number Generation": true random numbers need the RF subsystem running or
   * the SAR-ADC entropy source enabled. The device task owns the ADC, so this is exclusive. */
  if (!e->radio_on) bootloader_random_enable();
  esp_fill_random(buf, len);
  if (!e->radio_on) bootloader_random_disable();
  return VIGIL_OK;
}

static int e_now_ms(void *ctx, uint64_t *ms) {
  esp32_platform_t *e = ctx;
  struct timeval tv;
  gettimeofday(&tv, NULL);
  if (!e->time_valid || tv.tv_sec < CLOCK_SET_AFTER_S) return VIGIL_E_NOTIME;
  *ms = (uint64_t)tv.tv_sec * 1000u + (uint64_t)tv.tv_usec / 1000u;
  return VIGIL_OK;
}

static int is_file_key(const char *key) { return strncmp(key, "inf", 3) == 0; }

static int e_kv_get(void *ctx, const char *key, uint8_t *buf, size_t cap, size_t *len) {
  esp32_platform_t *e = ctx;
  if (is_file_key(key)) {
    char path[48];
    struct stat st;
    FILE *f;
    snprintf(path, sizeof(path), VIGIL_FS_BASE "/%s", key);
    if (stat(path, &st) != 0) return VIGIL_E_NOTFOUND;
    if ((size_t)st.st_size > cap) return VIGIL_E_NOSPACE;
    if (!(f = fopen(path, "rb"))) return VIGIL_E_STORAGE;
    *len = fread(buf, 1, (size_t)st.st_size, f);
    fclose(f);
    return *len == (size_t)st.st_size ? VIGIL_OK : VIGIL_E_STORAGE;
  }
  *len = cap;
  switch (nvs_get_blob(e->nvs, key, buf, len)) {
    case ESP_OK: return VIGIL_OK;
    case ESP_ERR_NVS_NOT_FOUND: return VIGIL_E_NOTFOUND;
    case ESP_ERR_NVS_INVALID_LENGTH: return VIGIL_E_NOSPACE;
    default: return VIGIL_E_STORAGE;
  }
}

static int e_kv_put(void *ctx, const char *key, const uint8_t *data, size_t len) {
  esp32_platform_t *e = ctx;
  if (is_file_key(key)) {
    char path[48], tmp[52];
    int fd, ok;
    snprintf(path, sizeof(path), VIGIL_FS_BASE "/%s", key);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return VIGIL_E_STORAGE;
    ok = write(fd, data, len) == (ssize_t)len && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    /* lfs_rename replaces an existing file atomically: the old record or the new one */
    if (!ok || rename(tmp, path) != 0) {
      unlink(tmp);
      return VIGIL_E_STORAGE;
    }
    return VIGIL_OK;
  }
  /* NVS writes a key atomically (new entry first, old one erased after) */
  if (nvs_set_blob(e->nvs, key, data, len) != ESP_OK || nvs_commit(e->nvs) != ESP_OK) return VIGIL_E_STORAGE;
  return VIGIL_OK;
}

static int e_kv_del(void *ctx, const char *key) {
  esp32_platform_t *e = ctx;
  if (is_file_key(key)) {
    char path[48];
    snprintf(path, sizeof(path), VIGIL_FS_BASE "/%s", key);
    if (unlink(path) != 0) return errno == ENOENT ? VIGIL_E_NOTFOUND : VIGIL_E_STORAGE;
    return VIGIL_OK;
  }
  switch (nvs_erase_key(e->nvs, key)) {
    case ESP_OK: return nvs_commit(e->nvs) == ESP_OK ? VIGIL_OK : VIGIL_E_STORAGE;
    case ESP_ERR_NVS_NOT_FOUND: return VIGIL_E_NOTFOUND;
    default: return VIGIL_E_STORAGE;
  }
}

/* The outbox region as 4 KiB files: LittleFS rewrites a small file cheaply, where a write into
 * the middle of one large file would rewrite everything after it. */
static int chunk_io(uint32_t chunk, uint32_t off, uint8_t *rbuf, const uint8_t *wbuf, size_t len) {
  char path[48];
  int fd, ok;
  snprintf(path, sizeof(path), VIGIL_FS_BASE "/r%04u", (unsigned)chunk);
  if (rbuf) {
    memset(rbuf, 0, len); /* never written: a blank (zero) region; a short file reads as zeros */
    fd = open(path, O_RDONLY);
    if (fd < 0) return errno == ENOENT ? VIGIL_OK : VIGIL_E_STORAGE;
    ok = lseek(fd, (off_t)off, SEEK_SET) == (off_t)off && read(fd, rbuf, len) >= 0;
    close(fd);
    return ok ? VIGIL_OK : VIGIL_E_STORAGE;
  }
  fd = open(path, O_RDWR | O_CREAT, 0600);
  if (fd < 0) return VIGIL_E_STORAGE;
  ok = lseek(fd, (off_t)off, SEEK_SET) == (off_t)off && write(fd, wbuf, len) == (ssize_t)len && fsync(fd) == 0;
  ok = close(fd) == 0 && ok;
  return ok ? VIGIL_OK : VIGIL_E_STORAGE;
}

static int region_io(uint32_t off, uint8_t *rbuf, const uint8_t *wbuf, size_t len) {
  while (len > 0) {
    uint32_t in = off % CHUNK;
    size_t n = CHUNK - in < len ? CHUNK - in : len;
    int rc = chunk_io(off / CHUNK, in, rbuf, wbuf, n);
    if (rc != VIGIL_OK) return rc;
    off += (uint32_t)n;
    len -= n;
    if (rbuf) rbuf += n;
    if (wbuf) wbuf += n;
  }
  return VIGIL_OK;
}

static int e_region_read(void *ctx, uint32_t off, uint8_t *buf, size_t len) {
  (void)ctx;
  return region_io(off, buf, NULL, len);
}

static int e_region_write(void *ctx, uint32_t off, const uint8_t *buf, size_t len) {
  (void)ctx;
  return region_io(off, NULL, buf, len);
}

static int e_region_sync(void *ctx) {
  (void)ctx;
  return VIGIL_OK; /* every chunk write was fsync'ed already */
}

static int e_publish(void *ctx, const char *topic, const uint8_t *payload, size_t len, int retain,
                     uint32_t *msg_id) {
  esp32_platform_t *e = ctx;
  return mqtt_esp32_publish(e->mqtt, topic, payload, len, retain, msg_id);
}

static int e_subscribe(void *ctx, const char *topic) {
  esp32_platform_t *e = ctx;
  return mqtt_esp32_subscribe(e->mqtt, topic);
}

static int e_execute(void *ctx, const vigil_command_t *cmd, vigil_ack_t *ack) {
  esp32_platform_t *e = ctx;
  if (strcmp(cmd->op, "ping") == 0) {
    vigil_ack_result_int(ack, "uptime_s", esp_timer_get_time() / 1000000);
    vigil_ack_result_int(ack, "backlog", (int64_t)vigil_device_backlog(e->dev));
    return VIGIL_OK;
  }
  return VIGIL_E_UNSUPPORTED;
}

static void e_notify(void *ctx, const vigil_notice_t *n) {
  (void)ctx;
  switch (n->kind) {
    case VIGIL_NOTICE_ACKED:
      ESP_LOGI(TAG, "acked seq=%llu count=%u", (unsigned long long)n->seq, (unsigned)n->count);
      break;
    case VIGIL_NOTICE_DOWNLINK_REFUSED:
      ESP_LOGW(TAG, "downlink refused: %s", vigil_strerror(n->code));
      break;
    case VIGIL_NOTICE_COMMAND:
      ESP_LOGI(TAG, "command %s ok=%d duplicate=%d", n->text ? n->text : "?", n->code == VIGIL_OK, n->duplicate);
      break;
    case VIGIL_NOTICE_RECORD_LOST:
      ESP_LOGE(TAG, "outbox record %llu damaged; skipped", (unsigned long long)n->first);
      break;
    case VIGIL_NOTICE_OUTBOX_FULL:
      ESP_LOGE(TAG, "outbox full: reading not stored");
      break;
    default:
      break;
  }
}

esp_err_t esp32_platform_init(esp32_platform_t *e, vigil_platform_t *p, uint32_t region_size) {
  esp_vfs_littlefs_conf_t fs = {
      .base_path = VIGIL_FS_BASE,
      .partition_label = "outbox",
      .format_if_mount_failed = true,
      .dont_mount = false,
  };
  esp_err_t err = esp_vfs_littlefs_register(&fs);
  if (err != ESP_OK) return err;
  err = nvs_open("vigil_st", NVS_READWRITE, &e->nvs);
  if (err != ESP_OK) return err;
  memset(p, 0, sizeof(*p));
  p->ctx = e;
  p->random = e_random;
  p->now_ms = e_now_ms;
  p->kv_get = e_kv_get;
  p->kv_put = e_kv_put;
  p->kv_del = e_kv_del;
  p->region_read = e_region_read;
  p->region_write = e_region_write;
  p->region_sync = e_region_sync;
  p->region_size = region_size;
  p->publish = e_publish;
  p->subscribe = e_subscribe;
  p->execute = e_execute;
  p->notify = e_notify;
  return ESP_OK;
}
