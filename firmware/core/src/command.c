#include "vigil/command.h"

#include <string.h>

#include "vigil/error.h"

#define BODY VIGIL_ERR_BODY_SCHEMA

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* RFC 9562 §4: 8-4-4-4-12 hex digits, version 1..8 and variant 10xx, or the Nil/Max UUIDs
 * (§5.9, §5.10); the same set the server's schema accepts. */
static int parse_uuid(const char *s, size_t len, uint8_t out[16]) {
  size_t i, o = 0;
  int all0 = 1, allf = 1;
  if (len != 36) return 0;
  for (i = 0; i < 36; i++) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return 0;
      continue;
    }
    if (hexval(s[i]) < 0) return 0;
    if (s[i] != '0') all0 = 0;
    if (s[i] != 'f' && s[i] != 'F') allf = 0;
  }
  for (i = 0; i < 36; i++) {
    if (s[i] == '-') continue;
    if (o % 2 == 0) out[o / 2] = (uint8_t)(hexval(s[i]) << 4);
    else out[o / 2] = (uint8_t)(out[o / 2] | hexval(s[i]));
    o++;
  }
  if (all0 || allf) return 1;
  return s[14] >= '1' && s[14] <= '8' && strchr("89abAB", s[19]) != NULL && s[19] != '\0';
}

static int op_valid(const char *s, size_t len) {
  size_t i;
  if (len < 2 || len > 32) return 0;
  for (i = 0; i < len; i++) {
    if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_')) return 0;
  }
  return 1;
}

/* A flat object of scalars: strings of at most 256 UTF-16 units, finite numbers, booleans,
 * null; no duplicate names. */
static int args_valid(const char *text, const vigil_jtok_t *t, size_t obj) {
  size_t i, j, n = 0;
  if (t[obj].type != VIGIL_JSON_OBJECT || t[obj].size > VIGIL_CMD_MAX_ARGS) return 0;
  for (i = obj + 1; i < t[obj].next; i = t[i + 1].next, n++) {
    const vigil_jtok_t *v = &t[i + 1];
    for (j = obj + 1; j < i; j = t[j + 1].next) {
      if (vigil_json_str_same(text, &t[i], &t[j])) return 0;
    }
    if (v->type == VIGIL_JSON_STRING) {
      size_t units;
      if (vigil_json_str(text, v, NULL, 0, NULL, &units) != VIGIL_OK || units > 256)
        return 0;
    } else if (v->type == VIGIL_JSON_NUMBER) {
      double d;
      if (vigil_json_double(text, v, &d) != VIGIL_OK) return 0;
    } else if (v->type != VIGIL_JSON_TRUE && v->type != VIGIL_JSON_FALSE &&
               v->type != VIGIL_JSON_NULL) {
      return 0;
    }
  }
  return 1;
}

int vigil_command_parse(const char *body, size_t len, vigil_jtok_t *toks, size_t ntoks,
                        vigil_command_t *cmd) {
  size_t count, i, at_id = 0, at_op = 0, len_s;
  if (!body || !toks || !cmd) return VIGIL_E_ARG;
  memset(cmd, 0, sizeof(*cmd));
  if (vigil_json_parse(body, len, toks, ntoks, &count) != VIGIL_OK) return BODY;
  if (toks[0].type != VIGIL_JSON_OBJECT) return BODY;
  for (i = 1; i < count; i = toks[i + 1].next) {
    size_t *slot = vigil_json_str_eq(body, &toks[i], "id")     ? &at_id
                   : vigil_json_str_eq(body, &toks[i], "op")   ? &at_op
                   : vigil_json_str_eq(body, &toks[i], "args") ? &cmd->args
                                                               : NULL;
    if (!slot || *slot) return BODY; /* unknown or repeated member */
    *slot = i + 1;
  }
  if (!at_id || !at_op) return BODY;
  if (toks[at_id].type != VIGIL_JSON_STRING ||
      vigil_json_str(body, &toks[at_id], cmd->id, sizeof(cmd->id), &len_s, NULL) != VIGIL_OK ||
      !parse_uuid(cmd->id, len_s, cmd->uuid))
    return BODY;
  if (toks[at_op].type != VIGIL_JSON_STRING ||
      vigil_json_str(body, &toks[at_op], cmd->op, sizeof(cmd->op), &len_s, NULL) != VIGIL_OK ||
      !op_valid(cmd->op, len_s))
    return BODY;
  if (cmd->args && !args_valid(body, toks, cmd->args)) return BODY;
  cmd->text = body;
  cmd->toks = toks;
  return VIGIL_OK;
}

static const vigil_jtok_t *find_arg(const vigil_command_t *cmd, const char *name) {
  size_t i;
  if (!cmd->args) return NULL;
  for (i = cmd->args + 1; i < cmd->toks[cmd->args].next; i = cmd->toks[i + 1].next) {
    if (vigil_json_str_eq(cmd->text, &cmd->toks[i], name)) return &cmd->toks[i + 1];
  }
  return NULL;
}

int vigil_command_arg_int(const vigil_command_t *cmd, const char *name, int64_t *out) {
  const vigil_jtok_t *t = find_arg(cmd, name);
  const char *s;
  size_t n, i;
  uint64_t v = 0;
  int neg = 0;
  if (!t) return VIGIL_E_NOTFOUND;
  if (t->type != VIGIL_JSON_NUMBER) return VIGIL_E_ARG;
  s = cmd->text + t->start;
  n = t->end - t->start;
  if (n > 0 && s[0] == '-') {
    neg = 1;
    s++;
    n--;
  }
  /* digits only: 60 is an integer, 60.0 and 6e1 are not */
  if (n == 0 || n > 19) return VIGIL_E_ARG;
  for (i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return VIGIL_E_ARG;
    v = v * 10 + (uint64_t)(s[i] - '0');
  }
  if (v > (uint64_t)INT64_MAX) return VIGIL_E_ARG;
  *out = neg ? -(int64_t)v : (int64_t)v;
  return VIGIL_OK;
}

int vigil_command_arg_str(const vigil_command_t *cmd, const char *name, char *out, size_t cap) {
  const vigil_jtok_t *t = find_arg(cmd, name);
  if (!t) return VIGIL_E_NOTFOUND;
  if (t->type != VIGIL_JSON_STRING) return VIGIL_E_ARG;
  return vigil_json_str(cmd->text, t, out, cap, NULL, NULL);
}

int vigil_command_arg_bool(const vigil_command_t *cmd, const char *name, int *out) {
  const vigil_jtok_t *t = find_arg(cmd, name);
  if (!t) return VIGIL_E_NOTFOUND;
  if (t->type != VIGIL_JSON_TRUE && t->type != VIGIL_JSON_FALSE) return VIGIL_E_ARG;
  *out = t->type == VIGIL_JSON_TRUE;
  return VIGIL_OK;
}

void vigil_ack_init(vigil_ack_t *ack) {
  memset(ack, 0, sizeof(*ack));
  ack->ok = 1;
  vigil_jw_init(&ack->rw, ack->result, sizeof(ack->result));
  vigil_jw_object(&ack->rw);
}

void vigil_ack_fail(vigil_ack_t *ack, const char *error) {
  size_t n = strlen(error);
  ack->ok = 0;
  if (n > VIGIL_ACK_ERROR_MAX) n = VIGIL_ACK_ERROR_MAX;
  /* never cut a UTF-8 sequence in half */
  while (n > 0 && n < strlen(error) && ((unsigned char)error[n] & 0xc0) == 0x80) n--;
  memcpy(ack->error, error, n);
  ack->error[n] = '\0';
}

void vigil_ack_result_int(vigil_ack_t *ack, const char *key, int64_t v) {
  vigil_jw_key(&ack->rw, key);
  vigil_jw_int(&ack->rw, v);
}

void vigil_ack_result_str(vigil_ack_t *ack, const char *key, const char *v) {
  vigil_jw_key(&ack->rw, key);
  vigil_jw_cstr(&ack->rw, v);
}

void vigil_ack_result_bool(vigil_ack_t *ack, const char *key, int v) {
  vigil_jw_key(&ack->rw, key);
  vigil_jw_bool(&ack->rw, v);
}

int vigil_ack_write(const vigil_ack_t *ack, const char *id, char *out, size_t cap, size_t *len) {
  vigil_jw_t w;
  vigil_jw_init(&w, out, cap);
  vigil_jw_object(&w);
  vigil_jw_key(&w, "id");
  vigil_jw_cstr(&w, id);
  vigil_jw_key(&w, "ok");
  vigil_jw_bool(&w, ack->ok);
  if (ack->error[0]) {
    vigil_jw_key(&w, "error");
    vigil_jw_cstr(&w, ack->error);
  }
  /* the result object, when it holds a member and was written without error */
  if (!ack->rw.err && ack->rw.len > 1) {
    char r[VIGIL_ACK_RESULT_MAX + 1];
    memcpy(r, ack->result, ack->rw.len);
    r[ack->rw.len] = '}';
    vigil_jw_key(&w, "result");
    vigil_jw_raw(&w, r, ack->rw.len + 1);
  }
  vigil_jw_end(&w);
  return vigil_jw_finish(&w, len);
}
