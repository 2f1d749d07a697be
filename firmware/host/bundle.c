#define _POSIX_C_SOURCE 200809L
#include "bundle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vigil/b64url.h"
#include "vigil/crypto.h"
#include "vigil/error.h"
#include "vigil/json_reader.h"

int broker_parse(const char *url, broker_t *out) {
  const char *p, *colon;
  size_t hl;
  long port = 8883;
  memset(out, 0, sizeof(*out));
  if (strlen(url) >= sizeof(out->url)) return -1;
  strcpy(out->url, url);
  /* TLS only: there is no plain-TCP listener (docs/protocol.md §1) */
  if (strncmp(url, "mqtts://", 8) != 0) return -1;
  p = url + 8;
  if (*p == '[') {
    const char *end = strchr(p, ']');
    if (!end) return -1;
    hl = (size_t)(end - p - 1);
    if (hl == 0 || hl >= sizeof(out->host)) return -1;
    memcpy(out->host, p + 1, hl);
    colon = end[1] == ':' ? end + 1 : NULL;
    if (!colon && end[1] != '\0' && end[1] != '/') return -1;
  } else {
    colon = strchr(p, ':');
    hl = colon ? (size_t)(colon - p) : strcspn(p, "/");
    if (hl == 0 || hl >= sizeof(out->host)) return -1;
    memcpy(out->host, p, hl);
  }
  if (colon) {
    char *end;
    port = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || (*end != '\0' && *end != '/') || port < 1 || port > 65535) return -1;
  }
  out->port = (int)port;
  return 0;
}

static char *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  char *buf;
  long n;
  if (!f) return NULL;
  if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || n > 65536 || fseek(f, 0, SEEK_SET) != 0) {
    fclose(f);
    return NULL;
  }
  buf = malloc((size_t)n + 1);
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  if (buf) buf[n] = '\0';
  *len = (size_t)n;
  return buf;
}

static const vigil_jtok_t *member(const char *text, const vigil_jtok_t *t, const char *key) {
  size_t i;
  for (i = 1; i < t[0].next; i = t[i + 1].next) {
    if (vigil_json_str_eq(text, &t[i], key)) return &t[i + 1];
  }
  return NULL;
}

static int str_member(const char *text, const vigil_jtok_t *t, const char *key, char *out, size_t cap) {
  const vigil_jtok_t *v = member(text, t, key);
  if (!v || v->type != VIGIL_JSON_STRING || vigil_json_str(text, v, out, cap, NULL, NULL) != VIGIL_OK) {
    fprintf(stderr, "device.json: \"%s\" missing or not a string\n", key);
    return -1;
  }
  return 0;
}

int bundle_load(const char *dir, bundle_t *b) {
  char path[4200], secret[64], alg[16], profile[32], url[300];
  vigil_jtok_t toks[64];
  const vigil_jtok_t *kid;
  size_t len, count, n;
  uint64_t k;
  char *text;
  int rc = -1;
  memset(b, 0, sizeof(*b));
  snprintf(path, sizeof(path), "%s/device.json", dir);
  if (!(text = read_all(path, &len))) {
    fprintf(stderr, "%s: cannot read it (is this a bundle written by `vigil device add`?)\n", path);
    return -1;
  }
  if (vigil_json_parse(text, len, toks, 64, &count) != VIGIL_OK || toks[0].type != VIGIL_JSON_OBJECT) {
    fprintf(stderr, "%s: not a JSON object\n", path);
    goto out;
  }
  if (str_member(text, toks, "id", b->id, sizeof(b->id)) || str_member(text, toks, "profile", profile, sizeof(profile)) ||
      str_member(text, toks, "secret", secret, sizeof(secret)) || str_member(text, toks, "alg", alg, sizeof(alg)) ||
      str_member(text, toks, "broker_url", url, sizeof(url)) ||
      str_member(text, toks, "topic_prefix", b->topic_prefix, sizeof(b->topic_prefix)))
    goto out;
  if (vigil_profile_parse(profile, &b->profile) != VIGIL_OK) {
    fprintf(stderr, "device.json: unknown profile \"%s\"\n", profile);
    goto out;
  }
  if (vigil_alg_parse(alg, strlen(alg), &b->alg) != VIGIL_OK) {
    fprintf(stderr, "device.json: unknown alg \"%s\"\n", alg);
    goto out;
  }
  kid = member(text, toks, "kid");
  if (!kid || vigil_json_uint(text, kid, 0x7fffffff, &k) != VIGIL_OK || k < 1) {
    fprintf(stderr, "device.json: kid must be an integer 1..2^31-1\n");
    goto out;
  }
  b->kid = (uint32_t)k;
  /* 43 characters of strict base64url = 32 bytes (docs/protocol.md §4) */
  if (strlen(secret) != 43 || vigil_b64u_decode(secret, 43, b->secret, sizeof(b->secret), &n) != VIGIL_OK ||
      n != 32) {
    fprintf(stderr, "device.json: secret must be 32 bytes of base64url\n");
    goto out;
  }
  /* an unusable broker_url only matters when no --broker replaces it (main.c checks) */
  b->nbrokers = broker_parse(url, &b->brokers[0]) == 0 ? 1 : 0;
  snprintf(b->ca_path, sizeof(b->ca_path), "%s/ca.crt", dir);
  snprintf(b->cert_path, sizeof(b->cert_path), "%s/device.crt", dir);
  snprintf(b->key_path, sizeof(b->key_path), "%s/device.key", dir);
  if (access(b->ca_path, R_OK) || access(b->cert_path, R_OK) || access(b->key_path, R_OK)) {
    fprintf(stderr, "%s: ca.crt, device.crt and device.key must be readable\n", dir);
    goto out;
  }
  rc = 0;
out:
  vigil_wipe(secret, sizeof(secret));
  vigil_wipe(text, len);
  free(text);
  if (rc != 0) vigil_wipe(b->secret, sizeof(b->secret));
  return rc;
}
