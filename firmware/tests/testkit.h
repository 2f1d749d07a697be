/*
 * A minimal test harness for the host tests: checks that count failures instead of aborting,
 * file and hex helpers, and read access to the JSON fixtures of test/vectors through the core's
 * own strict JSON reader (the fixtures are read, never copied into the tests).
 */
#ifndef VIGIL_TESTKIT_H
#define VIGIL_TESTKIT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vigil/json_reader.h"

extern int tk_failures;
extern int tk_checks;

#define CHECK(cond, ...)                                                   \
  do {                                                                     \
    tk_checks++;                                                           \
    if (!(cond)) {                                                         \
      tk_failures++;                                                       \
      fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);      \
      fprintf(stderr, __VA_ARGS__);                                        \
      fputc('\n', stderr);                                                 \
    }                                                                      \
  } while (0)

#define CHECK_RC(expr, want)                                                              \
  do {                                                                                    \
    int tk_rc_ = (expr);                                                                  \
    CHECK(tk_rc_ == (want), "%s returned %s, want %s", #expr, vigil_strerror(tk_rc_),     \
          vigil_strerror(want));                                                          \
  } while (0)

/** Prints a summary and returns the process exit status. */
int tk_done(const char *name);

/** Reads a whole file (NUL-terminated); exits on failure. */
char *tk_read_file(const char *path, size_t *len);
/** Decodes hex (either case); returns a malloc'ed buffer. */
uint8_t *tk_hex(const char *hex, size_t *len);
/** Lowercase hex of bytes, malloc'ed. */
char *tk_to_hex(const uint8_t *b, size_t n);

/** A parsed JSON document. */
typedef struct {
  char *text;
  size_t len;
  vigil_jtok_t *toks;
  size_t count;
} tk_json_t;

void tk_json_load(tk_json_t *doc, const char *path);
void tk_json_free(tk_json_t *doc);
/** Token index of member `key` of the object at `obj`, or -1. */
long tk_get(const tk_json_t *doc, size_t obj, const char *key);
/** Decoded string member (malloc'ed), or NULL when absent or not a string. */
char *tk_get_str(const tk_json_t *doc, size_t obj, const char *key);
/** Unsigned integer member; exits when absent. */
uint64_t tk_get_u64(const tk_json_t *doc, size_t obj, const char *key);
/** Index of the first element of an array/object value, and of the one after `i`. */
#define TK_FIRST(doc, arr) ((arr) + 1)
#define TK_NEXT(doc, i) ((doc)->toks[i].next)
#define TK_END(doc, arr) ((doc)->toks[arr].next)

/**
 * The receiver steps test/vectors covers (schema, MAC, decrypt; no registry, no replay), as the
 * TypeScript tests run them. Returns VIGIL_OK with the body (malloc'ed, NUL-terminated) or the
 * refusal.
 */
int tk_receive(const uint8_t *payload, size_t len, const char *channel, const char *secret_hex,
               char **body_out, size_t *body_len);

/** Lines of a text file (malloc'ed array of malloc'ed strings). */
char **tk_read_lines(const char *path, size_t *n);
/** A fresh private temp directory (malloc'ed path); tk_rmdir() removes it and its files. */
char *tk_tempdir(void);
void tk_rmdir(const char *dir);
/** Runs `node peer mode in out`; returns its exit status. */
int tk_run_peer(const char *node, const char *peer, const char *mode, const char *in, const char *out);

#endif
