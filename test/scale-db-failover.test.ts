/**
 * Database failover, all real: a PostgreSQL 15 primary and a hot standby (pg_basebackup) with
 * synchronous replication (`synchronous_standby_names`, `synchronous_commit = remote_apply`), and
 * Vigil on a multi-host URL with `target_session_attrs=read-write`. A device streams readings;
 * the primary is killed (-9) mid-stream and the standby promoted (`pg_ctl promote`). Vigil
 * retries its writes (no PUBACK meanwhile, so the device keeps its data) and continues on the new
 * primary: every acknowledged reading is there, none twice. The write downtime is reported.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  type PgServer,
  postgresOrSkip,
  startPostgres,
} from '../src/storage/adapters/postgres-server.fixture.ts';
import { PROMOTE_DELAY_MS, runDbFailover } from './helpers/db-failover.ts';
import { waitFor } from './helpers/instance.ts';

const pgs = await postgresOrSkip({ synchronousStandby: 'standby1' });
const primary = typeof pgs === 'string' ? undefined : (pgs as PgServer);
const standby = primary ? await startPostgres({ standbyOf: primary, name: 'standby1' }) : undefined;
after(async () => {
  await standby?.stop();
  await primary?.stop();
});

/** Readings the test streams (a bounded stream; `npm run test:scale` runs the same). */
const TOTAL = Number(process.env.VIGIL_FAILOVER_READINGS ?? 400);

describe('PostgreSQL failover under load', {
  skip: typeof pgs === 'string' ? pgs : false,
  timeout: 300_000,
}, () => {
  it('loses and duplicates no acknowledged reading when the primary is killed and the standby promoted', async (t) => {
    assert.ok(primary && standby);
    // The standby streams, and counts as synchronous once it caught up.
    const rows = await waitFor(
      'synchronous replication',
      async () => {
        const r = await primary.query<{ application_name: string; sync_state: string }>(
          'SELECT application_name, sync_state FROM pg_stat_replication',
        );
        return r[0]?.sync_state === 'sync' ? r : undefined;
      },
      20_000,
    );
    assert.deepEqual(rows, [{ application_name: 'standby1', sync_state: 'sync' }]);
    const r = await runDbFailover(primary, standby, TOTAL);
    assert.equal(new Set(r.stored).size, r.stored.length, 'no reading stored twice');
    const missing = r.acked.filter((s) => !r.stored.includes(s));
    assert.deepEqual(missing, [], 'every acknowledged reading is on the new primary');
    assert.equal(r.stored.length, TOTAL);
    assert.equal(r.onNewPrimary, TOTAL, 'the promoted standby holds them');
    assert.equal(r.newPrimaryReadOnly, 'off');
    t.diagnostic(
      `write downtime ${r.writeDowntimeMs} ms (longest gap between acknowledgements; kill -9 to promoted: ${r.promoteMs} ms, ${PROMOTE_DELAY_MS} ms of it the test's wait before pg_ctl promote)`,
    );
  });
});
