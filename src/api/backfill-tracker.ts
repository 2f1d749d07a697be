/** The part of an accepted message the tracker reads (src/ingest/pipeline.ts `AcceptedMessage`). */
export interface BackfillObservation {
  deviceId: string;
  readings: readonly { backfill: boolean; receivedAt: number }[];
}

/**
 * Remembers, per device, when it last delivered backfill: samples that arrived later than the
 * pipeline's `backfillAfterMs`, i.e. that the device buffered while it could not reach the broker.
 * The system page's continuity indicators read it ("devices that were buffering offline and
 * delivered in the last hour"). In memory, fed by the pipeline's `onAccepted` hook: it starts
 * empty at each start. One entry per device (bounded by the provisioned devices); `observe` is
 * O(readings) and allocates nothing for live data, so it costs ingest nothing measurable.
 */
export class BackfillTracker {
  readonly #lastAt = new Map<string, number>();

  observe(ev: BackfillObservation): void {
    let at = -1;
    for (const r of ev.readings) if (r.backfill && r.receivedAt > at) at = r.receivedAt;
    if (at < 0) return;
    const prev = this.#lastAt.get(ev.deviceId);
    if (prev === undefined || at > prev) this.#lastAt.set(ev.deviceId, at);
  }

  /** When the device last delivered backfill; null when not seen since start. */
  lastAt(deviceId: string): number | null {
    return this.#lastAt.get(deviceId) ?? null;
  }

  /** Devices that delivered backfill at or after `since`, sorted by id. */
  since(since: number): string[] {
    const ids: string[] = [];
    for (const [id, at] of this.#lastAt) if (at >= since) ids.push(id);
    return ids.sort();
  }
}
