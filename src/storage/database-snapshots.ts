import type { MasterKey, SealPurpose } from '../keys/master-key.ts';

/**
 * The storage port of backups: a consistent copy of the live database taken while ingest runs,
 * the facts a manifest records about it, and re-encryption under a new key at restore. The SQLite
 * adapter is `src/storage/adapters/sqlite-snapshots.ts`.
 */

/** What a manifest records about a snapshot, read from the snapshot itself. */
export interface SnapshotFacts {
  schemaVersion: number;
  /** Rows per table. */
  rowCounts: Record<string, number>;
  /** The newest audit entry (null: empty log). */
  auditHead: { id: number; hash: string } | null;
}

/** The result of checking a snapshot file. */
export interface SnapshotCheck extends SnapshotFacts {
  /** The database's own consistency check (`ok` alone when consistent). */
  integrity: string[];
  /** The audit chain as the Store port verifies it. */
  audit: { ok: boolean; entries: number; firstBroken: number | null };
}

/** The keys a snapshot opens with: the database key and the audit chain's HMAC key. */
export type SnapshotKeys = Pick<MasterKey, 'databaseKey' | 'auditKey'>;

/**
 * Re-seals a value sealed in the database: its purpose and the identity of its row
 * (`MasterKey.seal`) in, the value sealed under the new master key out.
 */
export type Reseal = (purpose: SealPurpose, sealed: Buffer, identity: string) => Buffer;

export interface DatabaseSnapshots {
  /**
   * Writes a transactionally consistent copy of the live database to `destPath` (which must not
   * exist), encrypted under the live database key, and returns its facts. Writers continue
   * meanwhile and the caller's event loop is not blocked.
   */
  snapshot(destPath: string): Promise<SnapshotFacts>;
  /** The manifest facts of a snapshot file opened with `keys`. */
  facts(path: string, keys: SnapshotKeys): Promise<SnapshotFacts>;
  /** Facts plus the integrity check and the audit chain verification of a snapshot file. */
  check(path: string, keys: SnapshotKeys): Promise<SnapshotCheck>;
  /**
   * Re-encrypts a snapshot file from `from`'s database key to `newDatabaseKey` and passes every
   * sealed value through `reseal` with its row's identity (restore onto a new master key; the
   * audit key stays, it derives from the kept hash root). Returns how many values were re-sealed.
   */
  rekey(
    path: string,
    from: SnapshotKeys,
    newDatabaseKey: Buffer,
    reseal: Reseal,
  ): Promise<{ resealed: number }>;
}
