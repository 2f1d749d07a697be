/*
 * When vigil-device takes its next sample (pure: no clock of its own, so the ctest
 * `host_sample_schedule` can drive it through any timing).
 *
 * Samples stay on the interval grid (due, due + interval, ...) while they are taken on time. A
 * sample taken late (the process was not scheduled, an fsync was slow) used to keep the grid
 * too, so the next one could follow it within the same millisecond: two readings with one `ts`,
 * which Vigil and its users cannot tell from one reading stored twice. Now the next sample is
 * never less than half an interval after the previous one was taken, and a sample more than
 * half an interval late starts the grid again from the moment it was taken.
 */
#ifndef VIGIL_HOST_SAMPLE_SCHEDULE_H
#define VIGIL_HOST_SAMPLE_SCHEDULE_H

#include <stdint.h>

/**
 * The monotonic time the next sample is due, given when the last one was due and `done_ms`,
 * the monotonic time read after it was taken (after its wall-clock `ts` was read, so that the
 * half interval separates the `ts` values too, however long the process was stalled before).
 */
uint64_t sample_next_due(uint64_t due_ms, uint64_t done_ms, uint32_t interval_ms);

#endif
