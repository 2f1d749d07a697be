#define _POSIX_C_SOURCE 200809L
#include "testkit.h"

#include <stdlib.h>
#include <string.h>

#include "vigil/error.h"

int tk_failures = 0;
int tk_checks = 0;

int tk_done(const char *name) {
  printf("%s: %d checks, %d failures\n", name, tk_checks, tk_failures);
  return tk_failures == 0 ? 0 : 1;
}

char *tk_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  char *buf;
  long n;
  if (!f) {
    fprintf(stderr, "cannot open %s\n", path);
    exit(2);
  }
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  fseek(f, 0, SEEK_SET);
  buf = malloc((size_t)n + 1);
  if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
    fprintf(stderr, "cannot read %s\n", path);
    exit(2);
  }
  fclose(f);
  buf[n] = '\0';
  if (len) *len = (size_t)n;
  return buf;
}

static int nib(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

uint8_t *tk_hex(const char *hex, size_t *len) {
  size_t n = strlen(hex) / 2, i;
  uint8_t *out = malloc(n + 1);
  for (i = 0; i < n; i++) out[i] = (uint8_t)(nib(hex[2 * i]) << 4 | nib(hex[2 * i + 1]));
  if (len) *len = n;
  return out;
}

char *tk_to_hex(const uint8_t *b, size_t n) {
  static const char H[] = "0123456789abcdef";
  char *s = malloc(2 * n + 1);
  size_t i;
  for (i = 0; i < n; i++) {
    s[2 * i] = H[b[i] >> 4];
    s[2 * i + 1] = H[b[i] & 15];
  }
  s[2 * n] = '\0';
  return s;
}

void tk_json_load(tk_json_t *doc, const char *path) {
  size_t cap = 1u << 18;
  int rc;
  doc->text = tk_read_file(path, &doc->len);
  doc->toks = malloc(cap * sizeof(vigil_jtok_t));
  rc = vigil_json_parse(doc->text, doc->len, doc->toks, cap, &doc->count);
  if (rc != VIGIL_OK) {
    fprintf(stderr, "%s: %s\n", path, vigil_strerror(rc));
    exit(2);
  }
}

void tk_json_free(tk_json_t *doc) {
  free(doc->text);
  free(doc->toks);
}

long tk_get(const tk_json_t *doc, size_t obj, const char *key) {
  size_t i;
  if (doc->toks[obj].type != VIGIL_JSON_OBJECT) return -1;
  for (i = obj + 1; i < doc->toks[obj].next; i = doc->toks[i + 1].next) {
    if (vigil_json_str_eq(doc->text, &doc->toks[i], key)) return (long)(i + 1);
  }
  return -1;
}

char *tk_get_str(const tk_json_t *doc, size_t obj, const char *key) {
  long i = tk_get(doc, obj, key);
  size_t cap;
  char *out;
  if (i < 0 || doc->toks[i].type != VIGIL_JSON_STRING) return NULL;
  cap = doc->toks[i].end - doc->toks[i].start + 1;
  out = malloc(cap);
  if (vigil_json_str(doc->text, &doc->toks[i], out, cap, NULL, NULL) != VIGIL_OK) {
    free(out);
    return NULL;
  }
  return out;
}

uint64_t tk_get_u64(const tk_json_t *doc, size_t obj, const char *key) {
  long i = tk_get(doc, obj, key);
  uint64_t v;
  if (i < 0 || vigil_json_uint(doc->text, &doc->toks[i], UINT64_MAX, &v) != VIGIL_OK) {
    fprintf(stderr, "missing integer member %s\n", key);
    exit(2);
  }
  return v;
}

#include <dirent.h>
#include <unistd.h>

#include "vigil/envelope.h"

int tk_receive(const uint8_t *payload, size_t len, const char *channel, const char *secret_hex,
               char **body_out, size_t *body_len) {
  vigil_jtok_t toks[64];
  char *work = malloc(len + 1);
  vigil_envelope_t env;
  vigil_key_t key;
  vigil_channel_t ch;
  uint8_t *secret, *body;
  size_t n = 0;
  int rc = vigil_envelope_parse(payload, len, toks, 64, work, len + 1, &env);
  *body_out = NULL;
  if (rc != VIGIL_OK) {
    free(work);
    return rc;
  }
  secret = tk_hex(secret_hex, NULL);
  if (vigil_channel_parse(channel, strlen(channel), &ch) != VIGIL_OK) ch = VIGIL_CH_TELEMETRY;
  memset(&key, 0, sizeof(key));
  rc = vigil_key_init(&key, env.kid, env.alg, secret, env.dev);
  if (rc == VIGIL_OK) rc = vigil_envelope_verify(&key, &env, ch);
  if (rc == VIGIL_OK) rc = vigil_envelope_decrypt(&key, &env, ch, &body, &n);
  if (rc == VIGIL_OK) {
    *body_out = malloc(n + 1);
    memcpy(*body_out, body, n);
    (*body_out)[n] = '\0';
    if (body_len) *body_len = n;
  }
  vigil_key_free(&key);
  free(secret);
  free(work);
  return rc;
}

char **tk_read_lines(const char *path, size_t *n) {
  size_t len, cap = 16, count = 0;
  char *text = tk_read_file(path, &len), *p = text;
  char **lines = malloc(cap * sizeof(char *));
  while (*p) {
    char *nl = strchr(p, '\n');
    size_t k = nl ? (size_t)(nl - p) : strlen(p);
    if (count == cap) lines = realloc(lines, (cap *= 2) * sizeof(char *));
    lines[count] = malloc(k + 1);
    memcpy(lines[count], p, k);
    lines[count++][k] = '\0';
    p += k + (nl ? 1 : 0);
  }
  free(text);
  *n = count;
  return lines;
}

char *tk_tempdir(void) {
  const char *base = getenv("TMPDIR");
  char *path = malloc(512);
  snprintf(path, 512, "%s/vigil-fw-XXXXXX", base && *base ? base : "/tmp");
  if (!mkdtemp(path)) {
    fprintf(stderr, "mkdtemp failed\n");
    exit(2);
  }
  return path;
}

void tk_rmdir(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *e;
  char path[1024];
  if (!d) return;
  while ((e = readdir(d))) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
    unlink(path);
  }
  closedir(d);
  rmdir(dir);
}

int tk_run_peer(const char *node, const char *peer, const char *mode, const char *in, const char *out) {
  char cmd[4096];
  snprintf(cmd, sizeof(cmd), "'%s' '%s' %s '%s' '%s'", node, peer, mode, in, out);
  return system(cmd);
}
