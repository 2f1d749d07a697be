import type { ClusterBackend } from '../../cluster/cluster-backend.ts';
import { VigilError } from '../../errors.ts';
import type { PostgresDatabase } from './postgres-database.ts';
import { PostgresLeaseStore } from './postgres-lease-store.ts';
import { startPgListener } from './postgres-listener.ts';
import { RULE_BUCKETS } from './postgres-migrations.ts';
import { ALARM_CHANNEL, decodeIngestPayload, INGEST_CHANNEL } from './postgres-notify.ts';
import { applyReadingRetention } from './postgres-retention.ts';

/** Advisory lock class of ingest worker slots (the second key is the slot number). */
const SLOT_LOCK_CLASS = 0x76676c31; // 'vgl1'

/** The cluster backend (src/cluster/cluster-backend.ts) on PostgreSQL. */
export function postgresCluster(
  db: PostgresDatabase,
  o: { retentionDays?: number | undefined; shipmentRetentionDays: number },
): ClusterBackend {
  return {
    leases: new PostgresLeaseStore(db),
    buckets: RULE_BUCKETS,
    listen(h) {
      const channels = [...(h.onAccepted ? [INGEST_CHANNEL] : []), ...(h.onAlarm ? [ALARM_CHANNEL] : [])];
      return startPgListener({
        db,
        channels,
        ...(db.logger ? { logger: db.logger } : {}),
        ...(h.onReconnect ? { onReconnect: h.onReconnect } : {}),
        onNotify: (channel, payload) => {
          try {
            if (channel === INGEST_CHANNEL) {
              for (const ev of decodeIngestPayload(db.cipher, payload)) h.onAccepted?.(ev);
            } else if (channel === ALARM_CHANNEL) h.onAlarm?.(payload);
          } catch (err) {
            db.logger?.error({ err, channel }, 'postgres notification not handled');
          }
        },
      });
    },
    async claimIngestSlot(max) {
      // A session lock lives as long as its connection: this one is kept for the process.
      const c = await db.pool.connectClient();
      for (let n = 1; n <= max; n++) {
        const r = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [
          SLOT_LOCK_CLASS,
          n,
        ]);
        if (r.rows[0]?.ok) {
          c.on('error', () => db.logger?.error({ slot: n }, 'ingest slot connection lost'));
          return { slot: n, release: () => c.end().catch(() => {}) };
        }
      }
      await c.end();
      throw new VigilError(
        'VIGIL_ERR_CONFIG',
        `all ${max} ingest worker slots are taken (mqtt.external.ingestWorkers)`,
      );
    },
    async applyRetention(now) {
      if (o.retentionDays === undefined) return null;
      return applyReadingRetention(db, {
        now,
        retentionDays: o.retentionDays,
        shipmentRetentionDays: o.shipmentRetentionDays,
      });
    },
  };
}
