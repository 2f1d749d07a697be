import type Database from 'better-sqlite3-multiple-ciphers';
import { VigilError } from '../../errors.ts';

/**
 * Prepared-statement cache and transaction runner shared by the table stores that live on the
 * main store's connection (alarms, shipments). Driver errors become `VIGIL_ERR_STORE` with the
 * table's label, unless `mapError` turns a driver code into a more precise error.
 */
export class SqliteStatements {
  readonly #db: Database.Database;
  readonly #label: string;
  readonly #mapError: ((code: string) => VigilError | undefined) | undefined;
  readonly #stmts = new Map<string, Database.Statement>();

  constructor(db: Database.Database, label: string, mapError?: (code: string) => VigilError | undefined) {
    this.#db = db;
    this.#label = label;
    this.#mapError = mapError;
  }

  stmt(sql: string): Database.Statement {
    let s = this.#stmts.get(sql);
    if (!s) {
      s = this.#db.prepare(sql);
      this.#stmts.set(sql, s);
    }
    return s;
  }

  /** Runs `fn` (in one IMMEDIATE transaction when it writes). */
  run<T>(fn: () => T, write: boolean): T {
    try {
      return write ? this.#db.transaction(fn).immediate() : fn();
    } catch (err) {
      if (err instanceof VigilError) throw err;
      const code = (err as { code?: string }).code ?? 'unknown';
      throw (
        this.#mapError?.(code) ?? new VigilError('VIGIL_ERR_STORE', `${this.#label}: ${code}`, { cause: err })
      );
    }
  }
}
