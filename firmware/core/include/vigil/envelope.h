/*
 * Envelope v1 (docs/protocol.md §5): sealing for the uplink, and the receiver steps a device
 * applies to a downlink envelope (§6.2 steps 2, 5 and 8; the device adds topic, kid, clock and
 * replay checks in device.c).
 */
#ifndef VIGIL_ENVELOPE_H
#define VIGIL_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/config.h"
#include "vigil/crypto.h"
#include "vigil/json_reader.h"

/** docs/protocol.md §5: an envelope is at most 16384 bytes. */
#define VIGIL_PROTOCOL_ENVELOPE_MAX 16384
/** Longest header string H: fixed text, a 64-char id, 16-digit numbers, a 22-char nonce. */
#define VIGIL_HEADER_MAX 200

typedef enum vigil_channel {
  VIGIL_CH_TELEMETRY = 0,
  VIGIL_CH_EVENTS,
  VIGIL_CH_ACKS,
  VIGIL_CH_COMMANDS
} vigil_channel_t;

/** "telemetry", "events", "acks" or "commands". */
const char *vigil_channel_name(vigil_channel_t ch);

/** Parses a channel name. VIGIL_E_ARG when unknown. */
int vigil_channel_parse(const char *name, size_t len, vigil_channel_t *out);

/** DESIGN.md §2: ^[a-z0-9][a-z0-9-]{2,63}$ */
int vigil_device_id_valid(const char *id, size_t len);

/**
 * H = "vigil1|" + dev + "|" + channel + "|" + seq + "|" + ts + "|" + kid + "|" + alg + "|" + n
 * (numbers in decimal, n as the base64url text). Not NUL-terminated.
 */
int vigil_header(char *out, size_t cap, size_t *len, const char *dev, size_t dev_len,
                 vigil_channel_t ch, uint64_t seq, uint64_t ts, uint32_t kid, vigil_alg_t alg,
                 const char *n, size_t n_len);

typedef struct vigil_seal_params {
  const char *dev;
  vigil_channel_t channel;
  uint64_t seq;
  uint64_t ts;
  /** vigil_alg_nonce_len(key->alg) fresh random bytes. */
  const uint8_t *nonce;
} vigil_seal_params_t;

/** Upper bound of the envelope size for a body of body_len bytes (any seq, ts, kid). */
size_t vigil_envelope_size_bound(size_t dev_len, vigil_alg_t alg, size_t body_len);

/**
 * Seals `body_len` bytes of JSON body held in buf (capacity buf_cap >= body_len + 16; the body is
 * encrypted in place, so buf no longer holds it afterwards) into the envelope JSON at out, with
 * the members in the order of §5 and no whitespace, exactly as Vigil serialises them.
 */
int vigil_envelope_seal(vigil_key_t *key, const vigil_seal_params_t *p, uint8_t *buf,
                        size_t body_len, size_t buf_cap, char *out, size_t out_cap,
                        size_t *out_len);

/** A parsed envelope; b points into the work buffer given to vigil_envelope_parse(). */
typedef struct vigil_envelope {
  uint64_t seq;
  uint64_t ts;
  uint32_t kid;
  vigil_alg_t alg;
  char dev[VIGIL_ID_MAX + 1];
  size_t dev_len;
  char n[24];
  size_t n_len;
  uint8_t nonce[VIGIL_NONCE_MAX];
  size_t nonce_len;
  char *b;
  size_t b_len;
  uint8_t mac[VIGIL_MAC_BYTES];
} vigil_envelope_t;

/**
 * Size and schema check (§6.2 step 2): VIGIL_ERR_ENVELOPE_SIZE above 16384 bytes, otherwise
 * VIGIL_ERR_ENVELOPE_SCHEMA unless the payload is a UTF-8 JSON object with exactly the nine
 * members and their constraints. `work` (work_cap >= len) receives the text of `b`.
 */
int vigil_envelope_parse(const uint8_t *payload, size_t len, vigil_jtok_t *toks, size_t ntoks,
                         char *work, size_t work_cap, vigil_envelope_t *env);

/** §6.2 step 5: HMAC-SHA256 over H + "|" + b, compared in constant time. VIGIL_ERR_MAC_INVALID. */
int vigil_envelope_verify(vigil_key_t *key, const vigil_envelope_t *env, vigil_channel_t ch);

/**
 * §6.2 step 8: decodes b in place and decrypts it with aad = H. Call only after the MAC
 * verified. *body points into the work buffer. VIGIL_ERR_DECRYPT on a tag mismatch.
 */
int vigil_envelope_decrypt(vigil_key_t *key, vigil_envelope_t *env, vigil_channel_t ch,
                           uint8_t **body, size_t *body_len);

#endif
