/*
 * Commands and acks (docs/protocol.md §7.3). A command body is
 * {"id": <RFC 9562 UUID>, "op": ^[a-z_]{2,32}$, "args": {flat scalars}} with nothing else; an
 * ack is {"id", "ok", "error"?, "result"?}.
 */
#ifndef VIGIL_COMMAND_H
#define VIGIL_COMMAND_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/json_reader.h"
#include "vigil/json_writer.h"

/* A device reads at most this many args; more is refused (BODY_SCHEMA). */
#define VIGIL_CMD_MAX_ARGS 32
#define VIGIL_ACK_ERROR_MAX 128
#define VIGIL_ACK_RESULT_MAX 256

typedef struct vigil_command {
  char id[37];
  /** the 16 bytes of the UUID, for the at-most-once history */
  uint8_t uuid[16];
  char op[33];
  /* The body and its tokens, valid while the command is being handled. */
  const char *text;
  const vigil_jtok_t *toks;
  /** token index of the args object, or 0 when absent */
  size_t args;
} vigil_command_t;

/** Parses and checks a command body. VIGIL_ERR_BODY_SCHEMA when it is not one. */
int vigil_command_parse(const char *body, size_t len, vigil_jtok_t *toks, size_t ntoks,
                        vigil_command_t *cmd);

/** args.<name> as an integer. VIGIL_E_NOTFOUND when absent, VIGIL_E_ARG when not an integer. */
int vigil_command_arg_int(const vigil_command_t *cmd, const char *name, int64_t *out);
/** args.<name> as a string (NUL-terminated). */
int vigil_command_arg_str(const vigil_command_t *cmd, const char *name, char *out, size_t cap);
/** args.<name> as a boolean (0 or 1). */
int vigil_command_arg_bool(const vigil_command_t *cmd, const char *name, int *out);

/** The outcome of a command, filled by the core or the platform's execute callback. */
typedef struct vigil_ack {
  int ok;
  /** empty for none; at most VIGIL_ACK_ERROR_MAX bytes of UTF-8 */
  char error[VIGIL_ACK_ERROR_MAX + 1];
  /** the members of `result`, written with vigil_ack_result_*() */
  char result[VIGIL_ACK_RESULT_MAX];
  vigil_jw_t rw;
} vigil_ack_t;

void vigil_ack_init(vigil_ack_t *ack);
void vigil_ack_fail(vigil_ack_t *ack, const char *error);
void vigil_ack_result_int(vigil_ack_t *ack, const char *key, int64_t v);
void vigil_ack_result_str(vigil_ack_t *ack, const char *key, const char *v);
void vigil_ack_result_bool(vigil_ack_t *ack, const char *key, int v);

/** The ack body for command `id`. */
int vigil_ack_write(const vigil_ack_t *ack, const char *id, char *out, size_t cap, size_t *len);

#endif
