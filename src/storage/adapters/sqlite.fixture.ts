/** Fresh encrypted SQLite databases for the adapters' contract suites, in one temporary directory. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { openSqliteAdapters, type SqliteAdapters } from './sqlite-adapters.ts';

/**
 * A factory of fresh, migrated databases (one file each, a new key each) under a temporary
 * directory that is removed when the test file ends. Close each with `adapters.store.close()`.
 */
export function freshSqlite(name: string): () => SqliteAdapters {
  const root = mkdtempSync(join(tmpdir(), `vigil-${name}-`));
  after(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  return () =>
    openSqliteAdapters({
      path: join(root, `${++n}.sqlite`),
      key: randomBytes(32),
      auditKey: randomBytes(32),
      synchronous: 'NORMAL',
    });
}
