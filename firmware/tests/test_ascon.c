/* Ascon-AEAD128 against the NIST SP 800-232 known answers in test/vectors/ascon-aead128-kat.json
 * (the file the TypeScript implementation is tested with). */
#include <stdlib.h>
#include <string.h>

#include "testkit.h"
#include "vigil/ascon.h"
#include "vigil/error.h"

int main(int argc, char **argv) {
  tk_json_t doc;
  size_t i, n = 0;
  int saw_count1 = 0;
  if (argc < 2) {
    fprintf(stderr, "usage: test_ascon <ascon-aead128-kat.json>\n");
    return 2;
  }
  tk_json_load(&doc, argv[1]);
  CHECK(doc.toks[0].type == VIGIL_JSON_ARRAY, "KAT file is an array");
  for (i = TK_FIRST(&doc, 0); i < TK_END(&doc, 0); i = TK_NEXT(&doc, i), n++) {
    char *key_h = tk_get_str(&doc, i, "key"), *nonce_h = tk_get_str(&doc, i, "nonce");
    char *pt_h = tk_get_str(&doc, i, "pt"), *ad_h = tk_get_str(&doc, i, "ad");
    char *ct_h = tk_get_str(&doc, i, "ct");
    uint64_t count = tk_get_u64(&doc, i, "count");
    size_t key_len, nonce_len, pt_len, ad_len, ct_len;
    uint8_t *key = tk_hex(key_h, &key_len), *nonce = tk_hex(nonce_h, &nonce_len);
    uint8_t *pt = tk_hex(pt_h, &pt_len), *ad = tk_hex(ad_h, &ad_len), *ct = tk_hex(ct_h, &ct_len);
    uint8_t *buf = malloc(pt_len + 16), tag[16];
    char *got;
    CHECK(key_len == 16 && nonce_len == 16 && ct_len == pt_len + 16, "KAT %llu shape",
          (unsigned long long)count);
    if (count == 1) {
      saw_count1 = 1;
      CHECK(strcmp(ct_h, "4F9C278211BEC9316BF68F46EE8B2EC6") == 0, "Count 1 is the documented one");
    }
    /* encrypt into a separate buffer */
    vigil_ascon_aead128_encrypt(key, nonce, ad, ad_len, pt, pt_len, buf, buf + pt_len);
    got = tk_to_hex(buf, pt_len + 16);
    {
      char *want = tk_to_hex(ct, ct_len);
      CHECK(strcmp(got, want) == 0, "KAT Count %llu: got %s want %s", (unsigned long long)count,
            got, want);
      free(want);
    }
    free(got);
    /* encrypt in place gives the same */
    memcpy(buf, pt, pt_len);
    vigil_ascon_aead128_encrypt(key, nonce, ad, ad_len, buf, pt_len, buf, tag);
    CHECK(memcmp(buf, ct, pt_len) == 0 && memcmp(tag, ct + pt_len, 16) == 0,
          "in-place encryption, Count %llu", (unsigned long long)count);
    /* decrypt in place */
    memcpy(buf, ct, ct_len);
    CHECK_RC(vigil_ascon_aead128_decrypt(key, nonce, ad, ad_len, buf, pt_len, buf, buf + pt_len),
             VIGIL_OK);
    CHECK(memcmp(buf, pt, pt_len) == 0, "decrypts Count %llu", (unsigned long long)count);
    /* every bit of the ciphertext and the tag matters */
    {
      size_t bit;
      for (bit = 0; bit < ct_len * 8; bit++) {
        memcpy(buf, ct, ct_len);
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        CHECK_RC(vigil_ascon_aead128_decrypt(key, nonce, ad, ad_len, buf, pt_len, buf, buf + pt_len),
                 VIGIL_ERR_DECRYPT);
      }
      if (pt_len > 0) {
        size_t k, zero = 1;
        for (k = 0; k < pt_len; k++) zero &= buf[k] == 0;
        CHECK(zero, "no unauthenticated plaintext is released");
      }
      if (ad_len > 0) {
        memcpy(buf, ct, ct_len);
        ad[ad_len - 1] ^= 0x80;
        CHECK_RC(vigil_ascon_aead128_decrypt(key, nonce, ad, ad_len, buf, pt_len, buf, buf + pt_len),
                 VIGIL_ERR_DECRYPT);
      }
      memcpy(buf, ct, ct_len);
      nonce[15] ^= 1;
      CHECK_RC(vigil_ascon_aead128_decrypt(key, nonce, ad, ad_len, buf, pt_len, buf, buf + pt_len),
               VIGIL_ERR_DECRYPT);
    }
    free(key_h), free(nonce_h), free(pt_h), free(ad_h), free(ct_h);
    free(key), free(nonce), free(pt), free(ad), free(ct), free(buf);
  }
  CHECK(n >= 60, "at least 60 KAT entries, got %zu", n);
  CHECK(saw_count1, "Count 1 present");
  tk_json_free(&doc);
  return tk_done("test_ascon");
}
