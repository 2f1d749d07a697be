#include "mem_platform.h"

#include <stdlib.h>
#include <string.h>

#include "vigil/command.h"
#include "vigil/error.h"

unsigned long mem_write_count = 0;

static uint64_t next_rand(mem_platform_t *m) {
  /* xorshift64*: reproducible test randomness, not a CSPRNG */
  m->rng ^= m->rng >> 12;
  m->rng ^= m->rng << 25;
  m->rng ^= m->rng >> 27;
  return m->rng * 2685821657736338717ull;
}

/* 1 when this write may proceed; 0 when the power has failed */
static int write_allowed(mem_platform_t *m) {
  mem_write_count++;
  if (m->crashed) return 0;
  if (m->writes_left == 0) {
    m->crashed = 1;
    return 0;
  }
  if (m->writes_left > 0) m->writes_left--;
  return 1;
}

static int m_random(void *ctx, uint8_t *buf, size_t len) {
  mem_platform_t *m = ctx;
  size_t i;
  for (i = 0; i < len; i++) buf[i] = (uint8_t)(next_rand(m) >> 56);
  return VIGIL_OK;
}

static int m_now(void *ctx, uint64_t *ms) {
  mem_platform_t *m = ctx;
  if (!m->time_set) return VIGIL_E_NOTIME;
  *ms = m->now;
  return VIGIL_OK;
}

static int find_kv(mem_platform_t *m, const char *key) {
  int i;
  for (i = 0; i < MEM_KV_MAX; i++) {
    if (m->kv[i].used && strcmp(m->kv[i].key, key) == 0) return i;
  }
  return -1;
}

static int m_kv_get(void *ctx, const char *key, uint8_t *buf, size_t cap, size_t *len) {
  mem_platform_t *m = ctx;
  int i = find_kv(m, key);
  if (i < 0) return VIGIL_E_NOTFOUND;
  if (m->kv[i].len > cap) return VIGIL_E_NOSPACE;
  memcpy(buf, m->kv[i].data, m->kv[i].len);
  *len = m->kv[i].len;
  return VIGIL_OK;
}

static int m_kv_put(void *ctx, const char *key, const uint8_t *data, size_t len) {
  mem_platform_t *m = ctx;
  int i = find_kv(m, key);
  if (strlen(key) > 15) return VIGIL_E_ARG;
  if (!write_allowed(m)) return VIGIL_E_STORAGE; /* atomic: the old value stays */
  if (i < 0) {
    for (i = 0; i < MEM_KV_MAX && m->kv[i].used; i++) {
    }
    if (i == MEM_KV_MAX) return VIGIL_E_STORAGE;
    strcpy(m->kv[i].key, key);
    m->kv[i].used = 1;
    m->kv[i].data = NULL;
  }
  free(m->kv[i].data);
  m->kv[i].data = malloc(len ? len : 1);
  memcpy(m->kv[i].data, data, len);
  m->kv[i].len = len;
  return VIGIL_OK;
}

static int m_kv_del(void *ctx, const char *key) {
  mem_platform_t *m = ctx;
  int i = find_kv(m, key);
  if (!write_allowed(m)) return VIGIL_E_STORAGE;
  if (i < 0) return VIGIL_E_NOTFOUND;
  free(m->kv[i].data);
  m->kv[i].data = NULL;
  m->kv[i].used = 0;
  return VIGIL_OK;
}

static int m_region_read(void *ctx, uint32_t off, uint8_t *buf, size_t len) {
  mem_platform_t *m = ctx;
  if ((uint64_t)off + len > m->p.region_size) return VIGIL_E_ARG;
  memcpy(buf, m->region + off, len);
  return VIGIL_OK;
}

static int m_region_write(void *ctx, uint32_t off, const uint8_t *buf, size_t len) {
  mem_platform_t *m = ctx;
  int crashed_before = m->crashed;
  if ((uint64_t)off + len > m->p.region_size) return VIGIL_E_ARG;
  if (!write_allowed(m)) {
    /* the write that meets the power failure is torn at a random byte */
    if (!crashed_before && len > 0) memcpy(m->region + off, buf, (size_t)(next_rand(m) % len));
    return VIGIL_E_STORAGE;
  }
  memcpy(m->region + off, buf, len);
  return VIGIL_OK;
}

static int m_region_sync(void *ctx) {
  mem_platform_t *m = ctx;
  return m->crashed ? VIGIL_E_STORAGE : VIGIL_OK;
}

static int m_publish(void *ctx, const char *topic, const uint8_t *payload, size_t len, int retain,
                     uint32_t *mid) {
  mem_platform_t *m = ctx;
  mem_msg_t *msg;
  if (!m->link_up || m->crashed) return VIGIL_E_TRANSPORT;
  if (m->nmsgs == m->cap) {
    m->cap = m->cap ? m->cap * 2 : 64;
    m->msgs = realloc(m->msgs, m->cap * sizeof(mem_msg_t));
  }
  msg = &m->msgs[m->nmsgs++];
  strncpy(msg->topic, topic, sizeof(msg->topic) - 1);
  msg->topic[sizeof(msg->topic) - 1] = '\0';
  msg->payload = malloc(len + 1);
  memcpy(msg->payload, payload, len);
  msg->payload[len] = 0;
  msg->len = len;
  msg->retain = retain;
  msg->mid = ++m->next_mid;
  *mid = msg->mid;
  return VIGIL_OK;
}

static int m_subscribe(void *ctx, const char *topic) {
  mem_platform_t *m = ctx;
  if (!m->link_up) return VIGIL_E_TRANSPORT;
  strncpy(m->subscribed, topic, sizeof(m->subscribed) - 1);
  return VIGIL_OK;
}

static int m_execute(void *ctx, const vigil_command_t *cmd, vigil_ack_t *ack) {
  mem_platform_t *m = ctx;
  if (m->execute_mode == 0 || strcmp(cmd->op, "blink") != 0) return VIGIL_E_UNSUPPORTED;
  m->executed++;
  vigil_ack_result_int(ack, "times", (int64_t)m->executed);
  return VIGIL_OK;
}

static void m_notify(void *ctx, const vigil_notice_t *n) {
  mem_platform_t *m = ctx;
  if ((unsigned)n->kind < 16) m->notices[n->kind]++;
  m->last = *n;
}

void mem_init(mem_platform_t *m, uint32_t region_size, uint64_t seed) {
  memset(m, 0, sizeof(*m));
  m->region = calloc(1, region_size);
  m->rng = seed ? seed : 0x9e3779b97f4a7c15ull;
  m->writes_left = -1;
  m->now = 1795305600000ull;
  m->time_set = 1;
  m->link_up = 1;
  m->p.ctx = m;
  m->p.random = m_random;
  m->p.now_ms = m_now;
  m->p.kv_get = m_kv_get;
  m->p.kv_put = m_kv_put;
  m->p.kv_del = m_kv_del;
  m->p.region_read = m_region_read;
  m->p.region_write = m_region_write;
  m->p.region_sync = m_region_sync;
  m->p.region_size = region_size;
  m->p.publish = m_publish;
  m->p.subscribe = m_subscribe;
  m->p.execute = m_execute;
  m->p.notify = m_notify;
}

void mem_clear_msgs(mem_platform_t *m) {
  size_t i;
  for (i = 0; i < m->nmsgs; i++) free(m->msgs[i].payload);
  m->nmsgs = 0;
}

void mem_free(mem_platform_t *m) {
  int i;
  mem_clear_msgs(m);
  free(m->msgs);
  free(m->region);
  for (i = 0; i < MEM_KV_MAX; i++) free(m->kv[i].data);
}

void mem_crash_after(mem_platform_t *m, long n) {
  m->writes_left = n;
  m->crashed = 0;
}

vigil_device_config_t mem_device_config(const char *id, vigil_profile_t profile, uint32_t kid, vigil_alg_t alg,
                                        const uint8_t secret[32]) {
  vigil_device_config_t c;
  memset(&c, 0, sizeof(c));
  c.device_id = id;
  c.topic_prefix = "vigil/v1";
  c.profile = profile;
  c.kid = kid;
  c.alg = alg;
  c.secret = secret;
  c.interval_ms = 60000;
  return c;
}
