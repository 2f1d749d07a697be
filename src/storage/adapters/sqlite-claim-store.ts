import type {
  ClaimAdmission,
  ClaimBatch,
  ClaimRecord,
  ClaimState,
  ClaimStore,
  QuarantineEntry,
} from '../../claims/claim-store.ts';
import { VigilError } from '../../errors.ts';
import { type ClaimBatchRow, toClaimBatch } from './lifecycle-rows.ts';
import type { SqliteDatabase, SqliteScope } from './sqlite-database.ts';

interface ClaimRow {
  serial: string;
  batch: string;
  profile: string;
  csr: string;
  key_fp: string;
  state: ClaimState;
  device_id: string | null;
  reply: string | null;
  attempts: number;
  received_at: number;
  last_seen_at: number;
  address: string | null;
  decided_at: number | null;
  decided_by: string | null;
}

interface QuarantineRow {
  cn: string;
  cert_serial: string;
  attempts: number;
  first_seen: number;
  last_seen: number;
  last_address: string | null;
}

const toClaim = (r: ClaimRow): ClaimRecord => ({
  serial: r.serial,
  batch: r.batch,
  profile: r.profile,
  csr: r.csr,
  keyFp: r.key_fp,
  state: r.state,
  deviceId: r.device_id,
  reply: r.reply,
  attempts: r.attempts,
  receivedAt: r.received_at,
  lastSeenAt: r.last_seen_at,
  address: r.address,
  decidedAt: r.decided_at,
  decidedBy: r.decided_by,
});

/** Claims and quarantine on the store's connection. */
export class SqliteClaimStore implements ClaimStore {
  readonly #q: SqliteScope;

  constructor(db: SqliteDatabase) {
    this.#q = db.scope('claims', (code) =>
      code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE'
        ? new VigilError('VIGIL_ERR_CLAIM_STATE', 'exists')
        : undefined,
    );
  }

  async addBatch(b: ClaimBatch): Promise<void> {
    this.#q.write(() =>
      this.#q
        .stmt(
          `INSERT INTO claim_batches (name, cert_serial, cert_pem, max_uses, uses, expires_at, created_at, created_by, revoked_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          b.name,
          b.certSerial,
          b.certPem,
          b.maxUses,
          b.uses,
          b.expiresAt,
          b.createdAt,
          b.createdBy,
          b.revokedAt,
        ),
    );
  }

  async getBatch(name: string): Promise<ClaimBatch | null> {
    const r = this.#q.one<ClaimBatchRow>('SELECT * FROM claim_batches WHERE name = ?', name);
    return r ? toClaimBatch(r) : null;
  }

  async batchBySerial(certSerial: string): Promise<ClaimBatch | null> {
    const r = this.#q.one<ClaimBatchRow>('SELECT * FROM claim_batches WHERE cert_serial = ?', certSerial);
    return r ? toClaimBatch(r) : null;
  }

  async listBatches(): Promise<ClaimBatch[]> {
    return this.#q
      .all<ClaimBatchRow>('SELECT * FROM claim_batches ORDER BY created_at, name')
      .map(toClaimBatch);
  }

  async admitClaim(c: ClaimRecord, nonce: string, now: number): Promise<ClaimAdmission> {
    return this.#q.write(() => {
      if (this.#q.one('SELECT 1 FROM claim_nonces WHERE nonce = ?', nonce)) return 'replay';
      const b = this.#q.one<ClaimBatchRow>('SELECT * FROM claim_batches WHERE name = ?', c.batch);
      if (!b) return 'unknown_batch';
      if (b.revoked_at !== null) return 'revoked';
      if (b.expires_at <= now) return 'expired';
      if (b.uses >= b.max_uses) return 'uses_exhausted';
      this.#q.stmt('INSERT INTO claim_nonces (nonce, serial, at) VALUES (?, ?, ?)').run(nonce, c.serial, now);
      this.#q.stmt('UPDATE claim_batches SET uses = uses + 1 WHERE name = ?').run(c.batch);
      this.#q
        .stmt(
          `INSERT INTO claims (serial, batch, profile, csr, key_fp, state, device_id, reply, attempts, received_at,
             last_seen_at, address, decided_at, decided_by)
           VALUES (?, ?, ?, ?, ?, 'pending', NULL, NULL, 1, ?, ?, ?, NULL, NULL)`,
        )
        .run(c.serial, c.batch, c.profile, c.csr, c.keyFp, c.receivedAt, c.lastSeenAt, c.address);
      return 'stored';
    });
  }

  async touchClaim(
    serial: string,
    nonce: string,
    at: number,
    address: string | null,
  ): Promise<'ok' | 'replay'> {
    return this.#q.write(() => {
      if (this.#q.one('SELECT 1 FROM claim_nonces WHERE nonce = ?', nonce)) return 'replay';
      this.#q.stmt('INSERT INTO claim_nonces (nonce, serial, at) VALUES (?, ?, ?)').run(nonce, serial, at);
      this.#q
        .stmt('UPDATE claims SET attempts = attempts + 1, last_seen_at = ?, address = ? WHERE serial = ?')
        .run(at, address, serial);
      return 'ok';
    });
  }

  async getClaim(serial: string): Promise<ClaimRecord | null> {
    const r = this.#q.one<ClaimRow>('SELECT * FROM claims WHERE serial = ?', serial);
    return r ? toClaim(r) : null;
  }

  async listClaims(q: { state?: ClaimState } = {}): Promise<ClaimRecord[]> {
    const rows =
      q.state === undefined
        ? this.#q.all<ClaimRow>('SELECT * FROM claims ORDER BY received_at, serial')
        : this.#q.all<ClaimRow>('SELECT * FROM claims WHERE state = ? ORDER BY received_at, serial', q.state);
    return rows.map(toClaim);
  }

  async decideClaim(
    serial: string,
    d: { state: 'approved' | 'refused'; deviceId: string | null; reply: string; at: number; by: string },
  ): Promise<ClaimRecord | null> {
    return this.#q.write(() => {
      const r = this.#q
        .stmt(
          `UPDATE claims SET state = ?, device_id = ?, reply = ?, decided_at = ?, decided_by = ?
           WHERE serial = ? AND state = 'pending'`,
        )
        .run(d.state, d.deviceId, d.reply, d.at, d.by, serial);
      if (r.changes !== 1) return null;
      const row = this.#q.one<ClaimRow>('SELECT * FROM claims WHERE serial = ?', serial);
      return row ? toClaim(row) : null;
    });
  }

  async quarantine(cn: string, certSerial: string, at: number, address: string | null): Promise<void> {
    this.#q.write(() =>
      this.#q
        .stmt(
          `INSERT INTO quarantine (cn, cert_serial, attempts, first_seen, last_seen, last_address) VALUES (?, ?, 1, ?, ?, ?)
           ON CONFLICT (cn, cert_serial) DO UPDATE SET attempts = attempts + 1, last_seen = excluded.last_seen,
             last_address = excluded.last_address`,
        )
        .run(cn, certSerial, at, at, address),
    );
  }

  async listQuarantine(): Promise<QuarantineEntry[]> {
    return this.#q.all<QuarantineRow>('SELECT * FROM quarantine ORDER BY last_seen DESC, cn').map((r) => ({
      cn: r.cn,
      certSerial: r.cert_serial,
      attempts: r.attempts,
      firstSeen: r.first_seen,
      lastSeen: r.last_seen,
      lastAddress: r.last_address,
    }));
  }
}
