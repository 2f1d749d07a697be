import { VigilError } from '../../errors.ts';
import type { GatewayBinding, GatewayRecord, GatewayStore } from '../../gateways/gateway-store.ts';
import type { SqliteDatabase, SqliteScope } from './sqlite-database.ts';

interface Row {
  id: string;
  cert_serial: string;
  cert_pem: string;
  created_at: number;
  created_by: string;
  revoked_at: number | null;
}

const toRecord = (r: Row): GatewayRecord => ({
  id: r.id,
  certSerial: r.cert_serial,
  certPem: r.cert_pem,
  createdAt: r.created_at,
  createdBy: r.created_by,
  revokedAt: r.revoked_at,
});

const state = (msg: string) => new VigilError('VIGIL_ERR_GATEWAY_STATE', msg);

/** Gateways and their device bindings on the store's connection. */
export class SqliteGatewayStore implements GatewayStore {
  readonly #q: SqliteScope;

  constructor(db: SqliteDatabase) {
    this.#q = db.scope('gateways', (code) =>
      code.startsWith('SQLITE_CONSTRAINT') ? state('gateway or binding exists') : undefined,
    );
  }

  async addGateway(g: GatewayRecord, devices: readonly string[]): Promise<void> {
    this.#q.write(() => {
      if (this.#q.one('SELECT 1 FROM gateways WHERE id = ?', g.id)) throw state(`gateway ${g.id} exists`);
      this.#q
        .stmt(
          'INSERT INTO gateways (id, cert_serial, cert_pem, created_at, created_by, revoked_at) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(g.id, g.certSerial, g.certPem, g.createdAt, g.createdBy, g.revokedAt);
      for (const d of devices) this.#bindIn(g.id, d, g.createdAt);
    });
  }

  async getGateway(id: string): Promise<GatewayRecord | null> {
    const r = this.#q.one<Row>('SELECT * FROM gateways WHERE id = ?', id);
    return r ? toRecord(r) : null;
  }

  async gatewayBySerial(certSerial: string): Promise<GatewayRecord | null> {
    const r = this.#q.one<Row>('SELECT * FROM gateways WHERE cert_serial = ?', certSerial);
    return r ? toRecord(r) : null;
  }

  async listGateways(): Promise<GatewayRecord[]> {
    return this.#q.all<Row>('SELECT * FROM gateways ORDER BY id').map(toRecord);
  }

  async bind(gatewayId: string, deviceId: string, at: number): Promise<void> {
    this.#q.write(() => {
      if (!this.#q.one('SELECT 1 FROM gateways WHERE id = ?', gatewayId))
        throw state(`unknown gateway ${gatewayId}`);
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
