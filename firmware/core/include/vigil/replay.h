/*
 * The device's downlink anti-replay window (docs/protocol.md §7.3: the device applies §6.2 to
 * commands with its own window over the downlink seq). Same rules as the server's
 * (src/protocol/replay-window.ts): RFC 4303 §3.4.3 sliding window over seq, plus the first 8
 * bytes of SHA-256(nonce) of the last W accepted envelopes, so a reused nonce is refused even
 * under a fresh seq.
 */
#ifndef VIGIL_REPLAY_H
#define VIGIL_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/config.h"

#define VIGIL_NONCE_FP_BYTES 8
#define VIGIL_REPLAY_STATE_BYTES \
  (24 + VIGIL_DOWNLINK_WINDOW / 8 + VIGIL_DOWNLINK_WINDOW * VIGIL_NONCE_FP_BYTES + 4)

typedef struct vigil_replay {
  uint8_t has_highest;
  uint64_t highest;
  /* bit i (byte i >> 3, bit i & 7) = seq highest - i was accepted */
  uint8_t bitmap[VIGIL_DOWNLINK_WINDOW / 8];
  /* fingerprints in acceptance order, a ring of W slots */
  uint8_t fps[VIGIL_DOWNLINK_WINDOW][VIGIL_NONCE_FP_BYTES];
  uint16_t head;
  uint16_t count;
} vigil_replay_t;

void vigil_replay_init(vigil_replay_t *w);
/** First 8 bytes of SHA-256(nonce). */
int vigil_nonce_fp(const uint8_t *nonce, size_t len, uint8_t fp[VIGIL_NONCE_FP_BYTES]);
/** VIGIL_OK, VIGIL_ERR_REPLAY, VIGIL_ERR_REPLAY_TOO_OLD or VIGIL_ERR_NONCE_REUSE. */
int vigil_replay_check(const vigil_replay_t *w, uint64_t seq, const uint8_t fp[VIGIL_NONCE_FP_BYTES]);
/** Records seq as accepted; call only after vigil_replay_check() returned VIGIL_OK. */
void vigil_replay_accept(vigil_replay_t *w, uint64_t seq, const uint8_t fp[VIGIL_NONCE_FP_BYTES]);
/** Persistable form, VIGIL_REPLAY_STATE_BYTES long, with a CRC. */
void vigil_replay_save(const vigil_replay_t *w, uint8_t out[VIGIL_REPLAY_STATE_BYTES]);
/** VIGIL_E_CORRUPT when the bytes are not a state saved by this build. */
int vigil_replay_load(vigil_replay_t *w, const uint8_t *in, size_t len);

#endif
