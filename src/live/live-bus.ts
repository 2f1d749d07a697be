import type { AcceptedMessage } from '../ingest/pipeline.ts';
import { type ReadingView, readingView } from './reading-view.ts';

/** Kinds of live-feed messages (docs/api.md, "Live feed"). */
export type LiveType = 'reading' | 'alarm' | 'device' | 'system' | 'command' | 'ota';

/** One message, serialised once for every client: `{"type":…,"data":…}`. */
export interface LiveFrame {
  type: LiveType;
  json: string;
}

/**
 * What each type of message carries. The API fixes the real shapes (src/api/ports.ts,
 * `LiveFrameData`: its own views, times ISO 8601); a reading is always {@link ReadingView}.
 */
export type LiveData = Record<LiveType, unknown> & { reading: ReadingView };

/**
 * In-process fan-out from the producers (ingest, alarms, samplers) to the live-feed clients.
 * `publish` is synchronous and never waits for a consumer: each subscriber only enqueues (see
 * src/api/live-client.ts), so a slow browser cannot slow ingest. With no subscriber a publish
 * costs nothing (not even the JSON encoding).
 */
export class LiveBus<D extends LiveData = LiveData> {
  readonly #subscribers = new Set<(frame: LiveFrame) => void>();
  /** Frames published since start, and subscriber exceptions swallowed (for tests and metrics). */
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

  publish<T extends LiveType>(type: T, data: D[T]): void {
    if (this.#subscribers.size === 0) return;
    const frame: LiveFrame = { type, json: JSON.stringify({ type, data }) };
    this.stats.published++;
    for (const fn of this.#subscribers) {
      try {
        fn(frame);
      } catch {
        this.stats.subscriberErrors++;
      }
    }
  }

  /** Publishes the readings of one accepted message (the pipeline's `onAccepted` hook). */
  publishAccepted(ev: AcceptedMessage): void {
    if (this.#subscribers.size === 0) return;
    // D['reading'] is ReadingView by the constraint on D.
    for (const r of ev.readings) this.publish('reading', readingView(r) as D['reading']);
  }
}
