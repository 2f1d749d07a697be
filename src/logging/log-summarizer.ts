/** Options of {@link LogSummarizer}. */
export interface LogSummarizerOptions {
  /** Lines of one (event, source) written per interval before they are only counted. */
  burst: number;
  /** Distinct (event, source) pairs tracked per interval; lines of further pairs are only counted. */
  maxKeys: number;
}

/** One summary line's content: an (event, source) whose repeats were counted, not written. */
export interface LogSummary {
  event: string;
  source: string;
  suppressed: number;
}

interface Entry {
  event: string;
  source: string;
  written: number;
  suppressed: number;
}

/**
 * Decides which log lines are written, so that no input can make the log grow without bound:
 * per interval, the first `burst` lines of each (event kind, source) pass; repeats are counted
 * and reported as one summary per pair when the interval closes; past `maxKeys` distinct pairs,
 * every further line is counted in one overflow figure. Lines per interval are therefore at most
 * `maxKeys × burst` plus `maxKeys + 1` summaries. Pure: the caller closes intervals.
 */
export class LogSummarizer {
  readonly #o: LogSummarizerOptions;
  #entries = new Map<string, Entry>();
  #overflow = 0;

  constructor(o: LogSummarizerOptions) {
    if (!(o.burst >= 1) || !(o.maxKeys >= 1)) throw new RangeError('burst and maxKeys must be >= 1');
    this.#o = o;
  }

  /** True when this line may be written; false when it is only counted. */
  admit(event: string, source: string): boolean {
    const key = `${event}\u0000${source}`;
    let e = this.#entries.get(key);
    if (!e) {
      if (this.#entries.size >= this.#o.maxKeys) {
        this.#overflow++;
        return false;
      }
      e = { event, source, written: 0, suppressed: 0 };
      this.#entries.set(key, e);
    }
    if (e.written < this.#o.burst) {
      e.written++;
      return true;
    }
    e.suppressed++;
    return false;
  }

  /** Closes the interval: the summaries to write, and the overflow count; then starts afresh. */
  close(): { summaries: LogSummary[]; overflow: number } {
    const summaries: LogSummary[] = [];
    for (const e of this.#entries.values()) {
      if (e.suppressed > 0) summaries.push({ event: e.event, source: e.source, suppressed: e.suppressed });
    }
    const overflow = this.#overflow;
    this.#entries = new Map();
    this.#overflow = 0;
    return { summaries, overflow };
  }
}
