/*
 * The cryptography of envelope v1 (docs/protocol.md §4, §5) over Mbed TLS, which ESP-IDF ships:
 * HKDF-SHA256 (RFC 5869), HMAC-SHA256 (RFC 2104), AES-256-GCM (NIST SP 800-38D), SHA-256, plus
 * Ascon-AEAD128 (ascon.h). Works with Mbed TLS 2.28 (Debian 12) and 3.x (ESP-IDF 5).
 *
 * Memory: Mbed TLS allocates when a GCM or HMAC context is set up. That happens once, in
 * vigil_key_init(), when a key generation is installed; sealing and opening envelopes then
 * allocate nothing.
 */
#ifndef VIGIL_CRYPTO_H
#define VIGIL_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "mbedtls/gcm.h"
#include "mbedtls/md.h"

typedef enum vigil_alg { VIGIL_ALG_A256GCM = 0, VIGIL_ALG_ASCON128 = 1, VIGIL_ALG_NONE = 2 } vigil_alg_t;

#define VIGIL_SECRET_BYTES 32
#define VIGIL_MAC_BYTES 32
#define VIGIL_TAG_BYTES 16
#define VIGIL_NONCE_MAX 16

/** DESIGN.md §2: the HKDF salt, fixed whatever the topic prefix. */
#define VIGIL_KDF_SALT "vigil/v1"

/** "A256GCM", "ASCON128" or "none". */
const char *vigil_alg_name(vigil_alg_t alg);
/** Parses an alg name (case-sensitive). VIGIL_E_ARG when unknown. */
int vigil_alg_parse(const char *name, size_t len, vigil_alg_t *out);
/** Nonce bytes per alg: 12 (A256GCM, none) or 16 (ASCON128). */
size_t vigil_alg_nonce_len(vigil_alg_t alg);
/** AEAD expansion: 16 (tag) or 0 for `none`. */
size_t vigil_alg_tag_len(vigil_alg_t alg);

/** One key generation of a device, ready to seal and open. */
typedef struct vigil_key {
  int ready;
  uint32_t kid;
  vigil_alg_t alg;
  mbedtls_md_context_t hmac; /* keyed with K_mac once; reset per message */
  mbedtls_gcm_context gcm;   /* keyed with K_enc (A256GCM) */
  uint8_t ascon_key[16];     /* K_enc[0..16) (ASCON128) */
} vigil_key_t;

/**
 * K_enc and K_mac: HKDF-SHA256(secret, salt "vigil/v1", info "enc|"/"mac|" + device id, 32).
 */
int vigil_derive_keys(const uint8_t secret[VIGIL_SECRET_BYTES], const char *device_id,
                      uint8_t k_enc[32], uint8_t k_mac[32]);

/** Derives and installs one key generation. The secret is not kept. */
int vigil_key_init(vigil_key_t *key, uint32_t kid, vigil_alg_t alg,
                   const uint8_t secret[VIGIL_SECRET_BYTES], const char *device_id);
/** Frees and wipes a key (safe on a key never initialised if it was zeroed). */
void vigil_key_free(vigil_key_t *key);

/** HMAC-SHA256 under K_mac of the concatenation of up to three parts (NULL parts skipped). */
int vigil_key_mac(vigil_key_t *key, const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len,
                  const uint8_t *c, size_t c_len, uint8_t out[VIGIL_MAC_BYTES]);

/** AEAD-Encrypt in place: buf[0..len) becomes ciphertext, the tag is written at buf + len. */
int vigil_key_seal(vigil_key_t *key, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                   uint8_t *buf, size_t len);

/**
 * AEAD-Decrypt in place: buf holds ciphertext || tag (len includes the tag); on success the first
 * len - tag bytes are the plaintext. VIGIL_ERR_DECRYPT when the tag does not verify.
 */
int vigil_key_open(vigil_key_t *key, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                   uint8_t *buf, size_t len);

/** SHA-256 without allocation. */
int vigil_sha256(const uint8_t *in, size_t len, uint8_t out[32]);

/** Constant-time comparison: 1 when equal. The time depends on n only. */
int vigil_ct_equal(const uint8_t *a, const uint8_t *b, size_t n);

/** Overwrites memory in a way the compiler may not remove. */
void vigil_wipe(void *p, size_t n);

#endif
