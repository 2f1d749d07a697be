#include "vigil/replay.h"

#include <string.h>

#include "bytes.h"
#include "vigil/crypto.h"
#include "vigil/error.h"

#define W VIGIL_DOWNLINK_WINDOW
static const uint8_t MAGIC[4] = {'V', 'R', 'W', '1'};

void vigil_replay_init(vigil_replay_t *w) { memset(w, 0, sizeof(*w)); }

int vigil_nonce_fp(const uint8_t *nonce, size_t len, uint8_t fp[VIGIL_NONCE_FP_BYTES]) {
  uint8_t h[32];
  int rc = vigil_sha256(nonce, len, h);
  if (rc == VIGIL_OK) memcpy(fp, h, VIGIL_NONCE_FP_BYTES);
  return rc;
}

static int bit(const vigil_replay_t *w, uint64_t i) { return (w->bitmap[i >> 3] >> (i & 7)) & 1; }

int vigil_replay_check(const vigil_replay_t *w, uint64_t seq, const uint8_t fp[VIGIL_NONCE_FP_BYTES]) {
  uint16_t i;
  if (w->has_highest && seq <= w->highest) {
    uint64_t offset = w->highest - seq;
    if (offset >= W) return VIGIL_ERR_REPLAY_TOO_OLD;
    if (bit(w, offset)) return VIGIL_ERR_REPLAY;
  }
  for (i = 0; i < w->count; i++) {
    if (memcmp(w->fps[(w->head + i) % W], fp, VIGIL_NONCE_FP_BYTES) == 0) return VIGIL_ERR_NONCE_REUSE;
  }
  return VIGIL_OK;
}

/* Moves the window up by n: bit i becomes bit i + n (a little-endian big-integer left shift). */
static void shift(vigil_replay_t *w, uint64_t n) {
  size_t bytes = W / 8, byte_shift, j;
  unsigned bit_shift;
  if (n >= W) {
    memset(w->bitmap, 0, bytes);
    return;
  }
  byte_shift = (size_t)(n >> 3);
  bit_shift = (unsigned)(n & 7);
  for (j = bytes; j-- > 0;) {
    uint8_t lo = j >= byte_shift ? w->bitmap[j - byte_shift] : 0;
    uint8_t below = j >= byte_shift + 1 ? w->bitmap[j - byte_shift - 1] : 0;
    w->bitmap[j] = (uint8_t)(bit_shift == 0 ? lo : (lo << bit_shift) | (below >> (8 - bit_shift)));
  }
}

void vigil_replay_accept(vigil_replay_t *w, uint64_t seq, const uint8_t fp[VIGIL_NONCE_FP_BYTES]) {
  uint64_t offset;
  if (!w->has_highest || seq > w->highest) {
    shift(w, w->has_highest ? seq - w->highest : W);
    w->highest = seq;
    w->has_highest = 1;
  }
  offset = w->highest - seq;
  w->bitmap[offset >> 3] = (uint8_t)(w->bitmap[offset >> 3] | (1u << (offset & 7)));
  if (w->count == W) {
    w->head = (uint16_t)((w->head + 1) % W);
    w->count--;
  }
  memcpy(w->fps[(w->head + w->count) % W], fp, VIGIL_NONCE_FP_BYTES);
  w->count++;
}

void vigil_replay_save(const vigil_replay_t *w, uint8_t out[VIGIL_REPLAY_STATE_BYTES]) {
  uint8_t *p = out;
  uint16_t i;
  memcpy(p, MAGIC, 4);
  put_u16(p + 4, W);
  p[6] = w->has_highest;
  p[7] = 0;
  put_u64(p + 8, w->highest);
  put_u16(p + 16, w->count);
  put_u16(p + 18, 0);
  put_u32(p + 20, 0);
  p += 24;
  memcpy(p, w->bitmap, W / 8);
  p += W / 8;
  /* fingerprints oldest first, so the ring's head is 0 after loading */
  memset(p, 0, (size_t)W * VIGIL_NONCE_FP_BYTES);
  for (i = 0; i < w->count; i++) memcpy(p + i * VIGIL_NONCE_FP_BYTES, w->fps[(w->head + i) % W], 8);
  p += (size_t)W * VIGIL_NONCE_FP_BYTES;
  put_u32(p, vigil_crc32(0, out, (size_t)(p - out)));
}

int vigil_replay_load(vigil_replay_t *w, const uint8_t *in, size_t len) {
  const uint8_t *p = in + 24;
  uint16_t count;
  if (len != VIGIL_REPLAY_STATE_BYTES || memcmp(in, MAGIC, 4) != 0 || get_u16(in + 4) != W ||
      get_u32(in + len - 4) != vigil_crc32(0, in, len - 4))
    return VIGIL_E_CORRUPT;
  count = get_u16(in + 16);
  if (count > W || in[6] > 1) return VIGIL_E_CORRUPT;
  vigil_replay_init(w);
  w->has_highest = in[6];
  w->highest = get_u64(in + 8);
  memcpy(w->bitmap, p, W / 8);
  p += W / 8;
  memcpy(w->fps, p, (size_t)count * VIGIL_NONCE_FP_BYTES);
  w->count = count;
  return VIGIL_OK;
}
