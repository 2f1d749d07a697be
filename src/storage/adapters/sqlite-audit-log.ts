/**
 * The audit log's rows on SQLite: appending an entry to the HMAC chain (inside the caller's
 * transaction) and re-chaining the whole log under a new link (the migration from the unkeyed
 * SHA-256 chain). Shared by the `Store` adapter and the migrations.
 */
import type Database from 'better-sqlite3-multiple-ciphers';
import { canonicalJson } from '../../canonical-json.ts';
import { VigilError } from '../../errors.ts';
import {
  type AuditHashInput,
  type AuditVerification,
  auditHash,
  chainAuditEntry,
  GENESIS_HASH,
  verifyAuditChain,
} from '../audit-chain.ts';
import type { AuditCheckpointRecord, AuditInput, AuditRecord } from '../store.ts';
import { type AuditRow, toAudit } from './sqlite-store-rows.ts';

type Stmt = (sql: string) => Database.Statement;

/** Appends `entry` after the current head; run it inside a write transaction. */
export function appendAuditRow(stmt: Stmt, key: Buffer, entry: AuditInput): AuditRecord {
  const head = stmt('SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1').get() as
    | { id: number; hash: string }
    | undefined;
  const rec = chainAuditEntry(head, entry, key);
  stmt(
    'INSERT INTO audit (id, ts, actor, action, object, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  ).run(rec.id, rec.ts, rec.actor, rec.action, rec.object, canonicalJson(rec.detail), rec.prevHash, rec.hash);
  return rec;
}

/** A row as a record; a row whose detail is not JSON any more (edited) gets a hash that cannot match. */
export function auditRecordOf(r: AuditRow): AuditRecord {
  try {
    return toAudit(r);
  } catch {
    return { ...toAudit({ ...r, detail: '{}' }), hash: '' };
  }
}

/**
 * Walks the audit rows in id order, a page at a time (the connection stays usable between pages),
 * and verifies them with `link` (default: the HMAC chain under `key`). Run it in one read
 * transaction for a consistent snapshot.
 */
export function verifyAuditRows(
  stmt: Stmt,
  key: Buffer,
  link?: (prev: string, e: AuditHashInput) => string,
): AuditVerification {
  const page = stmt('SELECT * FROM audit WHERE id > ? ORDER BY id LIMIT 1000');
  function* rows(): Generator<AuditRecord> {
    let last = 0;
    for (;;) {
      const batch = page.all(last) as AuditRow[];
      if (batch.length === 0) return;
      for (const r of batch) yield auditRecordOf(r);
      last = batch[batch.length - 1]?.id ?? last;
    }
  }
  return verifyAuditChain(rows(), key, link);
}

/**
 * Recomputes every link of the log under `key` in id order (entries keep their content), with
 * the append-only triggers lifted for the duration. Run inside the migration's transaction.
 */
export function rechainAuditRows(db: Database.Database, key: Buffer): void {
  db.exec('DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;');
  const page = db.prepare('SELECT * FROM audit WHERE id > ? ORDER BY id LIMIT 1000');
  const update = db.prepare('UPDATE audit SET prev_hash = ?, hash = ? WHERE id = ?');
  let prev = GENESIS_HASH;
  let last = 0;
  for (;;) {
    const batch = page.all(last) as AuditRow[];
    if (batch.length === 0) break;
    for (const r of batch) {
      const hash = auditHash(key, prev, auditRecordOf(r));
      update.run(prev, hash, r.id);
      prev = hash;
      last = r.id;
    }
  }
  db.exec(`CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;`);
}

/** Stores a checkpoint whose `seq` is above every stored one; run it inside a write transaction. */
export function insertCheckpointRow(stmt: Stmt, cp: AuditCheckpointRecord): void {
  const top = stmt('SELECT max(seq) FROM audit_checkpoints').pluck().get() as number | null;
  if (top !== null && cp.seq <= top)
    throw new VigilError('VIGIL_ERR_USAGE', `checkpoint ${cp.seq} is not above ${top}`);
  stmt(
    `INSERT INTO audit_checkpoints (seq, at, entries, head_id, head_hash, key_fingerprint, signature)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  ).run(cp.seq, cp.at, cp.entries, cp.headId, cp.headHash, cp.keyFingerprint, cp.signature);
}

/** The checkpoint with the highest `seq`, or null. */
export function latestCheckpointRow(stmt: Stmt): AuditCheckpointRecord | null {
  const r = stmt('SELECT * FROM audit_checkpoints ORDER BY seq DESC LIMIT 1').get() as
    | {
        seq: number;
        at: number;
        entries: number;
        head_id: number;
        head_hash: string;
        key_fingerprint: string;
        signature: string;
      }
    | undefined;
  if (!r) return null;
  return {
    seq: r.seq,
    at: r.at,
    entries: r.entries,
    headId: r.head_id,
    headHash: r.head_hash,
    keyFingerprint: r.key_fingerprint,
    signature: r.signature,
  };
}
