import type pg from 'pg';
import { VigilError } from '../../errors.ts';
import type {
  GatewayBinding,
  GatewayRecord,
  GatewayRevocation,
  GatewayStore,
} from '../../gateways/gateway-store.ts';
import { GATEWAY_SELECT, type GatewayRow, toGateway } from './lifecycle-rows.ts';
import type { PostgresDatabase } from './postgres-database.ts';
import { pgCode, pgOps, pgStoreError } from './postgres-store-rows.ts';

const state = (msg: string) => new VigilError('VIGIL_ERR_GATEWAY_STATE', msg);

/**
 * The `GatewayStore` port on PostgreSQL. A change that reads before it writes locks the gateway
 * row (`FOR UPDATE`), so a bind cannot slip in while another process revokes or removes it; a
 * device's binding is its primary key, so two gateways can never both take it.
 */
export class PostgresGatewayStore implements GatewayStore {
  readonly #ops: ReturnType<typeof pgOps>;

  constructor(db: PostgresDatabase) {
    this.#ops = pgOps(db, (err) =>
      pgCode(err) === '23503'
        ? new VigilError('VIGIL_ERR_UNKNOWN_DEVICE', 'unknown device')
        : pgCode(err) === '23505'
          ? state('gateway or binding exists')
          : pgStoreError(err, 'gateways'),
    );
  }

  async addGateway(g: GatewayRecord, devices: readonly string[]): Promise<void> {
    await this.#ops.tx(async (c) => {
      const r = await c.query(
        `INSERT INTO gateways (id, cert_serial, cert_pem, created_at, created_by) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO NOTHING`,
        [g.id, g.certSerial, g.certPem, g.createdAt, g.createdBy],
      );
      if (r.rowCount === 0) throw state(`gateway ${g.id} exists`);
      for (const d of devices) await this.#bindIn(c, g.id, d, g.createdAt);
    });
  }

  async getGateway(id: string): Promise<GatewayRecord | null> {
    const r = await this.#ops.q<GatewayRow>(`${GATEWAY_SELECT} WHERE g.id = $1`, [id]);
    return r[0] ? toGateway(r[0]) : null;
  }

  async gatewayBySerial(certSerial: string): Promise<GatewayRecord | null> {
    const r = await this.#ops.q<GatewayRow>(`${GATEWAY_SELECT} WHERE g.cert_serial = $1`, [certSerial]);
    return r[0] ? toGateway(r[0]) : null;
  }

  async listGateways(): Promise<GatewayRecord[]> {
    return (await this.#ops.q<GatewayRow>(`${GATEWAY_SELECT} ORDER BY g.id`, [])).map(toGateway);
  }

  async bind(gatewayId: string, deviceId: string, at: number): Promise<void> {
    await this.#ops.tx(async (c) => {
      const g = await this.#lock(c, gatewayId);
      if (g.revoked_at !== null) throw state(`gateway ${gatewayId} is revoked`);
      await this.#bindIn(c, gatewayId, deviceId, at);
    });
  }

  async unbind(gatewayId: string, deviceId: string): Promise<boolean> {
    const r = await this.#ops.tx((c) =>
      c.query('DELETE FROM gateway_devices WHERE gateway_id = $1 AND device_id = $2', [gatewayId, deviceId]),
    );
    return (r.rowCount ?? 0) > 0;
  }

  async listBindings(): Promise<GatewayBinding[]> {
    const rows = await this.#ops.q<{ gateway_id: string; device_id: string; bound_at: number }>(
      'SELECT * FROM gateway_devices ORDER BY gateway_id, device_id',
      [],
    );
    return rows.map((r) => ({ gatewayId: r.gateway_id, deviceId: r.device_id, boundAt: r.bound_at }));
  }

  async revokeGateway(id: string, at: number, reason: string): Promise<boolean> {
    return this.#ops.tx((c) => this.#revokeIn(c, id, at, reason));
  }

  async removeGateway(id: string, at: number, reason: string): Promise<string[]> {
    return this.#ops.tx(async (c) => {
      await this.#revokeIn(c, id, at, reason);
      const gone = await c.query<{ device_id: string }>(
        'DELETE FROM gateway_devices WHERE gateway_id = $1 RETURNING device_id',
        [id],
      );
      await c.query('DELETE FROM gateways WHERE id = $1', [id]);
      return gone.rows.map((r) => r.device_id).sort();
    });
  }

  async listRevoked(): Promise<GatewayRevocation[]> {
    const rows = await this.#ops.q<{
      cert_serial: string;
      gateway_id: string;
      revoked_at: number;
      reason: string;
    }>('SELECT * FROM gateway_revocations ORDER BY revoked_at, cert_serial', []);
    return rows.map((r) => ({
      certSerial: r.cert_serial,
      gatewayId: r.gateway_id,
      revokedAt: r.revoked_at,
      reason: r.reason,
    }));
  }

  /** The gateway's row, locked for this transaction; VIGIL_ERR_GATEWAY_STATE when unknown. */
  async #lock(c: pg.ClientBase, id: string): Promise<GatewayRow> {
    const g = await c.query<GatewayRow>(`${GATEWAY_SELECT} WHERE g.id = $1 FOR UPDATE OF g`, [id]);
    if (!g.rows[0]) throw state(`unknown gateway ${id}`);
    return g.rows[0];
  }

  /** Inside a transaction: true when this call revoked the gateway's certificate. */
  async #revokeIn(c: pg.ClientBase, id: string, at: number, reason: string): Promise<boolean> {
    const g = await this.#lock(c, id);
    if (g.revoked_at !== null) return false;
    await c.query(
      'INSERT INTO gateway_revocations (cert_serial, gateway_id, revoked_at, reason) VALUES ($1, $2, $3, $4)',
      [g.cert_serial, id, at, reason],
    );
    return true;
  }

  async #bindIn(c: pg.ClientBase, gatewayId: string, deviceId: string, at: number): Promise<void> {
    const cur = await c.query<{ gateway_id: string }>(
      'SELECT gateway_id FROM gateway_devices WHERE device_id = $1 FOR UPDATE',
      [deviceId],
    );
    const bound = cur.rows[0]?.gateway_id;
    if (bound === gatewayId) return;
    if (bound !== undefined) throw state(`device ${deviceId} is bound to gateway ${bound}`);
    await c.query('INSERT INTO gateway_devices (device_id, gateway_id, bound_at) VALUES ($1, $2, $3)', [
      deviceId,
      gatewayId,
      at,
    ]);
  }
}
