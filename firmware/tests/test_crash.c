/*
 * Power failure at every storage write of a run (docs/protocol.md §6.4, §8): after the reboot
 * the device must never seal two different envelopes under one seq, every sample it reported
 * as stored must reach the server exactly once, and no sample may reach it twice.
 */
#include <stdlib.h>
#include <string.h>

#include "mem_platform.h"
#include "sim_server.h"
#include "testkit.h"
#include "vigil/device.h"
#include "vigil/error.h"

#define STEPS 60
#define MAX_ENV 4096

static const uint8_t SECRET[32] = {42, 1, 42, 2, 42, 3, 42, 4, 42, 5, 42, 6, 42, 7, 42, 8,
                                   42, 9, 42, 10, 42, 11, 42, 12, 42, 13, 42, 14, 42, 15, 42, 16};
static vigil_device_t dev;
static mem_platform_t m;
static sim_server_t srv;

/* every envelope ever published: seq -> CRC of its bytes */
static uint64_t env_seq[MAX_ENV];
static uint32_t env_crc[MAX_ENV];
static size_t n_env;
static size_t cursor;

static uint32_t crc(const uint8_t *p, size_t n) {
  uint32_t c = 2166136261u;
  while (n--) c = (c ^ *p++) * 16777619u; /* FNV-1a: a fingerprint is enough here */
  return c;
}

/* Hands published envelopes to the server; PUBACKs them unless the link "drops" the ack. */
static void deliver(int ack) {
  static vigil_jtok_t toks[64];
  static char work[VIGIL_PROTOCOL_ENVELOPE_MAX + 1];
  while (cursor < m.nmsgs) {
    mem_msg_t *msg = &m.msgs[cursor++];
    vigil_envelope_t e;
    size_t i;
    uint32_t c;
    if (strstr(msg->topic, "/state")) continue;
    if (vigil_envelope_parse(msg->payload, msg->len, toks, 64, work, sizeof(work), &e) != VIGIL_OK) {
      CHECK(0, "published an envelope that does not parse");
      continue;
    }
    c = crc(msg->payload, msg->len);
    for (i = 0; i < n_env && env_seq[i] != e.seq; i++) {
    }
    if (i < n_env) {
      CHECK(env_crc[i] == c, "seq %llu sealed twice with different bytes", (unsigned long long)e.seq);
    } else if (n_env < MAX_ENV) {
      env_seq[n_env] = e.seq;
      env_crc[n_env++] = c;
    }
    sim_ingest(&srv, msg->topic, msg->payload, msg->len);
    if (ack && !m.crashed) vigil_device_on_puback(&dev, msg->mid);
  }
}

static vigil_device_config_t config(void) {
  return mem_device_config("ward3-bed12", VIGIL_PROFILE_TEMPERATURE_PROBE, 3, VIGIL_ALG_ASCON128, SECRET);
}

static vigil_sample_t sample(uint64_t ts) {
  vigil_sample_t s;
  memset(&s, 0, sizeof(s));
  s.ts = ts;
  s.present = VIGIL_F_TEMP_C | VIGIL_F_BAT_PCT;
  s.temp_c = 5.25;
  s.bat_pct = 77;
  return s;
}

/* One run; crash_at < 0 runs without a crash. Returns the storage writes it made. */
static unsigned long run(long crash_at) {
  vigil_device_config_t c = config();
  static uint8_t stored[STEPS];
  unsigned long writes_before;
  int step, rounds;
  mem_init(&m, 128 + 512 * 32, 77 + (uint64_t)(crash_at + 1));
  sim_init(&srv, SECRET, "ward3-bed12", 3, VIGIL_ALG_ASCON128);
  n_env = cursor = 0;
  memset(stored, 0, sizeof(stored));
  CHECK_RC(vigil_device_init(&dev, &m.p, &c), VIGIL_OK);
  writes_before = mem_write_count;
  if (crash_at >= 0) mem_crash_after(&m, crash_at);
  vigil_device_on_connect(&dev);
  for (step = 0; step < STEPS && !m.crashed; step++) {
    vigil_sample_t s = sample(1795305600000ull + (uint64_t)step);
    stored[step] = vigil_device_record_sample(&dev, &s) == VIGIL_OK;
    if (step % 3 == 2) deliver(step % 9 != 8); /* now and then a PUBACK is lost... */
    if (step % 7 == 6) {                      /* ...and the link drops */
      vigil_device_on_disconnect(&dev);
      deliver(0);
      vigil_device_on_connect(&dev);
    }
    if (step % 20 == 10) m.link_up = 0, vigil_device_on_disconnect(&dev);
    if (step % 20 == 15) m.link_up = 1, vigil_device_on_connect(&dev);
  }
  deliver(0); /* whatever reached the network before the power failed */
  /* reboot on what storage holds */
  vigil_device_deinit(&dev);
  mem_crash_after(&m, -1);
  m.link_up = 1;
  m.now += 60000;
  CHECK_RC(vigil_device_init(&dev, &m.p, &c), VIGIL_OK);
  vigil_device_on_connect(&dev);
  for (rounds = 0; rounds < 100 && (vigil_device_backlog(&dev) || vigil_device_inflight(&dev)); rounds++)
    deliver(1);
  CHECK(vigil_device_backlog(&dev) == 0, "crash at %ld: outbox drained", crash_at);
  for (step = 0; step < STEPS; step++) {
    unsigned n = sim_count_ts(&srv, 1795305600000ull + (uint64_t)step);
    if (stored[step]) CHECK(n == 1, "crash at %ld: stored sample %d arrived %u times", crash_at, step, n);
    else CHECK(n <= 1, "crash at %ld: sample %d arrived %u times", crash_at, step, n);
  }
  vigil_device_deinit(&dev);
  sim_free(&srv);
  mem_free(&m);
  return mem_write_count - writes_before;
}

int main(void) {
  unsigned long total = run(-1);
  long k;
  CHECK(total > 100, "a run makes %lu storage writes", total);
  for (k = 0; k <= (long)total; k++) run(k);
  printf("crash points tried: %lu\n", total + 1);
  return tk_done("test_crash");
}
