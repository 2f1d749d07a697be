#include "vigil/error.h"

const char *vigil_strerror(int code) {
  switch (code) {
    case VIGIL_OK: return "VIGIL_OK";
    case VIGIL_ERR_TOPIC: return "VIGIL_ERR_TOPIC";
    case VIGIL_ERR_ENVELOPE_SIZE: return "VIGIL_ERR_ENVELOPE_SIZE";
    case VIGIL_ERR_ENVELOPE_SCHEMA: return "VIGIL_ERR_ENVELOPE_SCHEMA";
    case VIGIL_ERR_UNKNOWN_KID: return "VIGIL_ERR_UNKNOWN_KID";
    case VIGIL_ERR_ALG_MISMATCH: return "VIGIL_ERR_ALG_MISMATCH";
    case VIGIL_ERR_MAC_INVALID: return "VIGIL_ERR_MAC_INVALID";
    case VIGIL_ERR_TS_FUTURE: return "VIGIL_ERR_TS_FUTURE";
    case VIGIL_ERR_REPLAY: return "VIGIL_ERR_REPLAY";
    case VIGIL_ERR_REPLAY_TOO_OLD: return "VIGIL_ERR_REPLAY_TOO_OLD";
    case VIGIL_ERR_NONCE_REUSE: return "VIGIL_ERR_NONCE_REUSE";
    case VIGIL_ERR_DECRYPT: return "VIGIL_ERR_DECRYPT";
    case VIGIL_ERR_BODY_SCHEMA: return "VIGIL_ERR_BODY_SCHEMA";
    case VIGIL_E_ARG: return "VIGIL_E_ARG";
    case VIGIL_E_NOSPACE: return "VIGIL_E_NOSPACE";
    case VIGIL_E_JSON: return "VIGIL_E_JSON";
    case VIGIL_E_FULL: return "VIGIL_E_FULL";
    case VIGIL_E_EMPTY: return "VIGIL_E_EMPTY";
    case VIGIL_E_STORAGE: return "VIGIL_E_STORAGE";
    case VIGIL_E_NOTFOUND: return "VIGIL_E_NOTFOUND";
    case VIGIL_E_CORRUPT: return "VIGIL_E_CORRUPT";
    case VIGIL_E_RNG: return "VIGIL_E_RNG";
    case VIGIL_E_NOTIME: return "VIGIL_E_NOTIME";
    case VIGIL_E_CRYPTO: return "VIGIL_E_CRYPTO";
    case VIGIL_E_SEQ_EXHAUSTED: return "VIGIL_E_SEQ_EXHAUSTED";
    case VIGIL_E_UNSUPPORTED: return "VIGIL_E_UNSUPPORTED";
    case VIGIL_E_STATE: return "VIGIL_E_STATE";
    case VIGIL_E_TRANSPORT: return "VIGIL_E_TRANSPORT";
    default: return "VIGIL_E_UNKNOWN";
  }
}
