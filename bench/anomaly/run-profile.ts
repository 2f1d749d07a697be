/** Runs every detector over one profile's normal and fault traces, device by device. */
import { nowMs } from '../clock.ts';
import { type BenchAlarm, benchRules, type DetectorName, runBefore, runRules } from './detectors.ts';
import { injectFaults } from './faults.ts';
import { MAD_FIELDS, runMad } from './mad-baseline.ts';
import { type DetectorScore, emptyScore, scoreFaults, scoreNormal } from './metrics.ts';
import { forestVariant, runMonitor } from './monitor-driver.ts';
import { toReadings } from './readings.ts';
import { type BenchProfile, generateTrace, type Trace } from './traces.ts';

export interface ProfileRunOptions {
  readonly profile: BenchProfile;
  /** Device indices to run (a worker takes a share). */
  readonly devices: readonly number[];
  readonly days: number;
  readonly stepMs: number;
  readonly seed: string;
  readonly detectors: readonly DetectorName[];
  /** The slow forests (`before`, `forest`) run only on devices with an index below this. */
  readonly beforeDevices: number;
}

export interface ProfileRunResult {
  readonly profile: BenchProfile;
  readonly stepMs: number;
  readonly scores: Partial<Record<DetectorName, DetectorScore>>;
  /** CPU time per detector, ms (over normal and fault traces). */
  readonly ms: Partial<Record<DetectorName, number>>;
}

function detect(
  name: Exclude<DetectorName, 'shipped'>,
  t: Trace,
  readings: ReturnType<typeof toReadings>,
): BenchAlarm[] {
  switch (name) {
    case 'before':
      return runBefore(t, readings);
    case 'mad':
      return runMad(readings, {
        fields: t.profile === 'vitals' ? MAD_FIELDS.vitals : MAD_FIELDS.temperature,
      });
    case 'rules':
      return runRules(benchRules(t), readings);
    case 'monitor':
      return runMonitor(t, readings);
    case 'forest':
      return runMonitor(t, readings, forestVariant(t));
  }
}

export function runProfile(o: ProfileRunOptions): ProfileRunResult {
  const scores: ProfileRunResult['scores'] = {};
  const ms: ProfileRunResult['ms'] = {};
  for (const d of o.detectors) {
    scores[d] = emptyScore();
    ms[d] = 0;
  }
  for (const i of o.devices) {
    const base = o.detectors.filter(
      (d): d is Exclude<DetectorName, 'shipped'> =>
        d !== 'shipped' && ((d !== 'before' && d !== 'forest') || i < o.beforeDevices),
    );
    const normal = generateTrace(o.profile, i, { devices: 0, days: o.days, stepMs: o.stepMs, seed: o.seed });
    const faulty = injectFaults(normal, o.seed);
    for (const [trace, labels] of [
      [normal, undefined],
      [faulty.trace, faulty.labels],
    ] as const) {
      const readings = toReadings(trace);
      const found: Partial<Record<DetectorName, BenchAlarm[]>> = {};
      for (const d of base) {
        const t0 = nowMs();
        found[d] = detect(d, trace, readings);
        ms[d] = (ms[d] ?? 0) + nowMs() - t0;
      }
      if (o.detectors.includes('shipped')) {
        found.shipped = [...(found.rules ?? []), ...(found.monitor ?? [])].sort(
          (a, b) => a.raisedAt - b.raisedAt,
        );
      }
      for (const d of o.detectors) {
        const alarms = found[d];
        if (!alarms) continue;
        const s = scores[d] as DetectorScore;
        if (labels) scoreFaults(s, labels, alarms);
        else scoreNormal(s, alarms, o.days / 7);
      }
    }
  }
  return { profile: o.profile, stepMs: o.stepMs, scores, ms };
}
