/*
 * Differential test against the TypeScript receiver: thousands of altered envelopes (every byte
 * position of a vector replaced in several ways, plus hand-made edge cases) are judged by the C
 * core and by src/protocol (ts-peer.ts judge); both must give the same outcome. A deliberate
 * difference would be listed with both expected outcomes (want_c, want_ts), so a change on either
 * side shows up here; since both read strict JSON (docs/protocol.md §5) there is none.
 *
 * usage: test_ts_differential <node> <ts-peer.ts> <envelope-v1.json>
 */
#include <stdlib.h>
#include <string.h>

#include "testkit.h"
#include "vigil/error.h"

typedef struct {
  char *payload;
  size_t len;
  const char *channel;
  const char *secret_hex;
  const char *name;   /* hand-made cases */
  const char *want_c; /* when set: the expected C outcome differs from TypeScript's */
  const char *want_ts;
} dcase_t;

static dcase_t *cases;
static size_t ncases, capc;
/* strings the cases point to, freed at the end */
static char *owned[64];
static size_t nowned;

static char *own(char *s) {
  if (nowned < 64) owned[nowned++] = s;
  return s;
}

static void add(const char *p, size_t len, const char *channel, const char *secret, const char *name,
                const char *want_c, const char *want_ts) {
  dcase_t *c;
  if (ncases == capc) cases = realloc(cases, (capc = capc ? capc * 2 : 1024) * sizeof(dcase_t));
  c = &cases[ncases++];
  c->payload = malloc(len + 1);
  memcpy(c->payload, p, len);
  c->payload[len] = '\0';
  c->len = len;
  c->channel = channel;
  c->secret_hex = secret;
  c->name = name;
  c->want_c = want_c;
  c->want_ts = want_ts;
}

/* envelope text with the first occurrence of `from` replaced by `to` */
static void add_edit(const char *env, const char *from, const char *to, const char *secret, const char *name,
                     const char *want_c, const char *want_ts) {
  const char *at = strstr(env, from);
  size_t n = strlen(env) + strlen(to) + 1, head;
  char *buf = malloc(n);
  if (!at) {
    CHECK(0, "edit %s: %s not found", name, from);
    free(buf);
    return;
  }
  head = (size_t)(at - env);
  memcpy(buf, env, head);
  strcpy(buf + head, to);
  strcat(buf, at + strlen(from));
  add(buf, strlen(buf), "telemetry", secret, name, want_c, want_ts);
  free(buf);
}

static void handmade(const char *env, const char *secret, const char *env0, const char *secret0) {
  char buf[20000];
  /* the same on both sides */
  snprintf(buf, sizeof(buf), "\xef\xbb\xbf%s", env);
  add(buf, strlen(buf), "telemetry", secret, "utf-8 BOM", NULL, NULL);
  snprintf(buf, sizeof(buf), " \t\r\n%s\n ", env);
  add(buf, strlen(buf), "telemetry", secret, "whitespace around", NULL, NULL);
  add_edit(env, "{\"v\":1", "{ \"v\" : 1 ", secret, "whitespace inside", NULL, NULL);
  add_edit(env, "\"v\":1", "\"\\u0076\":1", secret, "escaped member name", NULL, NULL);
  add_edit(env, "truck-0042", "truck\\u002d0042", secret, "escaped dev", NULL, NULL);
  add_edit(env, "truck-0042", "\\ud800", secret, "lone surrogate", NULL, NULL);
  add_edit(env, "\"kid\":1", "\"kid\":0", secret, "kid 0", NULL, NULL);
  add_edit(env, "\"kid\":1", "\"kid\":2147483648", secret, "kid 2^31", NULL, NULL);
  add_edit(env, "\"seq\":1842", "\"seq\":9007199254740992", secret, "seq 2^53", NULL, NULL);
  add_edit(env, "\"seq\":1842", "\"seq\":-1842", secret, "negative seq", NULL, NULL);
  add_edit(env, "\"v\":1", "\"v\":true", secret, "v true", NULL, NULL);
  add_edit(env, "A256GCM", "a256gcm", secret, "alg case", NULL, NULL);
  add_edit(env, "\"v\":1,", "", secret, "missing v", NULL, NULL);
  add_edit(env, "\"v\":1,", "\"v\":1,\"x\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]],", secret, "deep unknown", NULL,
           NULL);
  add_edit(env, "\"mac\":\"", "\"mac\":\"A", secret, "mac 44 chars", NULL, NULL);
  add_edit(env, "EBESExQVFhcYGRob", "EBESExQVFhcYGRo", secret, "n non-canonical length", NULL, NULL);
  add_edit(env, "EBESExQVFhcYGRob", "EBESExQVFhcYGRob==", secret, "n padded", NULL, NULL);
  add_edit(env, "oz7o", "oz7o\xff", secret, "invalid UTF-8 in b", NULL, NULL);
  add_edit(env, "oz7o", "oz+o", secret, "base64 (not url) in b", NULL, NULL);
  snprintf(buf, sizeof(buf), "[%s]", env);
  add(buf, strlen(buf), "telemetry", secret, "array", NULL, NULL);
  snprintf(buf, sizeof(buf), "%sx", env);
  add(buf, strlen(buf), "telemetry", secret, "trailing garbage", NULL, NULL);
  {
    char *big = malloc(16400);
    size_t n = strlen(env);
    memcpy(big, env, n);
    memset(big + n, ' ', 16385 - n);
    add(big, 16385, "telemetry", secret, "16385 bytes", NULL, NULL);
    free(big);
  }
  /* strict JSON (docs/protocol.md §5): integers in plain decimal, each member once */
  add_edit(env, "\"v\":1", "\"v\":1.0", secret, "v written 1.0", NULL, NULL);
  add_edit(env, "\"seq\":1842", "\"seq\":1842.0", secret, "seq written 1842.0", NULL, NULL);
  add_edit(env, "\"seq\":1842", "\"seq\":1.842e3", secret, "seq written 1.842e3", NULL, NULL);
  add_edit(env, "\"seq\":1842", "\"seq\":5,\"seq\":1842", secret, "repeated member", NULL, NULL);
  add_edit(env0, "\"seq\":0", "\"seq\":-0", secret0, "seq written -0", NULL, NULL);
}

static void mutations(const char *env, const char *secret) {
  static const unsigned char SUBS[] = {' ', '"', '\\', '0', 'A', '-', '{', 0x80, 0xc3};
  size_t n = strlen(env), i, k;
  char *buf = malloc(n + 1);
  for (i = 0; i < n; i++) {
    for (k = 0; k < sizeof(SUBS) + 1; k++) {
      memcpy(buf, env, n + 1);
      buf[i] = k < sizeof(SUBS) ? (char)SUBS[k] : (char)(buf[i] ^ 0x01);
      if (buf[i] == env[i]) continue;
      add(buf, n, "telemetry", secret, NULL, NULL, NULL);
    }
    /* and truncated at every length */
    add(env, i, "telemetry", secret, NULL, NULL, NULL);
  }
  free(buf);
}

int main(int argc, char **argv) {
  tk_json_t doc;
  long vectors;
  size_t i, n, diverged = 0;
  char *dir, in[600], out[600], **lines;
  char *env = NULL, *secret = NULL, *env0 = NULL, *secret0 = NULL;
  FILE *f;
  if (argc < 4) {
    fprintf(stderr, "usage: test_ts_differential <node> <ts-peer.ts> <envelope-v1.json>\n");
    return 2;
  }
  tk_json_load(&doc, argv[3]);
  vectors = tk_get(&doc, 0, "vectors");
  for (i = TK_FIRST(&doc, vectors); i < TK_END(&doc, vectors); i = TK_NEXT(&doc, i)) {
    char *name = tk_get_str(&doc, i, "name");
    if (strcmp(name, "a256gcm-telemetry") == 0) {
      env = own(tk_get_str(&doc, i, "envelope_json"));
      secret = own(tk_get_str(&doc, i, "secret_hex"));
    } else if (tk_get_u64(&doc, i, "seq") == 0 && !env0) {
      env0 = own(tk_get_str(&doc, i, "envelope_json"));
      secret0 = own(tk_get_str(&doc, i, "secret_hex"));
    } else {
      char *e = tk_get_str(&doc, i, "envelope_json"), *s = own(tk_get_str(&doc, i, "secret_hex"));
      char *ch = own(tk_get_str(&doc, i, "channel"));
      add(e, strlen(e), ch, s, NULL, NULL, NULL);
      free(e); /* the channel and secret strings stay alive for the cases */
    }
    free(name);
  }
  CHECK(env && env0, "the vectors a256gcm-telemetry and a seq-0 vector exist");
  if (!env || !env0) return tk_done("test_ts_differential");
  handmade(env, secret, env0, secret0);
  mutations(env, secret);

  dir = tk_tempdir();
  snprintf(in, sizeof(in), "%s/judge.jsonl", dir);
  snprintf(out, sizeof(out), "%s/judged.jsonl", dir);
  f = fopen(in, "w");
  for (i = 0; i < ncases; i++) {
    char *hex = tk_to_hex((uint8_t *)cases[i].payload, cases[i].len);
    fprintf(f, "{\"channel\":\"%s\",\"secret_hex\":\"%s\",\"payload_hex\":\"%s\"}\n", cases[i].channel,
            cases[i].secret_hex, hex);
    free(hex);
  }
  fclose(f);
  CHECK(tk_run_peer(argv[1], argv[2], "judge", in, out) == 0, "ts-peer judge ran");
  lines = tk_read_lines(out, &n);
  CHECK(n == ncases, "one verdict per case (%zu of %zu)", n, ncases);
  for (i = 0; i < n && i < ncases; i++) {
    dcase_t *c = &cases[i];
    char *body = NULL, ts_code[64];
    const char *c_code;
    const char *q = strstr(lines[i], "\"code\":\"");
    int rc = tk_receive((uint8_t *)c->payload, c->len, c->channel, c->secret_hex, &body, NULL);
    c_code = rc == VIGIL_OK ? "OK" : vigil_strerror(rc);
    snprintf(ts_code, sizeof(ts_code), "%.*s", q ? (int)strcspn(q + 8, "\"") : 0, q ? q + 8 : "");
    if (c->want_c) {
      diverged++;
      CHECK(strcmp(c_code, c->want_c) == 0 && strcmp(ts_code, c->want_ts) == 0,
            "%s: C %s (want %s), TypeScript %s (want %s)", c->name, c_code, c->want_c, ts_code, c->want_ts);
    } else {
      CHECK(strcmp(c_code, ts_code) == 0, "case %zu %s: C says %s, TypeScript says %s: %.80s", i,
            c->name ? c->name : "(mutation)", c_code, ts_code, c->payload);
    }
    free(body);
    free(lines[i]);
  }
  printf("cases judged by both: %zu (of which %zu are known, deliberate differences)\n", n, diverged);
  free(lines);
  tk_rmdir(dir);
  free(dir);
  for (i = 0; i < ncases; i++) free(cases[i].payload);
  free(cases);
  for (i = 0; i < nowned; i++) free(owned[i]);
  tk_json_free(&doc);
  return tk_done("test_ts_differential");
}
