/**
 * Restarts: each normal trace is run once continuously and once with the monitor rebuilt every
 * 24 hours the way the alarm service rebuilds it, from the readings of the last `historyMs` plus
 * 30 minutes (transitions of the replay are not alarms: the store already holds those). A third
 * run restarts without any history (a cold start), for comparison.
 */
import { MONITOR_CONFIGS } from '../../src/rules/anomaly/monitor-config.ts';
import type { StatisticalMonitor } from '../../src/rules/anomaly/statistical-monitor.ts';
import type { Reading } from '../../src/rules/rule.ts';
import { monitorFor } from './monitor-driver.ts';
import { toReadings } from './readings.ts';
import { type BenchProfile, generateTrace } from './traces.ts';

export interface RestartResult {
  readonly profile: BenchProfile;
  readonly deviceWeeks: number;
  readonly restarts: number;
  /** Statistical alarms opened, per device-week. */
  readonly continuous: number;
  readonly restored: number;
  readonly cold: number;
  /** Alarms of the restored runs whose id the continuous run does not have, and the reverse. */
  readonly differing: number;
}

const DAY = 86_400_000;

function opened(m: StatisticalMonitor, rs: readonly Reading[], ids: Set<string>): void {
  for (const r of rs) for (const t of m.observe(r, r.ts)) if (t.type === 'opened') ids.add(t.alarm.id);
}

export function runRestarts(
  profile: BenchProfile,
  devices: readonly number[],
  days: number,
  stepMs: number,
  seed: string,
): RestartResult {
  const historyMs = MONITOR_CONFIGS[profile === 'truck' ? 'vehicle' : profile].historyMs;
  let continuous = 0;
  let restored = 0;
  let cold = 0;
  let differing = 0;
  let restarts = 0;
  for (const i of devices) {
    const t = generateTrace(profile, i, { devices: 0, days, stepMs, seed });
    const rs = toReadings(t);
    const all = new Set<string>();
    opened(monitorFor(t), rs, all);
    const warm = new Set<string>();
    const fresh = new Set<string>();
    let from = 0;
    let warmM = monitorFor(t);
    let coldM = monitorFor(t);
    for (let at = t.startTs + DAY; ; at += DAY) {
      const to = at < t.startTs + t.n * stepMs ? Math.ceil((at - t.startTs) / stepMs) : t.n;
      opened(warmM, rs.slice(from, to), warm);
      opened(coldM, rs.slice(from, to), fresh);
      if (to >= t.n) break;
      restarts++;
      // the alarm service's reload: a fresh monitor fed the history by time, its transitions dropped
      warmM = monitorFor(t);
      const back = Math.max(0, Math.ceil((at - historyMs - 30 * 60_000 - t.startTs) / stepMs));
      for (const r of rs.slice(back, to)) warmM.observe(r, at);
      coldM = monitorFor(t);
      from = to;
    }
    continuous += all.size;
    restored += warm.size;
    cold += fresh.size;
    for (const id of warm) if (!all.has(id)) differing++;
    for (const id of all) if (!warm.has(id)) differing++;
  }
  const weeks = (devices.length * days) / 7;
  return {
    profile,
    deviceWeeks: weeks,
    restarts,
    continuous: continuous / weeks,
    restored: restored / weeks,
    cold: cold / weeks,
    differing,
  };
}
