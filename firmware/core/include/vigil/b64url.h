/*
 * Strict base64url (RFC 4648 §5) as docs/protocol.md §5 requires: alphabet A-Z a-z 0-9 - _
 * only, no '=' padding, length mod 4 != 1, and canonical (the unused low bits of the last
 * character are zero), so one byte string has exactly one text form.
 */
#ifndef VIGIL_B64URL_H
#define VIGIL_B64URL_H

#include <stddef.h>
#include <stdint.h>

/** Characters of the unpadded encoding of n bytes. */
size_t vigil_b64u_encoded_len(size_t n);

/** Encodes n bytes into out (no NUL written). VIGIL_E_NOSPACE if cap is too small. */
int vigil_b64u_encode(const uint8_t *in, size_t n, char *out, size_t cap, size_t *out_len);

/**
 * Checks that text is strict, canonical, unpadded base64url without decoding it.
 * Returns VIGIL_OK and the decoded length, or VIGIL_E_ARG.
 */
int vigil_b64u_check(const char *text, size_t len, size_t *decoded_len);

/**
 * Strict decoding. `out` may be the same memory as `text` (decoding in place is safe: the write
 * position never passes the read position). VIGIL_E_ARG on any violation, VIGIL_E_NOSPACE if
 * cap is too small.
 */
int vigil_b64u_decode(const char *text, size_t len, uint8_t *out, size_t cap, size_t *out_len);

#endif
