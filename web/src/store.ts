/**
 * The fleet as the pages see it: devices with their latest reading and alarm state, and the open
 * alarms. Loaded from the API, then kept current by the live feed; refreshed by polling as well
 * (slowly while the feed is up, to catch online/offline transitions the feed may not push).
 */
import { api } from './api.ts';
import type { LiveFeed } from './live.ts';
import { alarmActive, normAlarm, normDevice, normReading, readingDeviceId } from './normalize.ts';
import type { Alarm, Device, Reading, SystemStatus } from './types.ts';

type Topic = 'devices' | 'alarms' | 'reading' | 'system';
type Listener = (detail: unknown) => void;

/** Devices without a message for this long count as offline on the client too (server: 10 min). */
export const ONLINE_WINDOW_MS = 10 * 60_000;
const DETAIL_CONCURRENCY = 6;

export interface ReadingEvent {
  deviceId: string;
  reading: Reading;
}

export class FleetStore {
  readonly devices = new Map<string, Device>();
  readonly alarms = new Map<string, Alarm>();
  loaded = false;
  error: unknown = null;
  readonly #listeners = new Map<Topic, Set<Listener>>();
  readonly #canAlarms: boolean;
  #pending: Set<Topic> = new Set();
  #flushTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(opts: { canReadAlarms: boolean }) {
    this.#canAlarms = opts.canReadAlarms;
  }

  on(topic: Topic, fn: Listener): () => void {
    let set = this.#listeners.get(topic);
    if (!set) {
      set = new Set();
      this.#listeners.set(topic, set);
    }
    set.add(fn);
    return () => set.delete(fn);
  }

  #emit(topic: Topic, detail?: unknown): void {
    for (const fn of this.#listeners.get(topic) ?? []) fn(detail);
  }

  /** Coalesces bursts of updates (a fleet publishing together) into one render per 500 ms. */
  #emitSoon(topic: Topic): void {
    this.#pending.add(topic);
    if (this.#flushTimer) return;
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = null;
      const topics = this.#pending;
      this.#pending = new Set();
      for (const t of topics) this.#emit(t);
    }, 500);
  }

  /** Loads devices and (with `alarms.read`) active alarms (open or acknowledged, not resolved). */
  async refresh(): Promise<void> {
    try {
      const [list, alarms] = await Promise.all([
        api<{ devices: unknown[] }>('/devices'),
        this.#canAlarms ? api<{ alarms: unknown[] }>('/alarms?state=active').catch(() => null) : null,
      ]);
      const missing: string[] = [];
      const seen = new Set<string>();
      for (const raw of list.devices ?? []) {
        const n = normDevice(raw);
        if (!n) continue;
        seen.add(n.device.id);
        const prev = this.devices.get(n.device.id);
        if (!n.hasLatest) {
          n.device.latest = prev?.latest ?? null;
          missing.push(n.device.id);
        } else if (prev?.latest && n.device.latest && prev.latest.ts > n.device.latest.ts) {
          n.device.latest = prev.latest;
        }
        this.devices.set(n.device.id, n.device);
      }
      for (const id of [...this.devices.keys()]) if (!seen.has(id)) this.devices.delete(id);
      if (alarms) {
        this.alarms.clear();
        for (const raw of alarms.alarms ?? []) {
          const a = normAlarm(raw);
          if (a) this.alarms.set(a.id, a);
        }
      }
      // The list does not carry the latest reading (yet): ask per device, a few at a time.
      await this.#fillLatest(missing);
      this.#deriveAlarmState();
      this.loaded = true;
      this.error = null;
    } catch (err) {
      this.error = err;
    }
    this.#emit('devices');
    this.#emit('alarms');
  }

  async #fillLatest(ids: string[]): Promise<void> {
    const queue = [...ids];
    const worker = async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        try {
          const raw = await api<unknown>(`/devices/${encodeURIComponent(id)}`);
          const n = normDevice(raw);
          const d = this.devices.get(id);
          if (n && d && n.device.latest && (!d.latest || n.device.latest.ts >= d.latest.ts)) {
            d.latest = n.device.latest;
          }
        } catch {
          // One device failing must not hide the others.
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(DETAIL_CONCURRENCY, queue.length) }, worker));
  }

  #deriveAlarmState(): void {
    const open = new Set<string>();
    for (const a of this.alarms.values()) if (alarmActive(a)) open.add(a.subject);
    for (const d of this.devices.values()) if (open.has(d.id)) d.alarm = 'open';
    // Only clear a device's alarm flag from our own alarm list when we have it.
    if (this.#canAlarms) for (const d of this.devices.values()) if (!open.has(d.id)) d.alarm = 'none';
  }

  /** Active alarms (open or acknowledged, not resolved), newest first. */
  openAlarms(): Alarm[] {
    return [...this.alarms.values()]
      .filter(alarmActive)
      .sort((a, b) => (b.raisedAt ?? b.startedAt ?? 0) - (a.raisedAt ?? a.startedAt ?? 0));
  }

  /** Wires the live feed into the store. */
  attach(live: LiveFeed): () => void {
    return live.onMessage((m) => {
      switch (m.type) {
        case 'reading':
          this.#onReading(m.data);
          break;
        case 'device': {
          const n = normDevice(m.data);
          if (!n) return;
          const prev = this.devices.get(n.device.id);
          if (prev) {
            prev.status = n.device.status;
            prev.online = n.device.online;
            prev.lastSeenAt = n.device.lastSeenAt ?? prev.lastSeenAt;
            if (n.device.latest && (!prev.latest || n.device.latest.ts >= prev.latest.ts)) {
              prev.latest = n.device.latest;
            }
          } else {
            this.devices.set(n.device.id, n.device);
          }
          this.#emitSoon('devices');
          break;
        }
        case 'alarm': {
          const a = normAlarm(m.data);
          if (!a) return;
          this.alarms.set(a.id, a);
          this.#deriveAlarmState();
          this.#emitSoon('alarms');
          this.#emitSoon('devices');
          break;
        }
        case 'system':
          this.#emit('system', m.data as SystemStatus);
          break;
      }
    });
  }

  #onReading(raw: unknown): void {
    const id = readingDeviceId(raw);
    const reading = normReading(raw);
    if (!id || !reading) return;
    const d = this.devices.get(id);
    if (d) {
      // Backfilled (late) data never replaces a newer latest value.
      if (!d.latest || reading.ts >= d.latest.ts) d.latest = reading;
      const seen = reading.receivedAt ?? Date.now();
      if (!d.lastSeenAt || seen > d.lastSeenAt) d.lastSeenAt = seen;
      if (d.status === 'enabled') d.online = true;
    }
    this.#emit('reading', { deviceId: id, reading } satisfies ReadingEvent);
    this.#emitSoon('devices');
  }

  /** Re-derives online flags from lastSeenAt (between polls, so a silent device turns offline). */
  tick(now = Date.now()): void {
    let changed = false;
    for (const d of this.devices.values()) {
      const online =
        d.status === 'enabled' && d.lastSeenAt !== null && now - d.lastSeenAt <= ONLINE_WINDOW_MS;
      if (d.online && !online) {
        d.online = false;
        changed = true;
      }
    }
    if (changed) this.#emit('devices');
  }
}
