#include "sim_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/error.h"
#include "vigil/json_reader.h"

void sim_init(sim_server_t *s, const uint8_t secret[32], const char *dev, uint32_t kid,
              vigil_alg_t alg) {
  memset(s, 0, sizeof(*s));
  strcpy(s->dev, dev);
  if (vigil_key_init(&s->key, kid, alg, secret, dev) != VIGIL_OK) {
    fprintf(stderr, "sim_init: key\n");
    exit(2);
  }
  s->down_seq = 1;
}

void sim_free(sim_server_t *s) { vigil_key_free(&s->key); }

static int channel_of(const char *topic, vigil_channel_t *ch) {
  const char *slash = strrchr(topic, '/');
  if (!slash) return VIGIL_ERR_TOPIC;
  return vigil_channel_parse(slash + 1, strlen(slash + 1), ch) == VIGIL_OK ? VIGIL_OK : VIGIL_ERR_TOPIC;
}

int sim_ingest(sim_server_t *s, const char *topic, const uint8_t *payload, size_t len) {
  static vigil_jtok_t toks[2048];
  static char work[VIGIL_PROTOCOL_ENVELOPE_MAX + 1];
  vigil_envelope_t env;
  vigil_channel_t ch;
  uint8_t *body;
  size_t body_len, i, count;
  int rc;
  if (channel_of(topic, &ch) != VIGIL_OK) return VIGIL_ERR_TOPIC;
  rc = vigil_envelope_parse(payload, len, toks, 64, work, sizeof(work), &env);
  if (rc == VIGIL_OK && strcmp(env.dev, s->dev) != 0) rc = VIGIL_ERR_TOPIC;
  if (rc == VIGIL_OK) rc = vigil_envelope_verify(&s->key, &env, ch);
  if (rc == VIGIL_OK) {
    for (i = 0; i < s->nseqs; i++) {
      if (s->seqs[i] == env.seq) {
        s->replays++;
        return VIGIL_ERR_REPLAY;
      }
    }
  }
  if (rc == VIGIL_OK) rc = vigil_envelope_decrypt(&s->key, &env, ch, &body, &body_len);
  if (rc != VIGIL_OK) {
    s->refused++;
    return rc;
  }
  if (s->nseqs < SIM_MAX) s->seqs[s->nseqs++] = env.seq;
  memcpy(s->last_body, body, body_len);
  s->last_body[body_len] = '\0';
  s->last_channel = ch;
  if (ch != VIGIL_CH_TELEMETRY) return VIGIL_OK;
  if (vigil_json_parse((char *)body, body_len, toks, 2048, &count) != VIGIL_OK) return VIGIL_ERR_BODY_SCHEMA;
  /* {"samples":[{...},...]}: every "ts" member of a sample object */
  for (i = 3; i < count; i = toks[i].next) {
    size_t k;
    for (k = i + 1; k < toks[i].next; k = toks[k + 1].next) {
      uint64_t ts;
      if (vigil_json_str_eq((char *)body, &toks[k], "ts") &&
          vigil_json_uint((char *)body, &toks[k + 1], UINT64_MAX, &ts) == VIGIL_OK &&
          s->nsamples < SIM_MAX)
        s->sample_ts[s->nsamples++] = ts;
    }
  }
  return VIGIL_OK;
}

size_t sim_command(sim_server_t *s, const char *body, uint64_t seq, uint64_t ts, char *out,
                   size_t cap) {
  uint8_t buf[4096], nonce[16];
  size_t n = strlen(body), len = 0, i;
  vigil_seal_params_t p;
  for (i = 0; i < sizeof(nonce); i++) nonce[i] = (uint8_t)(seq * 31 + i * 7 + ts);
  memcpy(buf, body, n);
  p.dev = s->dev;
  p.channel = VIGIL_CH_COMMANDS;
  p.seq = seq;
  p.ts = ts;
  p.nonce = nonce;
  if (vigil_envelope_seal(&s->key, &p, buf, n, sizeof(buf), out, cap, &len) != VIGIL_OK) return 0;
  return len;
}

unsigned sim_count_ts(const sim_server_t *s, uint64_t ts) {
  unsigned n = 0;
  size_t i;
  for (i = 0; i < s->nsamples; i++) n += s->sample_ts[i] == ts;
  return n;
}
