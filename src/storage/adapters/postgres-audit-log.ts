/**
 * The audit log's rows on PostgreSQL (Store.appendAudit and friends): the HMAC chain extended
 * under an advisory lock (one writer at a time, whichever process), details column-encrypted with
 * the entry id as AAD, verification over one REPEATABLE READ snapshot.
 */
import { canonicalJson } from '../../canonical-json.ts';
import { VigilError } from '../../errors.ts';
import { type AuditVerification, chainAuditEntry, verifyAuditChain } from '../audit-chain.ts';
import type { AuditCheckpointRecord, AuditInput, AuditRecord } from '../store.ts';
import type { PostgresDatabase } from './postgres-database.ts';
import { type PgAuditRow, pgAudit, rowId } from './postgres-store-rows.ts';

export function appendAuditRow(db: PostgresDatabase, entry: AuditInput): Promise<AuditRecord> {
  return db.tx(async ({ client }) => {
    await client.query(`SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':vigil-audit'))`);
    const head = await client.query<{ id: number; hash: string }>(
      'SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1',
    );
    const rec = chainAuditEntry(head.rows[0], entry, db.auditKey);
    const detail = db.cipher.encrypt(
      'audit.detail',
      rowId.audit(rec.id),
      Buffer.from(canonicalJson(rec.detail), 'utf8'),
    );
    await client.query(
      'INSERT INTO audit (id, ts, actor, action, object, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      [rec.id, rec.ts, rec.actor, rec.action, rec.object, detail, rec.prevHash, rec.hash],
    );
    return rec;
  });
}

export function verifyAuditRows(db: PostgresDatabase): Promise<AuditVerification> {
  return db.tx(async ({ client }) => {
    await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const records: AuditRecord[] = [];
    let last = 0;
    for (;;) {
      const page = await client.query<PgAuditRow>(
        'SELECT * FROM audit WHERE id > $1 ORDER BY id LIMIT 1000',
        [last],
      );
      if (page.rows.length === 0) break;
      for (const r of page.rows) records.push(pgAudit(db.cipher, r));
      last = page.rows[page.rows.length - 1]?.id ?? last;
    }
    return verifyAuditChain(records, db.auditKey);
  });
}

export function insertCheckpointRow(db: PostgresDatabase, cp: AuditCheckpointRecord): Promise<void> {
  return db.tx(async ({ client }) => {
    await client.query('LOCK TABLE audit_checkpoints IN EXCLUSIVE MODE');
    const top =
      (await client.query<{ s: number | null }>('SELECT max(seq) AS s FROM audit_checkpoints')).rows[0]?.s ??
      null;
    if (top !== null && cp.seq <= top)
      throw new VigilError('VIGIL_ERR_USAGE', `checkpoint ${cp.seq} is not above ${top}`);
    await client.query(
      `INSERT INTO audit_checkpoints (seq, at, entries, head_id, head_hash, key_fingerprint, signature)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [cp.seq, cp.at, cp.entries, cp.headId, cp.headHash, cp.keyFingerprint, cp.signature],
    );
  });
}
