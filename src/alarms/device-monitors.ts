/**
 * The alarm service's statistical monitors (src/rules/anomaly), one per device, and how they
 * survive a restart.
 *
 * - A device gets the monitor of its kind, judged against its current temperature profile; a
 *   new profile (a shipment dispatched, a probe reconfigured) means a new monitor.
 * - Samples and events (door reports) are fed in timestamp order; the monitor ignores late ones,
 *   which the rules judge on their own timestamps.
 * - Restart: the monitor's state is a function of the readings of its history window, so it is
 *   rebuilt by replaying that window (by time, not by count: a 1 Hz device's 6 hours are 21,600
 *   readings) from the store, newest first in pages, at most `maxReplayReadings`. What the replay
 *   raises is not written: the store already holds the alarms of that period, and the caller
 *   reconciles the one left open.
 * - Forests (when a configuration uses one) are seeded from the device id and the minute they are
 *   trained at, so a replay trains the same forest.
 */
import type { TemperatureProfile } from '../coldchain/profiles.ts';
import { createRng, hashSeed } from '../random/rng.ts';
import { createDeviceMonitor, type DeviceKind, monitorProfileOf } from '../rules/anomaly/device-monitor.ts';
import { MONITOR_CONFIGS } from '../rules/anomaly/monitor-config.ts';
import type { StatisticalMonitor } from '../rules/anomaly/statistical-monitor.ts';
import type { Alarm, AlarmTransition, Reading } from '../rules/rule.ts';
import type { ReadingRecord, Store } from '../storage/store.ts';

export interface DeviceMonitorsOptions {
  readonly store: Pick<Store, 'queryReadings' | 'queryMessages'>;
  /** The device's kind, undefined for an unknown device. */
  readonly kindOf: (deviceId: string) => DeviceKind | undefined;
  /** The temperature profile its rules judge it by. */
  readonly profileOf: (deviceId: string) => TemperatureProfile;
  /** Turns a stored event message into a reading (door, power), if it is one. */
  readonly eventReading: (body: Record<string, unknown>, ts: number) => Reading | undefined;
  readonly lateToleranceMs?: number;
  /** Bound on the readings replayed per device at a restart (default 100 000). */
  readonly maxReplayReadings?: number;
}

export interface DeviceMonitors {
  /** Feeds a device's readings (samples and events, any order); returns the transitions. */
  observe(deviceId: string, readings: readonly Reading[], now: number): AlarmTransition[];
  /**
   * Rebuilds a device's monitor from the store: the readings and events of its history window
   * before the newest reading (from `since` at the earliest). Resolves to the alarm the rebuilt
   * monitor holds open, if any.
   */
  restore(deviceId: string, now: number, since?: number): Promise<Alarm | undefined>;
  forget(deviceId: string): void;
  openAlarm(deviceId: string): Alarm | undefined;
  deviceIds(): string[];
}

const PAGE = 20_000;
/** Replay starts this long before the history window, so the first windows are full. */
const LEAD_MS = 30 * 60_000;

export function createDeviceMonitors(o: DeviceMonitorsOptions): DeviceMonitors {
  const monitors = new Map<string, StatisticalMonitor>();
  const maxReplay = o.maxReplayReadings ?? 100_000;

  function monitorOf(deviceId: string): StatisticalMonitor | undefined {
    let m = monitors.get(deviceId);
    if (m) return m;
    const kind = o.kindOf(deviceId);
    if (!kind) return undefined;
    m = createDeviceMonitor({
      subject: deviceId,
      kind,
      profile: o.profileOf(deviceId),
      rngFor: (minute) => createRng(hashSeed(`${deviceId}/${minute}`)),
      ...(o.lateToleranceMs !== undefined ? { lateToleranceMs: o.lateToleranceMs } : {}),
    });
    monitors.set(deviceId, m);
    return m;
  }

  function feed(m: StatisticalMonitor, readings: readonly Reading[], now: number): AlarmTransition[] {
    const out: AlarmTransition[] = [];
    for (const r of [...readings].sort((a, b) => a.ts - b.ts)) out.push(...m.observe(r, now));
    return out;
  }

  return {
    observe(deviceId, readings, now) {
      const m = monitorOf(deviceId);
      return m ? feed(m, readings, now) : [];
    },

    async restore(deviceId, now, since) {
      monitors.delete(deviceId);
      const kind = o.kindOf(deviceId);
      const m = monitorOf(deviceId);
      if (!m || !kind) return undefined;
      const newest = (await o.store.queryReadings({ deviceId, descending: true, limit: 1 }))[0]?.ts;
      if (newest === undefined) return undefined;
      const from = Math.max(
        since ?? Number.NEGATIVE_INFINITY,
        newest - MONITOR_CONFIGS[monitorProfileOf(kind)].historyMs - LEAD_MS,
      );
      // newest first, page by page, until the window or the bound is reached
      const rows: ReadingRecord[] = [];
      let until = newest + 1;
      while (rows.length < maxReplay) {
        const page = await o.store.queryReadings({
          deviceId,
          since: from,
          until,
          descending: true,
          limit: Math.min(PAGE, maxReplay - rows.length),
        });
        rows.push(...page);
        if (page.length < PAGE) break;
        until = (page.at(-1) as ReadingRecord).ts;
      }
      const first = rows.at(-1)?.ts ?? from;
      const events = (
        await o.store.queryMessages({ deviceId, channel: 'events', since: first, limit: 10_000 })
      )
        .map((e) => o.eventReading(e.body, e.ts))
        .filter((r): r is Reading => r !== undefined);
      feed(m, [...rows.reverse(), ...events], now);
      return m.openAlarm();
    },

    forget(deviceId) {
      monitors.delete(deviceId);
    },

    openAlarm: (deviceId) => monitors.get(deviceId)?.openAlarm(),

    deviceIds: () => [...monitors.keys()],
  };
}
