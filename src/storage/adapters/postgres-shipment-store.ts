import type pg from 'pg';
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
import type { ColumnCipher } from './postgres-cipher.ts';
import type { PostgresDatabase } from './postgres-database.ts';
import { pgCode, pgStoreError } from './postgres-store-rows.ts';

interface ShipmentRow {
  id: string;
  device_id: string;
  profile: string;
  batches: Buffer;
  origin: Buffer;
  destination: Buffer;
  planned_route: Buffer | null;
  eta: number | null;
  state: ShipmentState;
  dispatch_at: number | null;
  dispatch_batch: Buffer | null;
  dispatch_token_hash: string | null;
  dispatch_received_at: number | null;
  delivery_at: number | null;
  delivery_by: string | null;
  delivery_fix: Buffer | null;
  delivery_fix_at: number | null;
  closed_at: number | null;
  decision_state: DecisionState | null;
  decision_by: string | null;
  decision_at: number | null;
  decision_reason: Buffer | null;
  decision_meaning: string | null;
  created_at: number;
  created_by: string;
  updated_at: number;
}

function toShipment(c: ColumnCipher, r: ShipmentRow): Shipment {
  const dec = <T>(col: string, b: Buffer | null) => c.decryptNullable<T>(`shipments.${col}`, r.id, b);
  const fix = dec<{ lat: number | null; lon: number | null }>('delivery_fix', r.delivery_fix);
  const batch = dec<string>('dispatch_batch', r.dispatch_batch);
  return {
    id: r.id,
    deviceId: r.device_id,
    profile: r.profile.startsWith('{') ? (JSON.parse(r.profile) as Shipment['profile']) : r.profile,
    batches: dec<Batch[]>('batches', r.batches) ?? [],
    origin: dec<Place>('origin', r.origin) as Place,
    destination: dec<Place>('destination', r.destination) as Place,
    plannedRoute: dec<RoutePoint[]>('planned_route', r.planned_route),
    eta: r.eta,
    state: r.state,
    dispatch:
      r.dispatch_at !== null && batch !== null && r.dispatch_token_hash !== null
        ? {
            at: r.dispatch_at,
            batchId: batch,
            tokenHash: r.dispatch_token_hash,
            receivedAt: r.dispatch_received_at ?? r.dispatch_at,
          }
        : null,
    delivery:
      r.delivery_at !== null && r.delivery_by !== null
        ? {
            at: r.delivery_at,
            by: r.delivery_by,
            lat: fix?.lat ?? null,
            lon: fix?.lon ?? null,
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
            reason: dec<string>('decision_reason', r.decision_reason) ?? '',
            meaning: r.decision_meaning ?? '',
          }
        : null,
    createdAt: r.created_at,
    createdBy: r.created_by,
    updatedAt: r.updated_at,
  };
}

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

/**
 * The `ShipmentStore` port on PostgreSQL. Batch ids (the trip's lots and the dispatched batch),
 * places, route, delivery fix, decision reasons and custody details are column-encrypted with the
 * shipment id as AAD (a custody event's with its own id). Transitions lock the row.
 */
export class PostgresShipmentStore implements ShipmentStore {
  readonly #db: PostgresDatabase;

  constructor(db: PostgresDatabase) {
    this.#db = db;
  }

  get #c(): ColumnCipher {
    return this.#db.cipher;
  }

  async #tx<T>(fn: (c: pg.ClientBase) => Promise<T>): Promise<T> {
    try {
      return await this.#db.tx(({ client }) => fn(client));
    } catch (err) {
      if (pgCode(err) === '23505' && /shipments_pkey/.test((err as Error).message)) {
        throw new VigilError('VIGIL_ERR_SHIPMENT_EXISTS');
      }
      throw pgStoreError(err, 'shipments');
    }
  }

  /** Column values of a patch (encrypted where sensitive), for `id`. */
  #patchColumns(id: string, p: ShipmentPatch): Record<string, unknown> {
    const enc = (col: string, v: unknown) => this.#c.encryptNullable(`shipments.${col}`, id, v);
    const out: Record<string, unknown> = {};
    if (p.dispatch !== undefined) {
      out.dispatch_at = p.dispatch?.at ?? null;
      out.dispatch_batch = enc('dispatch_batch', p.dispatch?.batchId ?? null);
      out.dispatch_token_hash = p.dispatch?.tokenHash ?? null;
      out.dispatch_received_at = p.dispatch?.receivedAt ?? null;
    }
    if (p.delivery !== undefined) {
      out.delivery_at = p.delivery?.at ?? null;
      out.delivery_by = p.delivery?.by ?? null;
      out.delivery_fix = enc(
        'delivery_fix',
        p.delivery ? { lat: p.delivery.lat, lon: p.delivery.lon } : null,
      );
      out.delivery_fix_at = p.delivery?.fixAt ?? null;
    }
    if (p.closedAt !== undefined) out.closed_at = p.closedAt;
    if (p.decision !== undefined) {
      out.decision_state = p.decision?.state ?? null;
      out.decision_by = p.decision?.by ?? null;
      out.decision_at = p.decision?.at ?? null;
      out.decision_reason = enc('decision_reason', p.decision?.reason ?? null);
      out.decision_meaning = p.decision?.meaning ?? null;
    }
    return out;
  }

  async #get(c: pg.ClientBase, id: string, lock = false): Promise<Shipment | null> {
    const r = await c.query<ShipmentRow>(
      `SELECT * FROM shipments WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
      [id],
    );
    return r.rows[0] ? toShipment(this.#c, r.rows[0]) : null;
  }

  async create(s: Shipment): Promise<void> {
    const enc = (col: string, v: unknown) => this.#c.encryptNullable(`shipments.${col}`, s.id, v);
    const cols: Record<string, unknown> = {
      id: s.id,
      device_id: s.deviceId,
      profile: typeof s.profile === 'string' ? s.profile : JSON.stringify(s.profile),
      batches: enc('batches', s.batches),
      origin: enc('origin', s.origin),
      destination: enc('destination', s.destination),
      planned_route: enc('planned_route', s.plannedRoute),
      eta: s.eta,
      state: s.state,
      created_at: s.createdAt,
      created_by: s.createdBy,
      updated_at: s.updatedAt,
      ...this.#patchColumns(s.id, {
        dispatch: s.dispatch,
        delivery: s.delivery,
        closedAt: s.closedAt,
        decision: s.decision,
      }),
    };
    const names = Object.keys(cols);
    await this.#tx((c) =>
      c.query(
        `INSERT INTO shipments (${names.join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')})`,
        Object.values(cols),
      ),
    );
  }

  async get(id: string): Promise<Shipment | null> {
    return this.#tx((c) => this.#get(c, id));
  }

  async list(q: ShipmentQuery = {}): Promise<Shipment[]> {
    const limit = Math.min(Math.max(Math.trunc(q.limit ?? DEFAULT_LIMIT), 0), MAX_LIMIT);
    return this.#tx(async (c) => {
      const r = await c.query<ShipmentRow>(
        `SELECT * FROM shipments WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR device_id = $2)
         ORDER BY created_at DESC, id LIMIT $3`,
        [q.state ?? null, q.deviceId ?? null, limit],
      );
      return r.rows.map((x) => toShipment(this.#c, x));
    });
  }

  async transition(
    id: string,
    from: readonly ShipmentState[],
    to: ShipmentState,
    patch: ShipmentPatch,
    at: number,
  ): Promise<Shipment | null> {
    return this.#tx(async (c) => {
      const cur = await this.#get(c, id, true);
      if (!cur || !from.includes(cur.state)) return null;
      const cols = { ...this.#patchColumns(id, patch), state: to, updated_at: at };
      const names = Object.keys(cols);
      await c.query(
        `UPDATE shipments SET ${names.map((n, i) => `${n} = $${i + 2}`).join(', ')} WHERE id = $1`,
        [id, ...Object.values(cols)],
      );
      return this.#get(c, id);
    });
  }

  async addEvent(e: CustodyEvent): Promise<void> {
    await this.#tx(async (c) => {
      // The id first: it is part of the detail's AAD.
      const id = (
        await c.query<{ id: number }>(`SELECT nextval(pg_get_serial_sequence('shipment_events', 'id')) AS id`)
      ).rows[0]?.id;
      await c.query(
        'INSERT INTO shipment_events (id, shipment_id, at, action, actor, detail) VALUES ($1, $2, $3, $4, $5, $6)',
        [
          id,
          e.shipmentId,
          e.at,
          e.action,
          e.actor,
          this.#c.encryptJson('shipment_events.detail', `${e.shipmentId}|${id}`, e.detail),
        ],
      );
    });
  }

  async listEvents(shipmentId: string): Promise<CustodyEvent[]> {
    return this.#tx(async (c) => {
      const r = await c.query<{
        id: number;
        shipment_id: string;
        at: number;
        action: string;
        actor: string;
        detail: Buffer;
      }>('SELECT * FROM shipment_events WHERE shipment_id = $1 ORDER BY id LIMIT 10000', [shipmentId]);
      return r.rows.map((x) => ({
        shipmentId: x.shipment_id,
        at: x.at,
        action: x.action,
        actor: x.actor,
        detail: this.#c.decryptJson<Record<string, unknown>>(
          'shipment_events.detail',
          `${x.shipment_id}|${x.id}`,
          x.detail,
        ),
      }));
    });
  }

  async addDeliveryFailure(shipmentId: string, actor: string, at: number): Promise<void> {
    await this.#tx((c) =>
      c.query('INSERT INTO shipment_delivery_failures (shipment_id, actor, at) VALUES ($1, $2, $3)', [
        shipmentId,
        actor,
        at,
      ]),
    );
  }

  async #failures<R extends pg.QueryResultRow>(
    select: string,
    q: DeliveryFailureQuery,
  ): Promise<R | undefined> {
    return this.#tx(
      async (c) =>
        (
          await c.query<R>(
            `SELECT ${select} FROM shipment_delivery_failures
             WHERE at >= $1 AND ($2::text IS NULL OR shipment_id = $2) AND ($3::text IS NULL OR actor = $3)`,
            [q.since, q.shipmentId ?? null, q.actor ?? null],
          )
        ).rows[0],
    );
  }

  async countDeliveryFailures(q: DeliveryFailureQuery): Promise<number> {
    return (await this.#failures<{ n: number }>('count(*)::bigint AS n', q))?.n ?? 0;
  }

  async oldestDeliveryFailure(q: DeliveryFailureQuery): Promise<number | null> {
    return (await this.#failures<{ t: number | null }>('min(at) AS t', q))?.t ?? null;
  }

  async pruneDeliveryFailures(before: number): Promise<void> {
    await this.#tx((c) => c.query('DELETE FROM shipment_delivery_failures WHERE at < $1', [before]));
  }
}
