import { createHash } from 'node:crypto';
import type { Store } from '../../src/storage/store.ts';

/**
 * Every stored reading of every device as NDJSON, sorted by device, seq and sample index (the
 * store's natural key), and its SHA-256: two databases hold the same readings exactly when the
 * exports are byte-identical.
 */
export async function exportReadingsSorted(store: Store): Promise<{ lines: string[]; sha256: string }> {
  const lines: string[] = [];
  const devices = (await store.listDevices()).map((d) => d.id).sort();
  for (const id of devices) {
    const rows = await store.queryReadings({ deviceId: id, limit: 100_000 });
    rows.sort((a, b) => a.seq - b.seq || a.idx - b.idx);
    for (const r of rows) lines.push(JSON.stringify(r));
  }
  return { lines, sha256: createHash('sha256').update(lines.join('\n')).digest('hex') };
}
