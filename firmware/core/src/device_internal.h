/* Internal: what device.c, inflight.c and downlink.c share. */
#ifndef VIGIL_DEVICE_INTERNAL_H
#define VIGIL_DEVICE_INTERNAL_H

#include "vigil/device.h"

#define KV_DOWNLINK "dlwin"
#define KV_COMMANDS "cmds"
#define KV_CONFIG "cfg"

void dev_notify(vigil_device_t *d, vigil_notice_kind_t kind, int code, vigil_channel_t ch, uint64_t first,
                uint32_t count, uint64_t seq);
/** Appends a record to the outbox with the given free-slot reserve, and notifies STORED. */
int dev_store(vigil_device_t *d, vigil_rec_kind_t kind, const char *body, size_t len,
              uint32_t reserve, uint64_t ts);
/** Builds "<prefix>/devices/<id>/<channel>" into d->topic. */
const char *dev_topic(vigil_device_t *d, vigil_channel_t ch);

/* inflight.c: sealed envelopes on storage */
int inflight_store(vigil_device_t *d, unsigned slot);
int inflight_forget(vigil_device_t *d, unsigned slot);
int inflight_load_all(vigil_device_t *d);

/* downlink.c: the command history and settings on storage */
int commands_load(vigil_device_t *d);
int config_load(vigil_device_t *d);

#endif
