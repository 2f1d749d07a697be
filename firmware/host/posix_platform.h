/*
 * The POSIX side of the platform interface (vigil/platform.h): kv records as files replaced by
 * write-fsync-rename-fsync(dir), the outbox region as one preallocated file, getrandom(2) for
 * randomness and CLOCK_REALTIME for time. Transport callbacks live in mqtt_link.c.
 */
#ifndef VIGIL_HOST_POSIX_PLATFORM_H
#define VIGIL_HOST_POSIX_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/platform.h"

typedef struct posix_store {
  char dir[4096];
  int region_fd;
  uint32_t region_size;
} posix_store_t;

/** Creates DIR (mode 0700) if needed and opens DIR/outbox.ring of region_size bytes. */
int posix_store_open(posix_store_t *s, const char *dir, uint32_t region_size);
void posix_store_close(posix_store_t *s);

/* callbacks for vigil_platform_t; ctx is the posix_store_t (random and clock ignore it) */
int posix_random(void *ctx, uint8_t *buf, size_t len);
int posix_now_ms(void *ctx, uint64_t *ms);
int posix_kv_get(void *ctx, const char *key, uint8_t *buf, size_t cap, size_t *len);
int posix_kv_put(void *ctx, const char *key, const uint8_t *data, size_t len);
int posix_kv_del(void *ctx, const char *key);
int posix_region_read(void *ctx, uint32_t off, uint8_t *buf, size_t len);
int posix_region_write(void *ctx, uint32_t off, const uint8_t *buf, size_t len);
int posix_region_sync(void *ctx);

/** Monotonic milliseconds, for scheduling. */
uint64_t posix_monotonic_ms(void);

#endif
