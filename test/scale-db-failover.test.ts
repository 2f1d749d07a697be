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
import { serializeEnvelope } from '../src/protocol/envelope.ts';
import {
  type PgServer,
  postgresOrSkip,
  startPostgres,
} from '../src/storage/adapters/postgres-server.fixture.ts';
import {
  closeClient,
  connectDevice,
  makeEnvelope,
  publish,
  startInstance,
  topic,
  waitFor,
} from './helpers/instance.ts';

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
    const url = `postgres://vigil:${encodeURIComponent(primary.password)}@localhost:${primary.port},localhost:${standby.port}/postgres?${new URLSearchParams(
      { sslrootcert: primary.caFile, target_session_attrs: 'read-write', connect_timeout: '2' },
    )}`;
    const inst = await startInstance({ storage: { url, retryForMs: 120_000 } });
    try {
      const b = await inst.addDevice('truck-fail');
      const c = await connectDevice(inst.url, b, { reconnectPeriod: 500 });
      const acked: { seq: number; at: number }[] = [];
      let killedAt = 0;
      let promotedAt = 0;
      let failover: Promise<void> | undefined;
      const t0 = Date.now() - TOTAL * 1000;
      const window = 16;
      let next = 1;
      await new Promise<void>((resolve, reject) => {
        // Fails fast, naming where it stopped, instead of waiting for the suite's timeout.
        let lastAck = Date.now();
        const stall = setInterval(() => {
          if (Date.now() - lastAck < 45_000) return;
          clearInterval(stall);
          reject(
            new Error(
              `no acknowledgement for 45 s after ${acked.length} of ${TOTAL} (killed: ${killedAt > 0})`,
            ),
          );
        }, 1000);
        let inFlight = 0;
        const pump = () => {
          while (inFlight < window && next <= TOTAL) {
            const seq = next++;
            inFlight++;
            const env = makeEnvelope(
              b,
              'telemetry',
              {
                samples: [
                  {
                    ts: t0 + seq * 1000,
                    temp_c: 5,
                    rh_pct: 50,
                    lat: 52,
                    lon: 4,
                    bat_pct: 90,
                    power: 'mains',
                  },
                ],
              },
              { seq },
            );
            publish(c, topic(b.info.id, 'telemetry'), serializeEnvelope(env)).then(() => {
              inFlight--;
              lastAck = Date.now();
              acked.push({ seq, at: Date.now() });
              if (!failover && acked.length >= TOTAL / 3) {
                killedAt = Date.now();
                primary.kill9();
                failover = (async () => {
                  // An operator (or Patroni) notices and promotes; the test waits a moment first.
                  await new Promise((r) => setTimeout(r, 1000));
                  await standby.promote();
                  promotedAt = Date.now();
                })();
              }
              if (acked.length === TOTAL) {
                clearInterval(stall);
                resolve();
              } else pump();
            }, reject);
          }
        };
        pump();
      });
      await failover;
      await closeClient(c);
      // Write downtime: the longest silence between two acknowledgements around the kill.
      const times = acked.map((a) => a.at).sort((x, y) => x - y);
      let downtime = 0;
      for (let i = 1; i < times.length; i++) {
        const gap = (times[i] as number) - (times[i - 1] as number);
        if ((times[i] as number) >= killedAt && gap > downtime) downtime = gap;
      }
      const stored = await inst.ctx.store.queryReadings({ deviceId: 'truck-fail', limit: 100_000 });
      const seqs = stored.map((r) => r.seq);
      assert.equal(new Set(seqs).size, seqs.length, 'no reading stored twice');
      const missing = acked.map((a) => a.seq).filter((s) => !seqs.includes(s));
      assert.deepEqual(missing, [], 'every acknowledged reading is on the new primary');
      assert.equal(seqs.length, TOTAL);
      const onNew = await standby.query<{ n: string; ro: string }>(
        "SELECT count(*) AS n, current_setting('transaction_read_only') AS ro FROM readings",
      );
      assert.equal(Number(onNew[0]?.n), TOTAL, 'the promoted standby holds them');
      assert.equal(onNew[0]?.ro, 'off');
      t.diagnostic(
        `write downtime ${downtime} ms (longest gap between acknowledgements; kill -9 to promoted: ${promotedAt - killedAt} ms, 1000 ms of it the test's wait before pg_ctl promote)`,
      );
    } finally {
      await inst.destroy();
    }
  });
});
