/* Every vector of test/vectors/envelope-v1.json, valid and invalid, as docs/protocol.md §10
 * describes: key derivation, sender (byte for byte) and receiver (same refusal reason). */
#include <stdlib.h>
#include <string.h>

#include "testkit.h"
#include "vigil/b64url.h"
#include "vigil/envelope.h"
#include "vigil/error.h"

static int receive(const char *json, size_t len, const char *channel, const char *secret_hex,
                   char **body_out) {
  return tk_receive((const uint8_t *)json, len, channel, secret_hex, body_out, NULL);
}

static void check_valid(const tk_json_t *doc, size_t v) {
  char *name = tk_get_str(doc, v, "name"), *dev = tk_get_str(doc, v, "device_id");
  char *secret_hex = tk_get_str(doc, v, "secret_hex"), *alg_s = tk_get_str(doc, v, "alg");
  char *channel = tk_get_str(doc, v, "channel"), *nonce_hex = tk_get_str(doc, v, "nonce_hex");
  char *body = tk_get_str(doc, v, "body"), *header = tk_get_str(doc, v, "header");
  char *b_hex = tk_get_str(doc, v, "b_hex"), *mac_input = tk_get_str(doc, v, "mac_input");
  char *mac_hex = tk_get_str(doc, v, "mac_hex"), *want_json = tk_get_str(doc, v, "envelope_json");
  char *k_enc_hex = tk_get_str(doc, v, "k_enc_hex"), *k_mac_hex = tk_get_str(doc, v, "k_mac_hex");
  uint64_t seq = tk_get_u64(doc, v, "seq"), ts = tk_get_u64(doc, v, "ts");
  uint32_t kid = (uint32_t)tk_get_u64(doc, v, "kid");
  uint8_t *secret = tk_hex(secret_hex, NULL), *nonce = tk_hex(nonce_hex, NULL);
  uint8_t k_enc[32], k_mac[32];
  vigil_alg_t alg;
  vigil_channel_t ch;
  vigil_key_t key;
  size_t body_len = strlen(body), out_len, h_len;
  uint8_t *buf = malloc(body_len + 16);
  char out[4096], h[VIGIL_HEADER_MAX + 1], *opened = NULL, *hex;
  int rc;

  CHECK(vigil_alg_parse(alg_s, strlen(alg_s), &alg) == VIGIL_OK, "%s: alg", name);
  CHECK(vigil_channel_parse(channel, strlen(channel), &ch) == VIGIL_OK, "%s: channel", name);
  /* key derivation */
  CHECK_RC(vigil_derive_keys(secret, dev, k_enc, k_mac), VIGIL_OK);
  hex = tk_to_hex(k_enc, 32);
  CHECK(strcmp(hex, k_enc_hex) == 0, "%s: K_enc %s", name, hex);
  free(hex);
  hex = tk_to_hex(k_mac, 32);
  CHECK(strcmp(hex, k_mac_hex) == 0, "%s: K_mac %s", name, hex);
  free(hex);
  /* sender */
  memset(&key, 0, sizeof(key));
  CHECK_RC(vigil_key_init(&key, kid, alg, secret, dev), VIGIL_OK);
  {
    char n[24];
    size_t n_len;
    vigil_b64u_encode(nonce, vigil_alg_nonce_len(alg), n, sizeof(n), &n_len);
    CHECK_RC(vigil_header(h, sizeof(h), &h_len, dev, strlen(dev), ch, seq, ts, kid, alg, n, n_len),
             VIGIL_OK);
    h[h_len] = '\0';
    CHECK(strcmp(h, header) == 0, "%s: header %s", name, h);
  }
  memcpy(buf, body, body_len);
  {
    vigil_seal_params_t p = {dev, ch, seq, ts, nonce};
    rc = vigil_envelope_seal(&key, &p, buf, body_len, body_len + 16, out, sizeof(out), &out_len);
  }
  CHECK_RC(rc, VIGIL_OK);
  CHECK(out_len == strlen(want_json) && memcmp(out, want_json, out_len) == 0,
        "%s: envelope_json differs:\n got %.*s\nwant %s", name, (int)out_len, out, want_json);
  CHECK(out_len <= vigil_envelope_size_bound(strlen(dev), alg, body_len), "%s: size bound", name);
  /* b_hex, mac_input and mac_hex from the parsed output */
  {
    vigil_jtok_t toks[64];
    char *work = malloc(out_len + 1);
    vigil_envelope_t env;
    uint8_t *raw = malloc(out_len);
    size_t raw_len;
    char *mi;
    CHECK_RC(vigil_envelope_parse((uint8_t *)out, out_len, toks, 64, work, out_len + 1, &env),
             VIGIL_OK);
    vigil_b64u_decode(env.b, env.b_len, raw, out_len, &raw_len);
    hex = tk_to_hex(raw, raw_len);
    CHECK(strcmp(hex, b_hex) == 0, "%s: b_hex", name);
    free(hex);
    mi = malloc(h_len + 1 + env.b_len + 1);
    memcpy(mi, h, h_len);
    mi[h_len] = '|';
    memcpy(mi + h_len + 1, env.b, env.b_len);
    mi[h_len + 1 + env.b_len] = '\0';
    CHECK(strcmp(mi, mac_input) == 0, "%s: mac_input", name);
    hex = tk_to_hex(env.mac, 32);
    CHECK(strcmp(hex, mac_hex) == 0, "%s: mac_hex", name);
    free(hex), free(mi), free(raw), free(work);
  }
  /* receiver: the envelope as received on its topic verifies and decrypts to the body */
  rc = receive(want_json, strlen(want_json), channel, secret_hex, &opened);
  CHECK(rc == VIGIL_OK, "%s: receiver refused with %s", name, vigil_strerror(rc));
  CHECK(opened && strcmp(opened, body) == 0, "%s: opened body differs", name);
  /* and refuses it on any other channel: the MAC binds the channel */
  {
    static const char *const CHS[] = {"telemetry", "events", "acks", "commands"};
    int c;
    for (c = 0; c < 4; c++) {
      char *o2 = NULL;
      if (strcmp(CHS[c], channel) == 0) continue;
      CHECK_RC(receive(want_json, strlen(want_json), CHS[c], secret_hex, &o2), VIGIL_ERR_MAC_INVALID);
      free(o2);
    }
  }
  vigil_key_free(&key);
  free(opened), free(buf), free(secret), free(nonce);
  free(name), free(dev), free(secret_hex), free(alg_s), free(channel), free(nonce_hex), free(body);
  free(header), free(b_hex), free(mac_input), free(mac_hex), free(want_json), free(k_enc_hex);
  free(k_mac_hex);
}

/* The body checks of docs/protocol.md §6.2 step 9 (body schema for the channel and profile, no
 * secret-bearing event in clear) are the server's: a device never receives its own uplink
 * channels. Such a vector is sealed correctly, so the C envelope layer must open it. */
static int server_body_check(const char *reason) {
  return strcmp(reason, "VIGIL_ERR_BODY_SCHEMA") == 0 || strcmp(reason, "VIGIL_ERR_CLEARTEXT_SECRET") == 0;
}

/* Returns 1 when the vector is judged by the server's body checks only. */
static int check_invalid(const tk_json_t *doc, size_t v) {
  char *name = tk_get_str(doc, v, "name"), *reason = tk_get_str(doc, v, "reason");
  char *channel = tk_get_str(doc, v, "channel"), *secret_hex = tk_get_str(doc, v, "secret_hex");
  /* envelope_json is the exact text (some cases, such as a BOM, cannot be said as an object) */
  char *json = tk_get_str(doc, v, "envelope_json"), *opened = NULL;
  const char *want;
  int rc, body_only;
  if (!name || !reason || !channel || !secret_hex || !json) {
    CHECK(0, "invalid vector %zu: name, reason, channel, secret_hex and envelope_json are strings", v);
    free(json), free(name), free(reason), free(channel), free(secret_hex);
    return 0;
  }
  body_only = server_body_check(reason);
  want = body_only ? "VIGIL_OK" : reason;
  rc = receive(json, strlen(json), channel, secret_hex, &opened);
  CHECK(strcmp(vigil_strerror(rc), want) == 0, "invalid vector %s: got %s, want %s", name, vigil_strerror(rc),
        want);
  free(opened), free(json), free(name), free(reason), free(channel), free(secret_hex);
  return body_only;
}

int main(int argc, char **argv) {
  tk_json_t doc;
  long vectors, invalid;
  size_t i, nv = 0, ni = 0, nbody = 0;
  if (argc < 2) {
    fprintf(stderr, "usage: test_vectors <envelope-v1.json>\n");
    return 2;
  }
  tk_json_load(&doc, argv[1]);
  vectors = tk_get(&doc, 0, "vectors");
  invalid = tk_get(&doc, 0, "invalid");
  CHECK(vectors > 0 && invalid > 0, "file has vectors and invalid");
  for (i = TK_FIRST(&doc, vectors); i < TK_END(&doc, vectors); i = TK_NEXT(&doc, i), nv++)
    check_valid(&doc, i);
  for (i = TK_FIRST(&doc, invalid); i < TK_END(&doc, invalid); i = TK_NEXT(&doc, i), ni++)
    nbody += (size_t)check_invalid(&doc, i);
  CHECK(nv >= 14, "14 valid vectors, got %zu", nv);
  CHECK(ni >= 9, "9 invalid vectors, got %zu", ni);
  printf("valid vectors: %zu, invalid vectors: %zu (%zu judged by the server's body checks only)\n", nv, ni,
         nbody);
  tk_json_free(&doc);
  return tk_done("test_vectors");
}
