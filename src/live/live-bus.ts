import type { AcceptedMessage } from '../ingest/pipeline.ts';
import type { ReadingRecord } from '../storage/store.ts';

/** Kinds of live-feed messages (docs/api.md, "Live feed"). */
export type LiveType = 'reading' | 'alarm' | 'device' | 'system' | 'command' | 'ota';

/** One message, serialised once for every client: `{"type":…,"data":…}`. */
export interface LiveFrame {
  type: LiveType;
  json: string;
}

/** A reading as pushed on the feed: the stored record's fields, copied one by one (nothing more). */
export type LiveReading = ReadingRecord;

/**
 * In-process fan-out from the producers (ingest, alarms, samplers) to the live-feed clients.
 * `publish` is synchronous and never waits for a consumer: each subscriber only enqueues (see
 * src/api/live-client.ts), so a slow browser cannot slow ingest. With no subscriber a publish
 * costs nothing (not even the JSON encoding).
 */
export class LiveBus {
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

  publish(type: LiveType, data: unknown): void {
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
    for (const r of ev.readings) {
      const reading: LiveReading = {
        deviceId: r.deviceId,
        seq: r.seq,
        idx: r.idx,
        ts: r.ts,
        receivedAt: r.receivedAt,
        backfill: r.backfill,
        data: r.data,
      };
      this.publish('reading', reading);
    }
  }
}
