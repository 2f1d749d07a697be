import { SqliteSnapshots } from '../storage/adapters/sqlite-snapshots.ts';
import type { DatabaseSnapshots } from '../storage/database-snapshots.ts';
import type { VigilContext } from './context.ts';

/** The backup port over this data directory's database (`ctx` absent: snapshot files only). */
export function databaseSnapshots(ctx?: Pick<VigilContext, 'paths' | 'master'>): DatabaseSnapshots {
  return ctx ? new SqliteSnapshots({ path: ctx.paths.db, keys: ctx.master }) : new SqliteSnapshots();
}
