/*
 * Compile-time limits of the device core. Every buffer of the core is sized from these, so the
 * RAM a device needs is known at link time (no allocation in the hot path). Override any of them
 * with -D on the compiler command line (the ESP-IDF build sets smaller values, see
 * firmware/esp32/main/CMakeLists.txt).
 */
#ifndef VIGIL_CONFIG_H
#define VIGIL_CONFIG_H

/* Largest uplink envelope this device builds. docs/protocol.md §5: at most 16384 bytes. */
#ifndef VIGIL_ENVELOPE_MAX
#define VIGIL_ENVELOPE_MAX 16384
#endif

/* Largest downlink (command) envelope accepted; larger ones are refused as ENVELOPE_SIZE. */
#ifndef VIGIL_DOWNLINK_MAX
#define VIGIL_DOWNLINK_MAX 16384
#endif

/* Envelopes published and not yet acknowledged (PUBACK) at any time. */
#ifndef VIGIL_MAX_INFLIGHT
#define VIGIL_MAX_INFLIGHT 2
#endif

/* Samples per telemetry envelope (docs/protocol.md §7.1: at most 200; the simulator uses 40). */
#ifndef VIGIL_BATCH_SAMPLES
#define VIGIL_BATCH_SAMPLES 40
#endif

/* Bytes per outbox slot: one sample, event or ack body with its 20-byte record header. */
#ifndef VIGIL_OUTBOX_SLOT
#define VIGIL_OUTBOX_SLOT 512
#endif

/* Outbox slots kept free for acks and events, so a full sample backlog never blocks an ack. */
#ifndef VIGIL_OUTBOX_RESERVE
#define VIGIL_OUTBOX_RESERVE 8
#endif

/* Downlink anti-replay window (RFC 4303 §3.4.3): a multiple of 8, at least 64. */
#ifndef VIGIL_DOWNLINK_WINDOW
#define VIGIL_DOWNLINK_WINDOW 64
#endif

/* Uplink seq numbers reserved per durable write (docs/protocol.md §8). */
#ifndef VIGIL_SEQ_BLOCK
#define VIGIL_SEQ_BLOCK 256
#endif

/* Command ids remembered for at-most-once execution. */
#ifndef VIGIL_CMD_HISTORY
#define VIGIL_CMD_HISTORY 32
#endif

/* docs/protocol.md §6.2 step 6: ts more than this ahead of the local clock is refused. */
#ifndef VIGIL_FUTURE_SKEW_MS
#define VIGIL_FUTURE_SKEW_MS 300000u
#endif

/* Key generations held at once: the current one and, during rotation, the next. */
#ifndef VIGIL_MAX_KEYS
#define VIGIL_MAX_KEYS 2
#endif

/* JSON tokens for one downlink envelope or command body. */
#ifndef VIGIL_JSON_TOKENS
#define VIGIL_JSON_TOKENS 128
#endif

/* Deepest JSON nesting the reader accepts (the bodies a device reads have depth 2). */
#ifndef VIGIL_JSON_MAX_DEPTH
#define VIGIL_JSON_MAX_DEPTH 16
#endif

/* Topic prefix length (the server allows up to 128 characters). */
#define VIGIL_PREFIX_MAX 128
/* Device id: ^[a-z0-9][a-z0-9-]{2,63}$ */
#define VIGIL_ID_MAX 64
/* "<prefix>/devices/<id>/telemetry" plus NUL */
#define VIGIL_TOPIC_MAX (VIGIL_PREFIX_MAX + 9 + VIGIL_ID_MAX + 11 + 1)
/* Largest seq / ts: 2^53 - 1 (docs/protocol.md §5). */
#define VIGIL_MAX_SAFE_INT 9007199254740991ull
/* Largest kid: 2^31 - 1 */
#define VIGIL_MAX_KID 2147483647ul

#if VIGIL_DOWNLINK_WINDOW < 64 || VIGIL_DOWNLINK_WINDOW % 8 != 0
#error "VIGIL_DOWNLINK_WINDOW must be a multiple of 8, at least 64"
#endif
#if VIGIL_ENVELOPE_MAX > 16384 || VIGIL_ENVELOPE_MAX < 1024
#error "VIGIL_ENVELOPE_MAX must be 1024..16384"
#endif
#if VIGIL_BATCH_SAMPLES < 1 || VIGIL_BATCH_SAMPLES > 200
#error "VIGIL_BATCH_SAMPLES must be 1..200"
#endif
#if VIGIL_MAX_INFLIGHT < 1 || VIGIL_MAX_INFLIGHT > 10
#error "VIGIL_MAX_INFLIGHT must be 1..10"
#endif
#if VIGIL_OUTBOX_SLOT < 128 || VIGIL_OUTBOX_SLOT > 4096
#error "VIGIL_OUTBOX_SLOT must be 128..4096"
#endif

#endif
