import type { LeaseStore } from '../../cluster/lease-store.ts';
import type { PostgresDatabase } from './postgres-database.ts';
import { pgStoreError } from './postgres-store-rows.ts';

/** Server time in ms: leases are judged on one clock, whatever the workers' clocks say. */
const NOW = `(extract(epoch from clock_timestamp()) * 1000)::bigint`;

/**
 * The `LeaseStore` port on PostgreSQL (table `rule_leases`, migration 2). Expiry is judged on the
 * server's clock. Acquisition takes free or expired buckets with `FOR UPDATE SKIP LOCKED`, so two
 * processes asking at once get different buckets.
 */
export class PostgresLeaseStore implements LeaseStore {
  readonly #db: PostgresDatabase;

  constructor(db: PostgresDatabase) {
    this.#db = db;
  }

  async #q<R extends { bucket: number }>(sql: string, params: unknown[]): Promise<number[]> {
    try {
      return (await this.#db.q<R>(sql, params)).map((r) => r.bucket).sort((a, b) => a - b);
    } catch (err) {
      throw pgStoreError(err, 'rule_leases');
    }
  }

  renew(owner: string, buckets: readonly number[], leaseMs: number): Promise<number[]> {
    return this.#q(
      `UPDATE rule_leases SET expires_at = ${NOW} + $3 WHERE owner = $1 AND bucket = ANY($2::int[]) AND expires_at > ${NOW}
       RETURNING bucket`,
      [owner, buckets, leaseMs],
    );
  }

  acquire(owner: string, max: number, leaseMs: number): Promise<number[]> {
    if (max <= 0) return Promise.resolve([]);
    return this.#q(
      `UPDATE rule_leases SET owner = $1, expires_at = ${NOW} + $3 WHERE bucket IN (
         SELECT bucket FROM rule_leases WHERE expires_at <= ${NOW} ORDER BY bucket LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING bucket`,
      [owner, max, leaseMs],
    );
  }

  release(owner: string, buckets: readonly number[]): Promise<number[]> {
    return this.#q(
      'UPDATE rule_leases SET owner = NULL, expires_at = 0 WHERE owner = $1 AND bucket = ANY($2::int[]) RETURNING bucket',
      [owner, buckets],
    );
  }

  async liveOwners(): Promise<number> {
    try {
      const r = await this.#db.q<{ n: number }>(
        `SELECT count(DISTINCT owner)::bigint AS n FROM rule_leases WHERE owner IS NOT NULL AND expires_at > ${NOW}`,
      );
      return r[0]?.n ?? 0;
    } catch (err) {
      throw pgStoreError(err, 'rule_leases');
    }
  }
}
