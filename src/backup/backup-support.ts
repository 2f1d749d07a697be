import type { VigilConfig } from '../config/schema.ts';
import { isPostgresUrl } from '../storage/adapters/postgres-url.ts';

/**
 * Why `vigil backup` cannot back up this installation (null: it can). A Vigil backup is a
 * consistent copy of the SQLite database plus the data directory (docs/operations.md); with
 * `storage.url` on PostgreSQL the database is not a file Vigil can copy consistently while other
 * processes write to it, and a copy of the data directory alone would restore an installation
 * without its data. PostgreSQL has its own tools for that, which also give point-in-time recovery.
 */
export function backupUnsupported(config: Pick<VigilConfig, 'storage'>): string | null {
  if (!isPostgresUrl(config.storage.url)) return null;
  return (
    'the database is PostgreSQL (storage.url): vigil backup copies only the embedded SQLite database. ' +
    'Back up PostgreSQL with its own tools (pg_basebackup with WAL archiving, pg_dump, or the database provider backups), ' +
    'and copy the data directory (config.json, pki/ and keys/: the master key opens the encrypted columns); ' +
    'see docs/operations.md'
  );
}
