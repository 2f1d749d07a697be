import type Database from 'better-sqlite3-multiple-ciphers';
import { VigilError } from '../../errors.ts';
import type {
  Batch,
  CustodyEvent,
  DecisionState,
  Place,
  RoutePoint,
  Shipment,
  ShipmentState,
} from '../../shipments/shipment.ts';
import type {
  DeliveryFailureQuery,
  ShipmentPatch,
  ShipmentQuery,
  ShipmentStore,
} from '../../shipments/shipment-store.ts';
import type { SqliteDatabase, SqliteScope } from './sqlite-database.ts';

interface ShipmentRow {
  id: string;
  device_id: string;
  profile: string;
  batches: string;
  origin: string;
  destination: string;
  planned_route: string | null;
  eta: number | null;
  state: ShipmentState;
  dispatch_at: number | null;
  dispatch_batch: string | null;
  dispatch_token_hash: string | null;
  dispatch_received_at: number | null;
  delivery_at: number | null;
  delivery_by: string | null;
  delivery_lat: number | null;
  delivery_lon: number | null;
  delivery_fix_at: number | null;
  closed_at: number | null;
  decision_state: DecisionState | null;
  decision_by: string | null;
  decision_at: number | null;
  decision_reason: string | null;
  decision_meaning: string | null;
  created_at: number;
  created_by: string;
  updated_at: number;
}

interface EventRow {
  shipment_id: string;
  at: number;
  action: string;
  actor: string;
  detail: string;
}

/** The profile column holds a preset name as is, or the JSON of a profile input object. */
function profileOf(text: string): Shipment['profile'] {
  return text.startsWith('{') ? (JSON.parse(text) as Shipment['profile']) : text;
}

const toShipment = (r: ShipmentRow): Shipment => ({
  id: r.id,
  deviceId: r.device_id,
  profile: profileOf(r.profile),
  batches: JSON.parse(r.batches) as Batch[],
  origin: JSON.parse(r.origin) as Place,
  destination: JSON.parse(r.destination) as Place,
  plannedRoute: r.planned_route === null ? null : (JSON.parse(r.planned_route) as RoutePoint[]),
  eta: r.eta,
  state: r.state,
  dispatch:
    r.dispatch_at !== null && r.dispatch_batch !== null && r.dispatch_token_hash !== null
      ? {
          at: r.dispatch_at,
          batchId: r.dispatch_batch,
          tokenHash: r.dispatch_token_hash,
          receivedAt: r.dispatch_received_at ?? r.dispatch_at,
        }
      : null,
  delivery:
    r.delivery_at !== null && r.delivery_by !== null
      ? {
          at: r.delivery_at,
          by: r.delivery_by,
          lat: r.delivery_lat,
          lon: r.delivery_lon,
          fixAt: r.delivery_fix_at,
        }
      : null,
  closedAt: r.closed_at,
  decision:
    r.decision_state !== null && r.decision_by !== null && r.decision_at !== null
      ? {
          state: r.decision_state,
          by: r.decision_by,
          at: r.decision_at,
          reason: r.decision_reason ?? '',
          meaning: r.decision_meaning ?? '',
        }
      : null,
  createdAt: r.created_at,
  createdBy: r.created_by,
  updatedAt: r.updated_at,
});

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

/** Column assignments of a patch, in a fixed order (few statement shapes for the cache). */
function patchSql(p: ShipmentPatch): { set: string[]; values: (string | number | null)[] } {
  const set: string[] = [];
  const values: (string | number | null)[] = [];
  const add = (col: string, v: string | number | null) => {
    set.push(`${col} = ?`);
    values.push(v);
  };
  if (p.dispatch !== undefined) {
    add('dispatch_at', p.dispatch?.at ?? null);
    add('dispatch_batch', p.dispatch?.batchId ?? null);
    add('dispatch_token_hash', p.dispatch?.tokenHash ?? null);
    add('dispatch_received_at', p.dispatch?.receivedAt ?? null);
  }
  if (p.delivery !== undefined) {
    add('delivery_at', p.delivery?.at ?? null);
    add('delivery_by', p.delivery?.by ?? null);
    add('delivery_lat', p.delivery?.lat ?? null);
    add('delivery_lon', p.delivery?.lon ?? null);
    add('delivery_fix_at', p.delivery?.fixAt ?? null);
  }
  if (p.closedAt !== undefined) add('closed_at', p.closedAt);
  if (p.decision !== undefined) {
    add('decision_state', p.decision?.state ?? null);
    add('decision_by', p.decision?.by ?? null);
    add('decision_at', p.decision?.at ?? null);
    add('decision_reason', p.decision?.reason ?? null);
    add('decision_meaning', p.decision?.meaning ?? null);
  }
  return { set, values };
}

/**
 * The shipments tables on the store's own connection. better-sqlite3 is synchronous: each method
 * runs its statements in one IMMEDIATE transaction (writes) and resolves at once.
 */
export class SqliteShipmentStore implements ShipmentStore {
  readonly #q: SqliteScope;

  constructor(db: SqliteDatabase) {
    this.#q = db.scope('shipments', (code) =>
      code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ? new VigilError('VIGIL_ERR_SHIPMENT_EXISTS') : undefined,
    );
  }

  #stmt(sql: string): Database.Statement {
    return this.#q.stmt(sql);
  }

  #run<T>(fn: () => T, write: boolean): T {
    return write ? this.#q.write(fn) : this.#q.read(fn);
  }

  #get(id: string): Shipment | null {
    const row = this.#stmt('SELECT * FROM shipments WHERE id = ?').get(id) as ShipmentRow | undefined;
    return row ? toShipment(row) : null;
  }

  #addEvent(e: CustodyEvent): void {
    this.#stmt(
      'INSERT INTO shipment_events (shipment_id, at, action, actor, detail) VALUES (?, ?, ?, ?, ?)',
    ).run(e.shipmentId, e.at, e.action, e.actor, JSON.stringify(e.detail));
  }

  async create(s: Shipment): Promise<void> {
    const { set, values } = patchSql({
      dispatch: s.dispatch,
      delivery: s.delivery,
      closedAt: s.closedAt,
      decision: s.decision,
    });
    const cols = [
      'id',
      'device_id',
      'profile',
      'batches',
      'origin',
      'destination',
      'planned_route',
      'eta',
      'state',
      'created_at',
      'created_by',
      'updated_at',
      ...set.map((c) => c.slice(0, -' = ?'.length)),
    ];
    this.#run(() => {
      this.#stmt(`INSERT INTO shipments (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`).run(
        s.id,
        s.deviceId,
        typeof s.profile === 'string' ? s.profile : JSON.stringify(s.profile),
        JSON.stringify(s.batches),
        JSON.stringify(s.origin),
        JSON.stringify(s.destination),
        s.plannedRoute === null ? null : JSON.stringify(s.plannedRoute),
        s.eta,
        s.state,
        s.createdAt,
        s.createdBy,
        s.updatedAt,
        ...values,
      );
    }, true);
  }

  async get(id: string): Promise<Shipment | null> {
    return this.#run(() => this.#get(id), false);
  }

  async list(q: ShipmentQuery = {}): Promise<Shipment[]> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.state !== undefined) {
      where.push('state = ?');
      args.push(q.state);
    }
    if (q.deviceId !== undefined) {
      where.push('device_id = ?');
      args.push(q.deviceId);
    }
    const limit = Math.min(Math.max(Math.trunc(q.limit ?? DEFAULT_LIMIT), 0), MAX_LIMIT);
    const sql = `SELECT * FROM shipments${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id LIMIT ?`;
    return this.#run(() => (this.#stmt(sql).all(...args, limit) as ShipmentRow[]).map(toShipment), false);
  }

  async transition(
    id: string,
    from: readonly ShipmentState[],
    to: ShipmentState,
    patch: ShipmentPatch,
    at: number,
  ): Promise<Shipment | null> {
    return this.#run(() => {
      const cur = this.#get(id);
      if (!cur || !from.includes(cur.state)) return null;
      const { set, values } = patchSql(patch);
      this.#stmt(
        `UPDATE shipments SET ${[...set, 'state = ?', 'updated_at = ?'].join(', ')} WHERE id = ?`,
      ).run(...values, to, at, id);
      return this.#get(id);
    }, true);
  }

  async addEvent(e: CustodyEvent): Promise<void> {
    this.#run(() => this.#addEvent(e), true);
  }

  async listEvents(shipmentId: string): Promise<CustodyEvent[]> {
    const rows = this.#run(
      () =>
        this.#stmt('SELECT * FROM shipment_events WHERE shipment_id = ? ORDER BY id LIMIT 10000').all(
          shipmentId,
        ) as EventRow[],
      false,
    );
    return rows.map((r) => ({
      shipmentId: r.shipment_id,
      at: r.at,
      action: r.action,
      actor: r.actor,
      detail: JSON.parse(r.detail) as Record<string, unknown>,
    }));
  }

  async addDeliveryFailure(shipmentId: string, actor: string, at: number): Promise<void> {
    this.#run(() => {
      this.#stmt('INSERT INTO shipment_delivery_failures (shipment_id, actor, at) VALUES (?, ?, ?)').run(
        shipmentId,
        actor,
        at,
      );
    }, true);
  }

  #failureWhere(q: DeliveryFailureQuery): { where: string; args: (string | number)[] } {
    const where = ['at >= ?'];
    const args: (string | number)[] = [q.since];
    if (q.shipmentId !== undefined) {
      where.push('shipment_id = ?');
      args.push(q.shipmentId);
    }
    if (q.actor !== undefined) {
      where.push('actor = ?');
      args.push(q.actor);
    }
    return { where: where.join(' AND '), args };
  }

  async countDeliveryFailures(q: DeliveryFailureQuery): Promise<number> {
    const { where, args } = this.#failureWhere(q);
    return this.#run(
      () =>
        (
          this.#stmt(`SELECT count(*) AS n FROM shipment_delivery_failures WHERE ${where}`).get(...args) as {
            n: number;
          }
        ).n,
      false,
    );
  }

  async oldestDeliveryFailure(q: DeliveryFailureQuery): Promise<number | null> {
    const { where, args } = this.#failureWhere(q);
    return this.#run(
      () =>
        (
          this.#stmt(`SELECT min(at) AS t FROM shipment_delivery_failures WHERE ${where}`).get(...args) as {
            t: number | null;
          }
        ).t,
      false,
    );
  }

  async pruneDeliveryFailures(before: number): Promise<void> {
    this.#run(() => {
      this.#stmt('DELETE FROM shipment_delivery_failures WHERE at < ?').run(before);
    }, true);
  }
}
