/*
 * Round trips against the TypeScript reference (src/protocol, driven by ts-peer.ts):
 *   C seals -> TypeScript opens and validates the body with the server's schemas;
 *   TypeScript seals -> C opens (and parses commands).
 * Every alg, every channel, every profile, edge values of seq, ts, kid and device id length.
 *
 * usage: test_ts_roundtrip <node> <ts-peer.ts>
 */
#include <stdlib.h>
#include <string.h>

#include "testkit.h"
#include "vigil/b64url.h"
#include "vigil/command.h"
#include "vigil/envelope.h"
#include "vigil/error.h"
#include "vigil/event.h"
#include "vigil/sample.h"

#define CASES 96
static uint64_t rng = 0x243f6a8885a308d3ull;

static uint64_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}
static double uniform(double lo, double hi) { return lo + (hi - lo) * (double)(rnd() % 1000001) / 1e6; }

typedef struct {
  char secret_hex[65];
  char dev[65];
  vigil_channel_t ch;
  vigil_profile_t profile;
  char body[8192];
  size_t body_len;
  uint64_t seq, ts;
  uint32_t kid;
  vigil_alg_t alg;
} rt_case_t;

static rt_case_t cases[CASES];

static void random_dev(char *out, int i) {
  static const char A[] = "abcdefghijklmnopqrstuvwxyz0123456789-";
  size_t n = i % 3 == 0 ? 3 : i % 3 == 1 ? 64 : 3 + rnd() % 60, k;
  out[0] = A[rnd() % 36];
  for (k = 1; k < n; k++) out[k] = A[rnd() % 37];
  out[n] = '\0';
}

static vigil_sample_t random_sample(vigil_profile_t p, uint64_t ts) {
  vigil_sample_t s;
  uint32_t allowed = vigil_profile_allowed(p), req = vigil_profile_required(p);
  memset(&s, 0, sizeof(s));
  s.ts = ts;
  s.present = req | (allowed & (uint32_t)rnd());
  s.temp_c = p == VIGIL_PROFILE_PATIENT_VITALS ? uniform(20, 46) : uniform(-100, 100);
  s.rh_pct = uniform(0, 100), s.lat = uniform(-90, 90), s.lon = uniform(-180, 180);
  s.bat_pct = uniform(0, 100), s.hr_bpm = uniform(0, 350), s.spo2_pct = uniform(0, 100);
  s.rr_bpm = uniform(0, 120), s.sbp_mmhg = uniform(0, 350);
  s.power = (vigil_power_t)(rnd() % 3), s.door_open = (int)(rnd() % 2), s.on_oxygen = (int)(rnd() % 2);
  s.rssi_dbm = -(int32_t)(rnd() % 151), s.consciousness = "ACVPU"[rnd() % 5];
  s.spo2_scale = 1 + (int)(rnd() % 2);
  return s;
}

static void body_for(rt_case_t *c, int i) {
  vigil_jw_t w;
  vigil_jw_init(&w, c->body, sizeof(c->body));
  if (c->ch == VIGIL_CH_TELEMETRY) {
    int n = i % 4 == 0 ? 40 : 1 + (int)(rnd() % 5), k;
    vigil_jw_object(&w);
    vigil_jw_key(&w, "samples");
    vigil_jw_array(&w);
    for (k = 0; k < n; k++) {
      vigil_sample_t s = random_sample(c->profile, c->ts - (uint64_t)k * 60000);
      CHECK_RC(vigil_sample_write(c->profile, &s, &w), VIGIL_OK);
    }
    vigil_jw_end(&w);
    vigil_jw_end(&w);
  } else if (c->ch == VIGIL_CH_EVENTS) {
    switch (i % 6) {
      case 0: CHECK_RC(vigil_event_dispatch(&w, c->ts, "B-20261122-9f3a0c21", "tok_EN-abcdef", "Zürich → Lagos"), VIGIL_OK); break;
      case 1: CHECK_RC(vigil_event_delivery(&w, 0, "B-1"), VIGIL_OK); break;
      case 2: CHECK_RC(vigil_event_door(&w, c->ts, 1), VIGIL_OK); break;
      case 3: CHECK_RC(vigil_event_power(&w, c->ts, VIGIL_POWER_BACKUP), VIGIL_OK); break;
      case 4: CHECK_RC(vigil_event_battery_low(&w, c->ts, 9.5), VIGIL_OK); break;
      default: CHECK_RC(vigil_event_cooling(&w, 0, "overcooling"), VIGIL_OK); break;
    }
  } else if (c->ch == VIGIL_CH_ACKS) {
    vigil_ack_t ack;
    size_t len;
    vigil_ack_init(&ack);
    if (i % 2) {
      vigil_ack_fail(&ack, "quotes \" backslash \\ tab \t ünïcode ☃ 😀 control \x01");
    } else {
      vigil_ack_result_int(&ack, "seconds", 60);
      vigil_ack_result_str(&ack, "note", "é\"\\");
      vigil_ack_result_bool(&ack, "duplicate", 0);
    }
    CHECK_RC(vigil_ack_write(&ack, "6f1c2f4e-8a4b-4e1a-9a57-0d6c1b7e2a10", c->body, sizeof(c->body), &len),
             VIGIL_OK);
    c->body_len = len;
    return;
  } else {
    vigil_jw_object(&w);
    vigil_jw_key(&w, "id");
    vigil_jw_cstr(&w, "0b8f6f0e-3c5d-4d7a-8e2b-1f0a9c8d7e6f");
    vigil_jw_key(&w, "op");
    vigil_jw_cstr(&w, "set_interval");
    vigil_jw_key(&w, "args");
    vigil_jw_object(&w);
    vigil_jw_key(&w, "seconds");
    vigil_jw_uint(&w, 60);
    vigil_jw_key(&w, "label");
    vigil_jw_cstr(&w, "é☃😀\"\\\n");
    vigil_jw_key(&w, "on");
    vigil_jw_bool(&w, 1);
    vigil_jw_key(&w, "nothing");
    vigil_jw_null(&w);
    vigil_jw_end(&w);
    vigil_jw_end(&w);
  }
  CHECK_RC(vigil_jw_finish(&w, &c->body_len), VIGIL_OK);
}

static void make_cases(void) {
  int i;
  for (i = 0; i < CASES; i++) {
    rt_case_t *c = &cases[i];
    uint8_t secret[32];
    char *hex;
    size_t k;
    for (k = 0; k < 32; k++) secret[k] = (uint8_t)rnd();
    hex = tk_to_hex(secret, 32);
    strcpy(c->secret_hex, hex);
    free(hex);
    random_dev(c->dev, i);
    c->alg = (vigil_alg_t)(i % 3);
    c->ch = (vigil_channel_t)((i / 3) % 4);
    c->profile = (vigil_profile_t)((i / 12) % 3);
    c->seq = i % 5 == 0 ? 0 : i % 5 == 1 ? VIGIL_MAX_SAFE_INT : rnd() % VIGIL_MAX_SAFE_INT;
    c->ts = 1795305600123ull + (uint64_t)i;
    c->kid = i % 4 == 0 ? 1 : i % 4 == 1 ? 2147483647u : 1 + (uint32_t)(rnd() % 1000);
    body_for(c, i);
  }
}

static void write_hex(FILE *f, const char *s, size_t n) {
  char *hex = tk_to_hex((const uint8_t *)s, n);
  fputs(hex, f);
  free(hex);
}

static void c_seals_ts_opens(const char *node, const char *peer, const char *dir) {
  char in[600], out[600];
  FILE *f;
  size_t n, i;
  char **lines;
  snprintf(in, sizeof(in), "%s/c-sealed.jsonl", dir);
  snprintf(out, sizeof(out), "%s/ts-opened.jsonl", dir);
  f = fopen(in, "w");
  for (i = 0; i < CASES; i++) {
    rt_case_t *c = &cases[i];
    uint8_t secret[32], nonce[16], *buf = malloc(c->body_len + 16);
    vigil_key_t key;
    vigil_seal_params_t p;
    char env[VIGIL_PROTOCOL_ENVELOPE_MAX];
    size_t len = 0, k;
    uint8_t *sec = tk_hex(c->secret_hex, NULL);
    memcpy(secret, sec, 32);
    free(sec);
    for (k = 0; k < 16; k++) nonce[k] = (uint8_t)rnd();
    memset(&key, 0, sizeof(key));
    CHECK_RC(vigil_key_init(&key, c->kid, c->alg, secret, c->dev), VIGIL_OK);
    memcpy(buf, c->body, c->body_len);
    p.dev = c->dev, p.channel = c->ch, p.seq = c->seq, p.ts = c->ts, p.nonce = nonce;
    CHECK_RC(vigil_envelope_seal(&key, &p, buf, c->body_len, c->body_len + 16, env, sizeof(env), &len),
             VIGIL_OK);
    fprintf(f, "{\"topic\":\"vigil/v1/devices/%s/%s\",\"secret_hex\":\"%s\",\"profile\":\"%s\",\"payload_hex\":\"",
            c->dev, vigil_channel_name(c->ch), c->secret_hex, vigil_profile_name(c->profile));
    write_hex(f, env, len);
    fputs("\"}\n", f);
    vigil_key_free(&key);
    free(buf);
  }
  fclose(f);
  CHECK(tk_run_peer(node, peer, "open", in, out) == 0, "ts-peer open ran");
  lines = tk_read_lines(out, &n);
  CHECK(n == CASES, "one answer per envelope (%zu)", n);
  for (i = 0; i < n && i < CASES; i++) {
    vigil_jtok_t toks[16];
    size_t count;
    char code[64], *body = malloc(strlen(lines[i]) + 1);
    long at;
    tk_json_t doc;
    doc.text = lines[i], doc.len = strlen(lines[i]), doc.toks = toks;
    CHECK_RC(vigil_json_parse(lines[i], doc.len, toks, 16, &count), VIGIL_OK);
    doc.count = count;
    at = tk_get(&doc, 0, "code");
    vigil_json_str(lines[i], &toks[at], code, sizeof(code), NULL, NULL);
    CHECK(strcmp(code, "OK") == 0, "case %zu (%s %s %s): TypeScript says %s", i, vigil_alg_name(cases[i].alg),
          vigil_channel_name(cases[i].ch), vigil_profile_name(cases[i].profile), code);
    at = tk_get(&doc, 0, "body");
    if (at > 0) {
      size_t blen;
      vigil_json_str(lines[i], &toks[at], body, strlen(lines[i]) + 1, &blen, NULL);
      CHECK(blen == cases[i].body_len && memcmp(body, cases[i].body, blen) == 0, "case %zu: body differs", i);
    }
    free(body);
    free(lines[i]);
  }
  free(lines);
}

static void ts_seals_c_opens(const char *node, const char *peer, const char *dir) {
  char in[600], out[600];
  FILE *f;
  size_t n, i;
  char **lines;
  snprintf(in, sizeof(in), "%s/ts-seal.jsonl", dir);
  snprintf(out, sizeof(out), "%s/ts-sealed.jsonl", dir);
  f = fopen(in, "w");
  for (i = 0; i < CASES; i++) {
    rt_case_t *c = &cases[i];
    char line[20000];
    vigil_jw_t w;
    size_t len;
    vigil_jw_init(&w, line, sizeof(line));
    vigil_jw_object(&w);
    vigil_jw_key(&w, "secret_hex"), vigil_jw_cstr(&w, c->secret_hex);
    vigil_jw_key(&w, "dev"), vigil_jw_cstr(&w, c->dev);
    vigil_jw_key(&w, "channel"), vigil_jw_cstr(&w, vigil_channel_name(c->ch));
    vigil_jw_key(&w, "seq"), vigil_jw_uint(&w, c->seq);
    vigil_jw_key(&w, "ts"), vigil_jw_uint(&w, c->ts);
    vigil_jw_key(&w, "kid"), vigil_jw_uint(&w, c->kid);
    vigil_jw_key(&w, "alg"), vigil_jw_cstr(&w, vigil_alg_name(c->alg));
    vigil_jw_key(&w, "body"), vigil_jw_string(&w, c->body, c->body_len);
    vigil_jw_end(&w);
    CHECK_RC(vigil_jw_finish(&w, &len), VIGIL_OK);
    fwrite(line, 1, len, f);
    fputc('\n', f);
  }
  fclose(f);
  CHECK(tk_run_peer(node, peer, "seal", in, out) == 0, "ts-peer seal ran");
  lines = tk_read_lines(out, &n);
  CHECK(n == CASES, "one envelope per request (%zu)", n);
  for (i = 0; i < n && i < CASES; i++) {
    vigil_jtok_t toks[8];
    size_t count, len;
    char *env = malloc(strlen(lines[i]) + 1), *body = NULL, topic_ch[16];
    size_t body_len = 0;
    CHECK_RC(vigil_json_parse(lines[i], strlen(lines[i]), toks, 8, &count), VIGIL_OK);
    vigil_json_str(lines[i], &toks[2], env, strlen(lines[i]) + 1, &len, NULL);
    strcpy(topic_ch, vigil_channel_name(cases[i].ch));
    CHECK_RC(tk_receive((uint8_t *)env, len, topic_ch, cases[i].secret_hex, &body, &body_len), VIGIL_OK);
    CHECK(body && body_len == cases[i].body_len && memcmp(body, cases[i].body, body_len) == 0,
          "case %zu: C opened a different body", i);
    if (body && cases[i].ch == VIGIL_CH_COMMANDS) {
      vigil_jtok_t ct[64];
      vigil_command_t cmd;
      int64_t secs = 0;
      char label[64];
      CHECK_RC(vigil_command_parse(body, body_len, ct, 64, &cmd), VIGIL_OK);
      CHECK_RC(vigil_command_arg_int(&cmd, "seconds", &secs), VIGIL_OK);
      CHECK_RC(vigil_command_arg_str(&cmd, "label", label, sizeof(label)), VIGIL_OK);
      CHECK(secs == 60 && strcmp(label, "é☃😀\"\\\n") == 0, "command args survive");
    }
    free(body);
    free(env);
    free(lines[i]);
  }
  free(lines);
}

int main(int argc, char **argv) {
  char *dir;
  if (argc < 3) {
    fprintf(stderr, "usage: test_ts_roundtrip <node> <ts-peer.ts>\n");
    return 2;
  }
  make_cases();
  dir = tk_tempdir();
  c_seals_ts_opens(argv[1], argv[2], dir);
  ts_seals_c_opens(argv[1], argv[2], dir);
  tk_rmdir(dir);
  free(dir);
  return tk_done("test_ts_roundtrip");
}
