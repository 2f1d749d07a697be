/** Cumulative counters sampled by {@link ThroughputMeter}. */
export interface CounterSample {
  accepted: number;
  readings: number;
  rejected: number;
}

export interface Throughput {
  /** Per second, over the last `windowMs` (or since the first sample when younger). */
  acceptedPerSec: number;
  readingsPerSec: number;
  rejectedPerSec: number;
  windowMs: number;
}

/**
 * Rates over a sliding window from periodic samples of cumulative counters. Pure: the caller
 * passes the time and the counters (a timer in the API server samples every few seconds).
 */
export class ThroughputMeter {
  readonly windowMs: number;
  readonly #samples: ({ t: number } & CounterSample)[] = [];

  constructor(windowMs = 60_000) {
    this.windowMs = windowMs;
  }

  sample(t: number, c: CounterSample): void {
    this.#samples.push({ t, ...c });
    // Keep one sample at or before the window start, so the rate always covers the full window.
    while (this.#samples.length > 2 && (this.#samples[1] as { t: number }).t <= t - this.windowMs) {
      this.#samples.shift();
    }
  }

  rates(t: number, now: CounterSample): Throughput {
    const first = this.#samples[0];
    if (!first || t <= first.t)
      return { acceptedPerSec: 0, readingsPerSec: 0, rejectedPerSec: 0, windowMs: 0 };
    const dt = t - first.t;
    const per = (a: number, b: number) => Math.max(0, ((a - b) * 1000) / dt);
    return {
      acceptedPerSec: per(now.accepted, first.accepted),
      readingsPerSec: per(now.readings, first.readings),
      rejectedPerSec: per(now.rejected, first.rejected),
      windowMs: dt,
    };
  }
}
