import type { Reseal } from '../database-snapshots.ts';
import { SEALED_COLUMNS } from '../sealed-columns.ts';
import type { SqliteDatabase } from './sqlite-database.ts';
import { quoteIdent } from './sqlite-snapshot-facts.ts';

/**
 * Passes every sealed value of the database through `reseal` (same purpose, same row identity,
 * the new master key) in one transaction; a value `reseal` returns unchanged (already under the
 * new key, when a rotation is finished after a crash) is not written. Tables an older schema
 * lacks are skipped; `midway` runs after each sealed column (a crash point of the tests). Returns
 * how many values changed.
 */
export function resealSqlite(db: SqliteDatabase, reseal: Reseal, midway?: () => void): number {
  const q = db.scope('reseal');
  const tables = new Set(
    q.all<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table'`).map((r) => r.name),
  );
  return q.write(() => {
    let changed = 0;
    for (const s of SEALED_COLUMNS) {
      if (!tables.has(s.table)) continue;
      const keyCols = s.key.map(quoteIdent).join(', ');
      const rows = q.all<Record<string, unknown>>(
        `SELECT ${keyCols}, ${quoteIdent(s.column)} AS v FROM ${quoteIdent(s.table)} WHERE ${quoteIdent(s.column)} IS NOT NULL${s.where ? ` AND ${s.where}` : ''}`,
      );
      const where = s.key.map((k) => `${quoteIdent(k)} = ?`).join(' AND ');
      const update = q.stmt(`UPDATE ${quoteIdent(s.table)} SET ${quoteIdent(s.column)} = ? WHERE ${where}`);
      for (const r of rows) {
        const blob = r.v as Buffer;
        const next = reseal(s.purpose, blob, s.identity(r));
        if (next.equals(blob)) continue;
        update.run(next, ...s.key.map((k) => r[k]));
        changed++;
      }
      midway?.();
    }
    return changed;
  });
}
