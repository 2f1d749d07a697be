#include "vigil/envelope.h"

#include <string.h>

#include "vigil/b64url.h"
#include "vigil/error.h"
#include "vigil/json_writer.h"

static const char *const CHANNEL_NAMES[] = {"telemetry", "events", "acks", "commands"};

const char *vigil_channel_name(vigil_channel_t ch) {
  return (unsigned)ch < 4 ? CHANNEL_NAMES[ch] : "?";
}

int vigil_channel_parse(const char *name, size_t len, vigil_channel_t *out) {
  int i;
  for (i = 0; i < 4; i++) {
    if (strlen(CHANNEL_NAMES[i]) == len && memcmp(CHANNEL_NAMES[i], name, len) == 0) {
      *out = (vigil_channel_t)i;
      return VIGIL_OK;
    }
  }
  return VIGIL_E_ARG;
}

int vigil_device_id_valid(const char *id, size_t len) {
  size_t i;
  if (len < 3 || len > VIGIL_ID_MAX) return 0;
  for (i = 0; i < len; i++) {
    char c = id[i];
    int ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i > 0 && c == '-');
    if (!ok) return 0;
  }
  return 1;
}

/* The envelope and the header have a fixed layout: written with the JSON writer's raw appends,
 * which check room once and keep the first error. */
static void app_s(vigil_jw_t *o, const char *s) { vigil_jw_append(o, s, strlen(s)); }

int vigil_header(char *out, size_t cap, size_t *len, const char *dev, size_t dev_len,
                 vigil_channel_t ch, uint64_t seq, uint64_t ts, uint32_t kid, vigil_alg_t alg,
                 const char *n, size_t n_len) {
  vigil_jw_t o;
  vigil_jw_init(&o, out, cap);
  app_s(&o, "vigil1|");
  vigil_jw_append(&o, dev, dev_len);
  app_s(&o, "|");
  app_s(&o, vigil_channel_name(ch));
  app_s(&o, "|");
  vigil_jw_append_uint(&o, seq);
  app_s(&o, "|");
  vigil_jw_append_uint(&o, ts);
  app_s(&o, "|");
  vigil_jw_append_uint(&o, kid);
  app_s(&o, "|");
  app_s(&o, vigil_alg_name(alg));
  app_s(&o, "|");
  vigil_jw_append(&o, n, n_len);
  if (o.err) return o.err;
  *len = o.len;
  return VIGIL_OK;
}

size_t vigil_envelope_size_bound(size_t dev_len, vigil_alg_t alg, size_t body_len) {
  /* the fixed member text, 16-digit seq and ts, 10-digit kid, 8-char alg, 22-char n, 43-char mac */
  return 183 + dev_len + vigil_b64u_encoded_len(body_len + vigil_alg_tag_len(alg));
}

int vigil_envelope_seal(vigil_key_t *key, const vigil_seal_params_t *p, uint8_t *buf,
                        size_t body_len, size_t buf_cap, char *out, size_t out_cap,
                        size_t *out_len) {
  char n[24], h[VIGIL_HEADER_MAX];
  size_t n_len, h_len, dev_len, b_at, b_len, mac_len, sealed_len;
  uint8_t mac[VIGIL_MAC_BYTES];
  vigil_jw_t o;
  int rc;
  if (!key || !key->ready || !p || !p->dev || !p->nonce || !buf || !out) return VIGIL_E_ARG;
  dev_len = strlen(p->dev);
  if (!vigil_device_id_valid(p->dev, dev_len) || p->seq > VIGIL_MAX_SAFE_INT ||
      p->ts > VIGIL_MAX_SAFE_INT || (unsigned)p->channel > VIGIL_CH_COMMANDS)
    return VIGIL_E_ARG;
  sealed_len = body_len + vigil_alg_tag_len(key->alg);
  if (sealed_len > buf_cap) return VIGIL_E_NOSPACE;
  rc = vigil_b64u_encode(p->nonce, vigil_alg_nonce_len(key->alg), n, sizeof(n), &n_len);
  if (rc == VIGIL_OK)
    rc = vigil_header(h, sizeof(h), &h_len, p->dev, dev_len, p->channel, p->seq, p->ts, key->kid,
                      key->alg, n, n_len);
  if (rc != VIGIL_OK) return rc;
  /* §5: b = base64url(AEAD-Encrypt(K_enc, nonce, aad = H, body)) */
  rc = vigil_key_seal(key, p->nonce, (const uint8_t *)h, h_len, buf, body_len);
  if (rc != VIGIL_OK) return rc;

  vigil_jw_init(&o, out, out_cap);
  app_s(&o, "{\"v\":1,\"dev\":\"");
  vigil_jw_append(&o, p->dev, dev_len);
  app_s(&o, "\",\"seq\":");
  vigil_jw_append_uint(&o, p->seq);
  app_s(&o, ",\"ts\":");
  vigil_jw_append_uint(&o, p->ts);
  app_s(&o, ",\"kid\":");
  vigil_jw_append_uint(&o, key->kid);
  app_s(&o, ",\"alg\":\"");
  app_s(&o, vigil_alg_name(key->alg));
  app_s(&o, "\",\"n\":\"");
  vigil_jw_append(&o, n, n_len);
  app_s(&o, "\",\"b\":\"");
  if (o.err) return o.err;
  b_at = o.len;
  rc = vigil_b64u_encode(buf, sealed_len, out + b_at, out_cap - b_at, &b_len);
  if (rc != VIGIL_OK) return rc;
  o.len += b_len;
  /* §5: mac = base64url(HMAC-SHA256(K_mac, H + "|" + b)) */
  rc = vigil_key_mac(key, (const uint8_t *)h, h_len, (const uint8_t *)"|", 1,
                     (const uint8_t *)out + b_at, b_len, mac);
  if (rc != VIGIL_OK) return rc;
  app_s(&o, "\",\"mac\":\"");
  if (o.err) return o.err;
  rc = vigil_b64u_encode(mac, sizeof(mac), out + o.len, out_cap - o.len, &mac_len);
  if (rc != VIGIL_OK) return rc;
  o.len += mac_len;
  app_s(&o, "\"}");
  if (o.err) return o.err;
  *out_len = o.len;
  return VIGIL_OK;
}

#define SCHEMA VIGIL_ERR_ENVELOPE_SCHEMA

enum { F_V, F_DEV, F_SEQ, F_TS, F_KID, F_ALG, F_N, F_B, F_MAC, F_COUNT };
static const char *const FIELD_NAMES[F_COUNT] = {"v", "dev", "seq", "ts", "kid",
                                                 "alg", "n", "b", "mac"};

static int field_of(const char *text, const vigil_jtok_t *key) {
  int f;
  for (f = 0; f < F_COUNT; f++) {
    if (vigil_json_str_eq(text, key, FIELD_NAMES[f])) return f;
  }
  return -1;
}

/* Decodes a STRING token into buf (NUL-terminated). Schema error when it is not a string or
 * does not fit. */
static int str_field(const char *text, const vigil_jtok_t *t, char *buf, size_t cap, size_t *len) {
  if (t->type != VIGIL_JSON_STRING) return VIGIL_ERR_ENVELOPE_SCHEMA;
  return vigil_json_str(text, t, buf, cap, len, NULL) == VIGIL_OK ? VIGIL_OK
                                                                  : VIGIL_ERR_ENVELOPE_SCHEMA;
}

int vigil_envelope_parse(const uint8_t *payload, size_t len, vigil_jtok_t *toks, size_t ntoks,
                         char *work, size_t work_cap, vigil_envelope_t *env) {
  const char *text = (const char *)payload;
  size_t count, i, tok_at[F_COUNT];
  int seen[F_COUNT] = {0};
  char alg[12];
  size_t alg_len, mac_len;
  uint64_t u;
  if (!payload || !toks || !env || !work) return VIGIL_E_ARG;
  if (len > VIGIL_PROTOCOL_ENVELOPE_MAX) return VIGIL_ERR_ENVELOPE_SIZE;
  memset(env, 0, sizeof(*env));
  /* A leading UTF-8 BOM is refused, as by the server: senders MUST NOT add one (RFC 8259 §8.1,
   * docs/protocol.md §5 strict JSON). */
  if (len >= 3 && payload[0] == 0xef && payload[1] == 0xbb && payload[2] == 0xbf) return SCHEMA;
  if (vigil_json_parse(text, len, toks, ntoks, &count) != VIGIL_OK) return SCHEMA;
  if (toks[0].type != VIGIL_JSON_OBJECT) return SCHEMA;
  /* exactly the nine members, each once, in any order */
  for (i = 1; i < count; i = toks[i + 1].next) {
    int f = field_of(text, &toks[i]);
    if (f < 0 || seen[f]) return SCHEMA;
    seen[f] = 1;
    tok_at[f] = i + 1;
  }
  for (i = 0; i < F_COUNT; i++) {
    if (!seen[i]) return SCHEMA;
  }
  if (vigil_json_uint(text, &toks[tok_at[F_V]], 1, &u) != VIGIL_OK || u != 1) return SCHEMA;
  if (str_field(text, &toks[tok_at[F_DEV]], env->dev, sizeof(env->dev), &env->dev_len) != VIGIL_OK ||
      !vigil_device_id_valid(env->dev, env->dev_len))
    return SCHEMA;
  if (vigil_json_uint(text, &toks[tok_at[F_SEQ]], VIGIL_MAX_SAFE_INT, &env->seq) != VIGIL_OK)
    return SCHEMA;
  if (vigil_json_uint(text, &toks[tok_at[F_TS]], VIGIL_MAX_SAFE_INT, &env->ts) != VIGIL_OK)
    return SCHEMA;
  if (vigil_json_uint(text, &toks[tok_at[F_KID]], VIGIL_MAX_KID, &u) != VIGIL_OK || u < 1)
    return SCHEMA;
  env->kid = (uint32_t)u;
  if (str_field(text, &toks[tok_at[F_ALG]], alg, sizeof(alg), &alg_len) != VIGIL_OK ||
      vigil_alg_parse(alg, alg_len, &env->alg) != VIGIL_OK)
    return SCHEMA;
  if (str_field(text, &toks[tok_at[F_N]], env->n, sizeof(env->n), &env->n_len) != VIGIL_OK ||
      vigil_b64u_decode(env->n, env->n_len, env->nonce, sizeof(env->nonce), &env->nonce_len) !=
          VIGIL_OK ||
      env->nonce_len != vigil_alg_nonce_len(env->alg))
    return SCHEMA;
  if (str_field(text, &toks[tok_at[F_B]], work, work_cap, &env->b_len) != VIGIL_OK ||
      vigil_b64u_check(work, env->b_len, NULL) != VIGIL_OK)
    return SCHEMA;
  env->b = work;
  {
    char mac[48];
    size_t mac_text;
    if (str_field(text, &toks[tok_at[F_MAC]], mac, sizeof(mac), &mac_text) != VIGIL_OK ||
        mac_text != 43 ||
        vigil_b64u_decode(mac, mac_text, env->mac, sizeof(env->mac), &mac_len) != VIGIL_OK)
      return SCHEMA;
  }
  return VIGIL_OK;
}

int vigil_envelope_verify(vigil_key_t *key, const vigil_envelope_t *env, vigil_channel_t ch) {
  char h[VIGIL_HEADER_MAX];
  size_t h_len;
  uint8_t mac[VIGIL_MAC_BYTES];
  int rc, ok;
  if (!key || !env || !env->b) return VIGIL_E_ARG;
  rc = vigil_header(h, sizeof(h), &h_len, env->dev, env->dev_len, ch, env->seq, env->ts, env->kid,
                    env->alg, env->n, env->n_len);
  if (rc != VIGIL_OK) return rc;
  rc = vigil_key_mac(key, (const uint8_t *)h, h_len, (const uint8_t *)"|", 1,
                     (const uint8_t *)env->b, env->b_len, mac);
  if (rc != VIGIL_OK) return rc;
  ok = vigil_ct_equal(mac, env->mac, sizeof(mac));
  vigil_wipe(mac, sizeof(mac));
  return ok ? VIGIL_OK : VIGIL_ERR_MAC_INVALID;
}

int vigil_envelope_decrypt(vigil_key_t *key, vigil_envelope_t *env, vigil_channel_t ch,
                           uint8_t **body, size_t *body_len) {
  char h[VIGIL_HEADER_MAX];
  size_t h_len, n;
  uint8_t *data;
  int rc;
  if (!key || !env || !env->b || !body || !body_len) return VIGIL_E_ARG;
  if (key->alg != env->alg) return VIGIL_ERR_ALG_MISMATCH;
  rc = vigil_header(h, sizeof(h), &h_len, env->dev, env->dev_len, ch, env->seq, env->ts, env->kid,
                    env->alg, env->n, env->n_len);
  if (rc != VIGIL_OK) return rc;
  data = (uint8_t *)env->b;
  if (vigil_b64u_decode(env->b, env->b_len, data, env->b_len, &n) != VIGIL_OK)
    return VIGIL_ERR_DECRYPT;
  env->b = NULL; /* the text is gone: decoded in place */
  if (n < vigil_alg_tag_len(env->alg)) return VIGIL_ERR_DECRYPT;
  rc = vigil_key_open(key, env->nonce, (const uint8_t *)h, h_len, data, n);
  if (rc != VIGIL_OK) return rc;
  *body = data;
  *body_len = n - vigil_alg_tag_len(env->alg);
  return VIGIL_OK;
}
