#include "vigil/b64url.h"

#include "vigil/error.h"

static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Value of one base64url character, or -1. Branches only on the character class, not a table,
 * so no 256-byte table is needed in flash. */
static int value_of(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

size_t vigil_b64u_encoded_len(size_t n) { return (n / 3) * 4 + (n % 3 == 0 ? 0 : n % 3 + 1); }

int vigil_b64u_encode(const uint8_t *in, size_t n, char *out, size_t cap, size_t *out_len) {
  size_t need = vigil_b64u_encoded_len(n);
  size_t i = 0, o = 0;
  if (need > cap) return VIGIL_E_NOSPACE;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8) | in[i + 2];
    out[o++] = ALPHABET[(v >> 18) & 63];
    out[o++] = ALPHABET[(v >> 12) & 63];
    out[o++] = ALPHABET[(v >> 6) & 63];
    out[o++] = ALPHABET[v & 63];
  }
  if (n - i == 1) {
    uint32_t v = (uint32_t)in[i] << 16;
    out[o++] = ALPHABET[(v >> 18) & 63];
    out[o++] = ALPHABET[(v >> 12) & 63];
  } else if (n - i == 2) {
    uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8);
    out[o++] = ALPHABET[(v >> 18) & 63];
    out[o++] = ALPHABET[(v >> 12) & 63];
    out[o++] = ALPHABET[(v >> 6) & 63];
  }
  if (out_len) *out_len = o;
  return VIGIL_OK;
}

int vigil_b64u_check(const char *text, size_t len, size_t *decoded_len) {
  size_t i;
  int last;
  if (len % 4 == 1) return VIGIL_E_ARG;
  for (i = 0; i < len; i++) {
    if (value_of((unsigned char)text[i]) < 0) return VIGIL_E_ARG;
  }
  if (len > 0) {
    /* Canonical: a 2-char tail carries 8 bits (4 spare), a 3-char tail 16 bits (2 spare). */
    last = value_of((unsigned char)text[len - 1]);
    if (len % 4 == 2 && (last & 0x0f) != 0) return VIGIL_E_ARG;
    if (len % 4 == 3 && (last & 0x03) != 0) return VIGIL_E_ARG;
  }
  if (decoded_len) *decoded_len = (len / 4) * 3 + (len % 4 == 0 ? 0 : len % 4 - 1);
  return VIGIL_OK;
}

int vigil_b64u_decode(const char *text, size_t len, uint8_t *out, size_t cap, size_t *out_len) {
  size_t n, i = 0, o = 0;
  int rc = vigil_b64u_check(text, len, &n);
  if (rc != VIGIL_OK) return rc;
  if (n > cap) return VIGIL_E_NOSPACE;
  for (; i + 4 <= len; i += 4) {
    uint32_t v = ((uint32_t)value_of((unsigned char)text[i]) << 18) |
                 ((uint32_t)value_of((unsigned char)text[i + 1]) << 12) |
                 ((uint32_t)value_of((unsigned char)text[i + 2]) << 6) |
                 (uint32_t)value_of((unsigned char)text[i + 3]);
    out[o++] = (uint8_t)(v >> 16);
    out[o++] = (uint8_t)(v >> 8);
    out[o++] = (uint8_t)v;
  }
  if (len - i >= 2) {
    uint32_t v = ((uint32_t)value_of((unsigned char)text[i]) << 18) |
                 ((uint32_t)value_of((unsigned char)text[i + 1]) << 12);
    if (len - i == 3) v |= (uint32_t)value_of((unsigned char)text[i + 2]) << 6;
    out[o++] = (uint8_t)(v >> 16);
    if (len - i == 3) out[o++] = (uint8_t)(v >> 8);
  }
  if (out_len) *out_len = o;
  return VIGIL_OK;
}
