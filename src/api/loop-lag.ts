import { type ELDHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

/** Event loop delay statistics, in seconds. */
export interface LoopLag {
  mean: number;
  p50: number;
  p99: number;
  max: number;
  /** Length of the window the figures cover. */
  windowS: number;
}

/**
 * Event loop lag over fixed windows (perf_hooks.monitorEventLoopDelay): the figures of the last
 * complete window, or of the current one before the first completes. A histogram over the whole
 * run would hide today's stall behind weeks of idle loop.
 */
export class LoopLagMonitor {
  readonly #h: ELDHistogram;
  readonly #windowMs: number;
  #windowStart = performance.now();
  #last: LoopLag | null = null;
  #timer: NodeJS.Timeout | undefined;

  constructor(windowMs = 60_000, resolutionMs = 20) {
    this.#windowMs = windowMs;
    this.#h = monitorEventLoopDelay({ resolution: resolutionMs });
  }

  start(): void {
    this.#h.enable();
    this.#windowStart = performance.now();
    this.#timer ??= setInterval(() => {
      this.#last = this.#read();
      this.#h.reset();
      this.#windowStart = performance.now();
    }, this.#windowMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#h.disable();
  }

  #read(): LoopLag | null {
    if (this.#h.count === 0) return null;
    return {
      mean: this.#h.mean / 1e9,
      p50: this.#h.percentile(50) / 1e9,
      p99: this.#h.percentile(99) / 1e9,
      max: this.#h.max / 1e9,
      windowS: (performance.now() - this.#windowStart) / 1000,
    };
  }

  current(): LoopLag | null {
    return this.#last ?? this.#read();
  }
}
