/*
 * An in-memory platform for the core's tests and the fuzz target: kv and region in RAM, a
 * settable clock, a seeded RNG, a transport that records what was published, and crash
 * injection (after N storage writes the "power fails": a kv write is lost whole, a region write
 * is torn at a random byte, and every later write is lost).
 */
#ifndef VIGIL_MEM_PLATFORM_H
#define VIGIL_MEM_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/device.h"
#include "vigil/platform.h"

#define MEM_KV_MAX 32

typedef struct mem_msg {
  char topic[VIGIL_TOPIC_MAX];
  uint8_t *payload;
  size_t len;
  int retain;
  uint32_t mid;
} mem_msg_t;

typedef struct mem_platform {
  vigil_platform_t p;
  struct {
    char key[16];
    uint8_t *data;
    size_t len;
    int used;
  } kv[MEM_KV_MAX];
  uint8_t *region;
  uint64_t now;
  int time_set;
  uint64_t rng;
  int link_up;
  mem_msg_t *msgs;
  size_t nmsgs;
  size_t cap;
  uint32_t next_mid;
  char subscribed[VIGIL_TOPIC_MAX];
  /* storage writes left before the crash; -1: never */
  long writes_left;
  int crashed;
  unsigned notices[16];
  vigil_notice_t last;
  /* execute callback behaviour: 0 unsupported, 1 ok */
  int execute_mode;
  unsigned executed;
} mem_platform_t;

void mem_init(mem_platform_t *m, uint32_t region_size, uint64_t seed);
void mem_free(mem_platform_t *m);
/** Forgets published messages. */
void mem_clear_msgs(mem_platform_t *m);
/** Arms a crash after n more storage writes (-1 disarms). */
void mem_crash_after(mem_platform_t *m, long n);
/** A device configuration on the "vigil/v1" prefix (interval 60 s). */
vigil_device_config_t mem_device_config(const char *id, vigil_profile_t profile, uint32_t kid, vigil_alg_t alg,
                                        const uint8_t secret[32]);
/** Storage writes so far (to size crash loops). */
extern unsigned long mem_write_count;

#endif
