import { VigilError } from '../../errors.ts';
import type {
  GatewayBinding,
  GatewayRecord,
  GatewayRevocation,
  GatewayStore,
} from '../../gateways/gateway-store.ts';
import { GATEWAY_SELECT, type GatewayRow, toGateway } from './lifecycle-rows.ts';
import type { SqliteDatabase, SqliteScope } from './sqlite-database.ts';

const state = (msg: string) => new VigilError('VIGIL_ERR_GATEWAY_STATE', msg);

/** Gateways, their device bindings and revoked gateway certificates on the store's connection. */
export class SqliteGatewayStore implements GatewayStore {
  readonly #q: SqliteScope;

  constructor(db: SqliteDatabase) {
    this.#q = db.scope('gateways', (code) =>
      code === 'SQLITE_CONSTRAINT_FOREIGNKEY'
        ? new VigilError('VIGIL_ERR_UNKNOWN_DEVICE', 'unknown device')
        : code.startsWith('SQLITE_CONSTRAINT')
          ? state('gateway or binding exists')
          : undefined,
    );
  }

  async addGateway(g: GatewayRecord, devices: readonly string[]): Promise<void> {
    this.#q.write(() => {
      if (this.#q.one('SELECT 1 FROM gateways WHERE id = ?', g.id)) throw state(`gateway ${g.id} exists`);
      this.#q
        .stmt(
          'INSERT INTO gateways (id, cert_serial, cert_pem, created_at, created_by) VALUES (?, ?, ?, ?, ?)',
        )
        .run(g.id, g.certSerial, g.certPem, g.createdAt, g.createdBy);
      for (const d of devices) this.#bindIn(g.id, d, g.createdAt);
    });
  }

  async getGateway(id: string): Promise<GatewayRecord | null> {
    const r = this.#q.one<GatewayRow>(`${GATEWAY_SELECT} WHERE g.id = ?`, id);
    return r ? toGateway(r) : null;
  }

  async gatewayBySerial(certSerial: string): Promise<GatewayRecord | null> {
    const r = this.#q.one<GatewayRow>(`${GATEWAY_SELECT} WHERE g.cert_serial = ?`, certSerial);
    return r ? toGateway(r) : null;
  }

  async listGateways(): Promise<GatewayRecord[]> {
    return this.#q.all<GatewayRow>(`${GATEWAY_SELECT} ORDER BY g.id`).map(toGateway);
  }

  async bind(gatewayId: string, deviceId: string, at: number): Promise<void> {
    this.#q.write(() => {
      const g = this.#q.one<GatewayRow>(`${GATEWAY_SELECT} WHERE g.id = ?`, gatewayId);
      if (!g) throw state(`unknown gateway ${gatewayId}`);
      if (g.revoked_at !== null) throw state(`gateway ${gatewayId} is revoked`);
      this.#bindIn(gatewayId, deviceId, at);
    });
  }

  async unbind(gatewayId: string, deviceId: string): Promise<boolean> {
    return this.#q.write(
      () =>
        this.#q
          .stmt('DELETE FROM gateway_devices WHERE gateway_id = ? AND device_id = ?')
          .run(gatewayId, deviceId).changes > 0,
    );
  }

  async listBindings(): Promise<GatewayBinding[]> {
    return this.#q
      .all<{ gateway_id: string; device_id: string; bound_at: number }>(
        'SELECT * FROM gateway_devices ORDER BY gateway_id, device_id',
      )
      .map((r) => ({ gatewayId: r.gateway_id, deviceId: r.device_id, boundAt: r.bound_at }));
  }

  async revokeGateway(id: string, at: number, reason: string): Promise<boolean> {
    return this.#q.write(() => this.#revokeIn(id, at, reason));
  }

  async removeGateway(id: string, at: number, reason: string): Promise<string[]> {
    return this.#q.write(() => {
      this.#revokeIn(id, at, reason);
      const devices = this.#q
        .all<{ device_id: string }>(
          'SELECT device_id FROM gateway_devices WHERE gateway_id = ? ORDER BY device_id',
          id,
        )
        .map((r) => r.device_id);
      this.#q.stmt('DELETE FROM gateway_devices WHERE gateway_id = ?').run(id);
      this.#q.stmt('DELETE FROM gateways WHERE id = ?').run(id);
      return devices;
    });
  }

  async listRevoked(): Promise<GatewayRevocation[]> {
    return this.#q
      .all<{ cert_serial: string; gateway_id: string; revoked_at: number; reason: string }>(
        'SELECT * FROM gateway_revocations ORDER BY revoked_at, cert_serial',
      )
      .map((r) => ({
        certSerial: r.cert_serial,
        gatewayId: r.gateway_id,
        revokedAt: r.revoked_at,
        reason: r.reason,
      }));
  }

  /** Inside a write transaction: true when this call revoked the gateway's certificate. */
  #revokeIn(id: string, at: number, reason: string): boolean {
    const g = this.#q.one<GatewayRow>(`${GATEWAY_SELECT} WHERE g.id = ?`, id);
    if (!g) throw state(`unknown gateway ${id}`);
    if (g.revoked_at !== null) return false;
    this.#q
      .stmt(
        'INSERT INTO gateway_revocations (cert_serial, gateway_id, revoked_at, reason) VALUES (?, ?, ?, ?)',
      )
      .run(g.cert_serial, id, at, reason);
    return true;
  }

  #bindIn(gatewayId: string, deviceId: string, at: number): void {
    const cur = this.#q.one<{ gateway_id: string }>(
      'SELECT gateway_id FROM gateway_devices WHERE device_id = ?',
      deviceId,
    );
    if (cur?.gateway_id === gatewayId) return;
    if (cur) throw state(`device ${deviceId} is bound to gateway ${cur.gateway_id}`);
    this.#q
      .stmt('INSERT INTO gateway_devices (device_id, gateway_id, bound_at) VALUES (?, ?, ?)')
      .run(deviceId, gatewayId, at);
  }
}
