/**
 * The storage port of rules ownership: leases on device buckets (src/cluster/device-bucket.ts),
 * judged on the database's clock. The PostgreSQL adapter is postgres-lease-store.ts; the embedded
 * mode has one process and no leases.
 */
export interface LeaseStore {
  /** Extends the owner's unexpired leases among `buckets`; returns those it still holds. */
  renew(owner: string, buckets: readonly number[], leaseMs: number): Promise<number[]>;
  /** Takes at most `max` free or expired buckets; returns them. */
  acquire(owner: string, max: number, leaseMs: number): Promise<number[]>;
  /** Gives buckets back (a process leaving, or rebalancing); returns those released. */
  release(owner: string, buckets: readonly number[]): Promise<number[]>;
  /** Owners holding at least one unexpired lease. */
  liveOwners(): Promise<number>;
}
