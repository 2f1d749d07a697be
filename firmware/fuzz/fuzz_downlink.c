/*
 * libFuzzer target for the downlink parser: everything a broker can hand the device on its
 * commands topic. The first input byte picks the layer:
 *   0: the bytes as a received envelope (size, JSON, schema, MAC, replay, ...);
 *   1: the bytes as a command body, sealed with the device's key so that it passes the MAC
 *      and reaches decryption, the command parser, at-most-once and the ack;
 *   2: the bytes straight into the JSON reader, the envelope parser and the command parser.
 */
#include <stdint.h>
#include <string.h>

#include "mem_platform.h"
#include "sim_server.h"
#include "vigil/command.h"
#include "vigil/device.h"
#include "vigil/envelope.h"
#include "vigil/error.h"

static const uint8_t SECRET[32] = {0x5a, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
                                   16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};
static const char *TOPIC = "vigil/v1/devices/fuzz-device/commands";
static mem_platform_t m;
static sim_server_t srv;
static vigil_device_t dev;
static uint64_t seq = 1;
static int ready;

static void setup(void) {
  vigil_device_config_t c =
      mem_device_config("fuzz-device", VIGIL_PROFILE_TEMPERATURE_PROBE, 1, VIGIL_ALG_A256GCM, SECRET);
  mem_init(&m, 128 + 512 * 64, 1);
  sim_init(&srv, SECRET, "fuzz-device", 1, VIGIL_ALG_A256GCM);
  if (vigil_device_init(&dev, &m.p, &c) != VIGIL_OK) __builtin_trap();
  vigil_device_on_connect(&dev);
  ready = 1;
}

/* acknowledge everything the device published, so the outbox never fills up */
static void drain(void) {
  size_t i, n = m.nmsgs;
  for (i = 0; i < n; i++) vigil_device_on_puback(&dev, m.msgs[i].mid);
  mem_clear_msgs(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static char env[VIGIL_PROTOCOL_ENVELOPE_MAX + 64];
  static vigil_jtok_t toks[VIGIL_JSON_TOKENS];
  static char work[VIGIL_PROTOCOL_ENVELOPE_MAX + 1];
  uint8_t mode;
  if (!ready) setup();
  if (size == 0) return 0;
  mode = data[0] % 3;
  data++, size--;
  if (mode == 0) {
    (void)vigil_device_on_message(&dev, TOPIC, data, size);
  } else if (mode == 1) {
    char body[4096];
    size_t len;
    if (size >= sizeof(body)) return 0;
    memcpy(body, data, size);
    body[size] = '\0';
    /* sim_command takes a C string: a NUL ends the body early, which is fine */
    len = sim_command(&srv, body, seq++, m.now, env, sizeof(env));
    if (len) (void)vigil_device_on_message(&dev, TOPIC, (const uint8_t *)env, len);
  } else {
    vigil_envelope_t e;
    vigil_command_t cmd;
    size_t count;
    (void)vigil_json_parse((const char *)data, size, toks, VIGIL_JSON_TOKENS, &count);
    (void)vigil_envelope_parse(data, size, toks, VIGIL_JSON_TOKENS, work, sizeof(work), &e);
    if (vigil_command_parse((const char *)data, size, toks, VIGIL_JSON_TOKENS, &cmd) == VIGIL_OK) {
      int64_t i;
      char s[64];
      int b;
      (void)vigil_command_arg_int(&cmd, "seconds", &i);
      (void)vigil_command_arg_str(&cmd, "seconds", s, sizeof(s));
      (void)vigil_command_arg_bool(&cmd, "seconds", &b);
    }
  }
  drain();
  return 0;
}
