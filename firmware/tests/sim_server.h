/*
 * The server side for the core's tests, built from the core's own receiver functions: opens
 * uplink envelopes as Vigil would (MAC, replay by seq, decrypt), remembers which samples it
 * stored, and seals downlink commands.
 */
#ifndef VIGIL_SIM_SERVER_H
#define VIGIL_SIM_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/crypto.h"
#include "vigil/envelope.h"

#define SIM_MAX 4096

typedef struct sim_server {
  vigil_key_t key;
  char dev[VIGIL_ID_MAX + 1];
  uint64_t seqs[SIM_MAX]; /* accepted uplink seqs */
  size_t nseqs;
  uint64_t sample_ts[SIM_MAX]; /* every stored sample's ts, in arrival order */
  size_t nsamples;
  char last_body[VIGIL_ENVELOPE_MAX];
  vigil_channel_t last_channel;
  uint64_t down_seq;
  unsigned refused;
  unsigned replays;
} sim_server_t;

void sim_init(sim_server_t *s, const uint8_t secret[32], const char *dev, uint32_t kid,
              vigil_alg_t alg);
void sim_free(sim_server_t *s);
/**
 * Ingests one uplink PUBLISH. Returns VIGIL_OK when stored, VIGIL_ERR_REPLAY for a copy of an
 * envelope already stored (acknowledged, not stored again), or the refusal.
 */
int sim_ingest(sim_server_t *s, const char *topic, const uint8_t *payload, size_t len);
/** Seals a command body for the device; returns the envelope length. */
size_t sim_command(sim_server_t *s, const char *body, uint64_t seq, uint64_t ts, char *out,
                   size_t cap);
/** Count of stored samples with this ts. */
unsigned sim_count_ts(const sim_server_t *s, uint64_t ts);

#endif
