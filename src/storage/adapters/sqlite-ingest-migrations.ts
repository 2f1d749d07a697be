import type { SqliteMigration } from './sqlite-migrations.ts';

/**
 * Triggers that count every change to a registry table, whoever makes it (Store.changeToken):
 * the device registry since migration 11, the gateway registry since migration 15.
 */
export const registryTriggers = (table: string, update: string) =>
  ['INSERT', 'DELETE', update]
    .map(
      (event) =>
        `CREATE TRIGGER ${table}_${event.split(' ')[0]?.toLowerCase()}_counted AFTER ${event} ON ${table}
BEGIN UPDATE registry_changes SET seq = seq + 1 WHERE id = 1; END;`,
    )
    .join('\n');

/**
 * Schema steps of the ingest path: since ingest commits on a connection of its own (the ingest
 * thread), `PRAGMA data_version` changes with every batch and can no longer tell that another
 * process changed the registry; and the replay window is persisted incrementally.
 */
export const INGEST_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 11,
    name: 'registry change counter (Store.changeToken)',
    sql: `
CREATE TABLE registry_changes (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq INTEGER NOT NULL
) STRICT;
INSERT INTO registry_changes (id, seq) VALUES (1, 0);
${registryTriggers('devices', 'UPDATE OF profile, status, alg, current_kid, cert_serial, cert_not_after')}
${registryTriggers('device_keys', 'UPDATE')}
${registryTriggers('certificates', 'UPDATE')}
`,
  },
  {
    version: 12,
    name: 'replay window fingerprints one row each (incremental replay state)',
    // The old state kept the last W fingerprints in one blob, rewritten by every commit; they
    // become rows 1..k of their device, in the same (acceptance) order.
    sql: `
ALTER TABLE replay_state ADD COLUMN nonce_count INTEGER NOT NULL DEFAULT 0;
CREATE TABLE replay_nonces (
  device_id TEXT NOT NULL REFERENCES devices (id),
  n INTEGER NOT NULL,
  fp BLOB NOT NULL,
  PRIMARY KEY (device_id, n)
) STRICT, WITHOUT ROWID;
WITH RECURSIVE k(i) AS (
  SELECT 1 WHERE (SELECT max(length(nonces)) FROM replay_state) >= 8
  UNION ALL
  SELECT i + 1 FROM k WHERE i < (SELECT max(length(nonces)) / 8 FROM replay_state)
)
INSERT INTO replay_nonces (device_id, n, fp)
  SELECT r.device_id, k.i, substr(r.nonces, (k.i - 1) * 8 + 1, 8)
  FROM replay_state r JOIN k ON k.i <= length(r.nonces) / 8;
UPDATE replay_state SET nonce_count = length(nonces) / 8, nonces = x'';
`,
  },
];
