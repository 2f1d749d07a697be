/**
 * Memory per device: many monitors fed a day and more of data (a probe's full 24-hour history)
 * and kept alive; the heap and array buffers grown, after garbage collection, divided by their
 * number. The monitors' own count of their typed arrays (`bytes`) is reported beside it.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { StatisticalMonitor } from '../../src/rules/anomaly/statistical-monitor.ts';
import { monitorFor } from './monitor-driver.ts';
import { toReadings } from './readings.ts';
import { type BenchProfile, generateTrace } from './traces.ts';

export interface MemoryResult {
  readonly profile: BenchProfile;
  readonly monitors: number;
  /** Heap growth per monitor, bytes. */
  readonly heapBytes: number;
  /** The monitors' own account of their buffers and model, bytes (mean). */
  readonly ownBytes: number;
}

function collector(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return () => {
    for (let i = 0; i < 3; i++) gc();
  };
}

export function measureMemory(
  profile: BenchProfile,
  monitors: number,
  stepMs: number,
  seed: string,
): MemoryResult {
  const gc = collector();
  // one trace, replayed into every monitor (the data's memory is not the monitors')
  const t = generateTrace(profile, 0, { devices: 0, days: 26 / 24, stepMs, seed });
  const rs = toReadings(t);
  // one monitor first: compiled code and the shared baseline scratch are not per device
  const warm = monitorFor(t);
  for (const r of rs) warm.observe(r, r.ts);
  gc();
  const used = () => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const before = used();
  const held: StatisticalMonitor[] = [];
  for (let k = 0; k < monitors; k++) {
    const m = monitorFor({ ...t, id: `${t.id}-${k}` });
    for (const r of rs) m.observe(r, r.ts);
    held.push(m);
  }
  gc();
  const after = used();
  const own = held.reduce((s, m) => s + m.bytes, 0) / monitors;
  return { profile, monitors: held.length, heapBytes: (after - before) / monitors, ownBytes: own };
}
