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

/** A sealed value in the database and the purpose it is sealed for (`MasterKey.seal`). */
export type Reseal = (purpose: string, sealed: Buffer) => Buffer;

export interface DatabaseSnapshots {
  /**
   * Writes a transactionally consistent copy of the live database to `destPath` (which must not
   * exist), encrypted under the live database key, and returns its facts. Writers continue
   * meanwhile and the caller's event loop is not blocked.
   */
  snapshot(destPath: string): Promise<SnapshotFacts>;
  /** The manifest facts of a snapshot file opened with `key`. */
  facts(path: string, key: Buffer): Promise<SnapshotFacts>;
  /** Facts plus the integrity check and the audit chain verification of a snapshot file. */
  check(path: string, key: Buffer): Promise<SnapshotCheck>;
  /**
   * Re-encrypts a snapshot file from `oldKey` to `newKey` and passes every sealed value through
   * `reseal` (restore onto a new master key). Returns how many values were re-sealed.
   */
  rekey(path: string, oldKey: Buffer, newKey: Buffer, reseal: Reseal): Promise<{ resealed: number }>;
}
