#include "vigil/device.h"

#include <string.h>

#include "device_internal.h"
#include "vigil/error.h"
#include "vigil/event.h"

void dev_notify(vigil_device_t *d, vigil_notice_kind_t kind, int code, vigil_channel_t ch, uint64_t first,
                uint32_t count, uint64_t seq) {
  vigil_notice_t n;
  if (!d->p->notify) return;
  memset(&n, 0, sizeof(n));
  n.kind = kind;
  n.code = code;
  n.channel = ch;
  n.first = first;
  n.count = count;
  n.seq = seq;
  d->p->notify(d->p->ctx, &n);
}

static size_t copy_str(char *out, size_t cap, const char *a, const char *b, const char *c,
                       const char *e) {
  size_t n = 0;
  const char *parts[4];
  int i;
  parts[0] = a, parts[1] = b, parts[2] = c, parts[3] = e;
  for (i = 0; i < 4; i++) {
    size_t k = strlen(parts[i]);
    if (n + k + 1 > cap) return 0;
    memcpy(out + n, parts[i], k);
    n += k;
  }
  out[n] = '\0';
  return n;
}

const char *dev_topic(vigil_device_t *d, vigil_channel_t ch) {
  /* the prefix and id fit: checked at init against VIGIL_TOPIC_MAX */
  size_t n = strlen(d->state_topic) - strlen("state");
  memcpy(d->topic, d->state_topic, n);
  strcpy(d->topic + n, vigil_channel_name(ch));
  return d->topic;
}

static int prefix_valid(const char *prefix) {
  /* the server's rule (src/broker/acl.ts): plain segments, no wildcard, no leading '$' */
  size_t n = strlen(prefix), i;
  if (n == 0 || n > VIGIL_PREFIX_MAX || prefix[0] == '$' || prefix[0] == '/' || prefix[n - 1] == '/')
    return 0;
  for (i = 0; i < n; i++) {
    if (prefix[i] == '+' || prefix[i] == '#' || (prefix[i] == '/' && prefix[i + 1] == '/')) return 0;
  }
  return 1;
}

int vigil_device_init(vigil_device_t *d, const vigil_platform_t *p, const vigil_device_config_t *c) {
  size_t id_len;
  int rc;
  if (!d || !p || !c || !c->device_id || !c->topic_prefix || !c->secret) return VIGIL_E_ARG;
  if (!p->random || !p->now_ms || !p->kv_get || !p->kv_put || !p->kv_del || !p->publish ||
      !p->subscribe)
    return VIGIL_E_ARG;
  memset(d, 0, sizeof(*d));
  d->p = p;
  id_len = strlen(c->device_id);
  if (!vigil_device_id_valid(c->device_id, id_len) || !prefix_valid(c->topic_prefix))
    return VIGIL_E_ARG;
  if ((unsigned)c->profile > VIGIL_PROFILE_TEMPERATURE_PROBE) return VIGIL_E_ARG;
  memcpy(d->id, c->device_id, id_len + 1);
  d->profile = c->profile;
  d->interval_ms = c->interval_ms ? c->interval_ms : 60000;
  if (!copy_str(d->state_topic, sizeof(d->state_topic), c->topic_prefix, "/devices/", d->id,
                "/state") ||
      !copy_str(d->commands_topic, sizeof(d->commands_topic), c->topic_prefix, "/devices/", d->id,
                "/commands"))
    return VIGIL_E_ARG;
  rc = vigil_key_init(&d->keys[0], c->kid, c->alg, c->secret, d->id);
  if (rc != VIGIL_OK) return rc;
  d->current_key = 0;
  /* the largest body whose envelope stays within VIGIL_ENVELOPE_MAX */
  d->body_max = (VIGIL_ENVELOPE_MAX - 183 - id_len) / 4 * 3 - vigil_alg_tag_len(c->alg);
  while (vigil_envelope_size_bound(id_len, c->alg, d->body_max) > VIGIL_ENVELOPE_MAX) d->body_max--;
  if (d->body_max < 14 + VIGIL_OUTBOX_REC_MAX) {
    rc = VIGIL_E_ARG; /* VIGIL_OUTBOX_SLOT too large for VIGIL_ENVELOPE_MAX */
    goto fail;
  }
  if ((rc = vigil_seq_load(&d->seq, p)) != VIGIL_OK) goto fail;
  if ((rc = vigil_outbox_open(&d->outbox, p)) != VIGIL_OK) goto fail;
  if ((rc = inflight_load_all(d)) != VIGIL_OK) goto fail;
  vigil_replay_init(&d->downlink);
  {
    size_t len = 0;
    rc = p->kv_get(p->ctx, KV_DOWNLINK, d->state_buf, sizeof(d->state_buf), &len);
    if (rc == VIGIL_OK) rc = vigil_replay_load(&d->downlink, d->state_buf, len);
    else if (rc == VIGIL_E_NOTFOUND) rc = VIGIL_OK;
    else rc = VIGIL_E_STORAGE;
    if (rc != VIGIL_OK) goto fail;
  }
  if ((rc = commands_load(d)) != VIGIL_OK) goto fail;
  if ((rc = config_load(d)) != VIGIL_OK) goto fail;
  return VIGIL_OK;
fail:
  vigil_device_deinit(d);
  return rc;
}

void vigil_device_deinit(vigil_device_t *d) {
  int i;
  if (!d) return;
  for (i = 0; i < VIGIL_MAX_KEYS; i++) vigil_key_free(&d->keys[i]);
}

int dev_store(vigil_device_t *d, vigil_rec_kind_t kind, const char *body, size_t len,
              uint32_t reserve, uint64_t ts) {
  uint64_t index;
  int rc = vigil_outbox_append(&d->outbox, kind, (const uint8_t *)body, len, reserve, &index);
  if (rc == VIGIL_E_FULL) {
    dev_notify(d, VIGIL_NOTICE_OUTBOX_FULL, rc, VIGIL_CH_TELEMETRY, 0, 0, 0);
    return rc;
  }
  if (rc != VIGIL_OK) return rc;
  if (d->p->notify) {
    vigil_notice_t n;
    memset(&n, 0, sizeof(n));
    n.kind = VIGIL_NOTICE_STORED;
    n.first = index;
    n.count = 1;
    n.ts = ts;
    n.channel = kind == VIGIL_REC_SAMPLE ? VIGIL_CH_TELEMETRY
                : kind == VIGIL_REC_EVENT ? VIGIL_CH_EVENTS
                                          : VIGIL_CH_ACKS;
    d->p->notify(d->p->ctx, &n);
  }
  /* online: send at once. The record is durable whatever the link does, so a failed send is
   * not this call's error (the platform sees the broken link and reconnects). */
  if (d->connected) (void)vigil_device_pump(d, NULL);
  return VIGIL_OK;
}

int vigil_device_record_sample(vigil_device_t *d, const vigil_sample_t *s) {
  char buf[VIGIL_OUTBOX_REC_MAX];
  vigil_jw_t w;
  size_t len;
  int rc;
  if (!d || !s) return VIGIL_E_ARG;
  vigil_jw_init(&w, buf, sizeof(buf));
  rc = vigil_sample_write(d->profile, s, &w);
  if (rc == VIGIL_OK) rc = vigil_jw_finish(&w, &len);
  if (rc != VIGIL_OK) return rc;
  return dev_store(d, VIGIL_REC_SAMPLE, buf, len, VIGIL_OUTBOX_RESERVE, s->ts);
}

int vigil_device_record_event(vigil_device_t *d, const char *body, size_t len) {
  size_t count;
  if (!d || !body) return VIGIL_E_ARG;
  /* one JSON object with a "type" member: what every §7.2 schema needs at least */
  if (vigil_json_parse(body, len, d->toks, VIGIL_JSON_TOKENS, &count) != VIGIL_OK ||
      d->toks[0].type != VIGIL_JSON_OBJECT || count < 3 ||
      !vigil_json_str_eq(body, &d->toks[1], "type"))
    return VIGIL_ERR_BODY_SCHEMA;
  /* events use half the reserve, so acks always find a slot */
  return dev_store(d, VIGIL_REC_EVENT, body, len, VIGIL_OUTBOX_RESERVE / 2, 0);
}

int vigil_device_dispatch(vigil_device_t *d, const char *shipment, char *batch, size_t batch_cap,
                          char *token, size_t token_cap) {
  char body[VIGIL_OUTBOX_REC_MAX];
  vigil_jw_t w;
  uint64_t now;
  size_t len;
  int rc;
  if (!d || !batch || !token || batch_cap <= VIGIL_BATCH_CHARS || token_cap <= VIGIL_TOKEN_CHARS)
    return VIGIL_E_ARG;
  if (d->p->now_ms(d->p->ctx, &now) != VIGIL_OK) return VIGIL_E_NOTIME;
  if ((rc = vigil_make_batch_id(d->p, now, batch)) != VIGIL_OK) return rc;
  if ((rc = vigil_make_token(d->p, token)) != VIGIL_OK) return rc;
  vigil_jw_init(&w, body, sizeof(body));
  rc = vigil_event_dispatch(&w, now, batch, token, shipment);
  if (rc == VIGIL_OK) rc = vigil_jw_finish(&w, &len);
  if (rc == VIGIL_OK) rc = vigil_device_record_event(d, body, len);
  vigil_wipe(body, sizeof(body));
  return rc;
}

const char *vigil_device_will_topic(const vigil_device_t *d) { return d->state_topic; }

static int publish_slot(vigil_device_t *d, unsigned slot) {
  vigil_inflight_t *f = &d->inflight[slot];
  uint32_t mid = 0;
  int rc = d->p->publish(d->p->ctx, dev_topic(d, f->channel), f->rec + VIGIL_INFLIGHT_HEADER, f->len,
                         0, &mid);
  if (rc != VIGIL_OK) return VIGIL_E_TRANSPORT;
  f->sent = 1;
  f->msg_id = mid;
  dev_notify(d, VIGIL_NOTICE_PUBLISHED, 0, f->channel, f->first, f->count, f->seq);
  return VIGIL_OK;
}

int vigil_device_on_connect(vigil_device_t *d) {
  uint32_t mid;
  int rc;
  d->connected = 1;
  /* docs/protocol.md §3: `online`, QoS 1, retained, right after CONNACK */
  if (d->p->publish(d->p->ctx, d->state_topic, (const uint8_t *)VIGIL_STATE_ONLINE,
                    strlen(VIGIL_STATE_ONLINE), 1, &mid) != VIGIL_OK ||
      d->p->subscribe(d->p->ctx, d->commands_topic) != VIGIL_OK)
    return VIGIL_E_TRANSPORT;
  /* §6.4: redeliver unacknowledged envelopes unchanged, oldest first */
  for (;;) {
    unsigned i, best = VIGIL_MAX_INFLIGHT;
    for (i = 0; i < VIGIL_MAX_INFLIGHT; i++) {
      vigil_inflight_t *f = &d->inflight[i];
      if (f->used && !f->acked && !f->sent &&
          (best == VIGIL_MAX_INFLIGHT || f->first < d->inflight[best].first))
        best = i;
    }
    if (best == VIGIL_MAX_INFLIGHT) break;
    if ((rc = publish_slot(d, best)) != VIGIL_OK) return rc;
  }
  return vigil_device_pump(d, NULL);
}

void vigil_device_on_disconnect(vigil_device_t *d) {
  unsigned i;
  d->connected = 0;
  for (i = 0; i < VIGIL_MAX_INFLIGHT; i++) d->inflight[i].sent = 0;
}

int vigil_device_going_offline(vigil_device_t *d) {
  uint32_t mid;
  if (!d->connected) return VIGIL_E_STATE;
  return d->p->publish(d->p->ctx, d->state_topic, (const uint8_t *)VIGIL_STATE_OFFLINE,
                       strlen(VIGIL_STATE_OFFLINE), 1, &mid) == VIGIL_OK
             ? VIGIL_OK
             : VIGIL_E_TRANSPORT;
}

static int any_inflight(const vigil_device_t *d) {
  unsigned i;
  for (i = 0; i < VIGIL_MAX_INFLIGHT; i++) {
    if (d->inflight[i].used) return 1;
  }
  return 0;
}

/*
 * Packs the records from seal_next into d->body: a run of samples into {"samples":[...]}, or
 * one event or ack as it is. A damaged record is skipped (and reported) when nothing older is
 * still in flight, so that deleting it cannot delete anything unacknowledged.
 */
static int pack(vigil_device_t *d, vigil_channel_t *ch, uint32_t *count, size_t *body_len) {
  vigil_rec_kind_t kind = VIGIL_REC_SAMPLE;
  size_t len = 0, pos;
  uint64_t at = d->seal_next;
  int rc;
  *count = 0;
  for (;;) {
    if (at >= d->outbox.tail) return VIGIL_E_EMPTY;
    rc = vigil_outbox_peek(&d->outbox, at, &kind, &len);
    /* read behind the 12 bytes of {"samples":[ in case it starts a run of samples */
    if (rc == VIGIL_OK) rc = vigil_outbox_read(&d->outbox, at, d->body + 12, d->body_max - 14, &len);
    if (rc == VIGIL_OK) break;
    if (rc != VIGIL_E_CORRUPT) return rc;
    if (any_inflight(d)) return VIGIL_E_EMPTY;
    dev_notify(d, VIGIL_NOTICE_RECORD_LOST, rc, VIGIL_CH_TELEMETRY, at, 1, 0);
    if ((rc = vigil_outbox_drop_to(&d->outbox, at + 1)) != VIGIL_OK) return rc;
    d->seal_next = ++at;
  }
  *count = 1;
  if (kind != VIGIL_REC_SAMPLE) {
    memmove(d->body, d->body + 12, len);
    *ch = kind == VIGIL_REC_EVENT ? VIGIL_CH_EVENTS : VIGIL_CH_ACKS;
    *body_len = len;
    return VIGIL_OK;
  }
  memcpy(d->body, "{\"samples\":[", 12);
  pos = 12 + len;
  for (at++; at < d->outbox.tail && *count < VIGIL_BATCH_SAMPLES; at++) {
    if (vigil_outbox_peek(&d->outbox, at, &kind, &len) != VIGIL_OK || kind != VIGIL_REC_SAMPLE) break;
    /* room for a comma, the sample and the closing "]}" */
    if (pos + 1 + len + 2 > d->body_max) break;
    d->body[pos] = ',';
    /* a damaged record is left for the next round, where it is dropped */
    if (vigil_outbox_read(&d->outbox, at, d->body + pos + 1, len, &len) != VIGIL_OK) break;
    pos += 1 + len;
    (*count)++;
  }
  d->body[pos++] = ']';
  d->body[pos++] = '}';
  *ch = VIGIL_CH_TELEMETRY;
  *body_len = pos;
  return VIGIL_OK;
}

static int seal_next(vigil_device_t *d, unsigned slot) {
  vigil_inflight_t *f = &d->inflight[slot];
  vigil_key_t *key = &d->keys[d->current_key];
  uint8_t nonce[VIGIL_NONCE_MAX];
  vigil_seal_params_t sp;
  vigil_channel_t ch;
  uint32_t count;
  size_t body_len;
  uint64_t ts, seq;
  int rc;
  if (d->p->now_ms(d->p->ctx, &ts) != VIGIL_OK) return VIGIL_E_NOTIME;
  if ((rc = pack(d, &ch, &count, &body_len)) != VIGIL_OK) return rc;
  /* docs/protocol.md §6.1: a new seq and a fresh random nonce for every new envelope */
  if ((rc = vigil_seq_take(&d->seq, d->p, &seq)) != VIGIL_OK) return rc;
  if (d->p->random(d->p->ctx, nonce, vigil_alg_nonce_len(key->alg)) != VIGIL_OK) return VIGIL_E_RNG;
  sp.dev = d->id;
  sp.channel = ch;
  sp.seq = seq;
  sp.ts = ts;
  sp.nonce = nonce;
  rc = vigil_envelope_seal(key, &sp, d->body, body_len, sizeof(d->body),
                           (char *)f->rec + VIGIL_INFLIGHT_HEADER, VIGIL_ENVELOPE_MAX, &f->len);
  vigil_wipe(d->body, body_len);
  if (rc != VIGIL_OK) return rc;
  f->channel = ch;
  f->seq = seq;
  f->first = d->seal_next;
  f->count = count;
  f->sent = f->acked = 0;
  /* stored before it is published: after a crash it is redelivered, never re-sealed */
  if ((rc = inflight_store(d, slot)) != VIGIL_OK) return rc;
  f->used = 1;
  d->seal_next = f->first + count;
  dev_notify(d, VIGIL_NOTICE_SEALED, 0, ch, f->first, count, seq);
  return VIGIL_OK;
}

int vigil_device_pump(vigil_device_t *d, unsigned *published) {
  unsigned sent = 0;
  int rc = VIGIL_OK;
  if (published) *published = 0;
  if (!d->connected) return VIGIL_E_STATE;
  for (;;) {
    unsigned i, slot = VIGIL_MAX_INFLIGHT;
    for (i = 0; i < VIGIL_MAX_INFLIGHT; i++) {
      if (!d->inflight[i].used) {
        slot = i;
        break;
      }
    }
    if (slot == VIGIL_MAX_INFLIGHT || d->seal_next >= d->outbox.tail) break;
    rc = seal_next(d, slot);
    if (rc == VIGIL_E_EMPTY) {
      rc = VIGIL_OK;
      break;
    }
    if (rc != VIGIL_OK) break;
    if ((rc = publish_slot(d, slot)) != VIGIL_OK) break;
    sent++;
  }
  if (published) *published = sent;
  return rc;
}

int vigil_device_on_puback(vigil_device_t *d, uint32_t msg_id) {
  unsigned i;
  int rc;
  for (i = 0; i < VIGIL_MAX_INFLIGHT; i++) {
    vigil_inflight_t *f = &d->inflight[i];
    if (f->used && f->sent && f->msg_id == msg_id) f->acked = 1;
  }
  /* delete oldest first: only the oldest envelope's records are at the outbox head */
  for (;;) {
    unsigned best = VIGIL_MAX_INFLIGHT;
    vigil_inflight_t *f;
    for (i = 0; i < VIGIL_MAX_INFLIGHT; i++) {
      if (d->inflight[i].used &&
          (best == VIGIL_MAX_INFLIGHT || d->inflight[i].first < d->inflight[best].first))
        best = i;
    }
    if (best == VIGIL_MAX_INFLIGHT || !d->inflight[best].acked) break;
    f = &d->inflight[best];
    if ((rc = vigil_outbox_drop_to(&d->outbox, f->first + f->count)) != VIGIL_OK) return rc;
    if ((rc = inflight_forget(d, best)) != VIGIL_OK) return rc;
    f->used = 0;
    dev_notify(d, VIGIL_NOTICE_ACKED, 0, f->channel, f->first, f->count, f->seq);
  }
  if (d->connected) {
    rc = vigil_device_pump(d, NULL);
    if (rc != VIGIL_OK && rc != VIGIL_E_NOTIME) return rc;
  }
  return VIGIL_OK;
}

uint32_t vigil_device_interval_ms(const vigil_device_t *d) { return d->interval_ms; }
uint64_t vigil_device_backlog(const vigil_device_t *d) { return vigil_outbox_count(&d->outbox); }
uint64_t vigil_device_next_seq(const vigil_device_t *d) { return d->seq.next; }

unsigned vigil_device_inflight(const vigil_device_t *d) {
  unsigned i, n = 0;
  for (i = 0; i < VIGIL_MAX_INFLIGHT; i++) n += d->inflight[i].used;
  return n;
}
