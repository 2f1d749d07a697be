/**
 * Database failover under load: Vigil on a multi-host URL (`target_session_attrs=read-write`)
 * over a PostgreSQL primary and its synchronous hot standby; a device streams readings; the
 * primary is killed (-9) once a third is acknowledged and the standby promoted (`pg_ctl promote`)
 * a second later, as an operator or Patroni would. Used by test/scale-db-failover.test.ts (which
 * asserts) and the scale bench (which reports the figures).
 */
import { serializeEnvelope } from '../../src/protocol/envelope.ts';
import type { PgServer } from '../../src/storage/adapters/postgres-server.fixture.ts';
import { closeClient, connectDevice, makeEnvelope, publish, startInstance, topic } from './instance.ts';

export interface DbFailoverResult {
  total: number;
  /** Acknowledged seqs, in acknowledgement order. */
  acked: number[];
  /** Seqs stored (read back through Vigil after the failover). */
  stored: number[];
  /** Rows on the promoted standby, and whether it accepts writes. */
  onNewPrimary: number;
  newPrimaryReadOnly: string;
  /** The longest silence between two acknowledgements after the kill. */
  writeDowntimeMs: number;
  /** kill -9 to `pg_ctl promote` returned (includes the test's 1 s wait before promoting). */
  promoteMs: number;
  /** Times the device connected again after its first connection. */
  reconnects: number;
}

export interface DbFailoverOptions {
  /**
   * Cut the device's connection 100 ms after the kill, while its messages wait for the database:
   * it reconnects and redelivers them (each copy must wait for its original, see
   * src/ingest/steps/check-replay.ts).
   */
  dropLinkDuringOutage?: boolean;
}

export const PROMOTE_DELAY_MS = 1000;

export async function runDbFailover(
  primary: PgServer,
  standby: PgServer,
  total: number,
  o: DbFailoverOptions = {},
): Promise<DbFailoverResult> {
  const url = `postgres://vigil:${encodeURIComponent(primary.password)}@localhost:${primary.port},localhost:${standby.port}/postgres?${new URLSearchParams(
    { sslrootcert: primary.caFile, target_session_attrs: 'read-write', connect_timeout: '2' },
  )}`;
  // The device streams as fast as Vigil acknowledges, up to 16 in flight: a few hundred messages
  // a second once the promoted standby takes writes without waiting for a synchronous standby,
  // above the per-device publish limit (mqtt.publishRatePerSec 100, burst 200). The broker would
  // close its connection for that, which is not what this scenario measures: the limit is raised.
  const inst = await startInstance({
    storage: { url, retryForMs: 120_000 },
    mqtt: { publishRatePerSec: 100_000, publishBurst: 100_000 },
  });
  try {
    const b = await inst.addDevice('truck-fail');
    // Reconnects and redelivers what was not acknowledged, should its connection drop.
    const c = await connectDevice(inst.url, b, { reconnectPeriod: 500 });
    let reconnects = 0;
    c.on('connect', () => reconnects++);
    const acked: { seq: number; at: number }[] = [];
    let killedAt = 0;
    let promotedAt = 0;
    let failover: Promise<void> | undefined;
    const t0 = Date.now() - total * 1000;
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
            `no acknowledgement for 45 s after ${acked.length} of ${total} (killed: ${killedAt > 0})`,
          ),
        );
      }, 1000);
      let inFlight = 0;
      const pump = () => {
        while (inFlight < window && next <= total) {
          const seq = next++;
          inFlight++;
          const sample = {
            ts: t0 + seq * 1000,
            temp_c: 5,
            rh_pct: 50,
            lat: 52,
            lon: 4,
            bat_pct: 90,
            power: 'mains',
          };
          const env = makeEnvelope(b, 'telemetry', { samples: [sample] }, { seq });
          publish(c, topic(b.info.id, 'telemetry'), serializeEnvelope(env)).then(() => {
            inFlight--;
            lastAck = Date.now();
            acked.push({ seq, at: Date.now() });
            if (!failover && acked.length >= total / 3) {
              killedAt = Date.now();
              primary.kill9();
              if (o.dropLinkDuringOutage) setTimeout(() => c.stream.destroy(), 100);
              failover = (async () => {
                await new Promise((r) => setTimeout(r, PROMOTE_DELAY_MS));
                await standby.promote();
                promotedAt = Date.now();
              })();
            }
            if (acked.length === total) {
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
    const times = acked.map((a) => a.at).sort((x, y) => x - y);
    let downtime = 0;
    for (let i = 1; i < times.length; i++) {
      const gap = (times[i] as number) - (times[i - 1] as number);
      if ((times[i] as number) >= killedAt && gap > downtime) downtime = gap;
    }
    const stored = await inst.ctx.store.queryReadings({ deviceId: 'truck-fail', limit: 100_000 });
    const onNew = await standby.query<{ n: string; ro: string }>(
      "SELECT count(*) AS n, current_setting('transaction_read_only') AS ro FROM readings",
    );
    return {
      total,
      acked: acked.map((a) => a.seq),
      stored: stored.map((r) => r.seq),
      onNewPrimary: Number(onNew[0]?.n),
      newPrimaryReadOnly: String(onNew[0]?.ro),
      writeDowntimeMs: downtime,
      promoteMs: promotedAt - killedAt,
      reconnects,
    };
  } finally {
    await inst.destroy();
  }
}
