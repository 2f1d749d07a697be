#include "sample_schedule.h"

uint64_t sample_next_due(uint64_t due_ms, uint64_t done_ms, uint32_t interval_ms) {
  uint64_t on_grid = due_ms + interval_ms;
  /* rounded up, so that an interval of 1 ms still leaves 1 ms */
  uint64_t min_gap = (interval_ms + 1u) / 2u;
  return on_grid >= done_ms + min_gap ? on_grid : done_ms + interval_ms;
}
