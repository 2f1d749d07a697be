import assert from 'node:assert/strict';
import { it } from 'node:test';
import { runDeviceReportsContract } from '../../ota/device-reports-contract.ts';
import { freshSqlite } from './sqlite.fixture.ts';
import { FIRMWARE_SQL, OUTPUT_SQL } from './sqlite-device-reports.ts';

const fresh = freshSqlite('reports');

runDeviceReportsContract({
  name: 'SqliteDeviceReports',
  make: async () => {
    const db = fresh();
    return { reports: db.reports, store: db.store, cleanup: () => db.store.close() };
  },
});

it('finds a device report by an index seek on (device, kind), not by walking its events', async () => {
  const db = fresh();
  try {
    const plan = (sql: string, ...args: unknown[]) =>
      db.store.database
        .scope('test')
        .all<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`, ...args)
        .map((r) => r.detail)
        .join('\n');
    const outputs = plan(OUTPUT_SQL, 'd', 'output', 'led');
    assert.match(outputs, /USING INDEX messages_event_kind/);
    // Newest first straight from the index: no sort of the device's events.
    assert.doesNotMatch(outputs, /TEMP B-TREE/);
    assert.match(
      plan(FIRMWARE_SQL, 'd', 'ota', 'running', 'confirmed', 'rolled_back'),
      /USING INDEX messages_event_kind/,
    );
  } finally {
    await db.store.close();
  }
});
