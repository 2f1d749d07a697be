#include "vigil/crypto.h"

#include <string.h>

#include "mbedtls/hkdf.h"
#include "mbedtls/sha256.h"
#include "mbedtls/version.h"
#include "vigil/ascon.h"
#include "vigil/error.h"

/* Mbed TLS 3 renamed the *_ret SHA-256 functions of 2.x back to the plain names. */
#if MBEDTLS_VERSION_NUMBER < 0x03000000
#define sha256_starts(c) mbedtls_sha256_starts_ret((c), 0)
#define sha256_update mbedtls_sha256_update_ret
#define sha256_finish mbedtls_sha256_finish_ret
#else
#define sha256_starts(c) mbedtls_sha256_starts((c), 0)
#define sha256_update mbedtls_sha256_update
#define sha256_finish mbedtls_sha256_finish
#endif

const char *vigil_alg_name(vigil_alg_t alg) {
  switch (alg) {
    case VIGIL_ALG_A256GCM: return "A256GCM";
    case VIGIL_ALG_ASCON128: return "ASCON128";
    case VIGIL_ALG_NONE: return "none";
  }
  return "?";
}

int vigil_alg_parse(const char *name, size_t len, vigil_alg_t *out) {
  if (len == 7 && memcmp(name, "A256GCM", 7) == 0) *out = VIGIL_ALG_A256GCM;
  else if (len == 8 && memcmp(name, "ASCON128", 8) == 0) *out = VIGIL_ALG_ASCON128;
  else if (len == 4 && memcmp(name, "none", 4) == 0) *out = VIGIL_ALG_NONE;
  else return VIGIL_E_ARG;
  return VIGIL_OK;
}

size_t vigil_alg_nonce_len(vigil_alg_t alg) { return alg == VIGIL_ALG_ASCON128 ? 16 : 12; }
size_t vigil_alg_tag_len(vigil_alg_t alg) { return alg == VIGIL_ALG_NONE ? 0 : VIGIL_TAG_BYTES; }

void vigil_wipe(void *p, size_t n) {
  volatile uint8_t *v = (volatile uint8_t *)p;
  while (n--) *v++ = 0;
}

int vigil_ct_equal(const uint8_t *a, const uint8_t *b, size_t n) {
  /* docs/protocol.md §6.2 step 5: no early exit, so the time does not reveal where it differs. */
  volatile uint8_t diff = 0;
  size_t i;
  for (i = 0; i < n; i++) diff |= (uint8_t)(a[i] ^ b[i]);
  return diff == 0;
}

int vigil_sha256(const uint8_t *in, size_t len, uint8_t out[32]) {
  mbedtls_sha256_context c;
  int rc;
  mbedtls_sha256_init(&c);
  rc = sha256_starts(&c);
  if (rc == 0) rc = sha256_update(&c, in, len);
  if (rc == 0) rc = sha256_finish(&c, out);
  mbedtls_sha256_free(&c);
  return rc == 0 ? VIGIL_OK : VIGIL_E_CRYPTO;
}

static int hkdf(const uint8_t secret[32], const char *prefix, const char *device_id, uint8_t out[32]) {
  /* info = "enc|" + id or "mac|" + id (docs/protocol.md §4) */
  uint8_t info[4 + 64];
  size_t id_len = strlen(device_id);
  if (id_len > 64) return VIGIL_E_ARG;
  memcpy(info, prefix, 4);
  memcpy(info + 4, device_id, id_len);
  if (mbedtls_hkdf(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), (const uint8_t *)VIGIL_KDF_SALT,
                   strlen(VIGIL_KDF_SALT), secret, 32, info, 4 + id_len, out, 32) != 0)
    return VIGIL_E_CRYPTO;
  return VIGIL_OK;
}

int vigil_derive_keys(const uint8_t secret[VIGIL_SECRET_BYTES], const char *device_id,
                      uint8_t k_enc[32], uint8_t k_mac[32]) {
  int rc = hkdf(secret, "enc|", device_id, k_enc);
  if (rc == VIGIL_OK) rc = hkdf(secret, "mac|", device_id, k_mac);
  return rc;
}

int vigil_key_init(vigil_key_t *key, uint32_t kid, vigil_alg_t alg,
                   const uint8_t secret[VIGIL_SECRET_BYTES], const char *device_id) {
  uint8_t k_enc[32], k_mac[32];
  int rc;
  if (!key || !secret || !device_id || kid < 1 || kid > 0x7fffffffu) return VIGIL_E_ARG;
  if (alg != VIGIL_ALG_A256GCM && alg != VIGIL_ALG_ASCON128 && alg != VIGIL_ALG_NONE)
    return VIGIL_E_ARG;
  memset(key, 0, sizeof(*key));
  rc = vigil_derive_keys(secret, device_id, k_enc, k_mac);
  if (rc != VIGIL_OK) goto out;
  mbedtls_md_init(&key->hmac);
  mbedtls_gcm_init(&key->gcm);
  key->kid = kid;
  key->alg = alg;
  rc = VIGIL_E_CRYPTO;
  if (mbedtls_md_setup(&key->hmac, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 1) != 0) goto fail;
  if (mbedtls_md_hmac_starts(&key->hmac, k_mac, sizeof(k_mac)) != 0) goto fail;
  if (alg == VIGIL_ALG_A256GCM &&
      mbedtls_gcm_setkey(&key->gcm, MBEDTLS_CIPHER_ID_AES, k_enc, 256) != 0)
    goto fail;
  /* DESIGN.md §2: Ascon-AEAD128 uses the first 16 bytes of K_enc. */
  if (alg == VIGIL_ALG_ASCON128) memcpy(key->ascon_key, k_enc, 16);
  key->ready = 1;
  rc = VIGIL_OK;
  goto out;
fail:
  mbedtls_md_free(&key->hmac);
  mbedtls_gcm_free(&key->gcm);
  memset(key, 0, sizeof(*key));
out:
  vigil_wipe(k_enc, sizeof(k_enc));
  vigil_wipe(k_mac, sizeof(k_mac));
  return rc;
}

void vigil_key_free(vigil_key_t *key) {
  if (!key) return;
  if (key->ready) {
    mbedtls_md_free(&key->hmac);
    mbedtls_gcm_free(&key->gcm);
  }
  vigil_wipe(key, sizeof(*key));
}

int vigil_key_mac(vigil_key_t *key, const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len,
                  const uint8_t *c, size_t c_len, uint8_t out[VIGIL_MAC_BYTES]) {
  if (!key || !key->ready) return VIGIL_E_ARG;
  /* hmac_reset restarts from the stored inner pad: no allocation, no re-keying per message. */
  if (mbedtls_md_hmac_reset(&key->hmac) != 0) return VIGIL_E_CRYPTO;
  if (a && a_len && mbedtls_md_hmac_update(&key->hmac, a, a_len) != 0) return VIGIL_E_CRYPTO;
  if (b && b_len && mbedtls_md_hmac_update(&key->hmac, b, b_len) != 0) return VIGIL_E_CRYPTO;
  if (c && c_len && mbedtls_md_hmac_update(&key->hmac, c, c_len) != 0) return VIGIL_E_CRYPTO;
  if (mbedtls_md_hmac_finish(&key->hmac, out) != 0) return VIGIL_E_CRYPTO;
  return VIGIL_OK;
}

int vigil_key_seal(vigil_key_t *key, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                   uint8_t *buf, size_t len) {
  if (!key || !key->ready) return VIGIL_E_ARG;
  switch (key->alg) {
    case VIGIL_ALG_A256GCM:
      return mbedtls_gcm_crypt_and_tag(&key->gcm, MBEDTLS_GCM_ENCRYPT, len, nonce, 12, aad, aad_len,
                                       buf, buf, VIGIL_TAG_BYTES, buf + len) == 0
                 ? VIGIL_OK
                 : VIGIL_E_CRYPTO;
    case VIGIL_ALG_ASCON128:
      vigil_ascon_aead128_encrypt(key->ascon_key, nonce, aad, aad_len, buf, len, buf, buf + len);
      return VIGIL_OK;
    case VIGIL_ALG_NONE:
      return VIGIL_OK;
  }
  return VIGIL_E_ARG;
}

int vigil_key_open(vigil_key_t *key, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                   uint8_t *buf, size_t len) {
  size_t n;
  if (!key || !key->ready) return VIGIL_E_ARG;
  if (key->alg == VIGIL_ALG_NONE) return VIGIL_OK;
  if (len < VIGIL_TAG_BYTES) return VIGIL_ERR_DECRYPT;
  n = len - VIGIL_TAG_BYTES;
  if (key->alg == VIGIL_ALG_ASCON128)
    return vigil_ascon_aead128_decrypt(key->ascon_key, nonce, aad, aad_len, buf, n, buf, buf + n);
  {
    int rc = mbedtls_gcm_auth_decrypt(&key->gcm, n, nonce, 12, aad, aad_len, buf + n,
                                      VIGIL_TAG_BYTES, buf, buf);
    if (rc == MBEDTLS_ERR_GCM_AUTH_FAILED) return VIGIL_ERR_DECRYPT;
    return rc == 0 ? VIGIL_OK : VIGIL_E_CRYPTO;
  }
}
