/** A device's latest `link` event (docs/protocol.md §8): its broker and outbox depth. */
export interface DeviceLink {
  broker: string;
  buffered: number;
  /** When the event arrived. */
  at: number;
}

/** Remembers each device's latest `link` event as ingest accepts them (since this process started). */
export class LinkTracker {
  readonly #links = new Map<string, DeviceLink>();

  observe(ev: {
    deviceId: string;
    messages: readonly { body: Record<string, unknown>; receivedAt: number }[];
  }): void {
    for (const m of ev.messages) {
      if (m.body.type !== 'link') continue;
      const buffered = Number(m.body.buffered);
      const prev = this.#links.get(ev.deviceId);
      if (prev && prev.at > m.receivedAt) continue;
      this.#links.set(ev.deviceId, {
        broker: typeof m.body.broker === 'string' ? m.body.broker : '',
        buffered: Number.isSafeInteger(buffered) && buffered >= 0 ? buffered : 0,
        at: m.receivedAt,
      });
    }
  }

  get(deviceId: string): DeviceLink | null {
    return this.#links.get(deviceId) ?? null;
  }
}
