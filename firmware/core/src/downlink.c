/*
 * Downlink commands (docs/protocol.md §7.3): the device applies the receiver order of §6.2 to
 * every envelope on its `commands` topic, then executes each command id at most once and
 * answers on `acks`.
 */
#include <string.h>

#include "bytes.h"
#include "device_internal.h"
#include "vigil/error.h"

enum { CMD_STARTED = 1, CMD_OK = 2, CMD_FAILED = 3 };
#define CMDS_BYTES (8 + VIGIL_CMD_HISTORY * 17 + 4)
static const uint8_t CMDS_MAGIC[4] = {'V', 'C', 'H', '1'};
static const uint8_t CFG_MAGIC[4] = {'V', 'C', 'F', '1'};

/* set_interval bounds: once a second to once a day */
#define INTERVAL_MIN_S 1
#define INTERVAL_MAX_S 86400

int commands_load(vigil_device_t *d) {
  uint8_t buf[CMDS_BYTES];
  size_t len = 0, i;
  int rc = d->p->kv_get(d->p->ctx, KV_COMMANDS, buf, sizeof(buf), &len);
  if (rc == VIGIL_E_NOTFOUND) return VIGIL_OK;
  if (rc != VIGIL_OK) return VIGIL_E_STORAGE;
  if (len != CMDS_BYTES || memcmp(buf, CMDS_MAGIC, 4) != 0 ||
      get_u32(buf + len - 4) != vigil_crc32(0, buf, len - 4) || get_u16(buf + 4) >= VIGIL_CMD_HISTORY ||
      get_u16(buf + 6) > VIGIL_CMD_HISTORY)
    return VIGIL_E_CORRUPT;
  d->cmd_next = get_u16(buf + 4);
  d->cmd_count = get_u16(buf + 6);
  for (i = 0; i < VIGIL_CMD_HISTORY; i++) {
    memcpy(d->cmds[i].uuid, buf + 8 + i * 17, 16);
    d->cmds[i].state = buf[8 + i * 17 + 16];
  }
  return VIGIL_OK;
}

static int commands_save(vigil_device_t *d) {
  uint8_t buf[CMDS_BYTES];
  size_t i;
  memcpy(buf, CMDS_MAGIC, 4);
  put_u16(buf + 4, d->cmd_next);
  put_u16(buf + 6, d->cmd_count);
  for (i = 0; i < VIGIL_CMD_HISTORY; i++) {
    memcpy(buf + 8 + i * 17, d->cmds[i].uuid, 16);
    buf[8 + i * 17 + 16] = d->cmds[i].state;
  }
  put_u32(buf + CMDS_BYTES - 4, vigil_crc32(0, buf, CMDS_BYTES - 4));
  return d->p->kv_put(d->p->ctx, KV_COMMANDS, buf, sizeof(buf)) == VIGIL_OK ? VIGIL_OK
                                                                           : VIGIL_E_STORAGE;
}

int config_load(vigil_device_t *d) {
  uint8_t buf[12];
  size_t len = 0;
  int rc = d->p->kv_get(d->p->ctx, KV_CONFIG, buf, sizeof(buf), &len);
  if (rc == VIGIL_E_NOTFOUND) return VIGIL_OK;
  if (rc != VIGIL_OK) return VIGIL_E_STORAGE;
  /* a damaged setting is not dangerous: keep the configured interval */
  if (len == sizeof(buf) && memcmp(buf, CFG_MAGIC, 4) == 0 && get_u32(buf + 8) == vigil_crc32(0, buf, 8) &&
      get_u32(buf + 4) >= INTERVAL_MIN_S * 1000u)
    d->interval_ms = get_u32(buf + 4);
  return VIGIL_OK;
}

static int config_save(vigil_device_t *d) {
  uint8_t buf[12];
  memcpy(buf, CFG_MAGIC, 4);
  put_u32(buf + 4, d->interval_ms);
  put_u32(buf + 8, vigil_crc32(0, buf, 8));
  return d->p->kv_put(d->p->ctx, KV_CONFIG, buf, sizeof(buf)) == VIGIL_OK ? VIGIL_OK : VIGIL_E_STORAGE;
}

static vigil_key_t *key_for(vigil_device_t *d, uint32_t kid) {
  int i;
  for (i = 0; i < VIGIL_MAX_KEYS; i++) {
    if (d->keys[i].ready && d->keys[i].kid == kid) return &d->keys[i];
  }
  return NULL;
}

/* The ops the core runs itself. */
static int execute_builtin(vigil_device_t *d, const vigil_command_t *cmd, vigil_ack_t *ack) {
  if (strcmp(cmd->op, "set_interval") == 0) {
    int64_t s;
    if (vigil_command_arg_int(cmd, "seconds", &s) != VIGIL_OK || s < INTERVAL_MIN_S ||
        s > INTERVAL_MAX_S) {
      vigil_ack_fail(ack, "args.seconds must be an integer from 1 to 86400");
      return VIGIL_OK;
    }
    d->interval_ms = (uint32_t)s * 1000u;
    if (config_save(d) != VIGIL_OK) {
      vigil_ack_fail(ack, "storage failed; interval applies until restart");
      return VIGIL_OK;
    }
    vigil_ack_result_int(ack, "seconds", s);
    return VIGIL_OK;
  }
  return VIGIL_E_UNSUPPORTED;
}

static int ack_command(vigil_device_t *d, const vigil_command_t *cmd, const vigil_ack_t *ack) {
  char body[VIGIL_OUTBOX_REC_MAX];
  size_t len;
  int rc = vigil_ack_write(ack, cmd->id, body, sizeof(body), &len);
  if (rc != VIGIL_OK) return rc;
  /* acks may use the reserved slots: a full sample backlog must not swallow an ack */
  return dev_store(d, VIGIL_REC_ACK, body, len, 0, 0);
}

/* At most once per id (§7.3): the id is stored as started before the op runs, so a crash in
 * between leaves it marked and a redelivered command is answered, not run again. */
static int run_command(vigil_device_t *d, const vigil_command_t *cmd) {
  vigil_ack_t ack;
  vigil_cmd_entry_t *e = NULL;
  uint16_t i;
  int rc, duplicate = 0;
  vigil_ack_init(&ack);
  for (i = 0; i < d->cmd_count; i++) {
    if (memcmp(d->cmds[i].uuid, cmd->uuid, 16) == 0) e = &d->cmds[i];
  }
  if (e) {
    duplicate = 1;
    if (e->state == CMD_STARTED) vigil_ack_fail(&ack, "interrupted by a restart; not run again");
    else if (e->state == CMD_FAILED) vigil_ack_fail(&ack, "failed earlier; not run again");
    vigil_ack_result_bool(&ack, "duplicate", 1);
  } else {
    e = &d->cmds[d->cmd_next];
    memcpy(e->uuid, cmd->uuid, 16);
    e->state = CMD_STARTED;
    d->cmd_next = (uint16_t)((d->cmd_next + 1) % VIGIL_CMD_HISTORY);
    if (d->cmd_count < VIGIL_CMD_HISTORY) d->cmd_count++;
    if ((rc = commands_save(d)) != VIGIL_OK) return rc;
    rc = execute_builtin(d, cmd, &ack);
    if (rc == VIGIL_E_UNSUPPORTED && d->p->execute) rc = d->p->execute(d->p->ctx, cmd, &ack);
    if (rc == VIGIL_E_UNSUPPORTED) {
      vigil_ack_init(&ack);
      vigil_ack_fail(&ack, "unsupported op");
    } else if (rc != VIGIL_OK) {
      vigil_ack_init(&ack);
      vigil_ack_fail(&ack, "execution failed");
    }
    e->state = ack.ok ? CMD_OK : CMD_FAILED;
    if ((rc = commands_save(d)) != VIGIL_OK) return rc;
  }
  rc = ack_command(d, cmd, &ack);
  if (d->p->notify) {
    vigil_notice_t n;
    memset(&n, 0, sizeof(n));
    n.kind = VIGIL_NOTICE_COMMAND;
    n.code = ack.ok ? VIGIL_OK : VIGIL_E_UNSUPPORTED;
    n.text = cmd->op;
    n.duplicate = duplicate;
    d->p->notify(d->p->ctx, &n);
  }
  return rc;
}

/* docs/protocol.md §6.2, as the device applies it to `commands` (§7.3). */
static int receive(vigil_device_t *d, const char *topic, const uint8_t *payload, size_t len) {
  vigil_envelope_t env;
  vigil_key_t *key;
  vigil_command_t cmd;
  uint8_t fp[VIGIL_NONCE_FP_BYTES], *body;
  size_t body_len;
  uint64_t now;
  int rc;
  if (!topic || strcmp(topic, d->commands_topic) != 0) return VIGIL_ERR_TOPIC;
  if (len > VIGIL_DOWNLINK_MAX) return VIGIL_ERR_ENVELOPE_SIZE;
  rc = vigil_envelope_parse(payload, len, d->toks, VIGIL_JSON_TOKENS, d->dl_work,
                            sizeof(d->dl_work), &env);
  if (rc != VIGIL_OK) return rc;
  if (strcmp(env.dev, d->id) != 0) return VIGIL_ERR_TOPIC;
  if (!(key = key_for(d, env.kid))) return VIGIL_ERR_UNKNOWN_KID;
  if (env.alg != key->alg) return VIGIL_ERR_ALG_MISMATCH;
  if ((rc = vigil_envelope_verify(key, &env, VIGIL_CH_COMMANDS)) != VIGIL_OK) return rc;
  if (d->p->now_ms(d->p->ctx, &now) != VIGIL_OK) return VIGIL_E_NOTIME;
  if (env.ts > now + VIGIL_FUTURE_SKEW_MS) return VIGIL_ERR_TS_FUTURE;
  /* the window is stored before anything runs, so a replay after a reboot is refused too */
  if ((rc = vigil_nonce_fp(env.nonce, env.nonce_len, fp)) != VIGIL_OK) return rc;
  if ((rc = vigil_replay_check(&d->downlink, env.seq, fp)) != VIGIL_OK) return rc;
  vigil_replay_accept(&d->downlink, env.seq, fp);
  vigil_replay_save(&d->downlink, d->state_buf);
  if (d->p->kv_put(d->p->ctx, KV_DOWNLINK, d->state_buf, sizeof(d->state_buf)) != VIGIL_OK)
    return VIGIL_E_STORAGE;
  if ((rc = vigil_envelope_decrypt(key, &env, VIGIL_CH_COMMANDS, &body, &body_len)) != VIGIL_OK)
    return rc;
  rc = vigil_command_parse((const char *)body, body_len, d->toks, VIGIL_JSON_TOKENS, &cmd);
  if (rc != VIGIL_OK) return rc;
  return run_command(d, &cmd);
}

int vigil_device_on_message(vigil_device_t *d, const char *topic, const uint8_t *payload,
                            size_t len) {
  int rc;
  if (!d || !payload) return VIGIL_E_ARG;
  rc = receive(d, topic, payload, len);
  /* the work buffer held b and then the plaintext command: at most len bytes of it were used */
  vigil_wipe(d->dl_work, len < sizeof(d->dl_work) ? len + 1 : sizeof(d->dl_work));
  if (rc != VIGIL_OK) {
    dev_notify(d, VIGIL_NOTICE_DOWNLINK_REFUSED, rc, VIGIL_CH_COMMANDS, 0, 0, 0);
    return rc;
  }
  if (d->connected) {
    rc = vigil_device_pump(d, NULL);
    if (rc != VIGIL_OK && rc != VIGIL_E_NOTIME) return rc;
  }
  return VIGIL_OK;
}
