/*
 * The device: the duties of docs/protocol.md §8 on top of the platform callbacks.
 *
 *   - uplink seq with block reservation (seq.h), never reused after a crash;
 *   - a fresh nonce from the platform's CSPRNG and ts from its clock for every envelope;
 *   - the outbox (outbox.h): samples, events and acks are stored before anything else, packed
 *     oldest first into envelopes (up to VIGIL_BATCH_SAMPLES samples each) when the link is up,
 *     and deleted only when the broker acknowledges the envelope (PUBACK);
 *   - sealed, unacknowledged envelopes are stored too (kv "inf0", "inf1", ...) and redelivered
 *     byte for byte after a reconnect or a reboot (§6.4): never re-sealed under a new seq;
 *   - presence on the retained `state` topic (§3);
 *   - downlink commands: topic, dev, kid, alg, MAC, clock, replay window, decrypt, schema,
 *     then at-most-once execution per command id and an ack on `acks` (§7.3).
 *
 * Threading: the core is not re-entrant. Call every vigil_device_* function from one task (the
 * POSIX device's main loop, the ESP32 application's device task).
 *
 * Ready for what is specified elsewhere and not implemented here: key rotation installs a second
 * key generation in keys[] (VIGIL_MAX_KEYS) and opens envelopes by kid already; certificate
 * renewal (CSR) and OTA manifest verification will be further command ops handled like
 * set_interval. See firmware/README.md.
 */
#ifndef VIGIL_DEVICE_H
#define VIGIL_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/command.h"
#include "vigil/config.h"
#include "vigil/crypto.h"
#include "vigil/envelope.h"
#include "vigil/outbox.h"
#include "vigil/platform.h"
#include "vigil/replay.h"
#include "vigil/sample.h"
#include "vigil/seq.h"

/* stored record header in front of a sealed envelope (see inflight.c) */
#define VIGIL_INFLIGHT_HEADER 36

typedef struct vigil_device_config {
  /** device id (the certificate CN) */
  const char *device_id;
  /** device.json topic_prefix, e.g. "vigil/v1" */
  const char *topic_prefix;
  vigil_profile_t profile;
  uint32_t kid;
  vigil_alg_t alg;
  /** the 32-byte device secret; not kept (only the derived key contexts are) */
  const uint8_t *secret;
  /** sampling interval until a set_interval command changes it (then the stored one wins) */
  uint32_t interval_ms;
} vigil_device_config_t;

typedef struct vigil_inflight {
  uint8_t used;
  uint8_t sent;  /* published on the current connection */
  uint8_t acked; /* PUBACK received, waiting for older envelopes */
  vigil_channel_t channel;
  uint64_t seq;
  uint64_t first; /* outbox index of its first record */
  uint32_t count; /* records it carries */
  uint32_t msg_id;
  size_t len;
  /* stored form: header, then the envelope bytes exactly as published */
  uint8_t rec[VIGIL_INFLIGHT_HEADER + VIGIL_ENVELOPE_MAX];
} vigil_inflight_t;

typedef struct vigil_cmd_entry {
  uint8_t uuid[16];
  uint8_t state; /* 1 started, 2 done ok, 3 done failed */
} vigil_cmd_entry_t;

typedef struct vigil_device {
  const vigil_platform_t *p;
  char id[VIGIL_ID_MAX + 1];
  char state_topic[VIGIL_TOPIC_MAX];
  char commands_topic[VIGIL_TOPIC_MAX];
  char topic[VIGIL_TOPIC_MAX];
  vigil_profile_t profile;
  vigil_key_t keys[VIGIL_MAX_KEYS];
  int current_key;
  size_t body_max;
  vigil_seq_t seq;
  vigil_outbox_t outbox;
  /* outbox index of the first record not yet in a sealed envelope */
  uint64_t seal_next;
  vigil_replay_t downlink;
  vigil_cmd_entry_t cmds[VIGIL_CMD_HISTORY];
  uint16_t cmd_next;
  uint16_t cmd_count;
  uint32_t interval_ms;
  int connected;
  vigil_inflight_t inflight[VIGIL_MAX_INFLIGHT];
  /* the body being sealed, encrypted in place (+ tag) */
  uint8_t body[VIGIL_ENVELOPE_MAX];
  /* downlink: b's text, decoded and decrypted in place; then the command's tokens */
  char dl_work[VIGIL_DOWNLINK_MAX + 1];
  vigil_jtok_t toks[VIGIL_JSON_TOKENS];
  uint8_t state_buf[VIGIL_REPLAY_STATE_BYTES];
} vigil_device_t;

/**
 * Installs the key, loads seq, outbox, unacknowledged envelopes, downlink window, command
 * history and interval from storage. Fails with VIGIL_E_CORRUPT rather than guess when stored
 * state is damaged in a way that could reuse a seq or re-run a command.
 */
int vigil_device_init(vigil_device_t *d, const vigil_platform_t *p, const vigil_device_config_t *c);
/** Wipes the keys. */
void vigil_device_deinit(vigil_device_t *d);

/** Validates the sample against the profile and stores it in the outbox (durable on return). */
int vigil_device_record_sample(vigil_device_t *d, const vigil_sample_t *s);
/** Stores an event body written with vigil_event_*() (durable on return). */
int vigil_device_record_event(vigil_device_t *d, const char *body, size_t len);
/**
 * Dispatch (docs/protocol.md §7.2): generates a batch id and a delivery token, stores the
 * dispatch event and returns both for the display. The token must not be logged.
 */
int vigil_device_dispatch(vigil_device_t *d, const char *shipment, char *batch, size_t batch_cap,
                          char *token, size_t token_cap);

/** The last will for CONNECT: topic (state_topic), payload "offline", QoS 1, retained. */
const char *vigil_device_will_topic(const vigil_device_t *d);
#define VIGIL_STATE_OFFLINE "offline"
#define VIGIL_STATE_ONLINE "online"

/** After CONNACK: publishes `online` (retained), subscribes to commands, redelivers every
 *  unacknowledged envelope in order, then seals and sends what the outbox holds. */
int vigil_device_on_connect(vigil_device_t *d);
/** The connection is gone: unacknowledged envelopes wait for the next one. */
void vigil_device_on_disconnect(vigil_device_t *d);
/** Before a deliberate DISCONNECT (which discards the will): publishes `offline`, retained. */
int vigil_device_going_offline(vigil_device_t *d);
/** Seals and publishes outbox records while the link is up and an inflight slot is free.
 *  *published (optional) receives the number of envelopes published. */
int vigil_device_pump(vigil_device_t *d, unsigned *published);
/** A PUBACK arrived for msg_id. */
int vigil_device_on_puback(vigil_device_t *d, uint32_t msg_id);
/** A PUBLISH arrived (the commands subscription). Returns VIGIL_OK when a command was executed
 *  (or recognised as a duplicate) and acked, or the reason it was refused. */
int vigil_device_on_message(vigil_device_t *d, const char *topic, const uint8_t *payload,
                            size_t len);

uint32_t vigil_device_interval_ms(const vigil_device_t *d);
/** Records in the outbox (stored and not yet acknowledged). */
uint64_t vigil_device_backlog(const vigil_device_t *d);
/** Envelopes published and not yet acknowledged. */
unsigned vigil_device_inflight(const vigil_device_t *d);
/** The next uplink seq (for diagnostics). */
uint64_t vigil_device_next_seq(const vigil_device_t *d);

#endif
