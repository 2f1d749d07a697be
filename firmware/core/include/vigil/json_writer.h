/*
 * A small JSON writer into a caller's buffer: no allocation, no printf, no floating-point
 * formatting library. Errors are sticky: after the first one every call is a no-op and
 * vigil_jw_finish() reports it, so a writer sequence needs one check at the end.
 *
 * Output is compact (no whitespace) with members in the order written, as Vigil emits them.
 */
#ifndef VIGIL_JSON_WRITER_H
#define VIGIL_JSON_WRITER_H

#include <stddef.h>
#include <stdint.h>

#define VIGIL_JW_MAX_DEPTH 8

typedef struct vigil_jw {
  char *buf;
  size_t cap;
  size_t len;
  int err;
  int depth;
  /* per open container: 1 once it holds an element (a comma is needed before the next) */
  uint8_t has_item[VIGIL_JW_MAX_DEPTH];
  /* per open container: the character that closes it */
  char closer[VIGIL_JW_MAX_DEPTH];
  /* 1 right after a key: the value follows without a comma */
  uint8_t after_key;
} vigil_jw_t;

void vigil_jw_init(vigil_jw_t *w, char *buf, size_t cap);
void vigil_jw_object(vigil_jw_t *w);
void vigil_jw_array(vigil_jw_t *w);
/** Closes the innermost object or array. */
void vigil_jw_end(vigil_jw_t *w);
/** A member name; `key` must be valid UTF-8 (it is escaped as needed). */
void vigil_jw_key(vigil_jw_t *w, const char *key);
/** A string value of n bytes of valid UTF-8 (invalid UTF-8 is an error, not replaced). */
void vigil_jw_string(vigil_jw_t *w, const char *s, size_t n);
void vigil_jw_cstr(vigil_jw_t *w, const char *s);
void vigil_jw_uint(vigil_jw_t *w, uint64_t v);
void vigil_jw_int(vigil_jw_t *w, int64_t v);
/**
 * A finite number rounded to `decimals` (0..9) places and written without trailing zeros
 * (4.60 -> 4.6, 5.00 -> 5, -0.00 -> 0). |v| must be below 1e12; NaN or infinity is an error.
 */
void vigil_jw_fixed(vigil_jw_t *w, double v, unsigned decimals);
void vigil_jw_bool(vigil_jw_t *w, int v);
void vigil_jw_null(vigil_jw_t *w);
/** Copies n bytes of already-serialised JSON as one value (e.g. a stored sample object). */
void vigil_jw_raw(vigil_jw_t *w, const char *json, size_t n);
/** Appends bytes exactly as given (no comma, no escaping), for text whose layout the caller
 *  fixes itself, such as the envelope (envelope.c). */
void vigil_jw_append(vigil_jw_t *w, const char *s, size_t n);
void vigil_jw_append_uint(vigil_jw_t *w, uint64_t v);
/** VIGIL_OK with the length written when every container is closed; the first error otherwise. */
int vigil_jw_finish(vigil_jw_t *w, size_t *len);

#endif
