/*
 * Ascon-AEAD128 as standardised in NIST SP 800-232 (August 2025), written from the standard:
 * 128-bit key, 128-bit nonce, 128-bit tag, rate 128 bits, Ascon-p[12] / Ascon-p[8]. This is the
 * final standard (little-endian byte order, IV 0x00001000808c0001), not the pre-standard
 * Ascon-128 v1.2, whose ciphertexts differ.
 */
#ifndef VIGIL_ASCON_H
#define VIGIL_ASCON_H

#include <stddef.h>
#include <stdint.h>

#define VIGIL_ASCON_KEY_BYTES 16
#define VIGIL_ASCON_NONCE_BYTES 16
#define VIGIL_ASCON_TAG_BYTES 16

/**
 * Encrypts `len` bytes of `in` to `out` (the same buffer is allowed) and writes the 16-byte tag.
 */
void vigil_ascon_aead128_encrypt(const uint8_t key[16], const uint8_t nonce[16], const uint8_t *ad,
                                 size_t ad_len, const uint8_t *in, size_t len, uint8_t *out,
                                 uint8_t tag[16]);

/**
 * Decrypts and checks the tag in constant time. Returns VIGIL_OK, or VIGIL_ERR_DECRYPT with
 * `out` wiped (no unauthenticated plaintext is released). `out` may equal `in`.
 */
int vigil_ascon_aead128_decrypt(const uint8_t key[16], const uint8_t nonce[16], const uint8_t *ad,
                                size_t ad_len, const uint8_t *in, size_t len, uint8_t *out,
                                const uint8_t tag[16]);

#endif
