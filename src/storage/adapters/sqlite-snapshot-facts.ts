import type { SnapshotFacts } from '../database-snapshots.ts';
import type { SqliteDatabase } from './sqlite-database.ts';

/** An SQL identifier, quoted. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Schema version, rows per table and the audit head of an open snapshot. */
export function snapshotFacts(db: SqliteDatabase): SnapshotFacts {
  const q = db.scope('snapshot');
  const tables = q
    .all<{ name: string }>(
      `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`,
    )
    .map((r) => r.name);
  const rowCounts: Record<string, number> = {};
  for (const t of tables) {
    rowCounts[t] = Number(q.one<{ n: number }>(`SELECT count(*) AS n FROM ${quoteIdent(t)}`)?.n ?? 0);
  }
  const head = tables.includes('audit')
    ? q.one<{ id: number; hash: string }>('SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1')
    : undefined;
  return {
    schemaVersion: db.schemaVersion(),
    rowCounts,
    auditHead: head ? { id: Number(head.id), hash: String(head.hash) } : null,
  };
}
