/* Downlink commands (docs/protocol.md §7.3): every receiver check of §6.2 attacked once, the
 * replay window across a reboot, at-most-once execution per id, and the acks. */
#include <stdlib.h>
#include <string.h>

#include "mem_platform.h"
#include "sim_server.h"
#include "testkit.h"
#include "vigil/b64url.h"
#include "vigil/device.h"
#include "vigil/error.h"

static const uint8_t SECRET[32] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6,
                                   7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22};
static const char *TOPIC = "vigil/v1/devices/probe-fridge-7/commands";
static const char *ID1 = "6f1c2f4e-8a4b-4e1a-9a57-0d6c1b7e2a10";
static const char *ID2 = "0b8f6f0e-3c5d-4d7a-8e2b-1f0a9c8d7e6f";
static vigil_device_t dev;
static mem_platform_t m;
static sim_server_t srv;
static size_t cur;
static const uint64_t NOW = 1795305600000ull;

static void boot(vigil_alg_t alg) {
  vigil_device_config_t c = mem_device_config("probe-fridge-7", VIGIL_PROFILE_TEMPERATURE_PROBE, 2, alg, SECRET);
  CHECK_RC(vigil_device_init(&dev, &m.p, &c), VIGIL_OK);
  CHECK_RC(vigil_device_on_connect(&dev), VIGIL_OK);
}

static void setup(vigil_alg_t alg) {
  mem_init(&m, 128 + 512 * 64, 31);
  m.now = NOW;
  sim_init(&srv, SECRET, "probe-fridge-7", 2, alg);
  cur = 0;
  boot(alg);
}

static void teardown(void) {
  vigil_device_deinit(&dev);
  sim_free(&srv);
  mem_free(&m);
}

/* The acks published since the last call, PUBACKed; returns how many. */
static int take_acks(void) {
  int n = 0;
  while (cur < m.nmsgs) {
    mem_msg_t *msg = &m.msgs[cur++];
    if (!strstr(msg->topic, "/acks")) continue;
    CHECK_RC(sim_ingest(&srv, msg->topic, msg->payload, msg->len), VIGIL_OK);
    vigil_device_on_puback(&dev, msg->mid);
    n++;
  }
  return n;
}

static int send_cmd(const char *body, uint64_t seq, uint64_t ts) {
  char env[4096];
  size_t len = sim_command(&srv, body, seq, ts, env, sizeof(env));
  CHECK(len > 0, "sealed a command");
  return vigil_device_on_message(&dev, TOPIC, (uint8_t *)env, len);
}

static void test_set_interval_runs_once_and_is_acked(void) {
  char body[256], env[4096];
  size_t len;
  setup(VIGIL_ALG_A256GCM);
  snprintf(body, sizeof(body), "{\"id\":\"%s\",\"op\":\"set_interval\",\"args\":{\"seconds\":60}}", ID1);
  len = sim_command(&srv, body, 5, NOW, env, sizeof(env));
  CHECK_RC(vigil_device_on_message(&dev, TOPIC, (uint8_t *)env, len), VIGIL_OK);
  CHECK(take_acks() == 1, "one ack");
  CHECK(strstr(srv.last_body, "\"ok\":true") && strstr(srv.last_body, "\"result\":{\"seconds\":60}") &&
            strstr(srv.last_body, ID1),
        "ack %s", srv.last_body);
  CHECK(vigil_device_interval_ms(&dev) == 60000, "interval applied");
  /* the same envelope again is a replay: refused, not run, not acked */
  CHECK_RC(vigil_device_on_message(&dev, TOPIC, (uint8_t *)env, len), VIGIL_ERR_REPLAY);
  CHECK(take_acks() == 0, "no ack for a replay");
  /* and after a reboot too: the window was stored */
  vigil_device_deinit(&dev);
  boot(VIGIL_ALG_A256GCM);
  CHECK_RC(vigil_device_on_message(&dev, TOPIC, (uint8_t *)env, len), VIGIL_ERR_REPLAY);
  CHECK(vigil_device_interval_ms(&dev) == 60000, "interval kept across a reboot");
  /* the same id under a fresh seq: answered as a duplicate, not run again */
  snprintf(body, sizeof(body), "{\"id\":\"%s\",\"op\":\"set_interval\",\"args\":{\"seconds\":5}}", ID1);
  CHECK_RC(send_cmd(body, 6, NOW), VIGIL_OK);
  CHECK(take_acks() == 1 && strstr(srv.last_body, "\"duplicate\":true"), "duplicate ack %s", srv.last_body);
  CHECK(vigil_device_interval_ms(&dev) == 60000, "not run a second time");
  /* bad arguments: ok false with an error */
  snprintf(body, sizeof(body), "{\"id\":\"%s\",\"op\":\"set_interval\",\"args\":{\"seconds\":60.5}}", ID2);
  CHECK_RC(send_cmd(body, 7, NOW), VIGIL_OK);
  CHECK(take_acks() == 1 && strstr(srv.last_body, "\"ok\":false") && strstr(srv.last_body, "\"error\":"),
        "refused args %s", srv.last_body);
  teardown();
}

static void test_unknown_op_is_acked_with_ok_false(void) {
  char body[256];
  setup(VIGIL_ALG_ASCON128);
  snprintf(body, sizeof(body), "{\"id\":\"%s\",\"op\":\"self_destruct\"}", ID1);
  CHECK_RC(send_cmd(body, 1, NOW), VIGIL_OK);
  CHECK(take_acks() == 1 && strstr(srv.last_body, "\"ok\":false") &&
            strstr(srv.last_body, "\"error\":\"unsupported op\""),
        "unsupported %s", srv.last_body);
  /* an op the platform supports */
  m.execute_mode = 1;
  snprintf(body, sizeof(body), "{\"id\":\"%s\",\"op\":\"blink\",\"args\":{}}", ID2);
  CHECK_RC(send_cmd(body, 2, NOW), VIGIL_OK);
  CHECK(take_acks() == 1 && strstr(srv.last_body, "\"ok\":true") && m.executed == 1,
        "platform op %s", srv.last_body);
  teardown();
}

/* Re-MACs an envelope under the device's key after changing it (a forger with K_mac only). */
static void test_each_receiver_check_refuses(void) {
  char body[256], env[4096], other[4096];
  size_t len;
  setup(VIGIL_ALG_A256GCM);
  snprintf(body, sizeof(body), "{\"id\":\"%s\",\"op\":\"set_interval\",\"args\":{\"seconds\":30}}", ID1);
  len = sim_command(&srv, body, 10, NOW, env, sizeof(env));
  /* §6.2 step 1: another device's or channel's topic */
  CHECK_RC(vigil_device_on_message(&dev, "vigil/v1/devices/probe-fridge-8/commands", (uint8_t *)env, len),
           VIGIL_ERR_TOPIC);
  CHECK_RC(vigil_device_on_message(&dev, "vigil/v1/devices/probe-fridge-7/telemetry", (uint8_t *)env, len),
           VIGIL_ERR_TOPIC);
  /* step 2: size and schema */
  CHECK_RC(vigil_device_on_message(&dev, TOPIC, (const uint8_t *)"{\"v\":1}", 7), VIGIL_ERR_ENVELOPE_SCHEMA);
  CHECK_RC(vigil_device_on_message(&dev, TOPIC, (const uint8_t *)"not json", 8), VIGIL_ERR_ENVELOPE_SCHEMA);
  {
    uint8_t *big = calloc(1, VIGIL_DOWNLINK_MAX + 1);
    memset(big, ' ', VIGIL_DOWNLINK_MAX + 1);
    CHECK_RC(vigil_device_on_message(&dev, TOPIC, big, VIGIL_DOWNLINK_MAX + 1), VIGIL_ERR_ENVELOPE_SIZE);
    free(big);
  }
  /* a duplicated member, which JSON.parse would resolve silently */
  memcpy(other, env, len);
  memcpy(other + len - 1, ",\"v\":1}", 8);
  CHECK_RC(vigil_device_on_message(&dev, TOPIC, (uint8_t *)other, len + 6), VIGIL_ERR_ENVELOPE_SCHEMA);
  /* step 5: any changed byte breaks the MAC */
  memcpy(other, env, len);
  {
    char *seq = strstr(other, "\"seq\":10");
    seq[7] = '1';
  }
  CHECK_RC(vigil_device_on_message(&dev, TOPIC, (uint8_t *)other, len), VIGIL_ERR_MAC_INVALID);
  /* step 4: unknown key generation and another alg */
  {
    sim_server_t s3;
    size_t l3;
    sim_init(&s3, SECRET, "probe-fridge-7", 3, VIGIL_ALG_A256GCM);
    l3 = sim_command(&s3, body, 11, NOW, other, sizeof(other));
    CHECK_RC(vigil_device_on_message(&dev, TOPIC, (uint8_t *)other, l3), VIGIL_ERR_UNKNOWN_KID);
    sim_free(&s3);
    sim_init(&s3, SECRET, "probe-fridge-7", 2, VIGIL_ALG_NONE);
    l3 = sim_command(&s3, body, 12, NOW, other, sizeof(other));
    CHECK_RC(vigil_device_on_message(&dev, TOPIC, (uint8_t *)other, l3), VIGIL_ERR_ALG_MISMATCH);
    sim_free(&s3);
    /* dev field of another device, sealed with that device's keys */
    sim_init(&s3, SECRET, "probe-fridge-8", 2, VIGIL_ALG_A256GCM);
    l3 = sim_command(&s3, body, 13, NOW, other, sizeof(other));
    CHECK_RC(vigil_device_on_message(&dev, TOPIC, (uint8_t *)other, l3), VIGIL_ERR_TOPIC);
    sim_free(&s3);
  }
  /* step 6: from the future; a rejected clock does not spend the seq */
  CHECK_RC(send_cmd(body, 20, NOW + VIGIL_FUTURE_SKEW_MS + 1), VIGIL_ERR_TS_FUTURE);
  m.time_set = 0;
  CHECK_RC(vigil_device_on_message(&dev, TOPIC, (uint8_t *)env, len), VIGIL_E_NOTIME);
  m.time_set = 1;
  CHECK(take_acks() == 0, "nothing run so far");
  CHECK_RC(vigil_device_on_message(&dev, TOPIC, (uint8_t *)env, len), VIGIL_OK);
  CHECK(take_acks() == 1, "the genuine command runs");
  /* step 7: too old for the window, and a reused nonce under a fresh seq */
  snprintf(body, sizeof(body), "{\"id\":\"%s\",\"op\":\"set_interval\",\"args\":{\"seconds\":31}}", ID2);
  CHECK_RC(send_cmd(body, 10 + VIGIL_DOWNLINK_WINDOW, NOW), VIGIL_OK);
  CHECK_RC(send_cmd(body, 10, NOW + 1), VIGIL_ERR_REPLAY_TOO_OLD);
  {
    /* sim_command derives the nonce from seq and ts: seq 9 with ts NOW + 31 - 9*31... reuse
     * by sealing the same (seq, ts) pair's nonce under another seq is done directly here */
    uint8_t buf[512], nonce[12];
    size_t n = strlen(body), l;
    vigil_seal_params_t p;
    memset(nonce, 0x42, sizeof(nonce));
    memcpy(buf, body, n);
    p.dev = "probe-fridge-7", p.channel = VIGIL_CH_COMMANDS, p.seq = 100, p.ts = NOW, p.nonce = nonce;
    CHECK_RC(vigil_envelope_seal(&srv.key, &p, buf, n, sizeof(buf), other, sizeof(other), &l), VIGIL_OK);
    CHECK_RC(vigil_device_on_message(&dev, TOPIC, (uint8_t *)other, l), VIGIL_OK);
    memcpy(buf, body, n);
    p.seq = 101;
    CHECK_RC(vigil_envelope_seal(&srv.key, &p, buf, n, sizeof(buf), other, sizeof(other), &l), VIGIL_OK);
    CHECK_RC(vigil_device_on_message(&dev, TOPIC, (uint8_t *)other, l), VIGIL_ERR_NONCE_REUSE);
  }
  /* step 9: a valid envelope around a body that is not a command; its seq is spent */
  CHECK_RC(send_cmd("{\"id\":\"not-a-uuid\",\"op\":\"set_interval\"}", 200, NOW), VIGIL_ERR_BODY_SCHEMA);
  CHECK_RC(send_cmd("{\"id\":\"6f1c2f4e-8a4b-4e1a-9a57-0d6c1b7e2a10\",\"op\":\"Set\"}", 201, NOW),
           VIGIL_ERR_BODY_SCHEMA);
  CHECK_RC(send_cmd("{\"id\":\"6f1c2f4e-8a4b-4e1a-9a57-0d6c1b7e2a10\",\"op\":\"x_y\",\"z\":1}", 202, NOW),
           VIGIL_ERR_BODY_SCHEMA);
  CHECK_RC(send_cmd("{\"id\":\"6f1c2f4e-8a4b-0e1a-9a57-0d6c1b7e2a10\",\"op\":\"x_y\"}", 203, NOW),
           VIGIL_ERR_BODY_SCHEMA);
  CHECK_RC(send_cmd("{\"id\":\"6f1c2f4e-8a4b-4e1a-9a57-0d6c1b7e2a10\",\"op\":\"x_y\",\"args\":{\"a\":[1]}}",
                    204, NOW),
           VIGIL_ERR_BODY_SCHEMA);
  CHECK_RC(send_cmd("{\"id\":\"6f1c2f4e-8a4b-4e1a-9a57-0d6c1b7e2a10\",\"op\":\"x_y\",\"args\":{\"a\":1,\"a\":2}}",
                    205, NOW),
           VIGIL_ERR_BODY_SCHEMA);
  CHECK(m.notices[VIGIL_NOTICE_DOWNLINK_REFUSED] >= 16, "refusals reported (%u)",
        m.notices[VIGIL_NOTICE_DOWNLINK_REFUSED]);
  teardown();
}

static void test_decrypt_failure_after_a_valid_mac(void) {
  /* A holder of K_mac alone (docs/protocol.md §4) can make a valid MAC but not a valid AEAD. */
  char env[4096], *mac_at;
  uint8_t k_enc[32], k_mac[32], mac[32];
  vigil_jtok_t toks[64];
  char work[4096], h[VIGIL_HEADER_MAX], b64[48];
  vigil_envelope_t e;
  size_t len, h_len, n;
  vigil_key_t wrong;
  setup(VIGIL_ALG_A256GCM);
  len = sim_command(&srv, "{\"id\":\"6f1c2f4e-8a4b-4e1a-9a57-0d6c1b7e2a10\",\"op\":\"x_y\"}", 50, NOW, env,
                    sizeof(env));
  /* flip one ciphertext byte inside b, then recompute the MAC with the real K_mac */
  CHECK_RC(vigil_envelope_parse((uint8_t *)env, len, toks, 64, work, sizeof(work), &e), VIGIL_OK);
  {
    char *b = strstr(env, "\"b\":\"") + 5;
    b[3] = b[3] == 'A' ? 'B' : 'A';
  }
  CHECK_RC(vigil_envelope_parse((uint8_t *)env, len, toks, 64, work, sizeof(work), &e), VIGIL_OK);
  vigil_derive_keys(SECRET, "probe-fridge-7", k_enc, k_mac);
  memset(&wrong, 0, sizeof(wrong));
  CHECK_RC(vigil_key_init(&wrong, 2, VIGIL_ALG_A256GCM, SECRET, "probe-fridge-7"), VIGIL_OK);
  vigil_header(h, sizeof(h), &h_len, e.dev, e.dev_len, VIGIL_CH_COMMANDS, e.seq, e.ts, e.kid, e.alg, e.n,
               e.n_len);
  vigil_key_mac(&wrong, (uint8_t *)h, h_len, (const uint8_t *)"|", 1, (uint8_t *)e.b, e.b_len, mac);
  vigil_b64u_encode(mac, 32, b64, sizeof(b64), &n);
  mac_at = strstr(env, "\"mac\":\"") + 7;
  memcpy(mac_at, b64, n);
  CHECK_RC(vigil_device_on_message(&dev, TOPIC, (uint8_t *)env, len), VIGIL_ERR_DECRYPT);
  /* its seq is spent: the same envelope again is a replay */
  CHECK_RC(vigil_device_on_message(&dev, TOPIC, (uint8_t *)env, len), VIGIL_ERR_REPLAY);
  vigil_key_free(&wrong);
  teardown();
}

static void test_interrupted_command_is_not_run_again(void) {
  char body[256];
  setup(VIGIL_ALG_A256GCM);
  snprintf(body, sizeof(body), "{\"id\":\"%s\",\"op\":\"set_interval\",\"args\":{\"seconds\":42}}", ID1);
  /* power fails right after the id was stored as started (writes: window, history) */
  mem_crash_after(&m, 2);
  send_cmd(body, 1, NOW);
  vigil_device_deinit(&dev);
  mem_crash_after(&m, -1);
  boot(VIGIL_ALG_A256GCM);
  CHECK(vigil_device_interval_ms(&dev) == 60000, "the op did not complete");
  CHECK_RC(send_cmd(body, 2, NOW), VIGIL_OK);
  CHECK(take_acks() == 1 && strstr(srv.last_body, "\"ok\":false") && strstr(srv.last_body, "\"duplicate\":true"),
        "answered as interrupted, not run again: %s", srv.last_body);
  CHECK(vigil_device_interval_ms(&dev) == 60000, "still not run");
  teardown();
}

int main(void) {
  test_set_interval_runs_once_and_is_acked();
  test_unknown_op_is_acked_with_ok_false();
  test_each_receiver_check_refuses();
  test_decrypt_failure_after_a_valid_mac();
  test_interrupted_command_is_not_run_again();
  return tk_done("test_commands");
}
