/*
 * Result codes of the Vigil device core.
 *
 * The rejection codes carry the same names as the server's (docs/protocol.md §6.5), so a test can
 * compare a refusal of this core with the `reason` of a vector or with the TypeScript reference.
 * The remaining codes are local conditions of the device (buffer, storage, clock, RNG).
 */
#ifndef VIGIL_ERROR_H
#define VIGIL_ERROR_H

typedef enum vigil_err {
  VIGIL_OK = 0,
  /* docs/protocol.md §6.5: why an envelope is refused */
  VIGIL_ERR_TOPIC = 1,
  VIGIL_ERR_ENVELOPE_SIZE,
  VIGIL_ERR_ENVELOPE_SCHEMA,
  VIGIL_ERR_UNKNOWN_KID,
  VIGIL_ERR_ALG_MISMATCH,
  VIGIL_ERR_MAC_INVALID,
  VIGIL_ERR_TS_FUTURE,
  VIGIL_ERR_REPLAY,
  VIGIL_ERR_REPLAY_TOO_OLD,
  VIGIL_ERR_NONCE_REUSE,
  VIGIL_ERR_DECRYPT,
  VIGIL_ERR_BODY_SCHEMA,
  /* local conditions */
  VIGIL_E_ARG = 100,    /* a caller passed an invalid argument */
  VIGIL_E_NOSPACE,      /* an output buffer is too small */
  VIGIL_E_JSON,         /* text is not strict JSON (RFC 8259) */
  VIGIL_E_FULL,         /* the outbox has no free slot */
  VIGIL_E_EMPTY,        /* nothing to do */
  VIGIL_E_STORAGE,      /* a storage callback failed */
  VIGIL_E_NOTFOUND,     /* kv_get: no such key */
  VIGIL_E_CORRUPT,      /* stored state failed its integrity check */
  VIGIL_E_RNG,          /* the random source failed */
  VIGIL_E_NOTIME,       /* the clock is not set (no SNTP yet) */
  VIGIL_E_CRYPTO,       /* a primitive of the crypto library failed */
  VIGIL_E_SEQ_EXHAUSTED,/* seq would pass 2^53 - 1 */
  VIGIL_E_UNSUPPORTED,  /* command op not supported by this device */
  VIGIL_E_STATE,        /* call not valid in the current state (e.g. not connected) */
  VIGIL_E_TRANSPORT     /* the publish callback failed */
} vigil_err_t;

/** The code's name, e.g. "VIGIL_ERR_MAC_INVALID" or "VIGIL_E_FULL". Never NULL. */
const char *vigil_strerror(int code);

#endif
