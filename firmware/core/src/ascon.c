#include "vigil/ascon.h"

#include <string.h>

#include "vigil/crypto.h"
#include "vigil/error.h"

/* SP 800-232 §4.1.1: IV of Ascon-AEAD128 (k = 128, r = 128, a = 12, b = 8, version 1). */
#define ASCON_AEAD128_IV 0x00001000808c0001ull
/* SP 800-232 §4.1.2: domain separation after the associated data, the last bit of S4. */
#define ASCON_DSEP 0x8000000000000000ull

/* SP 800-232 Table 5: round constants c_0..c_15; p[rnd] uses c_(16-rnd) .. c_15. */
static const uint8_t RC[16] = {0x3c, 0x2d, 0x1e, 0x0f, 0xf0, 0xe1, 0xd2, 0xc3,
                               0xb4, 0xa5, 0x96, 0x87, 0x78, 0x69, 0x5a, 0x4b};

#define ROR(x, n) (((x) >> (n)) | ((x) << (64 - (n))))

/* SP 800-232 §3: one round = p_C (constant), p_S (5-bit S-box, bitsliced), p_L (linear). */
static void ascon_p(uint64_t s[5], int rounds) {
  int i;
  for (i = 16 - rounds; i < 16; i++) {
    uint64_t t0, t1, t2, t3, t4;
    s[2] ^= RC[i]; /* §3.2 */
    /* §3.3, the S-box of Table 6 as the instruction sequence of the Ascon designers */
    s[0] ^= s[4];
    s[4] ^= s[3];
    s[2] ^= s[1];
    t0 = ~s[0] & s[1];
    t1 = ~s[1] & s[2];
    t2 = ~s[2] & s[3];
    t3 = ~s[3] & s[4];
    t4 = ~s[4] & s[0];
    s[0] ^= t1;
    s[1] ^= t2;
    s[2] ^= t3;
    s[3] ^= t4;
    s[4] ^= t0;
    s[1] ^= s[0];
    s[0] ^= s[4];
    s[3] ^= s[2];
    s[2] = ~s[2];
    /* §3.4, Σ_0..Σ_4 */
    s[0] ^= ROR(s[0], 19) ^ ROR(s[0], 28);
    s[1] ^= ROR(s[1], 61) ^ ROR(s[1], 39);
    s[2] ^= ROR(s[2], 1) ^ ROR(s[2], 6);
    s[3] ^= ROR(s[3], 10) ^ ROR(s[3], 17);
    s[4] ^= ROR(s[4], 7) ^ ROR(s[4], 41);
  }
}

/* SP 800-232 §2.1: byte i of a block is bits 8i..8i+7 of its 64-bit word (little-endian). */
static uint64_t load(const uint8_t *b, size_t n) {
  uint64_t w = 0;
  size_t i;
  for (i = 0; i < n; i++) w |= (uint64_t)b[i] << (8 * i);
  return w;
}

static void store(uint8_t *b, uint64_t w, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) b[i] = (uint8_t)(w >> (8 * i));
}

/* The padding bit after n bytes of a word (SP 800-232 §4.1.2: pad(X) = X || 1 || 0*). */
static uint64_t pad(size_t n) { return (uint64_t)0x01 << (8 * n); }

/* The low n bytes of w cleared (n = 0..7). */
static uint64_t clear_low(uint64_t w, size_t n) {
  return n == 0 ? w : w & ~(((uint64_t)1 << (8 * n)) - 1);
}

static void init(uint64_t s[5], const uint8_t key[16], const uint8_t nonce[16], const uint8_t *ad,
                 size_t ad_len) {
  uint64_t k0 = load(key, 8), k1 = load(key + 8, 8);
  s[0] = ASCON_AEAD128_IV;
  s[1] = k0;
  s[2] = k1;
  s[3] = load(nonce, 8);
  s[4] = load(nonce + 8, 8);
  ascon_p(s, 12);
  s[3] ^= k0;
  s[4] ^= k1;
  if (ad_len > 0) {
    for (; ad_len >= 16; ad += 16, ad_len -= 16) {
      s[0] ^= load(ad, 8);
      s[1] ^= load(ad + 8, 8);
      ascon_p(s, 8);
    }
    /* the last, padded block (a full padding block when ad_len was a multiple of 16) */
    if (ad_len >= 8) {
      s[0] ^= load(ad, 8);
      s[1] ^= load(ad + 8, ad_len - 8) ^ pad(ad_len - 8);
    } else {
      s[0] ^= load(ad, ad_len) ^ pad(ad_len);
    }
    ascon_p(s, 8);
  }
  s[4] ^= ASCON_DSEP;
}

static void finalize(uint64_t s[5], const uint8_t key[16], uint8_t tag[16]) {
  uint64_t k0 = load(key, 8), k1 = load(key + 8, 8);
  s[2] ^= k0;
  s[3] ^= k1;
  ascon_p(s, 12);
  store(tag, s[3] ^ k0, 8);
  store(tag + 8, s[4] ^ k1, 8);
}

void vigil_ascon_aead128_encrypt(const uint8_t key[16], const uint8_t nonce[16], const uint8_t *ad,
                                 size_t ad_len, const uint8_t *in, size_t len, uint8_t *out,
                                 uint8_t tag[16]) {
  uint64_t s[5];
  init(s, key, nonce, ad, ad_len);
  for (; len >= 16; in += 16, out += 16, len -= 16) {
    s[0] ^= load(in, 8);
    s[1] ^= load(in + 8, 8);
    store(out, s[0], 8);
    store(out + 8, s[1], 8);
    ascon_p(s, 8);
  }
  if (len >= 8) {
    s[0] ^= load(in, 8);
    s[1] ^= load(in + 8, len - 8);
    store(out, s[0], 8);
    store(out + 8, s[1], len - 8);
    s[1] ^= pad(len - 8);
  } else {
    s[0] ^= load(in, len);
    store(out, s[0], len);
    s[0] ^= pad(len);
  }
  finalize(s, key, tag);
  vigil_wipe(s, sizeof(s));
}

int vigil_ascon_aead128_decrypt(const uint8_t key[16], const uint8_t nonce[16], const uint8_t *ad,
                                size_t ad_len, const uint8_t *in, size_t len, uint8_t *out,
                                const uint8_t tag[16]) {
  uint64_t s[5];
  uint8_t expected[16];
  uint8_t *out0 = out;
  size_t len0 = len;
  int ok;
  init(s, key, nonce, ad, ad_len);
  for (; len >= 16; in += 16, out += 16, len -= 16) {
    uint64_t c0 = load(in, 8), c1 = load(in + 8, 8);
    store(out, s[0] ^ c0, 8);
    store(out + 8, s[1] ^ c1, 8);
    s[0] = c0;
    s[1] = c1;
    ascon_p(s, 8);
  }
  if (len >= 8) {
    uint64_t c0 = load(in, 8), c1 = load(in + 8, len - 8);
    store(out, s[0] ^ c0, 8);
    store(out + 8, s[1] ^ c1, len - 8);
    s[0] = c0;
    s[1] = clear_low(s[1], len - 8) ^ c1 ^ pad(len - 8);
  } else {
    uint64_t c0 = load(in, len);
    store(out, s[0] ^ c0, len);
    s[0] = clear_low(s[0], len) ^ c0 ^ pad(len);
  }
  finalize(s, key, expected);
  ok = vigil_ct_equal(expected, tag, 16);
  vigil_wipe(s, sizeof(s));
  vigil_wipe(expected, sizeof(expected));
  if (!ok) {
    vigil_wipe(out0, len0);
    return VIGIL_ERR_DECRYPT;
  }
  return VIGIL_OK;
}
