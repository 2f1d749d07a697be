import type { AcceptedMessage } from '../ingest/pipeline.ts';
import { type ReadingView, readingView } from './reading-view.ts';

/** Kinds of live-feed messages (docs/api.md, "Live feed"). */
export type LiveType = 'readings' | 'alarm' | 'device' | 'system' | 'command' | 'ota';

/** One message, serialised once for every client: `{"type":…,"data":…}`. */
export interface LiveFrame {
  type: LiveType;
  json: string;
}

/**
 * What each type of message carries. The API fixes the real shapes (src/api/ports.ts,
 * `LiveFrameData`: its own views, times ISO 8601); a `readings` message is always an array of {@link ReadingView}, the same shape
 * `vigil readings --json` prints.
 */
export type LiveData = Record<LiveType, unknown> & { readings: ReadingView[] };

/** A `readings` message carries at most this many readings (docs/api.md). */
export const MAX_READINGS_PER_FRAME = 256;

/**
 * In-process fan-out from the producers (ingest, alarms, samplers) to the live-feed clients.
 * `publish` is synchronous and never waits for a consumer: each subscriber only enqueues (see
 * src/api/live-client.ts), so a slow browser cannot slow ingest. With no subscriber a publish
 * costs nothing (not even the JSON encoding).
 *
 * Readings are batched: those accepted within one turn of the event loop (a group commit hands
 * over hundreds at once) go out as one `readings` message of up to
 * {@link MAX_READINGS_PER_FRAME}, sent when the turn ends. One WebSocket message (one TLS record,
 * one write) per turn instead of one per reading is what lets 20 dashboards follow thousands of
 * readings a second; a turn adds no waiting of its own. Any other message first sends the
 * readings batched before it, so the order of the feed is the order of publishing.
 */
export class LiveBus<D extends LiveData = LiveData> {
  readonly #subscribers = new Set<(frame: LiveFrame) => void>();
  /** The readings of this turn, each already serialised. */
  #pending: string[] = [];
  #scheduled = false;
  /** Messages published since start, and subscriber exceptions swallowed (for tests and metrics). */
  readonly stats = { published: 0, subscriberErrors: 0 };

  /** Adds a subscriber; returns its removal. */
  subscribe(fn: (frame: LiveFrame) => void): () => void {
    this.#subscribers.add(fn);
    return () => {
      this.#subscribers.delete(fn);
    };
  }

  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  /** Publishes one message of any type but `readings` (those come from {@link publishAccepted}). */
  publish<T extends Exclude<LiveType, 'readings'>>(type: T, data: D[T]): void {
    this.flush();
    if (this.#subscribers.size === 0) return;
    this.#deliver({ type, json: JSON.stringify({ type, data }) });
  }

  /** Queues the readings of one accepted message (the pipeline's `onAccepted` hook). */
  publishAccepted(ev: AcceptedMessage): void {
    if (this.#subscribers.size === 0) return;
    for (const r of ev.readings) {
      this.#pending.push(JSON.stringify(readingView(r)));
      if (this.#pending.length >= MAX_READINGS_PER_FRAME) this.flush();
    }
    if (this.#pending.length > 0 && !this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.flush();
      });
    }
  }

  /** Sends the readings batched so far as one `readings` message (called at the end of the turn). */
  flush(): void {
    if (this.#pending.length === 0) return;
    const parts = this.#pending;
    this.#pending = [];
    if (this.#subscribers.size === 0) return;
    this.#deliver({ type: 'readings', json: `{"type":"readings","data":[${parts.join(',')}]}` });
  }

  #deliver(frame: LiveFrame): void {
    this.stats.published++;
    for (const fn of this.#subscribers) {
      try {
        fn(frame);
      } catch {
        this.stats.subscriberErrors++;
      }
    }
  }
}
