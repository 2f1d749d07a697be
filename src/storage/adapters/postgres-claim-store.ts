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
import type { ColumnCipher } from './postgres-cipher.ts';
import type { PostgresDatabase } from './postgres-database.ts';
import { pgCode, pgOps, pgStoreError } from './postgres-store-rows.ts';

interface ClaimRow {
  serial: string;
  batch: string;
  profile: string;
  csr: Buffer;
  key_fp: string;
  state: ClaimState;
  device_id: string | null;
  reply: Buffer | null;
  attempts: number;
  received_at: number;
  last_seen_at: number;
  address: Buffer | null;
  decided_at: number | null;
  decided_by: string | null;
}

interface QuarantineRow {
  cn: string;
  cert_serial: string;
  attempts: number;
  first_seen: number;
  last_seen: number;
  last_address: Buffer | null;
}

function toClaim(c: ColumnCipher, r: ClaimRow): ClaimRecord {
  const dec = (col: string, b: Buffer | null) => c.decryptNullable<string>(`claims.${col}`, r.serial, b);
  return {
    serial: r.serial,
    batch: r.batch,
    profile: r.profile,
    csr: dec('csr', r.csr) ?? '',
    keyFp: r.key_fp,
    state: r.state,
    deviceId: r.device_id,
    reply: dec('reply', r.reply),
    attempts: r.attempts,
    receivedAt: r.received_at,
    lastSeenAt: r.last_seen_at,
    address: dec('address', r.address),
    decidedAt: r.decided_at,
    decidedBy: r.decided_by,
  };
}

const quarantineId = (cn: string, serial: string) => `${cn}|${serial}`;

/**
 * The `ClaimStore` port on PostgreSQL. Admitting a claim locks its batch row, so the uses of a
 * batch are counted exactly when several processes take claims at once; a nonce is stored with
 * `ON CONFLICT DO NOTHING` and found taken means a replay. A claim's CSR, reply and address and a
 * quarantined identity's address are column-encrypted (AAD: the serial, or CN and serial).
 */
export class PostgresClaimStore implements ClaimStore {
  readonly #db: PostgresDatabase;
  readonly #ops: ReturnType<typeof pgOps>;

  constructor(db: PostgresDatabase) {
    this.#db = db;
    this.#ops = pgOps(db, (err) =>
      pgCode(err) === '23505'
        ? new VigilError('VIGIL_ERR_CLAIM_STATE', 'exists')
        : pgStoreError(err, 'claims'),
    );
  }

  get #c(): ColumnCipher {
    return this.#db.cipher;
  }

  async addBatch(b: ClaimBatch): Promise<void> {
    await this.#ops.q(
      `INSERT INTO claim_batches (name, cert_serial, cert_pem, max_uses, uses, expires_at, created_at, created_by, revoked_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        b.name,
        b.certSerial,
        b.certPem,
        b.maxUses,
        b.uses,
        b.expiresAt,
        b.createdAt,
        b.createdBy,
        b.revokedAt,
      ],
    );
  }

  async getBatch(name: string): Promise<ClaimBatch | null> {
    const r = await this.#ops.q<ClaimBatchRow>('SELECT * FROM claim_batches WHERE name = $1', [name]);
    return r[0] ? toClaimBatch(r[0]) : null;
  }

  async batchBySerial(certSerial: string): Promise<ClaimBatch | null> {
    const r = await this.#ops.q<ClaimBatchRow>('SELECT * FROM claim_batches WHERE cert_serial = $1', [
      certSerial,
    ]);
    return r[0] ? toClaimBatch(r[0]) : null;
  }

  async listBatches(): Promise<ClaimBatch[]> {
    return (
      await this.#ops.q<ClaimBatchRow>('SELECT * FROM claim_batches ORDER BY created_at, name', [])
    ).map(toClaimBatch);
  }

  async admitClaim(cl: ClaimRecord, nonce: string, now: number): Promise<ClaimAdmission> {
    return this.#ops.tx(async (c) => {
      if ((await c.query('SELECT 1 FROM claim_nonces WHERE nonce = $1', [nonce])).rowCount) return 'replay';
      const r = await c.query<ClaimBatchRow>('SELECT * FROM claim_batches WHERE name = $1 FOR UPDATE', [
        cl.batch,
      ]);
      const b = r.rows[0];
      if (!b) return 'unknown_batch';
      if (b.revoked_at !== null) return 'revoked';
      if (b.expires_at <= now) return 'expired';
      if (b.uses >= b.max_uses) return 'uses_exhausted';
      // Taken by a concurrent claim since the check above: a replay all the same (nothing written yet).
      const n = await c.query(
        'INSERT INTO claim_nonces (nonce, serial, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
        [nonce, cl.serial, now],
      );
      if (n.rowCount === 0) return 'replay';
      await c.query('UPDATE claim_batches SET uses = uses + 1 WHERE name = $1', [cl.batch]);
      const enc = (col: string, v: string | null) => this.#c.encryptNullable(`claims.${col}`, cl.serial, v);
      await c.query(
        `INSERT INTO claims (serial, batch, profile, csr, key_fp, state, device_id, reply, attempts, received_at,
           last_seen_at, address, decided_at, decided_by)
         VALUES ($1, $2, $3, $4, $5, 'pending', NULL, NULL, 1, $6, $7, $8, NULL, NULL)`,
        [
          cl.serial,
          cl.batch,
          cl.profile,
          enc('csr', cl.csr),
          cl.keyFp,
          cl.receivedAt,
          cl.lastSeenAt,
          enc('address', cl.address),
        ],
      );
      return 'stored';
    });
  }

  async touchClaim(
    serial: string,
    nonce: string,
    at: number,
    address: string | null,
  ): Promise<'ok' | 'replay'> {
    return this.#ops.tx(async (c) => {
      const n = await c.query(
        'INSERT INTO claim_nonces (nonce, serial, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
        [nonce, serial, at],
      );
      if (n.rowCount === 0) return 'replay';
      await c.query(
        'UPDATE claims SET attempts = attempts + 1, last_seen_at = $2, address = $3 WHERE serial = $1',
        [serial, at, this.#c.encryptNullable('claims.address', serial, address)],
      );
      return 'ok';
    });
  }

  async getClaim(serial: string): Promise<ClaimRecord | null> {
    const r = await this.#ops.q<ClaimRow>('SELECT * FROM claims WHERE serial = $1', [serial]);
    return r[0] ? toClaim(this.#c, r[0]) : null;
  }

  async listClaims(q: { state?: ClaimState } = {}): Promise<ClaimRecord[]> {
    const rows =
      q.state === undefined
        ? await this.#ops.q<ClaimRow>('SELECT * FROM claims ORDER BY received_at, serial', [])
        : await this.#ops.q<ClaimRow>('SELECT * FROM claims WHERE state = $1 ORDER BY received_at, serial', [
            q.state,
          ]);
    return rows.map((r) => toClaim(this.#c, r));
  }

  async decideClaim(
    serial: string,
    d: { state: 'approved' | 'refused'; deviceId: string | null; reply: string; at: number; by: string },
  ): Promise<ClaimRecord | null> {
    const r = await this.#ops.q<ClaimRow>(
      `UPDATE claims SET state = $2, device_id = $3, reply = $4, decided_at = $5, decided_by = $6
       WHERE serial = $1 AND state = 'pending' RETURNING *`,
      [serial, d.state, d.deviceId, this.#c.encryptJson('claims.reply', serial, d.reply), d.at, d.by],
    );
    return r[0] ? toClaim(this.#c, r[0]) : null;
  }

  async quarantine(cn: string, certSerial: string, at: number, address: string | null): Promise<void> {
    const addr = this.#c.encryptNullable('quarantine.last_address', quarantineId(cn, certSerial), address);
    await this.#ops.q(
      `INSERT INTO quarantine (cn, cert_serial, attempts, first_seen, last_seen, last_address) VALUES ($1, $2, 1, $3, $3, $4)
       ON CONFLICT (cn, cert_serial) DO UPDATE SET attempts = quarantine.attempts + 1,
         last_seen = excluded.last_seen, last_address = excluded.last_address`,
      [cn, certSerial, at, addr],
    );
  }

  async listQuarantine(): Promise<QuarantineEntry[]> {
    const rows = await this.#ops.q<QuarantineRow>('SELECT * FROM quarantine ORDER BY last_seen DESC, cn', []);
    return rows.map((r) => ({
      cn: r.cn,
      certSerial: r.cert_serial,
      attempts: r.attempts,
      firstSeen: r.first_seen,
      lastSeen: r.last_seen,
      lastAddress: this.#c.decryptNullable<string>(
        'quarantine.last_address',
        quarantineId(r.cn, r.cert_serial),
        r.last_address,
      ),
    }));
  }
}
