import type { VigilContext } from '../src/data-dir/context.ts';
import type { ReadingRecord } from '../src/storage/store.ts';

/**
 * Writes `perDevice` readings for every device, `stepMs` apart and ending at the context's now
 * (seqs 1..perDevice), in range with a logger's noise (no alarm of any rule), straight into the store in 5,000-row commits with the devices interleaved
 * as a fleet delivers them. A benchmark's setup, not timed; call on a seeding context
 * (synchronous NORMAL).
 */
export async function seedHistory(
  ctx: VigilContext,
  ids: readonly string[],
  perDevice: number,
  stepMs: number,
): Promise<void> {
  const now = ctx.clock();
  const rows: ReadingRecord[] = [];
  const write = (readings: ReadingRecord[]) =>
    ctx.store.writeBatch({ readings, messages: [], replayStates: [], lastSeen: [] });
  for (let k = 0; k < perDevice; k++) {
    for (const [d, id] of ids.entries()) {
      const ts = now - (perDevice - k) * stepMs;
      // a logger's noise (a few hundredths of a degree, deterministic): a constant series would be
      // a stuck sensor, and every device would start with a flat-line alarm
      const wobble = ((k * 7 + d * 3) % 11) - 5;
      rows.push({
        deviceId: id,
        seq: k + 1,
        idx: 0,
        ts,
        receivedAt: ts,
        backfill: false,
        data: {
          temp_c: Math.round((4.6 + wobble * 0.02) * 100) / 100,
          rh_pct: Math.round((51.2 - wobble * 0.1) * 10) / 10,
          lat: 52.37,
          lon: 4.89,
          bat_pct: 88,
          power: 'mains',
        },
      });
      if (rows.length === 5000) await write(rows.splice(0));
    }
  }
  if (rows.length > 0) await write(rows);
}
