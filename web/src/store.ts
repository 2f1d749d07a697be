/**
 * The fleet as the pages see it: devices with their latest reading and alarm state, and the open
 * alarms. Loaded from the API, then kept current by the live feed; refreshed by polling as well
 * (slowly while the feed is up, to catch online/offline transitions the feed may not push).
 */
import { api } from './api.ts';
import { isOnline } from './freshness.ts';
import { ms } from './instant.ts';
import type { LiveFeed } from './live.ts';
import { type Alarm, alarmActive, type Device, type LiveReading, type Reading } from './types.ts';

type Topic = 'devices' | 'alarms' | 'reading' | 'system';
type Listener = (detail: unknown) => void;

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
        api<{ devices: Device[] }>('/devices'),
        this.#canAlarms ? api<{ alarms: Alarm[] }>('/alarms?state=active').catch(() => null) : null,
      ]);
      const seen = new Set<string>();
      for (const d of list.devices) {
        seen.add(d.id);
        const prev = this.devices.get(d.id);
        // A live reading may be newer than the list's.
        if (prev?.latest && (!d.latest || prev.latest.ts > d.latest.ts)) d.latest = prev.latest;
        this.devices.set(d.id, d);
      }
      for (const id of [...this.devices.keys()]) if (!seen.has(id)) this.devices.delete(id);
      if (alarms) {
        this.alarms.clear();
        for (const a of alarms.alarms) this.alarms.set(a.id, a);
      }
      this.#deriveAlarmState();
      this.loaded = true;
      this.error = null;
    } catch (err) {
      this.error = err;
    }
    this.#emit('devices');
    this.#emit('alarms');
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
    return [...this.alarms.values()].filter(alarmActive).sort((a, b) => ms(b.raisedAt) - ms(a.raisedAt));
  }

  /** Wires the live feed into the store. */
  attach(live: LiveFeed): () => void {
    return live.onMessage((m) => {
      switch (m.type) {
        case 'reading':
          this.#onReading(m.data);
          break;
        case 'device': {
          // A device change carries the registry summary; the latest reading and alarm flag stay.
          const d = m.data;
          const prev = this.devices.get(d.id);
          const row: Device = {
            ...d,
            // Frames never carry bed and ward (the feed is shared by every role): keep the list's.
            ...(prev?.labels ? { labels: prev.labels } : {}),
            latest: prev?.latest ?? null,
            alarm: prev?.alarm ?? 'none',
            expectedIntervalMs: prev?.expectedIntervalMs ?? null,
          };
          // The feed's flag uses the fixed window; the learned interval decides here as in the list.
          row.online = isOnline(row, Date.now());
          this.devices.set(d.id, row);
          this.#emitSoon('devices');
          break;
        }
        case 'alarm': {
          const a = m.data;
          this.alarms.set(a.id, a);
          this.#deriveAlarmState();
          this.#emitSoon('alarms');
          this.#emitSoon('devices');
          break;
        }
        case 'system':
          this.#emit('system', m.data);
          break;
      }
    });
  }

  #onReading(live: LiveReading): void {
    const id = live.deviceId;
    const reading: Reading = {
      ts: live.ts,
      receivedAt: live.receivedAt,
      backfill: live.backfill,
      seq: live.seq,
      data: live.data,
    };
    const d = this.devices.get(id);
    if (d) {
      // Backfilled (late) data never replaces a newer latest value.
      if (!d.latest || reading.ts >= d.latest.ts) d.latest = reading;
      if (!d.lastSeenAt || reading.receivedAt > d.lastSeenAt) d.lastSeenAt = reading.receivedAt;
      if (d.status === 'enabled') d.online = true;
    }
    this.#emit('reading', { deviceId: id, reading } satisfies ReadingEvent);
    this.#emitSoon('devices');
  }

  /** Re-derives online flags from lastSeenAt (between polls, so a silent device turns offline). */
  tick(now = Date.now()): void {
    let changed = false;
    for (const d of this.devices.values()) {
      const online = isOnline(d, now);
      if (d.online !== online) {
        d.online = online;
        changed = true;
      }
    }
    if (changed) this.#emit('devices');
  }
}
