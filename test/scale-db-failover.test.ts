/**
 * Database failover, all real: a PostgreSQL 15 primary and a hot standby (pg_basebackup) with
 * synchronous replication (`synchronous_standby_names`, `synchronous_commit = remote_apply`), and
 * Vigil on a multi-host URL with `target_session_attrs=read-write`. A device streams readings;
 * the primary is killed (-9) mid-stream and the standby promoted (`pg_ctl promote`). Vigil
 * retries its writes (no PUBACK meanwhile, so the device keeps its data) and continues on the new
 * primary: every acknowledged reading is there, none twice. The write downtime is reported.
 * Then again with the device's connection cut during the outage: it reconnects and redelivers
 * what was in flight, and each copy is stored once (none acknowledged before it is stored).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  type PgServer,
  postgresOrSkip,
  startPostgres,
} from '../src/storage/adapters/postgres-server.fixture.ts';
import { type DbFailoverResult, PROMOTE_DELAY_MS, runDbFailover } from './helpers/db-failover.ts';
import { waitFor } from './helpers/instance.ts';

const pgs = await postgresOrSkip({ synchronousStandby: 'standby1' });
const primary = typeof pgs === 'string' ? undefined : (pgs as PgServer);
const standby = primary ? await startPostgres({ standbyOf: primary, name: 'standby1' }) : undefined;
after(async () => {
  await standby?.stop();
  await primary?.stop();
});

/** A primary and its synchronous standby for one more scenario (the first pair ends promoted). */
async function pair(): Promise<[PgServer, PgServer]> {
  const p = await startPostgres({ synchronousStandby: 'standby2', ...(primary ? { pki: primary.pki } : {}) });
  const s = await startPostgres({ standbyOf: p, name: 'standby2' }).catch(async (err) => {
    await p.stop();
    throw err;
  });
  after(async () => {
    await s.stop();
    await p.stop();
  });
  return [p, s];
}

/** Waits until `standby` is the primary's synchronous standby. */
async function synchronous(p: PgServer, name: string) {
  return waitFor(
    'synchronous replication',
    async () => {
      const r = await p.query<{ application_name: string; sync_state: string }>(
        'SELECT application_name, sync_state FROM pg_stat_replication',
      );
      return r[0]?.sync_state === 'sync' ? r : undefined;
    },
    20_000,
  ).then((rows) => assert.deepEqual(rows, [{ application_name: name, sync_state: 'sync' }]));
}

function assertNoLoss(r: DbFailoverResult): void {
  assert.equal(new Set(r.stored).size, r.stored.length, 'no reading stored twice');
  const missing = r.acked.filter((s) => !r.stored.includes(s));
  assert.deepEqual(missing, [], 'every acknowledged reading is on the new primary');
  assert.equal(r.stored.length, TOTAL);
  assert.equal(r.onNewPrimary, TOTAL, 'the promoted standby holds them');
  assert.equal(r.newPrimaryReadOnly, 'off');
}

/** Readings the test streams (a bounded stream; `npm run test:scale` runs the same). */
const TOTAL = Number(process.env.VIGIL_FAILOVER_READINGS ?? 400);

describe('PostgreSQL failover under load', {
  skip: typeof pgs === 'string' ? pgs : false,
  timeout: 300_000,
}, () => {
  it('loses and duplicates no acknowledged reading when the primary is killed and the standby promoted', async (t) => {
    assert.ok(primary && standby);
    // The standby streams, and counts as synchronous once it caught up.
    await synchronous(primary, 'standby1');
    const r = await runDbFailover(primary, standby, TOTAL);
    assertNoLoss(r);
    assert.equal(r.reconnects, 0, 'the device kept its connection: it waited for the acknowledgements');
    t.diagnostic(
      `write downtime ${r.writeDowntimeMs} ms (longest gap between acknowledgements; kill -9 to promoted: ${r.promoteMs} ms, ${PROMOTE_DELAY_MS} ms of it the test's wait before pg_ctl promote)`,
    );
  });

  it('stores exactly once what a device redelivers over a new connection while the database is down', async (t) => {
    const [p, s] = await pair();
    await synchronous(p, 'standby2');
    const r = await runDbFailover(p, s, TOTAL, { dropLinkDuringOutage: true });
    assertNoLoss(r);
    assert.ok(r.reconnects >= 1, 'the device lost its connection and came back');
    t.diagnostic(
      `write downtime ${r.writeDowntimeMs} ms with a reconnect (${r.reconnects}) during the outage`,
    );
  });
});
