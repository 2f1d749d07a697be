/**
 * A cumulative histogram in the Prometheus model (buckets by upper bound `le`, plus `_sum` and
 * `_count`), for store commit latency. Observations in milliseconds, exposed in seconds as the
 * Prometheus naming guide asks (base units).
 */
export class LatencyHistogram {
  /** Upper bounds in milliseconds. */
  readonly boundsMs: readonly number[];
  readonly #counts: number[];
  #sumMs = 0;
  #count = 0;

  constructor(boundsMs: readonly number[] = [0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500]) {
    this.boundsMs = [...boundsMs].sort((a, b) => a - b);
    this.#counts = this.boundsMs.map(() => 0);
  }

  observe(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.#sumMs += ms;
    this.#count++;
    for (let i = 0; i < this.boundsMs.length; i++) {
      if (ms <= (this.boundsMs[i] as number)) this.#counts[i] = (this.#counts[i] as number) + 1;
    }
  }

  snapshot(): { buckets: { leSeconds: number; count: number }[]; sumSeconds: number; count: number } {
    return {
      buckets: this.boundsMs.map((b, i) => ({ leSeconds: b / 1000, count: this.#counts[i] as number })),
      sumSeconds: this.#sumMs / 1000,
      count: this.#count,
    };
  }
}
