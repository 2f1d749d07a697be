/*
 * vigil-device's sampling schedule (firmware/host/sample_schedule.c): the interval grid is kept
 * while samples are on time, and no timing of the main loop (a stall of the process, a slow
 * fsync, a burst of PUBACKs waking it early) makes it take two samples in one millisecond, which
 * Vigil and its users could not tell from one reading stored twice.
 */
#include <string.h>

#include "sample_schedule.h"
#include "testkit.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_rand(void) {
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return rng * 2685821657736338717ull;
}

static uint64_t below(uint64_t n) { return n ? next_rand() % n : 0; }

static void test_on_time_keeps_the_grid(void) {
  uint32_t intervals[] = {10, 20, 1000, 60000};
  size_t i;
  for (i = 0; i < sizeof(intervals) / sizeof(intervals[0]); i++) {
    uint32_t iv = intervals[i];
    uint64_t due = 1000000;
    uint64_t late;
    /* taken up to just under half an interval late: the next one stays on the grid */
    for (late = 0; late < (iv + 1) / 2; late++)
      CHECK(sample_next_due(due, due + late, iv) == due + iv, "interval %u, %llu ms late: on the grid", iv,
            (unsigned long long)late);
  }
}

static void test_late_sample_leaves_half_an_interval(void) {
  uint32_t intervals[] = {1, 2, 10, 20, 1000, 60000};
  size_t i;
  for (i = 0; i < sizeof(intervals) / sizeof(intervals[0]); i++) {
    uint32_t iv = intervals[i];
    uint64_t due = 5000000, late, too_soon = 0, too_late = 0, first_bad = 0;
    for (late = 0; late <= 3ull * iv; late++) {
      uint64_t done = due + late, next = sample_next_due(due, done, iv);
      if (next < done + (iv + 1) / 2 && too_soon++ == 0) first_bad = late;
      if (next > done + iv) too_late++;
    }
    CHECK(too_soon == 0, "interval %u: %llu lateness values (the first %llu ms) leave less than half an interval",
          iv, (unsigned long long)too_soon, (unsigned long long)first_bad);
    CHECK(too_late == 0, "interval %u: %llu lateness values wait longer than an interval", iv,
          (unsigned long long)too_late);
  }
}

/*
 * The main loop of vigil-device (host/main.c run()) on a simulated machine under load, in
 * microseconds: each iteration waits in mosquitto_loop() for up to 20 ms (less when a PUBACK
 * arrives), now and then the process is not scheduled for up to three intervals, and the sample
 * is stamped from a wall clock whose milliseconds are out of phase with the monotonic ones.
 */
static void test_loop_under_load_never_stamps_one_ms_twice(void) {
  uint32_t intervals[] = {10, 20, 100};
  size_t i;
  for (i = 0; i < sizeof(intervals) / sizeof(intervals[0]); i++) {
    uint32_t iv = intervals[i];
    uint64_t mono_us = 7000000 + below(1000), phase_us = 1795305600000000ull + below(1000);
    uint64_t due = mono_us / 1000, last_ts = 0, samples = 0, same_ms = 0, closest = UINT64_MAX;
    while (samples < 20000) {
      uint64_t now = mono_us / 1000; /* read at the top of the loop */
      mono_us += below(2) ? below(20000) : below(300); /* mosquitto_loop: timeout or early wake */
      if (below(8) == 0) mono_us += below(3000ull * iv); /* descheduled */
      if (now >= due) {
        uint64_t ts = (mono_us + phase_us) / 1000; /* the sample's wall-clock ts */
        mono_us += below(3000);                    /* stored (fsync) and published */
        if (last_ts && ts <= last_ts) same_ms++;
        if (last_ts && ts > last_ts && ts - last_ts < closest) closest = ts - last_ts;
        last_ts = ts;
        samples++;
        due = sample_next_due(due, mono_us / 1000, iv);
      }
    }
    CHECK(same_ms == 0, "interval %u ms: %llu of %llu samples not later than the one before", iv,
          (unsigned long long)same_ms, (unsigned long long)samples);
    /* half an interval apart on the monotonic clock, less at most 1 ms of truncation */
    CHECK(closest + 1 >= (iv + 1) / 2, "interval %u ms: two samples %llu ms apart", iv,
          (unsigned long long)closest);
  }
}

int main(void) {
  test_on_time_keeps_the_grid();
  test_late_sample_leaves_half_an_interval();
  test_loop_under_load_never_stamps_one_ms_twice();
  return tk_done("test_host_schedule");
}
