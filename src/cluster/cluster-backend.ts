/**
 * What several Vigil processes on one database share besides the storage ports: rules leases,
 * cross-process events (the ingest feed and alarm changes) and ingest worker slots. The
 * PostgreSQL adapter is src/storage/adapters/postgres-cluster.ts; the embedded SQLite mode has one
 * process and none of this.
 */
import type { AcceptedMessage } from '../ingest/pipeline.ts';
import type { LeaseStore } from './lease-store.ts';

export interface ClusterFeedHandlers {
  /** A message another process stored (readings or events), in commit order. */
  onAccepted?: (ev: AcceptedMessage) => void;
  /** An alarm changed (opened, updated, resolved, acknowledged). */
  onAlarm?: (alarmId: string) => void;
  /** The feed's connection was lost and is back: what happened meanwhile was not heard. */
  onReconnect?: () => void;
}

export interface ClusterFeed {
  ready(): Promise<void>;
  connected(): boolean;
  close(): Promise<void>;
}

export interface ClusterBackend {
  leases: LeaseStore;
  /** Device buckets of rules ownership. */
  buckets: number;
  /** Listens to the cross-process events. */
  listen(h: ClusterFeedHandlers): ClusterFeed;
  /**
   * Claims the lowest free ingest worker slot 1..max (its identity is `vigil-ingest-<n>`) for as
   * long as this process lives (a session advisory lock); VIGIL_ERR_CONFIG when all are taken.
   */
  claimIngestSlot(max: number): Promise<{ slot: number; release(): Promise<void> }>;
  /** Applies `storage.retentionDays` (drops old reading partitions), if set. */
  applyRetention(now: number): Promise<{ dropped: string[] } | null>;
}
