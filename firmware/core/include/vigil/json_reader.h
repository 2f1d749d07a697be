/*
 * A strict, allocation-free JSON reader (RFC 8259) that tokenises into a caller-supplied array.
 *
 * Strict means: exactly one value with optional whitespace around it; no trailing commas,
 * comments, leading zeros, bare control characters or invalid escapes; the text must be valid
 * UTF-8 (no overlong forms, no surrogates) and a \u escape of a high surrogate must be followed
 * by a low one. Duplicate member names are not refused here but by the schema readers, which
 * refuse them (a sender never needs them, and "last one wins" hides tampering).
 */
#ifndef VIGIL_JSON_READER_H
#define VIGIL_JSON_READER_H

#include <stddef.h>
#include <stdint.h>

typedef enum vigil_jtype {
  VIGIL_JSON_OBJECT = 1,
  VIGIL_JSON_ARRAY,
  VIGIL_JSON_STRING,
  VIGIL_JSON_NUMBER,
  VIGIL_JSON_TRUE,
  VIGIL_JSON_FALSE,
  VIGIL_JSON_NULL
} vigil_jtype_t;

/* flags */
#define VIGIL_JSON_ESCAPED 0x01 /* STRING holds at least one backslash escape */
#define VIGIL_JSON_INT 0x02     /* NUMBER is a plain unsigned integer: digits only, no 0 prefix */

typedef struct vigil_jtok {
  uint8_t type;
  uint8_t flags;
  /* Byte offsets into the text; a STRING's range excludes its quotes. */
  uint32_t start;
  uint32_t end;
  /* OBJECT: number of members; ARRAY: number of elements. */
  uint32_t size;
  /* Index of the first token after this token's subtree. */
  uint32_t next;
} vigil_jtok_t;

/**
 * Tokenises `text`. Tokens are in document order: an object's members follow it as key, value,
 * key, value. Returns VIGIL_OK, VIGIL_E_JSON (not strict JSON, or nested deeper than
 * VIGIL_JSON_MAX_DEPTH) or VIGIL_E_NOSPACE (more than `cap` tokens).
 */
int vigil_json_parse(const char *text, size_t len, vigil_jtok_t *toks, size_t cap, size_t *count);

/**
 * Decodes a STRING token into UTF-8 and NUL-terminates it. VIGIL_E_NOSPACE when cap < length + 1.
 * `utf16_len` (optional) receives the length in UTF-16 code units, as JavaScript counts it.
 * With out == NULL only the lengths are computed.
 */
int vigil_json_str(const char *text, const vigil_jtok_t *t, char *out, size_t cap, size_t *len,
                   size_t *utf16_len);

/** True when the STRING token decodes to exactly `lit`. */
int vigil_json_str_eq(const char *text, const vigil_jtok_t *t, const char *lit);

/** True when two STRING tokens decode to the same text (for duplicate member detection). */
int vigil_json_str_same(const char *text, const vigil_jtok_t *a, const vigil_jtok_t *b);

/**
 * A NUMBER token written as a plain unsigned decimal integer (no sign, fraction or exponent), at
 * most `max`. VIGIL_E_ARG otherwise.
 */
int vigil_json_uint(const char *text, const vigil_jtok_t *t, uint64_t max, uint64_t *out);

/**
 * A NUMBER token as a finite double. VIGIL_E_ARG when it does not fit a double or is longer
 * than 64 characters (no reading of a device needs more).
 */
int vigil_json_double(const char *text, const vigil_jtok_t *t, double *out);

#endif
