import { PostgresDatabase, type PostgresDatabaseOptions } from './postgres-database.ts';
import { PostgresStore } from './postgres-store.ts';

/** One adapter per port, all on one PostgreSQL database (one pool, one data key). */
export interface PostgresAdapters {
  database: PostgresDatabase;
  /** `Store`: registry, keys, certificates, ingest, audit, counters, meta; its close ends them all. */
  store: PostgresStore;
}

/** The adapters of every port on an open database. */
export function postgresAdapters(database: PostgresDatabase): PostgresAdapters {
  return { database, store: new PostgresStore(database) };
}

/** Connects, applies pending migrations (under an advisory lock), returns the adapters. */
export async function openPostgresAdapters(opts: PostgresDatabaseOptions): Promise<PostgresAdapters> {
  const database = PostgresDatabase.open(opts);
  try {
    await database.migrate();
  } catch (err) {
    await database.close();
    throw err;
  }
  return postgresAdapters(database);
}
