/*
 * The platform interface: everything the core needs from the device it runs on, as callbacks.
 * The POSIX build (firmware/host) and the ESP-IDF build (firmware/esp32) fill in this same
 * struct; the core calls nothing else (no libc I/O, no OS, no clock, no random source of its own).
 *
 * Every callback returns VIGIL_OK or a vigil_err_t. Durability contract: when kv_put or
 * region_sync returns VIGIL_OK, the data survives a crash or power loss.
 */
#ifndef VIGIL_PLATFORM_H
#define VIGIL_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/envelope.h"

struct vigil_command;
struct vigil_ack;

/** What happened, for the platform's log or display. Never carries a secret or a token. */
typedef enum vigil_notice_kind {
  VIGIL_NOTICE_STORED = 1,       /* a record entered the outbox: first = index, ts, channel */
  VIGIL_NOTICE_SEALED,           /* an envelope was sealed: seq, channel, first, count */
  VIGIL_NOTICE_PUBLISHED,        /* an envelope was handed to the transport (also redelivery) */
  VIGIL_NOTICE_ACKED,            /* PUBACK: records first..first+count-1 deleted */
  VIGIL_NOTICE_DOWNLINK_REFUSED, /* a downlink envelope was refused: code */
  VIGIL_NOTICE_COMMAND,          /* a command ran (or was a duplicate): text = op, code */
  VIGIL_NOTICE_RECORD_LOST,      /* an outbox record failed its integrity check: first */
  VIGIL_NOTICE_OUTBOX_FULL       /* a sample was refused for lack of space */
} vigil_notice_kind_t;

typedef struct vigil_notice {
  vigil_notice_kind_t kind;
  int code;
  vigil_channel_t channel;
  uint64_t seq;
  uint64_t first;
  uint32_t count;
  uint64_t ts;
  /** command op, or NULL */
  const char *text;
  /** 1 when a command was a duplicate of one already executed */
  int duplicate;
} vigil_notice_t;

typedef struct vigil_platform {
  void *ctx;
  /** CSPRNG: fills buf (docs/protocol.md §8: on ESP32 esp_fill_random with RF on). */
  int (*random)(void *ctx, uint8_t *buf, size_t len);
  /** Wall clock in ms since the Unix epoch; VIGIL_E_NOTIME until it is synchronised (SNTP). */
  int (*now_ms)(void *ctx, uint64_t *ms);
  /** Durable small values, replaced atomically. VIGIL_E_NOTFOUND for a missing key.
   *  Keys are at most 15 characters (NVS's limit). */
  int (*kv_get)(void *ctx, const char *key, uint8_t *buf, size_t cap, size_t *len);
  int (*kv_put)(void *ctx, const char *key, const uint8_t *data, size_t len);
  int (*kv_del)(void *ctx, const char *key);
  /** The outbox region: region_size bytes of byte-addressable storage; durable after sync. */
  int (*region_read)(void *ctx, uint32_t off, uint8_t *buf, size_t len);
  int (*region_write)(void *ctx, uint32_t off, const uint8_t *buf, size_t len);
  int (*region_sync)(void *ctx);
  uint32_t region_size;
  /** MQTT PUBLISH with QoS 1; *msg_id identifies the PUBACK later passed to
   *  vigil_device_on_puback(). VIGIL_E_TRANSPORT when not connected. */
  int (*publish)(void *ctx, const char *topic, const uint8_t *payload, size_t len, int retain,
                 uint32_t *msg_id);
  /** MQTT SUBSCRIBE with QoS 1. */
  int (*subscribe)(void *ctx, const char *topic);
  /** Optional: runs a command op the core does not handle itself. VIGIL_E_UNSUPPORTED if the
   *  op is unknown; otherwise fill the ack (ok, error, result) and return VIGIL_OK. */
  int (*execute)(void *ctx, const struct vigil_command *cmd, struct vigil_ack *ack);
  /** Optional: observes what the core did (logging, display, tests). */
  void (*notify)(void *ctx, const vigil_notice_t *notice);
} vigil_platform_t;

#endif
